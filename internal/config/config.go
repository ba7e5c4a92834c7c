// Package config reads the komodo-mcp server settings from command-line flags, the
// environment and a .env file (in that order of precedence) and validates them, so that a
// mistake is reported once, at start-up, as one line naming the setting to fix.
//
// Every setting has an environment variable (KOMODO_*). Non-secret settings also have a flag;
// secrets (API secret, password, JWT) are read only from the environment, the .env file or a
// file named by the matching *_FILE variable, because command lines are visible to other users.
// An environment variable set to the empty string counts as unset.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
)

// Defaults and limits of the numeric settings.
const (
	DefaultRetryCount = 3
	MaxRetryCount     = 10
	DefaultRetryDelay = time.Second
	MaxRetryDelay     = 60 * time.Second
	DefaultTimeout    = 30 * time.Second
	DefaultWaitCap    = 50 * time.Second // below the ~60 s after which MCP clients give up on a call
	MaxWaitCap        = 10 * time.Minute
	MaxTimeout        = 10 * time.Minute
	DefaultEnvFile    = ".env"
)

// Config is the validated configuration of the server. Print or log it freely: String,
// GoString and LogValue redact the API secret, the password and the JWT.
type Config struct {
	URL       string    // KOMODO_URL: http(s)://host[:port][/base], no trailing slash; empty only in demo mode
	AuthMode  auth.Mode // KOMODO_AUTH_MODE, default auth.ModeAPIKey
	APIKey    string    // KOMODO_API_KEY or KOMODO_API_KEY_FILE (api-key and hmac modes)
	APISecret string    // KOMODO_API_SECRET or KOMODO_API_SECRET_FILE (api-key and hmac modes)
	Username  string    // KOMODO_USERNAME (jwt mode)
	Password  string    // KOMODO_PASSWORD or KOMODO_PASSWORD_FILE (jwt mode)
	JWT       string    // KOMODO_JWT or KOMODO_JWT_FILE: a token to use instead of, or before, logging in (jwt mode)

	RetryCount int           // KOMODO_RETRY_COUNT, --retry-count: retries after the first attempt, 0..10, default 3
	RetryDelay time.Duration // KOMODO_RETRY_DELAY, --retry-delay: first retry delay, (0, 60s], default 1s
	Timeout    time.Duration // KOMODO_TIMEOUT, --timeout: per-request timeout, (0, 10m], default 30s
	WaitCap    time.Duration // KOMODO_WAIT_CAP, --wait-cap: longest wait of an execute tool, (0, 10m], default 50s

	Toolsets     []string // KOMODO_TOOLSETS, --toolsets: comma-separated toolset names
	Tools        []string // KOMODO_TOOLS, --tools: comma-separated tool names to add
	ExcludeTools []string // KOMODO_EXCLUDE_TOOLS, --exclude-tools: comma-separated tool names to remove
	ReadOnly     bool     // KOMODO_READ_ONLY, --read-only: offer no tool that changes anything
	Demo         bool     // KOMODO_DEMO, --demo: talk to the embedded simulator; URL and credentials not needed
	// CoreVersion (KOMODO_CORE_VERSION, --komodo-version) is the Komodo version whose tools to
	// serve instead of the one the Core reports (with Demo: the version the simulator plays).
	CoreVersion string

	LogLevel slog.Level // KOMODO_LOG_LEVEL, --log-level: debug, info, warn or error; default info
	HTTPAddr string     // KOMODO_HTTP_ADDR, --http: serve streamable HTTP on host:port; empty means stdio

	// PassThrough is derived, not set: HTTP mode without Komodo credentials of its own, where
	// each caller's Komodo credentials are used for that caller's requests.
	PassThrough bool
	HTTP        HTTPConfig // the settings of the HTTP service (KOMODO_HTTP_*)

	AuditLog string        // KOMODO_AUDIT_LOG, --audit-log: file that receives a copy of the audit lines
	Confirm  ConfirmPolicy // KOMODO_CONFIRM, --confirm: which calls need a person's confirmation

	EnvFile string // the .env file that was read; empty when none was
}

// Error is a configuration mistake. Its message is one line that names the setting as the
// user wrote it (flag, environment variable, or variable in the .env file) and says what to do.
// A command should print it and exit with status 2.
type Error struct {
	Setting string // the environment variable concerned, e.g. "KOMODO_URL"; empty for a flag syntax error
	Msg     string // the complete message
}

// Error returns the one-line message.
func (e *Error) Error() string { return e.Msg }

// IsConfigError reports whether err is, or wraps, a configuration *Error.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}

const redacted = "REDACTED"

