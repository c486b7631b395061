package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/web/ui"
)

// The templates pages: the list, the editor with its live WhatsApp-style
// preview, versions with restore, and archiving. The editor is one plain
// form that saves without JavaScript; with it, every keystroke posts the
// form to /templates/preview (debounced by Datastar), which answers with
// patches of the preview, the counters and the problems. The preview is
// rendered by the engine (CompileDraft + Preview), so it is exactly what
// the API would send.

// templateListSize is how many templates a page of the list shows.
const templateListSize = 100

// Editor sizes: the form always offers this many blank slots, so that it
// works without JavaScript (nothing adds rows on the fly).
const (
	formSections = 3 // list sections: rows total at most 10, so 3 is plenty
	formVarsMin  = 3
	formVarsMore = 2 // blank variable rows after the declared ones
)

func templatePath(id string, more ...string) string {
	return strings.Join(append([]string{"/templates", url.PathEscape(id)}, more...), "/")
}

var templateKinds = []struct{ value, label string }{
	{app.TemplateKindText, "Text"}, {app.TemplateKindButtons, "Buttons"}, {app.TemplateKindList, "List"}, {app.TemplateKindMedia, "Media"},
}

var templateStyles = []struct{ value, label string }{
	{app.TemplateDeliveryText, "Numbered text (every phone)"}, {app.TemplateDeliveryPoll, "Poll"}, {app.TemplateDeliveryInteractive, "Interactive buttons or list"},
}

func (s *Server) pageTemplates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.TemplateFilter{Limit: templateListSize}
	for _, k := range templateKinds {
		if q.Get("kind") == k.value {
			f.Kind = k.value
		}
	}
	if st := q.Get("status"); st == app.TemplateActive || st == app.TemplateArchived {
		f.Status = st
	}
	if c := q.Get("cursor"); app.ValidID(app.PrefixTemplate, c) {
		f.Cursor = c
	}
	list, next, err := s.db.ListTemplates(r.Context(), f)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Message templates", "templates")
	link := func(kind, status, cursor string) string {
		v := url.Values{}
		if kind != "" {
			v.Set("kind", kind)
		}
		if status != "" {
			v.Set("status", status)
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return "/templates"
		}
		return "/templates?" + v.Encode()
	}
	p := ui.TemplatesPage{Layout: l, CanEdit: l.User.CanOperate()}
	p.Kinds = append(p.Kinds, ui.MediaFilter{Label: "All kinds", Href: link("", f.Status, ""), Current: f.Kind == ""})
	for _, k := range templateKinds {
		p.Kinds = append(p.Kinds, ui.MediaFilter{Label: k.label, Href: link(k.value, f.Status, ""), Current: f.Kind == k.value})
	}
	for _, st := range []struct{ value, label string }{{"", "Any status"}, {app.TemplateActive, "Active"}, {app.TemplateArchived, "Archived"}} {
		p.Status = append(p.Status, ui.MediaFilter{Label: st.label, Href: link(f.Kind, st.value, ""), Current: f.Status == st.value})
	}
	for _, t := range list {
		p.Rows = append(p.Rows, ui.TemplateRow{ID: t.ID, Name: t.Name, Href: templatePath(t.ID), Kind: t.Kind, Status: t.Status,
			Saved: displayTime(r.Context(), t.UpdatedAt), Version: t.Version})
	}
	if next != "" {
		p.NextURL = link(f.Kind, f.Status, next)
	}
	switch {
	case f.Kind != "" || f.Status != "" || f.Cursor != "":
		p.Empty = "No templates match these filters."
	case p.CanEdit:
		p.Empty = "No message templates yet. A template is a message the shop sends again and again — a welcome with a menu, an order confirmation, a price list — written once with {{placeholders}} for the customer's name or the total. Make the first one with New template."
	default:
		p.Empty = "No message templates yet. A template is a message the shop sends again and again, written once with {{placeholders}}. An operator or the owner can make them."
	}
	return render(w, r, http.StatusOK, ui.Templates(p))
}

// templateByPath reads the template the URL names.
func (s *Server) templateByPath(r *http.Request) (app.Template, error) {
	id, err := pathID(r, app.PrefixTemplate, "template")
	if err != nil {
		return app.Template{}, app.Errorf(app.ENOTFOUND, "This template does not exist: the link is wrong.")
	}
	return s.db.Template(r.Context(), id)
}

