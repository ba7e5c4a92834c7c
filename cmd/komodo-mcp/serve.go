package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/stdio"
)

// serve runs the MCP server on stdio, or on streamable HTTP with --http.
func serve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("serve", stderr)
	// A client that starts the server on stdio (not a person at a terminal, not --http)
	// gets configuration mistakes as answers, instead of a process that is gone.
	toClient := !isTerminal(stdin) && getenv("KOMODO_HTTP_ADDR") == "" && !hasFlag(args, "http")
	cfg, err := parseConfig(fs, cf, args, getenv)
	if err == nil && fs.NArg() > 0 {
		err = usageError("unexpected argument %q", fs.Arg(0))
	}
	if err == nil && cfg.HTTPAddr == "" {
		err = selectionError(cfg)
	}
	if err != nil {
		mistake := config.IsConfigError(err) || errors.As(err, new(*usageErr))
		if mistake && toClient && (cfg == nil || cfg.HTTPAddr == "") {
			return serveUnconfigured(ctx, err, stdin, stdout, stderr)
		}
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	srv, cleanup, err := build(ctx, cfg, logger, stderr)
	if err != nil {
		if toClient && cfg.HTTPAddr == "" {
			return serveUnconfigured(ctx, err, stdin, stdout, stderr)
		}
		return err
	}
	defer cleanup()
	watch := cfg.CoreVersion == "" || cfg.Demo

	if cfg.HTTPAddr != "" {
		return serveHTTP(ctx, cfg, srv, logger) // watches the Core's version once its checks passed
	}
	detectKomodo(ctx, cfg, srv, logger)
	if watch {
		srv.WatchKomodo(ctx, watchUp, watchDown)
	}
	logger.Debug("serving MCP on stdio")
	if isTerminal(stdin) {
		stdioHint(stderr, cfg.Demo)
	}
	// Our transport, not the SDK's: a line that is not JSON-RPC is answered and skipped
	// instead of ending the process.
	t := &stdio.Transport{Reader: stdin, Writer: stdout, Logger: logger}
	if err := srv.MCP().Run(ctx, t); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// build connects the configuration to a Komodo - the embedded simulator with --demo - and
// creates the MCP server. cleanup stops the simulator.
// Audit lines go to stderr (and KOMODO_AUDIT_LOG).
func build(ctx context.Context, cfg *config.Config, logger *slog.Logger, stderr io.Writer) (*server.Server, func(), error) {
	return buildWith(ctx, cfg, logger, stderr, nil)
}

// buildWith is build with the confirmation tokens given (nil: a random key, good only in
// this process).
func buildWith(ctx context.Context, cfg *config.Config, logger *slog.Logger, stderr io.Writer, tokens *confirm.Tokens) (*server.Server, func(), error) {
	if _, err := server.List(selection(cfg)); err != nil { // refuse a bad selection before starting anything
		return nil, nil, usageError("%v", err)
	}
	cleanup := func() {}
	if cfg.Demo {
		url, stop, err := startDemo(ctx, logger, cfg.CoreVersion)
		if err != nil {
			return nil, nil, err
		}
		cleanup = stop
		demoCredentials(cfg, url)
		logger.Info("demo mode: using the embedded Komodo simulator", "url", url)
	}
	client, err := rpc.New(cfg, logger)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	auditLog, err := audit.New(stderr, cfg.AuditLog)
	if err != nil {
		cleanup()
		return nil, nil, usageError("%v", err)
	}
	stop := cleanup
	cleanup = func() { _ = auditLog.Close(); stop() }
	srv, err := server.New(client, selection(cfg), logger, server.Options{WaitCap: cfg.WaitCap,
		Audit: auditLog, Confirm: cfg.Confirm, ConfirmTokens: tokens})
	if err != nil {
		cleanup()
		return nil, nil, usageError("%v", err)
	}
	if cfg.CoreVersion != "" && !cfg.Demo {
		logger.Info("serving the tools of the Komodo version given", "komodo_version", cfg.CoreVersion, "catalog", srv.Catalog().Version)
	}
	return srv, cleanup, nil
}

// detectKomodo serves the tools of the Core's own version (unless --komodo-version pins one),
// asking it once, briefly: a Core that does not answer gets the newest version's tools until
// it does (serve keeps asking, WatchKomodo).
func detectKomodo(ctx context.Context, cfg *config.Config, srv *server.Server, logger *slog.Logger) {
	if cfg.CoreVersion != "" && !cfg.Demo {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	m, err := srv.DetectKomodo(dctx)
	if err != nil {
		logger.Warn("could not read Komodo's version: serving the tools of the newest version known until it answers",
			"catalog", srv.Catalog().Version, "err", err)
		return
	}
	logger.Info("Komodo Core version", "catalog", m.Catalog.Version, "exact", m.Exact)
}

// How often serve asks the Core its version: while it answers, and while it does not.
const (
	watchUp   = time.Minute
	watchDown = 5 * time.Second
)

// demoCredentials points cfg at the embedded simulator.
func demoCredentials(cfg *config.Config, url string) {
	cfg.URL, cfg.AuthMode, cfg.APIKey, cfg.APISecret = url, auth.ModeAPIKey, sim.DemoAPIKey, sim.DemoAPISecret
}

// selection is the tool selection a configuration asks for.
// With --komodo-version (and no simulator, which plays that version and is asked like any
// Core), the tools of that version.
func selection(cfg *config.Config) server.Selection {
	sel := server.Selection{Toolsets: cfg.Toolsets, Tools: cfg.Tools, Exclude: cfg.ExcludeTools, ReadOnly: cfg.ReadOnly}
	if cfg.CoreVersion != "" && !cfg.Demo {
		if m, err := catalog.ForCore(cfg.CoreVersion); err == nil {
			sel.Catalog = m.Catalog
		}
	}
	return sel
}

// startDemo starts the simulator on a random loopback port.
func startDemo(ctx context.Context, logger *slog.Logger, version string) (url string, stop func(), err error) {
	if version != "" {
		m, err := catalog.ForCore(version)
		if err != nil || !m.Exact {
			return "", nil, usageError("the simulator plays the Komodo versions komodo-mcp has tools for (%s), not %s", strings.Join(catalog.Versions(), ", "), version)
		}
	}
	s, err := sim.Listen("127.0.0.1:0", sim.Options{Logger: logger.With("component", "sim"), KomodoVersion: version})
	if err != nil {
		return "", nil, fmt.Errorf("start the demo simulator: %w", err)
	}
	return s.URL(), s.Close, nil
}

// hasFlag reports whether args set the flag name (-name, --name, with or without =value).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}
