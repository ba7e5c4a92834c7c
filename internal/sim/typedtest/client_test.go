package typedtest

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/komodo"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

type creds struct{ key, secret, jwt string }

var admin = creds{key: sim.DemoAPIKey, secret: sim.DemoAPISecret}

func client(t testing.TB, s *sim.Server, c creds) *komodo.ClientWithResponses {
	t.Helper()
	cl, err := komodo.NewClientWithResponses(s.URL(),
		komodo.WithHTTPClient(&http.Client{Transport: validatingTransport{t}, Timeout: 10 * time.Second}),
		komodo.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if c.key != "" {
				req.Header.Set("x-api-key", c.key)
				req.Header.Set("x-api-secret", c.secret)
			}
			if c.jwt != "" {
				req.Header.Set("authorization", c.jwt)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func ptr[T any](v T) *T { return &v }

// checkFailure carries a failed check out of must to guard, which fails the test.
type checkFailure string

// must returns a typed answer, failing the test (through guard) unless it is a 200.
func must[R interface{ StatusCode() int }](r R, err error) R {
	if err != nil {
		panic(checkFailure(err.Error()))
	}
	if r.StatusCode() != http.StatusOK {
		panic(checkFailure(fmt.Sprintf("HTTP %d: %s", r.StatusCode(), bodyOf(r))))
	}
	return r
}

func bodyOf(r any) []byte {
	v := reflect.ValueOf(r)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if f := v.FieldByName("Body"); f.IsValid() {
		return f.Bytes()
	}
	return nil
}

// guard turns a must failure into t.Fatal; defer it first in every test using must.
func guard(t testing.TB) {
	if r := recover(); r != nil {
		if f, ok := r.(checkFailure); ok {
			t.Helper()
			t.Fatal(string(f))
		}
		panic(r)
	}
}

func TestClient_ReadsTheSeededWorld(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t)
	c := client(t, s, admin)
	ctx := context.Background()

	servers := must(c.ListServersWithResponse(ctx, komodo.ListServers{})).JSON200
	states := map[string]string{}
	for _, srv := range *servers {
		states[srv.Name] = string(srv.Info.State)
	}
	want := map[string]string{"prod-1": "Ok", "prod-2": "Ok", "edge-1": "NotOk", "lab-1": "Disabled"}
	for name, st := range want {
		if states[name] != st {
			t.Errorf("server %s state %q, want %q", name, states[name], st)
		}
	}
	srv := must(c.GetServerWithResponse(ctx, komodo.GetServer{Server: "prod-1"})).JSON200
	if srv.UnderscoreId == nil || len(srv.UnderscoreId.Oid) != 24 || srv.Name != "prod-1" {
		t.Errorf("GetServer: %+v", srv)
	}
	byID := must(c.GetServerWithResponse(ctx, komodo.GetServer{Server: srv.UnderscoreId.Oid})).JSON200
	if byID.Name != "prod-1" {
		t.Errorf("GetServer by id: %s", byID.Name)
	}
	deps := must(c.ListDeploymentsWithResponse(ctx, komodo.ListDeployments{})).JSON200
	depStates := map[string]bool{}
	for _, d := range *deps {
		depStates[string(d.Info.State)] = true
	}
	for _, st := range []string{"running", "exited", "not_deployed", "restarting"} {
		if !depStates[st] {
			t.Errorf("no deployment in state %s", st)
		}
	}
	stacks := must(c.ListStacksWithResponse(ctx, komodo.ListStacks{})).JSON200
	if len(*stacks) < 3 || len((*stacks)[0].Info.Services) == 0 {
		t.Errorf("stacks: %+v", *stacks)
	}
	counts := map[string]int{
		"builds":     len(*must(c.ListBuildsWithResponse(ctx, komodo.ListBuilds{})).JSON200),
		"repos":      len(*must(c.ListReposWithResponse(ctx, komodo.ListRepos{})).JSON200),
		"procedures": len(*must(c.ListProceduresWithResponse(ctx, komodo.ListProcedures{})).JSON200),
		"actions":    len(*must(c.ListActionsWithResponse(ctx, komodo.ListActions{})).JSON200),
		"builders":   len(*must(c.ListBuildersWithResponse(ctx, komodo.ListBuilders{})).JSON200),
		"alerters":   len(*must(c.ListAlertersWithResponse(ctx, komodo.ListAlerters{})).JSON200),
		"tags":       len(*must(c.ListTagsWithResponse(ctx, komodo.ListTags{})).JSON200),
		"full":       len(*must(c.ListFullServersWithResponse(ctx, komodo.ListFullServers{})).JSON200),
		"users":      len(*must(c.ListUsersWithResponse(ctx, komodo.ListUsers{})).JSON200),
		"services":   len(*must(c.ListStackServicesWithResponse(ctx, komodo.ListStackServices{Stack: "monitoring"})).JSON200),
	}
	for what, n := range counts {
		if n < 2 {
			t.Errorf("%s: %d", what, n)
		}
	}
	alerts := must(c.ListAlertsWithResponse(ctx, komodo.ListAlerts{})).JSON200
	levels := map[string]bool{}
	resolved := 0
	for _, a := range alerts.Alerts {
		levels[string(a.Level)] = true
		if a.Resolved {
			resolved++
		}
	}
	if len(levels) != 3 || resolved == 0 || resolved == len(alerts.Alerts) {
		t.Errorf("alerts: levels %v, %d of %d resolved", levels, resolved, len(alerts.Alerts))
	}
	updates := must(c.ListUpdatesWithResponse(ctx, komodo.ListUpdates{})).JSON200
	if len(updates.Updates) < 10 || updates.NextPage != nil {
		t.Errorf("updates: %d, next %v", len(updates.Updates), updates.NextPage)
	}
	vars := must(c.ListVariablesWithResponse(ctx, komodo.ListVariables{})).JSON200
	for _, v := range *vars {
		if v.Name == "DB_PASSWORD" && (v.Value == nil || *v.Value != "s3cr3t-pg-Pa55") {
			t.Errorf("admin should see the secret value, got %v", v.Value)
		}
	}
	if v := must(c.GetVersionWithResponse(ctx, komodo.GetVersion{})).JSON200; v.Version != sim.DefaultVersion() {
		t.Errorf("version %q", v.Version)
	}
	if info := must(c.GetCoreInfoWithResponse(ctx, komodo.GetCoreInfo{})).JSON200; info.DefaultPaginationLimit != sim.DefaultPaginationLimit {
		t.Errorf("core info %+v", info)
	}
	sum := must(c.GetServersSummaryWithResponse(ctx, komodo.GetServersSummary{})).JSON200
	if sum.Total != 4 || sum.Healthy != 2 || sum.Unhealthy != 1 || sum.Disabled != 1 {
		t.Errorf("servers summary %+v", sum)
	}
	dsum := must(c.GetDeploymentsSummaryWithResponse(ctx, komodo.GetDeploymentsSummary{})).JSON200
	if dsum.Running != 2 || dsum.NotDeployed != 1 || dsum.Total != 6 {
		t.Errorf("deployments summary %+v", dsum)
	}
	logs := must(c.GetDeploymentLogWithResponse(ctx, komodo.GetDeploymentLog{Deployment: "web-frontend", Tail: ptr[komodo.U64](10)})).JSON200
	if !logs.Success || logs.Stdout == "" {
		t.Errorf("log %+v", logs)
	}
	me := must(c.GetUserWithResponse(ctx)).JSON200
	if me.Username != sim.DemoUsername {
		t.Errorf("GET /user: %s", me.Username)
	}
	if u := must(c.FindUserWithResponse(ctx, komodo.FindUser{User: "viewer"})).JSON200; u.Username != "viewer" {
		t.Errorf("FindUser: %s", u.Username)
	}
	text := must(c.GetCoreVersionTextWithResponse(ctx))
	if string(text.Body) != sim.DefaultVersion() {
		t.Errorf("GET /version: %q", text.Body)
	}
}

func TestClient_ListPaginationAndQuery(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t)
	c := client(t, s, admin)
	ctx := context.Background()
	names := func(req komodo.ListDeployments) []string {
		var out []string
		for _, d := range *must(c.ListDeploymentsWithResponse(ctx, req)).JSON200 {
			out = append(out, d.Name)
		}
		return out
	}
	all := names(komodo.ListDeployments{Limit: ptr[komodo.U64](0)})
	if len(all) != 6 {
		t.Fatalf("limit 0: %v", all)
	}
	p0 := names(komodo.ListDeployments{Limit: ptr[komodo.U64](4)})
	p1 := names(komodo.ListDeployments{Limit: ptr[komodo.U64](4), Page: ptr[komodo.U64](1)})
	p2 := names(komodo.ListDeployments{Limit: ptr[komodo.U64](4), Page: ptr[komodo.U64](2)})
	if len(p0) != 4 || len(p1) != 2 || len(p2) != 0 || p0[0] != all[0] || p1[0] != all[4] {
		t.Errorf("pages %v %v %v of %v", p0, p1, p2, all)
	}
	tagged := names(komodo.ListDeployments{Query: &komodo.DeploymentQuery{Tags: &[]string{"infra"}}})
	if strings.Join(tagged, ",") != "postgres-backup,redis-cache" {
		t.Errorf("tag query: %v", tagged)
	}
	named := names(komodo.ListDeployments{Query: &komodo.DeploymentQuery{Names: &[]string{"api-gateway"}}})
	if len(named) != 1 {
		t.Errorf("names query: %v", named)
	}
}

func TestClient_CreateUpdateRenameCopyDelete(t *testing.T) {
	defer guard(t)
	s := simtest.Start(t)
	c := client(t, s, admin)
	ctx := context.Background()
	created := must(c.CreateServerWithResponse(ctx, komodo.CreateServer{Name: "prod-3", Config: &komodo.PartialServerConfig{Address: ptr("https://10.0.1.13:8120"), Enabled: ptr(true)}})).JSON200
	id := created.UnderscoreId.Oid
	if dup, _ := c.CreateServerWithResponse(ctx, komodo.CreateServer{Name: "prod-3"}); dup.StatusCode() != 500 {
		t.Errorf("duplicate name: HTTP %d", dup.StatusCode())
	}
	updated := must(c.UpdateServerWithResponse(ctx, komodo.UpdateServer{Id: id, Config: komodo.PartialServerConfig{Region: ptr("us-east")}})).JSON200
	if *updated.Config.Region != "us-east" || *updated.Config.Address != "https://10.0.1.13:8120" {
		t.Errorf("update merged wrongly: %+v", updated.Config)
	}
	must(c.RenameServerWithResponse(ctx, komodo.RenameServer{Id: id, Name: "prod-3b"}))
	cp := must(c.CopyServerWithResponse(ctx, komodo.CopyServer{Id: "prod-3b", Name: "prod-4"})).JSON200
	if *cp.Config.Region != "us-east" {
		t.Errorf("copy lost config")
	}
	must(c.DeleteServerWithResponse(ctx, komodo.DeleteServer{Id: "prod-3b"}))
	if r, _ := c.GetServerWithResponse(ctx, komodo.GetServer{Server: "prod-3b"}); r.StatusCode() != 500 {
		t.Errorf("deleted server still there")
	}
	must(c.CreateTagWithResponse(ctx, komodo.CreateTag{Name: "blue-green"}))
	must(c.CreateVariableWithResponse(ctx, komodo.CreateVariable{Name: "API_TOKEN", Value: ptr("t0k3n"), IsSecret: ptr(true)}))
	must(c.UpdateVariableValueWithResponse(ctx, komodo.UpdateVariableValue{Name: "API_TOKEN", Value: "t0k3n-2"}))
	if v := must(c.GetVariableWithResponse(ctx, komodo.GetVariable{Name: "API_TOKEN"})).JSON200; *v.Value != "t0k3n-2" {
		t.Errorf("variable value %v", *v.Value)
	}
	must(c.DeleteVariableWithResponse(ctx, komodo.DeleteVariable{Name: "API_TOKEN"}))
	dep := must(c.CreateDeploymentWithResponse(ctx, komodo.CreateDeployment{Name: "new-app"})).JSON200
	if dep.Name != "new-app" {
		t.Errorf("CreateDeployment %+v", dep)
	}
}
