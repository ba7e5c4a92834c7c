package komodo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/komodo"
)

// recorded is one request as the fake Komodo received it.
type recorded struct {
	method, path, contentType string
	header                    http.Header
	body                      []byte
}

// fakeKomodo answers every request with status and body, and records the request. It is
// mounted under /komodo so that absolute-path bugs in the client show up.
func fakeKomodo(t *testing.T, status int, body []byte) (url string, got *recorded) {
	t.Helper()
	got = &recorded{}
	srv := httptest.NewServer(http.StripPrefix("/komodo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = recorded{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type"), header: r.Header.Clone(), body: b}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	})))
	t.Cleanup(srv.Close)
	return srv.URL + "/komodo", got
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newClient(t *testing.T, url string, opts ...komodo.ClientOption) *komodo.ClientWithResponses {
	t.Helper()
	c, err := komodo.NewClientWithResponses(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClient_WireFormat checks that the client sends exactly what Komodo expects.
func TestClient_WireFormat(t *testing.T) {
	ctx := context.Background()
	limit, page := komodo.U64(10), komodo.U64(2)
	cases := []struct {
		name     string
		call     func(c *komodo.ClientWithResponses) error
		path     string
		wantBody string
	}{
		{"ListServers", func(c *komodo.ClientWithResponses) error {
			_, err := c.ListServersWithResponse(ctx, komodo.ListServers{Limit: &limit, Page: &page})
			return err
		}, "/read/ListServers", `{"limit":10,"page":2}`},
		{"ListServers empty", func(c *komodo.ClientWithResponses) error {
			_, err := c.ListServersWithResponse(ctx, komodo.ListServers{})
			return err
		}, "/read/ListServers", `{}`},
		{"GetDeployment", func(c *komodo.ClientWithResponses) error {
			_, err := c.GetDeploymentWithResponse(ctx, komodo.GetDeployment{Deployment: "api"})
			return err
		}, "/read/GetDeployment", `{"deployment":"api"}`},
		{"Deploy", func(c *komodo.ClientWithResponses) error {
			_, err := c.DeployWithResponse(ctx, komodo.Deploy{Deployment: "6740a1f3c2b9e84d1f0a0201"})
			return err
		}, "/execute/Deploy", `{"deployment":"6740a1f3c2b9e84d1f0a0201"}`},
		{"RenameStack", func(c *komodo.ClientWithResponses) error {
			_, err := c.RenameStackWithResponse(ctx, komodo.RenameStack{Id: "monitoring", Name: "observability"})
			return err
		}, "/write/RenameStack", `{"id":"monitoring","name":"observability"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, got := fakeKomodo(t, http.StatusOK, []byte(`{}`))
			c := newClient(t, url, komodo.WithAPIKey("K-123", "S-456"))
			_ = tc.call(c) // the {} answer need not decode; the request is what is checked
			if got.method != http.MethodPost || got.path != tc.path {
				t.Errorf("request = %s %s, want POST %s", got.method, got.path, tc.path)
			}
			if got.contentType != "application/json" {
				t.Errorf("content-type = %q, want application/json", got.contentType)
			}
			if k, s := got.header.Get("x-api-key"), got.header.Get("x-api-secret"); k != "K-123" || s != "S-456" {
				t.Errorf("x-api-key/x-api-secret = %q/%q", k, s)
			}
			if got.header.Get("authorization") != "" {
				t.Error("authorization header sent in api-key mode")
			}
			assertJSONEqual(t, got.body, []byte(tc.wantBody))
		})
	}
}

// TestClient_JWT checks the raw-token authorization header (no "Bearer").
func TestClient_JWT(t *testing.T) {
	url, got := fakeKomodo(t, http.StatusOK, []byte(`[]`))
	c := newClient(t, url, komodo.WithJWT("eyJhbGciOi.jwt.sig"))
	if _, err := c.ListStacksWithResponse(context.Background(), komodo.ListStacks{}); err != nil {
		t.Fatal(err)
	}
	if a := got.header.Get("authorization"); a != "eyJhbGciOi.jwt.sig" {
		t.Errorf("authorization = %q, want the raw token", a)
	}
	if got.header.Get("x-api-key") != "" {
		t.Error("x-api-key sent in JWT mode")
	}
}

// TestClient_Decode decodes realistic Komodo answers and checks that no field is lost:
// every non-null value of the fixture survives decode + encode.
func TestClient_Decode(t *testing.T) {
	ctx := context.Background()
	t.Run("ListServers", func(t *testing.T) {
		body := fixture(t, "list_servers.json")
		url, _ := fakeKomodo(t, http.StatusOK, body)
		res, err := newClient(t, url).ListServersWithResponse(ctx, komodo.ListServers{})
		if err != nil || res.JSON200 == nil {
			t.Fatalf("err=%v status=%d", err, res.StatusCode())
		}
		servers := *res.JSON200
		if len(servers) != 2 || servers[1].Info.State != komodo.ServerStateNotOk || servers[1].Info.Err.Error != "failed to reach periphery" {
			t.Errorf("decoded %+v", servers)
		}
		assertNoFieldLost(t, body, servers)
	})
	t.Run("GetStack", func(t *testing.T) {
		body := fixture(t, "get_stack.json")
		url, _ := fakeKomodo(t, http.StatusOK, body)
		res, err := newClient(t, url).GetStackWithResponse(ctx, komodo.GetStack{Stack: "monitoring"})
		if err != nil || res.JSON200 == nil {
			t.Fatalf("err=%v status=%d", err, res.StatusCode())
		}
		s := res.JSON200
		if s.UnderscoreId == nil || s.UnderscoreId.Oid != "6740a1f3c2b9e84d1f0a0301" {
			t.Errorf("_id.$oid = %+v", s.UnderscoreId)
		}
		if s.Info.DeployedConfig != nil || len(*s.Info.DeployedServices) != 2 {
			t.Errorf("info = %+v", s.Info)
		}
		if lvl, err := s.BasePermission.AsPermissionLevel(); err != nil || lvl != komodo.PermissionLevelRead {
			t.Errorf("base_permission = %v, %v", lvl, err)
		}
		assertNoFieldLost(t, body, s)
	})
	t.Run("Update", func(t *testing.T) {
		body := fixture(t, "update.json")
		url, _ := fakeKomodo(t, http.StatusOK, body)
		res, err := newClient(t, url).DeployWithResponse(ctx, komodo.Deploy{Deployment: "api"})
		if err != nil || res.JSON200 == nil {
			t.Fatalf("err=%v status=%d", err, res.StatusCode())
		}
		u := res.JSON200
		if u.Status != komodo.UpdateStatusComplete || u.Success || len(u.Logs) != 2 || u.Logs[1].Success {
			t.Errorf("update = %+v", u)
		}
		target, err := u.Target.AsResourceTargetDeployment()
		if err != nil || target.Id != "6740a1f3c2b9e84d1f0a0201" {
			t.Errorf("target = %+v, %v", target, err)
		}
		assertNoFieldLost(t, body, u)
	})
	t.Run("BatchDeployStack", func(t *testing.T) {
		body := fixture(t, "batch_deploy.json")
		url, _ := fakeKomodo(t, http.StatusOK, body)
		res, err := newClient(t, url).BatchDeployStackWithResponse(ctx, komodo.BatchDeployStack{Pattern: "*"})
		if err != nil || res.JSON200 == nil || len(*res.JSON200) != 2 {
			t.Fatalf("err=%v res=%+v", err, res)
		}
		items := *res.JSON200
		if d, _ := items[0].Discriminator(); d != "Ok" {
			t.Errorf("item 0 status = %q", d)
		}
		errItem, err := items[1].AsBatchExecutionResponseItemErrVariant()
		if err != nil || errItem.Data.Name != "missing-stack" || errItem.Data.Error.Error != "Did not find any Stack matching missing-stack" {
			t.Errorf("item 1 = %+v, %v", errItem, err)
		}
		assertNoFieldLost(t, body, items)
	})
	t.Run("Error500", func(t *testing.T) {
		body := fixture(t, "error_not_found.json")
		url, _ := fakeKomodo(t, http.StatusInternalServerError, body)
		res, err := newClient(t, url).GetServerWithResponse(ctx, komodo.GetServer{Server: "prod-9"})
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != 500 || res.JSONDefault == nil || res.JSON200 != nil {
			t.Fatalf("status=%d default=%v", res.StatusCode(), res.JSONDefault)
		}
		if res.JSONDefault.Error != "Did not find any Server matching prod-9" || !reflect.DeepEqual(res.JSONDefault.Trace, []string{"failed to get server"}) {
			t.Errorf("error = %+v", res.JSONDefault)
		}
	})
}

func assertJSONEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s, want %s", got, want)
	}
}

// assertNoFieldLost re-encodes decoded and checks that every non-null value of original
// is still there, unchanged. Nulls may become omitted fields: both mean "none" to Komodo.
func assertNoFieldLost(t *testing.T, original []byte, decoded any) {
	t.Helper()
	again, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	dec := json.NewDecoder(bytes.NewReader(original))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	dec = json.NewDecoder(bytes.NewReader(again))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	compareValues(t, "$", dropNulls(want), dropNulls(got))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, vv := range t {
			if vv != nil {
				out[k] = dropNulls(vv)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, vv := range t {
			out[i] = dropNulls(vv)
		}
		return out
	}
	return v
}

func compareValues(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want object", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s lost", path, k)
				continue
			}
			compareValues(t, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %d items", path, got, len(w))
			return
		}
		for i := range w {
			compareValues(t, path+"["+strconv.Itoa(i)+"]", w[i], g[i])
		}
	case json.Number:
		g, ok := got.(json.Number)
		wf, _ := w.Float64()
		gf, _ := g.Float64()
		if !ok || wf != gf {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}

// TestClient_NoRedirect: with credentials set, a redirect from KOMODO_URL comes back as the
// 3xx answer; the host it points at receives nothing (no x-api-secret, no replayed POST).
func TestClient_NoRedirect(t *testing.T) {
	elsewhere := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere++
		_, _ = w.Write([]byte(`[]`))
	}))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	for _, opt := range []komodo.ClientOption{komodo.WithAPIKey("K-1", "S-2"), komodo.WithJWT("jwt")} {
		c := newClient(t, front.URL, opt)
		res, err := c.DeployWithResponse(context.Background(), komodo.Deploy{Deployment: "api"})
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusTemporaryRedirect {
			t.Errorf("status = %d, want the 307 itself", res.StatusCode())
		}
	}
	if elsewhere != 0 {
		t.Fatalf("the redirect target received %d requests, want 0", elsewhere)
	}
}
