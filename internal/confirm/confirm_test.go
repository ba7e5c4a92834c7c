package confirm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
)

func TestNeeded(t *testing.T) {
	want := map[config.ConfirmPolicy][]catalog.Effect{
		config.ConfirmDestructive: {catalog.EffectDestroy, catalog.EffectRunCode, catalog.EffectPrivilege, "unknown"},
		config.ConfirmMutations:   {catalog.EffectConfigure, catalog.EffectDisrupt, catalog.EffectDestroy, catalog.EffectRunCode, catalog.EffectPrivilege, "unknown"},
		config.ConfirmNone:        nil,
	}
	for policy, asked := range want {
		for _, e := range append(slices.Clone(catalog.Effects), "unknown") {
			if got := Needed(policy, e); got != slices.Contains(asked, e) {
				t.Errorf("%s: Needed(%s) = %v, want %v", policy, e, got, !got)
			}
		}
	}
}

// TestTokens_BoundToCallerToolArgumentsAndTime runs in a synctest bubble: the clock moves
// only when the test lets time pass, to the second.
func TestTokens_BoundToCallerToolArgumentsAndTime(t *testing.T) {
	synctest.Test(t, testTokensBound)
}

func testTokensBound(t *testing.T) {
	tk := NewTokens(nil, time.Minute)
	args := map[string]any{"stack": "immich", "services": []any{"db"}, "opts": map[string]any{"b": 1.0, "a": true}}
	tok := tk.Issue("alice", "komodo_execute_DestroyStack", args)

	same := map[string]any{"opts": map[string]any{"a": true, "b": 1.0}, "services": []any{"db"}, "stack": "immich"}
	if err := tk.Use(tok, "alice", "komodo_execute_DestroyStack", same); err != nil {
		t.Errorf("same call, keys in another order: %v", err)
	}
	if err := tk.Use(tok, "alice", "komodo_execute_DestroyStack", args); !errors.Is(err, ErrSpent) {
		t.Errorf("second use of the token: %v, want ErrSpent", err)
	}
	for name, c := range map[string]struct {
		caller, tool string
		args         map[string]any
	}{
		"other caller": {"bob", "komodo_execute_DestroyStack", args},
		"other tool":   {"alice", "komodo_write_DeleteStack", args},
		"other target": {"alice", "komodo_execute_DestroyStack", map[string]any{"stack": "wiki", "services": []any{"db"}, "opts": map[string]any{"b": 1.0, "a": true}}},
		"extra arg":    {"alice", "komodo_execute_DestroyStack", map[string]any{"stack": "immich", "services": []any{"db"}, "opts": map[string]any{"b": 1.0, "a": true}, "remove_orphans": true}},
	} {
		if err := tk.Use(tok, c.caller, c.tool, c.args); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
	for _, bad := range []string{"", "x", "a.b", tok + "x", "AAAAAAAAAAA." + tok[12:]} {
		if err := tk.Use(bad, "alice", "komodo_execute_DestroyStack", args); !errors.Is(err, ErrMismatch) {
			t.Errorf("token %q: %v, want ErrMismatch", bad, err)
		}
	}
	if err := NewTokens(nil, time.Minute).Use(tok, "alice", "komodo_execute_DestroyStack", args); !errors.Is(err, ErrMismatch) {
		t.Errorf("another key: %v", err)
	}
	early, late := tk.Issue("alice", "t", args), tk.Issue("alice", "t", args)
	<-time.After(time.Minute) // the bubble's clock: the ttl has just passed
	if err := tk.Use(early, "alice", "t", args); err != nil {
		t.Errorf("at the ttl: %v, want the token still good", err)
	}
	<-time.After(time.Second)
	if err := tk.Use(late, "alice", "t", args); !errors.Is(err, ErrExpired) {
		t.Errorf("a second after the ttl: %v, want ErrExpired", err)
	}
}

// TestTokens_SpentSetForgetsExpired: remembering spent tokens costs memory only until
// they expire.
func TestTokens_SpentSetForgetsExpired(t *testing.T) { synctest.Test(t, testSpentSetForgetsExpired) }

func testSpentSetForgetsExpired(t *testing.T) {
	tk := NewTokens(nil, time.Minute)
	for i := range 100 {
		args := map[string]any{"stack": fmt.Sprint(i)}
		if err := tk.Use(tk.Issue("alice", "t", args), "alice", "t", args); err != nil {
			t.Fatal(err)
		}
	}
	<-time.After(2 * time.Minute) // the bubble's clock
	args := map[string]any{"stack": "last"}
	if err := tk.Use(tk.Issue("alice", "t", args), "alice", "t", args); err != nil {
		t.Fatal(err)
	}
	if n := len(tk.spent); n != 1 {
		t.Fatalf("%d spent tokens remembered after the others expired, want 1", n)
	}
}

// TestTokens_TwoIdenticalCallsTwoTokens: two previews of the same call give two tokens,
// each good for one call.
func TestTokens_TwoIdenticalCallsTwoTokens(t *testing.T) {
	tk := NewTokens(nil, time.Minute)
	args := map[string]any{"stack": "immich"}
	a, b := tk.Issue("alice", "t", args), tk.Issue("alice", "t", args)
	if a == b {
		t.Fatal("two previews of one call gave the same token")
	}
	for _, tok := range []string{a, b} {
		if err := tk.Use(tok, "alice", "t", args); err != nil {
			t.Fatal(err)
		}
		if err := tk.Use(tok, "alice", "t", args); !errors.Is(err, ErrSpent) {
			t.Fatalf("second use: %v", err)
		}
	}
}

// TestJournalTokens: processes that share a key and a journal (successive CLI calls)
// accept each other's tokens, each token once.
func TestJournalTokens(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "dir", "spent")
	key := []byte("derived from the Komodo URL and credentials")
	args := map[string]any{"stack": "web"}
	tok := NewJournalTokens(key, 0, journal).Issue("cli", "komodo_write_DeleteStack", args)
	if err := NewJournalTokens(key, 0, journal).Use(tok, "cli", "komodo_write_DeleteStack", args); err != nil {
		t.Fatalf("a second process refused the token: %v", err)
	}
	if err := NewJournalTokens(key, 0, journal).Use(tok, "cli", "komodo_write_DeleteStack", args); !errors.Is(err, ErrSpent) {
		t.Fatalf("a third process accepted a spent token: %v", err)
	}
	if err := NewJournalTokens([]byte("another Komodo"), 0, journal).Use(tok, "cli", "komodo_write_DeleteStack", args); !errors.Is(err, ErrMismatch) {
		t.Fatalf("another key accepted the token: %v", err)
	}
	if fi, err := os.Stat(journal); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal: %v %v", fi, err)
	}
	// The journal is compacted once it grows: spent tokens stay spent.
	big := NewJournalTokens(key, 0, journal)
	for i := range 1200 {
		a := map[string]any{"i": i}
		if err := big.Use(big.Issue("cli", "x", a), "cli", "x", a); err != nil {
			t.Fatal(err)
		}
	}
	if err := NewJournalTokens(key, 0, journal).Use(tok, "cli", "komodo_write_DeleteStack", args); !errors.Is(err, ErrSpent) {
		t.Fatalf("after compaction: %v", err)
	}
}

// TestJournalTokens_ConcurrentProcesses: `komodo-mcp call` run several times at once with
// the same token (a script, a retrying client) confirms one call, not one per process.
// Each Tokens below stands for one process: its own memory, the shared journal.
func TestJournalTokens_ConcurrentProcesses(t *testing.T) {
	key, journal := []byte("the Komodo and its credentials"), filepath.Join(t.TempDir(), "spent")
	args := map[string]any{"id": "db"}
	for round := range 20 {
		tok := NewJournalTokens(key, 0, journal).Issue("cli", "komodo_execute_DestroyStack", args)
		const processes = 8
		results := make(chan error, processes)
		start := make(chan struct{})
		for range processes {
			p := NewJournalTokens(key, 0, journal)
			go func() {
				<-start
				results <- p.Use(tok, "cli", "komodo_execute_DestroyStack", args)
			}()
		}
		close(start)
		ok := 0
		for range processes {
			if err := <-results; err == nil {
				ok++
			} else if !errors.Is(err, ErrSpent) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: one token confirmed %d calls made at once (want exactly 1)", round, ok)
		}
	}
}