func (s *Server) pageTemplateNew(w http.ResponseWriter, r *http.Request) error {
	t := app.Template{Kind: app.TemplateKindText}
	t.Normalize()
	return s.renderEditor(w, r, http.StatusOK, app.Template{}, templateForm(t), nil, "")
}

func (s *Server) pageTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	p, err := s.editorPage(w, r, t, templateForm(t), nil, "")
	if err != nil {
		return err
	}
	// "Send a test" to a simulator customer (page_template_send.go).
	if p.SendTest, err = s.sendTestForm(r, t, p.ReadOnly); err != nil {
		return err
	}
	return render(w, r, http.StatusOK, ui.TemplateEditor(p))
}

// renderEditor shows the editor for saved (zero for a new template) with
// the form f, the refusal problems and stale's message.
func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, status int, saved app.Template, f ui.TemplateForm, problems []app.FieldError, stale string) error {
	p, err := s.editorPage(w, r, saved, f, problems, stale)
	if err != nil {
		return err
	}
	return render(w, r, status, ui.TemplateEditor(p))
}

func (s *Server) editorPage(w http.ResponseWriter, r *http.Request, saved app.Template, f ui.TemplateForm, problems []app.FieldError, stale string) (ui.TemplateEditorPage, error) {
	ctx := r.Context()
	title := "New template"
	if saved.ID != "" {
		title = saved.Name
	}
	l, _ := s.frame(w, r, title, "templates")
	l.Zone = ""
	p := ui.TemplateEditorPage{Layout: l, ID: saved.ID, Version: saved.Version, Status: saved.Status, Form: f, Stale: stale,
		ReadOnly: !l.User.CanOperate(), VarTypes: []string{app.TemplateVarText, app.TemplateVarNumber, app.TemplateVarMoney, app.TemplateVarDate}}
	if stale != "" {
		p.Layout.Error = stale
	}
	p.Action = "/templates"
	if saved.ID != "" {
		p.Action = templatePath(saved.ID)
		p.VersionsURL = templatePath(saved.ID, "versions")
		if !p.ReadOnly && saved.Status == app.TemplateActive {
			p.ArchiveURL = templatePath(saved.ID, "archive")
		}
	}
	for _, k := range templateKinds {
		p.Kinds = append(p.Kinds, ui.TemplateChoice{Value: k.value, Label: k.label, Selected: f.Kind == k.value})
	}
	for _, st := range templateStyles {
		p.Styles = append(p.Styles, ui.TemplateChoice{Value: st.value, Label: st.label, Selected: f.DeliveryStyle == st.value})
	}
	files, err := s.headerFiles(ctx, f.HeaderMedia)
	if err != nil {
		return p, err
	}
	for _, m := range files {
		label := mediaName(m) + " (" + mediaKindLabel(m) + ")"
		if m.Status == app.MediaProcessing {
			label = mediaName(m) + " (" + mediaKindLabel(m) + ", being processed)"
		}
		p.Files = append(p.Files, ui.TemplateChoice{Value: m.ID, Label: label, Selected: f.HeaderMedia == m.ID})
	}
	if !p.ReadOnly {
		p.Upload = &ui.TemplateUpload{Endpoint: "/api/media/upload", Accept: headerAccept, Limits: s.uploadLimits(), Rules: s.headerUploadRules()}
	}
	p.Preview, err = s.templatePreview(ctx, f, problems)
	return p, err
}

// headerAccept is the header upload's accept attribute: the kinds a
// header shows, as the media library takes them.
const headerAccept = "image/jpeg,image/png,image/webp,image/gif,video/mp4,application/pdf"

// headerUploadRules says what a header upload takes, before anyone tries.
func (s *Server) headerUploadRules() string {
	l := s.media.Limits()
	return "A picture (JPEG, PNG, WebP or GIF) up to " + fileSize(l.For(app.MediaImage)) + ", an MP4 video up to " +
		fileSize(l.For(app.MediaVideo)) + " or a PDF up to " + fileSize(l.For(app.MediaDocument)) + ". It is added to Media too."
}

