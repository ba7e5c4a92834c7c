// Package prompts is komodo-mcp's four workflow prompts (server management, deployment,
// build and deploy, alerts): each renders one user message that walks the assistant
// through the exact tools in the workflow's order, and says which of them this server
// does not expose.
package prompts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The seed contract's four workflows as MCP prompts (README "Compatibility with the seed
// usage guide"). Each prompt is one user message that walks the assistant through the exact tools, with the compatibility parameters, in the
// workflow's order; it adds what real Komodo needs on top: follow the Update of an
// execution to its end and check success, because a failed execution still answers 200.

// Prompt is one workflow: its MCP definition and the text it renders from valid arguments.
type Prompt struct {
	Def    *mcp.Prompt
	render func(args map[string]string) string
	// check refuses argument values the text cannot use (beyond missing required ones).
	check func(args map[string]string) error
}

// severities are the alert severities, which komodo_read_ListAlerts accepts.
var severities = []string{"info", "warning", "error", "critical"}

// prompts are the four workflows.
var prompts = []Prompt{
	{
		Def: &mcp.Prompt{
			Name:        "server_management",
			Title:       "Server management",
			Description: "List servers, check one server's status, restart it if needed (with the user's confirmation), and verify it is healthy again.",
			Arguments: []*mcp.PromptArgument{
				{Name: "server", Title: "Server", Description: "Server id or name; leave empty to look at every server and pick out the unhealthy ones."},
			},
		},
		render: renderServerManagement,
	},
	{
		Def: &mcp.Prompt{
			Name:        "deployment_workflow",
			Title:       "Deployment workflow",
			Description: "Check current deployments, deploy one, follow the deployment to completion, and verify it is running.",
			Arguments: []*mcp.PromptArgument{
				{Name: "deployment", Title: "Deployment", Description: "Deployment id or name.", Required: true},
				{Name: "force", Title: "Force", Description: "true to deploy with options.force (deploy even if nothing changed); default false."},
			},
		},
		render: renderDeploymentWorkflow,
		check: func(args map[string]string) error {
			_, err := boolArg(args, "force")
			return err
		},
	},
	{
		Def: &mcp.Prompt{
			Name:        "build_and_deploy",
			Title:       "Build and deploy pipeline",
			Description: "Find a build, run it, follow it to completion, and deploy the deployment that uses it only if the build succeeded.",
			Arguments: []*mcp.PromptArgument{
				{Name: "build", Title: "Build", Description: "Build id or name.", Required: true},
				{Name: "deployment", Title: "Deployment", Description: "Deployment id or name to deploy once the build succeeded.", Required: true},
			},
		},
		render: renderBuildAndDeploy,
	},
	{
		Def: &mcp.Prompt{
			Name:        "alert_management",
			Title:       "Alert management",
			Description: "List unresolved alerts of a severity, read the details, investigate the resource each alert is about, and propose a corrective action.",
			Arguments: []*mcp.PromptArgument{
				{Name: "severity", Title: "Severity", Description: "Alert severity to look at: " + strings.Join(severities, ", ") + "; default critical."},
			},
		},
		render: renderAlertManagement,
		check: func(args map[string]string) error {
			if v := strings.ToLower(args["severity"]); v != "" && !slices.Contains(severities, v) {
				return fmt.Errorf("argument %q must be one of %s, got %q", "severity", strings.Join(severities, ", "), args["severity"])
			}
			return nil
		},
	},
}

// Prompts are the four workflow prompts (server management, deployment, build and
// deploy, alert management).
func Prompts() []Prompt { return prompts }

// Text checks the arguments of a GetPrompt request and renders the prompt's message.
// The error says which argument is missing, unknown or invalid.
func (p Prompt) Text(given map[string]string) (string, error) {
	args, err := promptArgs(p, given)
	if err != nil {
		return "", err
	}
	return p.render(args), nil
}

