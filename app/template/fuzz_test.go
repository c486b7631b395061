package template_test

import (
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"smartbot/app"
	"smartbot/app/template"
)

// Run one with, for example:
//
//	go test ./app/template -run '^$' -fuzz FuzzPlaceholders -fuzztime 3m

// expand is the placeholder rules written the slow, obvious way, to check
// the parser against: \{{ is {{; in a run of braces the last two open a
// placeholder; {{name}} is value(name); anything else is itself.
func expand(s string, value func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], `\{{`) {
			b.WriteString("{{")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "{{") {
			b.WriteByte(s[i])
			i++
			continue
		}
		k := i
		for k < len(s) && s[k] == '{' {
			k++
		}
		end := k
		for end < len(s) && end-k <= template.NameMax && (s[end] == '_' || s[end] >= '0' && s[end] <= '9' || s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
			end++
		}
		if name := s[k:end]; template.ValidName(name) && strings.HasPrefix(s[end:], "}}") {
			b.WriteString(s[i : k-2])
			b.WriteString(value(name))
			i = end + 2
			continue
		}
		b.WriteString(s[i:k])
		i = k
	}
	return b.String()
}

func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{
		"", "Hi {{name}}!", "{{", "}}", "{{}}", "{{a b}}", "{{{x}}}", "{{{{x}}}}", `\{{x}}`, `\\{{x}}`, `{\{{x}}`,
		"{{x}}{{y}}", "{{é}}", "{{" + strings.Repeat("n", 65) + "}}", "{{x", "a\n{{b}}\n", "*{{bold}}* _{{it}}_",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := template.Placeholders(s)
		for _, n := range names {
			if !template.ValidName(n) {
				t.Fatalf("placeholder name %q is not a valid name", n)
			}
		}
		// Every name becomes a variable whose value holds braces of its
		// own: they must come out as they are, never expanded.
		tpl := app.Template{Name: "f", Kind: app.TemplateKindText, Body: s}
		values := map[string]any{}
		value := func(n string) string { return "<{{" + n + "}}\\{{>" }
		for _, n := range names {
			tpl.Variables = append(tpl.Variables, app.TemplateVariable{Name: n, Type: app.TemplateVarText, Example: []byte(`"x"`)})
			values[n] = value(n)
		}
		c, cerr := template.CompileDraft(tpl)
		if cerr != nil {
			t.Fatal(cerr)
		}
		// A body over the limit or empty is an error that still shows it.
		r, _ := c.Render(values, template.RenderOptions{})
		if want := expand(s, value); r.Message.Text != want {
			t.Fatalf("rendered %q, want %q", r.Message.Text, want)
		}
		// The rules of save agree: a template Validate takes has no
		// malformed placeholder.
		if errs := template.Validate(tpl, nil); len(errs) == 0 && err != nil {
			t.Fatalf("Validate took %q, which has a malformed placeholder: %v", s, err)
		}
		// Escape makes any text show as it is.
		c, cerr = template.CompileDraft(app.Template{Name: "e", Kind: app.TemplateKindText, Body: "[" + template.Escape(s) + "]"})
		if cerr != nil {
			t.Fatal(cerr)
		}
		r, _ = c.Render(nil, template.RenderOptions{})
		if r.Message.Text != "["+s+"]" {
			t.Fatalf("Escape(%q) renders as %q", s, r.Message.Text)
		}
		if _, err := template.Placeholders(template.Escape(s)); err != nil {
			t.Fatalf("Escape(%q) has a malformed placeholder: %v", s, err)
		}
	})
}

// fuzzTemplate builds a template of kind k (0 to 3) from fuzzed texts,
// with a text variable {{a}} and a money variable {{m}} available.
func fuzzTemplate(k uint8, header, body, title, desc, footer string, style uint8) app.Template {
	t := app.Template{
		Name: "fuzz", Body: body, Footer: footer,
		Variables: []app.TemplateVariable{
			{Name: "a", Type: app.TemplateVarText, Example: []byte(`"Tariro"`)},
			{Name: "m", Type: app.TemplateVarMoney, Required: true, Example: []byte(`1250`)},
		},
		DeliveryStyle: []string{"text", "poll", "interactive"}[style%3],
	}
	switch k % 4 {
	case 0:
		t.Kind = app.TemplateKindText
		t.Header = &app.TemplateHeader{Type: "text", Text: header}
	case 1:
		t.Kind = app.TemplateKindButtons
		t.Header = &app.TemplateHeader{Type: "text", Text: header}
		t.Buttons = []app.TemplateButton{{ID: "one", Title: title}, {ID: "two", Title: "Two"}}
	case 2:
		t.Kind = app.TemplateKindList
		t.List = &app.TemplateList{Button: title, Sections: []app.TemplateSection{
			{Title: header, Rows: []app.TemplateRow{{ID: "r1", Title: title, Description: desc}, {ID: "r2", Title: "Second", Description: desc}}},
			{Title: "More", Rows: []app.TemplateRow{{ID: "r3", Title: "Third"}}},
		}}
	default:
		t.Kind = app.TemplateKindMedia
		t.Header = &app.TemplateHeader{Type: "image", MediaID: mediaID}
		t.Buttons = []app.TemplateButton{{ID: "one", Title: title}}
	}
	return t
}

