package shape

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// The defaults come from Komodo's facts, by the config type of the operation's answer.
func TestConfigDefaults(t *testing.T) {
	for op, want := range map[string]map[string]any{
		"GetServer":           {"cpu_warning": 90.0, "send_cpu_alerts": true, "stats_monitoring": true, "enabled": false},
		"ListFullServers":     {"cpu_warning": 90.0},
		"GetStack":            {"branch": "main", "git_provider": "github.com", "env_file_path": ".env"},
		"GetDeployment":       {"network": "host", "replicas": 1.0, "termination_signal": "SIGTERM", "restart": "no"}, // enums: their default variant
		"UpdateBuild":         {"dockerfile_path": "Dockerfile"},
		"GetProcedure":        {"schedule_enabled": true},
		"ListFullDeployments": {"termination_timeout": 10.0},
	} {
		got := configDefaults(op)
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s: default of %s is %#v, want %#v", op, k, got[k], v)
			}
		}
	}
	for _, op := range []string{"ListServers", "GetSystemStats", "ListAlerts", "GetUpdate"} {
		if d := configDefaults(op); d != nil {
			t.Errorf("%s answers no resource config, has defaults %v", op, d)
		}
	}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A compact GetServer leaves out configuration at Komodo's defaults and keeps what was
// changed, the state and the error; raw and fields keep every default.
func TestRead_ConfigDefaults(t *testing.T) {
	tool, ok := catalog.ByName("komodo_read_GetServer")
	if !ok {
		t.Fatal("no komodo_read_GetServer")
	}
	const answer = `{"_id":{"$oid":"s1"},"name":"edge-1","config":{"address":"https://10.0.3.7:8120","enabled":true,"cpu_warning":90,"cpu_critical":80,
		"send_cpu_alerts":true,"send_mem_alerts":false,"stats_monitoring":true,"passkey":"[redacted]"},
		"info":{"state":"NotOk","err":{"error":"Failed to connect to Periphery"},"public_key":"MCow"}}`
	ctx := context.Background()
	shaped := func(args map[string]any) string {
		t.Helper()
		sh, bad := Of(tool, args, nil)
		if bad != nil {
			t.Fatal(bad)
		}
		b, _ := json.Marshal(sh.Wrapped(ctx, tool.ResultWrap, decodeJSON(t, answer)))
		return string(b)
	}
	want := `{"_id":{"$oid":"s1"},"config":{"address":"https://10.0.3.7:8120","cpu_critical":80,"enabled":true,"passkey":"[redacted]"},` +
		`"info":{"err":{"error":"Failed to connect to Periphery"},"state":"NotOk"},"name":"edge-1"}`
	if got := shaped(map[string]any{}); got != want {
		t.Errorf("compact:\n got  %s\n want %s", got, want)
	}
	raw, _ := json.Marshal(decodeJSON(t, answer))
	if got := shaped(map[string]any{"raw": true}); got != string(raw) {
		t.Errorf("raw changed:\n got  %s\n want %s", got, raw)
	}
	if got := shaped(map[string]any{"fields": []any{"cpu_warning", "send_cpu_alerts"}}); got != `{"config":{"cpu_warning":90,"send_cpu_alerts":true}}` {
		t.Errorf("fields: %s", got)
	}
}
