package errcode

import (
	"fmt"
	"net/http"
	"net/url"
)

// Komodo Core's API never redirects. A redirect comes from something in front of it (a
// proxy sending http to https, a missing or extra path) and following it would send the
// request - its credentials, and a write or execute body - to wherever the Location
// points. So no HTTP client that talks to Komodo follows one: each sets CheckRedirect to
// NoRedirect, sees the 3xx itself and reports it with Redirected.

// NoRedirect is the CheckRedirect of every HTTP client that talks to Komodo: the 3xx
// answer is returned to the caller instead of being followed.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NoRedirectClient is an HTTP client on http.DefaultTransport that never follows
// redirects, for the few requests to Komodo made without the rpc client (the update
// websocket's handshake, terminals, readiness checks).
var NoRedirectClient = &http.Client{CheckRedirect: NoRedirect}

// Redirected is the NETWORK_ERROR for a 3xx answer to method rawURL: it names the
// address tried (KOMODO_URL plus the path) and the Location it was sent to, without
// user information or query.
func Redirected(status int, method, rawURL, location string) *Error {
	if location == "" {
		location = "(no Location header)"
	} else {
		location = shownURL(location)
	}
	return &Error{
		Code:   NetworkError,
		Status: status,
		Message: fmt.Sprintf("KOMODO_URL redirects: %s %s was answered HTTP %d %s to %s; komodo-mcp does not follow redirects (the request and its credentials would go elsewhere)",
			method, shownURL(rawURL), status, http.StatusText(status), location),
		Hint: "Set KOMODO_URL to the address Komodo Core answers at itself (the usual cause is http:// instead of https://, or a missing or extra path). " + hintRedirect,
	}
}

// shownURL is rawURL without user information, query or fragment.
func shownURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return truncate(rawURL, 200)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return truncate(u.String(), 500)
}
