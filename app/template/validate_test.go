package template_test

import (
	"fmt"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/template"
)

// chars is n characters, two bytes each: lengths are counted in
// characters, never bytes.
func chars(n int) string { return strings.Repeat("é", n) }

// padded is s followed by enough characters to be n long.
func padded(s string, n int) string { return s + chars(n-len([]rune(s))) }

// rows makes n list rows with distinct ids and titles.
func rows(n int) []app.TemplateRow {
	out := make([]app.TemplateRow, n)
	for i := range out {
		out[i] = app.TemplateRow{ID: fmt.Sprintf("r%d", i), Title: fmt.Sprintf("Row %c", 'A'+i)}
	}
	return out
}

// sections makes n sections of one row each.
func sections(n int) []app.TemplateSection {
	out := make([]app.TemplateSection, n)
	for i := range out {
		out[i] = app.TemplateSection{Title: fmt.Sprintf("Section %d", i), Rows: []app.TemplateRow{{ID: fmt.Sprintf("r%d", i), Title: fmt.Sprintf("Row %c", 'A'+i)}}}
	}
	return out
}

func buttons(n int) []app.TemplateButton {
	out := make([]app.TemplateButton, n)
	for i := range out {
		out[i] = app.TemplateButton{ID: fmt.Sprintf("b%d", i), Title: fmt.Sprintf("Button %c", 'A'+i)}
	}
	return out
}

// A limit checked at its value and one over: at passes, over fails
// naming field, with a message that gives the limit.
type limitCase struct {
	name  string
	field string
	base  func() app.Template
	set   func(t *app.Template, n int)
	limit int
	also  string // a field that fails too, for a reason of its own
}

