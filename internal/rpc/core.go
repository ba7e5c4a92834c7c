package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Komodo 1 has neither GET /version nor GET /user (bin/core/src/main.rs at v1.19.5): those
// paths reach its UI. It answers the same questions as POST /read/GetVersion and
// POST /auth/GetUser, which Komodo 2 also has (GetVersion) or no longer has (GetUser).

// versionOperation is Komodo's read operation that answers the Core's version.
const versionOperation = "GetVersion"

// Version asks Komodo Core its version: GET /version (Komodo 2, no credentials needed),
// else POST /read/GetVersion (Komodo 1).
func (c *Client) Version(ctx context.Context) (string, error) {
	data, err := c.Call(ctx, http.MethodGet, "/version", nil)
	if err == nil {
		if v := strings.Trim(strings.TrimSpace(string(data)), `"`); looksLikeVersion(v) {
			return v, nil
		}
	} else if !unrouted(err) {
		return "", err
	}
	data, err2 := c.Call(ctx, http.MethodPost, "/read/"+versionOperation, []byte("{}"))
	if err2 != nil {
		if err != nil {
			return "", err
		}
		return "", err2
	}
	var v struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &v) != nil || !looksLikeVersion(v.Version) {
		return "", &errcode.Error{Code: errcode.ServerError, Message: "Komodo answered GET /version and GetVersion with no version", Hint: "check KOMODO_URL: it must lead to Komodo Core"}
	}
	return v.Version, nil
}

// User is the calling user as Komodo sends it: GET /user (Komodo 2), else
// POST /auth/GetUser (Komodo 1).
func (c *Client) User(ctx context.Context) ([]byte, error) {
	data, err := c.Call(ctx, http.MethodGet, "/user", nil)
	if err == nil && json.Valid(data) && strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
		return data, nil
	}
	if err != nil && !unrouted(err) {
		return nil, err
	}
	data2, err2 := c.Call(ctx, http.MethodPost, "/auth/GetUser", []byte("{}"))
	if err2 != nil {
		if err != nil {
			return nil, err
		}
		return nil, err2
	}
	return data2, nil
}

// unrouted says whether err is Komodo (or its UI) not knowing the path: 404, 405, or an
// answer that says KOMODO_URL leads elsewhere.
func unrouted(err error) bool {
	e := AsError(err)
	return e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed || e.WrongAddress()
}

// looksLikeVersion is a version such as 2.3.2 or v1.19.5, not a page of HTML.
func looksLikeVersion(v string) bool {
	v = strings.TrimPrefix(v, "v")
	if v == "" || len(v) > 40 || v[0] < '0' || v[0] > '9' {
		return false
	}
	return strings.Count(v, ".") >= 1 && !strings.ContainsAny(v, " <>")
}
