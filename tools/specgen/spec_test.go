package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const documentPath = "../../api/komodo.openapi.json"

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(documentPath)
	if err != nil {
		t.Fatalf("load %s: %v", documentPath, err)
	}
	return doc
}

// TestDocument_Validates checks the committed document with kin-openapi, the library
// oapi-codegen reads it with.
func TestDocument_Validates(t *testing.T) {
	doc := loadDocument(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
}

// TestDocument_Operations checks that every Komodo operation is there once, in its module.
func TestDocument_Operations(t *testing.T) {
	doc := loadDocument(t)
	want := map[string]int{"/read/": 140, "/write/": 114, "/execute/": 79, "/auth/login/": 6, "/auth/manage/": 16}
	got := map[string]int{}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s", op.OperationID, prev, path)
			}
			ids[op.OperationID] = path
			if op.Summary == "" || len(op.Tags) != 1 {
				t.Errorf("%s %s: want a summary and one tag, got %q %v", method, path, op.Summary, op.Tags)
			}
			if op.Responses.Default() == nil {
				t.Errorf("%s %s: no default (error) response", method, path)
			}
			if link := rustdocLink.FindString(op.Description); link != "" {
				t.Errorf("%s: rustdoc link %s left in the description", path, link)
			}
		}
		for prefix := range want {
			if strings.HasPrefix(path, prefix) {
				got[prefix]++
			}
		}
	}
	for prefix, n := range want {
		if got[prefix] != n {
			t.Errorf("%s: %d operations, want %d", prefix, got[prefix], n)
		}
	}
	for _, p := range []string{"/user", "/version", "/terminal/execute"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("missing %s", p)
		}
	}
	deploy := doc.Paths.Find("/execute/Deploy").Post
	if deploy.OperationID != "Deploy" || deploy.Tags[0] != "execute" {
		t.Errorf("Deploy: %+v", deploy)
	}
}

// TestDocument_Types checks the transformations that make the document faithful to
// what Komodo sends.
func TestDocument_Types(t *testing.T) {
	doc := loadDocument(t)
	schemas := doc.Components.Schemas
	get := func(name string) *openapi3.Schema {
		t.Helper()
		ref, ok := schemas[name]
		if !ok || ref.Value == nil {
			t.Fatalf("schema %s missing", name)
		}
		return ref.Value
	}

	if s := get("I64"); !s.Type.Is("integer") {
		t.Errorf("I64 is %v, want integer", s.Type)
	}
	// Generic instantiations carry their alias's name.
	stack := get("Stack")
	if stack.Properties["config"] == nil || stack.Properties["info"] == nil {
		t.Errorf("Stack lacks config/info: %v", stack.Properties)
	}
	for name := range schemas {
		if strings.ContainsAny(name, "<>%,") {
			t.Errorf("schema name %q is not plain", name)
		}
	}
	// Discriminated unions.
	exec := get("Execution")
	if exec.Discriminator == nil || exec.Discriminator.PropertyName != "type" || len(exec.OneOf) < 80 {
		t.Errorf("Execution is not a discriminated oneOf: disc=%v variants=%d", exec.Discriminator, len(exec.OneOf))
	}
	batch := get("BatchExecutionResponseItem")
	if batch.Discriminator == nil || batch.Discriminator.PropertyName != "status" {
		t.Errorf("BatchExecutionResponseItem discriminator = %v, want status", batch.Discriminator)
	}
	// Optional fields are nullable; required ones are not.
	update := get("Update")
	for name, p := range update.Properties {
		required := false
		for _, r := range update.Required {
			required = required || r == name
		}
		if !required && !p.Value.Nullable {
			t.Errorf("Update.%s is optional but not nullable", name)
		}
	}
	if get("ServerListItem").Properties["name"].Value.Nullable {
		t.Error("ServerListItem.name is required but nullable")
	}
	// Record<ResourceType, V> is a map.
	all := get("User").Properties["all"].Value
	if all.AdditionalProperties.Schema == nil || len(all.Properties) != 0 {
		t.Errorf("User.all should be a map, got properties=%d", len(all.Properties))
	}
	// Every optional property of every schema is nullable, except a field Rust fills in
	// with a serde default and that is no Option: serde refuses null for it.
	facts, err := readRustFacts("facts", loadDocument(t).Info.Version, true)
	if err != nil {
		t.Fatal(err)
	}
	// An alias (CreateVariableResponse = Variable) is a copy of its struct's schema.
	propsOf := func(s *openapi3.Schema) string { b, _ := json.Marshal(s.Properties); return string(b) }
	structOf := map[string]string{}
	for name := range facts.Structs {
		if ref, ok := schemas[name]; ok {
			structOf[propsOf(ref.Value)] = name
		}
	}
	for sname, ref := range schemas {
		s := ref.Value
		fname := sname
		if _, ok := facts.Structs[sname]; !ok {
			fname = structOf[propsOf(s)]
		}
		for pname, p := range s.Properties {
			req := false
			for _, r := range s.Required {
				req = req || r == pname
			}
			f, known := facts.Structs[fname][pname]
			serdeDefault := known && f.Default && !f.Option
			if !req && !p.Value.Nullable && !serdeDefault {
				t.Errorf("%s.%s optional but not nullable", sname, pname)
			}
		}
	}
}

// TestDocument_RustFacts: what the TypeScript types lose is restored from the Rust structs.
func TestDocument_RustFacts(t *testing.T) {
	schemas := loadDocument(t).Components.Schemas
	for _, c := range []struct{ schema, field string }{
		{"GetDeploymentLog", "tail"}, {"GetStackLog", "tail"}, {"GetContainerLog", "tail"},
		{"ExportAllResourcesToToml", "include_resources"}, {"RemoveSwarmStacks", "detach"},
	} {
		s := schemas[c.schema].Value
		for _, r := range s.Required {
			if r == c.field {
				t.Errorf("%s.%s has a serde default in Rust but is required", c.schema, c.field)
			}
		}
	}
	// A request field with a serde default that is no Option accepts no null.
	if p := schemas["GetDeploymentLog"].Value.Properties["timestamps"].Value; p.Nullable {
		t.Error("GetDeploymentLog.timestamps is nullable; serde refuses null for a bool with a default")
	}
	// Rust i32/u32/u16 fields are integers with the type's range.
	for _, c := range []struct {
		schema, field string
		min, max      float64
	}{
		{"ActionActionState", "running", 0, 4294967295},
		{"PartialAwsBuilderConfig", "port", -2147483648, 2147483647},
	} {
		p := schemas[c.schema].Value.Properties[c.field].Value
		if !p.Type.Is("integer") || p.Min == nil || *p.Min != c.min || p.Max == nil || *p.Max != c.max {
			t.Errorf("%s.%s = %v [%v, %v], want integer [%v, %v]", c.schema, c.field, p.Type, p.Min, p.Max, c.min, c.max)
		}
	}
}
