package sim

import (
	"fmt"
	"strings"
)

// ExecuteTerminal answers with the command's "output" and the end marker Komodo streams,
// `__KOMODO_EXIT_CODE:<n>`. It is not yet streamed line by line (issue 6 will); the body
// is what a client reading the stream to its end receives.
func init() {
	handle("ExecuteTerminal", func(s *Server, c *call) (any, *apiError) {
		cmd := str(c.body, "command")
		t, _ := c.body["target"].(map[string]any)
		params, _ := t["params"].(map[string]any)
		if kind := str(t, "type"); kind == "Server" {
			srv, err := s.w.mustFind("Server", str(params, "server"))
			if err != nil {
				return nil, err
			}
			if srv.State != "Ok" {
				return nil, errf("Server %s is %s", srv.Name, srv.State)
			}
		}
		out, code := terminalOutput(cmd)
		return fmt.Sprintf("%s\n__KOMODO_EXIT_CODE:%d\n", out, code), nil
	})
}

func terminalOutput(cmd string) (string, int) {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return "", 0
	}
	switch fields[0] {
	case "echo":
		return strings.Join(fields[1:], " "), 0
	case "uptime":
		return " 08:00:00 up 12 days,  3:41,  0 users,  load average: 0.42, 0.37, 0.35", 0
	case "docker":
		return "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES", 0
	case "false", "exit":
		return "", 1
	}
	return fields[0] + ": simulated command", 0
}
