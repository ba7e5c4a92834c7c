package sim

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// The world is the simulator's state: resources, tags, variables, users, alerts and
// updates. Every method expects Server.mu to be held.

//go:embed seed.json
var seedJSON []byte

// kindMeta describes one resource type: the field its requests name it by and the
// plural used in operation names (ListServers, ListResourceSyncs).
type kindMeta struct {
	Kind   string
	Field  string
	Plural string
	Seed   string // key in seed.json
}

var kinds = []kindMeta{
	{"Server", "server", "Servers", "servers"},
	{"Builder", "builder", "Builders", "builders"},
	{"Build", "build", "Builds", "builds"},
	{"Deployment", "deployment", "Deployments", "deployments"},
	{"Stack", "stack", "Stacks", "stacks"},
	{"Repo", "repo", "Repos", "repos"},
	{"Procedure", "procedure", "Procedures", "procedures"},
	{"Action", "action", "Actions", "actions"},
	{"Alerter", "alerter", "Alerters", "alerters"},
	{"ResourceSync", "sync", "ResourceSyncs", "syncs"},
	{"Swarm", "swarm", "Swarms", "swarms"},
}

func kindByField(field string) *kindMeta {
	for i := range kinds {
		if kinds[i].Field == field {
			return &kinds[i]
		}
	}
	return nil
}

// resource is one Komodo resource. Config and Info hold the JSON Komodo serializes; the
// other fields are the simulated runtime state behind list items and executions.
type resource struct {
	Kind        string
	ID          string
	Name        string
	Description string
	Tags        []string // tag ids
	Template    bool
	UpdatedAt   int64
	Config      map[string]any
	Info        map[string]any

	State    string         // ServerState, DeploymentState, StackState, BuildState, ...
	Status   string         // docker's status text (deployments, stacks)
	Services []stackService // stacks
	Stats    map[string]any // servers: MinimalSystemStats
	Err      string         // servers: why Periphery is unreachable
	PublicIP string         // servers: the host's public ip Periphery reports
	Cores    int            // servers: physical cores (logical: twice as many)
	// TerminalsDisabled and ContainerTerminalsDisabled are the server's Periphery
	// settings disable_terminals and disable_container_terminals.
	TerminalsDisabled, ContainerTerminalsDisabled bool
	LastRunAt                                     int64  // procedures, actions
	busy                                          string // operation in flight, "" when idle
	// brokenAt is, for a build seeded as Failed, the commit that does not build: RunBuild
	// fails at "Build Image" while it is the latest commit.
	brokenAt string
}

type stackService struct {
	Service string `json:"service"`
	Image   string `json:"image"`
}

type tag struct {
	ID, Name, Color, Owner string
}

type variable struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	Description string `json:"description"`
	IsSecret    bool   `json:"is_secret"`
}

type user struct {
	ID, Username, Password, Description string
	Admin, SuperAdmin, Service          bool
	Disabled                            bool // Komodo's enabled: false
	APIKey, APISecret                   string
	UpdatedAt                           int64
}

type alert struct {
	ID         string
	TS         int64
	ResolvedTS int64
	Resolved   bool
	Level      string
	Target     target
	Data       map[string]any
}

type target struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type world struct {
	seq       int
	version   string                 // the Komodo version played, for the Periphery version of servers
	resources map[string][]*resource // kind -> in creation order
	tags      []*tag
	variables []*variable
	users     []*user
	alerts    []*alert
	updates   []*update // oldest first

	gitAccounts, registryAccounts []*account
	apiKeys                       []apiKey // created by CreateApiKey / CreateApiKeyForServiceUser
}

// apiKey is an API key made through the API; Komodo keeps a hash of the secret and shows
// the secret once, in the answer that creates it.
type apiKey struct {
	Key, Secret, UserID, Name string
	CreatedAt, Expires        int64
}

// seedBase is the clock of the seeded world (2026-01-15T08:00:00Z, ms), so that the
// seeded ids and timestamps are the same on every start.
const seedBase = int64(1768464000000)

// newID returns the next deterministic 24-hex ObjectId: a fixed 4-byte timestamp, a
// fixed 5-byte "machine" part and a 3-byte counter, like Mongo's.
func (w *world) newID() string {
	w.seq++
	return fmt.Sprintf("6968a380%s%06x", "5e3d2c1b0a", w.seq)
}

func (w *world) list(kind string) []*resource { return w.resources[kind] }

// find resolves an id or a name.
func (w *world) find(kind, key string) *resource {
	for _, r := range w.resources[kind] {
		if r.ID == key || r.Name == key {
			return r
		}
	}
	return nil
}

func (w *world) mustFind(kind, key string) (*resource, *apiError) {
	if r := w.find(kind, key); r != nil {
		return r, nil
	}
	return nil, notFound(kind, key)
}

func (w *world) remove(r *resource) {
	list := w.resources[r.Kind]
	for i, x := range list {
		if x == r {
			w.resources[r.Kind] = append(list[:i:i], list[i+1:]...)
			return
		}
	}
}

