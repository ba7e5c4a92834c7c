package retry

// DefaultOptions returns the configured defaults: 3 retries, waits of 1s, 2s, 4s,
// no wait above 30s, logs on stderr.
func DefaultOptions() Options {
	return Options{Retries: DefaultRetries, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay}
}