func limitCases() []limitCase {
	withExample := func(t *app.Template, name, example string) {
		for i, v := range t.Variables {
			if v.Name == name {
				t.Variables[i].Example = raw(fmt.Sprintf("%q", example))
			}
		}
	}
	return []limitCase{
		{"the name", "name", buttonsTemplate, func(t *app.Template, n int) { t.Name = strings.Repeat("a", n) }, template.TemplateNameMax, ""},
		{"the header text", "header.text", buttonsTemplate, func(t *app.Template, n int) { t.Header.Text = "{{order_number}}" + chars(n-16) }, template.HeaderTextMax, ""},
		{"the header text with the example values", "header.text", buttonsTemplate, func(t *app.Template, n int) {
			t.Header.Text = "Order {{order_number}}"
			withExample(t, "order_number", chars(n-len("Order ")))
		}, template.HeaderTextMax, ""},
		{"the body", "body", buttonsTemplate, func(t *app.Template, n int) {
			t.Body = padded("{{customer_name}} {{order_number}} {{total}}", n)
		}, template.BodyMax, ""},
		{"the body with the example values", "body", buttonsTemplate, func(t *app.Template, n int) {
			t.Body = "Hi {{customer_name}}, your total is {{total}}."
			withExample(t, "customer_name", chars(n-len("Hi , your total is USD 12.50.")))
		}, template.BodyMax, ""},
		{"the footer", "footer", buttonsTemplate, func(t *app.Template, n int) { t.Footer = chars(n) }, template.FooterMax, ""},
		{"the footer with the example values", "footer", buttonsTemplate, func(t *app.Template, n int) {
			t.Footer = "For {{customer_name}}"
			withExample(t, "customer_name", chars(n-4))
		}, template.FooterMax, ""},
		{"the number of reply buttons", "buttons", buttonsTemplate, func(t *app.Template, n int) { t.Buttons = buttons(n) }, template.ButtonsMax, ""},
		{"the number of buttons under a picture", "buttons", mediaTemplate, func(t *app.Template, n int) { t.Buttons = buttons(n) }, template.ButtonsMax, ""},
		{"a reply button's title", "buttons[1].title", buttonsTemplate, func(t *app.Template, n int) { t.Buttons[1].Title = chars(n) }, template.ButtonTitleMax, ""},
		{"a reply button's title with the example values", "buttons[2].title", buttonsTemplate, func(t *app.Template, n int) {
			t.Buttons[2].Title = "Pay {{total}}" + chars(n-len("Pay USD 12.50"))
		}, template.ButtonTitleMax, ""},
		{"a reply button's id", "buttons[0].id", buttonsTemplate, func(t *app.Template, n int) { t.Buttons[0].ID = strings.Repeat("x", n) }, template.ButtonIDMax, ""},
		{"the list's button", "list.button", listTemplate, func(t *app.Template, n int) { t.List.Button = chars(n) }, template.ListButtonMax, ""},
		{"the number of sections", "list.sections", listTemplate, func(t *app.Template, n int) {
			t.List.Sections = sections(n)
			t.Variables = t.Variables[:2] // roast and sandwich_price are no longer used
		}, template.SectionsMax, "list.sections"}, // 11 sections hold 11 rows at least
		{"the number of rows in all sections", "list.sections", listTemplate, func(t *app.Template, n int) {
			t.List.Sections = []app.TemplateSection{{Title: "A", Rows: rows(n - 2)}, {Title: "B", Rows: []app.TemplateRow{{ID: "y", Title: "Y"}, {ID: "z", Title: "Z"}}}}
			t.Variables = t.Variables[:2] // roast and sandwich_price are no longer used
		}, template.RowsMax, ""},
		{"a section's title", "list.sections[1].title", listTemplate, func(t *app.Template, n int) { t.List.Sections[1].Title = chars(n) }, template.SectionTitleMax, ""},
		{"a row's title", "list.sections[2].rows[1].title", listTemplate, func(t *app.Template, n int) { t.List.Sections[2].Rows[1].Title = chars(n) }, template.RowTitleMax, ""},
		{"a row's title with the example values", "list.sections[2].rows[0].title", listTemplate, func(t *app.Template, n int) {
			t.List.Sections[2].Rows[0].Title = "For {{customer_name}}"
			withExample(t, "customer_name", chars(n-len("For ")))
		}, template.RowTitleMax, ""},
		{"a row's description", "list.sections[0].rows[1].description", listTemplate, func(t *app.Template, n int) {
			t.List.Sections[0].Rows[1].Description = chars(n)
		}, template.RowDescriptionMax, ""},
		{"a row's description with the example values", "list.sections[0].rows[0].description", listTemplate, func(t *app.Template, n int) {
			t.List.Sections[0].Rows[0].Description = "Hot {{roast}}"
			withExample(t, "roast", chars(n-len("Hot ")))
		}, template.RowDescriptionMax, ""},
		{"a row's id", "list.sections[0].rows[0].id", listTemplate, func(t *app.Template, n int) { t.List.Sections[0].Rows[0].ID = strings.Repeat("x", n) }, template.RowIDMax, ""},
		{"a variable's name", "variables[0].name", textTemplate, func(t *app.Template, n int) {
			name := strings.Repeat("v", n)
			t.Variables[0].Name = name
			t.Body = strings.ReplaceAll(t.Body, "{{customer_name}}", "{{"+name+"}}")
		}, template.NameMax, "body"}, // a placeholder's name has the same limit
		{"the number of variables", "variables", textTemplate, func(t *app.Template, n int) {
			t.Variables = nil
			t.Header = nil
			t.Body = ""
			for i := range n {
				name := fmt.Sprintf("v%d", i)
				t.Variables = append(t.Variables, textVar(name, "x"))
				t.Body += "{{" + name + "}} "
			}
		}, template.VariablesMax, ""},
		{"the number of triggers", "triggers", textTemplate, func(t *app.Template, n int) {
			t.Triggers = nil
			for i := range n {
				t.Triggers = append(t.Triggers, fmt.Sprintf("word %d", i))
			}
		}, template.TriggersMax, ""},
		{"a trigger", "triggers[0]", textTemplate, func(t *app.Template, n int) { t.Triggers = []string{chars(n)} }, template.TriggerMax, ""},
		{"the language code", "language", textTemplate, func(t *app.Template, n int) { t.Language = "sr_Latn_" + strings.Repeat("a", n-8) }, template.LanguageMax, ""},
	}
}

