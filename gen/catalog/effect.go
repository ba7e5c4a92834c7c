package catalog

// Effect is what calling an operation does, one of six kinds reviewed for every operation
// in api/effects.yaml (and set by hand on the hand-written tools). It is the one fact the
// tool annotations (readOnlyHint, destructiveHint) and the KOMODO_CONFIRM policy derive
// from; a tool whose effect is not one of these is refused (fail closed).
type Effect string

// The effects, from harmless to dangerous.
const (
	// EffectRead changes nothing.
	EffectRead Effect = "read"
	// EffectSession changes only komodo-mcp's own login to Komodo (log in, log out,
	// refresh), nothing in Komodo.
	EffectSession Effect = "session"
	// EffectConfigure changes configuration or records: creates, updates, renames,
	// copies resources; nothing running is touched.
	EffectConfigure Effect = "configure"
	// EffectDisrupt starts, stops or replaces running work: deploys, builds, pulls,
	// restarts, cancels.
	EffectDisrupt Effect = "disrupt"
	// EffectDestroy destroys or revokes (resources, containers, images, volumes, keys,
	// users), or takes down every workload of a server at once.
	EffectDestroy Effect = "destroy"
	// EffectRunCode runs code or a command on a host (terminals, actions, procedures,
	// docker compose run), or defines code Komodo runs on its own.
	EffectRunCode Effect = "run_code"
	// EffectPrivilege grants privileges (admin, permissions, group membership) or creates
	// credentials (API keys, onboarding keys, users).
	EffectPrivilege Effect = "privilege"
)

// Effects lists every effect.
var Effects = []Effect{EffectRead, EffectSession, EffectConfigure, EffectDisrupt, EffectDestroy, EffectRunCode, EffectPrivilege}

// Known reports whether e is one of Effects.
func (e Effect) Known() bool {
	for _, k := range Effects {
		if e == k {
			return true
		}
	}
	return false
}

// ReadOnly reports an effect that changes nothing: the tool's readOnlyHint. An unknown
// effect is not read-only.
func (e Effect) ReadOnly() bool { return e == EffectRead }

// Mutates reports an effect that changes something in Komodo: such a call passes the
// confirmation policy and leaves an audit line. An unknown effect mutates (fail closed).
func (e Effect) Mutates() bool { return e != EffectRead && e != EffectSession }

// Destructive reports an effect that destroys, runs code or grants privileges: the
// tool's destructiveHint, and what KOMODO_CONFIRM=destructive asks about. An unknown
// effect is destructive (fail closed).
func (e Effect) Destructive() bool {
	switch e {
	case EffectRead, EffectSession, EffectConfigure, EffectDisrupt:
		return false
	}
	return true
}
