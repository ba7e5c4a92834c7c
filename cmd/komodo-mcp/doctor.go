package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// doctor checks a configuration against its Komodo: reachable, which version (against the
// version the document was generated from), whether the credentials are accepted, whether
// the user may read, and whether Core's own operation list (GET /docs) matches the document.
// It prints one line per check and fails if one fails.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("doctor", stderr)
	docs := fs.Bool("docs", false, "require the cross-check of Core's own operation list (GET /docs) with the tools' document; without it the check runs when /docs is reachable")
	cfg, err := parseConfig(fs, cf, args, getenv)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return &config.Error{Setting: ce.Setting, Msg: ce.Msg + ". " + configFix(err)}
		}
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	if cfg.Demo {
		url, stop, err := startDemo(ctx, logger, cfg.CoreVersion)
		if err != nil {
			return err
		}
		defer stop()
		demoCredentials(cfg, url)
	}
	// One attempt per check: doctor reports what it finds, at once. (The server retries
	// reads; a refused connection or a name that does not resolve would only be retried
	// for seconds before saying the same.)
	cfg.RetryCount = 0
	client, err := rpc.New(cfg, logger)
	if err != nil {
		return err
	}
	explain := func(err error) string {
		e := rpc.AsError(err).Redacted(client.Secrets()...)
		if e.Hint != "" {
			return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Hint)
		}
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}

	failed := false
	report := func(ok bool, format string, a ...any) {
		mark := "ok  "
		if !ok {
			mark, failed = "FAIL", true
		}
		fmt.Fprintf(stdout, "%s %s\n", mark, fmt.Sprintf(format, a...))
	}

	cat := catalog.Newest()
	if version, err := client.Version(ctx); err != nil {
		switch e := rpc.AsError(err); {
		case e.WrongAddress():
			report(false, "KOMODO_URL %s does not lead to Komodo Core's API: %s", cfg.URL, explain(err))
		case e.Code == errcode.NetworkError:
			report(false, "Komodo Core at %s is unreachable: %s", cfg.URL, explain(err))
		default:
			report(false, "Komodo Core at %s: %s", cfg.URL, explain(err))
		}
		return errToolFailed // nothing else can be checked
	} else {
		report(true, "Komodo Core at %s answers, version %s", cfg.URL, version)
		m, err := catalog.ForCore(version)
		switch {
		case err != nil:
			report(false, "tools for Komodo %s: %v", version, err)
		case m.Exact:
			cat = m.Catalog
			report(true, "tools: the catalog of Komodo %s (%d tools; catalogs: %s)", m.Catalog.Version, len(m.Catalog.Tools), strings.Join(catalog.Versions(), ", "))
		default:
			cat = m.Catalog
			report(false, "tools: %s", m.Warning)
		}
	}
	if u, err := client.User(ctx); err != nil {
		report(false, "credentials (%s mode): %s", cfg.AuthMode, explain(err))
	} else {
		var user struct {
			Username string `json:"username"`
			Admin    bool   `json:"admin"`
		}
		_ = json.Unmarshal(u, &user)
		report(true, "credentials (%s mode) accepted: user %s (admin: %t)", cfg.AuthMode, user.Username, user.Admin)
	}
	if _, err := client.Call(ctx, "POST", "/read/ListServers", []byte(`{"limit":1}`)); err != nil {
		if rpc.AsError(err).WrongAddress() {
			report(false, "KOMODO_URL %s does not lead to Komodo Core's API: %s", cfg.URL, explain(err))
		} else {
			report(false, "read access (ListServers): %s", explain(err))
		}
	} else {
		report(true, "read access (ListServers)")
	}
	checkDocs(ctx, cfg.URL, cat, *docs, stdout, report)
	if failed {
		return errToolFailed
	}
	return nil
}

// checkDocs compares Core's GET /docs operation list with the document's (the drift alarm of
// regenerating on a Komodo release). An unreachable /docs fails only when required.
func checkDocs(ctx context.Context, base string, cat *catalog.Catalog, required bool, stdout io.Writer, report func(bool, string, ...any)) {
	page, err := fetchDocs(ctx, base)
	var core []string
	if err == nil {
		core, err = docsOperations(page)
	}
	if err != nil {
		if required {
			report(false, "Core's operation list (GET %s): %v", docsPath, err)
		} else {
			fmt.Fprintf(stdout, "skip Core's operation list (GET %s): %v\n", docsPath, err)
		}
		return
	}
	ours := ourOperations(cat)
	added, removed := docsDrift(core, ours)
	if len(added) == 0 && len(removed) == 0 {
		report(true, "Core's operation list (GET %s) matches the tools of Komodo %s: %d operations (allowing for Komodo 2.3.2's 3 known differences)", docsPath, cat.Version, len(ours))
		return
	}
	report(false, "Core's operation list (GET %s) differs from the tools of Komodo %s: %d added in Core %v, %d gone from Core %v; regenerate with `make regenerate KOMODO_VERSION=<Core's version>`",
		docsPath, cat.Version, len(added), added, len(removed), removed)
}