func TestEveryLimitHoldsAtItsValueAndFailsOneOver(t *testing.T) {
	for _, c := range limitCases() {
		t.Run(c.name, func(t *testing.T) {
			at := c.base()
			c.set(&at, c.limit)
			if errs := template.Validate(at, readyMedia); len(errs) > 0 {
				t.Fatalf("at the limit (%d), errors:\n%s", c.limit, fieldsOf(errs))
			}
			over := c.base()
			c.set(&over, c.limit+1)
			errs := template.Validate(over, readyMedia)
			if c.also != "" && len(errs) == 2 && errs[0].Field == c.also {
				errs = errs[1:]
			}
			if len(errs) != 1 || errs[0].Field != c.field {
				t.Fatalf("one over the limit (%d), errors:\n%swant exactly one, on %s", c.limit+1, fieldsOf(errs), c.field)
			}
			if c.field != "language" && !strings.Contains(errs[0].Message, fmt.Sprint(c.limit)) && !strings.Contains(errs[0].Message, "1,024") {
				t.Errorf("the message %q does not give the limit, %d", errs[0].Message, c.limit)
			}
		})
	}
}

func TestTheSamplesAreValid(t *testing.T) {
	for _, s := range samples {
		if errs := template.Validate(s.make(), readyMedia); len(errs) > 0 {
			t.Errorf("%s:\n%s", s.kind, fieldsOf(errs))
		}
	}
}

