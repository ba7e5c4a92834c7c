package shape

import (
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/secrets"
)

// Redactor hides secrets in results: the credentials Komodo holds, by type
// (api/secrets.yaml, internal/secrets), and the configured credentials wherever they
// appear. A credential found by type is also hidden wherever else the same answer repeats
// it (a log line, an error text).
type Redactor struct {
	replacer *strings.Replacer // nil when there are no configured secrets
	record   *secrets.Record
}

// NewRedactor hides the configured credentials and the credentials of Komodo types.
func NewRedactor(configured []string) Redactor {
	return Redactor{replacer: errcode.NewReplacer(configured...), record: secrets.Default()}
}

// Value replaces the configured secrets in every string of v (in place) and returns it;
// for text and values that are no Komodo type (log lines, terminal output).
func (r Redactor) Value(v any) any {
	return replaceAll(v, r.replacer)
}

// Result redacts the answer of a Komodo operation (decoded JSON), in place, and returns it
// with what redaction found (credentials shown only once are left, and listed).
func (r Redactor) Result(op string, v any) (any, secrets.Result) {
	v, found := r.record.Redact(op, v)
	return r.finish(v, found), found
}

// Typed redacts a value of the named Komodo type ("Update").
func (r Redactor) Typed(name string, v any) any {
	v, found := r.record.RedactType(name, v)
	return r.finish(v, found)
}

// Items redacts the items of a list operation's answer.
func (r Redactor) Items(op, listKey string, items []any) []any {
	items, found := r.record.RedactItems(op, listKey, items)
	out, _ := r.finish(items, found).([]any)
	return out
}

func (r Redactor) finish(v any, found secrets.Result) any {
	v = replaceAll(v, errcode.NewReplacer(found.Values...))
	return replaceAll(v, r.replacer)
}

// replaceAll applies a replacer to every string in v, in place.
func replaceAll(v any, rep *strings.Replacer) any {
	if rep == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		for k, vv := range t {
			t[k] = replaceAll(vv, rep)
		}
		return t
	case []any:
		for i := range t {
			t[i] = replaceAll(t[i], rep)
		}
		return t
	case string:
		return rep.Replace(t)
	}
	return v
}

// ShownOnce marks a result that hands over a credential Komodo shows only this once
// (a new API key's secret): the value stays, with a note saying so.
func ShownOnce(out map[string]any, found secrets.Result) map[string]any {
	if len(found.ShownOnce) > 0 && out != nil {
		out["shown_once"] = secrets.ShownOnceNote + " Field: " + strings.Join(found.ShownOnce, ", ") + "."
	}
	return out
}

// RequestValues are the credentials the arguments of a call to op carry by type
// (api/secrets.yaml: a token given to CreateGitProviderAccount, a webhook URL given to
// UpdateAlerter), which Komodo may echo in its error.
func (r Redactor) RequestValues(op string, args map[string]any) []string {
	return r.record.RequestValues(op, args)
}