// promptArgs checks the arguments of a prompt: every required one present and not blank,
// no unknown ones (a misspelt name would otherwise silently change the workflow), and the
// prompt's own checks. Values come back trimmed.
func promptArgs(p Prompt, given map[string]string) (map[string]string, error) {
	known := map[string]bool{}
	args := map[string]string{}
	var missing []string
	for _, a := range p.Def.Arguments {
		known[a.Name] = true
		v := strings.TrimSpace(given[a.Name])
		if v != "" {
			args[a.Name] = v
		} else if a.Required {
			missing = append(missing, strconv.Quote(a.Name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required argument %s", strings.Join(missing, ", "))
	}
	var unknown []string
	for k := range given {
		if !known[k] {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(known))
		for _, a := range p.Def.Arguments {
			names = append(names, strconv.Quote(a.Name))
		}
		return nil, fmt.Errorf("unknown argument %s: the arguments are %s", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	if p.check != nil {
		if err := p.check(args); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// boolArg parses an optional true/false argument (prompt arguments are strings).
func boolArg(args map[string]string, name string) (bool, error) {
	v, ok := args[name]
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return false, fmt.Errorf("argument %q must be true or false, got %q", name, v)
	}
	return b, nil
}

// MentionedTools lists, sorted and once each, the tool names (komodo_<module>_<Operation>)
// that appear in text.
func MentionedTools(text string) []string {
	var names []string
	for rest := text; ; {
		i := strings.Index(rest, "komodo_")
		if i < 0 {
			break
		}
		j := i + len("komodo_")
		for j < len(rest) && isNameByte(rest[j]) {
			j++
		}
		names = append(names, rest[i:j])
		rest = rest[j:]
	}
	sort.Strings(names)
	return slices.Compact(names)
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// toolCall renders a tool call as the assistant should make it: the tool name and its
// arguments as JSON, so that user-supplied names are quoted correctly.
func toolCall(tool string, args map[string]any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil { // strings, booleans and numbers only: cannot happen
		panic(err)
	}
	return fmt.Sprintf("`%s` `%s`", tool, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// followUpdate is the step every execution needs: Komodo answers an Update at once, and a
// failed execution still answers HTTP 200, so success is only known from the final Update.
const followUpdate = "The answer carries the execution's `job_id` (the id of Komodo's Update) and its `status` (queued, running, succeeded or failed). With `wait: true` the tool waits for the end; if `status` is still queued or running (the wait was capped), call `komodo_read_GetUpdate` `{\"id\":\"<job_id>\"}` every few seconds until the Update's `status` is Complete. A failed execution is not a tool error: check that `status` is succeeded (`success` true); if not, report `failed_stage` and `stderr_tail` (or the Update's `logs`) to the user and do not go on."

const confirmFirst = "This changes the running system: say what you are about to do and why, and ask the user to confirm before calling it."

func renderServerManagement(args map[string]string) string {
	server, given := args["server"]
	target := "<the server's id or name>"
	if given {
		target = server
	}
	var b strings.Builder
	b.WriteString("Help me manage my Komodo servers")
	if given {
		fmt.Fprintf(&b, ", focusing on the server %q", server)
	}
	b.WriteString(". Follow these steps with the Komodo tools, and report what you find after each one.\n\n")
	if given {
		fmt.Fprintf(&b, "1. List all servers: %s (the list answers `{items, total, page, pageSize}`; use `page` and `page_size` to page through). Find %q in it by id or name; if it is not there, show the user the closest names and stop.\n", toolCall("komodo_read_ListServers", map[string]any{"page": 1, "page_size": 50}), server)
	} else {
		fmt.Fprintf(&b, "1. List all servers: %s (the list answers `{items, total, page, pageSize}`; use `page` and `page_size` to page through, and `status` (running, stopped, error) to filter). Summarise them, and pick out the ones that are not running or report errors; if all are healthy, say so and stop.\n", toolCall("komodo_read_ListServers", map[string]any{"page": 1, "page_size": 50}))
	}
	fmt.Fprintf(&b, "2. Check the server's status: %s. Report its state, address, version and any problem it shows.\n", toolCall("komodo_read_GetServer", map[string]any{"id": target}))
	fmt.Fprintf(&b, "3. Restart only if needed (the server is in error, or the user asked): %s. It restarts the containers on that server (Komodo's RestartAllContainers). %s %s\n", toolCall("komodo_execute_RestartServer", map[string]any{"id": target, "options": map[string]any{"waitForHealthy": true}, "wait": true}), confirmFirst, followUpdate)
	fmt.Fprintf(&b, "4. Verify it is running: %s again, and tell the user whether it is healthy now.\n", toolCall("komodo_read_GetServer", map[string]any{"id": target}))
	return b.String()
}

func renderDeploymentWorkflow(args map[string]string) string {
	dep := args["deployment"]
	force, _ := boolArg(args, "force") // checked before rendering
	deploy := map[string]any{"id": dep, "wait": true}
	if force {
		deploy["options"] = map[string]any{"force": true}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Deploy the Komodo deployment %q and make sure it ends up running. Follow these steps with the Komodo tools, and report what you find after each one.\n\n", dep)
	fmt.Fprintf(&b, "1. Check current deployments: %s (filter with `server_id` or `status`: running, stopped, deploying, failed; page with `page` and `page_size`). Find %q by id or name and note its server and state; if it is not there, show the user the closest names and stop.\n", toolCall("komodo_read_ListDeployments", map[string]any{"page": 1, "page_size": 50}), dep)
	fmt.Fprintf(&b, "2. Read its current configuration: %s. Note the image (or build) it runs and its state, to compare after deploying.\n", toolCall("komodo_read_GetDeployment", map[string]any{"id": dep}))
	fmt.Fprintf(&b, "3. Trigger the deployment: %s", toolCall("komodo_execute_Deploy", deploy))
	if force {
		b.WriteString(" (`options.force` was asked for: deploy even if nothing changed)")
	}
	fmt.Fprintf(&b, ". %s %s\n", confirmFirst, followUpdate)
	fmt.Fprintf(&b, "4. Monitor and verify: %s; its state should be running. Then %s to show it among the running deployments. If it is not running, say what state it is in and what the Update's logs said.\n", toolCall("komodo_read_GetDeployment", map[string]any{"id": dep}), toolCall("komodo_read_ListDeployments", map[string]any{"status": "running"}))
	return b.String()
}

func renderBuildAndDeploy(args map[string]string) string {
	build, dep := args["build"], args["deployment"]
	var b strings.Builder
	fmt.Fprintf(&b, "Build the Komodo build %q and, only if it succeeds, deploy the deployment %q. Follow these steps with the Komodo tools, and report what you find after each one.\n\n", build, dep)
	fmt.Fprintf(&b, "1. Find the build: %s shows its repository and latest version; then %s lists the builds of that repository. If the build does not exist, show the user the closest names and stop.\n", toolCall("komodo_read_GetBuild", map[string]any{"id": build}), toolCall("komodo_read_ListBuilds", map[string]any{"repo_id": "<its repository>"}))
	fmt.Fprintf(&b, "2. Trigger the build: %s. Add `options` only if the user asked for them (`skipCache`, `skipPull`, `forceBuild`); an option Komodo cannot honour is refused with VALIDATION_ERROR naming it - tell the user rather than dropping it silently. %s %s\n", toolCall("komodo_execute_Build", map[string]any{"id": build, "wait": true}), confirmFirst, followUpdate)
	fmt.Fprintf(&b, "3. Monitor the build: %s shows the new version once it is done. If the build failed, stop here: report the failing stage and do not deploy.\n", toolCall("komodo_read_GetBuild", map[string]any{"id": build}))
	fmt.Fprintf(&b, "4. Deploy when ready: first %s - check that it runs this build (its image is the build, not a fixed image); if it does not, tell the user that deploying will not pick up the new version and ask how to go on. Then %s. %s\n", toolCall("komodo_read_GetDeployment", map[string]any{"id": dep}), toolCall("komodo_execute_Deploy", map[string]any{"id": dep, "wait": true}), followUpdate)
	fmt.Fprintf(&b, "5. Verify: %s again; it should be running the new version.\n", toolCall("komodo_read_GetDeployment", map[string]any{"id": dep}))
	return b.String()
}

func renderAlertManagement(args map[string]string) string {
	sev := strings.ToLower(args["severity"])
	if sev == "" {
		sev = "critical"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Help me deal with the %s alerts in Komodo. Follow these steps with the Komodo tools, and report what you find after each one.\n\n", sev)
	fmt.Fprintf(&b, "1. Check for %s unresolved alerts: %s. The list answers `{items, total, page, pageSize}`; if `total` is larger than one page, fetch the next pages with `page`. You can narrow it further with `resource_type` (for example Server or Deployment). If there are none, say so and stop.\n", sev, toolCall("komodo_read_ListAlerts", map[string]any{"severity": sev, "resolved": false, "page": 1, "page_size": 50}))
	fmt.Fprintf(&b, "2. Get the details of each alert (most recent first): %s. Note what it is about (its target resource, type and id) and since when.\n", toolCall("komodo_read_GetAlert", map[string]any{"id": "<the alert's id>"}))
	fmt.Fprintf(&b, "3. Investigate the related resource, based on the alert's target: a server with %s, a deployment with %s, a stack with %s, a build with %s.\n",
		toolCall("komodo_read_GetServer", map[string]any{"id": "<target id>"}), toolCall("komodo_read_GetDeployment", map[string]any{"id": "<target id>"}),
		toolCall("komodo_read_GetStack", map[string]any{"id": "<target id>"}), toolCall("komodo_read_GetBuild", map[string]any{"id": "<target id>"}))
	fmt.Fprintf(&b, "4. Take corrective action: propose the fix that matches the cause, for example %s for an unhealthy server, or %s for a deployment that is down. %s %s\n",
		toolCall("komodo_execute_RestartServer", map[string]any{"id": "<server id>", "options": map[string]any{"waitForHealthy": true}, "wait": true}),
		toolCall("komodo_execute_Deploy", map[string]any{"id": "<deployment id>", "wait": true}), confirmFirst, followUpdate)
	fmt.Fprintf(&b, "5. Verify: %s again; the alert should be resolved (Komodo resolves alerts itself once the condition clears, which can take a minute). Summarise what was found, what was done, and what is still open.\n", toolCall("komodo_read_GetAlert", map[string]any{"id": "<the alert's id>"}))
	return b.String()
}
