package httpserve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// sessionlessProtocol is the first protocol version in which requests may come without
// a session (SEP-2575); the SDK serves those, and so must we.
const sessionlessProtocol = "2026-07-28"

// requireSession answers 400 Bad Request to a POST without Mcp-Session-Id that does not
// initialize a session, as the streamable HTTP transport (2025-03-26 to 2025-11-25) says
// a server that issues session ids should. The go-sdk instead opens a throwaway session
// for it and answers 200 with an error event, which tells a client nothing about what to
// fix. Requests of the sessionless protocol (by header) pass through.
func requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mcp-Session-Id") != "" ||
			r.Header.Get("Mcp-Protocol-Version") >= sessionlessProtocol {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body) // bounded by guard's MaxBytesReader
		if err != nil {
			next.ServeHTTP(w, r) // the SDK reports the read error (413...)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if opensSession(body) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: no Mcp-Session-Id header: send initialize first, then the session id it answers with on every request"}}`))
	})
}

// opensSession reports whether a POST body initializes a session, or is too broken to
// tell (the SDK then answers it with its own 400).
func opensSession(body []byte) bool {
	var probe struct {
		Method *string `json:"method"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		var batch []struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(body, &batch) != nil {
			return true // not JSON-RPC: the SDK refuses it
		}
		for _, m := range batch {
			if m.Method == "initialize" {
				return true
			}
		}
		return false
	}
	return probe.Method != nil && *probe.Method == "initialize"
}
