package httpserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// KomodoUser asks Komodo (GET /user) whose pass-through credentials c are. Komodo answers
// 401 for a bad API key and 500 "Invalid user credentials" for a bad or expired JWT; the
// error mapping classifies both as AUTH_ERROR.
func KomodoUser(client *rpc.Client) UserLookup {
	return func(ctx context.Context, c auth.Caller) (User, error) {
		data, err := client.User(auth.WithCaller(ctx, c))
		if err != nil {
			return User{}, err
		}
		var u struct {
			ID struct {
				OID string `json:"$oid"`
			} `json:"_id"`
			Username string `json:"username"`
		}
		if err := json.Unmarshal(data, &u); err != nil || u.ID.OID == "" {
			return User{}, errors.New("GET /user did not answer a user")
		}
		return User{ID: u.ID.OID, Username: u.Username}, nil
	}
}

// KomodoReachable checks Komodo's public GET /version (bin/core/src/api/mod.rs:30 at
// v2.3.2), which needs no credentials, for /readyz.
func KomodoReachable(base string) func(context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: errcode.NoRedirect} // a 3xx is not ready
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/version", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return errors.New("no answer from Komodo")
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		// Komodo 1 has no GET /version (its UI answers it): its API answers POST
		// /read/GetVersion, with a JSON error for a caller without credentials.
		if komodoAPIAnswers(ctx, client, base) {
			return nil
		}
		return fmt.Errorf("GET /version answered HTTP %d", resp.StatusCode)
	}
}

// komodoAPIAnswers says whether Komodo's API answers POST /read/GetVersion without
// credentials as Komodo does: 200, or 401 with its {"error", "trace"} JSON.
func komodoAPIAnswers(ctx context.Context, client *http.Client, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/read/GetVersion", strings.NewReader("{}"))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var e struct {
		Error *string `json:"error"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized && json.Unmarshal(body, &e) == nil && e.Error != nil
}
