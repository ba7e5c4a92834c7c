package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// An operation Komodo does not know is a 500 with serde's words and an empty trace
// (variant_handler's serde_json::from_value through mogh_error), and so is an operation
// a Core set up without it (Options.Lacks, a Core of another version) - which its own
// "expected one of" list then leaves out.
func TestUnknownOperation_AsKomodoAnswers(t *testing.T) {
	s := Start(t, func(o *Options) { o.Lacks = []string{"ListSwarms"} })
	for _, op := range []string{"ListNothing", "ListSwarms"} {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/read/"+op, bytes.NewReader([]byte(`{}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", DemoAPIKey)
		req.Header.Set("x-api-secret", DemoAPISecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct {
			Error string   `json:"error"`
			Trace []string `json:"trace"`
		}
		if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(data, &body) != nil {
			t.Fatalf("%s: HTTP %d %s", op, resp.StatusCode, data)
		}
		if !strings.HasPrefix(body.Error, "unknown variant `"+op+"`, expected one of `") || body.Trace == nil || len(body.Trace) != 0 {
			t.Errorf("%s: %s", op, data)
		}
		_, expected, _ := strings.Cut(body.Error, "expected")
		if strings.Contains(expected, "`ListSwarms`") {
			t.Errorf("a Core without ListSwarms lists it among its operations: %.200s", body.Error)
		}
	}
	// The Core still answers everything else.
	postOK(t, s, admin, "/read/GetVersion", map[string]any{})
}
