package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// listNames posts a List* request and returns the names it answers (fails unless 200).
func listNames(t *testing.T, s *Server, op string, body map[string]any) []string {
	t.Helper()
	st, data := doRaw(t, s, http.MethodPost, "/read/"+op, body, nil)
	if st != http.StatusOK {
		t.Fatalf("%s %v: HTTP %d %s", op, body, st, data)
	}
	var items []struct{ Name string }
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v in %s", op, err, data)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

// TestResourceQuery: every part of a ResourceQuery filters (specific.*, names, terms,
// tags, templates), as Komodo's AddFilters do; nothing is silently ignored.
func TestResourceQuery(t *testing.T) {
	s := Start(t)
	s.mu.Lock()
	prod2 := s.w.find("Server", "prod-2").ID
	prod1 := s.w.find("Server", "prod-1").ID
	api := s.w.find("Deployment", "api-gateway").ID
	s.mu.Unlock()
	q := func(query map[string]any) map[string]any { return map[string]any{"query": query} }
	tests := []struct {
		name string
		op   string
		body map[string]any
		want []string
	}{
		{"stacks by server id", "ListStacks", q(map[string]any{"specific": map[string]any{"server_ids": []any{prod2}}}), []string{"immich", "wiki"}},
		{"stacks by state", "ListStacks", q(map[string]any{"specific": map[string]any{"states": []any{"running", "down"}}}), []string{"monitoring", "wiki"}},
		{"deployments by server and state", "ListDeployments", q(map[string]any{"specific": map[string]any{"server_ids": []any{prod1}, "states": []any{"running"}}}), []string{"web-frontend"}},
		{"a server name is not a server id", "ListStacks", q(map[string]any{"specific": map[string]any{"server_ids": []any{"prod-2"}}}), nil},
		{"names", "ListDeployments", q(map[string]any{"names": []any{"api-gateway", "redis-cache"}}), []string{"api-gateway", "redis-cache"}},
		{"an id in names", "ListDeployments", q(map[string]any{"names": []any{api}}), []string{"api-gateway"}},
		// Komodo puts ids in an _id $in and names in a name $in, and both must hold.
		{"an id and another name", "ListDeployments", q(map[string]any{"names": []any{api, "redis-cache"}}), nil},
		{"terms", "ListDeployments", q(map[string]any{"terms": []any{"RE"}}), []string{"postgres-backup", "redis-cache"}},
		{"tags all", "ListDeployments", q(map[string]any{"tags": []any{"prod", "infra"}}), []string{"redis-cache"}},
		{"tags any", "ListStacks", q(map[string]any{"tags": []any{"edge", "staging"}, "tag_behavior": "Any"}), []string{"traefik", "wiki"}},
		{"templates only", "ListDeployments", q(map[string]any{"templates": "Only"}), nil},
		{"templates excluded", "ListDeployments", q(map[string]any{"templates": "Exclude", "names": []any{"edge-proxy"}}), []string{"edge-proxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listNames(t, s, tt.op, tt.body)
			slices.Sort(got)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%s: got %v, want %v", tt.op, got, tt.want)
			}
		})
	}

	st, data := doRaw(t, s, http.MethodPost, "/read/ListStacks", q(map[string]any{"tags": []any{"nope"}}), nil)
	if st != 500 || !strings.Contains(string(data), "No tag found matching name or id: nope") {
		t.Errorf("unknown tag: HTTP %d %s", st, data)
	}
}

func TestDefaultPageLimitIs50(t *testing.T) {
	s := Start(t)
	s.mu.Lock()
	for i := range 60 {
		s.w.newResource(s.sp, "Alerter", "extra-"+string(rune('a'+i/26))+string(rune('a'+i%26)), nil)
	}
	total := len(s.w.list("Alerter"))
	s.mu.Unlock()
	if n := len(listNames(t, s, "ListAlerters", map[string]any{})); n != 50 {
		t.Errorf("no limit: %d items, want Komodo's default_pagination_limit 50", n)
	}
	if n := len(listNames(t, s, "ListAlerters", map[string]any{"limit": 0})); n != total {
		t.Errorf("limit 0: %d items, want all %d", n, total)
	}
}

