package secrets

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encode(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The record loads against the document, names only types the document has, and lists
// the credential fields the review found.
func TestDefault(t *testing.T) {
	r := Default()
	counts := map[Kind]int{}
	for _, f := range r.Fields() {
		counts[f.Kind]++
	}
	if len(r.Fields()) < 38 || counts[TOML] < 6 || counts[ShownOnce] != 3 || counts[URL] != 5 {
		t.Errorf("record: %d fields, by kind %v", len(r.Fields()), counts)
	}
	if _, err := Load([]byte("NoSuchType:\n  token: secret\n"), nil); err == nil {
		t.Error("a record naming an unknown type loaded")
	}
}

func TestRedact_ByType(t *testing.T) {
	r := Default()
	cases := []struct {
		op, in     string
		want, keep []string
	}{
		{"ListGitProviderAccounts", `[{"_id":{"$oid":"a"},"domain":"github.com","https":true,"username":"bot","token":"ghp_abcdef123456"}]`,
			[]string{`"token":"[redacted]"`}, []string{`"username":"bot"`, `"domain":"github.com"`}},
		{"GetAlerter", `{"name":"slack","config":{"enabled":true,"endpoint":{"type":"Slack","params":{"url":"https://hooks.slack.com/services/T1/B2/abcdefgh"}}}}`,
			[]string{`"url":"https://hooks.slack.com/[redacted]"`}, []string{`"name":"slack"`}},
		{"GetAlerter", `{"config":{"endpoint":{"type":"Pushover","params":{"url":"https://api.pushover.net/1/messages.json?token=aaaa&user=bbbb"}}}}`,
			[]string{`"url":"https://api.pushover.net/[redacted]"`}, nil},
		{"ListVariables", `[{"name":"DB","value":"pw-secret-1","is_secret":true},{"name":"LOG","value":"info","is_secret":false}]`,
			[]string{`"value":"[redacted]"`}, []string{`"value":"info"`}},
		{"GetBuild", `{"name":"b","config":{"secret_args":"NPM_TOKEN=npm_x","webhook_secret":"whsec","build_args":"A=1"}}`,
			[]string{`"secret_args":"[redacted]"`, `"webhook_secret":"[redacted]"`}, []string{`"build_args":"A=1"`}},
		{"UpdateServer", `{"name":"s","config":{"passkey":"pk-1234","address":"https://10.0.0.1:8120"}}`,
			[]string{`"passkey":"[redacted]"`}, []string{`"address":"https://10.0.0.1:8120"`}},
		{"FindUser", `{"username":"u","config":{"type":"Local","data":{"password":"$2b$10$hash"}},"totp":{"secret":"JBSWY3DP","confirmed_at":0,"recovery_codes":["c1c1"]}}`,
			[]string{`"password":"[redacted]"`, `"secret":"[redacted]"`, `"recovery_codes":["[redacted]"]`}, []string{`"username":"u"`}},
		{"InspectDeploymentContainer", `{"Config":{"Env":["POSTGRES_PASSWORD=hunter22","TZ=UTC"],"Image":"postgres"}}`,
			[]string{`"POSTGRES_PASSWORD=[redacted]"`, `"TZ=[redacted]"`}, []string{`"Image":"postgres"`}},
	}
	for _, c := range cases {
		v, _ := r.Redact(c.op, decode(t, c.in))
		out := encode(v)
		for _, w := range append(c.want, c.keep...) {
			if !strings.Contains(out, w) {
				t.Errorf("%s: want %s in %s", c.op, w, out)
			}
		}
	}
}

// A new API key's secret is left as it is and reported as shown once.
func TestRedact_ShownOnce(t *testing.T) {
	v, res := Default().Redact("CreateApiKeyForServiceUser", decode(t, `{"key":"K-1","secret":"S-new-secret"}`))
	if !strings.Contains(encode(v), "S-new-secret") || len(res.ShownOnce) != 1 || res.ShownOnce[0] != "secret" {
		t.Errorf("got %s, shown once %v", encode(v), res.ShownOnce)
	}
}

const exportTOML = `[[server]]
name = "prod-1"
tags = ["prod"]

[server.config]
address = "https://10.0.1.11:8120"
passkey = "pk-legacy-1234"

[[build]]
name = "web"
[build.config]
secret_args = """
NPM_TOKEN=npm_abc
"""
webhook_secret = "whsec-1234"

[[alerter]]
name = "slack"
[alerter.config.endpoint]
type = "Slack"
params.url = "https://hooks.slack.com/services/T1/B2/XYZXYZ"

[[variable]]
name = "DB_PASSWORD"
value = "s3cr3t-pg"
is_secret = true

[[variable]]
name = "DOMAIN"
value = "acme.example"
`

// TOML answers are parsed, redacted by the same record and written back as TOML.
func TestRedact_TOML(t *testing.T) {
	v, res := Default().Redact("ExportAllResourcesToToml", map[string]any{"toml": exportTOML})
	text := v.(map[string]any)["toml"].(string)
	for _, secret := range []string{"pk-legacy-1234", "npm_abc", "whsec-1234", "XYZXYZ", "s3cr3t-pg"} {
		if strings.Contains(text, secret) {
			t.Errorf("%s left in the TOML:\n%s", secret, text)
		}
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("redacted TOML does not parse: %v\n%s", err, text)
	}
	for _, keep := range []string{"https://10.0.1.11:8120", "acme.example", "https://hooks.slack.com/[redacted]", "prod-1"} {
		if !strings.Contains(text, keep) {
			t.Errorf("%s lost from the TOML:\n%s", keep, text)
		}
	}
	if len(res.Values) < 5 {
		t.Errorf("found values %v", res.Values)
	}
	// The same for an Update's prev_toml and a sync's pending diff.
	u, _ := Default().RedactType("Update", map[string]any{"prev_toml": exportTOML, "current_toml": "not = [valid"})
	um := u.(map[string]any)
	if strings.Contains(um["prev_toml"].(string), "whsec-1234") || um["current_toml"] != Redaction {
		t.Errorf("Update TOML: %v", um)
	}
	sync, _ := Default().Redact("GetResourceSync", decode(t, `{"info":{"resource_updates":[{"target":{"type":"Build","id":"x"},"data":{"type":"Update","data":{"proposed":"[[build]]\nname = \"w\"\n[build.config]\nwebhook_secret = \"whsec-9999\"\n","current":""}}}]}}`))
	if strings.Contains(encode(sync), "whsec-9999") {
		t.Errorf("sync diff: %s", encode(sync))
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T/B/X":        "https://hooks.slack.com/[redacted]",
		"http://localhost:8080":                         "http://localhost:8080",
		"http://localhost:8080/":                        "http://localhost:8080/",
		"https://user:pw@ntfy.example/topic":            "https://ntfy.example/[redacted]",
		"https://api.pushover.net/1/x.json?token=a&u=b": "https://api.pushover.net/[redacted]",
		"not a url": Redaction,
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// The credentials a request carries are found by type, for the errors about it.
func TestRequestValues(t *testing.T) {
	args := map[string]any{"account": map[string]any{"domain": "github.com", "username": "bot", "token": "ghp_given123"}}
	got := Default().RequestValues("CreateGitProviderAccount", args)
	if len(got) != 1 || got[0] != "ghp_given123" {
		t.Errorf("got %v", got)
	}
	if args["account"].(map[string]any)["token"] != "ghp_given123" {
		t.Error("the arguments were changed")
	}
	alerter := map[string]any{"id": "a", "config": map[string]any{"endpoint": map[string]any{"type": "Slack", "params": map[string]any{"url": "https://hooks.slack.com/services/A/B/C"}}}}
	if got := Default().RequestValues("UpdateAlerter", alerter); len(got) != 1 {
		t.Errorf("UpdateAlerter: got %v", got)
	}
}
