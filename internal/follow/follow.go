// Package follow waits for a Komodo Update (what every execute call answers)
// to complete, reporting each new log stage as it appears, within a bounded
// time so that a caller can answer before its own client times out and resume
// later.
//
// It listens on Komodo's /ws/update websocket, which carries an UpdateListItem
// (no logs) for every update the user may see, and fetches the full Update
// with read/GetUpdate when an event names the followed id. When the websocket
// cannot be opened or logged in (no credentials for it, an HMAC gateway, a
// proxy without websocket support) it polls GetUpdate every PollInterval, as
// Komodo's own client does. It also polls once at the start (the update may
// be complete already), once more right after the websocket logs in (an event
// may have passed between the two), and slowly all along (an event may be
// lost).
//
// Waiting never touches the Komodo work itself: neither the cap nor a
// cancellation cancels a build or a deploy.
package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Caller reads from Komodo; *rpc.Client satisfies it.
type Caller interface {
	// Call sends body to Komodo and returns the answer of a 200, or an
	// *errcode.Error.
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
	// URL is the Komodo Core address.
	URL() string
}

// Defaults for Options (the wait cap's is config.DefaultWaitCap, the KOMODO_WAIT_CAP default).
const (
	DefaultHeartbeat    = 10 * time.Second
	DefaultPollInterval = time.Second
	DefaultSafetyPoll   = 5 * time.Second
)

// tailBytes is how much of a failed stage's output Result.StderrTail keeps.
const tailBytes = 2048

// The values of Result.Via.
const (
	ViaWebsocket = "websocket"
	ViaPolling   = "polling"
)

// Progress is one notification while waiting: a new log stage, or a heartbeat
// when nothing new happened for Options.Heartbeat.
type Progress struct {
	// UpdateID is the update this is about (useful with WaitAll).
	UpdateID string
	// Stage is the new stage's name; for a heartbeat, the latest stage's.
	Stage string
	// Index is the stage's number, from 1; for a heartbeat, the number of
	// stages so far.
	Index int
	// Total is the number of stages when known, 0 otherwise. Komodo does not
	// announce stages ahead, so it is known only once the update is complete.
	Total int
	// Message is a one-line description for a person.
	Message string
	// Heartbeat marks a notification sent only to show the wait is alive.
	Heartbeat bool
}

// Options tune a wait. The zero value is ready to use, but follows by polling
// only: set Login to use the websocket.
type Options struct {
	// Cap bounds the wait; at the cap Wait returns an incomplete Result. 0
	// means config.DefaultWaitCap.
	Cap time.Duration
	// Heartbeat is the longest time without a notification; 0 means
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// PollInterval is the polling period without a websocket; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// SafetyPoll is the polling period while the websocket is up; 0 means
	// DefaultSafetyPoll.
	SafetyPoll time.Duration
	// Seen is the number of stages already reported (when resuming an earlier
	// wait, Result.Stages); notifications start after them. WaitAll applies
	// it to every update.
	Seen int
	// OnProgress receives notifications, from one goroutine at a time. It
	// must not block for long.
	OnProgress func(Progress)
	// Login builds the websocket login message; nil means polling only.
	Login Login
	// DisableWebsocket forces polling.
	DisableWebsocket bool
	// WebsocketClient makes the websocket handshake; nil means
	// errcode.NoRedirectClient. It must not follow redirects: the login message
	// carries the credentials. Not the rpc client: its retry layer cannot carry an
	// upgraded connection, and the websocket authenticates by message.
	WebsocketClient *http.Client
	// Logger receives debug lines about the path taken; nil discards them.
	// Secrets never reach it.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Cap, config.DefaultWaitCap)
	def(&o.Heartbeat, DefaultHeartbeat)
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.SafetyPoll, DefaultSafetyPoll)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Result is where a wait ended.
type Result struct {
	// UpdateID is the followed update, to resume with another Wait.
	UpdateID string
	// Update is the last Update read from Komodo (nil if none could be read).
	Update json.RawMessage
	// Status is the update's last known status: Queued, InProgress or Complete.
	Status string
	// Complete is false when the cap was reached first.
	Complete bool
	// Success is Komodo's verdict; meaningful only when Complete.
	Success bool
	// Duration is the update's own duration (end_ts - start_ts) once complete.
	Duration time.Duration
	// Waited is how long this wait took.
	Waited time.Duration
	// Stages is the number of log stages seen so far.
	Stages int
	// FailedStage names the stage that failed, when the update failed.
	FailedStage string
	// StderrTail is the last ~2 KB of the failed stage's stderr (its stdout
	// when stderr is empty), without Komodo's HTML markup.
	StderrTail string
	// Via says how the update was followed: "websocket" when the websocket
	// was up when the wait ended, "polling" otherwise.
	Via string
	// LastError is the last failed read, when the cap came while Komodo was
	// not answering.
	LastError string
}

