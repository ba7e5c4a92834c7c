package errcode

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// Redaction is the marker that replaces a secret.
const Redaction = "[redacted]"

// minSecretLen is the shortest value treated as a secret: replacing shorter
// ones would shred ordinary words and prove nothing.
const minSecretLen = 4

// Redact returns s with every occurrence of each secret replaced by
// [redacted], also in its URL-escaped forms (secrets reach error text inside
// URLs). Empty secrets and secrets shorter than 4 bytes are ignored.
func Redact(s string, secrets ...string) string {
	r := NewReplacer(secrets...)
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// Redacted returns a copy of e whose message, hint, trace and transport error
// text have every secret replaced (see Redact). Unwrap on the copy still
// reaches the original error, for errors.Is; only its text is redacted.
func (e *Error) Redacted(secrets ...string) *Error {
	c := *e
	r := NewReplacer(secrets...)
	if r == nil {
		return &c
	}
	c.Message = r.Replace(e.Message)
	c.Hint = r.Replace(e.Hint)
	if e.Trace != nil {
		c.Trace = make([]string, len(e.Trace))
		for i, t := range e.Trace {
			c.Trace[i] = r.Replace(t)
		}
	}
	if e.Err != nil {
		c.Err = redactedError{msg: r.Replace(e.Err.Error()), err: e.Err}
	}
	return &c
}

// NewReplacer builds one replacer for all secrets (and their URL-escaped forms),
// longest first so that a secret containing another is replaced whole. nil when
// nothing qualifies. Build it once where many strings are redacted.
func NewReplacer(secrets ...string) *strings.Replacer {
	var olds []string
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		olds = append(olds, s)
		for _, esc := range []string{url.QueryEscape(s), url.PathEscape(s)} {
			if esc != s {
				olds = append(olds, esc)
			}
		}
	}
	if len(olds) == 0 {
		return nil
	}
	slices.SortFunc(olds, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	olds = slices.Compact(olds)
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, Redaction)
	}
	return strings.NewReplacer(pairs...)
}

// redactedError shows redacted text but unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }
