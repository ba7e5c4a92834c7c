package typedtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// answers holds, per request path, the document's schema of a 200 answer (nil for a
// text/plain answer), and the schema of Komodo's error body.
type answers struct {
	ok    map[string]*openapi3.Schema
	text  map[string]bool
	error *openapi3.Schema
}

var loadAnswers = sync.OnceValues(func() (*answers, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Document)
	if err != nil {
		return nil, err
	}
	a := &answers{ok: map[string]*openapi3.Schema{}, text: map[string]bool{}}
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			r := op.Responses.Status(http.StatusOK)
			if r == nil || r.Value == nil {
				continue
			}
			for ct, mt := range r.Value.Content {
				if mt.Schema != nil {
					a.ok[path] = mt.Schema.Value
					a.text[path] = ct == "text/plain"
				}
			}
		}
	}
	a.error = doc.Components.Schemas["Error"].Value
	return a, nil
})

// validatingTransport checks every answer the simulator sends against the document.
type validatingTransport struct {
	t testing.TB
}

func (v validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") { // a proxy's page
		return resp, nil
	}
	a, err := loadAnswers()
	if err != nil {
		v.t.Errorf("load the document: %v", err)
		return resp, nil
	}
	schema, known := a.ok[req.URL.Path]
	switch {
	case !known:
		return resp, nil
	case resp.StatusCode != http.StatusOK:
		schema = a.error
	case a.text[req.URL.Path]:
		return resp, nil
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		v.t.Errorf("%s: answer is not JSON: %v: %.200s", req.URL.Path, err, body)
		return resp, nil
	}
	if err := schema.VisitJSON(doc, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		msg := err.Error()
		if len(msg) > 1500 {
			msg = msg[:1500]
		}
		v.t.Errorf("%s (HTTP %d): answer does not match the document: %s\nbody: %.600s", req.URL.Path, resp.StatusCode, msg, body)
	}
	return resp, nil
}

// doRaw sends one request with the demo API key (hdr adds headers, or removes them with "").
func doRaw(t testing.TB, s *sim.Server, method, path string, body any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("x-api-key", sim.DemoAPIKey)
	req.Header.Set("x-api-secret", sim.DemoAPISecret)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}
