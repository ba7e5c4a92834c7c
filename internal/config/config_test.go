package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
)

// env is a getenv over a fixed map, so tests never read the real environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// apiKeyEnv is a valid minimal api-key configuration plus extra.
func apiKeyEnv(extra map[string]string) map[string]string {
	m := map[string]string{
		"KOMODO_URL":        "https://komodo.example.com",
		"KOMODO_API_KEY":    "K-key",
		"KOMODO_API_SECRET": "S-secret",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// inTempDir runs the test in an empty directory, so no stray .env is picked up.
func inTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_WaitCap(t *testing.T) {
	inTempDir(t)
	got, err := Load([]string{"--wait-cap", "20s"}, env(apiKeyEnv(nil)))
	if err != nil || got.WaitCap != 20*time.Second {
		t.Errorf("--wait-cap 20s: %v, %v", got, err)
	}
	if _, err := Load(nil, env(apiKeyEnv(map[string]string{"KOMODO_WAIT_CAP": "forever"}))); err == nil || !strings.Contains(err.Error(), "KOMODO_WAIT_CAP") {
		t.Errorf("bad KOMODO_WAIT_CAP: %v", err)
	}
}

func TestLoad_Defaults(t *testing.T) {
	inTempDir(t)
	got, err := Load(nil, env(apiKeyEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		URL:        "https://komodo.example.com",
		AuthMode:   auth.ModeAPIKey,
		APIKey:     "K-key",
		APISecret:  "S-secret",
		RetryCount: 3,
		RetryDelay: time.Second,
		Timeout:    30 * time.Second,
		WaitCap:    50 * time.Second,
		LogLevel:   slog.LevelInfo,
		HTTP:       HTTPConfig{SessionIdle: 30 * time.Minute, MaxSessions: 1000},
		Confirm:    ConfirmDestructive,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() = %+v\nwant %+v", *got, *want)
	}
}

func TestLoad_Values(t *testing.T) {
	inTempDir(t)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(*Config) any // returns the field under test
		want  any
	}{
		{"url trailing slash trimmed", apiKeyEnv(map[string]string{"KOMODO_URL": "https://komodo.example.com/"}), nil,
			func(c *Config) any { return c.URL }, "https://komodo.example.com"},
		{"url base path kept", apiKeyEnv(map[string]string{"KOMODO_URL": "http://10.0.0.5:9120/komodo//"}), nil,
			func(c *Config) any { return c.URL }, "http://10.0.0.5:9120/komodo"},
		{"url surrounding space trimmed", apiKeyEnv(map[string]string{"KOMODO_URL": " https://k.example.com \n"}), nil,
			func(c *Config) any { return c.URL }, "https://k.example.com"},
		{"auth mode case-insensitive", apiKeyEnv(map[string]string{"KOMODO_AUTH_MODE": "HMAC"}), nil,
			func(c *Config) any { return c.AuthMode }, auth.ModeHMAC},
		{"retry count zero", apiKeyEnv(map[string]string{"KOMODO_RETRY_COUNT": "0"}), nil,
			func(c *Config) any { return c.RetryCount }, 0},
		{"retry count max", apiKeyEnv(map[string]string{"KOMODO_RETRY_COUNT": "10"}), nil,
			func(c *Config) any { return c.RetryCount }, 10},
		{"retry delay go duration", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "500ms"}), nil,
			func(c *Config) any { return c.RetryDelay }, 500 * time.Millisecond},
		{"retry delay bare seconds", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "2"}), nil,
			func(c *Config) any { return c.RetryDelay }, 2 * time.Second},
		{"retry delay fractional seconds", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "0.25"}), nil,
			func(c *Config) any { return c.RetryDelay }, 250 * time.Millisecond},
		{"retry delay max", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "60"}), nil,
			func(c *Config) any { return c.RetryDelay }, time.Minute},
		{"timeout", apiKeyEnv(map[string]string{"KOMODO_TIMEOUT": "2m"}), nil,
			func(c *Config) any { return c.Timeout }, 2 * time.Minute},
		{"toolsets list", apiKeyEnv(map[string]string{"KOMODO_TOOLSETS": " read, execute,,auth "}), nil,
			func(c *Config) any { return c.Toolsets }, []string{"read", "execute", "auth"}},
		{"tools flag", apiKeyEnv(nil), []string{"--tools", "a,b"},
			func(c *Config) any { return c.Tools }, []string{"a", "b"}},
		{"exclude tools env", apiKeyEnv(map[string]string{"KOMODO_EXCLUDE_TOOLS": "x"}), nil,
			func(c *Config) any { return c.ExcludeTools }, []string{"x"}},
		{"read-only flag", apiKeyEnv(nil), []string{"--read-only"},
			func(c *Config) any { return c.ReadOnly }, true},
		{"read-only env yes", apiKeyEnv(map[string]string{"KOMODO_READ_ONLY": "Yes"}), nil,
			func(c *Config) any { return c.ReadOnly }, true},
		{"read-only flag false beats env", apiKeyEnv(map[string]string{"KOMODO_READ_ONLY": "true"}), []string{"--read-only=false"},
			func(c *Config) any { return c.ReadOnly }, false},
		{"log level", apiKeyEnv(map[string]string{"KOMODO_LOG_LEVEL": "DEBUG"}), nil,
			func(c *Config) any { return c.LogLevel }, slog.LevelDebug},
		{"log level warning", apiKeyEnv(nil), []string{"-log-level=warning"},
			func(c *Config) any { return c.LogLevel }, slog.LevelWarn},
		{"http addr", apiKeyEnv(nil), []string{"--http", "127.0.0.1:8080"},
			func(c *Config) any { return c.HTTPAddr }, "127.0.0.1:8080"},
		{"http addr all interfaces", apiKeyEnv(map[string]string{"KOMODO_HTTP_ADDR": ":8080"}), nil,
			func(c *Config) any { return c.HTTPAddr }, ":8080"},
		{"pass-through: http without credentials", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_HTTP_ADDR": ":8080"}, nil,
			func(c *Config) any { return c.PassThrough }, true},
		{"shared credentials are not pass-through", apiKeyEnv(map[string]string{"KOMODO_HTTP_ADDR": ":8080"}), nil,
			func(c *Config) any { return c.PassThrough }, false},
		{"demo over http is not pass-through", map[string]string{"KOMODO_DEMO": "1", "KOMODO_HTTP_ADDR": ":8080"}, nil,
			func(c *Config) any { return c.PassThrough }, false},
		{"tokens file", apiKeyEnv(nil), []string{"--http-tokens-file", "/etc/tokens"},
			func(c *Config) any { return c.HTTP.TokensFile }, "/etc/tokens"},
		{"allowed origins normalised", apiKeyEnv(map[string]string{"KOMODO_HTTP_ALLOWED_ORIGINS": "https://App.example.com, http://localhost:6274/"}), nil,
			func(c *Config) any { return c.HTTP.AllowedOrigins }, []string{"https://app.example.com", "http://localhost:6274"}},
		{"allowed hosts", apiKeyEnv(map[string]string{"KOMODO_HTTP_ALLOWED_HOSTS": "MCP.example.com,[::1]"}), nil,
			func(c *Config) any { return c.HTTP.AllowedHosts }, []string{"mcp.example.com", "::1"}},
		{"session idle", apiKeyEnv(map[string]string{"KOMODO_HTTP_SESSION_IDLE": "5m"}), nil,
			func(c *Config) any { return c.HTTP.SessionIdle }, 5 * time.Minute},
		{"max sessions", apiKeyEnv(nil), []string{"--http-max-sessions", "50"},
			func(c *Config) any { return c.HTTP.MaxSessions }, 50},
		{"stateless", apiKeyEnv(map[string]string{"KOMODO_HTTP_STATELESS": "true"}), nil,
			func(c *Config) any { return c.HTTP.Stateless }, true},
		{"audit log", apiKeyEnv(nil), []string{"--audit-log", "/var/log/komodo-mcp.audit"},
			func(c *Config) any { return c.AuditLog }, "/var/log/komodo-mcp.audit"},
		{"confirm mutations", apiKeyEnv(map[string]string{"KOMODO_CONFIRM": "Mutations"}), nil,
			func(c *Config) any { return c.Confirm }, ConfirmMutations},
		{"confirm none", apiKeyEnv(nil), []string{"--confirm=none"},
			func(c *Config) any { return c.Confirm }, ConfirmNone},
		{"flag beats env", apiKeyEnv(map[string]string{"KOMODO_RETRY_COUNT": "5"}), []string{"--retry-count=7"},
			func(c *Config) any { return c.RetryCount }, 7},
		{"demo needs no url or credentials", map[string]string{"KOMODO_DEMO": "1"}, nil,
			func(c *Config) any { return c.Demo && c.URL == "" }, true},
		{"demo flag", nil, []string{"--demo"},
			func(c *Config) any { return c.Demo }, true},
		{"jwt with username and password", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt", "KOMODO_USERNAME": "admin", "KOMODO_PASSWORD": "pw"}, nil,
			func(c *Config) any { return c.Username + "/" + c.Password }, "admin/pw"},
		{"jwt with a token", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt", "KOMODO_JWT": "eyJ.x.y"}, nil,
			func(c *Config) any { return c.JWT }, "eyJ.x.y"},
		{"jwt ignores missing api key", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt", "KOMODO_JWT": "t"}, nil,
			func(c *Config) any { return c.AuthMode }, auth.ModeJWT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLoad_Errors(t *testing.T) {
	inTempDir(t)
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		want        string // the whole message
		wantSetting string
	}{
		{"url missing", map[string]string{"KOMODO_API_KEY": "k", "KOMODO_API_SECRET": "s"}, nil,
			"KOMODO_URL is not set: set it to your Komodo Core address, e.g. https://komodo.example.com (or use --demo)", "KOMODO_URL"},
		{"url without scheme", apiKeyEnv(map[string]string{"KOMODO_URL": "komodo.example.com"}), nil,
			`KOMODO_URL="komodo.example.com" is not an http(s) URL: set it to your Komodo Core address, e.g. https://komodo.example.com`, "KOMODO_URL"},
		{"url from flag", apiKeyEnv(nil), []string{"--url", "ftp://komodo.example.com"},
			`--url="ftp://komodo.example.com" is not an http(s) URL: set it to your Komodo Core address, e.g. https://komodo.example.com`, "KOMODO_URL"},
		{"url with query", apiKeyEnv(map[string]string{"KOMODO_URL": "https://k.example.com/?a=1"}), nil,
			`KOMODO_URL="https://k.example.com/?a=1" has a query or fragment: give only scheme, host, optional port and base path, e.g. https://komodo.example.com`, "KOMODO_URL"},
		{"url with bad port", apiKeyEnv(map[string]string{"KOMODO_URL": "https://k.example.com:99999"}), nil,
			`KOMODO_URL="https://k.example.com:99999" has an invalid port: use a number between 1 and 65535, e.g. https://komodo.example.com:9120`, "KOMODO_URL"},
		{"url with password is not echoed", apiKeyEnv(map[string]string{"KOMODO_URL": "https://admin:hunter2@k.example.com"}), nil,
			"KOMODO_URL has a user name or password in it: remove it and give the credentials in their own settings, e.g. KOMODO_API_KEY and KOMODO_API_SECRET", "KOMODO_URL"},
		{"auth mode unknown", apiKeyEnv(map[string]string{"KOMODO_AUTH_MODE": "basic"}), nil,
			`KOMODO_AUTH_MODE="basic" is not an authentication mode: use api-key (the default), jwt or hmac`, "KOMODO_AUTH_MODE"},
		{"api key missing", map[string]string{"KOMODO_URL": "https://k.example.com"}, nil,
			"KOMODO_API_KEY is not set: create an API key in the Komodo UI and set KOMODO_API_KEY and KOMODO_API_SECRET (or use --demo)", "KOMODO_API_KEY"},
		{"hmac secret missing", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "hmac", "KOMODO_API_KEY": "k"}, nil,
			"KOMODO_API_SECRET is not set: set it (or KOMODO_API_SECRET_FILE) to the secret shown when the API key was created", "KOMODO_API_SECRET"},
		{"jwt without credentials", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt"}, nil,
			"KOMODO_AUTH_MODE=jwt needs credentials: set KOMODO_USERNAME and KOMODO_PASSWORD, or KOMODO_JWT (or use --demo)", "KOMODO_AUTH_MODE"},
		{"jwt username without password", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt", "KOMODO_USERNAME": "admin"}, nil,
			"KOMODO_PASSWORD is not set: jwt mode logs in as KOMODO_USERNAME and needs its password (or KOMODO_PASSWORD_FILE)", "KOMODO_PASSWORD"},
		{"jwt password without username", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt", "KOMODO_PASSWORD": "pw"}, nil,
			"KOMODO_USERNAME is not set: jwt mode needs the user name that goes with KOMODO_PASSWORD", "KOMODO_USERNAME"},
		{"retry count not a number", apiKeyEnv(map[string]string{"KOMODO_RETRY_COUNT": "abc"}), nil,
			`KOMODO_RETRY_COUNT="abc" is not a whole number between 0 and 10`, "KOMODO_RETRY_COUNT"},
		{"retry count too big", apiKeyEnv(map[string]string{"KOMODO_RETRY_COUNT": "11"}), nil,
			`KOMODO_RETRY_COUNT="11" is not a whole number between 0 and 10`, "KOMODO_RETRY_COUNT"},
		{"retry count negative", apiKeyEnv(nil), []string{"--retry-count=-1"},
			`--retry-count="-1" is not a whole number between 0 and 10`, "KOMODO_RETRY_COUNT"},
		{"retry delay milliseconds mistaken for seconds", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "1000"}), nil,
			`KOMODO_RETRY_DELAY="1000" is out of range: give more than 0 and at most 1m0s (a bare number means seconds)`, "KOMODO_RETRY_DELAY"},
		{"retry delay zero", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "0s"}), nil,
			`KOMODO_RETRY_DELAY="0s" is out of range: give more than 0 and at most 1m0s (a bare number means seconds)`, "KOMODO_RETRY_DELAY"},
		{"retry delay garbage", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "soon"}), nil,
			`KOMODO_RETRY_DELAY="soon" is not a duration: use a Go duration such as 500ms or 2s, or a number of seconds, up to 1m0s`, "KOMODO_RETRY_DELAY"},
		{"retry delay NaN", apiKeyEnv(map[string]string{"KOMODO_RETRY_DELAY": "NaN"}), nil,
			`KOMODO_RETRY_DELAY="NaN" is not a duration: use a Go duration such as 500ms or 2s, or a number of seconds, up to 1m0s`, "KOMODO_RETRY_DELAY"},
		{"timeout too long", apiKeyEnv(map[string]string{"KOMODO_TIMEOUT": "1h"}), nil,
			`KOMODO_TIMEOUT="1h" is out of range: give more than 0 and at most 10m0s (a bare number means seconds)`, "KOMODO_TIMEOUT"},
		{"bool garbage", apiKeyEnv(map[string]string{"KOMODO_READ_ONLY": "maybe"}), nil,
			`KOMODO_READ_ONLY="maybe" is not a boolean: use true or false`, "KOMODO_READ_ONLY"},
		{"bool flag garbage", apiKeyEnv(nil), []string{"--demo=maybe"},
			`invalid boolean value "maybe" for -demo: use true or false`, ""},
		{"log level unknown", apiKeyEnv(map[string]string{"KOMODO_LOG_LEVEL": "verbose"}), nil,
			`KOMODO_LOG_LEVEL="verbose" is not a log level: use debug, info, warn or error`, "KOMODO_LOG_LEVEL"},
		{"http addr without port", apiKeyEnv(map[string]string{"KOMODO_HTTP_ADDR": "8080"}), nil,
			`KOMODO_HTTP_ADDR="8080" is not a listen address: use host:port, e.g. 127.0.0.1:8080, or :8080 for all interfaces`, "KOMODO_HTTP_ADDR"},
		{"stdio still needs credentials", map[string]string{"KOMODO_URL": "https://k.example.com"}, nil,
			"KOMODO_API_KEY is not set: create an API key in the Komodo UI and set KOMODO_API_KEY and KOMODO_API_SECRET (or use --demo)", "KOMODO_API_KEY"},
		{"tokens without shared credentials", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_HTTP_ADDR": ":8080", "KOMODO_HTTP_TOKENS_FILE": "t"}, nil,
			`KOMODO_HTTP_TOKENS_FILE="t" is set but the server has no Komodo credentials of its own: callers then authenticate with their own Komodo credentials, so remove KOMODO_HTTP_TOKENS_FILE, or set KOMODO_API_KEY and KOMODO_API_SECRET to share one Komodo identity`, "KOMODO_HTTP_TOKENS_FILE"},
		{"origin with path", apiKeyEnv(map[string]string{"KOMODO_HTTP_ALLOWED_ORIGINS": "https://a.example.com/app"}), nil,
			`KOMODO_HTTP_ALLOWED_ORIGINS="https://a.example.com/app" has "https://a.example.com/app", which is not an origin: give scheme://host[:port] as a browser sends it, e.g. https://app.example.com`, "KOMODO_HTTP_ALLOWED_ORIGINS"},
		{"host with port", apiKeyEnv(map[string]string{"KOMODO_HTTP_ALLOWED_HOSTS": "mcp.example.com:443"}), nil,
			`KOMODO_HTTP_ALLOWED_HOSTS="mcp.example.com:443" has "mcp.example.com:443", which is not a host name: give names only, without scheme or port, e.g. mcp.example.com`, "KOMODO_HTTP_ALLOWED_HOSTS"},
		{"session idle zero", apiKeyEnv(map[string]string{"KOMODO_HTTP_SESSION_IDLE": "0"}), nil,
			`KOMODO_HTTP_SESSION_IDLE="0" is out of range: give more than 0 and at most 24h0m0s (a bare number means seconds)`, "KOMODO_HTTP_SESSION_IDLE"},
		{"max sessions zero", apiKeyEnv(map[string]string{"KOMODO_HTTP_MAX_SESSIONS": "0"}), nil,
			`KOMODO_HTTP_MAX_SESSIONS="0" is not a whole number between 1 and 1000000`, "KOMODO_HTTP_MAX_SESSIONS"},
		{"confirm unknown", apiKeyEnv(map[string]string{"KOMODO_CONFIRM": "always"}), nil,
			`KOMODO_CONFIRM="always" is not a confirmation policy: use destructive (the default), mutations or none`, "KOMODO_CONFIRM"},
		{"unknown flag", apiKeyEnv(nil), []string{"--nope"},
			"flag provided but not defined: -nope", ""},
		{"positional argument", apiKeyEnv(nil), []string{"serve"},
			`unexpected argument "serve": only flags are accepted here (see --help)`, ""},
		{"explicit env file missing", apiKeyEnv(map[string]string{"KOMODO_ENV_FILE": "missing.env"}), nil,
			`KOMODO_ENV_FILE="missing.env" cannot be read: no such file or directory`, "KOMODO_ENV_FILE"},
		{"explicit env file flag missing", apiKeyEnv(nil), []string{"--env-file", "missing.env"},
			`--env-file="missing.env" cannot be read: no such file or directory`, "KOMODO_ENV_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadQuiet(tt.args, env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if ce.Error() != tt.want {
				t.Errorf("message:\n got %s\nwant %s", ce.Error(), tt.want)
			}
			if ce.Setting != tt.wantSetting {
				t.Errorf("Setting = %q, want %q", ce.Setting, tt.wantSetting)
			}
			if strings.Contains(ce.Error(), "\n") {
				t.Errorf("message is not one line: %q", ce.Error())
			}
			if !IsConfigError(fmt.Errorf("wrapped: %w", err)) {
				t.Error("IsConfigError(wrapped) = false")
			}
		})
	}
}

