package typedtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/komodo"
	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

func TestAuth(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t)
	ctx := context.Background()

	wrong := client(t, s, creds{key: sim.DemoAPIKey, secret: "S-wrong"})
	r, err := wrong.ListServersWithResponse(ctx, komodo.ListServers{})
	if err != nil || r.StatusCode() != 401 || r.JSONDefault == nil || r.JSONDefault.Error == "" {
		t.Errorf("wrong secret: %v %d %s", err, r.StatusCode(), r.Body)
	}
	anon := client(t, s, creds{})
	if r, _ := anon.ListServersWithResponse(ctx, komodo.ListServers{}); r.StatusCode() != 401 {
		t.Errorf("no credentials: HTTP %d", r.StatusCode())
	}
	if r, _ := anon.GetUserWithResponse(ctx); r.StatusCode() != 401 {
		t.Errorf("GET /user without credentials: HTTP %d", r.StatusCode())
	}
	opts := must(anon.GetLoginOptionsWithResponse(ctx, komodo.GetLoginOptions{})).JSON200
	if !opts.Local {
		t.Errorf("login options %+v", opts)
	}
	if r, _ := anon.LoginLocalUserWithResponse(ctx, komodo.LoginLocalUser{Username: sim.DemoUsername, Password: "nope"}); r.StatusCode() != 401 {
		t.Errorf("bad password: HTTP %d", r.StatusCode())
	}
	login := must(anon.LoginLocalUserWithResponse(ctx, komodo.LoginLocalUser{Username: sim.ViewerUsername, Password: sim.ViewerPassword})).JSON200
	jwt, err := login.AsJwtOrTwoFactorJwt()
	if err != nil || jwt.Type != "Jwt" || strings.Count(jwt.Data.Jwt, ".") != 2 {
		t.Fatalf("login: %v %+v", err, jwt)
	}
	viewer := client(t, s, creds{jwt: jwt.Data.Jwt})
	if me := must(viewer.GetUserWithResponse(ctx)).JSON200; me.Username != sim.ViewerUsername {
		t.Errorf("GET /user with JWT: %s", me.Username)
	}
	for _, v := range *must(viewer.ListVariablesWithResponse(ctx, komodo.ListVariables{})).JSON200 {
		if v.IsSecret != nil && *v.IsSecret && !strings.HasPrefix(*v.Value, "###") {
			t.Errorf("secret %s visible to a non-admin: %s", v.Name, *v.Value)
		}
	}
	if r, _ := viewer.DeployWithResponse(ctx, komodo.Deploy{Deployment: "web-frontend"}); r.StatusCode() != 500 || !strings.Contains(string(r.Body), "permissions") {
		t.Errorf("viewer Deploy: HTTP %d %s", r.StatusCode(), r.Body)
	}
	// A token that does not decode is a 500 in Komodo 2.3.2, not a 401.
	if r, _ := client(t, s, creds{jwt: jwt.Data.Jwt + "x"}).GetUserWithResponse(ctx); r.StatusCode() != 500 || !strings.Contains(string(r.Body), "Invalid user credentials") {
		t.Errorf("tampered JWT: HTTP %d %s", r.StatusCode(), r.Body)
	}
	s.RotateJWTSecret() // a Core restart without jwt_secret
	if r, _ := viewer.GetUserWithResponse(ctx); r.StatusCode() != 500 || !strings.Contains(string(r.Body), "Invalid user credentials") {
		t.Errorf("JWT after a restart: HTTP %d %s", r.StatusCode(), r.Body)
	}
}