// TestUpdatesAndAlertsQuery: ListUpdates and ListAlerts filter with Mongo operators on the
// stored documents; an operator the simulator does not evaluate is refused in Komodo's shape.
func TestUpdatesAndAlertsQuery(t *testing.T) {
	s := Start(t)
	s.mu.Lock()
	var startTS []float64
	for _, u := range s.w.updates {
		startTS = append(startTS, float64(u.StartTS))
	}
	nUpdates := len(s.w.updates)
	s.mu.Unlock()
	slices.Sort(startTS)
	mid := startTS[len(startTS)/2]
	wantSince := 0
	for _, ts := range startTS {
		if ts >= mid {
			wantSince++
		}
	}
	updates := func(query map[string]any) ([]map[string]any, int, string) {
		t.Helper()
		st, data := doRaw(t, s, http.MethodPost, "/read/ListUpdates", map[string]any{"query": query}, nil)
		var out struct{ Updates []map[string]any }
		_ = json.Unmarshal(data, &out)
		return out.Updates, st, string(data)
	}
	if got, st, body := updates(map[string]any{"start_ts": map[string]any{"$gte": mid}}); st != 200 || len(got) != wantSince || wantSince == 0 || wantSince == nUpdates {
		t.Errorf("start_ts $gte: %d updates (HTTP %d %s), want %d of %d", len(got), st, body, wantSince, nUpdates)
	}
	if got, _, _ := updates(map[string]any{"start_ts": map[string]any{"$lt": mid}}); len(got) != nUpdates-wantSince {
		t.Errorf("start_ts $lt: %d updates, want %d", len(got), nUpdates-wantSince)
	}
	got, _, _ := updates(map[string]any{"operation": map[string]any{"$in": []any{"CreateServer", "DeployStack"}}, "target.type": "Server"})
	for _, u := range got {
		if u["operation"] != "CreateServer" {
			t.Errorf("operation $in with target.type Server: %v", u)
		}
	}
	if len(got) == 0 {
		t.Error("operation $in: nothing")
	}
	if got, _, _ := updates(map[string]any{"$or": []any{map[string]any{"success": false}, map[string]any{"status": "InProgress"}}}); len(got) == 0 || len(got) == nUpdates {
		t.Errorf("$or: %d of %d updates", len(got), nUpdates)
	}
	if got, st, body := updates(map[string]any{"logs": map[string]any{"$elemMatch": map[string]any{"success": false}}}); st != 500 ||
		!strings.Contains(body, `"error":"failed to pull updates from db"`) || !strings.Contains(body, "$elemMatch") || got != nil {
		t.Errorf("unimplemented operator: HTTP %d %s, want Komodo's 500 naming it", st, body)
	}

	st, data := doRaw(t, s, http.MethodPost, "/read/ListAlerts", map[string]any{"query": map[string]any{
		"resolved": false, "level": map[string]any{"$in": []any{"CRITICAL"}}}}, nil)
	var alerts struct{ Alerts []map[string]any }
	_ = json.Unmarshal(data, &alerts)
	if st != 200 || len(alerts.Alerts) == 0 {
		t.Fatalf("ListAlerts: HTTP %d %s", st, data)
	}
	for _, a := range alerts.Alerts {
		if a["resolved"] != false || a["level"] != "CRITICAL" {
			t.Errorf("alert outside the query: %v", a)
		}
	}
	if st, data := doRaw(t, s, http.MethodPost, "/read/ListAlerts", map[string]any{"query": map[string]any{"$where": "1"}}, nil); st != 500 || !strings.Contains(string(data), "$where") {
		t.Errorf("unimplemented top-level operator: HTTP %d %s", st, data)
	}
}

func TestGetUpdateUnknownID(t *testing.T) {
	s := Start(t)
	if st, data := doRaw(t, s, http.MethodPost, "/read/GetUpdate", map[string]any{"id": "66ffffffffffffffffffffff"}, nil); st != 500 || !strings.Contains(string(data), "no update exists with given id") {
		t.Errorf("unknown ObjectId: HTTP %d %s", st, data)
	}
	if st, data := doRaw(t, s, http.MethodPost, "/read/GetUpdate", map[string]any{"id": "job-1"}, nil); st != 500 || !strings.Contains(string(data), "id is not ObjectId") {
		t.Errorf("not an ObjectId: HTTP %d %s", st, data)
	}
}

// TestDeployStackIfChanged_NoUpdateID: the answer is an Update Komodo never stores (no _id,
// InProgress, operation DeployStack); only a changed stack gets a DeployStack update.
func TestDeployStackIfChanged_NoUpdateID(t *testing.T) {
	s := Start(t, WithExecDuration(30*time.Millisecond))
	count := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.w.updates)
	}
	for _, tc := range []struct {
		stack   string
		started int
	}{{"monitoring", 0}, {"wiki", 1}} {
		before := count()
		st, data := doRaw(t, s, http.MethodPost, "/execute/DeployStackIfChanged", map[string]any{"stack": tc.stack}, nil)
		var u map[string]any
		_ = json.Unmarshal(data, &u)
		if _, hasID := u["_id"]; st != 200 || hasID || u["status"] != "InProgress" || u["operation"] != "DeployStack" {
			t.Errorf("%s: HTTP %d %s", tc.stack, st, data)
		}
		if n := count() - before; n != tc.started {
			t.Errorf("%s: %d updates stored, want %d", tc.stack, n, tc.started)
		}
	}
}

// TestUnitInfoIsNull: Procedure, Alerter and Builder are Resource<_, ()> in Rust: info is null.
func TestUnitInfoIsNull(t *testing.T) {
	s := Start(t)
	for _, kind := range []string{"Procedure", "Alerter", "Builder"} {
		s.mu.Lock()
		name := s.w.list(kind)[0].Name
		s.mu.Unlock()
		st, data := doRaw(t, s, http.MethodPost, "/read/Get"+kind, map[string]any{strings.ToLower(kind): name}, nil)
		var got map[string]any
		_ = json.Unmarshal(data, &got)
		if info, ok := got["info"]; st != 200 || !ok || info != nil {
			t.Errorf("Get%s %s: HTTP %d info=%v, want null", kind, name, st, got["info"])
		}
	}
}
