package main

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// An operation whose request can carry a SystemCommand (a stack's pre/post_deploy, a repo's
// on_clone/on_pull, a build's pre_build: shell commands that Periphery runs on a host at the next
// deploy, clone, pull or build) or a host script (an AWS builder's user_data, which the
// instance Komodo launches for the next build runs as root at boot: bin/core/src/cloud/aws/ec2.rs)
// defines code that runs, so its effect is run_code and the default KOMODO_CONFIRM=destructive
// asks before it. Walks every request schema of the document, so a command field Komodo adds
// later cannot slip through as `configure`.
func TestEffects_CommandsAreRunCode(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../api/komodo.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	effects, err := readEffects("../../api/effects.yaml")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for path, item := range doc.Paths.Map() {
		op := item.Post
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil || strings.HasPrefix(path, "/read/") {
			continue
		}
		media := op.RequestBody.Value.Content.Get("application/json")
		if media == nil || !reachesCommand(media.Schema, map[*openapi3.Schema]bool{}) {
			continue
		}
		found++
		if got := effects[op.OperationID]; got != "run_code" {
			t.Errorf("%s can set a command or script that runs on a host, but its effect is %q: list it under run_code in api/effects.yaml", op.OperationID, got)
		}
	}
	if found == 0 {
		t.Fatal("no request reaches SystemCommand: the walk is broken or Komodo renamed the type")
	}
}

// hostScripts are the properties, by schema and name, that hold a script a host runs but are
// plain strings in the document (not a SystemCommand).
var hostScripts = map[string]string{"AwsBuilderConfig": "user_data", "PartialAwsBuilderConfig": "user_data"}

// reachesCommand reports whether the schema is, or contains, Komodo's SystemCommand or one
// of the hostScripts.
func reachesCommand(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) bool {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return false
	}
	if strings.HasSuffix(ref.Ref, "/SystemCommand") {
		return true
	}
	s := ref.Value
	seen[s] = true
	if name, ok := hostScripts[ref.Ref[strings.LastIndexByte(ref.Ref, '/')+1:]]; ok && s.Properties[name] != nil {
		return true
	}
	for _, p := range s.Properties {
		if reachesCommand(p, seen) {
			return true
		}
	}
	for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		for _, r := range group {
			if reachesCommand(r, seen) {
				return true
			}
		}
	}
	if reachesCommand(s.Items, seen) {
		return true
	}
	return s.AdditionalProperties.Schema != nil && reachesCommand(s.AdditionalProperties.Schema, seen)
}
