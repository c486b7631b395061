package web

import (
	"errors"
	"net/http"
	"time"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/store"
)

// The simulator API: scripts, tests and the panel's "chat as a test
// customer" drive the built-in WhatsApp stand-in through it. It answers only
// while the simulator is the transport in use: with a real number paired,
// a made-up customer's message would mix with real ones.

// sim is the simulator, when it is the transport in use.
func (s *Server) sim() (*simulator.Simulator, *messaging.Service, error) {
	if s.simulator == nil || s.messaging == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "the simulator is off: this server sends through WhatsApp; choose the simulator transport in settings to use it")
	}
	if t, ok := s.messaging.Transport().(*simulator.Simulator); !ok || t != s.simulator {
		return nil, nil, app.Errorf(app.ECONFLICT, "the simulator is not the transport in use; choose the simulator transport in settings to use it")
	}
	return s.simulator, s.messaging, nil
}

// apiSimulatorAddCustomer adds a test customer, to the simulator and as a
// simulated customer of the shop, so the inbox lists it before it writes.
// Adding one again renames it on the simulated phone.
func (s *Server) apiSimulatorAddCustomer(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	sim, m, err := s.sim()
	if err != nil {
		return err
	}
	var in struct {
		Phone string `json:"phone"`
		Name  string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if prev, err := tx.CustomerByPhone(ctx, in.Phone); err == nil && !prev.Simulated {
		return app.Invalid(app.FieldError{Field: "phone", Message: "is a real customer's number; make one up, like +15550100123"})
	}
	c, err := m.AddCustomerTx(ctx, tx, in.Phone, in.Name, true)
	if err != nil {
		return err
	}
	// Last: the simulator's customers are not in the transaction, and
	// one added for a request that then failed would only be a name.
	if err := sim.AddCustomer(in.Phone, in.Name); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/conversations/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// sayInput is what a test customer says: text, a button or list reply, a
// poll vote, or a file of the media library (with text as its caption).
type sayInput struct {
	From     string `json:"from"`
	Text     string `json:"text"`
	ReplyID  string `json:"reply_id"`
	PollVote string `json:"poll_vote"`
	MediaID  string `json:"media_id"`
}

// apiSimulatorSay makes a test customer send the shop a message. The
// simulator hands it to the pipeline before Say returns, so the answer is
// the stored message (201). While the simulated connection is down it
// waits at "WhatsApp" like a real one: 202 with its WhatsApp id.
//
// Not a create route: the pipeline stores the message in its own
// transaction, which would wait for a request's forever.
func (s *Server) apiSimulatorSay(w http.ResponseWriter, r *http.Request) error {
	sim, _, err := s.sim()
	if err != nil {
		return err
	}
	var in sayInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	said, field, err := s.said(r, sim, in)
	if err != nil {
		return err
	}
	ctx := r.Context()
	msg, err := sim.Say(ctx, in.From, said)
	if err != nil {
		return sayError(err, field)
	}
	c, err := s.db.CustomerByPhone(ctx, in.From)
	if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	if err == nil {
		// The newest inbound messages: this one is among them unless the
		// customer said a great deal at the same moment.
		list, _, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: c.ID, Direction: app.DirectionIn, Limit: 50})
		if err != nil {
			return err
		}
		for _, m := range list {
			if m.WAID == msg.WAID {
				w.Header().Set("Location", "/api/messages/"+m.ID)
				writeJSON(w, http.StatusCreated, m)
				return nil
			}
		}
	}
	writeJSON(w, http.StatusAccepted, struct {
		WAID   string `json:"whatsapp_id"`
		Status string `json:"status"`
		Detail string `json:"detail"`
	}{msg.WAID, "waiting", "the simulated connection is down: the message is handed over when it is back"})
	return nil
}

