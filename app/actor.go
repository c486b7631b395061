package app

import "context"

// Actor types: who made a change. Every audit row names one.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorBot    = "bot"
	ActorSystem = "system"
)

// Actor is who is making a change, carried in the context from the edge
// (HTTP middleware, CLI, bot) down to the store, which records it.
type Actor struct {
	Type string // ActorUser, ActorAPIKey, ActorBot or ActorSystem
	ID   string // user id, API key id; empty for bot and system
	Name string // for people reading the audit log
	Role string // the role the change was authorised with, if any
}

// System is the actor of changes the process makes by itself.
var System = Actor{Type: ActorSystem, Name: "system"}

type ctxKey int

const (
	actorKey ctxKey = iota
	requestKey
)

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor in ctx, or System when there is none.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey).(Actor); ok {
		return a
	}
	return System
}

// Request identifies the request a change came from, for the audit log.
type Request struct {
	ID         string
	RemoteAddr string
}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey, r)
}

// RequestFrom returns the request in ctx, or the zero Request.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey).(Request)
	return r
}
