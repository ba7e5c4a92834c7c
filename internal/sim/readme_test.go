package sim

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsGenericOperations keeps README.md's list of generic answers current.
func TestREADMEListsGenericOperations(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(data), "<!-- generic:start -->")
	section, _, _ = strings.Cut(section, "<!-- generic:end -->")
	listed := map[string]bool{}
	for _, f := range strings.FieldsFunc(section, func(r rune) bool { return r == ' ' || r == '\n' || r == ',' || r == '`' }) {
		listed[f] = true
	}
	generic := genericOperations()
	for _, op := range generic {
		if !listed[op] {
			t.Errorf("README.md does not list generic operation %s", op)
		}
	}
	if len(listed) != len(generic) {
		t.Errorf("README.md lists %d generic operations, the code has %d:\n%s", len(listed), len(generic), strings.Join(generic, ", "))
	}
}
