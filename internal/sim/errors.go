package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an answer in Komodo's error shape: HTTP status plus {"error", "trace"}.
type apiError struct {
	Status int
	Msg    string
	Trace  []string
}

func (e *apiError) Error() string { return e.Msg }

// errf is the common case: an application error, which Komodo answers with a 500.
func errf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Msg: fmt.Sprintf(format, args...)}
}

// notFound is Komodo's answer for an id or name that matches nothing.
func notFound(kind, key string) *apiError {
	return errf("Did not find any %s matching %s", kind, key)
}

func writeError(w http.ResponseWriter, e *apiError) {
	trace := e.Trace
	if trace == nil {
		trace = []string{}
	}
	body, _ := json.Marshal(struct {
		Error string   `json:"error"`
		Trace []string `json:"trace"`
	}{e.Msg, trace})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
