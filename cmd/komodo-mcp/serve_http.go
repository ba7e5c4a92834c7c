package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/httpserve"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

// serveHTTP serves MCP over streamable HTTP at /mcp (with /healthz and /readyz) until ctx is
// done, then shuts down gracefully. SIGHUP reloads the tokens file.
func serveHTTP(ctx context.Context, cfg *config.Config, srv *server.Server, logger *slog.Logger) error {
	opts := httpserve.Options{
		Addr:           cfg.HTTPAddr,
		PassThrough:    cfg.PassThrough,
		AllowedOrigins: cfg.HTTP.AllowedOrigins,
		AllowedHosts:   cfg.HTTP.AllowedHosts,
		SessionIdle:    cfg.HTTP.SessionIdle,
		MaxSessions:    cfg.HTTP.MaxSessions,
		Stateless:      cfg.HTTP.Stateless,
		Ready:          httpserve.KomodoReachable(cfg.URL),
		Logger:         logger,
	}
	if cfg.PassThrough {
		opts.Lookup = httpserve.KomodoUser(srv.RPC())
	}
	if cfg.HTTP.TokensFile != "" {
		tokens, err := httpserve.LoadTokens(cfg.HTTP.TokensFile)
		if err != nil {
			return usageError("KOMODO_HTTP_TOKENS_FILE: %v", err)
		}
		opts.Tokens = tokens
		stop := reloadOnHUP(tokens, logger)
		defer stop()
	}
	svc, err := httpserve.New(srv.MCP(), opts)
	if err != nil {
		if errors.Is(err, httpserve.ErrUnsafe) {
			return usageError("%v", err)
		}
		return err
	}
	for _, w := range svc.Warnings() {
		logger.Warn(w)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	if cfg.CoreVersion == "" || cfg.Demo { // the Core's own version's tools, asked in the background
		srv.WatchKomodo(ctx, watchUp, watchDown)
	}
	mode := "shared credentials"
	switch {
	case cfg.PassThrough:
		mode = "pass-through: each caller's Komodo credentials"
	case opts.Tokens != nil:
		mode = fmt.Sprintf("shared credentials behind %d client tokens", opts.Tokens.Len())
	}
	logger.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+httpserve.Path,
		"auth", mode, "stateless", cfg.HTTP.Stateless, "session_idle", cfg.HTTP.SessionIdle, "max_sessions", cfg.HTTP.MaxSessions)
	return svc.Serve(ctx, ln)
}

// reloadOnHUP rereads the tokens file on SIGHUP; a bad file leaves the previous tokens in force.
func reloadOnHUP(tokens *httpserve.Tokens, logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := tokens.Reload(); err != nil {
					logger.Error("tokens not reloaded; the previous tokens stay in force", "error", err)
				} else {
					logger.Info("tokens reloaded", "tokens", tokens.Len())
				}
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}
