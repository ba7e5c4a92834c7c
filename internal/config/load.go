package config

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/joho/godotenv"
)

// Environment variables, one per setting.
const (
	envURL          = "KOMODO_URL"
	envAuthMode     = "KOMODO_AUTH_MODE"
	envAPIKey       = "KOMODO_API_KEY"
	envAPISecret    = "KOMODO_API_SECRET"
	envUsername     = "KOMODO_USERNAME"
	envPassword     = "KOMODO_PASSWORD"
	envJWT          = "KOMODO_JWT"
	envRetryCount   = "KOMODO_RETRY_COUNT"
	envRetryDelay   = "KOMODO_RETRY_DELAY"
	envTimeout      = "KOMODO_TIMEOUT"
	envWaitCap      = "KOMODO_WAIT_CAP"
	envToolsets     = "KOMODO_TOOLSETS"
	envTools        = "KOMODO_TOOLS"
	envExcludeTools = "KOMODO_EXCLUDE_TOOLS"
	envReadOnly     = "KOMODO_READ_ONLY"
	envDemo         = "KOMODO_DEMO"
	envCoreVersion  = "KOMODO_CORE_VERSION"
	envLogLevel     = "KOMODO_LOG_LEVEL"
	envHTTPAddr     = "KOMODO_HTTP_ADDR"
	envEnvFile      = "KOMODO_ENV_FILE"

	envHTTPTokensFile     = "KOMODO_HTTP_TOKENS_FILE"
	envHTTPAllowedOrigins = "KOMODO_HTTP_ALLOWED_ORIGINS"
	envHTTPAllowedHosts   = "KOMODO_HTTP_ALLOWED_HOSTS"
	envHTTPSessionIdle    = "KOMODO_HTTP_SESSION_IDLE"
	envHTTPMaxSessions    = "KOMODO_HTTP_MAX_SESSIONS"
	envHTTPStateless      = "KOMODO_HTTP_STATELESS"
	envAuditLog           = "KOMODO_AUDIT_LOG"
	envConfirm            = "KOMODO_CONFIRM"
)

// flagDefs lists the settings that can be given on the command line. Secrets are left out on
// purpose: a command line is visible to every user of the machine. The word in backquotes is
// the value's placeholder in help texts (flag.UnquoteUsage); group says which verbs offer it.
var flagDefs = []struct {
	name, env, usage string
	isBool           bool
	group            Group
}{
	{"url", envURL, "`URL` of Komodo Core, e.g. https://komodo.example.com", false, Komodo},
	{"auth-mode", envAuthMode, "authentication `MODE`: api-key (default), jwt or hmac", false, Komodo},
	{"retry-count", envRetryCount, "retries of a failed request, `N` from 0 to 10 (default 3)", false, Komodo},
	{"retry-delay", envRetryDelay, "`DURATION` before the first retry, doubling each time: 500ms, or seconds (default 1s)", false, Komodo},
	{"timeout", envTimeout, "timeout of one request to Komodo, a `DURATION` like 45s, or seconds (default 30s)", false, Komodo},
	{"wait-cap", envWaitCap, "longest `DURATION` an execute tool waits for its job before answering (resume with komodo_read_WaitForUpdate), like 50s, or seconds (default " + DefaultWaitCap.String() + ")", false, Execution},
	{"toolsets", envToolsets, "comma-separated `TOOLSETS` to offer (default: default; all offers every tool)", false, Selection},
	{"tools", envTools, "comma-separated `TOOLS` to offer in addition to the toolsets", false, Selection},
	{"exclude-tools", envExcludeTools, "comma-separated `TOOLS` never to offer", false, Selection},
	{"read-only", envReadOnly, "offer only tools that change nothing", true, Selection},
	{"demo", envDemo, "use the embedded Komodo simulator; no URL or credentials needed", true, Komodo},
	{"komodo-version", envCoreVersion, "serve the tools of Komodo Core `VERSION` (1.19.5, 2.0 to 2.3) instead of the version the Core reports (the simulator plays it; listing tools lists its)", false, Komodo | Selection},
	{"log-level", envLogLevel, "`LEVEL` of the logs on stderr: debug, info (default), warn or error", false, Common},
	{"http", envHTTPAddr, "serve streamable HTTP on `HOST:PORT` instead of stdio", false, Serving},
	{"http-tokens-file", envHTTPTokensFile, "`FILE` of 'name token' lines; HTTP callers send Authorization: Bearer <token> (needed off loopback when the server has Komodo credentials; reloaded on SIGHUP)", false, Serving},
	{"http-allowed-origins", envHTTPAllowedOrigins, "comma-separated browser `ORIGINS` allowed to call the HTTP service, e.g. https://app.example.com (default: none; requests without Origin are allowed)", false, Serving},
	{"http-allowed-hosts", envHTTPAllowedHosts, "comma-separated `HOSTS` names the HTTP service answers to besides its listen address, e.g. mcp.example.com", false, Serving},
	{"http-session-idle", envHTTPSessionIdle, "end HTTP sessions idle this long, a `DURATION` like 30m (default 30m)", false, Serving},
	{"http-max-sessions", envHTTPMaxSessions, "most concurrent HTTP sessions, `N` (default 1000)", false, Serving},
	{"http-stateless", envHTTPStateless, "serve HTTP without sessions, for replicas behind a load balancer", true, Serving},
	{"audit-log", envAuditLog, "also append the audit lines (one JSON line per change made in Komodo) to this `FILE`", false, Execution},
	{"confirm", envConfirm, "`POLICY` of asking a person first: destructive (default: deletes, destroys, prunes, removals, rotations, the terminal), mutations (every change), or none", false, Execution},
	{"env-file", envEnvFile, "the .env `FILE` to read (default .env in the working directory, optional)", false, Common},
}

