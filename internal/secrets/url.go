package secrets

import (
	"net/url"
	"strings"
)

// redactURL keeps a URL's scheme and host (where it goes) and hides the rest (path, query,
// fragment, user info), where an endpoint's credential lives: Slack's and Discord's
// webhook paths, Pushover's ?token=, a custom endpoint's key. A URL with nothing after its
// host is left as it is; text that is not a URL is redacted whole.
func redactURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Redaction
	}
	rest := u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.EscapedPath(), "/") != "" || u.Opaque != ""
	if !rest {
		return s
	}
	return u.Scheme + "://" + u.Host + "/" + Redaction
}
