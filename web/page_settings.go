package web

import (
	"net/http"
	"strings"

	"smartbot/app"
	"smartbot/web/ui"
)

// The shop's settings page, for owners: today its timezone.

func (s *Server) pageSettings(w http.ResponseWriter, r *http.Request) error {
	l, _ := s.frame(w, r, "Settings", "settings")
	return render(w, r, http.StatusOK, ui.Settings(ui.SettingsPage{Layout: l, Timezone: l.Zone}))
}

func (s *Server) postSettings(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	zone := strings.TrimSpace(r.PostFormValue("timezone"))
	if err := s.settings.SetTimezone(r.Context(), zone); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		l := layout(r, "Settings", "settings")
		l.Error = sentence(app.ErrorMessage(err))
		return render(w, r, http.StatusUnprocessableEntity, ui.Settings(ui.SettingsPage{Layout: l, Timezone: zone}))
	}
	return s.done(w, r, "/settings", flash{notice: "Times are now shown in " + zone + "."})
}