// loadQuiet is Load with the flag package's usage output silenced.
func loadQuiet(args []string, getenv func(string) string) (*Config, error) {
	stderr := os.Stderr
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	os.Stderr = devnull
	defer func() { os.Stderr = stderr }()
	return Load(args, getenv)
}

func TestLoad_Help(t *testing.T) {
	inTempDir(t)
	_, err := loadQuiet([]string{"-h"}, env(nil))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if IsConfigError(err) {
		t.Error("help is not a configuration error")
	}
}

func TestFlags_UsageNamesEnv(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	NewFlags(fs)
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	fs.PrintDefaults()
	for _, want := range []string{"-url", "$KOMODO_URL", "-read-only", "$KOMODO_READ_ONLY", "-env-file"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, buf.String())
		}
	}
	for _, secret := range []string{"-api-secret", "-password", "-jwt"} {
		if fs.Lookup(strings.TrimPrefix(secret, "-")) != nil {
			t.Errorf("secret flag %s must not exist", secret)
		}
	}
}

func TestFlags_Offline(t *testing.T) {
	inTempDir(t)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := NewFlags(fs)
	f.Offline = true
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c, err := f.Load(env(nil))
	if err != nil {
		t.Fatalf("offline Load without URL or credentials: %v", err)
	}
	if c.URL != "" || c.RetryCount != DefaultRetryCount {
		t.Errorf("got %+v", c)
	}
	if _, err := f.Load(env(map[string]string{"KOMODO_RETRY_COUNT": "x"})); !IsConfigError(err) {
		t.Errorf("offline still checks syntax: err = %v", err)
	}
}

