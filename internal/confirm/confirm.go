// Package confirm decides which tool calls need a person's confirmation (KOMODO_CONFIRM) and
// issues the short-lived tokens that confirm a call when the client cannot ask the person
// itself: a token is bound to the caller, the exact tool and the exact arguments, confirms
// one call only (it is spent on first use), and expires after a few minutes.
//
// Spent tokens are remembered in the process that issued the token, and each process
// signs with its own random key: a token is good only on the replica that issued it.
package confirm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
)

// Op is what the policy needs to know about a tool.
type Op struct {
	Tool      string // the tool name
	Operation string // Komodo's operation, e.g. DeleteStack, ExecuteTerminal
	Mutates   bool   // it changes something in Komodo (write, execute, terminal)
	Terminal  bool   // it runs a command on a host
}

// destructivePrefixes are the operations that destroy or revoke something (Komodo's own
// names: DeleteStack, DestroyDeployment, PruneImages, RemoveUserFromUserGroup,
// RotateServerKeys...). Everyday deploys, builds and restarts are not among them.
var destructivePrefixes = []string{"Delete", "Destroy", "Prune", "Remove", "Rotate"}

// Destructive reports whether op destroys things in the sense of KOMODO_CONFIRM=destructive:
// its operation (Batch forms included) starts with Delete, Destroy, Prune, Remove or Rotate,
// or it is the terminal.
func Destructive(op Op) bool {
	if op.Terminal {
		return true
	}
	name := strings.TrimPrefix(op.Operation, "Batch")
	for _, p := range destructivePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Needed reports whether policy asks before op.
func Needed(policy config.ConfirmPolicy, op Op) bool {
	switch policy {
	case config.ConfirmNone:
		return false
	case config.ConfirmMutations:
		return op.Mutates
	}
	return op.Mutates && Destructive(op)
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
	now func() time.Time

	mu    sync.Mutex
	spent map[string]int64 // MAC of a used token -> its expiry (Unix seconds), until then
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
	return &Tokens{key: key, ttl: ttl, now: time.Now, spent: map[string]int64{}}
}

// TTL is how long a token stays valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

var enc = base64.RawURLEncoding

// Issue returns a token for caller calling tool with args. Each token is new (a random
// nonce), so that two identical calls are confirmed by two tokens.
func (t *Tokens) Issue(caller, tool string, args map[string]any) string {
	exp := t.now().Add(t.ttl).Unix()
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
	now := t.now().Unix()
	for k, e := range t.spent { // forget tokens that have expired anyway: the map stays small
		if e < now {
			delete(t.spent, k)
		}
	}
	if _, used := t.spent[string(mac)]; used {
		return ErrSpent
	}
	t.spent[string(mac)] = exp
	return nil
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
	if t.now().Unix() > exp {
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
