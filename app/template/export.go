package template

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"smartbot/app"
)

// Export writes t as WhatsApp Business Cloud API message-template JSON,
// what a shop posts to register the same template with Meta: name,
// language, category, and HEADER, BODY, FOOTER and BUTTONS components.
// Placeholders become positional parameters, {{1}}, {{2}}… numbered by
// first appearance within each component, each with its example value
// written as opts would render it.
//
// Meta's templates are narrower than Smartbot's, and where they cannot
// say the same thing Export refuses with an EINVALID *app.Error naming
// every field: at most one variable in the header, none in the footer or
// the buttons, no variable first or last in the body or two side by side,
// and no literal {{. A list's rows become quick-reply buttons (Meta has no
// list templates; it allows ten quick replies, a list's row limit), which
// drops the list's button text, section titles and row descriptions. A
// media header is written without its sample: the sample must be uploaded
// to Meta, whose upload gives the handle for example.header_handle.
func Export(t app.Template, opts RenderOptions) ([]byte, error) {
	if errs := Validate(t, nil); len(errs) > 0 {
		return nil, invalid("The template is not valid", errs)
	}
	c, _, _ := compile(t)
	e := newEnv(opts)
	examples := make([]string, len(c.vars))
	for i, v := range c.vars {
		s, bad := e.format(v.typ, v.example)
		if bad != "" {
			return nil, invalid("The template's examples do not fit", []app.FieldError{{Field: "variables[" + strconv.Itoa(i) + "].example", Message: string(bad)}})
		}
		examples[i] = s
	}

	x := exported{Name: t.Name, Language: strings.ReplaceAll(t.Language, "-", "_"), Category: strings.ToUpper(t.Category), ParameterFormat: "POSITIONAL"}
	if x.Language == "" {
		x.Language = "en"
	}
	if x.Category == "" {
		x.Category = strings.ToUpper(app.TemplateCategoryUtility)
	}
	var errs []app.FieldError
	meta := func(field, text string, maxVars int, body bool) (string, []string) {
		out, vals, problem := positional(text, c, examples, maxVars, body)
		if problem != "" {
			errs = append(errs, app.FieldError{Field: field, Message: problem})
		}
		return out, vals
	}

	if h := t.Header; h != nil && h.Type == app.TemplateHeaderText {
		text, vals := meta("header.text", h.Text, 1, false)
		comp := component{Type: "HEADER", Format: "TEXT", Text: text}
		if len(vals) > 0 {
			comp.Example = &example{HeaderText: vals}
		}
		x.Components = append(x.Components, comp)
	} else if h != nil {
		x.Components = append(x.Components, component{Type: "HEADER", Format: strings.ToUpper(h.Type)})
	}
	text, vals := meta("body", t.Body, -1, true)
	body := component{Type: "BODY", Text: text}
	if len(vals) > 0 {
		body.Example = &example{BodyText: [][]string{vals}}
	}
	x.Components = append(x.Components, body)
	if t.Footer != "" {
		text, _ := meta("footer", t.Footer, 0, false)
		x.Components = append(x.Components, component{Type: "FOOTER", Text: text})
	}
	var buttons []exportedButton
	for i, b := range t.Buttons {
		text, _ := meta("buttons["+strconv.Itoa(i)+"].title", b.Title, 0, false)
		buttons = append(buttons, exportedButton{Type: "QUICK_REPLY", Text: text})
	}
	if t.List != nil {
		for i, s := range t.List.Sections {
			for j, r := range s.Rows {
				text, _ := meta("list.sections["+strconv.Itoa(i)+"].rows["+strconv.Itoa(j)+"].title", r.Title, 0, false)
				buttons = append(buttons, exportedButton{Type: "QUICK_REPLY", Text: text})
			}
		}
	}
	if len(buttons) > 0 {
		x.Components = append(x.Components, component{Type: "BUTTONS", Buttons: buttons})
	}
	if len(errs) > 0 {
		return nil, invalid("WhatsApp's message templates cannot hold this template as it is", errs)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type exported struct {
	Name            string      `json:"name"`
	Language        string      `json:"language"`
	Category        string      `json:"category"`
	ParameterFormat string      `json:"parameter_format"`
	Components      []component `json:"components"`
}

type component struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Example *example         `json:"example,omitempty"`
	Buttons []exportedButton `json:"buttons,omitempty"`
}

type example struct {
	HeaderText []string   `json:"header_text,omitempty"`
	BodyText   [][]string `json:"body_text,omitempty"`
}

type exportedButton struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// positional rewrites text's placeholders as {{1}}, {{2}}… and returns the
// example value of each number, or why Meta would refuse the text:
// more than maxVars variables (-1: any number), and in a body a variable
// first, last, or beside another.
func positional(text string, c *Compiled, examples []string, maxVars int, body bool) (string, []string, string) {
	parts, _ := parse(text)
	var b strings.Builder
	var vals, names []string
	for i, p := range parts {
		if !p.isVar {
			if strings.Contains(p.text, "{{") {
				return "", nil, "shows {{ as text, which WhatsApp's templates cannot: remove it"
			}
			b.WriteString(p.text)
			continue
		}
		if body {
			switch {
			case i == 0 || i == 1 && strings.TrimSpace(parts[0].text) == "":
				return "", nil, "starts with {{" + p.text + "}}, which WhatsApp's templates do not allow: begin with a word"
			case i == len(parts)-1 || i == len(parts)-2 && strings.TrimSpace(parts[i+1].text) == "" && !parts[i+1].isVar:
				return "", nil, "ends with {{" + p.text + "}}, which WhatsApp's templates do not allow: end with a word or a full stop"
			case parts[i-1].isVar || i >= 2 && parts[i-2].isVar && strings.TrimSpace(parts[i-1].text) == "":
				return "", nil, "has two variables side by side before {{" + p.text + "}}, which WhatsApp's templates do not allow: put words between them"
			}
		}
		n := slices.Index(names, p.text)
		if n < 0 {
			names = append(names, p.text)
			n = len(names) - 1
			for j, v := range c.vars {
				if v.name == p.text {
					vals = append(vals, examples[j])
				}
			}
		}
		b.WriteString("{{" + strconv.Itoa(n+1) + "}}")
	}
	if maxVars >= 0 && len(names) > maxVars {
		if maxVars == 0 {
			return "", nil, "uses {{" + names[0] + "}}, but WhatsApp's templates allow no variables here"
		}
		return "", nil, "uses " + strconv.Itoa(len(names)) + " variables, but WhatsApp's templates allow " + strconv.Itoa(maxVars) + " in the header"
	}
	return b.String(), vals, ""
}
