package audit

import "context"

type actorKey struct{}

// WithActor returns a context naming who acts: a client token's name or a Komodo username.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorFrom returns the actor ctx names, or "" when none.
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
