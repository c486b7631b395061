package web

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/queue"
	"smartbot/static"
	"smartbot/store"
	"smartbot/web/ui"
)

// The admin panel: server-rendered pages, plain HTML forms that post and
// redirect (they work without JavaScript), and for the live pages one
// Datastar SSE stream each (stream.go).

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
	l := ui.Layout{Title: title, Nav: nav, Flash: flashes[r.URL.Query().Get("done")]}
	if p := principalFrom(r.Context()); p != nil {
		l.User = ui.CurrentUser{Email: p.actor.Name, Role: string(p.role)}
		if p.user != nil {
			l.User.Email, l.User.Name = p.user.Email, p.user.Name
		}
	}
	return l
}

// flashes are the notices a redirect after a form can ask for with ?done=.
// Only these fixed sentences can appear, never text from the URL.
var flashes = map[string]string{
	"user-added":   "User added.",
	"user-updated": "Role changed.",
	"user-removed": "User removed.",
	"signed-out":   "You are signed out on every other device.",
	"key-revoked":  "API key revoked.",
	"welcome":      "Welcome! Your shop's owner account is ready.",
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
	msg := app.ErrorMessage(err)
	if code == app.EFORBIDDEN {
		msg = "You cannot do this: " + msg + "."
	}
	l := layout(r, http.StatusText(status), "")
	l.Error = msg
	if principalFrom(r.Context()) == nil {
		render(w, r, status, ui.Login(ui.LoginPage{Error: msg}))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	ui.Page(l).Render(templ.WithChildren(r.Context(), templ.NopComponent), w)
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

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	if principalFrom(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	p := ui.LoginPage{Next: safeNext(r.URL.Query().Get("next"))}
	if n, err := s.db.CountUsers(r.Context()); err == nil && n == 0 {
		p.Error = "No account exists yet. Open the setup link that 'smartbot serve' printed, or run 'smartbot user create'."
	}
	return render(w, r, http.StatusOK, ui.Login(p))
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
	u, err := s.login(r.Context(), email, r.PostFormValue("password"), remoteIP(r))
	if err == nil {
		err = s.startSession(w, r, u)
	}
	if err != nil {
		status := statusOf[app.ErrorCode(err)]
		if status == 0 || status >= 500 {
			return err
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		return render(w, r, status, ui.Login(ui.LoginPage{Email: email, Next: next, Error: app.ErrorMessage(err) + "."}))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) error {
	if p := principalFrom(r.Context()); p != nil && p.user != nil {
		if err := s.accounts.EndSession(r.Context(), p.session.ID); err != nil {
			return err
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) pageSetup(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	ok, err := s.accounts.SetupValid(r.Context(), token)
	if err != nil {
		return err
	}
	if !ok {
		return app.Errorf(app.EUNAUTHORIZED, "this setup link is used, expired or no longer needed; sign in, or run 'smartbot user create'")
	}
	return render(w, r, http.StatusOK, ui.Setup(ui.SetupPage{Token: token}))
}

func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	p := ui.SetupPage{Token: f.Get("token"), Email: f.Get("email"), Name: f.Get("name")}
	if f.Get("password") != f.Get("password_confirm") {
		p.Error = "The two passwords differ."
		return render(w, r, http.StatusUnprocessableEntity, ui.Setup(p))
	}
	u, err := s.accounts.Setup(r.Context(), p.Token, account.NewUser{Email: p.Email, Name: p.Name, Password: f.Get("password")})
	if app.ErrorCode(err) == app.EINVALID {
		p.Error = app.ErrorMessage(err)
		return render(w, r, http.StatusUnprocessableEntity, ui.Setup(p))
	}
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/?done=welcome", http.StatusSeeOther)
	return nil
}

func (s *Server) pageDashboard(w http.ResponseWriter, r *http.Request) error {
	p, err := s.dashboard(r.Context())
	if err != nil {
		return err
	}
	p.Layout = layout(r, "Dashboard", "dashboard")
	return render(w, r, http.StatusOK, ui.Dashboard(p))
}

// dashboard gathers the dashboard's figures.
func (s *Server) dashboard(ctx context.Context) (ui.DashboardPage, error) {
	var p ui.DashboardPage
	counters, err := s.counters(ctx)
	if err != nil {
		return p, err
	}
	queues, err := s.queueRows(ctx)
	if err != nil {
		return p, err
	}
	events, err := s.db.ListEvents(ctx, store.EventFilter{Limit: feedSize})
	if err != nil {
		return p, err
	}
	p.Counters, p.Queues = counters, queues
	for _, e := range events {
		p.Events = append(p.Events, eventRow(e.Event))
	}
	return p, nil
}

// feedSize is how many events the live feed shows.
const feedSize = 20

func (s *Server) counters(ctx context.Context) ([]ui.Counter, error) {
	c, err := s.db.Counters(ctx, s.now().UTC().Truncate(24*time.Hour))
	if err != nil {
		return nil, err
	}
	return []ui.Counter{
		{ID: "orders-today", Label: "Orders today", Value: strconv.FormatInt(c.OrdersToday, 10)},
		{ID: "messages-today", Label: "Messages today", Value: strconv.FormatInt(c.MessagesToday, 10)},
		{ID: "events-today", Label: "Events today", Value: strconv.FormatInt(c.EventsToday, 10)},
		{ID: "customers", Label: "Customers", Value: strconv.FormatInt(c.Customers, 10)},
		{ID: "dead-letters", Label: "Dead letters", Value: strconv.FormatInt(c.DeadLetters, 10)},
	}, nil
}

func (s *Server) queueRows(ctx context.Context) ([]ui.QueueRow, error) {
	stats, err := s.queues.Stats(ctx, s.runner)
	if err != nil {
		return nil, err
	}
	rows := make([]ui.QueueRow, len(stats))
	for i, st := range stats {
		rows[i] = ui.QueueRow{Name: string(st.Queue), Depth: st.Depth, Scheduled: st.Scheduled, InFlight: st.InFlight, Dead: st.Dead, Processed: st.Processed, Failed: st.Failed}
	}
	return rows, nil
}

// eventRow is an event as the feed shows it, with a one-line summary of its data.
func eventRow(e app.Event) ui.EventRow {
	var d map[string]any
	json.Unmarshal(e.Data, &d)
	var parts []string
	for _, k := range []string{"number", "order_number", "phone", "name", "from", "to", "status", "text", "reason"} {
		if v, ok := d[k].(string); ok && v != "" {
			parts = append(parts, truncate(v, 60))
		}
	}
	return ui.EventRow{ID: e.ID, Type: string(e.Type), Time: e.Timestamp.UTC().Format("2006-01-02 15:04:05"), Summary: strings.Join(parts, " · ")}
}

func displayTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func displayTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return displayTime(*t)
}

func (s *Server) pageUsers(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	users, err := s.db.Users(r.Context())
	if err != nil {
		return err
	}
	p := ui.UsersPage{Layout: layout(r, "Users", "users")}
	p.Layout.Error = errMsg
	me := principalFrom(r.Context())
	for _, u := range users {
		p.Users = append(p.Users, ui.UserRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
			CreatedAt: displayTime(u.CreatedAt), LastLoginAt: displayTimePtr(u.LastLoginAt), IsSelf: me.user != nil && me.user.ID == u.ID})
	}
	return render(w, r, status, ui.Users(p))
}

// formFailed re-renders a page with the error of a form when the error is
// the person's to fix, and passes other errors on.
func formFailed(err error, rerender func(status int, msg string) error) error {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT, app.ENOTFOUND:
		return rerender(statusOf[app.ErrorCode(err)], app.ErrorMessage(err))
	}
	return err
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	in := account.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: app.Role(r.PostFormValue("role")), Password: r.PostFormValue("password")}
	if _, err := s.accounts.CreateUser(r.Context(), in); err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	http.Redirect(w, r, "/users?done=user-added", http.StatusSeeOther)
	return nil
}

func (s *Server) postUserRole(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	id, err := pathID(r, app.PrefixUser, "user")
	if err == nil {
		role := app.Role(r.PostFormValue("role"))
		_, err = s.accounts.UpdateUser(r.Context(), id, account.UserChange{Role: &role})
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	http.Redirect(w, r, "/users?done=user-updated", http.StatusSeeOther)
	return nil
}

func (s *Server) postUserDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err == nil {
		err = s.accounts.DeleteUser(r.Context(), id)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	http.Redirect(w, r, "/users?done=user-removed", http.StatusSeeOther)
	return nil
}

func (s *Server) postSignOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	u, err := signedInUser(r)
	if err != nil {
		return err
	}
	// Keep this browser signed in: its session starts again at once.
	keep := &account.SessionStart{Session: principalFrom(r.Context()).session, RemoteAddr: remoteIP(r), UserAgent: r.UserAgent()}
	if _, err := s.accounts.SignOutEverywhere(r.Context(), u.ID, keep); err != nil {
		return err
	}
	http.Redirect(w, r, "/users?done=signed-out", http.StatusSeeOther)
	return nil
}

func (s *Server) pageKeys(w http.ResponseWriter, r *http.Request) error {
	return s.renderKeys(w, r, http.StatusOK, "", "")
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, errMsg, newKey string) error {
	keys, err := s.db.APIKeys(r.Context())
	if err != nil {
		return err
	}
	p := ui.KeysPage{Layout: layout(r, "API keys", "keys"), NewKey: newKey}
	p.Layout.Error = errMsg
	now := s.now()
	for _, k := range keys {
		owner := k.OwnerEmail
		if owner == "" {
			owner = "CLI"
		}
		p.Keys = append(p.Keys, ui.KeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: string(k.Role), Owner: owner,
			CreatedAt: displayTime(k.CreatedAt), ExpiresAt: displayTimePtr(k.ExpiresAt), LastUsedAt: displayTimePtr(k.LastUsedAt), Status: k.Status(now)})
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
			return s.renderKeys(w, r, http.StatusUnprocessableEntity, "expires_in_days: must be a whole number of days from 1 to 3650, or empty for never", "")
		}
		t := s.now().Add(time.Duration(n) * 24 * time.Hour)
		in.ExpiresAt = &t
	}
	k, err := s.accounts.CreateAPIKey(r.Context(), newKey(r, in))
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderKeys(w, r, status, msg, "") })
	}
	// The key is shown in this answer and never again, so no redirect.
	return s.renderKeys(w, r, http.StatusCreated, "", k.Secret)
}

