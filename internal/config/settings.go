package config

// Group says which commands a setting concerns, so that each command's help shows only the
// flags it reads.
type Group uint8

// The groups of settings.
const (
	Komodo    Group = 1 << iota // reaching Komodo: address, credentials, retries, timeout, demo
	Selection                   // which tools are offered
	Execution                   // how tools run
	Serving                     // how MCP is served (stdio or HTTP)
	Common                      // every command: logs, the .env file

	AllGroups = Komodo | Selection | Execution | Serving | Common
)

// envOnlyDefs are the settings without a flag: credentials, read only from the environment,
// the .env file or (file) a file named by the matching *_FILE variable.
var envOnlyDefs = []struct {
	env, usage string
	file       bool
	group      Group
}{
	{envAPIKey, "API key created in Komodo (api-key and hmac modes)", true, Komodo},
	{envAPISecret, "its secret, shown once when the key was created (api-key and hmac modes)", true, Komodo},
	{envUsername, "user to log in as (jwt mode)", false, Komodo},
	{envPassword, "that user's password (jwt mode)", true, Komodo},
	{envJWT, "a token to use instead of, or before, logging in (jwt mode)", true, Komodo},
}

// Setting describes one setting for help texts and documentation.
type Setting struct {
	Env         string // environment variable, e.g. KOMODO_URL
	File        string // the variable naming a file to read the value from, e.g. KOMODO_API_SECRET_FILE; empty when none
	Flag        string // flag name without dashes, e.g. "url"; empty for settings read only from the environment
	Placeholder string // the value's name in help texts, e.g. URL; empty for a boolean
	Usage       string // what it means, its values and default
	Group       Group
}

// Settings lists every setting: those with a flag in flag order, then those read only from
// the environment (credentials, never on a command line because other users can see it).
func Settings() []Setting {
	out := make([]Setting, 0, len(flagDefs)+len(envOnlyDefs))
	for _, d := range flagDefs {
		placeholder, usage := unquoteUsage(d.usage)
		if d.isBool {
			placeholder = ""
		}
		out = append(out, Setting{Env: d.env, Flag: d.name, Placeholder: placeholder, Usage: usage, Group: d.group})
	}
	for _, d := range envOnlyDefs {
		s := Setting{Env: d.env, Usage: d.usage, Group: d.group}
		if d.file {
			s.File = d.env + "_FILE"
		}
		out = append(out, s)
	}
	return out
}

// unquoteUsage splits a usage text into the word in backquotes and the text without the
// backquotes, like flag.UnquoteUsage.
func unquoteUsage(usage string) (name, text string) {
	for i := 0; i < len(usage); i++ {
		if usage[i] != '`' {
			continue
		}
		for j := i + 1; j < len(usage); j++ {
			if usage[j] == '`' {
				return usage[i+1 : j], usage[:i] + usage[i+1:j] + usage[j+1:]
			}
		}
		break
	}
	return "", usage
}

// desktopTitles are the names the Claude Desktop extension (tools/mcpb, manifest.json's
// user_config) shows for the settings it asks for: a configuration error names the setting
// that way too, since that is where the person changes it.
var desktopTitles = map[string]string{
	envURL:             "Komodo URL",
	envAPIKey:          "API key",
	envAPISecret:       "API secret",
	"KOMODO_TOOLSETS":  "Toolsets",
	"KOMODO_READ_ONLY": "Read-only",
}

// DesktopTitle is the title the Claude Desktop extension shows for the setting env (an
// environment variable, e.g. KOMODO_URL), or "" when the extension does not ask for it.
func DesktopTitle(env string) string { return desktopTitles[env] }
