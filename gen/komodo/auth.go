package komodo

// Hand-written conveniences for the generated client: how to authenticate.

import (
	"context"
	"net/http"
)

// WithAPIKey authenticates every request with a Komodo API key and secret, sent as the
// x-api-key and x-api-secret headers Komodo Core expects.
func WithAPIKey(key, secret string) ClientOption {
	return WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("x-api-key", key)
		req.Header.Set("x-api-secret", secret)
		return nil
	})
}

// WithJWT authenticates every request with a JWT obtained from /auth/login (see
// LoginLocalUserWithResponse). Komodo takes the raw token in the authorization header,
// without a "Bearer" prefix.
func WithJWT(jwt string) ClientOption {
	return WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("authorization", jwt)
		return nil
	})
}

var _ HttpRequestDoer = (*http.Client)(nil)
