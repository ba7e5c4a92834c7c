package secrets

import (
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// redactTOML redacts a ResourcesToml document (Komodo's export and sync format:
// [[server]], [[build]], [[variable]]...) by the record, and writes it back as TOML. It
// returns the redacted credential values too. A document that does not parse is
// redacted whole: it cannot be checked, so it cannot be shown.
//
// TOML is parsed with github.com/pelletier/go-toml/v2: a maintained TOML 1.0 library
// whose map[string]any round trip keeps arrays of tables, multi-line strings and types,
// where a hand-written scanner would miss quoting and inline-table forms.
func (r *Record) redactTOML(s string) (string, []string) {
	var doc map[string]any
	if err := toml.Unmarshal([]byte(s), &doc); err != nil {
		return Redaction, []string{s}
	}
	var res Result
	out := r.walk(r.toml, normalize(doc), "", &res)
	if len(res.Values) == 0 {
		return s, nil // nothing to hide: keep Komodo's own formatting
	}
	data, err := toml.Marshal(out)
	if err != nil {
		return Redaction, []string{s}
	}
	return strings.TrimRight(string(data), "\n") + "\n", res.Values
}

// tomlNode is the node of ResourcesToml, also under the singular table names Komodo
// writes ([[server]] for servers, [[resource_sync]] for resource_syncs). Load builds it
// after the liveness fixpoint.
func (r *Record) tomlNode() *node {
	base := r.nodes["ResourcesToml"]
	if base == nil {
		return nil
	}
	n := &node{fields: map[string]*node{}}
	for _, alt := range append([]*node{base}, base.alts...) {
		for k, c := range alt.fields {
			n.fields[k] = c
			n.fields[strings.TrimSuffix(k, "s")] = c
		}
	}
	r.live[n] = true
	return n
}

// normalize turns go-toml's decoded values into the shapes JSON decoding gives
// ([]any of map[string]any), which the walk expects.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}
