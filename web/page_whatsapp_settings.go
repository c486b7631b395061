package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/web/ui"
)

// The owner's WhatsApp settings: which transport (the simulator or the
// shop's number) and the pacing that keeps the number from being banned.

func (s *Server) pageWhatsAppSettings(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return app.Errorf(app.EUNAVAILABLE, "WhatsApp is not set up on this server")
	}
	l, _ := s.frame(w, r, "WhatsApp settings", "settings")
	transport, err := s.messaging.Chosen(r.Context())
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, ui.WhatsAppSettings(pacingPage(l, transport, s.messaging.Pacing())))
}

func pacingPage(l ui.Layout, transport string, p app.Pacing) ui.WhatsAppSettingsPage {
	itoa := strconv.Itoa
	return ui.WhatsAppSettingsPage{Layout: l, Transport: transport,
		ChatGap: ui.Seconds(int64(p.ChatGap)), ChatJitter: ui.Seconds(int64(p.ChatJitter)),
		TypingMax: ui.Seconds(int64(p.TypingMax)), BreakerPause: ui.Seconds(int64(p.BreakerPause)),
		PerMinute: itoa(p.PerMinute), ColdDailyCap: itoa(p.ColdDailyCap), BreakerErrors: itoa(p.BreakerErrors)}
}

// postWhatsAppSettings saves the pacing, then switches the transport. A
// bad number re-shows the form with what was typed and changes nothing.
func (s *Server) postWhatsAppSettings(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return app.Errorf(app.EUNAVAILABLE, "WhatsApp is not set up on this server")
	}
	if err := form(w, r); err != nil {
		return err
	}
	p := s.messaging.Pacing()
	var errs []app.FieldError
	number := func(name string) int {
		v := strings.TrimSpace(r.PostFormValue(name))
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, app.FieldError{Field: pacingLabels[name], Message: "must be a whole number"})
		}
		return n
	}
	seconds := func(name string) time.Duration { return time.Duration(number(name)) * time.Second }
	p.ChatGap, p.ChatJitter, p.TypingMax, p.BreakerPause = seconds("chat_gap"), seconds("chat_jitter"), seconds("typing_max"), seconds("breaker_pause")
	p.PerMinute, p.ColdDailyCap, p.BreakerErrors = number("per_minute"), number("cold_daily_cap"), number("breaker_errors")
	p.TypingMin = min(p.TypingMin, p.TypingMax)
	transport := r.PostFormValue("transport")
	err := error(nil)
	if len(errs) > 0 {
		err = app.Invalid(errs...)
	} else if transport != app.TransportWhatsApp && transport != app.TransportSimulator {
		err = app.Invalid(app.FieldError{Field: "transport", Message: "choose the simulator or the shop's WhatsApp number"})
	} else {
		err = s.messaging.SetPacing(r.Context(), p)
		if e, ok := err.(*app.Error); ok && e.Code == app.EINVALID {
			// The form names fields by their labels, not their JSON names.
			for i := range e.Fields {
				if l, ok := pacingLabels[e.Fields[i].Field]; ok {
					e.Fields[i].Field = l
				}
			}
			err = app.Invalid(e.Fields...)
		}
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		l := layout(r, "WhatsApp settings", "settings")
		l.Error = sentence(app.ErrorMessage(err))
		// The form again, with what the owner typed.
		v := r.PostFormValue
		page := ui.WhatsAppSettingsPage{Layout: l, Transport: transport,
			ChatGap: v("chat_gap"), ChatJitter: v("chat_jitter"), TypingMax: v("typing_max"), BreakerPause: v("breaker_pause"),
			PerMinute: v("per_minute"), ColdDailyCap: v("cold_daily_cap"), BreakerErrors: v("breaker_errors")}
		return render(w, r, http.StatusUnprocessableEntity, ui.WhatsAppSettings(page))
	}
	if err := s.messaging.Choose(r.Context(), transport); err != nil {
		return err
	}
	notice := "Saved. Messages go through the simulator."
	if transport == app.TransportWhatsApp {
		notice = "Saved. Messages go through the shop's WhatsApp number: pair it on the dashboard if it is not yet."
	}
	return s.done(w, r, "/settings/whatsapp", flash{notice: notice})
}

// pacingLabels name the pacing form's fields as the page shows them.
var pacingLabels = map[string]string{
	"chat_gap": "The gap between two messages to one customer", "chat_jitter": "The random extra time",
	"per_minute": "Messages a minute", "typing_max": "The typing time", "typing_min": "The typing time",
	"cold_daily_cap": "Messages a day to customers who have not written", "breaker_errors": "Send errors in a row",
	"breaker_pause": "The pause",
}
