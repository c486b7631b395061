package web

import (
	"context"
	"net/http"

	"smartbot/app/messaging"
)

// watchBuffer is how many message changes a stream holds while it is
// busy; past it, changes are dropped and the next refresh (every 2 s)
// reads afresh what the page shows.
const watchBuffer = 64

// messagesRefreshEvery is how often a message stream re-reads what it
// shows, in case it missed changes. A variable only so that a test can
// turn it off and see the changes alone keep a page current.
var messagesRefreshEvery = refreshEvery

// liveMessages runs a stream as live does, woken by the messaging
// service's changes (messages stored or moved, the connection changing,
// told after commit) instead of events. wake, when set, returns a channel
// that closes at the next change of something else the page shows (the
// simulator's phones); refresh runs then, on every tick, and first.
func (s *Server) liveMessages(w http.ResponseWriter, r *http.Request, wake func() <-chan struct{},
	refresh func(ctx context.Context, st *stream) error, onChange func(ctx context.Context, st *stream, c messaging.Change) error) error {
	// Watch before the first read, so that a change committed in between
	// is not lost; one both read and told is shown once (the fragments'
	// keys say nothing changed).
	changes, stop := s.messaging.Watch(watchBuffer)
	defer stop()
	return s.run(w, r, wakers{every: messagesRefreshEvery, changes: changes, onChange: onChange, wake: wake}, refresh)
}
