package web

import (
	"net/http"

	"smartbot/web/ui"
)

// notFound answers what no route matched outside /api, in place of
// ServeMux's plain text: a path served under other methods gets 405 with
// Allow, as ServeMux would answer; any other path the panel's "page not
// found". Both are public, with a way back: to the dashboard for someone
// signed in, to the sign-in page for anyone else.
func (s *Server) notFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, title, msg := http.StatusNotFound, "Page not found", "There is no page at this address. The link may be mistyped, or the page may have moved."
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			for _, m := range allow {
				w.Header().Add("Allow", m)
			}
			status, title, msg = http.StatusMethodNotAllowed, "Method not allowed", "This page exists, but cannot be used this way."
		}
		p := ui.NotFoundPage{Message: msg}
		// Bad or expired credentials only mean the way back is sign-in.
		if pr, err := s.authenticate(r); err == nil && pr != nil {
			info(r.Context()).actor = pr.actor
			r = r.WithContext(withPrincipal(r.Context(), pr))
			p.SignedIn = true
		}
		p.Layout = layout(r, title, "")
		render(w, r, status, ui.NotFound(p))
	})
}

// allowedMethods lists the methods a route serves r's path under, asking
// mux as if r had come with each; the catch-all patterns do not count.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	return allow
}
