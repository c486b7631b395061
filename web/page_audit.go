package web

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The audit log: who changed what, filtered, newest first.

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l, _ := s.frame(w, r, "Audit log", "audit")
	p := ui.AuditPage{Layout: l, Filter: ui.AuditFilter{
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
	names, err := s.auditNames(r.Context())
	if err != nil {
		return err
	}
	for _, a := range rows {
		p.Rows = append(p.Rows, auditRow(r.Context(), a, names))
	}
	for _, a := range auditActions {
		p.Actions = append(p.Actions, ui.AuditAction{Name: a.action, Words: a.words})
	}
	return render(w, r, http.StatusOK, ui.Audit(p))
}

func auditRow(ctx context.Context, a store.AuditRecord, names map[string]string) ui.AuditRow {
	actor := a.Actor.Type
	switch a.Actor.Type {
	case app.ActorUser:
		actor = "user " + a.Actor.Name
	case app.ActorAPIKey:
		actor = "API key " + a.Actor.Name
	}
	t, _ := app.ParseTime(a.CreatedAt)
	return ui.AuditRow{ID: strconv.FormatInt(a.ID, 10), Time: displayTime(ctx, t), Actor: actor, Action: a.Action, Words: auditWords(a.Action),
		Subject: auditSubject(a.EntityType, a.EntityID, a.Before, a.After, names),
		Entity:  a.EntityType, EntityID: a.EntityID, RequestID: a.RequestID, Diff: diff(a.Before, a.After)}
}

// auditNames are the human names of the users and keys an audit row may
// point at without naming them (a sign-in, a password change), by id.
func (s *Server) auditNames(ctx context.Context) (map[string]string, error) {
	names := map[string]string{}
	users, err := s.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		names[u.ID] = u.Email
	}
	keys, err := s.db.APIKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		names[k.ID] = k.Name
	}
	return names, nil
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