func (s *Server) postKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixAPIKey, "API key")
	if err == nil {
		err = s.accounts.RevokeAPIKey(r.Context(), id)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderKeys(w, r, status, msg, "") })
	}
	http.Redirect(w, r, "/keys?done=key-revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := ui.AuditPage{Layout: layout(r, "Audit log", "audit"), Filter: ui.AuditFilter{
		Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Actor: q.Get("actor"), Action: q.Get("action"),
		Since: q.Get("since"), Until: q.Get("until")}}
	f := store.AuditFilter{EntityType: p.Filter.Entity, EntityID: p.Filter.EntityID, Actor: p.Filter.Actor, Action: p.Filter.Action, Limit: 51}
	for _, d := range []struct {
		v   string
		dst *string
		add time.Duration
	}{{p.Filter.Since, &f.Since, 0}, {p.Filter.Until, &f.Until, 24 * time.Hour}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			p.Layout.Error = "Dates must look like 2026-11-25."
			return render(w, r, http.StatusUnprocessableEntity, ui.Audit(p))
		}
		*d.dst = app.FormatTime(t.Add(d.add))
	}
	if before := q.Get("before"); before != "" {
		f.Before, _ = strconv.ParseInt(before, 10, 64)
	}
	rows, err := s.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if len(rows) > 50 {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before", strconv.FormatInt(rows[49].ID, 10))
		p.NextURL = "/audit?" + next.Encode()
		rows = rows[:50]
	}
	for _, a := range rows {
		p.Rows = append(p.Rows, auditRow(a))
	}
	p.Actions = auditActions
	return render(w, r, http.StatusOK, ui.Audit(p))
}