// LogValue implements slog.LogValuer; secrets show as REDACTED when set and empty when not.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL),
		slog.String("auth_mode", string(c.AuthMode)),
		slog.String("api_key", c.APIKey),
		slog.String("api_secret", redact(c.APISecret)),
		slog.String("username", c.Username),
		slog.String("password", redact(c.Password)),
		slog.String("jwt", redact(c.JWT)),
		slog.Int("retry_count", c.RetryCount),
		slog.Duration("retry_delay", c.RetryDelay),
		slog.Duration("timeout", c.Timeout),
		slog.Duration("wait_cap", c.WaitCap),
		slog.String("toolsets", strings.Join(c.Toolsets, ",")),
		slog.String("tools", strings.Join(c.Tools, ",")),
		slog.String("exclude_tools", strings.Join(c.ExcludeTools, ",")),
		slog.Bool("read_only", c.ReadOnly),
		slog.Bool("demo", c.Demo),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("http_addr", c.HTTPAddr),
		slog.Bool("pass_through", c.PassThrough),
		slog.String("http_tokens_file", c.HTTP.TokensFile),
		slog.String("http_allowed_origins", strings.Join(c.HTTP.AllowedOrigins, ",")),
		slog.String("http_allowed_hosts", strings.Join(c.HTTP.AllowedHosts, ",")),
		slog.Duration("http_session_idle", c.HTTP.SessionIdle),
		slog.Int("http_max_sessions", c.HTTP.MaxSessions),
		slog.Bool("http_stateless", c.HTTP.Stateless),
		slog.String("audit_log", c.AuditLog),
		slog.String("confirm", string(c.Confirm)),
		slog.String("env_file", c.EnvFile),
	)
}

// String renders the configuration as key=value pairs with secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", a.Key, a.Value.String())
	}
	return b.String()
}

// GoString makes %#v redact secrets too.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// build turns raw settings into a Config, checking each one. It stops at the first mistake.
func build(s *settings, offline bool) (*Config, error) {
	c := &Config{EnvFile: s.envFile}
	var err error

	if c.Demo, err = parseBool(s.get(envDemo)); err != nil {
		return nil, err
	}
	if c.URL, err = parseURL(s.get(envURL), c.Demo || offline); err != nil {
		return nil, err
	}
	if c.AuthMode, err = parseAuthMode(s.get(envAuthMode)); err != nil {
		return nil, err
	}
	if c.APIKey, err = s.secret(envAPIKey); err != nil {
		return nil, err
	}
	if c.APISecret, err = s.secret(envAPISecret); err != nil {
		return nil, err
	}
	c.Username = s.get(envUsername).raw
	if c.Password, err = s.secret(envPassword); err != nil {
		return nil, err
	}
	if c.JWT, err = s.secret(envJWT); err != nil {
		return nil, err
	}
	if c.HTTPAddr, err = parseListenAddr(s.get(envHTTPAddr)); err != nil {
		return nil, err
	}
	c.PassThrough = c.HTTPAddr != "" && !c.Demo && !hasCredentials(c)
	if !c.Demo && !offline && !c.PassThrough {
		if err := checkCredentials(c); err != nil {
			return nil, err
		}
	}
	if c.RetryCount, err = parseRetryCount(s.get(envRetryCount)); err != nil {
		return nil, err
	}
	if c.RetryDelay, err = parseDuration(s.get(envRetryDelay), DefaultRetryDelay, MaxRetryDelay); err != nil {
		return nil, err
	}
	if c.WaitCap, err = parseDuration(s.get(envWaitCap), DefaultWaitCap, MaxWaitCap); err != nil {
		return nil, err
	}
	if c.Timeout, err = parseDuration(s.get(envTimeout), DefaultTimeout, MaxTimeout); err != nil {
		return nil, err
	}
	if c.CoreVersion, err = parseCoreVersion(s.get(envCoreVersion)); err != nil {
		return nil, err
	}
	c.Toolsets = parseList(s.get(envToolsets))
	c.Tools = parseList(s.get(envTools))
	c.ExcludeTools = parseList(s.get(envExcludeTools))
	if c.ReadOnly, err = parseBool(s.get(envReadOnly)); err != nil {
		return nil, err
	}
	if c.LogLevel, err = parseLogLevel(s.get(envLogLevel)); err != nil {
		return nil, err
	}
	if err := buildService(s, c); err != nil {
		return nil, err
	}
	return c, nil
}

const urlExample = "e.g. https://komodo.example.com"

