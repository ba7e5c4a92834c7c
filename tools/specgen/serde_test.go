package main

import (
	"encoding/json"
	"os"
	"testing"
)

// The shapes Komodo writes its defaults in (client/core/rs/src/entities/server.rs,
// builder.rs, update.rs, deployment.rs at v2.3.2).
const serdeSample = `
pub struct ServerConfig {
  /// Address.
  #[serde(default)]
  #[builder(default)]
  pub address: String,
  #[serde(default = "default_send_alerts")]
  #[builder(default = "default_send_alerts()")]
  #[partial_default(default_send_alerts())]
  pub send_cpu_alerts: bool,
  #[serde(default = "default_cpu_warning")]
  pub cpu_warning: f32,
  #[partial_default(aws_default_region())]
  pub region: String,
  #[serde(
    default,
    rename = "_id",
    skip_serializing_if = "String::is_empty",
    with = "bson::serde_helpers::hex_string_as_object_id"
  )]
  pub id: MongoId,
  pub port: i32,
  #[serde(default, skip_serializing)]
  pub token: String,
}

fn default_send_alerts() -> bool {
  // comment
  true
}

fn default_cpu_warning() -> f32 {
  90.0
}

fn aws_default_region() -> String {
  String::from(
    "us-east-1",
  )
}

impl Default for ServerConfig {
  fn default() -> Self {
    Self {
      address: Default::default(),
      send_cpu_alerts: default_send_alerts(),
      port: 8120,
    }
  }
}

#[serde(rename_all = "snake_case")]
pub enum RestartMode {
  #[default]
  #[serde(rename = "no")]
  NoRestart,
  OnFailure,
}

pub enum DeploymentState {
  Running,
  /// Unknown
  #[default]
  NotDeployed,
}
`

func TestParseSerdeFile(t *testing.T) {
	structs, enums := parseSerdeFile(serdeSample, nil)
	got, _ := json.Marshal(structs["ServerConfig"])
	want := `{"_id":{"skip_serializing_if":"String::is_empty"},"cpu_warning":{"default":90},"port":{"default":8120},"region":{"default":"us-east-1"},"send_cpu_alerts":{"default":true},"token":{"skip_serializing_if":"always"}}`
	if string(got) != want {
		t.Errorf("ServerConfig facts:\n got %s\nwant %s", got, want)
	}
	if enums["RestartMode"] != "no" || enums["DeploymentState"] != "NotDeployed" {
		t.Errorf("enum defaults: %v", enums)
	}
}

// The committed facts hold what the simulator's world rests on.
func TestCommittedSerdeFacts(t *testing.T) {
	data, err := os.ReadFile("../../api/komodo.serde.json")
	if err != nil {
		t.Fatal(err)
	}
	var f serdeFacts
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		schema, field string
		want          any
	}{
		{"ServerConfig", "send_cpu_alerts", true}, {"ServerConfig", "cpu_warning", 90.0}, {"ServerConfig", "enabled", false},
		{"DeploymentConfig", "termination_timeout", 10.0}, {"StackConfig", "auto_pull", true}, {"BuildConfig", "dockerfile_path", "Dockerfile"},
		{"AwsBuilderConfig", "volume_gb", 20.0}, {"RepoConfig", "branch", "main"}, {"ResourceSyncConfig", "include_resources", true},
	} {
		if got := f.Structs[c.schema][c.field].Default; got != c.want {
			t.Errorf("%s.%s default = %v, want %v", c.schema, c.field, got, c.want)
		}
	}
	if f.Structs["Update"]["prev_toml"].SkipIf == "" || f.Enums["RestartMode"] != "no" {
		t.Errorf("Update.prev_toml skip %q, RestartMode default %q", f.Structs["Update"]["prev_toml"].SkipIf, f.Enums["RestartMode"])
	}
}
