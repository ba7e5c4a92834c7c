package httpserve

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// minTokenLen is the shortest client token accepted: 128 bits of hex or base64 is 22-32
// characters; anything much shorter can be guessed.
const minTokenLen = 20

// Tokens are the client tokens of a tokens file: lines of "name token", blank lines and
// lines starting with # ignored. The set can be replaced while requests are checked against it.
type Tokens struct {
	path string
	set  atomic.Pointer[[]tokenEntry]
}

type tokenEntry struct {
	name string
	hash [sha256.Size]byte
}

// LoadTokens reads the tokens file at path.
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload reads the file again; on a mistake the previous set stays in force and the error
// (which never quotes a token) says what to fix.
func (t *Tokens) Reload() error {
	data, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("tokens file %s cannot be read: %w", t.path, err)
	}
	entries, err := parseTokens(data)
	if err != nil {
		return fmt.Errorf("tokens file %s: %w", t.path, err)
	}
	t.set.Store(&entries)
	return nil
}

// Len is the number of tokens in force.
func (t *Tokens) Len() int { return len(*t.set.Load()) }

// Check returns the name of the token given, comparing in constant time against every
// token (hashes of equal length, so neither the content nor the length of a token leaks).
func (t *Tokens) Check(token string) (name string, ok bool) {
	h := sha256.Sum256([]byte(token))
	for _, e := range *t.set.Load() {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			name, ok = e.name, true
		}
	}
	return name, ok
}

func parseTokens(data []byte) ([]tokenEntry, error) {
	var out []tokenEntry
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: write one \"name token\" pair per line", n)
		}
		name, tok := fields[0], fields[1]
		if len(tok) < minTokenLen {
			return nil, fmt.Errorf("line %d: the token of %q is shorter than %d characters: use a random one, e.g. `openssl rand -hex 32`", n, name, minTokenLen)
		}
		h := sha256.Sum256([]byte(tok))
		if names[name] {
			return nil, fmt.Errorf("line %d: name %q appears twice: give every caller its own name", n, name)
		}
		if hashes[h] {
			return nil, fmt.Errorf("line %d: the token of %q is also another name's token: give every caller its own token", n, name)
		}
		names[name], hashes[h] = true, true
		out = append(out, tokenEntry{name: name, hash: h})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tokens: write one \"name token\" line per caller")
	}
	return out, nil
}
