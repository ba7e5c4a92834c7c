package fleetview

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Caller calls one Komodo operation and answers its JSON (internal/rpc's client).
type Caller interface {
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
}

// Fleet is the view model: every server with what runs on it, the builds, and the
// open alerts. It is built from Komodo's typed list items, independent of how the list
// tools shape their answers.
type Fleet struct {
	Servers []Server `json:"servers"`
	// Builds are not on a server (they run on builders): listed apart.
	Builds []Build `json:"builds"`
	Alerts []Alert `json:"alerts"`
	// Counts sums up the fleet by state, for the text summary and the view's header.
	Counts Counts `json:"counts"`
	// Unavailable names what could not be read (a list Komodo refused): the rest is shown.
	Unavailable []string `json:"unavailable,omitempty"`
	// Actions maps each button of the view to the tool it calls; absent on a read-only
	// server, where the view shows no buttons.
	Actions *Actions `json:"actions,omitempty"`
	// ReadAt is when Komodo was read (RFC 3339, UTC).
	ReadAt string `json:"read_at"`
}

// Server is one server and what runs on it.
type Server struct {
	ID      string   `json:"id,omitempty"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Version string   `json:"version,omitempty"`
	Region  string   `json:"region,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	// Error is why Komodo cannot reach it (state NotOk).
	Error       string       `json:"error,omitempty"`
	Stats       *Stats       `json:"stats,omitempty"`
	Stacks      []Stack      `json:"stacks"`
	Deployments []Deployment `json:"deployments"`
}

// Stats is a server's load from Komodo's last poll of its Periphery.
type Stats struct {
	CPUPercent  float64 `json:"cpu_perc"`
	MemUsedGB   float64 `json:"mem_used_gb"`
	MemTotalGB  float64 `json:"mem_total_gb"`
	DiskUsedGB  float64 `json:"disk_used_gb"`
	DiskTotalGB float64 `json:"disk_total_gb"`
}

// Stack is a compose stack.
type Stack struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	State    string    `json:"state"`
	Status   string    `json:"status,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	Services []Service `json:"services,omitempty"`
}

// Service is one service of a stack.
type Service struct {
	Name            string `json:"name"`
	Image           string `json:"image,omitempty"`
	UpdateAvailable bool   `json:"update_available,omitempty"`
}

// Deployment is a single-container deployment.
type Deployment struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	State           string   `json:"state"`
	Status          string   `json:"status,omitempty"`
	Image           string   `json:"image,omitempty"`
	UpdateAvailable bool     `json:"update_available,omitempty"`
	Tags            []string `json:"tags,omitempty"`
}

// Build is an image build.
type Build struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Version   string   `json:"version,omitempty"`
	LastBuilt string   `json:"last_built_at,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// Alert is an open (unresolved) alert.
type Alert struct {
	ID     string `json:"id,omitempty"`
	Level  string `json:"level"`
	Type   string `json:"type"`
	Target string `json:"target,omitempty"` // "Server prod-1"
	Time   string `json:"time,omitempty"`
}

// Counts sums up the fleet.
type Counts struct {
	Servers     map[string]int `json:"servers"`
	Stacks      map[string]int `json:"stacks"`
	Deployments map[string]int `json:"deployments"`
	Alerts      int            `json:"alerts"`
}

// Actions names the tool behind each button of the view and how to reach it: directly
// when the session lists it, else through the gateway (komodo_call_tool).
type Actions struct {
	Tools   map[string]string `json:"tools"`   // "stack.deploy" -> "komodo_execute_DeployStack"
	Gateway string            `json:"gateway"` // the gateway tool, for tools the session does not list
	Listed  []string          `json:"listed"`  // the action tools the session lists
}

// ActionTools are the buttons of the view and the tools they call.
var ActionTools = map[string]string{
	"stack.deploy":       "komodo_execute_DeployStack",
	"stack.restart":      "komodo_execute_RestartStack",
	"stack.stop":         "komodo_execute_StopStack",
	"deployment.deploy":  "komodo_execute_Deploy",
	"deployment.restart": "komodo_execute_RestartDeployment",
	"deployment.stop":    "komodo_execute_StopDeployment",
	"build.run":          "komodo_execute_Build",
}

// lists are the reads one fleet takes, in parallel.
var lists = []struct{ name, path, body string }{
	{"servers", "/read/ListServers", `{"query":{},"limit":0}`},
	{"stacks", "/read/ListStacks", `{"query":{},"limit":0}`},
	{"deployments", "/read/ListDeployments", `{"query":{},"limit":0}`},
	{"builds", "/read/ListBuilds", `{"query":{},"limit":0}`},
	{"alerts", "/read/ListAlerts", `{"query":{"resolved":false}}`},
	{"tags", "/read/ListTags", `{}`},
}

// Load reads the fleet from Komodo. A list that fails is named in Unavailable and the rest
// is still answered; only when every list fails is it an error (the first one).
func Load(ctx context.Context, c Caller) (*Fleet, error) {
	answers := make([][]byte, len(lists))
	errs := make([]error, len(lists))
	var wg sync.WaitGroup
	for i, l := range lists {
		wg.Go(func() {
			answers[i], errs[i] = c.Call(ctx, http.MethodPost, l.path, []byte(l.body))
		})
	}
	wg.Wait()
	f := &Fleet{ReadAt: time.Now().UTC().Format(time.RFC3339)}
	failed := 0
	decode := func(i int, v any) bool {
		if errs[i] == nil {
			if err := json.Unmarshal(answers[i], v); err != nil {
				errs[i] = fmt.Errorf("%s: %w", lists[i].path, err)
			}
		}
		if errs[i] != nil {
			failed++
			f.Unavailable = append(f.Unavailable, lists[i].name+": "+errs[i].Error())
			return false
		}
		return true
	}
	var (
		servers     []serverItem
		stacks      []stackItem
		deployments []deploymentItem
		builds      []buildItem
		alerts      alertPage
		tags        []tag
	)
	decode(0, &servers)
	decode(1, &stacks)
	decode(2, &deployments)
	decode(3, &builds)
	decode(4, &alerts)
	decode(5, &tags)
	if failed == len(lists) {
		return nil, errs[0]
	}
	tagNames := map[string]string{}
	for _, t := range tags {
		tagNames[t.ID.Oid] = t.Name
	}
	named := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if n, ok := tagNames[id]; ok {
				out = append(out, n)
			} else {
				out = append(out, id)
			}
		}
		return out
	}

	byID := map[string]int{}
	serverNames := map[string]string{}
	for _, s := range servers {
		srv := Server{ID: s.ID, Name: s.Name, State: string(s.Info.State), Region: s.Info.Region, Tags: named(s.Tags),
			Stacks: []Stack{}, Deployments: []Deployment{}}
		srv.Version = deref(s.Info.Version)
		if s.Info.Err != nil {
			srv.Error = s.Info.Err.Error
		}
		if st := s.Info.Stats; st != nil {
			srv.Stats = &Stats{CPUPercent: round1(st.CPUPerc), MemUsedGB: round1(st.MemUsedGB), MemTotalGB: round1(st.MemTotalGB),
				DiskUsedGB: round1(st.DiskUsedGB), DiskTotalGB: round1(st.DiskTotalGB)}
		}
		byID[s.ID] = len(f.Servers)
		serverNames[s.ID] = s.Name
		f.Servers = append(f.Servers, srv)
	}
	// place puts a stack or deployment under its server; one that is on no listed server
	// (a swarm, a server this user cannot see) goes under a group of its own.
	place := func(serverID string, serverName *string, swarm *string) *Server {
		if i, ok := byID[serverID]; ok && serverID != "" {
			return &f.Servers[i]
		}
		key, name := serverID, deref(serverName)
		if sw := deref(swarm); sw != "" {
			key, name = "swarm:"+sw, "swarm "+sw
		}
		switch {
		case key == "":
			name = "(no server)"
		case name == "":
			name = serverID
		}
		if i, ok := byID["group:"+key]; ok {
			return &f.Servers[i]
		}
		byID["group:"+key] = len(f.Servers)
		f.Servers = append(f.Servers, Server{Name: name, State: "Unknown", Stacks: []Stack{}, Deployments: []Deployment{}})
		return &f.Servers[len(f.Servers)-1]
	}
	for _, s := range stacks {
		st := Stack{ID: s.ID, Name: s.Name, State: string(s.Info.State), Status: deref(s.Info.Status), Tags: named(s.Tags)}
		for _, sv := range s.Info.Services {
			st.Services = append(st.Services, Service{Name: sv.Service, Image: sv.Image, UpdateAvailable: sv.UpdateAvailable})
		}
		srv := place(s.Info.ServerID, s.Info.ServerName, s.Info.SwarmName)
		srv.Stacks = append(srv.Stacks, st)
	}
	for _, d := range deployments {
		dep := Deployment{ID: d.ID, Name: d.Name, State: string(d.Info.State), Status: deref(d.Info.Status), Image: d.Info.Image,
			UpdateAvailable: d.Info.UpdateAvailable, Tags: named(d.Tags)}
		srv := place(d.Info.ServerID, d.Info.ServerName, d.Info.SwarmName)
		srv.Deployments = append(srv.Deployments, dep)
	}
	for _, b := range builds {
		bd := Build{ID: b.ID, Name: b.Name, State: string(b.Info.State), Tags: named(b.Tags),
			Version: fmt.Sprintf("%d.%d.%d", b.Info.Version.Major, b.Info.Version.Minor, b.Info.Version.Patch)}
		if b.Info.LastBuiltAt > 0 {
			bd.LastBuilt = time.UnixMilli(b.Info.LastBuiltAt).UTC().Format(time.RFC3339)
		}
		f.Builds = append(f.Builds, bd)
	}
	for _, a := range alerts.Alerts {
		if a.Resolved {
			continue
		}
		al := Alert{Level: string(a.Level), Time: time.UnixMilli(a.Ts).UTC().Format(time.RFC3339)}
		al.ID, al.Type = a.ID.Oid, a.Data.Type
		al.Target = targetName(a.Target.Type, a.Target.ID, serverNames, f)
		f.Alerts = append(f.Alerts, al)
	}
	sort.SliceStable(f.Alerts, func(i, j int) bool { return levelRank(f.Alerts[i].Level) > levelRank(f.Alerts[j].Level) })
	for i := range f.Servers {
		s := &f.Servers[i]
		sort.Slice(s.Stacks, func(a, b int) bool { return s.Stacks[a].Name < s.Stacks[b].Name })
		sort.Slice(s.Deployments, func(a, b int) bool { return s.Deployments[a].Name < s.Deployments[b].Name })
	}
	sort.SliceStable(f.Servers, func(i, j int) bool { return f.Servers[i].Name < f.Servers[j].Name })
	sort.Slice(f.Builds, func(i, j int) bool { return f.Builds[i].Name < f.Builds[j].Name })
	if f.Servers == nil {
		f.Servers = []Server{}
	}
	if f.Builds == nil {
		f.Builds = []Build{}
	}
	if f.Alerts == nil {
		f.Alerts = []Alert{}
	}
	f.Counts = count(f)
	return f, nil
}

