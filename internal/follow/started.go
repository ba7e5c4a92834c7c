package follow

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// DeployIfChangedOperations are the operations of the updates DeployStackIfChanged may start
// in the background: a full deploy or restart, or one of selected services
// (bin/core/src/api/execute/stack.rs:441-540 at v2.3.2).
var DeployIfChangedOperations = []string{"DeployStack", "DeployStackService", "RestartStack", "RestartStackService"}

// Started looks for an update Komodo started on a target at or after since (milliseconds),
// with one of ops, by polling ListUpdates every interval until one appears or window has
// passed. It answers the id of the earliest such update, or "" when none appeared.
//
// It serves DeployStackIfChanged, whose answer is an Update Komodo never stores and that
// therefore has no id (bin/core/src/helpers/update.rs:277-281): Komodo decides in the
// background whether the stack changed, and only a change starts an update of its own.
func Started(ctx context.Context, c Caller, targetType, targetID string, ops []string, since int64, window, interval time.Duration) (string, error) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	query := map[string]any{
		"target.type": targetType,
		"target.id":   targetID,
		"start_ts":    map[string]any{"$gte": since},
	}
	if len(ops) > 0 {
		query["operation"] = map[string]any{"$in": ops}
	}
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(window)
	for {
		data, err := c.Call(ctx, http.MethodPost, "/read/ListUpdates", body)
		if err != nil {
			return "", err
		}
		var page struct {
			Updates []struct {
				ID      string `json:"id"`
				StartTs int64  `json:"start_ts"`
			} `json:"updates"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return "", err
		}
		if n := len(page.Updates); n > 0 {
			return page.Updates[n-1].ID, nil // newest first: the last is the earliest
		}
		left := time.Until(deadline)
		if left <= 0 {
			return "", nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(min(interval, left)):
		}
	}
}