// update is the part of Komodo's Update that the wait reads.
type update struct {
	Operation string `json:"operation"`
	Status    string `json:"status"`
	Success   bool   `json:"success"`
	StartTs   int64  `json:"start_ts"`
	EndTs     *int64 `json:"end_ts"`
	Logs      []struct {
		Stage   string `json:"stage"`
		Stdout  string `json:"stdout"`
		Stderr  string `json:"stderr"`
		Success bool   `json:"success"`
		StartTs int64  `json:"start_ts"`
		EndTs   int64  `json:"end_ts"`
	} `json:"logs"`
}

// Wait follows update updateID until it completes, the cap passes (an
// incomplete Result, not an error) or ctx ends (ctx.Err(), at once). An
// update Komodo does not know, or may not show, is an *errcode.Error;
// passing failures to read are retried until the cap.
func Wait(ctx context.Context, c Caller, updateID string, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	if err := checkID(updateID); err != nil {
		return nil, err
	}
	var f *feed
	if !opts.DisableWebsocket && opts.Login != nil {
		f = startFeed(ctx, c.URL(), opts.Login, opts.WebsocketClient, opts.Logger)
		defer f.close()
	}
	return wait(ctx, c, updateID, opts, f)
}

func checkID(id string) error {
	if strings.TrimSpace(id) == "" {
		return &errcode.Error{Code: errcode.ValidationError, Message: "no update id to wait for",
			Hint: "Pass the id of the Update an execute call answered (its _id.$oid)."}
	}
	return nil
}

type fetched struct {
	data []byte
	err  error
}

// wait is one update's loop. f, the websocket subscription, may be nil or
// shared with other waits.
func wait(ctx context.Context, c Caller, id string, opts Options, f *feed) (*Result, error) {
	start := time.Now()
	capCtx, cancel := context.WithTimeout(ctx, opts.Cap)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"id": id})

	w := &waiter{id: id, opts: opts, seen: opts.Seen, res: &Result{UpdateID: id, Via: ViaPolling}}
	var wsUp, wsDown <-chan struct{}
	var pokes <-chan struct{}
	if f != nil {
		wsUp, wsDown = f.loggedIn, f.done
		var stop func()
		pokes, stop = f.watch(id)
		defer stop()
	}

	results := make(chan fetched, 1)
	inFlight, again := false, false
	fetch := func() {
		if inFlight {
			again = true
			return
		}
		inFlight = true
		go func() {
			data, err := c.Call(capCtx, http.MethodPost, "/read/GetUpdate", body)
			results <- fetched{data, err}
		}()
	}

	poll := time.NewTimer(0) // poll right away
	defer poll.Stop()
	heartbeat := time.NewTimer(opts.Heartbeat)
	defer heartbeat.Stop()
	period := opts.PollInterval

	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-capCtx.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return w.finish(start), nil
		case <-wsUp:
			wsUp = nil
			w.res.Via = ViaWebsocket
			period = opts.SafetyPoll
			poll.Reset(period)
			fetch() // an event may have passed before the subscription
		case <-wsDown:
			wsUp, wsDown, pokes = nil, nil, nil
			w.res.Via = ViaPolling
			period = opts.PollInterval
			poll.Reset(0)
			if err := f.Err(); err != nil && ctx.Err() == nil {
				opts.Logger.Debug("following by polling", "update", id, "reason", err.Error())
			}
		case <-pokes:
			fetch()
		case <-poll.C:
			fetch()
			poll.Reset(period)
		case <-heartbeat.C:
			w.heartbeat(start)
			w.progressed = false // a heartbeat is not news: the next read must not push the next one back
			heartbeat.Reset(opts.Heartbeat)
		case r := <-results:
			inFlight = false
			if r.err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if capCtx.Err() != nil {
					return w.finish(start), nil
				}
				if final(r.err) {
					return nil, r.err
				}
				w.res.LastError = r.err.Error()
				opts.Logger.Debug("GetUpdate failed; will retry", "update", id, "error", r.err.Error())
			} else if done, err := w.read(r.data); err != nil {
				return nil, err
			} else {
				if w.progressed {
					w.progressed = false
					heartbeat.Reset(opts.Heartbeat)
				}
				if done {
					return w.finish(start), nil
				}
			}
			if again {
				again = false
				fetch()
			}
		}
	}
}

// final reports read errors that waiting longer cannot fix.
func final(err error) bool {
	var e *errcode.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case errcode.NotFound, errcode.AuthError, errcode.ValidationError:
		return true
	}
	return false
}