// targetName names an alert's target: "Server prod-1", by name when the fleet knows it.
func targetName(typ, id string, serverNames map[string]string, f *Fleet) string {
	if typ == "" {
		return ""
	}
	v := struct{ Type, ID string }{typ, id}
	name := v.ID
	switch v.Type {
	case "Server":
		if n, ok := serverNames[v.ID]; ok {
			name = n
		}
	case "Stack", "Deployment":
		for _, s := range f.Servers {
			for _, st := range s.Stacks {
				if st.ID == v.ID {
					name = st.Name
				}
			}
			for _, d := range s.Deployments {
				if d.ID == v.ID {
					name = d.Name
				}
			}
		}
	case "Build":
		for _, b := range f.Builds {
			if b.ID == v.ID {
				name = b.Name
			}
		}
	}
	return strings.TrimSpace(v.Type + " " + name)
}

func levelRank(l string) int {
	switch l {
	case "CRITICAL":
		return 2
	case "WARNING":
		return 1
	}
	return 0
}

func count(f *Fleet) Counts {
	c := Counts{Servers: map[string]int{}, Stacks: map[string]int{}, Deployments: map[string]int{}, Alerts: len(f.Alerts)}
	for _, s := range f.Servers {
		if s.ID != "" {
			c.Servers[s.State]++
		}
		for _, st := range s.Stacks {
			c.Stacks[st.State]++
		}
		for _, d := range s.Deployments {
			c.Deployments[d.State]++
		}
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// Text is the fleet in a few lines of plain text: what a client without the view shows
// and what the model reads.
func (f *Fleet) Text() string {
	var b strings.Builder
	servers, stacks, deps := 0, 0, 0
	for _, s := range f.Servers {
		if s.ID != "" {
			servers++
		}
		stacks += len(s.Stacks)
		deps += len(s.Deployments)
	}
	fmt.Fprintf(&b, "Komodo fleet: %d servers (%s), %d stacks (%s), %d deployments (%s), %d builds, %d open alerts.\n",
		servers, states(f.Counts.Servers), stacks, states(f.Counts.Stacks), deps, states(f.Counts.Deployments), len(f.Builds), len(f.Alerts))
	for _, s := range f.Servers {
		fmt.Fprintf(&b, "- %s: %s", s.Name, s.State)
		if s.Version != "" {
			fmt.Fprintf(&b, " %s", s.Version)
		}
		if st := s.Stats; st != nil {
			fmt.Fprintf(&b, ", cpu %.0f%%, mem %.1f/%.1f GB, disk %.0f/%.0f GB", st.CPUPercent, st.MemUsedGB, st.MemTotalGB, st.DiskUsedGB, st.DiskTotalGB)
		}
		if s.Error != "" {
			fmt.Fprintf(&b, ", error: %s", oneLine(s.Error, 160))
		}
		var items []string
		for _, st := range s.Stacks {
			items = append(items, fmt.Sprintf("stack %s %s", st.Name, st.State))
		}
		for _, d := range s.Deployments {
			items = append(items, fmt.Sprintf("deployment %s %s", d.Name, d.State))
		}
		if len(items) > 0 {
			fmt.Fprintf(&b, "; %s", strings.Join(items, ", "))
		}
		b.WriteString("\n")
	}
	if len(f.Builds) > 0 {
		var items []string
		for _, bd := range f.Builds {
			items = append(items, bd.Name+" "+bd.State)
		}
		fmt.Fprintf(&b, "Builds: %s\n", strings.Join(items, ", "))
	}
	for _, a := range f.Alerts {
		fmt.Fprintf(&b, "Alert %s %s %s since %s\n", a.Level, a.Type, a.Target, a.Time)
	}
	for _, u := range f.Unavailable {
		fmt.Fprintf(&b, "Could not read %s\n", u)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// states is "2 Ok, 1 NotOk", most frequent first.
func states(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Komodo's answers, as far as the view reads them (Komodo Core v2.3.2: ServerListItem,
// StackListItem, DeploymentListItem, BuildListItem, ListAlertsResponse, Tag). The typed Go
// client is its own module, which the server does not link; these mirror its field names.
type (
	oid struct {
		Oid string `json:"$oid"`
	}
	serverItem struct {
		ID   string   `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
		Info struct {
			State   string  `json:"state"`
			Region  string  `json:"region"`
			Version *string `json:"version"`
			Err     *struct {
				Error string `json:"error"`
			} `json:"err"`
			Stats *struct {
				CPUPerc     float64 `json:"cpu_perc"`
				MemUsedGB   float64 `json:"mem_used_gb"`
				MemTotalGB  float64 `json:"mem_total_gb"`
				DiskUsedGB  float64 `json:"disk_used_gb"`
				DiskTotalGB float64 `json:"disk_total_gb"`
			} `json:"stats"`
		} `json:"info"`
	}
	placement struct {
		ServerID   string  `json:"server_id"`
		ServerName *string `json:"server_name"`
		SwarmName  *string `json:"swarm_name"`
		State      string  `json:"state"`
		Status     *string `json:"status"`
	}
	stackItem struct {
		ID   string   `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
		Info struct {
			placement
			Services []struct {
				Service         string `json:"service"`
				Image           string `json:"image"`
				UpdateAvailable bool   `json:"update_available"`
			} `json:"services"`
		} `json:"info"`
	}
	deploymentItem struct {
		ID   string   `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
		Info struct {
			placement
			Image           string `json:"image"`
			UpdateAvailable bool   `json:"update_available"`
		} `json:"info"`
	}
	buildItem struct {
		ID   string   `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
		Info struct {
			State       string `json:"state"`
			LastBuiltAt int64  `json:"last_built_at"`
			Version     struct {
				Major, Minor, Patch int
			} `json:"version"`
		} `json:"info"`
	}
	alertPage struct {
		Alerts []struct {
			ID       oid    `json:"_id"`
			Level    string `json:"level"`
			Resolved bool   `json:"resolved"`
			Ts       int64  `json:"ts"`
			Target   struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"target"`
			Data struct {
				Type string `json:"type"`
			} `json:"data"`
		} `json:"alerts"`
	}
	tag struct {
		ID   oid    `json:"_id"`
		Name string `json:"name"`
	}
)