func parseURL(v value, optional bool) (string, error) {
	if !v.set() {
		if optional {
			return "", nil
		}
		return "", &Error{Setting: v.env, Msg: v.name + " is not set: set it to your Komodo Core address, " + urlExample + " (or use --demo)"}
	}
	u, err := url.Parse(v.raw)
	if err == nil && u.User != nil {
		return "", v.invalidSecretly("has a user name or password in it: remove it and give the credentials in their own settings, e.g. KOMODO_API_KEY and KOMODO_API_SECRET")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if strings.Contains(v.raw, "@") { // may hold a password: do not echo it
			return "", v.invalidSecretly("is not an http(s) URL: set it to your Komodo Core address, " + urlExample)
		}
		return "", v.invalid("is not an http(s) URL: set it to your Komodo Core address, " + urlExample)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", v.invalid("has a query or fragment: give only scheme, host, optional port and base path, " + urlExample)
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", v.invalid("has an invalid port: use a number between 1 and 65535, e.g. https://komodo.example.com:9120")
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func parseAuthMode(v value) (auth.Mode, error) {
	if !v.set() {
		return auth.ModeAPIKey, nil
	}
	switch m := auth.Mode(strings.ToLower(v.raw)); m {
	case auth.ModeAPIKey, auth.ModeJWT, auth.ModeHMAC:
		return m, nil
	}
	return "", v.invalid("is not an authentication mode: use api-key (the default), jwt or hmac")
}

func checkCredentials(c *Config) error {
	switch c.AuthMode {
	case auth.ModeAPIKey, auth.ModeHMAC:
		if c.APIKey == "" {
			return &Error{Setting: envAPIKey, Msg: envAPIKey + " is not set: create an API key in the Komodo UI and set KOMODO_API_KEY and KOMODO_API_SECRET (or use --demo)"}
		}
		if c.APISecret == "" {
			return &Error{Setting: envAPISecret, Msg: envAPISecret + " is not set: set it (or KOMODO_API_SECRET_FILE) to the secret shown when the API key was created"}
		}
	case auth.ModeJWT:
		switch {
		case c.Username == "" && c.Password == "" && c.JWT == "":
			return &Error{Setting: envAuthMode, Msg: "KOMODO_AUTH_MODE=jwt needs credentials: set KOMODO_USERNAME and KOMODO_PASSWORD, or KOMODO_JWT (or use --demo)"}
		case c.Username != "" && c.Password == "":
			return &Error{Setting: envPassword, Msg: envPassword + " is not set: jwt mode logs in as KOMODO_USERNAME and needs its password (or KOMODO_PASSWORD_FILE)"}
		case c.Username == "" && c.Password != "":
			return &Error{Setting: envUsername, Msg: envUsername + " is not set: jwt mode needs the user name that goes with KOMODO_PASSWORD"}
		}
	}
	return nil
}

func parseRetryCount(v value) (int, error) {
	if !v.set() {
		return DefaultRetryCount, nil
	}
	n, err := strconv.Atoi(v.raw)
	if err != nil || n < 0 || n > MaxRetryCount {
		return 0, v.invalid(fmt.Sprintf("is not a whole number between 0 and %d", MaxRetryCount))
	}
	return n, nil
}

// parseDuration accepts a Go duration ("500ms", "2s") or a bare number of seconds ("1", "0.5").
func parseDuration(v value, def, max time.Duration) (time.Duration, error) {
	if !v.set() {
		return def, nil
	}
	d, err := time.ParseDuration(v.raw)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v.raw, 64)
		if ferr != nil || secs != secs { // secs != secs: NaN
			return 0, v.invalid(fmt.Sprintf("is not a duration: use a Go duration such as 500ms or 2s, or a number of seconds, up to %s", max))
		}
		if secs > max.Seconds() {
			d = max + 1
		} else {
			d = time.Duration(secs * float64(time.Second))
		}
	}
	if d <= 0 || d > max {
		return 0, v.invalid(fmt.Sprintf("is out of range: give more than 0 and at most %s (a bare number means seconds)", max))
	}
	return d, nil
}

func parseList(v value) []string {
	var out []string
	for _, s := range strings.Split(v.raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseBool(v value) (bool, error) {
	if !v.set() {
		return false, nil
	}
	switch strings.ToLower(v.raw) {
	case "1", "t", "true", "yes", "y", "on":
		return true, nil
	case "0", "f", "false", "no", "n", "off":
		return false, nil
	}
	return false, v.invalid("is not a boolean: use true or false")
}

func parseLogLevel(v value) (slog.Level, error) {
	if !v.set() {
		return slog.LevelInfo, nil
	}
	switch strings.ToLower(v.raw) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, v.invalid("is not a log level: use debug, info, warn or error")
}

func parseListenAddr(v value) (string, error) {
	if !v.set() {
		return "", nil
	}
	_, port, err := net.SplitHostPort(v.raw)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return "", v.invalid("is not a listen address: use host:port, e.g. 127.0.0.1:8080, or :8080 for all interfaces")
	}
	return v.raw, nil
}

// coreVersionRE is a Komodo version as its releases are tagged: 1.19.5, v2.3, 2.0.0.
var coreVersionRE = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?$`)

func parseCoreVersion(v value) (string, error) {
	if !v.set() {
		return "", nil
	}
	if !coreVersionRE.MatchString(v.raw) {
		return "", v.invalid("is not a Komodo version like 1.19.5 or 2.3.2")
	}
	return strings.TrimPrefix(v.raw, "v"), nil
}