func FuzzRender(f *testing.F) {
	f.Add(uint8(1), "Order {{a}}", "Hi {{a}}, your total is {{m}}.", "Pay {{m}}", "", "Reply any time", uint8(0), "Tariro", int64(1250))
	f.Add(uint8(2), "Drinks", "Menu for {{a}}", "Coffee", "From {{m}}", "", uint8(1), "Rudo\nMoyo", int64(-5))
	f.Add(uint8(3), "", "*{{a}}*\n{{m}}", "Add {{a}}", "", "", uint8(2), "{{m}}", int64(9223372036854775807))
	f.Add(uint8(0), "{{a}}", strings.Repeat("é", 1000)+"{{a}}", "", "", "{{a}}", uint8(0), strings.Repeat("x", 30), int64(0))
	f.Add(uint8(1), "", "{{{a}}} \\{{a}} {{a", "1", "", "", uint8(1), "  ", int64(1))
	f.Fuzz(func(t *testing.T, k uint8, header, body, title, desc, footer string, style uint8, a string, m int64) {
		tpl := fuzzTemplate(k, header, body, title, desc, footer, style)
		values := map[string]any{"a": a, "m": m}
		opts := template.RenderOptions{Currency: "USD"}

		// A template that passes Validate compiles, and previews with
		// its examples without an error.
		if errs := template.Validate(tpl, readyMedia); len(errs) == 0 {
			c, err := template.Compile(tpl)
			if err != nil {
				t.Fatalf("Validate took it, Compile refused: %v", err)
			}
			if _, err := c.Preview(nil, opts); err != nil {
				t.Fatalf("Validate took it, its examples do not render: %v", err)
			}
			r, err := c.Render(values, opts)
			if err == nil {
				checkRendered(t, tpl, r)
				for i, o := range r.Options {
					if id, ok := template.Match(r.Options, template.Reply{ButtonID: o.ID}); !ok || id != o.ID {
						t.Fatalf("a tap on option %d matches %q %v", i, id, ok)
					}
				}
			}
		}

		c, err := template.CompileDraft(tpl)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Render(values, opts)
		if err != nil {
			var e *app.Error
			if !errors.As(err, &e) || e.Code != app.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("error %v is not an EINVALID *app.Error naming fields", err)
			}
			return
		}
		checkRendered(t, tpl, r)
	})
}

// checkRendered fails t when a render that succeeded passes any of
// WhatsApp's limits or miscounts a length.
func checkRendered(t *testing.T, tpl app.Template, r template.Rendered) {
	t.Helper()
	within := func(what, s string, max int) {
		t.Helper()
		if n := utf8.RuneCountInString(s); n > max {
			t.Fatalf("%s is %d characters, over %d: %q", what, n, max, s)
		}
	}
	m := r.Message
	if m.Header != nil {
		within("header", m.Header.Text, template.HeaderTextMax)
	}
	within("body", m.Body, template.BodyMax)
	within("footer", m.Footer, template.FooterMax)
	if len(m.Buttons) > template.ButtonsMax {
		t.Fatalf("%d buttons", len(m.Buttons))
	}
	for _, b := range m.Buttons {
		within("button", b.Title, template.ButtonTitleMax)
		if strings.TrimSpace(b.Title) == "" {
			t.Fatal("an empty button title")
		}
	}
	if m.List != nil {
		within("list button", m.List.Button, template.ListButtonMax)
		rows := 0
		for _, s := range m.List.Sections {
			within("section", s.Title, template.SectionTitleMax)
			for _, row := range s.Rows {
				within("row title", row.Title, template.RowTitleMax)
				within("row description", row.Description, template.RowDescriptionMax)
				rows++
			}
		}
		if rows == 0 || rows > template.RowsMax || len(m.List.Sections) > template.SectionsMax {
			t.Fatalf("%d rows in %d sections", rows, len(m.List.Sections))
		}
	}
	switch {
	case tpl.Kind == app.TemplateKindMedia && tpl.DeliveryStyle == app.TemplateDeliveryText:
		within("caption", r.Text, template.BodyMax)
	default:
		within("text", r.Text, template.TextMax)
	}
	if m.Type == template.MessageText || m.Type == template.MessageMedia {
		if m.Text != r.Text {
			t.Fatalf("message text %q is not the text form %q", m.Text, r.Text)
		}
	} else if strings.TrimSpace(m.Body) == "" {
		t.Fatal("an empty body")
	}
	if n := utf8.RuneCountInString(r.Text); r.Lengths["text"] != n {
		t.Fatalf("lengths[text] = %d, the text has %d", r.Lengths["text"], n)
	}
	if p := r.Poll; p != nil {
		within("poll name", p.Name, template.PollNameMax)
		if n := utf8.RuneCountInString(p.Name); r.Lengths["poll.name"] != n {
			t.Fatalf("lengths[poll.name] = %d, the name has %d", r.Lengths["poll.name"], n)
		}
		if len(p.Options) < template.PollOptionsMin || len(p.Options) > template.PollOptionsMax || p.Name == "" {
			t.Fatalf("poll %+v", p)
		}
		for _, o := range p.Options {
			within("poll option", o.Title, template.PollOptionMax)
			h := sha256.Sum256([]byte(o.Title))
			if id, ok := template.Match(p.Options, template.Reply{PollHash: h[:]}); ok && id != o.ID {
				t.Fatalf("a vote for %q matches %q", o.Title, id)
			}
		}
	}
	for i, o := range r.Options {
		if id, ok := template.Match(r.Options, template.Reply{Text: strconv.Itoa(i + 1)}); ok && id != o.ID {
			t.Fatalf("typing %d matches %q, not %q", i+1, id, o.ID)
		}
	}
}
