package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/web/ui"
)

// A template's versions: the list, one version with what differs from
// the current one, and restoring one (a rollback, after a confirmation).

func (s *Server) pageTemplateVersions(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	versions, err := s.db.TemplateVersions(r.Context(), t.ID)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, t.Name+": versions", "templates")
	p := ui.TemplateVersionsPage{Layout: l, Name: t.Name, Back: templatePath(t.ID)}
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		n := strconv.Itoa(v.Version)
		row := ui.TemplateVersionRow{Version: v.Version, When: displayTime(r.Context(), v.CreatedAt), By: orDefault(s.uploader(r.Context(), v.CreatedBy), "—"),
			Note: v.Note, Href: templatePath(t.ID, "versions", n), Current: v.Version == t.Version}
		if !row.Current && l.User.CanOperate() {
			row.RestoreURL = templatePath(t.ID, "versions", n, "restore")
		}
		p.Versions = append(p.Versions, row)
	}
	return render(w, r, http.StatusOK, ui.TemplateVersions(p))
}

func (s *Server) pageTemplateRestore(w http.ResponseWriter, r *http.Request) error {
	t, n, err := s.templateAndVersion(r)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "templates", ui.ConfirmPage{
		Detail: fmt.Sprintf("%s will be saved again as it was in version %d, as its new version %d. Version %d and the others stay in its history.", t.Name, n, t.Version+1, t.Version),
		Action: r.URL.Path, Button: "Restore version " + strconv.Itoa(n), Cancel: templatePath(t.ID, "versions"),
	}, fmt.Sprintf("Restore version %d of %s?", n, t.Name))
}

func (s *Server) postTemplateRestore(w http.ResponseWriter, r *http.Request) error {
	t, n, err := s.templateAndVersion(r)
	if err != nil {
		return err
	}
	nt, err := s.templates.Rollback(r.Context(), t.ID, n)
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return app.Errorf(app.ErrorCode(err), "Version %d was not restored. %s", n, msg)
		})
	}
	return s.done(w, r, templatePath(t.ID), flash{notice: fmt.Sprintf("Restored version %d as version %d.", n, nt.Version)})
}

func (s *Server) templateAndVersion(r *http.Request) (app.Template, int, error) {
	t, err := s.templateByPath(r)
	if err != nil {
		return t, 0, err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > t.Version {
		return t, 0, app.Errorf(app.ENOTFOUND, "this template has no version %q", app.Shorten(r.PathValue("n"), 20))
	}
	return t, n, nil
}

// pageTemplateVersion shows one saved version, read-only.
func (s *Server) pageTemplateVersion(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return app.Errorf(app.ENOTFOUND, "this template has no version %q", app.Shorten(r.PathValue("n"), 20))
	}
	v, err := s.db.TemplateVersion(r.Context(), cur.ID, n)
	if err != nil {
		return err
	}
	p, err := s.editorPage(w, r, v, templateForm(v), nil, "")
	if err != nil {
		return err
	}
	p.Layout.Title = cur.Name + ": version " + strconv.Itoa(n)
	p.ReadOnly, p.ArchiveURL, p.Action = true, "", ""
	p.Diff = &ui.TemplateDiff{Version: n, Current: cur.Version, CurrentURL: templatePath(cur.ID), Name: cur.Name,
		VersionsURL: templatePath(cur.ID, "versions"), Fields: s.templateDiff(r.Context(), v, cur)}
	return render(w, r, http.StatusOK, ui.TemplateEditor(p))
}

// templateDiff is what differs between version old and the current
// template cur, field by field in the editor's order: a line diff for the
// fields of many lines, the old and new values for the others.
func (s *Server) templateDiff(ctx context.Context, old, cur app.Template) []ui.TemplateDiffField {
	var out []ui.TemplateDiffField
	value := func(id, label, o, n string) {
		if o != n {
			out = append(out, ui.TemplateDiffField{ID: id, Label: label, Old: o, New: n})
		}
	}
	lines := func(id, label string, o, n []string) {
		if !slices.Equal(o, n) {
			out = append(out, ui.TemplateDiffField{ID: id, Label: label, Lines: lineDiff(o, n)})
		}
	}
	value("name", "Name", old.Name, cur.Name)
	value("kind", "Kind", old.Kind, cur.Kind)
	value("delivery_style", "Send as", styleLabel(old.DeliveryStyle), styleLabel(cur.DeliveryStyle))
	value("header", "Header", s.headerLabel(ctx, old.Header), s.headerLabel(ctx, cur.Header))
	lines("body", "Message", textLines(old.Body), textLines(cur.Body))
	value("footer", "Footer", old.Footer, cur.Footer)
	lines("buttons", "Reply buttons", buttonLines(old.Buttons), buttonLines(cur.Buttons))
	lines("list", "List", listLines(old.List), listLines(cur.List))
	lines("variables", "Variables", variableLines(old.Variables), variableLines(cur.Variables))
	return out
}

func styleLabel(style string) string {
	for _, st := range templateStyles {
		if st.value == style {
			return st.label
		}
	}
	return style
}

func (s *Server) headerLabel(ctx context.Context, h *app.TemplateHeader) string {
	switch {
	case h == nil:
		return "none"
	case h.Type == app.TemplateHeaderText:
		return h.Text
	}
	if name := s.headerFile(ctx, h).Name; name != "" {
		return h.Type + ": " + name
	}
	return h.Type + ": " + h.MediaID
}

// textLines splits a text into its lines; an empty text has none.
func textLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func buttonLines(buttons []app.TemplateButton) []string {
	var out []string
	for _, b := range buttons {
		out = append(out, b.ID+" | "+b.Title)
	}
	return out
}

// listLines writes a list as the editor does: its rows one a line as
// "id | title | description", under their section's title.
func listLines(l *app.TemplateList) []string {
	if l == nil {
		return nil
	}
	out := []string{"Menu button: " + l.Button}
	for _, sec := range l.Sections {
		out = append(out, "Section: "+sec.Title)
		for _, row := range sec.Rows {
			line := row.ID + " | " + row.Title
			if row.Description != "" {
				line += " | " + row.Description
			}
			out = append(out, line)
		}
	}
	return out
}

func variableLines(vars []app.TemplateVariable) []string {
	var out []string
	for _, v := range vars {
		line := v.Name + " (" + v.Type
		if v.Required {
			line += ", required"
		}
		line += ")"
		if len(v.Example) > 0 {
			line += ", example " + string(v.Example)
		}
		if len(v.Default) > 0 {
			line += ", default " + string(v.Default)
		}
		out = append(out, line)
	}
	return out
}

// lineDiff is a line diff of a and b by their longest common subsequence:
// the lines of both in order, those only in a "removed", those only in b
// "added". Quadratic, which a template's fields (1,024 characters at
// most) keep small.
func lineDiff(a, b []string) []ui.TemplateDiffLine {
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []ui.TemplateDiffLine
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, ui.TemplateDiffLine{Op: "same", Text: a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, ui.TemplateDiffLine{Op: "removed", Text: a[i]})
			i++
		default:
			out = append(out, ui.TemplateDiffLine{Op: "added", Text: b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, ui.TemplateDiffLine{Op: "removed", Text: a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, ui.TemplateDiffLine{Op: "added", Text: b[j]})
	}
	return out
}
