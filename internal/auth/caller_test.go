package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

func TestCallerFromHeader(t *testing.T) {
	tests := []struct {
		name string
		h    map[string]string
		want Caller
		ok   bool
	}{
		{"api key", map[string]string{"X-Api-Key": "K", "X-Api-Secret": "S"}, Caller{APIKey: "K", APISecret: "S"}, true},
		{"key without secret", map[string]string{"X-Api-Key": "K"}, Caller{APIKey: "K"}, false},
		{"bearer jwt", map[string]string{"Authorization": "Bearer a.b.c"}, Caller{JWT: "a.b.c"}, true},
		{"bearer any case", map[string]string{"Authorization": "bearer a.b.c"}, Caller{JWT: "a.b.c"}, true},
		{"raw jwt as Komodo accepts it", map[string]string{"Authorization": "a.b.c"}, Caller{JWT: "a.b.c"}, true},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, Caller{JWT: "Bearer"}, true},
		{"nothing", nil, Caller{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			got, ok := CallerFromHeader(h)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CallerFromHeader = %#v, %v; want %#v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPassThrough_RoundTrip(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	client := &http.Client{Transport: NewPassThrough(nil)}

	send := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/read/ListServers", strings.NewReader("{}"))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	got = nil
	err := send(context.Background())
	var e *errcode.Error
	if !errors.As(err, &e) || e.Code != errcode.AuthError || got != nil {
		t.Fatalf("without caller: err %v, sent %v; want AUTH_ERROR and nothing sent", err, got != nil)
	}

	if err := send(WithCaller(context.Background(), Caller{APIKey: "K1", APISecret: "S1"})); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-Api-Key") != "K1" || got.Get("X-Api-Secret") != "S1" || got.Get("Authorization") != "" {
		t.Errorf("api key caller sent %v", got)
	}
	if err := send(WithCaller(context.Background(), Caller{JWT: "j.w.t"})); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "j.w.t" || got.Get("X-Api-Key") != "" {
		t.Errorf("jwt caller sent %v", got)
	}
}

func TestCaller_NoSecretInString(t *testing.T) {
	c := Caller{APIKey: "K", APISecret: "very-secret", JWT: ""}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", c)} {
		if strings.Contains(s, "very-secret") {
			t.Errorf("secret in %q", s)
		}
	}
}