// A caller may add its own flags next to the configuration flags.
func TestFlags_SharedFlagSet(t *testing.T) {
	inTempDir(t)
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	f := NewFlags(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := fs.Parse([]string{"--json", "--retry-count", "1", "ListServers"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.Load(env(apiKeyEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !*jsonOut || c.RetryCount != 1 || fs.Arg(0) != "ListServers" {
		t.Errorf("json=%v retry=%d arg=%q", *jsonOut, c.RetryCount, fs.Arg(0))
	}
}

func TestLoad_EnvFile(t *testing.T) {
	dir := inTempDir(t)
	writeFile(t, dir, ".env", "# komodo\nKOMODO_URL=https://from-dotenv.example.com\nKOMODO_API_KEY=K-dot\nKOMODO_API_SECRET=\"S-dot\"\nKOMODO_RETRY_COUNT=4\nKOMODO_TIMEOUT=5\n")
	other := writeFile(t, dir, "other.env", "KOMODO_URL=https://other.example.com\nKOMODO_API_KEY=K-o\nKOMODO_API_SECRET=S-o\n")

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantURL string
		wantKey string
		retry   int
		envFile string
	}{
		{"default .env is read", nil, nil, "https://from-dotenv.example.com", "K-dot", 4, ".env"},
		{"environment beats .env", map[string]string{"KOMODO_URL": "https://env.example.com", "KOMODO_RETRY_COUNT": "2"}, nil, "https://env.example.com", "K-dot", 2, ".env"},
		{"flag beats environment", map[string]string{"KOMODO_URL": "https://env.example.com"}, []string{"--url=https://flag.example.com"}, "https://flag.example.com", "K-dot", 4, ".env"},
		{"empty environment value falls through", map[string]string{"KOMODO_URL": ""}, nil, "https://from-dotenv.example.com", "K-dot", 4, ".env"},
		{"KOMODO_ENV_FILE names another file", map[string]string{"KOMODO_ENV_FILE": other}, nil, "https://other.example.com", "K-o", 3, other},
		{"--env-file beats KOMODO_ENV_FILE", map[string]string{"KOMODO_ENV_FILE": "nope.env"}, []string{"--env-file", other}, "https://other.example.com", "K-o", 3, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.URL != tt.wantURL || c.APIKey != tt.wantKey || c.RetryCount != tt.retry || c.EnvFile != tt.envFile {
				t.Errorf("got url=%s key=%s retry=%d envfile=%s", c.URL, c.APIKey, c.RetryCount, c.EnvFile)
			}
		})
	}

	t.Run("error names the .env file", func(t *testing.T) {
		writeFile(t, dir, "bad.env", "KOMODO_URL=https://k.example.com\nKOMODO_API_KEY=k\nKOMODO_API_SECRET=s\nKOMODO_RETRY_COUNT=many\n")
		_, err := Load([]string{"--env-file=bad.env"}, env(nil))
		want := `KOMODO_RETRY_COUNT="many" in bad.env is not a whole number between 0 and 10`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
	t.Run("parse error does not quote the file", func(t *testing.T) {
		writeFile(t, dir, "broken.env", "KOMODO_API_SECRET=\"S-topsecret\nKOMODO_URL=x\n")
		_, err := Load([]string{"--env-file=broken.env"}, env(nil))
		if !IsConfigError(err) {
			t.Fatalf("err = %v, want *Error", err)
		}
		if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %q", err)
		}
	})
	t.Run("missing default .env is fine", func(t *testing.T) {
		inTempDir(t)
		if _, err := Load(nil, env(apiKeyEnv(nil))); err != nil {
			t.Error(err)
		}
	})
}

func TestLoad_SecretFiles(t *testing.T) {
	dir := inTempDir(t)
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"trailing newline trimmed", "S-file\n", "S-file"},
		{"crlf trimmed", "S-file\r\n", "S-file"},
		{"only one newline trimmed", "S-file\n\n", "S-file\n"},
		{"no newline", "S-file", "S-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, "secret", tt.content)
			m := apiKeyEnv(map[string]string{"KOMODO_API_SECRET_FILE": p})
			delete(m, "KOMODO_API_SECRET")
			c, err := Load(nil, env(m))
			if err != nil {
				t.Fatal(err)
			}
			if c.APISecret != tt.want {
				t.Errorf("APISecret = %q, want %q", c.APISecret, tt.want)
			}
		})
	}

	pw := writeFile(t, dir, "pw", "hunter2\n")
	jwt := writeFile(t, dir, "jwt", "eyJ.a.b\n")
	key := writeFile(t, dir, "key", "K-file\n")
	c, err := Load(nil, env(map[string]string{
		"KOMODO_URL": "https://k.example.com", "KOMODO_AUTH_MODE": "jwt",
		"KOMODO_USERNAME": "admin", "KOMODO_PASSWORD_FILE": pw, "KOMODO_JWT_FILE": jwt, "KOMODO_API_KEY_FILE": key,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Password != "hunter2" || c.JWT != "eyJ.a.b" || c.APIKey != "K-file" {
		t.Errorf("password=%q jwt=%q key=%q", c.Password, c.JWT, c.APIKey)
	}

	empty := writeFile(t, dir, "empty", "\n")
	errTests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"both set", apiKeyEnv(map[string]string{"KOMODO_API_SECRET_FILE": pw}),
			"KOMODO_API_SECRET and KOMODO_API_SECRET_FILE are both set: keep only one of them"},
		{"missing file", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_API_KEY": "k", "KOMODO_API_SECRET_FILE": filepath.Join(dir, "nope")},
			fmt.Sprintf("KOMODO_API_SECRET_FILE=%q cannot be read: no such file or directory", filepath.Join(dir, "nope"))},
		{"empty file", map[string]string{"KOMODO_URL": "https://k.example.com", "KOMODO_API_KEY": "k", "KOMODO_API_SECRET_FILE": empty},
			fmt.Sprintf("KOMODO_API_SECRET_FILE=%q names an empty file: put the secret in it, or unset KOMODO_API_SECRET_FILE", empty)},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(nil, env(tt.env))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}

	t.Run("both set across env and .env", func(t *testing.T) {
		writeFile(t, dir, "s.env", "KOMODO_API_SECRET=S-dot\n")
		m := apiKeyEnv(map[string]string{"KOMODO_API_SECRET_FILE": pw, "KOMODO_ENV_FILE": "s.env"})
		delete(m, "KOMODO_API_SECRET")
		_, err := Load(nil, env(m))
		want := "KOMODO_API_SECRET in s.env and KOMODO_API_SECRET_FILE are both set: keep only one of them"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
}

func TestConfig_RedactsSecrets(t *testing.T) {
	c := &Config{
		URL: "https://k.example.com", AuthMode: auth.ModeJWT,
		APIKey: "K-visible", APISecret: "S-supersecret", Username: "admin",
		Password: "hunter2-pw", JWT: "eyJhbGciOi.token.sig", RetryCount: 3,
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", slog.Any("config", *c))
	renderings := map[string]string{
		"String": c.String(),
		"%v":     fmt.Sprintf("%v", c),
		"%+v":    fmt.Sprintf("%+v", *c),
		"%#v":    fmt.Sprintf("%#v", c),
		"%s":     fmt.Sprintf("%s", *c), //nolint:staticcheck // the %s verb itself is under test
		"slog":   text.String(),
		"json":   js.String(),
	}
	for name, s := range renderings {
		for _, secret := range []string{c.APISecret, c.Password, c.JWT} {
			if strings.Contains(s, secret) {
				t.Errorf("%s rendering leaks %q: %s", name, secret, s)
			}
		}
		for _, visible := range []string{"K-visible", "admin", "https://k.example.com", "REDACTED"} {
			if !strings.Contains(s, visible) {
				t.Errorf("%s rendering lacks %q: %s", name, visible, s)
			}
		}
	}
}

func TestConfig_StringUnsetSecrets(t *testing.T) {
	c := Config{URL: "https://k.example.com"}
	if strings.Contains(c.String(), "REDACTED") {
		t.Errorf("unset secrets show as REDACTED: %s", c)
	}
}