// said checks in and turns it into what the simulator takes; field is the
// input a refusal of the simulator is about.
func (s *Server) said(r *http.Request, sim *simulator.Simulator, in sayInput) (simulator.Said, string, error) {
	var errs []app.FieldError
	if !app.ValidPhone(in.From) {
		errs = append(errs, app.FieldError{Field: "from", Message: "must be a test customer's phone number in E.164 form, like +263771234567"})
	} else if !isSimCustomer(sim, in.From) {
		errs = append(errs, app.FieldError{Field: "from", Message: "is not a test customer: add it with POST /api/simulator/customers first"})
	}
	given, field := 0, "text"
	for _, f := range []struct{ name, v string }{{"reply_id", in.ReplyID}, {"poll_vote", in.PollVote}, {"media_id", in.MediaID}} {
		if f.v != "" {
			given++
			field = f.name
		}
	}
	switch {
	case given > 1:
		errs = append(errs, app.FieldError{Field: field, Message: "say one thing at a time: reply_id, poll_vote or media_id"})
	case given == 0 && in.Text == "":
		errs = append(errs, app.FieldError{Field: "text", Message: "is required: what the customer writes (or send reply_id, poll_vote or media_id)"})
	case in.PollVote != "" && in.Text != "":
		errs = append(errs, app.FieldError{Field: "text", Message: "a poll vote carries no text"})
	}
	if fe := app.CheckText("text", in.Text, messaging.TextMax, true); fe != nil {
		errs = append(errs, *fe)
	}
	for _, f := range []struct{ name, v string }{{"reply_id", in.ReplyID}, {"poll_vote", in.PollVote}} {
		if fe := app.CheckText(f.name, f.v, 200, false); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if in.MediaID != "" && !app.ValidID(app.PrefixMedia, in.MediaID) {
		errs = append(errs, app.FieldError{Field: "media_id", Message: "is not a media id (med_…)"})
	}
	if len(errs) > 0 {
		return simulator.Said{}, field, app.Invalid(errs...)
	}
	said := simulator.Said{Text: in.Text, ReplyID: in.ReplyID, PollVote: in.PollVote}
	if in.MediaID != "" {
		// The ref is the library's id: the simulator's Open (serve's
		// wiring) fetches the file by it when the pipeline downloads it.
		m, err := s.db.Media(r.Context(), in.MediaID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return said, field, app.Invalid(app.FieldError{Field: "media_id", Message: "names no media file; upload one with POST /api/media/upload"})
		}
		if err != nil {
			return said, field, err
		}
		if m.Status != app.MediaReady {
			return said, field, app.Invalid(app.FieldError{Field: "media_id", Message: "is not ready: wait for it to be processed"})
		}
		said.MediaRef, said.MediaKind, said.MIME, said.FileName, said.Size = []byte(m.ID), m.Kind, m.MIME, m.OriginalName, m.Size
	}
	return said, field, nil
}

func isSimCustomer(sim *simulator.Simulator, phone string) bool {
	for _, c := range sim.Customers() {
		if c.Phone == phone {
			return true
		}
	}
	return false
}

// sayError names the field a refusal of the simulator is about: it says
// why ("… is not an option of the poll …") but not which input it means.
func sayError(err error, field string) error {
	var ae *app.Error
	if errors.As(err, &ae) && ae.Code == app.EINVALID {
		fe := app.FieldError{Field: field, Message: ae.Message}
		if len(ae.Fields) == 1 {
			fe.Message = ae.Fields[0].Message
		}
		return app.Invalid(fe)
	}
	return err
}

// inboxJSON is one message as the test customer's phone shows it.
type inboxJSON struct {
	// ID is the shop's message id, or the WhatsApp id of a message the
	// shop has no row for.
	ID          string             `json:"id"`
	WAID        string             `json:"whatsapp_id"`
	Kind        string             `json:"kind"`
	Text        string             `json:"text"`
	Options     []simulator.Option `json:"options"`
	Media       *app.OutgoingMedia `json:"media"`
	Status      string             `json:"status"`
	SentAt      time.Time          `json:"sent_at"`
	DeliveredAt *time.Time         `json:"delivered_at"`
	ReadAt      *time.Time         `json:"read_at"`
}

func (s *Server) apiSimulatorInbox(w http.ResponseWriter, r *http.Request) error {
	sim, _, err := s.sim()
	if err != nil {
		return err
	}
	phone := pathPhone(r.PathValue("phone"))
	if !app.ValidPhone(phone) || !isSimCustomer(sim, phone) {
		return app.Errorf(app.ENOTFOUND, "no test customer %q: add one with POST /api/simulator/customers", app.Shorten(phone, 40))
	}
	ids := map[string]string{} // WhatsApp id → the shop's message id
	if c, err := s.db.CustomerByPhone(r.Context(), phone); err == nil {
		f := store.MessageFilter{CustomerID: c.ID, Direction: app.DirectionOut, Limit: 500}
		for {
			list, next, err := s.db.ListMessages(r.Context(), f)
			if err != nil {
				return err
			}
			for _, m := range list {
				ids[m.WAID] = m.ID
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	inbox := sim.Inbox(phone)
	out := make([]inboxJSON, len(inbox))
	for i, rc := range inbox {
		o := rc.Message
		v := inboxJSON{ID: orDefault(ids[rc.WAID], rc.WAID), WAID: rc.WAID, Kind: o.Kind, Text: o.Text, Options: rc.Options(),
			Media: o.Media, Status: rc.Status, SentAt: rc.At}
		switch {
		case o.Poll != nil:
			v.Text = o.Poll.Name
		case o.Interactive != nil:
			v.Text = o.Interactive.Body
		}
		if v.Options == nil {
			v.Options = []simulator.Option{}
		}
		if !rc.DeliveredAt.IsZero() {
			v.DeliveredAt = &rc.DeliveredAt
		}
		if !rc.ReadAt.IsZero() {
			v.ReadAt = &rc.ReadAt
		}
		out[i] = v
	}
	writeJSON(w, http.StatusOK, struct {
		Phone    string      `json:"phone"`
		Messages []inboxJSON `json:"messages"`
	}{phone, out})
	return nil
}

// faultInput brings on a failure: kind disconnect (for a while), ban (until
// a time, or for a while), send_errors or lost_acks (count of sends).
type faultInput struct {
	Kind   string     `json:"kind"`
	For    string     `json:"for"`
	Until  *time.Time `json:"until"`
	Count  int        `json:"count"`
	Reason string     `json:"reason"`
}

// apiSimulatorFault brings on a failure and answers the connection's
// status with it in effect.
func (s *Server) apiSimulatorFault(w http.ResponseWriter, r *http.Request) error {
	sim, m, err := s.sim()
	if err != nil {
		return err
	}
	var in faultInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	f, err := in.fault(s.now())
	if err != nil {
		return err
	}
	if err := sim.Fault(f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newStatusJSON(m))
	return nil
}

// maxFault is the longest a simulated failure may last: longer is a
// mistake in a script, and the simulator reconnects only when it ends.
const maxFault = 7 * 24 * time.Hour

func (in faultInput) fault(now time.Time) (simulator.Fault, error) {
	f := simulator.Fault{Kind: in.Kind, Count: in.Count, Reason: in.Reason}
	var errs []app.FieldError
	if fe := app.CheckText("reason", in.Reason, 200, false); fe != nil {
		errs = append(errs, *fe)
	}
	if in.For != "" {
		d, err := time.ParseDuration(in.For)
		if err != nil || d <= 0 || d > maxFault {
			errs = append(errs, app.FieldError{Field: "for", Message: `must be a duration above zero and at most a week, like "10m" or "1h30m"`})
		}
		f.For = d
	}
	switch in.Kind {
	case simulator.FaultDisconnect:
		if in.For == "" {
			errs = append(errs, app.FieldError{Field: "for", Message: `is required: how long the connection stays down, like "10m"`})
		}
	case simulator.FaultBan:
		switch {
		case in.Until != nil && in.For != "":
			errs = append(errs, app.FieldError{Field: "until", Message: "give either until or for, not both"})
		case in.Until != nil:
			f.Until = *in.Until
			if !f.Until.After(now) || f.Until.Sub(now) > maxFault {
				errs = append(errs, app.FieldError{Field: "until", Message: "must be in the future, at most a week away"})
			}
		case in.For != "":
			f.Until, f.For = now.Add(f.For), 0
		default:
			errs = append(errs, app.FieldError{Field: "until", Message: `is required: when the ban lifts (RFC 3339), or give for, like "1h"`})
		}
	case simulator.FaultSendErrors, simulator.FaultLostAcks:
		if in.Count < 1 || in.Count > 1000 {
			errs = append(errs, app.FieldError{Field: "count", Message: "must be from 1 to 1000: how many sends fail"})
		}
	case "":
		errs = append(errs, app.FieldError{Field: "kind", Message: "is required: disconnect, ban, send_errors or lost_acks"})
	default:
		errs = append(errs, app.FieldError{Field: "kind", Message: "must be disconnect, ban, send_errors or lost_acks"})
	}
	if len(errs) > 0 {
		return f, app.Invalid(errs...)
	}
	return f, nil
}

// apiSimulatorReconnect ends every fault now.
func (s *Server) apiSimulatorReconnect(w http.ResponseWriter, r *http.Request) error {
	sim, m, err := s.sim()
	if err != nil {
		return err
	}
	sim.Reconnect()
	writeJSON(w, http.StatusOK, newStatusJSON(m))
	return nil
}
