package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp"
	"smartbot/web/ui"
)

// The dashboard's WhatsApp card: the connection's state, live, and for the
// owner the pairing (a QR code drawn here as SVG, rotating as WhatsApp
// sends new ones, or a phone-number code) and the logout. With the
// simulator it says no real number is connected and points to the inbox.

// connStates say each connection state in words.
var connStates = map[string]string{
	app.ConnConnected:    "Connected",
	app.ConnConnecting:   "Connecting…",
	app.ConnPairing:      "Not paired",
	app.ConnDisconnected: "Disconnected",
	app.ConnLoggedOut:    "Logged out",
	app.ConnBanned:       "Temporarily banned",
}

// connectionCard is the card as the dashboard first shows it; pairCode is
// a phone-number pairing code just asked for.
func (s *Server) connectionCard(ctx context.Context, owner bool, pairCode string) *ui.ConnectionCard {
	if s.messaging == nil {
		return nil
	}
	return &ui.ConnectionCard{Connection: s.connection(ctx, s.messaging.Status(), owner), PairCode: pairCode, Stream: "/whatsapp/stream"}
}

// connection is st as the card shows it, to an owner or to anyone else.
func (s *Server) connection(ctx context.Context, st app.TransportStatus, owner bool) ui.Connection {
	c := ui.Connection{Simulator: st.Transport == app.TransportSimulator, State: st.State,
		StateLabel: orDefault(connStates[st.State], st.State), Reason: sentence(st.Reason), Phone: st.Phone}
	if !st.Since.IsZero() {
		c.Since = displayTime(ctx, st.Since)
	}
	if st.State == app.ConnBanned && !st.Until.IsZero() {
		c.Until = displayTime(ctx, st.Until)
	}
	if c.Simulator {
		return c
	}
	if st.QR != "" && st.State == app.ConnPairing {
		// A code that cannot be drawn is left out: the next one, 20 s
		// later, or the phone-number code still pair.
		if svg, err := whatsapp.QRSVG(st.QR); err == nil {
			c.QR = string(svg)
		}
	}
	paired := st.Phone != "" && st.State != app.ConnLoggedOut && st.State != app.ConnPairing
	c.CanPair = owner && !paired && st.State != app.ConnConnected
	c.CanLeave = owner && paired
	return c
}

// streamConnection keeps the card current: every connection change the
// messaging service tells (a new QR code among them) re-draws it.
func (s *Server) streamConnection(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	owner := layout(r, "", "").User.CanAdmin()
	refresh := func(ctx context.Context, st *stream) error {
		c := s.connection(ctx, s.messaging.Status(), owner)
		return st.patch(ctx, "connection", fragmentKey(ctx, c), func() templ.Component { return ui.ConnectionView(c) })
	}
	return s.liveMessages(w, r, nil, refresh, func(ctx context.Context, st *stream, ch messaging.Change) error {
		if ch.Status == nil {
			return nil
		}
		return refresh(ctx, st)
	})
}

// postPairQR starts pairing with QR codes; the card's stream shows each
// code as it comes.
func (s *Server) postPairQR(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	if err := s.messaging.PairQR(r.Context()); err != nil {
		return err
	}
	return s.done(w, r, "/", flash{notice: "Scan the QR code below with WhatsApp on the shop's phone."})
}

// postPairPhone asks WhatsApp for a pairing code for the shop's number;
// the dashboard shows it once, large, to type on that phone.
func (s *Server) postPairPhone(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	if err := form(w, r); err != nil {
		return err
	}
	phone := strings.Join(strings.Fields(r.PostFormValue("phone")), "")
	code, err := s.messaging.PairPhone(r.Context(), phone)
	if err != nil {
		return err
	}
	// The code travels as the flash's secret: shown once, never in a URL.
	return s.done(w, r, "/", flash{notice: "Type the code below into WhatsApp on " + phone + ".", secret: code})
}

func (s *Server) pageWhatsAppLogout(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	st := s.messaging.Status()
	return s.confirm(w, r, "dashboard", ui.ConfirmPage{
		Detail: "Smartbot stops sending and receiving on " + orDefault(st.Phone, "the shop's number") + " until it is paired again. Messages waiting to be sent stay queued.",
		Action: "/whatsapp/logout", Button: "Log out of WhatsApp", Cancel: "/",
	}, "Log out of WhatsApp?")
}

func (s *Server) postWhatsAppLogout(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	if err := s.messaging.Logout(r.Context()); err != nil {
		return err
	}
	return s.done(w, r, "/", flash{notice: "Logged out of WhatsApp. Pair again to send and receive."})
}
