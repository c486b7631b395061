package simulator

import (
	"time"

	"smartbot/app"
)

// Kinds of Fault.
const (
	// FaultDisconnect drops the connection for Fault.For: the state is
	// disconnected, Send, Typing and MarkRead return app.ErrNotConnected,
	// receipts and customers' messages wait; then it reconnects by itself.
	FaultDisconnect = "disconnect"
	// FaultBan is a temporary ban until Fault.Until: the state is banned
	// (with Until), sends are refused with app.ErrNotConnected as while
	// disconnected; it lifts by itself at Until.
	FaultBan = "ban"
	// FaultSendErrors makes the next Fault.Count sends fail with a
	// non-permanent *app.SendError; nothing is delivered.
	FaultSendErrors = "send_errors"
	// FaultLostAcks makes the next Fault.Count sends reach the customer but
	// fail with a non-permanent *app.SendError, as when the caller crashes
	// or times out before WhatsApp's answer: the retry must reuse the WAID.
	FaultLostAcks = "lost_acks"
)

// Fault is a failure brought on: one of the Fault* kinds and its measure.
// A disconnect or ban replaces the one in effect; send errors and lost
// acks replace the remaining count of their kind.
type Fault struct {
	Kind   string        `json:"kind"`
	For    time.Duration `json:"for,omitempty"`   // disconnect
	Until  time.Time     `json:"until,omitzero"`  // ban
	Count  int           `json:"count,omitempty"` // send_errors, lost_acks
	Reason string        `json:"reason,omitempty"`
}

// Fault brings on f. A change of connection reaches the handler before
// Fault returns.
func (s *Simulator) Fault(f Fault) error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return &app.Error{Code: app.EUNAVAILABLE, Message: "the simulator is not running", Err: app.ErrNotConnected}
	}
	var after time.Duration
	switch f.Kind {
	case FaultDisconnect:
		if f.For <= 0 {
			s.mu.Unlock()
			return app.Invalid(app.FieldError{Field: "for", Message: "a disconnect needs a duration above zero"})
		}
		after = f.For
		s.setState(app.ConnDisconnected, or(f.Reason, "connection lost (simulated)"), time.Time{})
	case FaultBan:
		after = f.Until.Sub(s.now())
		if after <= 0 {
			s.mu.Unlock()
			return app.Invalid(app.FieldError{Field: "until", Message: "a ban must end in the future"})
		}
		s.setState(app.ConnBanned, or(f.Reason, "temporarily banned (simulated)"), f.Until)
	case FaultSendErrors, FaultLostAcks:
		if f.Count < 1 {
			s.mu.Unlock()
			return app.Invalid(app.FieldError{Field: "count", Message: "must be at least 1"})
		}
		if f.Kind == FaultSendErrors {
			s.failSends = f.Count
		} else {
			s.loseAcks = f.Count
		}
		s.notify()
		s.mu.Unlock()
		return nil
	default:
		s.mu.Unlock()
		return app.Invalid(app.FieldError{Field: "kind", Message: "must be disconnect, ban, send_errors or lost_acks"})
	}
	if s.reconnect != nil {
		s.reconnect()
	}
	s.reconnect = s.schedule(after, s.Reconnect)
	change := s.connectionChange()
	s.mu.Unlock()
	s.deliver(pending{h: change})
	return nil
}

// Reconnect ends every fault now: pending send errors and lost acks are
// forgotten, and a disconnected or banned simulator connects (telling the
// handler) and hands over what waited. Disconnects and bans end with it by
// themselves.
func (s *Simulator) Reconnect() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	s.failSends, s.loseAcks = 0, 0
	if s.reconnect != nil {
		s.reconnect()
		s.reconnect = nil
	}
	if s.state == app.ConnConnected {
		s.notify()
		s.mu.Unlock()
		return
	}
	s.setState(app.ConnConnected, "", time.Time{})
	change := s.connectionChange()
	s.mu.Unlock()
	s.deliver(pending{h: change})
	s.flush()
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
