package server

// extraTools are the hand-written tools, beside the generated catalog. Each group comes
// from its own file; append further groups here.
func extraTools() []*extraTool {
	var tools []*extraTool
	tools = append(tools, authTools()...)
	tools = append(tools, waitUpdateTool(), terminalTool())
	return tools
}
