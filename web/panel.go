package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/static"
	"smartbot/web/ui"
)

// The admin panel: server-rendered pages, plain HTML forms that post and
// redirect (they work without JavaScript), and for the live pages one
// Datastar SSE stream each (stream.go). Each page's handlers are in
// page_<page>.go; this file holds what they share.

func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	static.Handler().ServeHTTP(w, r)
	return nil
}

// render writes a full page with status.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return c.Render(r.Context(), w)
}

// layout is the frame data of a signed-in page.
func layout(r *http.Request, title, nav string) ui.Layout {
	l := ui.Layout{Title: title, Nav: nav}
	if loc, ok := r.Context().Value(zoneKey{}).(*time.Location); ok {
		l.Zone = loc.String()
	}
	if p := principalFrom(r.Context()); p != nil {
		l.User = ui.CurrentUser{Email: p.actor.Name, Role: string(p.role)}
		if p.user != nil {
			l.User.Email, l.User.Name = p.user.Email, p.user.Name
		}
	}
	return l
}

// frame is layout with the notice a redirect left for this page (flash.go),
// and that notice's secret, if any: both are gone once this page is shown.
func (s *Server) frame(w http.ResponseWriter, r *http.Request, title, nav string) (ui.Layout, flash) {
	l := layout(r, title, nav)
	f := s.takeFlash(w, r)
	l.Flash = f.notice
	return l, f
}

// panelError shows err on a page of its own with the right status.
func (s *Server) panelError(w http.ResponseWriter, r *http.Request, err error) {
	code := app.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.Error("panel request failed", "request_id", requestID(r.Context()), "path", r.URL.Path, "error", err)
	}
	msg := sentence(app.ErrorMessage(err))
	p := principalFrom(r.Context())
	if p == nil {
		render(w, r, status, ui.Login(ui.LoginPage{Error: msg}))
		return
	}
	if code == app.EFORBIDDEN {
		// Who is signed in and what the page needs, never the sign-in
		// form: signing in again would not help.
		need := info(r.Context()).need
		if p.role.Allows(need) {
			need = "" // refused for another reason than the role
		}
		render(w, r, status, ui.Refused(ui.RefusedPage{Layout: layout(r, "You cannot open this page", ""), Need: string(need), Message: msg}))
		return
	}
	l := layout(r, http.StatusText(status), "")
	l.Error = msg
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	ui.Page(l).Render(templ.WithChildren(r.Context(), templ.NopComponent), w)
}

// sentence makes a message for people out of an error message or a rule:
// a capital first letter and a full stop, as the panel shows every message.
// The API's problem documents keep the service's own wording.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	if c := msg[0]; 'a' <= c && c <= 'z' {
		msg = string(c-'a'+'A') + msg[1:]
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// loginURL is the sign-in page, coming back to next afterwards.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// safeNext keeps a post-login redirect on this site: a local absolute path,
// never "//host" or a scheme.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > 500 {
		return "/"
	}
	return next
}

// form parses a posted form, capped at 64 KiB.
func form(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return &app.Error{Code: errMalformed, Message: "the form could not be read", Err: err}
	}
	return nil
}

// formFailed re-renders a page with the error of a form when the error is
// the person's to fix, and passes other errors on. A re-rendered failure
// changed nothing, so reloading it is harmless; every success redirects.
func formFailed(err error, rerender func(status int, msg string) error) error {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT, app.ENOTFOUND:
		return rerender(statusOf[app.ErrorCode(err)], sentence(app.ErrorMessage(err)))
	}
	return err
}

// done redirects after a successful form (post/redirect/get), leaving the
// notice f for the page at to.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to string, f flash) error {
	if err := s.setFlash(w, r, to, f); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// zoneKey carries the shop's timezone through a panel request.
type zoneKey struct{}

// withZone puts the shop's timezone in ctx for the panel's times; UTC
// when it cannot be read (never wrong, only less friendly).
func (s *Server) withZone(ctx context.Context) context.Context {
	loc, err := s.settings.Timezone(ctx)
	if err != nil {
		s.log.Warn("read the shop's timezone", "error", err)
		loc = time.UTC
	}
	return context.WithValue(ctx, zoneKey{}, loc)
}

// zoneFrom is the shop's timezone carried in ctx, or UTC.
func zoneFrom(ctx context.Context) *time.Location {
	if loc, ok := ctx.Value(zoneKey{}).(*time.Location); ok {
		return loc
	}
	return time.UTC
}

// displayTime shows t in the shop's timezone: the panel speaks the shop's
// local time, the API UTC.
func displayTime(ctx context.Context, t time.Time) string {
	return t.In(zoneFrom(ctx)).Format("2006-01-02 15:04")
}

func displayTimePtr(ctx context.Context, t *time.Time) string {
	if t == nil {
		return ""
	}
	return displayTime(ctx, *t)
}
