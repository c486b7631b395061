package template

import (
	"strconv"
	"strings"

	"smartbot/app"
)

// Message types: what the transport sends when the delivery style is
// interactive.
const (
	MessageText    = "text"    // a plain text message: Text
	MessageMedia   = "media"   // a file with a caption: Header (the file), Text (the caption)
	MessageButtons = "buttons" // reply buttons: Header (text or file), Body, Footer, Buttons
	MessageList    = "list"    // a list: Header (text), Body, Footer, List
)

// Message is the structured WhatsApp message, values filled in: a plain
// Go shape the transport maps onto WhatsApp's own.
type Message struct {
	Type    string               `json:"type"`
	Text    string               `json:"text,omitempty"`
	Header  *app.TemplateHeader  `json:"header,omitempty"`
	Body    string               `json:"body,omitempty"`
	Footer  string               `json:"footer,omitempty"`
	Buttons []app.TemplateButton `json:"buttons,omitempty"`
	List    *app.TemplateList    `json:"list,omitempty"`
}

// Option is one choice a message offers: a reply button or a list row.
// Its number in the text form is its place in the slice, from 1.
type Option struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Poll is the poll form of a message with options: WhatsApp shows polls
// on every client. Each option's name is its Title; WhatsApp reports a
// vote as the name (or its SHA-256), which Match maps back to the ID.
type Poll struct {
	// Intro is sent just before the poll when the message does not fit a
	// poll's question (PollNameMax characters) or carries a file.
	Intro *Message `json:"intro,omitempty"`
	// Name is the poll's question: the whole message when it fits;
	// otherwise the list's button text, or the body's last line.
	Name    string   `json:"name"`
	Options []Option `json:"options"`
	// SelectableCount is always 1: a reply picks one option.
	SelectableCount int `json:"selectable_count"`
}

// Rendered is one render of a template: its three forms, what its options
// are, and how long each field came out.
type Rendered struct {
	// Style is the template's delivery style: which form to send.
	Style   string  `json:"delivery_style"`
	Message Message `json:"message"`
	// Poll is nil unless the message has PollOptionsMin to PollOptionsMax
	// options.
	Poll *Poll `json:"poll"`
	// Text is the plain-text form: the message with its options numbered
	// ("1. Catalog"). For a media template it is the file's caption.
	Text string `json:"text"`
	// Options are the choices, in order; keep them with the sent message
	// for Match. Poll.Options is the same slice.
	Options []Option `json:"options"`
	// Lengths counts the characters of each field present, by its path
	// ("body", "buttons[0].title"), and of "text" and "poll.name".
	Lengths map[string]int `json:"lengths"`
	// Warnings are sentences for the person writing the template: a field
	// near its limit, a poll sent in two parts.
	Warnings []string `json:"warnings"`
}

// Render fills the template with values and returns its three forms.
//
// Each value is checked against its variable's type (see RenderOptions
// and Money for the shapes); a missing one (absent, null or "") takes its
// default, and a required one without a default is an error. Values for
// names the template does not declare are ignored, so a caller may pass
// one bag of values to any template. Text values are inserted as they are
// (a {{ in a value stays {{); in a single-line field (everything but the
// body) their line breaks and tabs become spaces.
//
// A value that does not fit gives an EINVALID *app.Error naming each bad
// variable ("variables.total") and a zero Rendered. A result beyond
// WhatsApp's limits (a body over 1,024 characters with these values) gives
// an EINVALID *app.Error naming each field, and the Rendered as it came
// out, so that a preview can show it.
func (c *Compiled) Render(values map[string]any, opts RenderOptions) (Rendered, error) {
	return c.render(values, opts, false)
}

// Preview is Render for the editor and the API's preview: a value not
// given is taken from the variable's example, then its default.
func (c *Compiled) Preview(values map[string]any, opts RenderOptions) (Rendered, error) {
	return c.render(values, opts, true)
}

