package template

import (
	"strconv"
	"strings"

	"smartbot/app"
)

// MediaLookup tells Validate about a file of the media library: its kind
// and status, and ok false when there is no such file.
type MediaLookup func(id string) (kind app.MediaKind, status string, ok bool)

// Validate checks a template before it is saved and returns every problem
// at once, each with its field's path ("body", "buttons[1].title",
// "list.sections[0].rows[2].description") and a sentence for the shop
// owner. Nil means the template can be saved.
//
// It checks names, kinds and the rules of each kind, WhatsApp's limits on
// the raw text and again on the text rendered with the variables' example
// values (variables grow the text), placeholders (malformed, undeclared,
// or declared and unused), ids and titles (a duplicate makes a reply
// ambiguous), and the media header against the library through media. A
// nil media skips that lookup (a draft with no library at hand).
// Empty category, language, delivery style and status are read as their
// defaults (see app.Template.Normalize).
func Validate(t app.Template, media MediaLookup) []app.FieldError {
	v := validator{}
	v.name(t.Name)
	switch t.Kind {
	case app.TemplateKindText, app.TemplateKindButtons, app.TemplateKindList, app.TemplateKindMedia:
	default:
		v.add("kind", "must be text, buttons, list or media")
	}
	switch t.Category {
	case "", app.TemplateCategoryUtility, app.TemplateCategoryMarketing, app.TemplateCategoryAuthentication:
	default:
		v.add("category", "must be utility, marketing or authentication")
	}
	if t.Language != "" && !validLanguage(t.Language) {
		v.add("language", "must be a language code like en, en_US or pt_BR")
	}
	switch t.Status {
	case "", app.TemplateActive, app.TemplateArchived:
	default:
		v.add("status", "must be active or archived")
	}
	v.deliveryStyle(t)
	v.header(t, media)
	if strings.TrimSpace(t.Body) == "" {
		v.add("body", "is required: the message itself, up to "+thousands(BodyMax)+" characters")
	} else {
		v.text("body", t.Body, BodyMax, true)
	}
	v.text("footer", t.Footer, FooterMax, false)
	v.buttons(t)
	v.list(t)
	v.triggers(t.Triggers)

	c, placeholderErrs, _ := compile(t)
	v.errs = append(v.errs, placeholderErrs...)
	v.variables(t.Variables, c)
	if c != nil {
		v.examples(c)
	}
	return v.errs
}

type validator struct {
	errs []app.FieldError
}

func (v *validator) add(field, message string) {
	v.errs = append(v.errs, app.FieldError{Field: field, Message: message})
}

func (v *validator) has(field string) bool {
	for _, e := range v.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// text checks one text field's characters and raw length.
func (v *validator) text(field, s string, max int, multiline bool) {
	if e := app.CheckText(field, s, 1<<30, multiline); e != nil {
		v.errs = append(v.errs, *e)
		return
	}
	if n := count(s); n > max {
		v.add(field, "is "+characters(n)+"; WhatsApp allows "+thousands(max))
	}
}

// required checks a text that must not be empty, then as text.
func (v *validator) required(field, s string, max int, what string) {
	if strings.TrimSpace(s) == "" {
		v.add(field, "is required: "+what)
		return
	}
	v.text(field, s, max, false)
}

func (v *validator) name(name string) {
	switch {
	case name == "":
		v.add("name", "is required: lowercase letters, digits and underscores, like order_confirmation")
		return
	case len(name) > TemplateNameMax:
		v.add("name", "is "+characters(count(name))+"; WhatsApp allows "+thousands(TemplateNameMax))
		return
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			msg := "must be lowercase letters, digits and underscores only, as WhatsApp names templates"
			if s := suggestName(name); s != "" {
				msg += ": " + s + ", for example"
			}
			v.add("name", msg)
			return
		}
	}
}

// suggestName turns "Order Confirmation!" into "order_confirmation".
func suggestName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		default:
			under = true
		}
		if b.Len() >= TemplateNameMax-1 {
			break
		}
	}
	return b.String()
}