// waiter holds one wait's view of the update.
type waiter struct {
	id         string
	opts       Options
	seen       int
	last       update
	res        *Result
	progressed bool // a notification went out since the heartbeat was reset
}

// read takes a GetUpdate answer, reports new stages and says whether the
// update is complete.
func (w *waiter) read(data []byte) (bool, error) {
	var u update
	if err := json.Unmarshal(data, &u); err != nil {
		return false, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate answered something that is not an Update: " + err.Error(), Err: err}
	}
	w.last = u
	w.res.Update = append(json.RawMessage(nil), data...)
	w.res.Status = u.Status
	w.res.Stages = len(u.Logs)
	complete := u.Status == "Complete"
	total := 0
	if complete {
		total = len(u.Logs)
	}
	for i := w.seen; i < len(u.Logs); i++ {
		l := u.Logs[i]
		verdict := "ok"
		if !l.Success {
			verdict = "failed"
		}
		msg := fmt.Sprintf("%s: stage %d %q %s", orUpdate(u.Operation), i+1, l.Stage, verdict)
		if l.EndTs > l.StartTs && l.StartTs > 0 {
			msg += " in " + ms(l.EndTs-l.StartTs).String()
		}
		w.notify(Progress{UpdateID: w.id, Stage: l.Stage, Index: i + 1, Total: total, Message: msg})
	}
	if len(u.Logs) > w.seen {
		w.seen = len(u.Logs)
	}
	return complete, nil
}

func (w *waiter) heartbeat(start time.Time) {
	stage := ""
	if n := len(w.last.Logs); n > 0 {
		stage = w.last.Logs[n-1].Stage
	}
	waited := time.Since(start).Round(time.Second)
	msg := fmt.Sprintf("%s still %s after %s, %d stage(s) so far", orUpdate(w.last.Operation), w.last.Status, waited, w.seen)
	if w.last.Status == "" {
		msg = fmt.Sprintf("waiting for Komodo to answer GetUpdate (%s)", waited)
	}
	w.notify(Progress{UpdateID: w.id, Stage: stage, Index: w.seen, Message: msg, Heartbeat: true})
}

func (w *waiter) notify(p Progress) {
	w.progressed = true
	if w.opts.OnProgress != nil {
		w.opts.OnProgress(p)
	}
}

// finish fills the result from the last Update read.
func (w *waiter) finish(start time.Time) *Result {
	r := w.res
	r.Waited = time.Since(start)
	u := w.last
	r.Complete = u.Status == "Complete"
	if !r.Complete {
		return r
	}
	r.LastError = ""
	o := outcome(u)
	r.Success, r.Duration, r.FailedStage, r.StderrTail = o.Success, o.Duration, o.FailedStage, o.StderrTail
	return r
}

// Outcome is what a complete Update says: Komodo's verdict, the update's own duration,
// and for a failure the stage that failed and the tail of its output.
type Outcome struct {
	Success     bool
	Duration    time.Duration
	FailedStage string
	StderrTail  string
}

// OutcomeOf reads the Outcome of a complete Update as Komodo serializes it.
func OutcomeOf(raw json.RawMessage) (Outcome, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return Outcome{}, err
	}
	return outcome(u), nil
}

// outcome: the failed stage is the first with success false, else a "Task Error"
// stage, else the last stage; its tail is stderr, or stdout when stderr is empty, with
// Komodo's HTML markup removed (see StripMarkup).
func outcome(u update) Outcome {
	o := Outcome{Success: u.Success}
	if u.EndTs != nil && *u.EndTs >= u.StartTs && u.StartTs > 0 {
		o.Duration = ms(*u.EndTs - u.StartTs)
	}
	if u.Success {
		return o
	}
	failed := -1
	for i, l := range u.Logs {
		if !l.Success {
			failed = i
			break
		}
	}
	if failed < 0 {
		for i, l := range u.Logs {
			if l.Stage == "Task Error" {
				failed = i
				break
			}
		}
	}
	if failed < 0 && len(u.Logs) > 0 {
		failed = len(u.Logs) - 1
	}
	if failed >= 0 {
		l := u.Logs[failed]
		o.FailedStage = StripMarkup(l.Stage)
		out := strings.TrimSpace(StripMarkup(l.Stderr))
		if out == "" {
			out = strings.TrimSpace(StripMarkup(l.Stdout))
		}
		o.StderrTail = lastBytes(out, tailBytes)
	}
	return o
}

func orUpdate(op string) string {
	if op == "" {
		return "update"
	}
	return op
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// lastBytes keeps the end of s, at most n bytes, starting on a rune boundary,
// marking the cut.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return "..." + s[cut:]
}