// Flags are the configuration flags registered on a caller's flag.FlagSet. After the caller
// has parsed the set, Load combines them with the environment and the .env file.
type Flags struct {
	// Offline makes URL and credentials optional, for verbs that never contact Komodo
	// (listing tools, printing the OpenAPI document). Their syntax is still checked.
	Offline bool

	byEnv map[string]*flagValue
}

// NewFlags registers the configuration flags of the given groups (all of them when none is
// given; Common ones always) on fs, each usage line naming its environment variable, and
// returns a handle to read them back with Load. A setting whose flag is not registered is
// still read from the environment and the .env file.
func NewFlags(fs *flag.FlagSet, groups ...Group) *Flags {
	want := Common
	for _, g := range groups {
		want |= g
	}
	if len(groups) == 0 {
		want = AllGroups
	}
	f := &Flags{byEnv: make(map[string]*flagValue, len(flagDefs))}
	for _, d := range flagDefs {
		if d.group&want == 0 {
			continue
		}
		v := &flagValue{isBool: d.isBool}
		fs.Var(v, d.name, d.usage+" [$"+d.env+"]")
		f.byEnv[d.env] = v
		v.name = "--" + d.name
	}
	return f
}

// Load reads the configuration: the flags set on the command line win over the environment
// (read through getenv, so tests need not touch the real one), which wins over the .env file.
// Mistakes come back as *Error.
func (f *Flags) Load(getenv func(string) string) (*Config, error) {
	s := &settings{flags: f.byEnv, getenv: getenv}
	if err := s.readEnvFile(); err != nil {
		return nil, err
	}
	return build(s, f.Offline)
}

// flagValue is a string flag that remembers whether it was set, so that an unset flag falls
// through to the environment. Boolean flags share it (IsBoolFlag) and are parsed like env values.
type flagValue struct {
	name, val string
	isBool    bool
	isSet     bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.val
}

func (v *flagValue) Set(s string) error {
	if v.isBool { // reject "--demo=maybe" now, with the flag package's usual message
		if _, err := strconv.ParseBool(s); err != nil {
			return errors.New("use true or false")
		}
	}
	v.val, v.isSet = s, true
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.isBool }

// settings looks a setting up in its three sources.
type settings struct {
	flags   map[string]*flagValue
	getenv  func(string) string
	dotenv  map[string]string
	envFile string // path of the .env file read, if any
}

// value is one raw setting and where it came from.
type value struct {
	env   string // canonical name, e.g. KOMODO_RETRY_COUNT
	name  string // as the user wrote it: "--retry-count" or "KOMODO_RETRY_COUNT"
	where string // "" or " in <path>" for the .env file
	raw   string // trimmed of surrounding white space
}

func (v value) set() bool { return v.raw != "" }

// invalid reports a bad value, quoting it. Never use it for a secret.
func (v value) invalid(what string) *Error {
	return &Error{Setting: v.env, Msg: fmt.Sprintf("%s=%q%s %s", v.name, v.raw, v.where, what)}
}

// invalidSecretly reports a bad value without quoting it.
func (v value) invalidSecretly(what string) *Error {
	return &Error{Setting: v.env, Msg: v.name + v.where + " " + what}
}

func (s *settings) get(env string) value {
	if f, ok := s.flags[env]; ok && f.isSet {
		return value{env: env, name: f.name, raw: strings.TrimSpace(f.val)}
	}
	if s.getenv != nil {
		if raw := strings.TrimSpace(s.getenv(env)); raw != "" {
			return value{env: env, name: env, raw: raw}
		}
	}
	if raw := strings.TrimSpace(s.dotenv[env]); raw != "" {
		return value{env: env, name: env, where: " in " + s.envFile, raw: raw}
	}
	return value{env: env, name: env}
}

// secret reads a secret from env or from the file named by env_FILE; setting both is a mistake.
func (s *settings) secret(env string) (string, error) {
	direct, file := s.get(env), s.get(env+"_FILE")
	switch {
	case direct.set() && file.set():
		return "", &Error{Setting: env, Msg: fmt.Sprintf("%s%s and %s%s are both set: keep only one of them", direct.name, direct.where, file.name, file.where)}
	case direct.set():
		return direct.raw, nil
	case !file.set():
		return "", nil
	}
	b, err := os.ReadFile(file.raw)
	if err != nil {
		return "", file.invalid("cannot be read: " + pathErr(err))
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if secret == "" {
		return "", file.invalid("names an empty file: put the secret in it, or unset " + file.env)
	}
	return secret, nil
}

// readEnvFile reads the .env file named by --env-file or KOMODO_ENV_FILE, or the optional
// default one. It never changes the process environment.
func (s *settings) readEnvFile() error {
	v := s.get(envEnvFile) // s.dotenv is still empty: only flag and environment count
	path, explicit := v.raw, v.set()
	if !explicit {
		path = DefaultEnvFile
	}
	fh, err := os.Open(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if !explicit {
			return &Error{Setting: envEnvFile, Msg: fmt.Sprintf("%s cannot be read: %s (point %s at another file or remove it)", path, pathErr(err), envEnvFile)}
		}
		return v.invalid("cannot be read: " + pathErr(err))
	}
	defer func() { _ = fh.Close() }()
	m, err := godotenv.Parse(fh)
	if err != nil { // godotenv's message quotes the file's contents, secrets included: leave it out
		return &Error{Setting: envEnvFile, Msg: path + " cannot be parsed: write one KEY=value per line and close every quote"}
	}
	s.dotenv, s.envFile = m, path
	return nil
}

// pathErr drops the path an *fs.PathError repeats, since the message already names the file.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
