package terminal

import (
	"bytes"
	"unicode/utf8"
)

// tail keeps the last max bytes written to it and counts the rest. Memory
// stays under twice max whatever the stream's length.
type tail struct {
	max     int
	buf     []byte
	dropped int
	before  byte // the last byte dropped, to tell whether the kept tail starts a line
}

func newTail(max int) *tail { return &tail{max: max} }

// Write appends p, dropping the oldest bytes once the buffer passes 2*max.
func (t *tail) Write(p []byte) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		cut := len(t.buf) - t.max
		t.dropped += cut
		t.before = t.buf[cut-1]
		t.buf = append(t.buf[:0], t.buf[cut:]...)
	}
}

// TrimFinalNewline removes one trailing "\n" (and a "\r" before it).
func (t *tail) TrimFinalNewline() {
	n := len(t.buf)
	if n > 0 && t.buf[n-1] == '\n' {
		n--
		if n > 0 && t.buf[n-1] == '\r' {
			n--
		}
		t.buf = t.buf[:n]
	}
}

// lineSearch is how far into the kept tail a cut may move forward to start the
// output on a line boundary.
const lineSearch = 256

// String returns the kept output (at most max bytes, starting on a line or at
// least a rune boundary) and how many bytes before it were dropped.
func (t *tail) String() (string, int) {
	out, dropped, before := t.buf, t.dropped, t.before
	if len(out) > t.max {
		cut := len(out) - t.max
		dropped += cut
		before = out[cut-1]
		out = out[cut:]
	}
	if dropped > 0 && before != '\n' {
		skip := 0
		if i := bytes.IndexByte(out[:min(len(out), lineSearch)], '\n'); i >= 0 {
			skip = i + 1
		} else {
			for skip < len(out) && skip < utf8.UTFMax && !utf8.RuneStart(out[skip]) {
				skip++
			}
		}
		dropped += skip
		out = out[skip:]
	}
	return string(out), dropped
}
