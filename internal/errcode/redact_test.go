package errcode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		secrets []string
		want    string
	}{
		{"plain", "bad secret S3cr3t-value here", []string{"S3cr3t-value"}, "bad secret [redacted] here"},
		{"every occurrence", "k=abcd1234 again abcd1234", []string{"abcd1234"}, "k=[redacted] again [redacted]"},
		{"several", "key K-1234 secret S-5678", []string{"K-1234", "S-5678"}, "key [redacted] secret [redacted]"},
		{"empty ignored", "nothing to hide", []string{""}, "nothing to hide"},
		{"short ignored", "a b abc", []string{"abc", "a"}, "a b abc"},
		{"exactly four", "pin 1234", []string{"1234"}, "pin [redacted]"},
		{"longest wins", "token abcdefgh", []string{"abcd", "abcdefgh"}, "token [redacted]"},
		{"query escaped", `Get "https://k/x?t=p%40ss+word%2F1": EOF`, []string{"p@ss word/1"}, `Get "https://k/x?t=[redacted]": EOF`},
		{"path escaped", `Get "https://k/p@ss%20word%2F1/x": EOF`, []string{"p@ss word/1"}, `Get "https://k/[redacted]/x": EOF`},
		{"no secrets", "unchanged", nil, "unchanged"},
	}
	for _, tt := range tests {
		if got := Redact(tt.s, tt.secrets...); got != tt.want {
			t.Errorf("%s: Redact = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestError_Redacted(t *testing.T) {
	const key, secret = "K-abcdef123", "S-super-secret-9"
	e := FromResponse(500, []byte(`{"error":"invalid value: string \"S-super-secret-9\", expected a bool","trace":["key K-abcdef123 rejected"]}`))
	e.Err = fmt.Errorf("wrapped: %w (secret %s)", context.Canceled, secret)

	r := e.Redacted(key, secret)
	out := string(e.ToolJSON(key, secret)) + r.Error() + r.Err.Error() + strings.Join(r.Trace, " ")
	for _, s := range []string{key, secret} {
		if strings.Contains(out, s) {
			t.Errorf("secret %q leaked: %s", s, out)
		}
	}
	if !strings.Contains(r.Message, Redaction) || !strings.Contains(r.Trace[0], Redaction) {
		t.Errorf("not redacted: %+v", r)
	}
	if !errors.Is(r, context.Canceled) {
		t.Error("redacted copy no longer unwraps to the original error")
	}
	if !strings.Contains(e.Message, secret) {
		t.Error("Redacted modified the original")
	}
	if r.Code != ValidationError {
		t.Errorf("code changed to %s", r.Code)
	}
	if got := string(e.ToolJSON()); !strings.Contains(got, secret) {
		t.Errorf("ToolJSON without secrets should render as is: %s", got)
	}
}
