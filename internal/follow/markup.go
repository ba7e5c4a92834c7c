package follow

import "github.com/komodo-mcp/komodo-mcp/internal/compact"

// StripMarkup removes Komodo's HTML markup from log text shown to an assistant (a failed
// stage's output, its name); see compact.StripMarkup. Terminal output is not log text and
// is never passed here.
func StripMarkup(s string) string { return compact.StripMarkup(s) }
