package arguments_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/arguments"
	"github.com/komodo-mcp/komodo-mcp/internal/catalogtools"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

func TestDecode(t *testing.T) {
	for raw, want := range map[string]string{
		``:                   `{}`,
		`null`:               `{}`,
		`{"id":"web"}`:       `{"id":"web"}`,
		`"{\"id\":\"web\"}"`: `{"id":"web"}`, // encoded twice by some clients
		`[1]`:                "error: an array",
		`"not an object"`:    "error: a string",
		`{"id":`:             "error: not valid JSON",
	} {
		got, err := arguments.Decode(json.RawMessage(raw))
		if err != nil {
			if !strings.HasPrefix(want, "error: ") || !strings.Contains(err.Error(), strings.TrimPrefix(want, "error: ")) {
				t.Errorf("Decode(%s): %v, want %s", raw, err, want)
			}
			continue
		}
		if b, _ := json.Marshal(got); string(b) != want {
			t.Errorf("Decode(%s) = %s, want %s", raw, b, want)
		}
	}
}

func deploy(t *testing.T) *tool.Tool {
	t.Helper()
	for _, tl := range catalogtools.Tools(catalog.Newest(), nil) {
		if tl.Def.Name == "komodo_execute_Deploy" {
			return tl
		}
	}
	t.Fatal("no komodo_execute_Deploy in the catalog")
	return nil
}

// Check makes one Call whichever spelling names the target, with the confirmation token
// taken out of the arguments, and refuses what it cannot make one of.
func TestCheck(t *testing.T) {
	var v arguments.Checker
	d := deploy(t)
	for _, args := range []map[string]any{{"id": "web"}, {"deployment": "web"}, {"name": "web"}} {
		c, e := v.Check(d, nil, args)
		if e != nil {
			t.Fatalf("Check(%v): %v", args, e)
		}
		if c.Args["id"] != "web" || len(c.Args) != 1 || c.Target() != "web" {
			t.Errorf("Check(%v): Args %v, Target %q", args, c.Args, c.Target())
		}
	}
	c, e := v.Check(d, nil, map[string]any{"id": "web", tool.ConfirmationArg: "tok"})
	if e != nil || c.Token != "tok" || c.Args[tool.ConfirmationArg] != nil {
		t.Errorf("the token was not taken out: %+v %v", c, e)
	}
	for _, args := range []map[string]any{
		{"id": "web", "deployment": "web"},     // two spellings
		{"deployment": 7},                      // not a name
		{"id": "web", "unknown": true},         // not in the schema
		{"id": "web", tool.ConfirmationArg: 1}, // not a token
	} {
		if c, e := v.Check(d, nil, args); e == nil || e.Code != "VALIDATION_ERROR" {
			t.Errorf("Check(%v) = %+v, %v: want a VALIDATION_ERROR", args, c, e)
		}
	}
	unclassified := *d
	unclassified.Effect = "surprise"
	if _, e := v.Check(&unclassified, nil, map[string]any{"id": "web"}); e == nil || !strings.Contains(e.Message, "no known effect") {
		t.Errorf("a tool of unknown effect: %v, want refused", e)
	}
}

// What a tool's schema says is read from the schema of the Checker's own tools: the same
// tool of another Komodo version, with another schema, is checked by its own.
func TestCheck_SchemaOfItsOwnVersion(t *testing.T) {
	mk := func(typ string) *tool.Tool {
		return &tool.Tool{Def: &mcp.Tool{Name: "komodo_read_Versioned",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"o":{"type":"` + typ + `"}}}`)}, Effect: catalog.EffectRead}
	}
	var older, newer arguments.Checker
	c, e := newer.Check(mk("object"), nil, map[string]any{"o": `{"a":1}`})
	if e != nil {
		t.Fatal(e)
	}
	if _, ok := c.Args["o"].(map[string]any); !ok {
		t.Errorf("an object sent as JSON text was not decoded: %#v", c.Args["o"])
	}
	c, e = older.Check(mk("string"), nil, map[string]any{"o": `{"a":1}`})
	if e != nil {
		t.Fatalf("a string the schema wants was refused: %v", e)
	}
	if _, ok := c.Args["o"].(string); !ok {
		t.Errorf("a string the schema wants was decoded as the other version's object: %#v", c.Args["o"])
	}
}