// auditActions are the actions the filter suggests.
var auditActions = []string{
	"user.create", "user.update", "user.delete", "user.password", "user.login", "user.sign_out_everywhere",
	"api_key.create", "api_key.revoke", "setting.set", "webhook.create", "dead_letter.retry", "dead_letter.discard",
}

func auditRow(a store.AuditRecord) ui.AuditRow {
	actor := a.Actor.Type
	switch a.Actor.Type {
	case app.ActorUser:
		actor = "user " + a.Actor.Name
	case app.ActorAPIKey:
		actor = "API key " + a.Actor.Name
	}
	t, _ := app.ParseTime(a.CreatedAt)
	return ui.AuditRow{ID: strconv.FormatInt(a.ID, 10), Time: t.UTC().Format("2006-01-02 15:04:05"), Actor: actor, Action: a.Action,
		Entity: a.EntityType, EntityID: a.EntityID, RequestID: a.RequestID, Diff: diff(a.Before, a.After)}
}

// diff lists the top-level fields that differ between two JSON documents;
// a scalar document is one line with no field name.
func diff(before, after json.RawMessage) []ui.DiffLine {
	var b, a any
	json.Unmarshal(before, &b)
	json.Unmarshal(after, &a)
	bm, bok := b.(map[string]any)
	am, aok := a.(map[string]any)
	if !bok && !aok {
		if b == nil && a == nil {
			return nil
		}
		return []ui.DiffLine{{Before: show(b), After: show(a)}}
	}
	keys := map[string]bool{}
	for k := range bm {
		keys[k] = true
	}
	for k := range am {
		keys[k] = true
	}
	var out []ui.DiffLine
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		bv, av := show(bm[k]), show(am[k])
		if bv != av {
			out = append(out, ui.DiffLine{Field: k, Before: bv, After: av})
		}
	}
	return out
}

func show(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Server) pageQueues(w http.ResponseWriter, r *http.Request) error {
	queues, err := s.queueRows(r.Context())
	if err != nil {
		return err
	}
	dead, err := s.deadRows(r.Context())
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, ui.Queues(ui.QueuesPage{Layout: layout(r, "Queues", "queues"), Queues: queues, Dead: dead}))
}

// deadRows lists the newest dead letters of every queue.
func (s *Server) deadRows(ctx context.Context) ([]ui.DeadRow, error) {
	var rows []ui.DeadRow
	for _, st := range queue.Names {
		dead, err := s.queues.DeadLetters(ctx, st, "", 50)
		if err != nil {
			return nil, err
		}
		for _, d := range dead {
			rows = append(rows, ui.DeadRow{ID: d.ID, Queue: string(d.Queue), Attempts: d.Attempts, Error: d.Error,
				FailedAt: d.FailedAt.UTC().Format("2006-01-02 15:04:05"), Body: truncate(string(d.Body), 200)})
		}
	}
	return rows, nil
}