func TestHMACHeaders(t *testing.T) {
	s := simtest.Start(t, simtest.WithHMAC())
	body := `{}`
	sign := func(secret string, ts int64) map[string]string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte("POST/read/ListServers" + body + strconv.FormatInt(ts, 10)))
		return map[string]string{"x-api-key": "", "x-api-secret": "", "X-Komodo-Api-Key": sim.DemoAPIKey,
			"X-Komodo-Timestamp": strconv.FormatInt(ts, 10), "X-Komodo-Signature": hex.EncodeToString(mac.Sum(nil))}
	}
	now := time.Now().Unix()
	if st, b := doRaw(t, s, "POST", "/read/ListServers", map[string]any{}, sign(sim.DemoAPISecret, now)); st != 200 {
		t.Errorf("signed request: %d %s", st, b)
	}
	if st, _ := doRaw(t, s, "POST", "/read/ListServers", map[string]any{}, sign("wrong", now)); st != 401 {
		t.Errorf("bad signature: %d", st)
	}
	if st, _ := doRaw(t, s, "POST", "/read/ListServers", map[string]any{}, sign(sim.DemoAPISecret, now-3600)); st != 401 {
		t.Errorf("stale timestamp: %d", st)
	}
}

// TestRequestErrors: Komodo's refusals, word for word where serde has words.
func TestRequestErrors(t *testing.T) {
	s := simtest.Start(t)
	cases := []struct {
		name, path string
		body       any
		hdr        map[string]string
		status     int
		contains   string
	}{
		{"not found", "/read/GetServer", map[string]any{"server": "prod-9"}, nil, 500, "Did not find any Server matching prod-9"},
		{"missing field", "/execute/Deploy", map[string]any{"id": "web-frontend"}, nil, 500, "missing field `deployment`"},
		{"wrong type", "/read/GetServer", map[string]any{"server": 5}, nil, 500, "invalid type: integer `5`, expected a string"},
		{"unknown variant", "/read/Foo", map[string]any{}, nil, 500, "unknown variant `Foo`, expected one of `ExportAllResourcesToToml`"},
		{"bad enum", "/write/CreateTag", map[string]any{"name": "x", "color": "Plaid"}, nil, 500, "unknown variant `Plaid`"},
		{"no content-type", "/read/ListServers", map[string]any{}, map[string]string{"Content-Type": ""}, 415, "Content-Type"},
		{"text content-type", "/read/ListServers", map[string]any{}, map[string]string{"Content-Type": "text/plain"}, 415, "Content-Type"},
		{"alias on write refused", "/write/DeleteServer", map[string]any{"name": "prod-1"}, nil, 500, "missing field `id`"},
	}
	for _, tc := range cases {
		st, body := doRaw(t, s, "POST", tc.path, tc.body, tc.hdr)
		var e struct {
			Error string   `json:"error"`
			Trace []string `json:"trace"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Trace == nil {
			t.Errorf("%s: body is not {error, trace}: %s", tc.name, body)
		}
		if st != tc.status || !strings.Contains(e.Error, tc.contains) {
			t.Errorf("%s: HTTP %d %q, want %d containing %q", tc.name, st, e.Error, tc.status, tc.contains)
		}
	}
	// Unknown fields are ignored and Get* reads take the id/name aliases.
	if st, b := doRaw(t, s, "POST", "/read/GetServer", map[string]any{"name": "prod-1", "extra": true}, nil); st != 200 || !strings.Contains(string(b), `"prod-1"`) {
		t.Errorf("alias: %d %s", st, b)
	}
	// The pre-2.3 envelope and renamed operations still answer.
	if st, b := doRaw(t, s, "POST", "/read", map[string]any{"type": "ListServers", "params": map[string]any{}}, nil); st != 200 || !strings.Contains(string(b), "prod-1") {
		t.Errorf("legacy envelope: %d %s", st, b)
	}
	if st, _ := doRaw(t, s, "POST", "/read/ListDockerContainers", map[string]any{"server": "prod-1"}, nil); st != 200 {
		t.Errorf("legacy name: %d", st)
	}
}

func TestFaults(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t)
	c := client(t, s, admin)
	ctx := context.Background()

	s.InjectFault(sim.Fault{Op: "ListServers", Kind: sim.FaultProxy, Status: 503, Times: 2})
	var statuses []int
	for {
		r, err := c.ListServersWithResponse(ctx, komodo.ListServers{})
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, r.StatusCode())
		if r.StatusCode() == 200 {
			break
		}
		if !strings.Contains(string(r.Body), "<html>") {
			t.Errorf("proxy answer is not HTML: %s", r.Body)
		}
	}
	if len(statuses) != 3 || statuses[0] != 503 || s.Count("ListServers") != 3 {
		t.Errorf("statuses %v, count %d", statuses, s.Count("ListServers"))
	}

	s.ResetCounts()
	s.InjectFault(sim.Fault{Op: "Deploy", Kind: sim.FaultKomodo, Message: "Deployment busy", Times: 1})
	r, _ := c.DeployWithResponse(ctx, komodo.Deploy{Deployment: "web-frontend"})
	if r.StatusCode() != 500 || r.JSONDefault == nil || r.JSONDefault.Error != "Deployment busy" {
		t.Errorf("forced 500: %d %s", r.StatusCode(), r.Body)
	}
	if s.Count("Deploy") != 1 {
		t.Errorf("exactly one Deploy should have reached Komodo, got %d", s.Count("Deploy"))
	}

	s.InjectFault(sim.Fault{Op: "GetVersion", Kind: sim.FaultReset, Times: 1})
	if _, err := c.GetVersionWithResponse(ctx, komodo.GetVersion{}); err == nil {
		t.Error("connection reset: no error")
	}
	must(c.GetVersionWithResponse(ctx, komodo.GetVersion{}))

	// Latency: a client that waits less than the injected delay gets no answer; the next
	// call (Times: 1) is served at once.
	s.InjectFault(sim.Fault{Op: "GetCoreInfo", Kind: sim.FaultLatency, Latency: time.Hour, Times: 1})
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if _, err := c.GetCoreInfoWithResponse(short, komodo.GetCoreInfo{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("latency not applied: %v", err)
	}
	cancel()
	must(c.GetCoreInfoWithResponse(ctx, komodo.GetCoreInfo{}))

	// The same through the HTTP control endpoint, for tests against a built binary.
	req, _ := http.NewRequest("POST", s.URL()+"/__sim/faults", strings.NewReader(`{"op":"ListStacks","kind":"proxy","status":504,"times":1}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("control: %v", err)
	}
	if r, _ := c.ListStacksWithResponse(ctx, komodo.ListStacks{}); r.StatusCode() != 504 {
		t.Errorf("control-injected fault: %d", r.StatusCode())
	}
	resp, err := http.Get(s.URL() + "/__sim/counts")
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	_ = json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if counts["ListStacks"] != 1 || counts["Deploy"] != 1 {
		t.Errorf("counts over HTTP: %v", counts)
	}
}

// waitUpdate polls GetUpdate like the official client until the Update is Complete.
func waitUpdate(t testing.TB, c *komodo.ClientWithResponses, id string) (komodo.Update, []string) {
	t.Helper()
	var seen []string
	var last komodo.Update
	eventually.True(t, "update "+id+" complete", func() bool {
		last = *must(c.GetUpdateWithResponse(context.Background(), komodo.GetUpdate{Id: id})).JSON200
		if len(seen) == 0 || seen[len(seen)-1] != string(last.Status) {
			seen = append(seen, string(last.Status))
		}
		return last.Status == "Complete"
	})
	return last, seen
}

func TestExecutionLifecycle(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t, simtest.WithExecDuration(60*time.Millisecond))
	c := client(t, s, admin)
	ctx := context.Background()

	var mu sync.Mutex
	events := map[string]int{}
	defer s.Subscribe(func(ev sim.UpdateEvent) { mu.Lock(); events[ev.Status]++; mu.Unlock() })()

	u := must(c.DeployWithResponse(ctx, komodo.Deploy{Deployment: "worker-queue"})).JSON200
	if u.Status != "Queued" || u.UnderscoreId == nil {
		t.Fatalf("Deploy answered %+v", u)
	}
	final, seen := waitUpdate(t, c, u.UnderscoreId.Oid)
	if !final.Success || len(final.Logs) != 3 || final.Logs[2].Stage != "Deploy Container" || final.EndTs == nil {
		t.Errorf("deploy update %+v", final)
	}
	if seen[0] != "Queued" || seen[len(seen)-1] != "Complete" {
		t.Errorf("statuses seen %v", seen)
	}
	deps := must(c.ListDeploymentsWithResponse(ctx, komodo.ListDeployments{Query: &komodo.DeploymentQuery{Names: &[]string{"worker-queue"}}})).JSON200
	if (*deps)[0].Info.State != "running" {
		t.Errorf("after Deploy: %s", (*deps)[0].Info.State)
	}

	stop := must(c.StopStackWithResponse(ctx, komodo.StopStack{Stack: "monitoring"})).JSON200
	waitUpdate(t, c, stop.UnderscoreId.Oid)
	stacks := must(c.ListStacksWithResponse(ctx, komodo.ListStacks{Query: &komodo.StackQuery{Names: &[]string{"monitoring"}}})).JSON200
	if (*stacks)[0].Info.State != "stopped" {
		t.Errorf("after StopStack: %s", (*stacks)[0].Info.State)
	}

	build := must(c.RunBuildWithResponse(ctx, komodo.RunBuild{Build: "web-frontend"})).JSON200
	done, _ := waitUpdate(t, c, build.UnderscoreId.Oid)
	if done.Version == nil || done.Version.Patch != 3 {
		t.Errorf("RunBuild version %+v", done.Version)
	}

	repoBefore := must(c.GetRepoWithResponse(ctx, komodo.GetRepo{Repo: "infra-ansible"})).JSON200
	pull := must(c.PullRepoWithResponse(ctx, komodo.PullRepo{Repo: "infra-ansible"})).JSON200
	waitUpdate(t, c, pull.UnderscoreId.Oid)
	repoAfter := must(c.GetRepoWithResponse(ctx, komodo.GetRepo{Repo: "infra-ansible"})).JSON200
	if *repoAfter.Info.LatestHash == *repoBefore.Info.LatestHash {
		t.Error("PullRepo did not change the latest hash")
	}

	proc := must(c.RunProcedureWithResponse(ctx, komodo.RunProcedure{Procedure: "restart-monitoring"})).JSON200
	pdone, _ := waitUpdate(t, c, proc.UnderscoreId.Oid)
	if !pdone.Success || len(pdone.Logs) != 2 {
		t.Errorf("procedure %+v", pdone)
	}
	stacks = must(c.ListStacksWithResponse(ctx, komodo.ListStacks{Query: &komodo.StackQuery{Names: &[]string{"monitoring"}}})).JSON200
	if (*stacks)[0].Info.State != "running" {
		t.Errorf("after restart-monitoring: %s", (*stacks)[0].Info.State)
	}
	act := must(c.RunActionWithResponse(ctx, komodo.RunAction{Action: "notify-release"})).JSON200
	if a, _ := waitUpdate(t, c, act.UnderscoreId.Oid); !a.Success {
		t.Errorf("RunAction %+v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	if events["Queued"] == 0 || events["InProgress"] == 0 || events["Complete"] == 0 {
		t.Errorf("subscriber events %v", events)
	}
}

func TestExecutionFailsOnUnhealthyServer(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t, simtest.WithExecDuration(30*time.Millisecond))
	c := client(t, s, admin)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func() (*komodo.Update, int)
		want string
	}{
		{"NotOk", func() (*komodo.Update, int) {
			r := must(c.DeployWithResponse(ctx, komodo.Deploy{Deployment: "edge-proxy"}))
			return r.JSON200, r.StatusCode()
		}, "Failed to get Periphery client"},
		{"Disabled", func() (*komodo.Update, int) {
			r := must(c.StartAllContainersWithResponse(ctx, komodo.StartAllContainers{Server: "lab-1"}))
			return r.JSON200, r.StatusCode()
		}, "disabled"},
	} {
		u, status := tc.run()
		if status != 200 {
			t.Fatalf("%s: HTTP %d", tc.name, status)
		}
		final, _ := waitUpdate(t, c, u.UnderscoreId.Oid)
		last := final.Logs[len(final.Logs)-1]
		if final.Success || last.Stage != "Task Error" || !strings.Contains(last.Stderr, tc.want) {
			t.Errorf("%s: %+v", tc.name, final)
		}
		// Komodo's format_serror markup (lib/formatting/src/lib.rs:38-51), as the web UI gets it.
		if !strings.HasPrefix(last.Stderr, `<span style="color: var(--mantine-color-red-6)">ERROR</span>: `) {
			t.Errorf("%s: Task Error stderr without Komodo's markup: %q", tc.name, last.Stderr)
		}
	}
	if r, _ := c.DeployWithResponse(ctx, komodo.Deploy{Deployment: "nope"}); r.StatusCode() != 500 {
		t.Errorf("unknown deployment: HTTP %d", r.StatusCode())
	}
}

