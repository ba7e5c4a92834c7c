// Package confirm decides which tool calls need a person's confirmation (KOMODO_CONFIRM) and
// issues the short-lived tokens that confirm a call when the client cannot ask the person
// itself: a token is bound to the caller, the exact tool and the exact arguments, and
// expires after a few minutes.
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
)

// Tokens issues and checks confirmation tokens. Replicas that must accept each other's
// tokens share the key; with a random key, a token is good on the process that issued it.
type Tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
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
	return &Tokens{key: key, ttl: ttl, now: time.Now}
}

// TTL is how long a token stays valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

var enc = base64.RawURLEncoding

// Issue returns a token for caller calling tool with args.
func (t *Tokens) Issue(caller, tool string, args map[string]any) string {
	exp := t.now().Add(t.ttl).Unix()
	return enc.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(exp))) + "." + enc.EncodeToString(t.mac(exp, caller, tool, args))
}

// Check verifies that token was issued for exactly this call and has not expired.
func (t *Tokens) Check(token, caller, tool string, args map[string]any) error {
	expPart, macPart, ok := strings.Cut(token, ".")
	rawExp, err1 := enc.DecodeString(expPart)
	mac, err2 := enc.DecodeString(macPart)
	if !ok || err1 != nil || err2 != nil || len(rawExp) != 8 {
		return ErrMismatch
	}
	exp := int64(binary.BigEndian.Uint64(rawExp))
	if !hmac.Equal(mac, t.mac(exp, caller, tool, args)) {
		return ErrMismatch
	}
	if t.now().Unix() > exp {
		return ErrExpired
	}
	return nil
}

func (t *Tokens) mac(exp int64, caller, tool string, args map[string]any) []byte {
	canon, _ := json.Marshal(args) // map keys are sorted at every depth: one encoding per value
	h := hmac.New(sha256.New, t.key)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(exp)))
	for _, s := range []string{caller, tool} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		h.Write([]byte(s))
	}
	h.Write(canon)
	return h.Sum(nil)
}
