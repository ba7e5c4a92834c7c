package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// FaultKind names what an injected fault does.
type FaultKind string

// The faults a test can inject.
const (
	// FaultProxy answers Status (502, 503 or 504) with an HTML page, as a reverse proxy
	// in front of Komodo does.
	FaultProxy FaultKind = "proxy"
	// FaultReset hijacks the connection and closes it without an answer.
	FaultReset FaultKind = "reset"
	// FaultLatency delays the request by Latency, then serves it normally.
	FaultLatency FaultKind = "latency"
	// FaultKomodo answers Komodo's 500 {"error": Message, "trace": []}. Inside Batch*
	// executions it turns the items of the batched operation into Err items.
	FaultKomodo FaultKind = "komodo"
)

// Fault is one injected fault. Op is an operationId ("Deploy") or "*" for every
// operation; Times limits it to the next Times matching requests (0 = until cleared).
type Fault struct {
	Op      string        `json:"op"`
	Kind    FaultKind     `json:"kind"`
	Status  int           `json:"status,omitempty"`
	Latency time.Duration `json:"latency,omitempty"`
	Message string        `json:"message,omitempty"`
	Times   int           `json:"times,omitempty"`
}

type faultTable struct {
	mu     sync.Mutex
	faults []*faultState
	counts map[string]int
}

type faultState struct {
	Fault
	used int
}

func (ft *faultTable) init() { ft.counts = map[string]int{} }

// InjectFault adds a fault; faults are consulted in the order they were added and the
// first live one matching the operation applies.
func (s *Server) InjectFault(f Fault) {
	if f.Kind == FaultProxy && f.Status == 0 {
		f.Status = http.StatusBadGateway
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = append(s.faults.faults, &faultState{Fault: f})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = nil
}

// Count is the number of requests received for an operation (by operationId, or by the
// name in the path for unknown operations), including those answered with a fault.
func (s *Server) Count(op string) int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.counts[op]
}

// Counts returns a copy of all request counts.
func (s *Server) Counts() map[string]int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make(map[string]int, len(s.faults.counts))
	for k, v := range s.faults.counts {
		out[k] = v
	}
	return out
}

// ResetCounts sets every request count back to zero.
func (s *Server) ResetCounts() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.counts = map[string]int{}
}

func (ft *faultTable) count(op string) {
	ft.mu.Lock()
	ft.counts[op]++
	ft.mu.Unlock()
}

// take returns the fault to apply to this request, consuming one use of it.
func (ft *faultTable) take(op string) *Fault {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for _, f := range ft.faults {
		if (f.Op == op || f.Op == "*") && (f.Times == 0 || f.used < f.Times) {
			f.used++
			cp := f.Fault
			return &cp
		}
	}
	return nil
}

// komodoErr is the forced message for op without consuming it, for Batch* items.
func (ft *faultTable) komodoErr(op string) string {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for _, f := range ft.faults {
		if f.Kind == FaultKomodo && (f.Op == op || f.Op == "*") && (f.Times == 0 || f.used < f.Times) {
			f.used++
			return f.Message
		}
	}
	return ""
}

// applyFault serves the fault and reports whether the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	s.log.Debug("injecting fault", "op", f.Op, "kind", f.Kind, "path", r.URL.Path)
	switch f.Kind {
	case FaultLatency:
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return true
		}
		return false
	case FaultProxy:
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Server", "nginx/1.27.0")
		w.WriteHeader(f.Status)
		text := http.StatusText(f.Status)
		fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx/1.27.0</center>\r\n</body>\r\n</html>\r\n", f.Status, text, f.Status, text)
		return true
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tcp, ok := conn.(interface{ SetLinger(int) error }); ok {
					_ = tcp.SetLinger(0) // RST rather than FIN
				}
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case FaultKomodo:
		msg := f.Message
		if msg == "" {
			msg = "Injected failure"
		}
		writeError(w, &apiError{Status: http.StatusInternalServerError, Msg: msg})
		return true
	}
	return false
}

// serveControl serves /__sim/: GET counts, POST faults (a Fault or a list of them),
// DELETE faults, POST counts/reset.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(ControlPrefix, "/"))
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case path == "/counts" && r.Method == http.MethodGet:
		writeJSON(s.Counts())
	case path == "/counts/reset" && r.Method == http.MethodPost:
		s.ResetCounts()
		writeJSON(map[string]any{})
	case path == "/faults" && r.Method == http.MethodPost:
		var list []Fault
		dec := json.NewDecoder(r.Body)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			writeError(w, &apiError{Status: http.StatusBadRequest, Msg: "invalid fault: " + err.Error()})
			return
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			var one Fault
			if err := json.Unmarshal(raw, &one); err != nil {
				writeError(w, &apiError{Status: http.StatusBadRequest, Msg: "invalid fault: " + err.Error()})
				return
			}
			list = []Fault{one}
		}
		for _, f := range list {
			s.InjectFault(f)
		}
		writeJSON(map[string]any{"injected": len(list)})
	case path == "/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		writeJSON(map[string]any{})
	case path == "/faults" && r.Method == http.MethodGet:
		s.faults.mu.Lock()
		out := make([]Fault, 0, len(s.faults.faults))
		for _, f := range s.faults.faults {
			out = append(out, f.Fault)
		}
		s.faults.mu.Unlock()
		sort.SliceStable(out, func(i, j int) bool { return out[i].Op < out[j].Op })
		writeJSON(out)
	default:
		writeError(w, &apiError{Status: http.StatusNotFound, Msg: "unknown simulator control endpoint " + r.Method + " " + r.URL.Path})
	}
}
