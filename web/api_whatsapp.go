package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"smartbot/app"
	"smartbot/app/messaging"
)

// The WhatsApp connection API: its status, pairing a number (QR or phone
// code), logging out, and the pacing that keeps the number from being
// banned.

// msgs is the messaging service, or a 503 when this server runs without
// one (a setup with no WhatsApp at all).
func (s *Server) msgs() (*messaging.Service, error) {
	if s.messaging == nil {
		return nil, app.Errorf(app.EUNAVAILABLE, "messaging is not running on this server")
	}
	return s.messaging, nil
}

// statusJSON is the connection as GET /api/whatsapp/status shows it: the
// transport's status and the pacing in force.
type statusJSON struct {
	app.TransportStatus
	Pacing pacingJSON `json:"pacing"`
}

func newStatusJSON(m *messaging.Service) statusJSON {
	return statusJSON{TransportStatus: m.Status(), Pacing: newPacingJSON(m.Pacing())}
}

func (s *Server) apiWhatsAppStatus(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newStatusJSON(m))
	return nil
}

// apiWhatsAppPair starts pairing: {"method": "qr"} answers 202 and the codes
// appear in the status as they rotate; {"phone": "+263…"} (method phone)
// answers the code to type into WhatsApp on that phone.
func (s *Server) apiWhatsAppPair(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	var in struct {
		Method string `json:"method"`
		Phone  string `json:"phone"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Method == "" && in.Phone != "" {
		in.Method = "phone"
	}
	switch in.Method {
	case "qr":
		if in.Phone != "" {
			return app.Invalid(app.FieldError{Field: "phone", Message: "goes with method phone; QR pairing needs no number"})
		}
	case "phone":
		if !app.ValidPhone(in.Phone) {
			return app.Invalid(app.FieldError{Field: "phone", Message: "must be the shop's WhatsApp number in E.164 form, like +263771234567"})
		}
	case "":
		return app.Invalid(app.FieldError{Field: "method", Message: `is required: "qr" to scan a code, or send "phone" with the shop's number for a pairing code`})
	default:
		return app.Invalid(app.FieldError{Field: "method", Message: "must be qr or phone"})
	}
	if in.Method == "qr" {
		if err := m.PairQR(r.Context()); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, struct {
			Method string     `json:"method"`
			Status statusJSON `json:"status"`
		}{"qr", newStatusJSON(m)})
		return nil
	}
	code, err := m.PairPhone(r.Context(), in.Phone)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Method string `json:"method"`
		Phone  string `json:"phone"`
		Code   string `json:"code"`
	}{"phone", in.Phone, code})
	return nil
}

func (s *Server) apiWhatsAppLogout(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	if err := m.Logout(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newStatusJSON(m))
	return nil
}

func (s *Server) apiPacing(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPacingJSON(m.Pacing()))
	return nil
}

// apiSetPacing changes the pacing. Fields left out keep their value: a
// client that sends only chat_gap must not turn the rate limit off by
// omission.
func (s *Server) apiSetPacing(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	var in pacingInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := in.apply(m.Pacing())
	if err != nil {
		return err
	}
	if err := m.SetPacing(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPacingJSON(m.Pacing()))
	return nil
}

// pacingJSON is app.Pacing with its durations as Go duration strings
// ("2s", "500ms", "5m"), which people read and write, not nanoseconds.
type pacingJSON struct {
	ChatGap       string `json:"chat_gap"`
	ChatJitter    string `json:"chat_jitter"`
	PerMinute     int    `json:"per_minute"`
	TypingPerChar string `json:"typing_per_char"`
	TypingMin     string `json:"typing_min"`
	TypingMax     string `json:"typing_max"`
	ColdDailyCap  int    `json:"cold_daily_cap"`
	BreakerErrors int    `json:"breaker_errors"`
	BreakerPause  string `json:"breaker_pause"`
}

func newPacingJSON(p app.Pacing) pacingJSON {
	return pacingJSON{ChatGap: duration(p.ChatGap), ChatJitter: duration(p.ChatJitter), PerMinute: p.PerMinute,
		TypingPerChar: duration(p.TypingPerChar), TypingMin: duration(p.TypingMin), TypingMax: duration(p.TypingMax),
		ColdDailyCap: p.ColdDailyCap, BreakerErrors: p.BreakerErrors, BreakerPause: duration(p.BreakerPause)}
}

// duration writes d as time.Duration does, without its zero tails: "5m",
// not "5m0s".
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// pacingInput is a PUT's body. Durations are raw JSON values so that a
// number sent for one gets a message naming the form it must take.
type pacingInput struct {
	ChatGap       jsontext.Value `json:"chat_gap"`
	ChatJitter    jsontext.Value `json:"chat_jitter"`
	PerMinute     *int           `json:"per_minute"`
	TypingPerChar jsontext.Value `json:"typing_per_char"`
	TypingMin     jsontext.Value `json:"typing_min"`
	TypingMax     jsontext.Value `json:"typing_max"`
	ColdDailyCap  *int           `json:"cold_daily_cap"`
	BreakerErrors *int           `json:"breaker_errors"`
	BreakerPause  jsontext.Value `json:"breaker_pause"`
}

// apply returns p changed by what in gives, or every field that is not a
// duration; the ranges are checked by app.Pacing.Validate.
func (in pacingInput) apply(p app.Pacing) (app.Pacing, error) {
	var errs []app.FieldError
	for _, d := range []struct {
		field string
		raw   jsontext.Value
		to    *time.Duration
	}{{"chat_gap", in.ChatGap, &p.ChatGap}, {"chat_jitter", in.ChatJitter, &p.ChatJitter},
		{"typing_per_char", in.TypingPerChar, &p.TypingPerChar}, {"typing_min", in.TypingMin, &p.TypingMin},
		{"typing_max", in.TypingMax, &p.TypingMax}, {"breaker_pause", in.BreakerPause, &p.BreakerPause}} {
		if d.raw == nil {
			continue
		}
		v, err := parseDuration(d.raw)
		if err != nil {
			errs = append(errs, app.FieldError{Field: d.field, Message: err.Error()})
			continue
		}
		*d.to = v
	}
	for _, n := range []struct {
		v  *int
		to *int
	}{{in.PerMinute, &p.PerMinute}, {in.ColdDailyCap, &p.ColdDailyCap}, {in.BreakerErrors, &p.BreakerErrors}} {
		if n.v != nil {
			*n.to = *n.v
		}
	}
	if len(errs) > 0 {
		return p, app.Invalid(errs...)
	}
	return p, nil
}

// parseDuration reads a JSON string such as "2s" or "1m30s".
func parseDuration(raw jsontext.Value) (time.Duration, error) {
	var s string
	if raw.Kind() == '"' {
		if v, err := jsontext.AppendUnquote(nil, raw); err == nil {
			s = string(v)
		}
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if s == "" || err != nil {
		return 0, errors.New(`must be a duration as a string, like "2s", "500ms" or "5m"`)
	}
	return d, nil
}
