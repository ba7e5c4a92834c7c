package komodo

// Hand-written conveniences for the generated client: how to authenticate.

import (
	"context"
	"net/http"
)

// WithAPIKey authenticates every request with a Komodo API key and secret, sent as the
// x-api-key and x-api-secret headers Komodo Core expects. Unless an HTTP client was given
// before it (WithHTTPClient), the client never follows redirects (see NoRedirectClient).
func WithAPIKey(key, secret string) ClientOption {
	return withCredentials(func(_ context.Context, req *http.Request) error {
		req.Header.Set("x-api-key", key)
		req.Header.Set("x-api-secret", secret)
		return nil
	})
}

// WithJWT authenticates every request with a JWT obtained from /auth/login (see
// LoginLocalUserWithResponse). Komodo takes the raw token in the authorization header,
// without a "Bearer" prefix.
func WithJWT(jwt string) ClientOption {
	return withCredentials(func(_ context.Context, req *http.Request) error {
		req.Header.Set("authorization", jwt)
		return nil
	})
}

// NoRedirectClient returns an HTTP client that never follows a redirect: the 3xx answer
// comes back as the response. Komodo Core's API never redirects; a redirect comes from
// something in front of it (http to https, a wrong path), and Go's client would send the
// x-api-key and x-api-secret headers, and a POST body, on to whatever host the Location
// names. Give it to WithHTTPClient when bringing your own transport.
func NoRedirectClient(transport http.RoundTripper) *http.Client {
	return &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// withCredentials adds a request editor that sets credentials and, when no HTTP client
// was given yet, makes the client one that does not follow redirects.
func withCredentials(edit RequestEditorFn) ClientOption {
	return func(c *Client) error {
		if c.Client == nil {
			c.Client = NoRedirectClient(nil)
		}
		return WithRequestEditorFn(edit)(c)
	}
}

var _ HttpRequestDoer = (*http.Client)(nil)
