package memnet

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestServer_InBubble: a request is served over the pipe, and a handler that takes an hour
// of the bubble's clock answers at once in real time, an hour later in the bubble's.
func TestServer_InBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-time.After(time.Hour) // the bubble's clock
			body, _ := io.ReadAll(r.Body)
			_, _ = io.WriteString(w, r.Host+" "+r.URL.Path+" "+string(body))
		}))
		defer s.Close()
		start := time.Now()
		for range 2 { // the second request reuses the kept-alive connection
			resp, err := s.Client().Post(s.URL+"/a/b", "text/plain", strings.NewReader("hello"))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != Host+" /a/b hello" {
				t.Errorf("answer %q", got)
			}
		}
		if d := time.Since(start); d != 2*time.Hour {
			t.Errorf("two answers took %v of the bubble's time, want 2h", d)
		}
	})
}

func TestServer_ClosedRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(http.NotFoundHandler())
		s.Close()
		if _, err := s.Client().Get(s.URL); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("GET on a closed server: %v, want refused", err)
		}
	})
}