func (c *Compiled) render(values map[string]any, opts RenderOptions, examples bool) (Rendered, error) {
	e := newEnv(opts)
	vals, errs := c.resolve(&e, values, examples)
	if len(errs) > 0 {
		return Rendered{}, invalid("Some values do not fit the template", errs)
	}
	phrase := "with these values"
	if examples && len(values) == 0 {
		phrase = "with the example values"
	}
	r, problems := c.build(vals, phrase)
	if len(problems) > 0 {
		return r, invalid("The message goes beyond WhatsApp's limits "+phrase, problems)
	}
	return r, nil
}

// resolve checks and formats the value of every variable.
func (c *Compiled) resolve(e *env, values map[string]any, examples bool) ([]string, []app.FieldError) {
	vals := make([]string, len(c.vars))
	var errs []app.FieldError
	for i := range c.vars {
		v := &c.vars[i]
		x := values[v.name]
		if missing(x) && examples {
			x = v.example
		}
		if missing(x) {
			if !v.hasDefault {
				if v.required {
					errs = append(errs, app.FieldError{Field: "variables." + v.name, Message: "is required and has no default"})
				}
				continue
			}
			x = v.def
		}
		s, bad := e.format(v.typ, x)
		if bad != "" {
			errs = append(errs, app.FieldError{Field: "variables." + v.name, Message: string(bad)})
			continue
		}
		vals[i] = s
	}
	return vals, errs
}

