// Package confirm decides which tool calls need a person's confirmation (KOMODO_CONFIRM,
// from the call's typed effect) and
// issues the short-lived tokens that confirm a call when the client cannot ask the person
// itself: a token is bound to the caller, the exact tool and the exact arguments, confirms
// one call only (it is spent on first use), and expires after a few minutes.
//
// Spent tokens are remembered in the process that issued the token, and each process
// signs with its own random key: a token is good only on the replica that issued it. The
// CLI's `call` instead derives its key from the Komodo it talks to and keeps spent tokens in
// a journal file (NewJournalTokens), so that a token printed by one `call` confirms the
// same call run again, once.
package confirm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
)

// Needed reports whether policy asks before a call with effect e: none never asks,
// mutations asks before every change to Komodo, destructive (the default) before what
// destroys or revokes, runs code or grants privileges. An unknown policy asks as
// destructive does; an unknown effect counts as destructive (catalog.Effect).
func Needed(policy config.ConfirmPolicy, e catalog.Effect) bool {
	switch policy {
	case config.ConfirmNone:
		return false
	case config.ConfirmMutations:
		return e.Mutates()
	}
	return e.Mutates() && e.Destructive()
}

// DefaultTTL is how long a confirmation token stays valid.
const DefaultTTL = 5 * time.Minute

// Errors of Check.
var (
	ErrExpired  = errors.New("the confirmation token has expired")
	ErrMismatch = errors.New("the confirmation token was issued for another call (other tool, other arguments or another caller)")
	ErrSpent    = errors.New("the confirmation token was already used: a token confirms exactly one call")
)

// Tokens issues and spends confirmation tokens. With a random key (the default), a token
// is good only on the process that issued it, which is also the only one that knows
// whether it was spent.
type Tokens struct {
	key []byte
	ttl time.Duration

	mu    sync.Mutex
	spent map[string]int64 // MAC of a used token -> its expiry (Unix seconds), until then
	// journal, when set, is a file shared by the processes that use the same key (the CLI's
	// successive `call`s): spent tokens are appended to it and read back, so that a token
	// confirms one call across processes too.
	journal string
}

// NewJournalTokens returns a token issuer whose spent tokens are kept in the file journal
// (created 0600 with its directory when missing) as well as in memory: every process that
// uses the same key and journal - `komodo-mcp call` run again against the same Komodo -
// accepts the tokens of the others, each once.
func NewJournalTokens(key []byte, ttl time.Duration, journal string) *Tokens {
	t := NewTokens(key, ttl)
	t.journal = journal
	return t
}

// NewTokens returns a token issuer with key (random when empty) and ttl (DefaultTTL when 0).
func NewTokens(key []byte, ttl time.Duration) *Tokens {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand never fails on supported platforms
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Tokens{key: key, ttl: ttl, spent: map[string]int64{}}
}

// TTL is how long a token stays valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

var enc = base64.RawURLEncoding

// Issue returns a token for caller calling tool with args. Each token is new (a random
// nonce), so that two identical calls are confirmed by two tokens.
func (t *Tokens) Issue(caller, tool string, args map[string]any) string {
	exp := time.Now().Add(t.ttl).Unix()
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	head := binary.BigEndian.AppendUint64(nil, uint64(exp))
	return enc.EncodeToString(append(head, nonce...)) + "." + enc.EncodeToString(t.mac(exp, nonce, caller, tool, args))
}