func TestAMessageOverALimitWithTheExamplesSaysSo(t *testing.T) {
	tpl := buttonsTemplate()
	tpl.Body = "Hi {{customer_name}}, your total is {{total}}."
	tpl.Variables[0].Example = raw(fmt.Sprintf("%q", chars(1024-29+7)))
	errs := template.Validate(tpl, readyMedia)
	want := "body: is 1,031 characters with the example values; WhatsApp allows 1,024\n"
	if got := fieldsOf(errs); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A rule broken, and the field errors it gives (field: part of the message).
func TestEveryRuleNamesItsField(t *testing.T) {
	for _, c := range []struct {
		name   string
		base   func() app.Template
		change func(t *app.Template)
		want   []string
	}{
		{"an empty name", textTemplate, func(t *app.Template) { t.Name = "" }, []string{"name: is required"}},
		{"a name with capitals and spaces", textTemplate, func(t *app.Template) { t.Name = "Order Shipped!" }, []string{"name: must be lowercase letters, digits and underscores only, as WhatsApp names templates: order_shipped, for example"}},
		{"an unknown kind", textTemplate, func(t *app.Template) { t.Kind = "carousel" }, []string{"kind: must be text, buttons, list or media"}},
		{"an unknown category", textTemplate, func(t *app.Template) { t.Category = "sales" }, []string{"category: must be"}},
		{"a bad language", textTemplate, func(t *app.Template) { t.Language = "English" }, []string{"language: must be a language code"}},
		{"an unknown status", textTemplate, func(t *app.Template) { t.Status = "draft" }, []string{"status: must be active or archived"}},
		{"an unknown delivery style", textTemplate, func(t *app.Template) { t.DeliveryStyle = "sms" }, []string{"delivery_style: must be text, poll or interactive"}},
		{"a poll of a text template", textTemplate, func(t *app.Template) { t.DeliveryStyle = "poll" }, []string{"delivery_style: cannot be poll: a poll needs at least 2 options and this template has 0"}},
		{"a poll of one button", buttonsTemplate, func(t *app.Template) { t.DeliveryStyle = "poll"; t.Buttons = t.Buttons[:1] }, []string{"delivery_style: cannot be poll: a poll needs at least 2 options and this template has 1"}},
		{"an empty body", textTemplate, func(t *app.Template) {
			t.Body = " \n "
			t.Header.Text = "{{customer_name}} {{order_number}} {{shipped_on}}"
		}, []string{"body: is required"}},
		{"a control character in the body", textTemplate, func(t *app.Template) { t.Body += "\x00" }, []string{"body: must not contain control characters (found U+0000)"}},
		{"a line break in the footer", textTemplate, func(t *app.Template) { t.Footer = "Sunrise\nShop" }, []string{"footer: must be a single line"}},
		{"buttons on a text template", textTemplate, func(t *app.Template) { t.Buttons = buttons(1) }, []string{"buttons: must be empty for a text template"}},
		{"a list on a text template", textTemplate, func(t *app.Template) { t.List = &app.TemplateList{Button: "Go", Sections: sections(1)} }, []string{"list: must be empty for a text template"}},
		{"no buttons on a buttons template", buttonsTemplate, func(t *app.Template) { t.Buttons = nil }, []string{"buttons: are required"}},
		{"buttons on a list template", listTemplate, func(t *app.Template) { t.Buttons = buttons(1) }, []string{"buttons: must be empty for a list template"}},
		{"no list on a list template", listTemplate, func(t *app.Template) {
			t.List = nil
			t.Variables = t.Variables[:2]
		}, []string{"list: is required for a list template"}},
		{"a list without sections", listTemplate, func(t *app.Template) {
			t.List.Sections = nil
			t.Variables = t.Variables[:2]
		}, []string{"list.sections: are required"}},
		{"an empty section", listTemplate, func(t *app.Template) { t.List.Sections[2].Rows = nil }, []string{"list.sections[2].rows: are required"}},
		{"untitled sections", listTemplate, func(t *app.Template) { t.List.Sections[1].Title = "" }, []string{"list.sections[1].title: is required: a list with more than one section names each"}},
		{"one untitled section", listTemplate, func(t *app.Template) {
			t.List.Sections = []app.TemplateSection{{Rows: t.List.Sections[0].Rows}}
			t.Variables = []app.TemplateVariable{t.Variables[0], t.Variables[1], t.Variables[2]}
		}, nil},
		{"an empty list button", listTemplate, func(t *app.Template) { t.List.Button = "" }, []string{"list.button: is required"}},
		{"a media header on a buttons template", buttonsTemplate, func(t *app.Template) {
			t.Header = &app.TemplateHeader{Type: "image", MediaID: mediaID}
			t.Variables[1].Name = "unused_now"
			t.Body += " {{unused_now}}"
		}, []string{"header.type: cannot be image for a buttons template"}},
		{"a media template without a header", mediaTemplate, func(t *app.Template) { t.Header = nil }, []string{"header: is required for a media template"}},
		{"a media template with a text header", mediaTemplate, func(t *app.Template) { t.Header = &app.TemplateHeader{Type: "text", Text: "Hello"} }, []string{"header.type: must be image, video or document"}},
		{"an unknown header type", mediaTemplate, func(t *app.Template) { t.Header.Type = "audio" }, []string{"header.type: must be text, image, video or document"}},
		{"a media header without a file", mediaTemplate, func(t *app.Template) { t.Header.MediaID = "" }, []string{"header.media_id: is required: pick an image from the media library"}},
		{"a media header with text", mediaTemplate, func(t *app.Template) { t.Header.Text = "Hi" }, []string{"header.text: must be empty: an image header has no text"}},
		{"a text header with a file", textTemplate, func(t *app.Template) { t.Header.MediaID = mediaID }, []string{"header.media_id: must be empty"}},
		{"an empty text header", textTemplate, func(t *app.Template) {
			t.Header.Text = ""
			t.Body += "{{order_number}}"
		}, []string{"header.text: is required: write the header, or remove it"}},
		{"a file not in the library", mediaTemplate, func(t *app.Template) { t.Header.MediaID = "med_gone" }, []string{"header.media_id: is not a file in the media library"}},
		{"a video for an image header", mediaTemplate, func(t *app.Template) { t.Header.Type = "video" }, []string{"header.media_id: is an image; a video header needs a video"}},
		// The counts are checked on the template itself, not only on the
		// text the examples render, which needs every example.
		{"4 buttons while an example is missing", buttonsTemplate, func(t *app.Template) {
			t.Buttons = buttons(4)
			t.Variables[0].Example = nil
		}, []string{"buttons: has 4 buttons; WhatsApp allows 3", "variables[0].example: is required"}},
		{"11 rows while an example is missing", listTemplate, func(t *app.Template) {
			t.List.Sections[2].Rows = append(t.List.Sections[2].Rows, rows(6)...)
			t.Variables[0].Example = nil
		}, []string{"list.sections: have 11 rows in all; WhatsApp allows 10", "variables[0].example: is required"}},
		{"11 sections while an example is missing", listTemplate, func(t *app.Template) {
			t.List.Sections = sections(11)
			t.Variables = t.Variables[:2]
			t.Variables[0].Example = nil
		}, []string{"list.sections: are 11; WhatsApp allows 10", "list.sections: have 11 rows in all", "variables[0].example: is required"}},
		{"an empty button id", buttonsTemplate, func(t *app.Template) { t.Buttons[1].ID = " " }, []string{"buttons[1].id: is required"}},
		{"duplicate button ids", buttonsTemplate, func(t *app.Template) { t.Buttons[2].ID = "pay_now" }, []string{"buttons[2].id: is the same as buttons[0].id"}},
		{"an empty button title", buttonsTemplate, func(t *app.Template) { t.Buttons[0].Title = "" }, []string{"buttons[0].title: is required"}},
		{"button titles that read the same", buttonsTemplate, func(t *app.Template) { t.Buttons[2].Title = "  pay   NOW " }, []string{"buttons[2].title: reads the same as buttons[0].title"}},
		{"a button titled with another's number", buttonsTemplate, func(t *app.Template) { t.Buttons[0].Title = "2" }, []string{"buttons[0].title: is the number 2, which the text form gives to option 2"}},
		{"buttons titled with their own numbers", buttonsTemplate, func(t *app.Template) { t.Buttons[0].Title, t.Buttons[1].Title = "1", "2" }, nil},
		{"duplicate row ids across sections", listTemplate, func(t *app.Template) { t.List.Sections[2].Rows[1].ID = "p_coffee" }, []string{"list.sections[2].rows[1].id: is the same as list.sections[0].rows[0].id"}},
		{"row titles that read the same", listTemplate, func(t *app.Template) { t.List.Sections[2].Rows[0].Title = "TEA" }, []string{"list.sections[2].rows[0].title: reads the same as list.sections[0].rows[1].title"}},
		{"an empty trigger", textTemplate, func(t *app.Template) { t.Triggers = []string{"menu", ""} }, []string{"triggers[1]: is empty"}},
		{"the same trigger twice", textTemplate, func(t *app.Template) { t.Triggers = []string{"menu", " MENU"} }, []string{"triggers[1]: is the same as triggers[0]"}},
		{"a malformed placeholder", textTemplate, func(t *app.Template) { t.Body += " {{order number}}" }, []string{`body: has "{{order number}}" at character`}},
		{"a placeholder never closed", buttonsTemplate, func(t *app.Template) { t.Buttons[1].Title = "Help {{x" }, []string{`buttons[1].title: has "{{x" at character 6, which is not a placeholder`}},
		{"an empty placeholder", listTemplate, func(t *app.Template) { t.List.Sections[0].Rows[0].Description += " {{}}" }, []string{"list.sections[0].rows[0].description: has an empty placeholder {{}} at character 22"}},
		{"an undeclared placeholder", listTemplate, func(t *app.Template) { t.List.Sections[2].Rows[1].Description = "Ask {{staff_name}}" }, []string{"list.sections[2].rows[1].description: uses {{staff_name}}, which is not a declared variable"}},
		{"an escaped placeholder", textTemplate, func(t *app.Template) { t.Body += ` \{{order number}}` }, nil},
		{"a declared variable no text uses", textTemplate, func(t *app.Template) { t.Variables = append(t.Variables, textVar("customer_phone", "+263")) }, []string{"variables[3].name: customer_phone is declared but no text uses it"}},
		{"a bad variable name", textTemplate, func(t *app.Template) { t.Variables = append(t.Variables, textVar("phone-number", "+263")) }, []string{"variables[3].name: must be 1 to 64 letters"}},
		{"a variable declared twice", textTemplate, func(t *app.Template) { t.Variables = append(t.Variables, textVar("customer_name", "Tariro")) }, []string{"variables[3].name: is the same as variables[0].name"}},
		{"an unknown variable type", textTemplate, func(t *app.Template) { t.Variables[0].Type = "string" }, []string{"variables[0].type: must be text, number, money or date"}},
		{"a variable without an example", textTemplate, func(t *app.Template) { t.Variables[0].Example = nil }, []string{"variables[0].example: is required"}},
		{"an example that is not JSON", textTemplate, func(t *app.Template) { t.Variables[0].Example = raw(`Tariro`) }, []string{"variables[0].example: is not valid JSON"}},
		{"a money example in dollars and cents", buttonsTemplate, func(t *app.Template) { t.Variables[2].Example = raw(`"12.50"`) }, []string{"variables[2].example: must be a whole number of minor units"}},
		{"a date example that is no date", textTemplate, func(t *app.Template) { t.Variables[2].Example = raw(`"next Tuesday"`) }, []string{"variables[2].example: must be a date like 2026-03-05"}},
		{"a number default that is text", mediaTemplate, func(t *app.Template) { t.Variables[2].Default = raw(`"many"`) }, []string{"variables[2].default: must be a number"}},
		{"a caption too long once the options are numbered", mediaTemplate, func(t *app.Template) {
			t.DeliveryStyle = "text"
			t.Body = "{{product_name}} {{price}} {{stock}} {{description}}" + chars(1000-64)
		}, []string{"body: makes a caption of"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tpl := c.base()
			c.change(&tpl)
			errs := template.Validate(tpl, readyMedia)
			if len(errs) != len(c.want) {
				t.Fatalf("errors:\n%swant %d: %q", fieldsOf(errs), len(c.want), c.want)
			}
			for i, w := range c.want {
				if got := errs[i].Field + ": " + errs[i].Message; !strings.HasPrefix(got, w) {
					t.Errorf("error %d is %q, want it to start %q", i, got, w)
				}
			}
		})
	}
}

func TestMediaMustBeReadyAndOfItsHeadersKind(t *testing.T) {
	for _, c := range []struct {
		kind   app.MediaKind
		status string
		found  bool
		want   string
	}{
		{app.MediaImage, app.MediaReady, true, ""},
		{app.MediaImage, app.MediaProcessing, true, "is still being processed"},
		{app.MediaImage, app.MediaFailed, true, "could not be processed"},
		{app.MediaDocument, app.MediaReady, true, "is a document; an image header needs an image"},
		{app.MediaAudio, app.MediaReady, true, "is a audio"},
		{"", "", false, "is not a file in the media library"},
	} {
		tpl := mediaTemplate()
		errs := template.Validate(tpl, func(string) (app.MediaKind, string, bool) { return c.kind, c.status, c.found })
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s %s: %s", c.kind, c.status, fieldsOf(errs))
		case c.want != "" && (len(errs) != 1 || errs[0].Field != "header.media_id" || !strings.HasPrefix(errs[0].Message, c.want)):
			t.Errorf("%s %s: %swant header.media_id: %s", c.kind, c.status, fieldsOf(errs), c.want)
		}
	}
	// Without a library at hand, the lookup is skipped.
	if errs := template.Validate(mediaTemplate(), nil); len(errs) > 0 {
		t.Errorf("without a lookup: %s", fieldsOf(errs))
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	tpl := buttonsTemplate()
	tpl.Name = "Bad Name"
	tpl.Body = ""
	tpl.Footer = chars(61)
	tpl.Buttons = append(tpl.Buttons, app.TemplateButton{ID: "help", Title: chars(21)})
	tpl.Header.Text = "Order {{order_no}}"
	errs := template.Validate(tpl, readyMedia)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := "name body footer buttons buttons[3].id buttons[3].title header.text variables[0].name variables[1].name variables[2].name"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("fields at fault: %s\nwant %s\n%s", got, want, fieldsOf(errs))
	}
}

func TestCompileRefusesWhatValidateRefuses(t *testing.T) {
	tpl := buttonsTemplate()
	tpl.Buttons = buttons(4)
	_, err := template.Compile(tpl)
	var e *app.Error
	if !asAppError(err, &e) || e.Code != app.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "buttons" {
		t.Fatalf("Compile: %v", err)
	}
	if !strings.HasPrefix(e.Message, "The template is not valid: buttons has 4 buttons") {
		t.Errorf("message %q", e.Message)
	}
}