func TestBatchWithAnErrItem(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t, simtest.WithExecDuration(30*time.Millisecond))
	c := client(t, s, admin)
	s.InjectFault(sim.Fault{Op: "Deploy", Kind: sim.FaultKomodo, Message: "Deployment busy", Times: 1})
	items := must(c.BatchDeployWithResponse(context.Background(), komodo.BatchDeploy{Pattern: "api-gateway, web-*"})).JSON200
	if len(*items) != 2 {
		t.Fatalf("batch items: %d", len(*items))
	}
	errItem, err := (*items)[0].AsBatchExecutionResponseItemErrVariant()
	if err != nil || errItem.Status != "Err" || errItem.Data.Name != "api-gateway" || errItem.Data.Error.Error != "Deployment busy" {
		t.Errorf("first item: %v %s", err, bodyOf(must(c.BatchDeployWithResponse(context.Background(), komodo.BatchDeploy{Pattern: "none"}))))
	}
	okItem, err := (*items)[1].AsBatchExecutionResponseItemOk()
	if err != nil || okItem.Status != "Ok" {
		t.Fatalf("second item: %v %+v", err, okItem)
	}
	if u, _ := waitUpdate(t, c, okItem.Data.UnderscoreId.Oid); !u.Success {
		t.Errorf("batched deploy failed: %+v", u)
	}
}

