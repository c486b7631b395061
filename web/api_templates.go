package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/store"
)

// The templates API. A template's body is the JSON of DESIGN §13; what a
// client sends back from a GET (id, version, status, times) is accepted
// and ignored, but for version, which on PUT names the version the change
// was made to unless If-Match does.

func (s *Server) apiTemplates(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !app.ValidID(app.PrefixTemplate, cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	q := r.URL.Query()
	f := store.TemplateFilter{Kind: q.Get("kind"), Status: q.Get("status"), Search: q.Get("q"), Limit: limit, Cursor: cursor}
	switch f.Kind {
	case "", app.TemplateKindText, app.TemplateKindButtons, app.TemplateKindList, app.TemplateKindMedia:
	default:
		return app.Invalid(app.FieldError{Field: "kind", Message: "must be text, buttons, list or media"})
	}
	switch f.Status {
	case "", app.TemplateActive, app.TemplateArchived:
	default:
		return app.Invalid(app.FieldError{Field: "status", Message: "must be active or archived"})
	}
	if fe := app.CheckText("q", f.Search, 200, false); fe != nil {
		return app.Invalid(*fe)
	}
	list, next, err := s.db.ListTemplates(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Data       []app.Template `json:"data"`
		NextCursor *string        `json:"next_cursor"`
	}{NextCursor: cursorOf(next), Data: list}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiCreateTemplate(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in app.Template
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.templates.CreateTx(r.Context(), tx, in, "")
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/templates/"+t.ID)
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	t, err := s.db.Template(r.Context(), id)
	if err != nil {
		return err
	}
	writeTemplate(w, t)
	return nil
}

// apiUpdateTemplate saves a new version. The version the change was made
// to comes from If-Match (the ETag of the GET: "3") or the body's version.
func (s *Server) apiUpdateTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	var in app.Template
	if err := decode(w, r, &in); err != nil {
		return err
	}
	basedOn := in.Version
	if m := strings.TrimSpace(r.Header.Get("If-Match")); m != "" {
		n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(m, "W/"), `"`))
		if err != nil || n < 1 {
			return app.Invalid(app.FieldError{Field: "If-Match", Message: `must be the template's ETag, its version in quotes, like "3"`})
		}
		basedOn = n
	}
	if basedOn < 1 {
		return app.Invalid(app.FieldError{Field: "version", Message: "is required: the version this change was made to (or send If-Match), so that a save made meanwhile is not undone"})
	}
	t, err := s.templates.Update(r.Context(), id, in, basedOn, "")
	if err != nil {
		return err
	}
	writeTemplate(w, t)
	return nil
}

// apiArchiveTemplate is DELETE: a template is archived, never removed,
// since messages sent with it refer to it.
func (s *Server) apiArchiveTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	t, err := s.templates.Archive(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiTemplateVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	versions, err := s.db.TemplateVersions(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Data []store.TemplateVersionInfo `json:"data"`
	}{versions})
	return nil
}

func (s *Server) apiTemplateVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return app.Errorf(app.ENOTFOUND, "template %s has no version %q", id, app.Shorten(r.PathValue("n"), 20))
	}
	t, err := s.db.TemplateVersion(r.Context(), id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiRollbackTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	var in struct {
		Version int `json:"version"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return app.Invalid(app.FieldError{Field: "version", Message: "is required: the version to go back to"})
	}
	t, err := s.templates.Rollback(r.Context(), id, in.Version)
	if err != nil {
		return err
	}
	writeTemplate(w, t)
	return nil
}

func (s *Server) apiExportTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return err
	}
	t, err := s.db.Template(r.Context(), id)
	if err != nil {
		return err
	}
	opts, err := s.renderOptions(r.Context())
	if err != nil {
		return err
	}
	b, err := template.Export(t, opts)
	if err != nil {
		return err
	}
	writeJSONWith(w, http.StatusOK, func(out []byte) []byte { return append(out, b...) })
	return nil
}

// apiPreviewTemplate renders a saved template (by id, at its latest or a
// given version) or an inline draft with variables; values left out take
// the variables' examples. A draft is shown however unfinished, with its
// problems listed beside the forms rather than refused.
func (s *Server) apiPreviewTemplate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TemplateID string         `json:"template_id"`
		Version    int            `json:"version"`
		Template   *app.Template  `json:"template"`
		Variables  map[string]any `json:"variables"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	var t app.Template
	var problems []app.FieldError
	var c *template.Compiled
	var err error
	switch {
	case in.Template != nil && in.TemplateID != "":
		return app.Invalid(app.FieldError{Field: "template", Message: "give either template_id or template, not both"})
	case in.Template != nil:
		t = *in.Template
		t.Normalize()
		problems = template.Validate(t, template.LookupMedia(ctx, s.db))
		c, err = template.CompileDraft(t)
	case app.ValidID(app.PrefixTemplate, in.TemplateID):
		if in.Version > 0 {
			t, err = s.db.TemplateVersion(ctx, in.TemplateID, in.Version)
		} else {
			t, err = s.db.Template(ctx, in.TemplateID)
		}
		if err == nil {
			c, err = template.Compile(t)
		}
	default:
		return app.Invalid(app.FieldError{Field: "template_id", Message: "is required: a template's id (tpl_…), or send a draft as template"})
	}
	if err != nil {
		return err
	}
	opts, err := s.renderOptions(ctx)
	if err != nil {
		return err
	}
	rendered, err := c.Preview(in.Variables, opts)
	var ae *app.Error
	if err != nil && (!errors.As(err, &ae) || ae.Code != app.EINVALID) {
		return err
	}
	if ae != nil {
		// A draft's example render repeats problems Validate found.
		for _, f := range ae.Fields {
			if !slices.Contains(problems, f) {
				problems = append(problems, f)
			}
		}
	}
	if problems == nil {
		problems = []app.FieldError{}
	}
	writeJSON(w, http.StatusOK, struct {
		template.Rendered
		Errors []app.FieldError `json:"errors"`
	}{rendered, problems})
	return nil
}

// renderOptions are the shop's settings that change how values read.
func (s *Server) renderOptions(ctx context.Context) (template.RenderOptions, error) {
	return template.OptionsFrom(ctx, s.settings)
}

// writeTemplate answers with t at its latest version, its ETag the version
// a PUT names in If-Match.
func writeTemplate(w http.ResponseWriter, t app.Template) {
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(t.Version)))
	writeJSON(w, http.StatusOK, t)
}