func (w *world) findTag(key string) *tag {
	for _, t := range w.tags {
		if t.ID == key || t.Name == key {
			return t
		}
	}
	return nil
}

func (w *world) findUser(key string) *user {
	for _, u := range w.users {
		if u.ID == key || u.Username == key {
			return u
		}
	}
	return nil
}

func (w *world) findVariable(name string) *variable {
	for _, v := range w.variables {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// serverOf is the server a resource runs on (itself for a server), or nil.
func (w *world) serverOf(r *resource) *resource {
	switch r.Kind {
	case "Server":
		return r
	case "Deployment", "Stack", "Repo":
		id, _ := r.Config["server_id"].(string)
		return w.find("Server", id)
	case "Build":
		id, _ := r.Config["builder_id"].(string)
		if b := w.find("Builder", id); b != nil {
			return w.serverOf(b)
		}
	case "Builder":
		if params, ok := r.Config["params"].(map[string]any); ok {
			// A Server builder builds on the first of its servers (2.3's server_ids).
			if ids, _ := params["server_ids"].([]any); len(ids) > 0 {
				id, _ := ids[0].(string)
				return w.find("Server", id)
			}
		}
	}
	return nil
}

func (w *world) tagIDs(names []string) []string {
	ids := make([]string, 0, len(names))
	for _, n := range names {
		if t := w.findTag(n); t != nil {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// seedWorld builds the world of seed.json. Strings "@name" and "@kind:name" inside
// configs and alert data are references, replaced with the id of that resource.
func seedWorld(sp *spec) (*world, error) {
	var seed struct {
		Tags  []struct{ Name, Color string }
		Users []struct {
			Username, Password, Description string
			Admin, Service                  bool
			SuperAdmin                      bool   `json:"super_admin"`
			APIKey                          string `json:"api_key"`
			APISecret                       string `json:"api_secret"`
		}
		Variables []*variable
		Alerts    []struct {
			Level      string
			Resolved   bool
			TS         int64
			ResolvedTS int64 `json:"resolved_ts"`
			Target     string
			Data       map[string]any
		}
		Updates          []seedUpdate
		GitAccounts      []account `json:"git_provider_accounts"`
		RegistryAccounts []account `json:"image_registry_accounts"`
	}
	if err := json.Unmarshal(seedJSON, &seed); err != nil {
		return nil, fmt.Errorf("seed.json: %w", err)
	}
	w := &world{resources: map[string][]*resource{}}
	for _, u := range seed.Users {
		w.users = append(w.users, &user{ID: w.newID(), Username: u.Username, Password: u.Password, Description: u.Description,
			Admin: u.Admin, SuperAdmin: u.SuperAdmin, Service: u.Service, APIKey: u.APIKey, APISecret: u.APISecret, UpdatedAt: seedBase - 86400000*20})
	}
	admin := w.users[0]
	for _, t := range seed.Tags {
		w.tags = append(w.tags, &tag{ID: w.newID(), Name: t.Name, Color: t.Color, Owner: admin.ID})
	}
	w.variables = seed.Variables

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(seedJSON, &raw); err != nil {
		return nil, err
	}
	pending := []*resource{}
	for _, k := range kinds {
		var list []seedResource
		if data, ok := raw[k.Seed]; ok {
			if err := json.Unmarshal(data, &list); err != nil {
				return nil, fmt.Errorf("seed.json %s: %w", k.Seed, err)
			}
		}
		for _, s := range list {
			r := &resource{Kind: k.Kind, ID: w.newID(), Name: s.Name, Description: s.Description, Tags: w.tagIDs(s.Tags),
				UpdatedAt: seedBase - 86400000, State: s.State, Status: s.Status, Services: s.Services, Err: s.Err, LastRunAt: s.LastRunAt,
				TerminalsDisabled: s.TerminalsDisabled, ContainerTerminalsDisabled: s.ContainerTerminalsDisabled}
			r.Config = mergeInto(fullOf(sp, k.Kind+"Config", s.Config), s.Config)
			r.Info = mergeInto(fullOf(sp, k.Kind+"Info", nil), s.Info)
			if s.Server != "" {
				r.Config["server_id"] = "@" + s.Server
			}
			if s.Builder != "" {
				r.Config["builder_id"] = "@builder:" + s.Builder
			}
			if s.Stats != nil {
				r.Stats = serverStats(s.Stats)
				r.Cores = int(s.Stats["cores"])
			}
			r.PublicIP = s.PublicIP
			if k.Kind == "Build" && s.State == "Failed" {
				r.brokenAt, _ = r.Info["latest_hash"].(string)
			}
			w.resources[k.Kind] = append(w.resources[k.Kind], r)
			pending = append(pending, r)
		}
	}
	for _, r := range pending {
		r.Config = completeConfig(sp, r.Kind, w.resolveRefs(r.Config).(map[string]any))
	}
	for _, a := range seed.Alerts {
		data, _ := complete(sp.ref("AlertData"), w.resolveRefs(a.Data)).(map[string]any)
		w.alerts = append(w.alerts, &alert{ID: w.newID(), TS: a.TS, ResolvedTS: a.ResolvedTS, Resolved: a.Resolved, Level: a.Level,
			Target: w.parseTarget(a.Target), Data: data})
	}
	for _, su := range seed.Updates {
		w.updates = append(w.updates, w.seededUpdate(su))
	}
	// Last, so that the ids of everything above stay as they were before accounts existed.
	for _, a := range seed.GitAccounts {
		w.gitAccounts = append(w.gitAccounts, &account{ID: w.newID(), Domain: a.Domain, Username: a.Username, Token: a.Token, HTTPS: true})
	}
	for _, a := range seed.RegistryAccounts {
		w.registryAccounts = append(w.registryAccounts, &account{ID: w.newID(), Domain: a.Domain, Username: a.Username, Token: a.Token})
	}
	return w, nil
}

type seedResource struct {
	Name, Description, State, Status, Server, Builder, Err string
	PublicIP                                               string `json:"public_ip"`
	Tags                                                   []string
	Config, Info                                           map[string]any
	Services                                               []stackService
	Stats                                                  map[string]float64
	LastRunAt                                              int64 `json:"last_run_at"`
	TerminalsDisabled                                      bool  `json:"terminals_disabled"`
	ContainerTerminalsDisabled                             bool  `json:"container_terminals_disabled"`
}

// fullOf is the complete config/info object Komodo would serialize for a schema, with
// the variant of a tagged union chosen by the seed's "type".
func fullOf(sp *spec, schema string, seed map[string]any) map[string]any {
	ref := sp.ref(schema)
	if ref == nil {
		return map[string]any{}
	}
	if d := ref.Value.Discriminator; d != nil && seed != nil {
		if tag, ok := seed[d.PropertyName].(string); ok {
			if vref, ok := d.Mapping[tag]; ok {
				for _, v := range ref.Value.OneOf {
					if v.Ref == vref.Ref {
						ref = v
					}
				}
			}
		}
	}
	m, _ := full(ref).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// completeConfig is a resource's config with every field Komodo serializes (the seed and
// the requests give only some: a procedure's executions, a builder's params).
func completeConfig(sp *spec, kind string, cfg map[string]any) map[string]any {
	out, _ := complete(sp.ref(kind+"Config"), cfg).(map[string]any)
	if out == nil {
		return cfg
	}
	return out
}

// mergeInto overlays src onto dst, recursing into objects present on both sides.
func mergeInto(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if d, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeInto(d, sub)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func (w *world) resolveRefs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = w.resolveRefs(e)
		}
	case []any:
		for i, e := range x {
			x[i] = w.resolveRefs(e)
		}
	case string:
		if !strings.HasPrefix(x, "@") {
			return x
		}
		kind, name := "Server", x[1:]
		if k, n, ok := strings.Cut(name, ":"); ok {
			kind, name = strings.ToUpper(k[:1])+k[1:], n
		}
		if r := w.find(kind, name); r != nil {
			return r.ID
		}
	}
	return v
}

// parseTarget reads "Kind:name" ("System:" for the system target).
func (w *world) parseTarget(s string) target {
	kind, name, _ := strings.Cut(s, ":")
	if r := w.find(kind, name); r != nil {
		return target{Type: kind, ID: r.ID}
	}
	return target{Type: kind, ID: name}
}

func serverStats(s map[string]float64) map[string]any {
	return map[string]any{
		"cpu_perc":              s["cpu"],
		"mem_used_gb":           s["mem_used"],
		"mem_total_gb":          s["mem_total"],
		"mem_free_gb":           s["mem_total"] - s["mem_used"],
		"mem_buff_cache_gb":     s["mem_total"] * 0.1,
		"mem_zfs_arc_gb":        0,
		"swap_total_gb":         4,
		"swap_used_gb":          0.2,
		"disk_used_gb":          s["disk_used"],
		"disk_total_gb":         s["disk_total"],
		"load_average":          map[string]any{"one": s["cpu"] / 100 * s["cores"], "five": s["cpu"] / 110 * s["cores"], "fifteen": s["cpu"] / 120 * s["cores"]},
		"network_ingress_bytes": 48213.0,
		"network_egress_bytes":  30117.0,
		"polling_rate":          "15-sec",
		"refresh_ts":            seedBase,
		"refresh_list_ts":       seedBase,
	}
}

// SeededCredentials are the credentials the seeded world holds, by the Komodo type and
// field that holds them (seed.json "credentials"): Komodo answers them whole to an admin,
// and none may reach a tool's result. For a URL, the parts that are the credential.
func SeededCredentials() map[string][]string {
	var seed struct {
		Credentials map[string][]string `json:"credentials"`
	}
	if err := json.Unmarshal(seedJSON, &seed); err != nil {
		panic("sim: seed.json: " + err.Error()) // embedded; every start parses it too
	}
	return seed.Credentials
}
