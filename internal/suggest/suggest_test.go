package suggest

import (
	"reflect"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"api-gateway", "web-frontend", "worker-queue", "redis-cache", "edge-proxy", "postgres-backup"}
	cases := []struct {
		q    string
		want []string
	}{
		{"api", []string{"api-gateway"}},
		{"API_Gateway", []string{"api-gateway"}},
		{"web-frontnd", []string{"web-frontend"}},
		{"redis", []string{"redis-cache"}},
		{"e", []string{"edge-proxy", "api-gateway", "redis-cache"}}, // shortest containing first
		{"kubernetes", nil},
		{"", nil},
	}
	for _, tc := range cases {
		if got := Closest(tc.q, names, 3); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Closest(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestClosest_ToolNames(t *testing.T) {
	tools := []string{"komodo_read_ListUpdates", "komodo_read_GetUpdate", "komodo_read_ListUsers", "komodo_execute_Deploy"}
	got := Closest("komodo_read_ListUpdate", tools, 2)
	if len(got) == 0 || got[0] != "komodo_read_ListUpdates" {
		t.Fatalf("got %v", got)
	}
}

func TestDidYouMean(t *testing.T) {
	verbs := []string{"serve", "tools", "call", "doctor", "sim", "version", "help"}
	cases := map[string]string{
		"tool":    ` (did you mean "tools"?)`,
		"doctro":  ` (did you mean "doctor"?)`,
		"VERSION": ` (did you mean "version"?)`,
		"deploy":  "",
	}
	for q, want := range cases {
		if got := DidYouMean(q, verbs); got != want {
			t.Errorf("DidYouMean(%q) = %q, want %q", q, got, want)
		}
	}
}
