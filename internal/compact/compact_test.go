package compact

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

type fakeNames map[string]string // "Type/id" -> name

func (f fakeNames) Name(_ context.Context, typ, id string) (string, bool) {
	n, ok := f[typ+"/"+id]
	return n, ok
}

func decode(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValue(t *testing.T) {
	names := fakeNames{"Tag/t1": "prod", "Deployment/d1": "api-gateway"}
	cases := []struct {
		name string
		in   string
		o    Options
		want string
	}{
		{"nulls and empties dropped", `{"a":null,"b":"","c":[],"d":{},"e":{"f":null},"g":"x"}`, Options{}, `{"g":"x"}`},
		{"false dropped except news", `{"template":false,"success":false,"resolved":false,"enabled":false,"on":true}`, Options{}, `{"enabled":false,"on":true,"resolved":false,"success":false}`},
		{"times to ISO 8601 UTC", `{"start_ts":1768457000000,"updated_at":1768377600123,"ts":1768462200000,"last_built_at":0}`, Options{},
			`{"start_ts":"2026-01-15T06:03:20Z","ts":"2026-01-15T07:30:00Z","updated_at":"2026-01-14T08:00:00.123Z"}`},
		{"seconds are seconds", `{"created_at":1768377600}`, Options{}, `{"created_at":"2026-01-14T08:00:00Z"}`},
		{"time fields not named like one", `{"next_scheduled_run":1768462200000,"expires":0,"created":1768377600,"start_time":1768377600}`, Options{},
			`{"created":"2026-01-14T08:00:00Z","next_scheduled_run":"2026-01-15T07:30:00Z","start_time":"2026-01-14T08:00:00Z"}`},
		{"a created that is not a number stays", `{"created":"2026-01-14","info":{"created":{"name":"k"}}}`, Options{}, `{"created":"2026-01-14","info":{"created":{"name":"k"}}}`},
		{"markup stripped from log text", `{"logs":[{"stage":"<b>Task Error</b>","stderr":"<span style=\"color: red\">ERROR</span>: no <none>","stdout":"ok","success":false}]}`, Options{},
			`{"logs":[{"stage":"Task Error","stderr":"ERROR: no \u003cnone\u003e","stdout":"ok","success":false}]}`},
		{"markup kept outside logs", `{"description":"<b>bold</b>"}`, Options{}, `{"description":"\u003cb\u003ebold\u003c/b\u003e"}`},
		{"thresholds at zero are unset", `{"cpu_warning":0,"cpu_critical":90,"mem_warning":0.0}`, Options{}, `{"cpu_critical":90}`},
		{"noise", `{"alerting_thresholds":{"cpu_warning":80},"base_permission":"None","operator":"u1","username":"admin"}`, Options{}, `{"username":"admin"}`},
		{"base permission that says something stays", `{"base_permission":"Read"}`, Options{}, `{"base_permission":"Read"}`},
		{"ids Komodo already named", `{"server_id":"s1","server_name":"prod-1","build_id":"b1"}`, Options{}, `{"build_id":"b1","server_name":"prod-1"}`},
		{"list item type and stats", `{"id":"1","name":"prod-1","type":"Server","info":{"state":"Ok","stats":{"cpu_perc":3}}}`, Options{ListItem: true},
			`{"name":"prod-1","state":"Ok"}`},
		{"type kept outside lists", `{"id":"1","name":"prod-1","type":"Server","info":{"stats":{"cpu_perc":3}}}`, Options{},
			`{"id":"1","info":{"stats":{"cpu_perc":3}},"name":"prod-1","type":"Server"}`},
		{"floats cut", `{"one":1.8719999999999999,"n":12,"big":18446744073709551615}`, Options{}, `{"big":18446744073709551615,"n":12,"one":1.87}`},
		{"tags and targets named", `{"tags":["t1","t9"],"target":{"type":"Deployment","id":"d1"}}`, Options{Names: names},
			`{"tags":["prod","t9"],"target":{"name":"api-gateway","type":"Deployment"}}`},
		{"system target has no name", `{"target":{"type":"System","id":""}}`, Options{Names: names}, `{"target":{"type":"System"}}`},
		{"unknown target keeps its id", `{"target":{"type":"Deployment","id":"d9"}}`, Options{Names: names}, `{"target":{"id":"d9","type":"Deployment"}}`},
		{"keep noise when fields were asked", `{"template":false,"base_permission":"None","a":null}`, Options{KeepNoise: true}, `{"base_permission":"None"}`},
		{"latest equal to deployed", `{"deployed_hash":"a","latest_hash":"a","deployed_message":"m","latest_message":"m","latest_services":[1],"deployed_services":[2]}`, Options{},
			`{"deployed_hash":"a","deployed_message":"m","deployed_services":[2],"latest_hash":"a","latest_services":[1]}`},
		{"nested arrays", `{"logs":[{"stage":"Build","stderr":"","success":false},{}]}`, Options{}, `{"logs":[{"stage":"Build","success":false}]}`},
		// A resource's config at Komodo's defaults (Options.Defaults, from api/komodo.serde.json).
		{"config at defaults left out, the rest kept", `{"name":"prod-1","config":{"cpu_warning":90,"cpu_critical":80,"send_cpu_alerts":true,"region":"eu","network":"host"},"info":{"state":"Ok"}}`,
			Options{Defaults: map[string]any{"cpu_warning": 90.0, "cpu_critical": 99.0, "send_cpu_alerts": true, "network": "host"}},
			`{"config":{"cpu_critical":80,"region":"eu"},"info":{"state":"Ok"},"name":"prod-1"}`},
		{"a false that is news stays at its default", `{"config":{"enabled":false},"info":{"state":"Disabled"}}`, Options{Defaults: map[string]any{"enabled": false}},
			`{"config":{"enabled":false},"info":{"state":"Disabled"}}`},
		{"defaults only in the resource's config", `{"name":"x","network":"host","info":{"network":"host"}}`, Options{Defaults: map[string]any{"network": "host"}},
			`{"info":{"network":"host"},"name":"x","network":"host"}`},
		{"defaults kept when fields were asked", `{"config":{"cpu_warning":90}}`, Options{KeepNoise: true, Defaults: map[string]any{"cpu_warning": 90.0}}, `{"config":{"cpu_warning":90}}`},
		{"config id the info names", `{"config":{"server_id":"s1","build_id":"b1"},"info":{"server_name":"prod-1"}}`, Options{},
			`{"config":{"build_id":"b1"},"info":{"server_name":"prod-1"}}`},
		{"an error stays whatever the defaults", `{"config":{"address":"x"},"info":{"state":"NotOk","err":{"error":"refused"}}}`, Options{Defaults: map[string]any{"address": "x"}},
			`{"info":{"err":{"error":"refused"},"state":"NotOk"}}`},
		{"public key and stats bookkeeping", `{"info":{"public_key":"MCow","attempted_public_key":"MCox","stats":{"cpu_perc":3,"polling_rate":"15-sec","refresh_ts":1768377600000,"refresh_list_ts":1768377600000}}}`, Options{},
			`{"info":{"attempted_public_key":"MCox","stats":{"cpu_perc":3,"refresh_ts":"2026-01-14T08:00:00Z"}}}`},
		// Alerts: AlertData flattened, the target said once.
		{"alert data flattened, target not repeated", `{"level":"CRITICAL","resolved":false,"target":{"type":"Deployment","id":"d1"},"data":{"type":"ContainerStateChange","data":{"id":"d1","name":"api-gateway","server_name":"prod-1","from":"running","to":"exited"}}}`,
			Options{Names: names}, `{"data":{"from":"running","server_name":"prod-1","to":"exited","type":"ContainerStateChange"},"level":"CRITICAL","resolved":false,"target":{"name":"api-gateway","type":"Deployment"}}`},
		{"alert error kept", `{"target":{"type":"Server","id":"s9"},"data":{"type":"ServerUnreachable","data":{"id":"s9","name":"edge-1","err":{"error":"refused","trace":["os error 111"]}}}}`,
			Options{Names: names}, `{"data":{"err":{"error":"refused","trace":["os error 111"]},"name":"edge-1","type":"ServerUnreachable"},"target":{"id":"s9","type":"Server"}}`},
		{"a payload with a type of its own stays nested", `{"data":{"type":"Custom","data":{"type":"x"}}}`, Options{}, `{"data":{"data":{"type":"x"},"type":"Custom"}}`},
		{"alert data kept when fields were asked", `{"data":{"type":"None","data":{"id":"1"}}}`, Options{KeepNoise: true}, `{"data":{"data":{"id":"1"},"type":"None"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := decode(t, tc.in)
			before := encode(t, in)
			got := encode(t, Value(context.Background(), in, tc.o))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if encode(t, in) != before {
				t.Errorf("Value modified its input")
			}
		})
	}
}

func TestValue_EmptyRootStaysAnObject(t *testing.T) {
	got := Value(context.Background(), decode(t, `{"a":null}`), Options{})
	if !reflect.DeepEqual(got, map[string]any{}) {
		t.Fatalf("got %#v, want an empty object", got)
	}
}

func TestProject(t *testing.T) {
	obj := decode(t, `{"id":"1","name":"prod-1","info":{"state":"Ok","region":"eu","err":{"error":"x"}},"config":{"address":"a"},
		"logs":[{"stage":"Pull","success":true,"stdout":"..."},{"stage":"Build","success":false}]}`).(map[string]any)
	cases := []struct {
		fields  []string
		want    string
		missing []string
	}{
		{[]string{"name", "info.state"}, `{"info":{"state":"Ok"},"name":"prod-1"}`, nil},
		{[]string{"name", "state", "region", "address"}, `{"config":{"address":"a"},"info":{"region":"eu","state":"Ok"},"name":"prod-1"}`, nil},
		{[]string{"info.err.error"}, `{"info":{"err":{"error":"x"}}}`, nil},
		{[]string{"logs.stage", "logs.success"}, `{"logs":[{"stage":"Pull","success":true},{"stage":"Build","success":false}]}`, nil},
		{[]string{"name", "nope", "info.nope"}, `{"name":"prod-1"}`, []string{"nope", "info.nope"}},
	}
	for _, tc := range cases {
		got, missing := Project(obj, tc.fields)
		if s := encode(t, got); s != tc.want {
			t.Errorf("%v: got %s, want %s", tc.fields, s, tc.want)
		}
		if !reflect.DeepEqual(missing, tc.missing) {
			t.Errorf("%v: missing %v, want %v", tc.fields, missing, tc.missing)
		}
	}
}

func TestParseFields(t *testing.T) {
	got, err := ParseFields("name, info.state ,")
	if err != nil || !reflect.DeepEqual(got, []string{"name", "info.state"}) {
		t.Fatalf("comma string: %v %v", got, err)
	}
	got, err = ParseFields([]any{"name", "info.state"})
	if err != nil || !reflect.DeepEqual(got, []string{"name", "info.state"}) {
		t.Fatalf("list: %v %v", got, err)
	}
	for _, bad := range []any{[]any{1}, []any{"info..state"}, 3.0} {
		if _, err := ParseFields(bad); err == nil {
			t.Errorf("ParseFields(%v): want an error", bad)
		}
	}
}

// Komodo-shaped list items (every field Komodo serialises) read at a glance.
func TestValue_Glance(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"server", `{"id":"s1","type":"Server","name":"edge-1","template":false,"tags":["t1"],"info":{"state":"NotOk","err":{"error":"Connection refused","trace":["a","b"]},"stats":null,
			"alerting_thresholds":{"cpu_warning":90},"core_count":null,"region":"eu","address":"https://10.0.3.7:8120","external_address":null,"public_ip":null,
			"send_unreachable_alerts":true,"send_cpu_alerts":true,"version":null,"public_key":"MCow","terminals_disabled":true,"container_terminals_disabled":false}}`,
			`{"err":{"error":"Connection refused"},"name":"edge-1","region":"eu","state":"NotOk","tags":["t1"]}`},
		{"running deployment", `{"id":"d1","type":"Deployment","name":"api","tags":[],"info":{"state":"running","status":"Up 3 days","custom_name":"api","image":"api:1.2","update_available":false,"swarm_id":"","swarm_name":"","server_id":"s1","server_name":"prod-1","build_id":"b1"}}`,
			`{"image":"api:1.2","name":"api","server_name":"prod-1","state":"running"}`},
		{"exited deployment keeps its exit code", `{"id":"d2","type":"Deployment","name":"w","tags":[],"info":{"state":"exited","status":"Exited (137) 2 hours ago","custom_name":"worker","image":"w:1","update_available":true,"server_name":"prod-2"}}`,
			`{"custom_name":"worker","image":"w:1","name":"w","server_name":"prod-2","state":"exited","status":"Exited (137) 2 hours ago","update_available":true}`},
		{"stack", `{"id":"k1","type":"Stack","name":"mon","tags":[],"info":{"state":"running","status":"running(2)","server_name":"prod-1","files_on_host":false,"file_contents":true,"repo_link":"https://x","git_provider":"github.com",
			"services":[{"service":"a","image":"a:1","update_available":false},{"service":"b","image":"b:1","update_available":true}],"deployed_hash":"abc","latest_hash":"abc","missing_files":[]}}`,
			`{"deployed_hash":"abc","name":"mon","server_name":"prod-1","services":[{"image":"b:1","service":"b","update_available":true}],"state":"running"}`},
		{"build", `{"id":"b1","type":"Build","name":"api","tags":[],"info":{"state":"Ok","last_built_at":1768377600000,"version":{"major":1,"minor":14,"patch":2},"builder_id":"x","repo":"acme/api","built_hash":"a1","latest_hash":"b2"}}`,
			`{"built_hash":"a1","last_built_at":"2026-01-14T08:00:00Z","latest_hash":"b2","name":"api","state":"Ok","version":"1.14.2"}`},
		{"no glance for other items", `{"id":"u1","operation":"Deploy","info":{"x":1}}`, `{"id":"u1","info":{"x":1},"operation":"Deploy"}`},
	}
	for _, c := range cases {
		got := encode(t, Value(context.Background(), decode(t, c.in), Options{ListItem: true}))
		if got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
	// fields: Komodo's shape, configuration included.
	in := decode(t, `{"id":"s1","type":"Server","name":"a","info":{"state":"Ok","address":"x"}}`)
	if got := encode(t, Value(context.Background(), in, Options{ListItem: true, KeepNoise: true})); got != `{"id":"s1","info":{"address":"x","state":"Ok"},"name":"a","type":"Server"}` {
		t.Errorf("KeepNoise: %s", got)
	}
}