// headerFiles are the media library's ready files a header can show,
// and the one the form picked (current) whatever its state: a file just
// uploaded from the editor is still being processed when a refused save
// shows the form again, and must stay picked.
func (s *Server) headerFiles(ctx context.Context, current string) ([]app.Media, error) {
	var out []app.Media
	for _, k := range []app.MediaKind{app.MediaImage, app.MediaVideo, app.MediaDocument} {
		list, _, err := s.db.ListMedia(ctx, store.MediaFilter{Kind: k, Status: app.MediaReady, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	if current == "" || slices.ContainsFunc(out, func(m app.Media) bool { return m.ID == current }) || !app.ValidID(app.PrefixMedia, current) {
		return out, nil
	}
	m, err := s.db.Media(ctx, current)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return out, nil // deleted meanwhile: the problem beside the header says so
	}
	if err != nil {
		return nil, err
	}
	return append([]app.Media{m}, out...), nil
}

// templateForm is a template as the editor's form shows it.
func templateForm(t app.Template) ui.TemplateForm {
	f := ui.TemplateForm{Name: t.Name, Kind: t.Kind, DeliveryStyle: t.DeliveryStyle, Category: t.Category, Language: t.Language,
		Body: t.Body, Footer: t.Footer, Triggers: t.Triggers}
	if h := t.Header; h != nil {
		if h.Type == app.TemplateHeaderText {
			f.HeaderType, f.HeaderText = "text", h.Text
		} else {
			f.HeaderType, f.HeaderMedia = "media", h.MediaID
		}
	}
	for _, b := range t.Buttons {
		f.Buttons = append(f.Buttons, ui.TemplateButtonInput{ID: b.ID, Title: b.Title})
	}
	for len(f.Buttons) < template.ButtonsMax {
		f.Buttons = append(f.Buttons, ui.TemplateButtonInput{})
	}
	if t.List != nil {
		f.ListButton = t.List.Button
		for _, sec := range t.List.Sections {
			var lines []string
			for _, row := range sec.Rows {
				line := row.ID + " | " + row.Title
				if row.Description != "" {
					line += " | " + row.Description
				}
				lines = append(lines, line)
			}
			f.Sections = append(f.Sections, ui.TemplateSectionInput{Title: sec.Title, Rows: strings.Join(lines, "\n")})
		}
	}
	for len(f.Sections) < formSections {
		f.Sections = append(f.Sections, ui.TemplateSectionInput{})
	}
	for _, v := range t.Variables {
		f.Variables = append(f.Variables, ui.TemplateVariableInput{Name: v.Name, Type: v.Type, Required: v.Required,
			Example: rawText(v.Example), Default: rawText(v.Default)})
	}
	for i := 0; i < formVarsMore || len(f.Variables) < formVarsMin; i++ {
		f.Variables = append(f.Variables, ui.TemplateVariableInput{Type: app.TemplateVarText})
	}
	return f
}

// rawText shows a variable's JSON value in a text field: a string without
// its quotes, anything else as written.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// rawValue reads a text field back: numbers and money take a JSON number
// or object as typed, everything else is a string.
func rawValue(typ, s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if (typ == app.TemplateVarNumber || typ == app.TemplateVarMoney) && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// readTemplateForm reads the editor's posted form.
func readTemplateForm(r *http.Request) ui.TemplateForm {
	v := r.PostForm
	f := ui.TemplateForm{Name: v.Get("name"), Kind: v.Get("kind"), DeliveryStyle: v.Get("delivery_style"), Category: v.Get("category"),
		Language: v.Get("language"), HeaderType: v.Get("header_type"), HeaderText: v.Get("header_text"), HeaderMedia: v.Get("header_media"),
		Body: lf(v.Get("body")), Footer: v.Get("footer"), ListButton: v.Get("list_button"), Note: v.Get("note"), Triggers: v["trigger"]}
	for i := 0; i < template.ButtonsMax; i++ {
		n := strconv.Itoa(i)
		f.Buttons = append(f.Buttons, ui.TemplateButtonInput{ID: v.Get("button_id_" + n), Title: v.Get("button_title_" + n)})
	}
	for i := 0; i < template.SectionsMax; i++ {
		n := strconv.Itoa(i)
		if _, ok := v["section_rows_"+n]; !ok {
			break
		}
		f.Sections = append(f.Sections, ui.TemplateSectionInput{Title: v.Get("section_title_" + n), Rows: lf(v.Get("section_rows_" + n))})
	}
	for i := 0; i < template.VariablesMax+formVarsMore; i++ {
		n := strconv.Itoa(i)
		if _, ok := v["var_name_"+n]; !ok {
			break
		}
		f.Variables = append(f.Variables, ui.TemplateVariableInput{Name: v.Get("var_name_" + n), Type: v.Get("var_type_" + n),
			Required: v.Get("var_required_"+n) != "", Example: v.Get("var_example_" + n), Default: v.Get("var_default_" + n)})
	}
	return f
}

// lf ends a textarea's lines with "\n" alone: browsers post them with
// "\r\n", which WhatsApp would count and show as an extra character.
func lf(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// slug makes an id out of a title for a button or row left without one:
// "My orders" → "my_orders".
func slug(title string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(title)) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// draft is the template the form describes. Parts of other kinds stay in
// the form (switching kind loses nothing) but are left out of it.
func (s *Server) draft(ctx context.Context, f ui.TemplateForm) app.Template {
	t := app.Template{Name: f.Name, Kind: f.Kind, DeliveryStyle: f.DeliveryStyle, Category: f.Category, Language: f.Language,
		Body: f.Body, Footer: f.Footer, Triggers: f.Triggers}
	switch f.HeaderType {
	case "text":
		t.Header = &app.TemplateHeader{Type: app.TemplateHeaderText, Text: f.HeaderText}
	case "media":
		h := &app.TemplateHeader{Type: app.TemplateHeaderImage, MediaID: f.HeaderMedia}
		if m, err := s.db.Media(ctx, f.HeaderMedia); err == nil && app.ValidID(app.PrefixMedia, f.HeaderMedia) {
			h.Type = string(m.Kind)
		}
		t.Header = h
	}
	if t.Kind == app.TemplateKindButtons || t.Kind == app.TemplateKindMedia {
		for _, b := range f.Buttons {
			id, title := strings.TrimSpace(b.ID), strings.TrimSpace(b.Title)
			if id == "" && title == "" {
				continue
			}
			if id == "" {
				id = slug(title)
			}
			t.Buttons = append(t.Buttons, app.TemplateButton{ID: id, Title: title})
		}
	}
	if t.Kind == app.TemplateKindList {
		t.List = &app.TemplateList{Button: f.ListButton, Sections: []app.TemplateSection{}}
		for _, sec := range f.Sections {
			ts := app.TemplateSection{Title: strings.TrimSpace(sec.Title), Rows: []app.TemplateRow{}}
			for _, line := range strings.Split(sec.Rows, "\n") {
				if strings.TrimSpace(line) == "" {
					continue
				}
				parts := strings.SplitN(line, "|", 3)
				for i := range parts {
					parts[i] = strings.TrimSpace(parts[i])
				}
				var row app.TemplateRow
				switch len(parts) {
				case 1:
					row = app.TemplateRow{ID: slug(parts[0]), Title: parts[0]}
				case 2:
					row = app.TemplateRow{ID: parts[0], Title: parts[1]}
				default:
					row = app.TemplateRow{ID: parts[0], Title: parts[1], Description: parts[2]}
				}
				ts.Rows = append(ts.Rows, row)
			}
			if ts.Title != "" || len(ts.Rows) > 0 {
				t.List.Sections = append(t.List.Sections, ts)
			}
		}
	}
	for _, v := range f.Variables {
		if strings.TrimSpace(v.Name) == "" {
			continue
		}
		t.Variables = append(t.Variables, app.TemplateVariable{Name: strings.TrimSpace(v.Name), Type: v.Type, Required: v.Required,
			Example: rawValue(v.Type, v.Example), Default: rawValue(v.Type, v.Default)})
	}
	t.Normalize()
	return t
}

// templatePreview renders the form's draft as the engine would send it,
// with problems (a refused save's) and the draft's own.
func (s *Server) templatePreview(ctx context.Context, f ui.TemplateForm, problems []app.FieldError) (ui.TemplatePreview, error) {
	t := s.draft(ctx, f)
	problems = append(problems, template.Validate(t, template.LookupMedia(ctx, s.db))...)
	var p ui.TemplatePreview
	c, err := template.CompileDraft(t)
	if err == nil {
		var opts template.RenderOptions
		if opts, err = s.renderOptions(ctx); err != nil {
			return p, err
		}
		var rd template.Rendered
		rd, err = c.Preview(nil, opts)
		s.fillPreview(ctx, &p, rd)
	}
	var ae *app.Error
	if err != nil && !errors.As(err, &ae) {
		return p, err
	}
	if ae != nil {
		problems = append(problems, ae.Fields...)
		if len(ae.Fields) == 0 || p.Body == "" && p.Fallback == "" {
			p.Error = sentence(ae.Message)
		}
	}
	p.Problems = problemSlots(problems)
	return p, nil
}

func (s *Server) fillPreview(ctx context.Context, p *ui.TemplatePreview, rd template.Rendered) {
	m := rd.Message
	p.Style, p.Fallback, p.Warnings = rd.Style, rd.Text, rd.Warnings
	p.Shows, p.SentAs = shownForm(rd)
	p.Body, p.Footer = m.Body, m.Footer
	if m.Type == template.MessageText || m.Type == template.MessageMedia {
		p.Body = m.Text
	}
	if h := m.Header; h != nil {
		if h.Type == app.TemplateHeaderText {
			p.HeaderText = h.Text
		} else {
			p.HeaderFile = s.headerFile(ctx, h)
		}
	}
	for _, b := range m.Buttons {
		p.Buttons = append(p.Buttons, b.Title)
	}
	if m.List != nil {
		p.ListButton = m.List.Button
	}
	if m.List != nil && rd.Style == app.TemplateDeliveryInteractive {
		for _, sec := range m.List.Sections {
			ss := ui.TemplateSheetSection{Title: sec.Title}
			for _, row := range sec.Rows {
				ss.Rows = append(ss.Rows, ui.TemplateSheetRow{Title: row.Title, Description: row.Description})
			}
			p.Sheet = append(p.Sheet, ss)
		}
	}
	// The phone shows the poll only when it is what is sent: with another
	// style the poll form is never seen, and two forms would not fit a
	// phone's screen above the editor.
	if poll := rd.Poll; poll != nil && rd.Style == app.TemplateDeliveryPoll {
		pv := &ui.TemplatePollView{Question: poll.Name}
		if in := poll.Intro; in != nil {
			pv.Intro, pv.IntroText = true, in.Text
			if in.Header != nil && in.Header.Type != app.TemplateHeaderText {
				pv.IntroFile = s.headerFile(ctx, in.Header)
			}
		}
		for _, o := range poll.Options {
			pv.Options = append(pv.Options, o.Title)
		}
		p.Poll = pv
	}
	count := func(id, label, path string, max int) {
		if n, ok := rd.Lengths[path]; ok {
			p.Counts = append(p.Counts, ui.TemplateCount{ID: id, Label: label, Length: n, Max: max})
		}
	}
	count("header", "Header", "header.text", template.HeaderTextMax)
	count("body", "Body", "body", template.BodyMax)
	count("footer", "Footer", "footer", template.FooterMax)
	for i := range template.ButtonsMax {
		count("button-"+strconv.Itoa(i), "Button "+strconv.Itoa(i+1), fmt.Sprintf("buttons[%d].title", i), template.ButtonTitleMax)
	}
	count("list-button", "List button", "list.button", template.ListButtonMax)
	count("text", "Plain text", "text", template.TextMax)
}

// headerFile is a file header as the phone shows it: a picture's
// thumbnail once it is ready, else the file's kind and name.
func (s *Server) headerFile(ctx context.Context, h *app.TemplateHeader) ui.TemplateFile {
	f := ui.TemplateFile{Kind: h.Type}
	if md, err := s.db.Media(ctx, h.MediaID); err == nil {
		f.Name, f.Image = mediaName(md), mediaCard(md).Thumb
		f.Pending, f.Failed = md.Status == app.MediaProcessing, md.Status == app.MediaFailed
	}
	return f
}

// shownForm is the form the customer receives, which the phone shows,
// and a sentence on how it goes. A message without options is the same
// plain message whatever the style, and a poll that cannot be made (too
// few options: the problem beside "Send as" says so) would not be sent
// as one.
func shownForm(rd template.Rendered) (shows, sentAs string) {
	options := len(rd.Options) > 0
	switch {
	case !options:
		return app.TemplateDeliveryText, "Sent as a plain message: with no buttons or list, every delivery style sends it the same way."
	case rd.Style == app.TemplateDeliveryPoll && rd.Poll != nil:
		return app.TemplateDeliveryPoll, "Sent as a poll: every phone shows it, and customers answer with a tap."
	case rd.Style == app.TemplateDeliveryInteractive:
		what := "with WhatsApp reply buttons"
		if rd.Message.Type == template.MessageList {
			what = "as a WhatsApp list menu"
		}
		return app.TemplateDeliveryInteractive, "Sent " + what + ". Phones that cannot show it get the plain-text form below."
	default:
		return app.TemplateDeliveryText, "Sent as numbered text, which every phone shows: customers answer with a number or an option's name."
	}
}

// templateSlots are the parts of the editor a problem is shown beside, by
// the first part of its field path; anything else goes to "other".
var templateSlots = []string{"name", "kind", "delivery_style", "header", "body", "footer", "buttons", "list", "variables", "other"}

func problemSlots(problems []app.FieldError) []ui.TemplateProblems {
	out := make([]ui.TemplateProblems, len(templateSlots))
	seen := map[app.FieldError]bool{}
	for i, slot := range templateSlots {
		out[i].Slot = slot
	}
	for _, fe := range problems {
		if seen[fe] {
			continue
		}
		seen[fe] = true
		head := fe.Field
		if i := strings.IndexAny(head, ".["); i >= 0 {
			head = head[:i]
		}
		i := slices.Index(templateSlots, head)
		if i < 0 {
			i = len(templateSlots) - 1
		}
		msg := fe.Message
		if fe.Field != head || i == len(templateSlots)-1 {
			msg = fe.Field + ": " + msg // say which button, row or variable
		}
		out[i].Messages = append(out[i].Messages, sentence(msg))
	}
	return out
}

// postTemplatePreview answers the editor's keystrokes: the preview, the
// counters and the problems, as Datastar patches.
func (s *Server) postTemplatePreview(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	p, err := s.templatePreview(r.Context(), readTemplateForm(r), nil)
	if err != nil {
		return err
	}
	sse := datastar.NewSSE(w, r)
	return sse.PatchElementTempl(ui.TemplateLive(p))
}

// postTemplateCreate saves a new template from the form.
func (s *Server) postTemplateCreate(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := readTemplateForm(r)
	t, err := s.templates.Create(r.Context(), s.draft(r.Context(), f), strings.TrimSpace(f.Note))
	if err != nil {
		return s.editorRefused(w, r, app.Template{}, f, err)
	}
	return s.done(w, r, templatePath(t.ID), flash{notice: "Saved " + t.Name + " (version 1)."})
}

// postTemplateSave saves the form as the template's next version, when
// it is still at the version the form was based on.
func (s *Server) postTemplateSave(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	cur, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	f := readTemplateForm(r)
	basedOn, _ := strconv.Atoi(r.PostFormValue("version"))
	t, err := s.templates.Update(r.Context(), cur.ID, s.draft(r.Context(), f), basedOn, strings.TrimSpace(f.Note))
	if app.ErrorCode(err) == app.ECONFLICT && basedOn != cur.Version {
		msg := fmt.Sprintf("Someone saved this template meanwhile (now version %d). Your text is kept below; compare it with the latest version, then save again to replace it.", cur.Version)
		return s.renderEditor(w, r, http.StatusConflict, cur, f, nil, msg)
	}
	if err != nil {
		return s.editorRefused(w, r, cur, f, err)
	}
	return s.done(w, r, templatePath(t.ID), flash{notice: "Saved " + t.Name + " as version " + strconv.Itoa(t.Version) + "."})
}

// editorRefused shows the form again with a refusal's messages by field.
func (s *Server) editorRefused(w http.ResponseWriter, r *http.Request, saved app.Template, f ui.TemplateForm, err error) error {
	var ae *app.Error
	if !errors.As(err, &ae) || (ae.Code != app.EINVALID && ae.Code != app.ECONFLICT) {
		return err
	}
	// The refusal's fields are shown beside them by the preview, which
	// validates the same draft again.
	return s.renderEditorError(w, r, statusOf[ae.Code], saved, f, ae)
}

func (s *Server) renderEditorError(w http.ResponseWriter, r *http.Request, status int, saved app.Template, f ui.TemplateForm, ae *app.Error) error {
	p, err := s.editorPage(w, r, saved, f, ae.Fields, "")
	if err != nil {
		return err
	}
	p.Layout.Error = "Not saved. " + sentence(ae.Message)
	if ae.Code == app.EINVALID {
		p.Layout.Error = "Not saved: see the messages beside the fields."
	}
	return render(w, r, status, ui.TemplateEditor(p))
}

func (s *Server) pageTemplateArchive(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "templates", ui.ConfirmPage{
		Detail: t.Name + " will no longer be offered to the bot or to senders. It is kept, with its versions, and shows under Archived.",
		Action: r.URL.Path, Button: "Archive template", Cancel: templatePath(t.ID),
	}, "Archive "+t.Name+"?")
}

func (s *Server) postTemplateArchive(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	if _, err := s.templates.Archive(r.Context(), t.ID); err != nil {
		return err
	}
	return s.done(w, r, "/templates", flash{notice: "Archived " + t.Name + "."})
}
