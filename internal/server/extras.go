package server

// extraTools are the hand-written tools: none yet beyond the generated catalog.
func extraTools() []*extraTool { return nil }

// addPrompts registers the MCP prompts.
func (s *Server) addPrompts() {}