// TestExecutionStagesAppearOneByOne: each log stage reaches subscribers (and so
// /ws/update and GetUpdate) when it completes, not all at the end.
func TestExecutionStagesAppearOneByOne(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t, simtest.WithExecDuration(90*time.Millisecond))
	var mu sync.Mutex
	var seen []string // "status/number of stages"
	defer s.Subscribe(func(ev sim.UpdateEvent) {
		logs := 0 // a slice of the simulator's own log entries
		if v := reflect.ValueOf(ev.Update["logs"]); v.Kind() == reflect.Slice {
			logs = v.Len()
		}
		mu.Lock()
		seen = append(seen, ev.Status+"/"+strconv.Itoa(logs))
		mu.Unlock()
	})()
	c := client(t, s, admin)
	u := must(c.DeployWithResponse(context.Background(), komodo.Deploy{Deployment: "web-frontend"})).JSON200
	final, _ := waitUpdate(t, c, u.UnderscoreId.Oid)
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, " "); got != "Queued/0 InProgress/0 InProgress/1 InProgress/2 Complete/3" {
		t.Errorf("events %s", got)
	}
	for i, l := range final.Logs {
		if l.EndTs < l.StartTs || i > 0 && l.StartTs != final.Logs[i-1].EndTs {
			t.Errorf("stage %d times %d..%d", i, l.StartTs, l.EndTs)
		}
	}
}
