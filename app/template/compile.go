package template

import (
	"strconv"
	"strings"

	"smartbot/app"
)

// Compiled is a template parsed once, ready to render many times. It is
// immutable and safe for concurrent use.
type Compiled struct {
	kind    string
	style   string
	media   *app.TemplateHeader // a media header, else nil
	vars    []variable
	header  *field // a text header, else nil
	body    *field
	footer  *field
	buttons []button
	list    *list
	rows    int // rows in all sections
	fields  []*field
}

// variable is a declared variable, its default decoded.
type variable struct {
	name       string
	typ        string
	required   bool
	def        any
	hasDefault bool
	example    any
	used       bool // some text of the template uses it
}

// field is one text of the template, split at its placeholders.
type field struct {
	idx        int // in Compiled.fields
	path       string
	max        int
	segs       []segment
	static     string // the whole text when it has no placeholders
	staticLen  int
	dynamic    bool
	singleLine bool
}

// segment is literal text, or (v >= 0) the value of variable v.
type segment struct {
	lit string
	v   int
}

type button struct {
	id    string
	title *field
}

type list struct {
	button   *field
	sections []section
}

type section struct {
	title *field
	rows  []row
}

type row struct {
	id          string
	title, desc *field
}

// Compile parses a valid template for rendering. A template Validate
// refuses (media aside, which Compile does not look up) is refused here
// too, with the same field errors in an EINVALID *app.Error.
func Compile(t app.Template) (*Compiled, error) {
	if errs := Validate(t, nil); len(errs) > 0 {
		return nil, invalid("The template is not valid", errs)
	}
	c, _, _ := compile(t)
	return c, nil
}

// CompileDraft compiles a template however broken, for a live preview
// while it is being written: a malformed or undeclared placeholder shows
// as the text that was typed, a variable that cannot be read is left
// out, and Render still reports every limit the result passes. It fails
// only for a kind it cannot render: a list without a list, a media
// template without a media header, an unknown kind.
func CompileDraft(t app.Template) (*Compiled, error) {
	c, _, shape := compile(t)
	if c == nil {
		return nil, invalid("The template cannot be shown", []app.FieldError{*shape})
	}
	return c, nil
}

// compile builds the compiled form and returns, beside it, the problems of
// its placeholders. For a shape it cannot render it returns a nil
// *Compiled and why (Validate says it in its own words).
func compile(t app.Template) (*Compiled, []app.FieldError, *app.FieldError) {
	var errs []app.FieldError
	c := &Compiled{kind: t.Kind, style: t.DeliveryStyle}
	if c.style == "" {
		c.style = app.TemplateDeliveryText
	}
	index := make(map[string]int, len(t.Variables))
	declared := make(map[string]bool, len(t.Variables))
	reported := map[string]bool{}
	for _, v := range t.Variables {
		declared[v.Name] = true
		if !ValidName(v.Name) {
			continue // Validate says why
		}
		if _, dup := index[v.Name]; dup {
			continue
		}
		switch v.Type {
		case app.TemplateVarText, app.TemplateVarNumber, app.TemplateVarMoney, app.TemplateVarDate:
		default:
			continue
		}
		def, ok := decodeRaw(v.Default)
		if !ok {
			continue // Validate says why
		}
		ex, _ := decodeRaw(v.Example)
		index[v.Name] = len(c.vars)
		c.vars = append(c.vars, variable{name: v.Name, typ: v.Type, required: v.Required, def: def, hasDefault: !missing(def), example: ex})
	}

	add := func(path, text string, max int, singleLine bool) *field {
		f := &field{idx: len(c.fields), path: path, max: max, singleLine: singleLine}
		parts, bad := parse(text)
		for _, m := range bad {
			errs = append(errs, app.FieldError{Field: path, Message: m.message})
		}
		var lit strings.Builder
		for _, p := range parts {
			if !p.isVar {
				lit.WriteString(p.text)
				continue
			}
			v, ok := index[p.text]
			if !ok {
				if key := path + " " + p.text; !declared[p.text] && !reported[key] { // a declared one's own error says why
					reported[key] = true
					errs = append(errs, app.FieldError{Field: path, Message: "uses {{" + p.text + "}}, which is not a declared variable: declare it, or write \\{{ to show {{ as it is"})
				}
				lit.WriteString("{{" + p.text + "}}")
				continue
			}
			c.vars[v].used = true
			if lit.Len() > 0 {
				f.segs = append(f.segs, segment{lit: lit.String(), v: -1})
				lit.Reset()
			}
			f.segs = append(f.segs, segment{v: v})
			f.dynamic = true
		}
		if lit.Len() > 0 {
			f.segs = append(f.segs, segment{lit: lit.String(), v: -1})
		}
		if !f.dynamic {
			if len(f.segs) == 1 {
				f.static = f.segs[0].lit
			}
			f.staticLen = count(f.static)
		}
		c.fields = append(c.fields, f)
		return f
	}

	var shape *app.FieldError
	switch t.Kind {
	case app.TemplateKindText, app.TemplateKindButtons, app.TemplateKindList, app.TemplateKindMedia:
	default:
		shape = &app.FieldError{Field: "kind", Message: "must be text, buttons, list or media"}
	}
	if h := t.Header; h != nil {
		if h.Type == app.TemplateHeaderText {
			c.header = add("header.text", h.Text, HeaderTextMax, true)
		} else if t.Kind == app.TemplateKindMedia {
			c.media = &app.TemplateHeader{Type: h.Type, MediaID: h.MediaID}
		}
	}
	if t.Kind == app.TemplateKindMedia && c.media == nil {
		shape = &app.FieldError{Field: "header", Message: "must be an image, a video or a document for a media template"}
	}
	c.body = add("body", t.Body, BodyMax, false)
	c.footer = add("footer", t.Footer, FooterMax, true)
	if t.Kind == app.TemplateKindButtons || t.Kind == app.TemplateKindMedia {
		for i, b := range t.Buttons {
			c.buttons = append(c.buttons, button{id: b.ID, title: add("buttons["+strconv.Itoa(i)+"].title", b.Title, ButtonTitleMax, true)})
		}
	}
	if t.Kind == app.TemplateKindList && t.List == nil {
		shape = &app.FieldError{Field: "list", Message: "is required for a list template: a button and at least one section of rows"}
	}
	if t.Kind == app.TemplateKindList && t.List != nil {
		c.list = &list{button: add("list.button", t.List.Button, ListButtonMax, true)}
		c.list.sections = make([]section, len(t.List.Sections))
		for i, s := range t.List.Sections {
			sp := "list.sections[" + strconv.Itoa(i) + "]"
			sec := &c.list.sections[i]
			sec.title = add(sp+".title", s.Title, SectionTitleMax, true)
			sec.rows = make([]row, len(s.Rows))
			for j, r := range s.Rows {
				rp := sp + ".rows[" + strconv.Itoa(j) + "]"
				sec.rows[j] = row{id: r.ID, title: add(rp+".title", r.Title, RowTitleMax, true), desc: add(rp+".description", r.Description, RowDescriptionMax, true)}
			}
			c.rows += len(s.Rows)
		}
	}
	if shape != nil {
		return nil, errs, shape
	}
	return c, errs, nil
}

// invalid is an EINVALID error whose message names every field at fault.
func invalid(lead string, errs []app.FieldError) *app.Error {
	var b strings.Builder
	b.WriteString(lead)
	for i, e := range errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(e.Field + " " + e.Message)
	}
	b.WriteString(".")
	return &app.Error{Code: app.EINVALID, Message: b.String(), Fields: errs}
}