// fill writes one field with the values.
func (f *field) fill(vals []string) string {
	if !f.dynamic {
		return f.static
	}
	n := 0
	for _, s := range f.segs {
		if s.v < 0 {
			n += len(s.lit)
		} else {
			n += len(vals[s.v])
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range f.segs {
		switch {
		case s.v < 0:
			b.WriteString(s.lit)
		case f.singleLine && strings.ContainsAny(vals[s.v], "\n\t"):
			for _, r := range vals[s.v] {
				if r == '\n' || r == '\t' {
					r = ' '
				}
				b.WriteRune(r)
			}
		default:
			b.WriteString(vals[s.v])
		}
	}
	return b.String()
}

// build makes the three forms from the values and checks them against
// WhatsApp's limits; phrase ends the sentences about lengths.
func (c *Compiled) build(vals []string, phrase string) (Rendered, []app.FieldError) {
	texts := make([]string, len(c.fields))
	lens := make([]int, len(c.fields))
	r := Rendered{Style: c.style, Options: []Option{}, Lengths: make(map[string]int, len(c.fields)+2), Warnings: []string{}}
	var problems []app.FieldError
	for i, f := range c.fields {
		s := f.fill(vals)
		texts[i] = s
		n := f.staticLen
		if f.dynamic {
			n = count(s)
		}
		lens[i] = n
		if n > 0 || f.dynamic {
			r.Lengths[f.path] = n
		}
		if n > f.max {
			msg := "is " + characters(n)
			if f.dynamic {
				msg += " " + phrase
			}
			problems = append(problems, app.FieldError{Field: f.path, Message: msg + "; WhatsApp allows " + thousands(f.max)})
		} else if f.dynamic && n*100 >= f.max*warnAtPercent {
			r.Warnings = append(r.Warnings, f.path+" is "+thousands(n)+"/"+thousands(f.max)+" characters "+phrase)
		}
	}
	text := func(f *field) string {
		if f == nil {
			return ""
		}
		return texts[f.idx]
	}
	empty := func(f *field) {
		if f != nil && strings.TrimSpace(texts[f.idx]) == "" {
			msg := "is empty"
			if f.dynamic {
				msg += " " + phrase
			}
			problems = append(problems, app.FieldError{Field: f.path, Message: msg})
		}
	}
	empty(c.header)
	empty(c.body)
	switch {
	case c.kind == app.TemplateKindButtons && len(c.buttons) == 0:
		problems = append(problems, app.FieldError{Field: "buttons", Message: "are required: a buttons template has 1 to " + strconv.Itoa(ButtonsMax) + " reply buttons"})
	case c.list != nil && c.rows == 0:
		problems = append(problems, app.FieldError{Field: "list.sections", Message: "are required: at least one section with a row"})
	}

	var header *app.TemplateHeader
	switch {
	case c.media != nil:
		header = &app.TemplateHeader{Type: c.media.Type, MediaID: c.media.MediaID}
	case c.header != nil:
		header = &app.TemplateHeader{Type: app.TemplateHeaderText, Text: text(c.header)}
	}
	body, footer := text(c.body), text(c.footer)

	switch {
	case len(c.buttons) > 0:
		if len(c.buttons) > ButtonsMax {
			problems = append(problems, app.FieldError{Field: "buttons", Message: "has " + strconv.Itoa(len(c.buttons)) + " buttons; WhatsApp allows " + strconv.Itoa(ButtonsMax)})
		}
		buttons := make([]app.TemplateButton, len(c.buttons))
		r.Options = make([]Option, len(c.buttons))
		for i, b := range c.buttons {
			empty(b.title)
			buttons[i] = app.TemplateButton{ID: b.id, Title: text(b.title)}
			r.Options[i] = Option{ID: b.id, Title: buttons[i].Title}
		}
		r.Message = Message{Type: MessageButtons, Header: header, Body: body, Footer: footer, Buttons: buttons}
	case c.list != nil:
		if c.rows > RowsMax {
			problems = append(problems, app.FieldError{Field: "list.sections", Message: "have " + strconv.Itoa(c.rows) + " rows in all; WhatsApp allows " + strconv.Itoa(RowsMax)})
		}
		if len(c.list.sections) > SectionsMax {
			problems = append(problems, app.FieldError{Field: "list.sections", Message: "are " + strconv.Itoa(len(c.list.sections)) + "; WhatsApp allows " + strconv.Itoa(SectionsMax)})
		}
		empty(c.list.button)
		l := &app.TemplateList{Button: text(c.list.button), Sections: make([]app.TemplateSection, len(c.list.sections))}
		rows := make([]app.TemplateRow, c.rows)
		r.Options = make([]Option, c.rows)
		n := 0
		for i, s := range c.list.sections {
			if len(c.list.sections) > 1 {
				empty(s.title)
			}
			start := n
			for _, w := range s.rows {
				empty(w.title)
				rows[n] = app.TemplateRow{ID: w.id, Title: text(w.title), Description: text(w.desc)}
				r.Options[n] = Option(rows[n])
				n++
			}
			l.Sections[i] = app.TemplateSection{Title: text(s.title), Rows: rows[start:n:n]}
		}
		r.Message = Message{Type: MessageList, Header: header, Body: body, Footer: footer, List: l}
	}

	r.Text, r.Lengths["text"] = c.textForm(texts, lens)
	switch {
	case c.media != nil && len(c.buttons) == 0:
		r.Message = Message{Type: MessageMedia, Header: header, Text: r.Text}
	case c.media == nil && len(c.buttons) == 0 && c.list == nil:
		r.Message = Message{Type: MessageText, Text: r.Text}
	}
	if n := r.Lengths["text"]; c.media != nil && n > BodyMax {
		msg := "makes a caption of " + characters(n) + " " + phrase + " once the options are numbered under it; WhatsApp allows " + thousands(BodyMax)
		if c.style == app.TemplateDeliveryText {
			problems = append(problems, app.FieldError{Field: "body", Message: msg})
		} else {
			r.Warnings = append(r.Warnings, "body "+msg+": the text form cannot be sent")
		}
	} else if n > TextMax {
		problems = append(problems, app.FieldError{Field: "body", Message: "makes a text of " + characters(n) + " " + phrase + " once the options are numbered under it; WhatsApp allows " + thousands(TextMax)})
	}

	if len(r.Options) >= PollOptionsMin && len(r.Options) <= PollOptionsMax {
		r.Poll, r.Lengths["poll.name"] = c.poll(r.Options, header, texts, lens)
		if r.Poll.Intro != nil && c.media == nil {
			r.Warnings = append(r.Warnings, "the poll form is sent in two parts: the message is longer than a poll's question may be ("+
				thousands(PollNameMax)+" characters), so it goes first and the poll asks \""+snippet(r.Poll.Name)+"\"")
		}
	}
	return r, problems
}
