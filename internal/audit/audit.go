// Package audit writes one JSON line for every tool call that changes something in Komodo:
// who, which tool and Komodo operation, on what, the update id and the outcome.
package audit
