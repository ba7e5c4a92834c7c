package sim

import (
	"encoding/json"
	"fmt"
)

// update is a Komodo Update: the record of one operation, observed by clients through
// GetUpdate / ListUpdates and the /ws/update websocket.
type update struct {
	ID         string
	Operation  string
	StartTS    int64
	EndTS      int64 // 0 while not complete
	Success    bool
	Operator   string // user id
	Username   string
	Target     target
	Logs       []logEntry
	Status     string // Queued, InProgress, Complete
	Version    map[string]any
	CommitHash string
	// PrevTOML and CurrentTOML are, for an Update* of a resource's config, the resource's
	// TOML before and after (bin/core/src/resource/mod.rs update).
	PrevTOML, CurrentTOML string
	onDone                func(*update) // procedures chain their stages on this
}

type logEntry struct {
	Stage   string `json:"stage"`
	Command string `json:"command"`
	Stdout  string `json:"stdout"`
	Stderr  string `json:"stderr"`
	Success bool   `json:"success"`
	StartTS int64  `json:"start_ts"`
	EndTS   int64  `json:"end_ts"`
}

// UpdateEvent is what subscribers receive each time an Update is created or changes.
type UpdateEvent struct {
	ID     string
	Status string
	// Update is the full Update as Komodo serializes it (what GetUpdate answers).
	Update map[string]any
	// ListItem is the UpdateListItem JSON, what /ws/update sends for the event.
	ListItem json.RawMessage
}

func (u *update) full() map[string]any {
	logs := u.Logs
	if logs == nil {
		logs = []logEntry{}
	}
	m := map[string]any{
		"_id":       map[string]any{"$oid": u.ID},
		"operation": u.Operation,
		"start_ts":  u.StartTS,
		"end_ts":    nullIfZero(u.EndTS),
		"success":   u.Success,
		"operator":  u.Operator,
		"target":    u.Target,
		"logs":      logs,
		"status":    u.Status,
	}
	// Komodo leaves these out when empty (skip_serializing_if, entities/update.rs:68-81).
	if u.Version != nil {
		m["version"] = u.Version
	}
	for k, v := range map[string]string{"commit_hash": u.CommitHash, "prev_toml": u.PrevTOML, "current_toml": u.CurrentTOML} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (u *update) listItem() map[string]any {
	m := map[string]any{
		"id":        u.ID,
		"operation": u.Operation,
		"start_ts":  u.StartTS,
		"success":   u.Success,
		"username":  u.Username,
		"operator":  u.Operator,
		"target":    u.Target,
		"status":    u.Status,
	}
	// version and other_data are left out when empty (entities/update.rs:141-146).
	if u.Version != nil {
		m["version"] = u.Version
	}
	return m
}

func nullIfZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (w *world) findUpdate(id string) *update {
	for i := len(w.updates) - 1; i >= 0; i-- {
		if w.updates[i].ID == id {
			return w.updates[i]
		}
	}
	return nil
}

type seedUpdate struct {
	Operation, Target, User, Error string
	TS                             int64
	Success                        bool
	Version                        map[string]any
	Stages                         []string
}

func (w *world) seededUpdate(su seedUpdate) *update {
	u := &update{ID: w.newID(), Operation: su.Operation, StartTS: su.TS, Status: "Complete", Success: su.Success,
		Target: w.parseTarget(su.Target), Version: su.Version}
	if usr := w.findUser(su.User); usr != nil {
		u.Operator, u.Username = usr.ID, usr.Username
	}
	if u.Target.Type == "System" {
		u.Target.ID = ""
	}
	ts := su.TS
	for i, st := range su.Stages {
		failed := !su.Success && i == len(su.Stages)-1
		l := logEntry{Stage: st, Command: commandFor(st), Stdout: fmt.Sprintf("%s: done", st), Success: !failed, StartTS: ts, EndTS: ts + 4000}
		if failed {
			l.Stdout, l.Stderr = "", su.Error
		}
		u.Logs = append(u.Logs, l)
		ts += 4000
	}
	u.EndTS = ts
	return u
}

// commandFor gives a log stage the shell command Komodo would show for it.
func commandFor(stage string) string {
	switch stage {
	case "Pull Image":
		return "docker pull"
	case "Remove Container", "Stop Container":
		return "docker stop --time 10 && docker container rm"
	case "Deploy Container":
		return "docker run -d"
	case "Clone Repo", "Pull Repo":
		return "git pull origin main"
	case "Build Image":
		return "docker build -t"
	case "Push Image":
		return "docker push"
	case "Compose Pull":
		return "docker compose pull"
	case "Compose Up":
		return "docker compose up -d"
	case "Compose Stop":
		return "docker compose stop"
	case "Compose Down":
		return "docker compose down"
	}
	return ""
}
