package compact

import "testing"

func TestMarshal_KeepsLogTextAsIs(t *testing.T) {
	got, err := Marshal(map[string]any{"stderr": "a < b && c > d"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"stderr":"a < b && c > d"}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s (no HTML escapes, no trailing newline)", got, want)
	}
}
