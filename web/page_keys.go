package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/web/ui"
)

// The API keys page: owners make keys, see a new one once, and revoke them.

func (s *Server) pageKeys(w http.ResponseWriter, r *http.Request) error {
	return s.renderKeys(w, r, http.StatusOK, "")
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	keys, err := s.db.APIKeys(r.Context())
	if err != nil {
		return err
	}
	p := ui.KeysPage{}
	var f flash
	p.Layout, f = s.frame(w, r, "API keys", "keys")
	p.NewKey = f.secret
	p.Layout.Error = errMsg
	now := s.now()
	for _, k := range keys {
		owner := k.OwnerEmail
		if owner == "" {
			owner = "CLI"
		}
		p.Keys = append(p.Keys, ui.KeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: string(k.Role), Owner: owner,
			CreatedAt: displayTime(r.Context(), k.CreatedAt), ExpiresAt: displayTimePtr(r.Context(), k.ExpiresAt), LastUsedAt: displayTimePtr(r.Context(), k.LastUsedAt), Status: k.Status(now)})
	}
	return render(w, r, status, ui.Keys(p))
}

func (s *Server) postKey(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	in := keyInput{Name: r.PostFormValue("name"), Role: app.Role(r.PostFormValue("role"))}
	if days := strings.TrimSpace(r.PostFormValue("expires_in_days")); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			return s.renderKeys(w, r, http.StatusUnprocessableEntity, "Expires in (days) must be a whole number from 1 to 3650, or empty for a key that never expires.")
		}
		t := s.now().Add(time.Duration(n) * 24 * time.Hour)
		in.ExpiresAt = &t
	}
	k, err := s.accounts.CreateAPIKey(r.Context(), newKey(r, in))
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderKeys(w, r, status, msg) })
	}
	// The key goes to the next page through a one-time flash, never in
	// the URL: reloading that page neither makes another key nor shows
	// this one again.
	return s.done(w, r, "/keys", flash{notice: "API key " + k.Name + " created.", secret: k.Secret})
}

func (s *Server) postKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixAPIKey, "API key")
	if err == nil {
		err = s.accounts.RevokeAPIKey(r.Context(), id)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderKeys(w, r, status, msg) })
	}
	return s.done(w, r, "/keys", flash{notice: "API key revoked."})
}
