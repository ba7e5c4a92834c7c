package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ConfirmPolicy says which tool calls need a person's confirmation before they run.
type ConfirmPolicy string

// The confirmation policies of KOMODO_CONFIRM.
const (
	// ConfirmDestructive asks before calls whose effect (api/effects.yaml) destroys or
	// revokes, runs code or grants privileges. Everyday deploys, builds and restarts run
	// unasked.
	ConfirmDestructive ConfirmPolicy = "destructive"
	// ConfirmMutations asks before every call that changes something in Komodo.
	ConfirmMutations ConfirmPolicy = "mutations"
	// ConfirmNone never asks.
	ConfirmNone ConfirmPolicy = "none"
)

// Defaults and limits of the HTTP service settings.
const (
	DefaultSessionIdle = 30 * time.Minute
	MaxSessionIdle     = 24 * time.Hour
	DefaultMaxSessions = 1000
	MaxMaxSessions     = 1_000_000
)

// HTTPConfig holds the settings of the streamable HTTP service; they matter only with HTTPAddr.
type HTTPConfig struct {
	TokensFile     string        // KOMODO_HTTP_TOKENS_FILE, --http-tokens-file: "name token" lines
	AllowedOrigins []string      // KOMODO_HTTP_ALLOWED_ORIGINS, --http-allowed-origins: scheme://host[:port], lower case
	AllowedHosts   []string      // KOMODO_HTTP_ALLOWED_HOSTS, --http-allowed-hosts: host names, lower case
	SessionIdle    time.Duration // KOMODO_HTTP_SESSION_IDLE, --http-session-idle: default 30m
	MaxSessions    int           // KOMODO_HTTP_MAX_SESSIONS, --http-max-sessions: default 1000
	Stateless      bool          // KOMODO_HTTP_STATELESS, --http-stateless
}

// hasCredentials reports whether any Komodo credential of the server's own is set.
func hasCredentials(c *Config) bool {
	return c.APIKey != "" || c.APISecret != "" || c.Username != "" || c.Password != "" || c.JWT != ""
}

// buildService reads the settings of the HTTP service, the audit log and confirmation.
func buildService(s *settings, c *Config) error {
	var err error
	c.HTTP.TokensFile = s.get(envHTTPTokensFile).raw
	if c.HTTP.AllowedOrigins, err = parseOrigins(s.get(envHTTPAllowedOrigins)); err != nil {
		return err
	}
	if c.HTTP.AllowedHosts, err = parseHosts(s.get(envHTTPAllowedHosts)); err != nil {
		return err
	}
	if c.HTTP.SessionIdle, err = parseDuration(s.get(envHTTPSessionIdle), DefaultSessionIdle, MaxSessionIdle); err != nil {
		return err
	}
	if c.HTTP.MaxSessions, err = parseCount(s.get(envHTTPMaxSessions), DefaultMaxSessions, MaxMaxSessions); err != nil {
		return err
	}
	if c.HTTP.Stateless, err = parseBool(s.get(envHTTPStateless)); err != nil {
		return err
	}
	c.AuditLog = s.get(envAuditLog).raw
	if c.Confirm, err = parseConfirm(s.get(envConfirm)); err != nil {
		return err
	}
	if c.PassThrough && c.HTTP.TokensFile != "" {
		v := s.get(envHTTPTokensFile)
		return v.invalid("is set but the server has no Komodo credentials of its own: callers then authenticate with their own Komodo credentials, so remove " + v.name + ", or set KOMODO_API_KEY and KOMODO_API_SECRET to share one Komodo identity")
	}
	return nil
}

func parseCount(v value, def, max int) (int, error) {
	if !v.set() {
		return def, nil
	}
	n, err := strconv.Atoi(v.raw)
	if err != nil || n < 1 || n > max {
		return 0, v.invalid(fmt.Sprintf("is not a whole number between 1 and %d", max))
	}
	return n, nil
}

// parseOrigins accepts origins as browsers send them: scheme://host[:port], nothing else.
func parseOrigins(v value) ([]string, error) {
	list := parseList(v)
	for i, o := range list {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, v.invalid(fmt.Sprintf("has %q, which is not an origin: give scheme://host[:port] as a browser sends it, e.g. https://app.example.com", o))
		}
		list[i] = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	return list, nil
}

// parseHosts accepts host names or IP addresses, without scheme, port or path.
func parseHosts(v value) ([]string, error) {
	list := parseList(v)
	for i, h := range list {
		if strings.ContainsAny(h, "/:@ ") && !strings.HasPrefix(h, "[") {
			return nil, v.invalid(fmt.Sprintf("has %q, which is not a host name: give names only, without scheme or port, e.g. mcp.example.com", h))
		}
		list[i] = strings.ToLower(strings.Trim(h, "[]"))
	}
	return list, nil
}

func parseConfirm(v value) (ConfirmPolicy, error) {
	if !v.set() {
		return ConfirmDestructive, nil
	}
	switch p := ConfirmPolicy(strings.ToLower(v.raw)); p {
	case ConfirmDestructive, ConfirmMutations, ConfirmNone:
		return p, nil
	}
	return "", v.invalid("is not a confirmation policy: use destructive (the default), mutations or none")
}
