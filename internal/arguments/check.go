// Package arguments makes a tool call's one validated value: it decodes the client's
// arguments once, normalises them (JSON text where an object is wanted, Komodo's own name
// of the target field as `id`, the catalog's defaults, the confirmation token taken out)
// and checks them against the tool's input schema, so that every later step reads the
// value that is executed.
package arguments

import (
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Checker checks the calls of one set of tools (one Komodo version's), compiling each
// input schema on first use. The zero value is ready.
type Checker struct {
	validators validators
}

// Check makes the Call of t from decoded arguments: it normalises args in place and
// validates them, the one place a call's arguments are shaped (see tool.Call.Args for the
// steps). A call that does not validate is refused, with the reason internal/params gives
// for a curated parameter's value.
func (v *Checker) Check(t *tool.Tool, req *mcp.CallToolRequest, args map[string]any) (*tool.Call, *errcode.Error) {
	if !t.Dispatches && !t.Effect.Known() { // fail closed: an unclassified tool does nothing
		return nil, &errcode.Error{Code: errcode.ServerError, Message: fmt.Sprintf("%s has no known effect (%q): refused", t.Def.Name, t.Effect)}
	}
	c := &tool.Call{Tool: t, Request: req, Args: args}
	if v, present := args[tool.ConfirmationArg]; present {
		tok, ok := v.(string)
		if !ok || tok == "" {
			return nil, tool.Invalid("`"+tool.ConfirmationArg+"` must be the token of a preview: nothing was done", "call the tool without it to get a preview and a token")
		}
		c.Token = tok
		delete(args, tool.ConfirmationArg)
	}
	schema := tool.SchemaJSON(t.Def.InputSchema)
	v.validators.coerceJSONStrings(t.Def.Name, args, schema)
	ct := t.Catalog
	if ct != nil {
		if e := v.targetAlias(ct, args, schema); e != nil {
			return nil, e
		}
		fillDefaults(ct, args)
	}
	if err := v.validators.validate(t.Def.Name, schema, args); err != nil {
		if ct != nil {
			if why := params.Refusal(ct, args); why != nil { // the reason, not "enum" or "unknown argument"
				return nil, why
			}
		}
		return nil, tool.Invalid(err.Error(), "check the tool's input schema")
	}
	return c, nil
}

// targetAlias accepts Komodo's own name for a tool's target field (deployment, stack...),
// or `name` when the tool takes no `name` of its own, in place of `id`, the one identifier
// the schema lists: an assistant that read Komodo's documentation is not refused for it,
// and the call is the same call whichever spelling it used (one confirmation, one audit
// target). Two spellings at once are ambiguous and refused.
func (v *Checker) targetAlias(ct *catalog.Tool, args map[string]any, schema []byte) *errcode.Error {
	if ct.TargetField == "" {
		return nil
	}
	spellings := []string{ct.TargetField}
	if !v.validators.hasProperty(ct.Name, schema, "name") {
		spellings = append(spellings, "name")
	}
	for _, alias := range spellings {
		v, present := args[alias]
		if !present {
			continue
		}
		if _, hasID := args["id"]; hasID {
			return tool.Invalid(fmt.Sprintf("give `id` or `%s`, not both", alias), "`id` takes the "+ct.TargetField+"'s name or id")
		}
		if _, ok := v.(string); !ok {
			return tool.Invalid(fmt.Sprintf("`%s` must be the %s's name or id, a string", alias, ct.TargetField), "pass it as `id`")
		}
		args["id"] = v
		delete(args, alias)
	}
	return nil
}
