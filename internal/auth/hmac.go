package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Header names of the HMAC scheme.
const (
	HeaderHMACKey       = "X-Komodo-Api-Key"
	HeaderHMACTimestamp = "X-Komodo-Timestamp"
	HeaderHMACSignature = "X-Komodo-Signature"
)

var timeNow = time.Now // only tests change this

// HMAC signs every request with the seed contract's scheme (README "Compatibility with the
// seed usage guide"), meant for a gateway in front of
// Komodo that verifies it (Komodo Core itself does not). It sets
//
//	X-Komodo-Api-Key:   the API key
//	X-Komodo-Timestamp: the time of sending, in Unix seconds
//	X-Komodo-Signature: hex(HMAC-SHA256(key = API secret, message = METHOD + ENDPOINT + BODY + TIMESTAMP))
//
// where METHOD is the upper-case HTTP method ("POST"); ENDPOINT is the request target exactly as
// it appears on the HTTP request line: the escaped path, including the base path of
// KOMODO_URL if it has one, then "?" and the query if there is one (so "/read/ListServers", or
// "/komodo/read/ListServers" behind a base path; never the scheme or host); BODY is the exact
// body bytes sent (nothing for an empty body); TIMESTAMP is the same decimal string as the
// header. The parts are concatenated without separators.
type HMAC struct {
	key, secret string
	base        http.RoundTripper
}

var _ http.RoundTripper = (*HMAC)(nil)

// NewHMAC returns an HMAC transport sending through base (http.DefaultTransport when nil).
func NewHMAC(key, secret string, base http.RoundTripper) *HMAC {
	return &HMAC{key: key, secret: secret, base: orDefault(base)}
}

// RoundTrip sends a copy of req signed with the current time.
func (t *HMAC) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	body, err := bufferBody(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ts := strconv.FormatInt(timeNow().Unix(), 10)
	req.Header.Set(HeaderHMACKey, t.key)
	req.Header.Set(HeaderHMACTimestamp, ts)
	req.Header.Set(HeaderHMACSignature, Sign(t.secret, method, req.URL.RequestURI(), body, ts))
	return t.base.RoundTrip(req)
}

// Sign computes the X-Komodo-Signature value (see HMAC) for the given parts.
func Sign(secret, method, endpoint string, body []byte, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method))
	m.Write([]byte(endpoint))
	m.Write(body)
	m.Write([]byte(timestamp))
	return hex.EncodeToString(m.Sum(nil))
}

// String describes the transport without its secret.
func (t *HMAC) String() string { return "auth.HMAC{key: " + t.key + "}" }

// GoString makes %#v as safe as %v.
func (t *HMAC) GoString() string { return t.String() }
