package auth

import "net/http"

// APIKey authenticates the way Komodo Core expects from programs: headers x-api-key and
// x-api-secret on every request. The secret travels in plain text, so use https.
type APIKey struct {
	key, secret string
	base        http.RoundTripper
}

var _ http.RoundTripper = (*APIKey)(nil)

// NewAPIKey returns an APIKey transport sending through base (http.DefaultTransport when nil).
func NewAPIKey(key, secret string, base http.RoundTripper) *APIKey {
	return &APIKey{key: key, secret: secret, base: orDefault(base)}
}

// RoundTrip sends a copy of req carrying the API key headers.
func (t *APIKey) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("x-api-key", t.key)
	req.Header.Set("x-api-secret", t.secret)
	return t.base.RoundTrip(req)
}

// String describes the transport without its secret.
func (t *APIKey) String() string { return "auth.APIKey{key: " + t.key + "}" }

// GoString makes %#v as safe as %v.
func (t *APIKey) GoString() string { return t.String() }