// validLanguage accepts WhatsApp's language codes: "en", "en_US", "pt_BR",
// "zh_Hant", and the same written with a hyphen.
func validLanguage(s string) bool {
	if len(s) > LanguageMax {
		return false
	}
	lang, rest, _ := strings.Cut(strings.ReplaceAll(s, "-", "_"), "_")
	if len(lang) < 2 || len(lang) > 3 || strings.ToLower(lang) != lang || strings.Trim(lang, "abcdefghijklmnopqrstuvwxyz") != "" {
		return false
	}
	if rest == "" {
		return !strings.ContainsAny(s, "_-")
	}
	for _, sub := range strings.Split(rest, "_") {
		if len(sub) < 2 || len(sub) > 8 {
			return false
		}
		for _, r := range sub {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func options(t app.Template) int {
	switch t.Kind {
	case app.TemplateKindButtons, app.TemplateKindMedia:
		return len(t.Buttons)
	case app.TemplateKindList:
		if t.List == nil {
			return 0
		}
		n := 0
		for _, s := range t.List.Sections {
			n += len(s.Rows)
		}
		return n
	}
	return 0
}

func (v *validator) deliveryStyle(t app.Template) {
	switch t.DeliveryStyle {
	case "", app.TemplateDeliveryText, app.TemplateDeliveryInteractive:
	case app.TemplateDeliveryPoll:
		// A buttons or list template without options hears about it there.
		if n := options(t); n < PollOptionsMin && (n > 0 || t.Kind != app.TemplateKindButtons && t.Kind != app.TemplateKindList) {
			v.add("delivery_style", "cannot be poll: a poll needs at least "+strconv.Itoa(PollOptionsMin)+" options and this template has "+strconv.Itoa(n))
		}
	default:
		v.add("delivery_style", "must be text, poll or interactive")
	}
}

// mediaKinds maps a header type to the media kind it shows.
var mediaKinds = map[string]app.MediaKind{
	app.TemplateHeaderImage:    app.MediaImage,
	app.TemplateHeaderVideo:    app.MediaVideo,
	app.TemplateHeaderDocument: app.MediaDocument,
}

func article(kind string) string {
	if kind == "image" {
		return "an image"
	}
	return "a " + kind
}

func (v *validator) header(t app.Template, media MediaLookup) {
	h := t.Header
	if h == nil {
		if t.Kind == app.TemplateKindMedia {
			v.add("header", "is required for a media template: an image, a video or a document from the media library")
		}
		return
	}
	if h.Type == app.TemplateHeaderText {
		if t.Kind == app.TemplateKindMedia {
			v.add("header.type", "must be image, video or document: a media template leads with a file")
		}
		v.required("header.text", h.Text, HeaderTextMax, "write the header, or remove it")
		if h.MediaID != "" {
			v.add("header.media_id", "must be empty: a text header shows no file")
		}
		return
	}
	want, ok := mediaKinds[h.Type]
	if !ok {
		v.add("header.type", "must be text, image, video or document")
		return
	}
	if t.Kind != app.TemplateKindMedia {
		v.add("header.type", "cannot be "+h.Type+" for a "+t.Kind+" template: make it a media template, or use a text header")
	}
	if h.Text != "" {
		v.add("header.text", "must be empty: "+article(h.Type)+" header has no text; write it in the body, which is the caption")
	}
	if h.MediaID == "" {
		v.add("header.media_id", "is required: pick "+article(h.Type)+" from the media library")
		return
	}
	if media == nil {
		return
	}
	kind, status, found := media(h.MediaID)
	switch {
	case !found:
		v.add("header.media_id", "is not a file in the media library (it may have been deleted): pick another")
	case kind != want:
		v.add("header.media_id", "is "+article(string(kind))+"; "+article(h.Type)+" header needs "+article(string(want)))
	case status == app.MediaProcessing:
		v.add("header.media_id", "is still being processed: save again in a moment, once it is ready")
	case status != app.MediaReady:
		v.add("header.media_id", "could not be processed: upload the file again, or pick another")
	}
}

func (v *validator) triggers(triggers []string) {
	if len(triggers) > TriggersMax {
		v.add("triggers", "are "+strconv.Itoa(len(triggers))+"; a template has at most "+strconv.Itoa(TriggersMax))
	}
	seen := map[string]string{}
	for i, tr := range triggers {
		p := "triggers[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(tr) == "" {
			v.add(p, "is empty: a trigger is a word or phrase a customer sends, like menu")
			continue
		}
		v.text(p, tr, TriggerMax, false)
		if other, dup := seen[fold(tr)]; dup {
			v.add(p, "is the same as "+other)
			continue
		}
		seen[fold(tr)] = p
	}
}

// exampleEnv is how examples are measured: a two-digit currency (every
// ISO 4217 code has three letters, so the length is any such currency's)
// in UTC.
var exampleEnv = newEnv(RenderOptions{Currency: "USD"})

func (v *validator) variables(vars []app.TemplateVariable, c *Compiled) {
	if len(vars) > VariablesMax {
		v.add("variables", "are "+strconv.Itoa(len(vars))+"; a template has at most "+strconv.Itoa(VariablesMax))
	}
	seen := map[string]string{}
	for i, d := range vars {
		p := "variables[" + strconv.Itoa(i) + "]"
		switch {
		case !ValidName(d.Name):
			v.add(p+".name", "must be 1 to "+strconv.Itoa(NameMax)+" letters, digits and underscores, like customer_name")
		case seen[d.Name] != "":
			v.add(p+".name", "is the same as "+seen[d.Name])
		default:
			seen[d.Name] = p + ".name"
		}
		switch d.Type {
		case app.TemplateVarText, app.TemplateVarNumber, app.TemplateVarMoney, app.TemplateVarDate:
		default:
			v.add(p+".type", "must be text, number, money or date")
			continue
		}
		for _, raw := range []struct {
			field string
			value []byte
		}{{p + ".default", d.Default}, {p + ".example", d.Example}} {
			x, ok := decodeRaw(raw.value)
			switch {
			case !ok:
				v.add(raw.field, "is not valid JSON")
			case missing(x):
				if raw.field == p+".example" {
					v.add(raw.field, "is required: the preview, the length checks and WhatsApp's review of the template use it")
				}
			default:
				if _, bad := exampleEnv.format(d.Type, x); bad != "" {
					v.add(raw.field, string(bad))
				}
			}
		}
	}
	if c == nil {
		return
	}
	for i, d := range vars {
		for _, cv := range c.vars {
			if cv.name == d.Name && !cv.used {
				v.add("variables["+strconv.Itoa(i)+"].name", d.Name+" is declared but no text uses it: use {{"+d.Name+"}}, or remove it")
			}
		}
	}
}

// examples renders the template with the example values and reports what
// only then passes a limit. It needs a usable example for every variable;
// the missing ones are reported already.
func (v *validator) examples(c *Compiled) {
	vals := make([]string, len(c.vars))
	for i, cv := range c.vars {
		if missing(cv.example) {
			return
		}
		s, bad := exampleEnv.format(cv.typ, cv.example)
		if bad != "" {
			return
		}
		vals[i] = s
	}
	_, problems := c.build(vals, "with the example values")
	for _, p := range problems {
		if !v.has(p.Field) {
			v.errs = append(v.errs, p)
		}
	}
}
