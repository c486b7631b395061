package web

import (
	"net/http"
	"strings"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The shop's settings page, for owners: its timezone, its currency, and
// how its messages write numbers and dates.

func (s *Server) pageSettings(w http.ResponseWriter, r *http.Request) error {
	l, _ := s.frame(w, r, "Settings", "settings")
	currency, err := s.settings.Currency(r.Context())
	if err != nil {
		return err
	}
	locale, err := s.settings.Locale(r.Context())
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, ui.Settings(ui.SettingsPage{Layout: l, Timezone: l.Zone, Currency: currency, Locale: locale}))
}

// postSettings saves the timezone and, when one is given, the currency:
// both or neither.
func (s *Server) postSettings(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	zone := strings.TrimSpace(r.PostFormValue("timezone"))
	currency := strings.TrimSpace(r.PostFormValue("currency"))
	locale := r.PostFormValue("locale")
	err := s.db.Write(r.Context(), func(tx *store.Tx) error {
		if err := s.settings.SetTimezoneTx(r.Context(), tx, zone); err != nil {
			return err
		}
		if locale != "" {
			if err := s.settings.SetLocaleTx(r.Context(), tx, locale); err != nil {
				return err
			}
		}
		if currency == "" {
			return nil // left empty: the shop keeps the one it has, if any
		}
		return s.settings.SetCurrencyTx(r.Context(), tx, currency)
	})
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		l := layout(r, "Settings", "settings")
		l.Error = sentence(app.ErrorMessage(err))
		return render(w, r, http.StatusUnprocessableEntity, ui.Settings(ui.SettingsPage{Layout: l, Timezone: zone, Currency: currency, Locale: locale}))
	}
	notice := "Times are now shown in " + zone + "."
	if currency != "" {
		notice = "Saved: times are shown in " + zone + ", amounts in " + strings.ToUpper(currency) + "."
	}
	return s.done(w, r, "/settings", flash{notice: notice})
}