// Use verifies that token was issued for exactly this call, has not expired and was not
// used before, and spends it: the same token never confirms a second call.
func (t *Tokens) Use(token, caller, tool string, args map[string]any) error {
	mac, exp, err := t.check(token, caller, tool, args)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now().Unix()
	if t.journal != "" {
		if err := t.readJournal(); err != nil {
			return fmt.Errorf("cannot tell whether the confirmation token was used before: %w", err)
		}
	}
	for k, e := range t.spent { // forget tokens that have expired anyway: the map stays small
		if e < now {
			delete(t.spent, k)
		}
	}
	if _, used := t.spent[string(mac)]; used {
		return ErrSpent
	}
	if t.journal != "" {
		if err := t.claim(mac, exp, now); err != nil {
			return err
		}
	}
	t.spent[string(mac)] = exp
	if t.journal != "" {
		if err := t.appendJournal(mac, exp); err != nil {
			return fmt.Errorf("cannot record that the confirmation token was used: %w", err)
		}
	}
	return nil
}

// claim marks a token spent for every process sharing the journal, atomically: a file
// named after the token, created only if it does not exist yet (O_EXCL), in the directory
// journal+".d". Two processes using the same token at once (the journal alone is read and
// then appended, with a window between) cannot both claim it. Claims of expired tokens
// are removed on the way.
func (t *Tokens) claim(mac []byte, exp, now int64) error {
	dir := t.journal + ".d"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot record that the confirmation token was used: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			expPart, _, _ := strings.Cut(e.Name(), "-")
			if e2, err := strconv.ParseInt(expPart, 10, 64); err == nil && e2 < now {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d-%x", exp, mac)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return ErrSpent
	}
	if err != nil {
		return fmt.Errorf("cannot record that the confirmation token was used: %w", err)
	}
	return f.Close()
}

// readJournal adds the spent tokens of the journal (lines "MAC expiry") to t.spent.
func (t *Tokens) readJournal() error {
	data, err := os.ReadFile(t.journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		macPart, expPart, ok := strings.Cut(strings.TrimSpace(line), " ")
		mac, err1 := enc.DecodeString(macPart)
		exp, err2 := strconv.ParseInt(expPart, 10, 64)
		if ok && err1 == nil && err2 == nil {
			t.spent[string(mac)] = exp
		}
	}
	return nil
}

// appendJournal records a spent token, and rewrites the journal without expired entries
// when it has grown.
func (t *Tokens) appendJournal(mac []byte, exp int64) error {
	if err := os.MkdirAll(filepath.Dir(t.journal), 0o700); err != nil {
		return err
	}
	if fi, err := os.Stat(t.journal); err == nil && fi.Size() > 64<<10 {
		var b strings.Builder
		for k, e := range t.spent {
			fmt.Fprintf(&b, "%s %d\n", enc.EncodeToString([]byte(k)), e)
		}
		tmp := t.journal + ".tmp"
		if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
			return err
		}
		return os.Rename(tmp, t.journal)
	}
	f, err := os.OpenFile(t.journal, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %d\n", enc.EncodeToString(mac), exp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// check verifies token for this call without spending it; it returns the token's MAC and
// expiry.
func (t *Tokens) check(token, caller, tool string, args map[string]any) ([]byte, int64, error) {
	headPart, macPart, ok := strings.Cut(token, ".")
	head, err1 := enc.DecodeString(headPart)
	mac, err2 := enc.DecodeString(macPart)
	if !ok || err1 != nil || err2 != nil || len(head) != 8+12 {
		return nil, 0, ErrMismatch
	}
	exp := int64(binary.BigEndian.Uint64(head[:8]))
	if !hmac.Equal(mac, t.mac(exp, head[8:], caller, tool, args)) {
		return nil, 0, ErrMismatch
	}
	if time.Now().Unix() > exp {
		return nil, 0, ErrExpired
	}
	return mac, exp, nil
}

func (t *Tokens) mac(exp int64, nonce []byte, caller, tool string, args map[string]any) []byte {
	canon, _ := json.Marshal(args) // map keys are sorted at every depth: one encoding per value
	h := hmac.New(sha256.New, t.key)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(exp)))
	h.Write(nonce)
	for _, s := range []string{caller, tool} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		h.Write([]byte(s))
	}
	h.Write(canon)
	return h.Sum(nil)
}
