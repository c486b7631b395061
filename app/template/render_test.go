package template_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/template"
)

// oneVariable is a text template whose body is "Value: {{v}}." with v of
// type typ.
func oneVariable(typ string) *template.Compiled {
	c, err := template.Compile(app.Template{
		Name: "one", Kind: "text", Body: "Value: {{v}}.",
		Variables: []app.TemplateVariable{{Name: "v", Type: typ, Required: true, Example: example(typ)}},
	})
	if err != nil {
		panic(err)
	}
	return c
}

func example(typ string) json.RawMessage {
	switch typ {
	case app.TemplateVarText:
		return raw(`"x"`)
	case app.TemplateVarDate:
		return raw(`"2026-01-01"`)
	}
	return raw(`1`)
}

func TestValuesAreCheckedAndWrittenByType(t *testing.T) {
	harareZone := harare(t).Zone
	moment := time.Date(2026, 3, 5, 22, 30, 0, 0, time.UTC) // 00:30 on the 6th in Harare
	for _, c := range []struct {
		name   string
		typ    string
		value  any
		opts   template.RenderOptions
		want   string // the value as written, or the error's message
		refuse bool
	}{
		{"cents of the shop's currency", "money", 1250, template.RenderOptions{Currency: "USD"}, "USD 12.50", false},
		{"a currency without minor units", "money", 1250, template.RenderOptions{Currency: "JPY"}, "JPY 1,250", false},
		{"a currency with three minor digits", "money", 1250, template.RenderOptions{Currency: "KWD"}, "KWD 1.250", false},
		{"the shop's currency in lower case", "money", 5, template.RenderOptions{Currency: " zar "}, "ZAR 0.05", false},
		{"millions", "money", int64(123456789), template.RenderOptions{Currency: "USD"}, "USD 1,234,567.89", false},
		{"a refund", "money", -1250, template.RenderOptions{Currency: "USD"}, "USD -12.50", false},
		{"the smallest int64", "money", int64(math.MinInt64), template.RenderOptions{Currency: "USD"}, "USD -92,233,720,368,547,758.08", false},
		{"money as JSON decodes it", "money", float64(1250), template.RenderOptions{Currency: "USD"}, "USD 12.50", false},
		{"money as a json.Number", "money", json.Number("1250"), template.RenderOptions{Currency: "USD"}, "USD 12.50", false},
		{"money with its own currency", "money", map[string]any{"amount": float64(1250), "currency": "eur"}, template.RenderOptions{Currency: "USD"}, "EUR 12.50", false},
		{"a Money", "money", template.Money{Amount: 99, Currency: "GBP"}, template.RenderOptions{}, "GBP 0.99", false},
		{"German separators", "money", 123450, template.RenderOptions{Currency: "EUR", Locale: "de-DE"}, "EUR 1.234,50", false},
		{"French separators", "money", 123450, template.RenderOptions{Currency: "EUR", Locale: "fr"}, "EUR 1\u00a0234,50", false},
		{"money in dollars and cents", "money", "12.50", template.RenderOptions{Currency: "USD"}, "must be a whole number of minor units", true},
		{"a fraction of a cent", "money", 12.5, template.RenderOptions{Currency: "USD"}, "must be a whole number of minor units", true},
		{"an amount with no currency anywhere", "money", 1250, template.RenderOptions{}, "is an amount without a currency", true},
		{"a currency that is no code", "money", map[string]any{"amount": 1, "currency": "dollars"}, template.RenderOptions{}, "has a currency that is not an ISO 4217 code", true},
		{"an amount given as text", "money", map[string]any{"amount": "12"}, template.RenderOptions{Currency: "USD"}, "must be a whole number", true},

		{"a moment in the shop's zone", "date", moment, template.RenderOptions{Zone: harareZone}, "6 March 2026, 00:30", false},
		{"a moment in UTC by default", "date", moment, template.RenderOptions{}, "5 March 2026, 22:30", false},
		{"a moment written as RFC 3339", "date", "2026-03-05T22:30:00Z", template.RenderOptions{Zone: harareZone}, "6 March 2026, 00:30", false},
		{"a calendar day, whatever the zone", "date", "2026-03-05", template.RenderOptions{Zone: harareZone}, "5 March 2026", false},
		{"an American date and clock", "date", moment, template.RenderOptions{Locale: "en_US"}, "March 5, 2026, 10:30 PM", false},
		{"midnight on an American clock", "date", "2026-03-05T00:05:00Z", template.RenderOptions{Locale: "en-US"}, "March 5, 2026, 12:05 AM", false},
		{"a day that does not exist", "date", "2026-02-30", template.RenderOptions{}, "must be a date like 2026-03-05", true},
		{"words for a date", "date", "tomorrow", template.RenderOptions{}, "must be a date like 2026-03-05", true},
		{"a number for a date", "date", 20260305, template.RenderOptions{}, "must be a date", true},

		{"a whole number", "number", 3, template.RenderOptions{}, "3", false},
		{"a whole number as JSON decodes it", "number", float64(12), template.RenderOptions{}, "12", false},
		{"a fraction", "number", 2.5, template.RenderOptions{}, "2.5", false},
		{"a fraction in German", "number", "2.5", template.RenderOptions{Locale: "de"}, "2,5", false},
		{"a number as text", "number", " 42 ", template.RenderOptions{}, "42", false},
		{"not a number", "number", "many", template.RenderOptions{}, "must be a number", true},
		{"infinity", "number", math.Inf(1), template.RenderOptions{}, "must be a number", true},
		{"a yes", "number", true, template.RenderOptions{}, "must be a number", true},

		{"text", "text", "Tariro", template.RenderOptions{}, "Tariro", false},
		{"a number as text", "text", 42, template.RenderOptions{}, "42", false},
		{"Windows line breaks", "text", "a\r\nb", template.RenderOptions{}, "a\nb", false},
		{"a control character", "text", "a\x07b", template.RenderOptions{}, "must not contain control characters (found U+7)", true},
		{"broken UTF-8", "text", "a\xffb", template.RenderOptions{}, "must be valid UTF-8 text", true},
		{"a list", "text", []string{"a"}, template.RenderOptions{}, "must be text", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := oneVariable(c.typ).Render(map[string]any{"v": c.value}, c.opts)
			if c.refuse {
				var e *app.Error
				if !asAppError(err, &e) || e.Code != app.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "variables.v" || !strings.HasPrefix(e.Fields[0].Message, c.want) {
					t.Fatalf("got %v, want variables.v refused: %s", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := "Value: " + c.want + "."; r.Text != want {
				t.Errorf("got %q, want %q", r.Text, want)
			}
		})
	}
}

func TestMissingValuesTakeDefaultsAndRequiredOnesAreNamed(t *testing.T) {
	c := compile(t, listTemplate())
	r, err := c.Render(map[string]any{"customer_name": "Tariro", "sandwich_price": 450, "unrelated": "ignored"}, harare(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Message.Body, "open 8:00–17:00") || r.Message.List.Sections[0].Rows[0].Description != "Hot, fresh medium roast" {
		t.Errorf("defaults not applied: %q, %q", r.Message.Body, r.Message.List.Sections[0].Rows[0].Description)
	}
	// Missing, null and empty text all count as not given.
	for _, values := range []map[string]any{{}, {"customer_name": nil, "sandwich_price": nil}, {"customer_name": "", "sandwich_price": ""}} {
		_, err := c.Render(values, harare(t))
		var e *app.Error
		if !asAppError(err, &e) || e.Code != app.EINVALID {
			t.Fatalf("%v: %v", values, err)
		}
		want := "Some values do not fit the template: variables.customer_name is required and has no default; variables.sandwich_price is required and has no default."
		if e.Message != want || len(e.Fields) != 2 {
			t.Errorf("%v: message %q\nwant %q", values, e.Message, want)
		}
	}
}

func TestValuesAreInsertedLiterally(t *testing.T) {
	c := compile(t, buttonsTemplate())
	r, err := c.Render(map[string]any{"customer_name": "{{total}} *bold* \\{{x}} {{", "order_number": "A\nB\tC", "total": 100}, harare(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi {{total}} *bold* \\{{x}} {{, your total is USD 1.00."; r.Message.Body != want {
		t.Errorf("body %q, want %q", r.Message.Body, want)
	}
	// The header is one line: the value's line break and tab become spaces.
	if want := "Order A B C"; r.Message.Header.Text != want {
		t.Errorf("header %q, want %q", r.Message.Header.Text, want)
	}
}

func TestWhatsAppFormattingPassesThroughUntouched(t *testing.T) {
	tpl := textTemplate()
	tpl.Header = nil
	tpl.Footer = ""
	tpl.Body = "*bold* _italic_ ~strike~ ```mono``` `code`\n* item\n- item\n1. first\n> quote\n{{customer_name}} {{order_number}} {{shipped_on}}"
	r, err := compile(t, tpl).Render(map[string]any{"customer_name": "*Tariro*", "order_number": "_1_", "shipped_on": "2026-03-05"}, harare(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "*bold* _italic_ ~strike~ ```mono``` `code`\n* item\n- item\n1. first\n> quote\n*Tariro* _1_ 5 March 2026"
	if r.Text != want || r.Message.Text != want {
		t.Errorf("got %q, want %q", r.Text, want)
	}
}

func TestAMessageBeyondALimitIsAnErrorThatStillShowsIt(t *testing.T) {
	c := compile(t, buttonsTemplate())
	long := strings.Repeat("é", 1024)
	r, err := c.Render(map[string]any{"customer_name": long, "order_number": "SB-1", "total": 1}, harare(t))
	var e *app.Error
	if !asAppError(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body" || e.Fields[0].Message != "is 1,052 characters with these values; WhatsApp allows 1,024" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(r.Message.Body, long) || r.Lengths["body"] != 1052 {
		t.Errorf("the rendered message is not returned: %d characters", r.Lengths["body"])
	}
	// A button title too: a value may grow any field.
	tpl := buttonsTemplate()
	tpl.Buttons[0].Title = "Pay {{total}}"
	_, err = compile(t, tpl).Render(map[string]any{"customer_name": "T", "order_number": "1", "total": 1234567890}, harare(t)) // Pay USD 12,345,678.90
	if !asAppError(err, &e) || e.Fields[0].Field != "buttons[0].title" || e.Fields[0].Message != "is 21 characters with these values; WhatsApp allows 20" {
		t.Fatalf("got %v", err)
	}
	// A value that leaves a required field empty.
	_, err = compile(t, buttonsTemplate()).Render(map[string]any{"customer_name": " ", "order_number": " ", "total": 1}, harare(t))
	if err != nil {
		t.Fatalf("a body with text around the value is not empty: %v", err)
	}
	tpl = buttonsTemplate()
	tpl.Header.Text = "{{order_number}}"
	_, err = compile(t, tpl).Render(map[string]any{"customer_name": "T", "order_number": "  ", "total": 1}, harare(t))
	if !asAppError(err, &e) || e.Fields[0].Field != "header.text" || e.Fields[0].Message != "is empty with these values" {
		t.Fatalf("got %v", err)
	}
}

func TestLengthsCountEveryFieldAndWarningsComeNearALimit(t *testing.T) {
	c := compile(t, buttonsTemplate())
	name := strings.Repeat("ü", 950)
	r, err := c.Render(map[string]any{"customer_name": name, "order_number": "SB-000123", "total": 1250}, harare(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"header.text": 15, "body": 979, "footer": 14, "buttons[0].title": 7, "buttons[1].title": 4, "buttons[2].title": 12, "text": 1050, "poll.name": 255}
	for k, n := range want {
		if r.Lengths[k] != n {
			t.Errorf("lengths[%s] = %d, want %d", k, r.Lengths[k], n)
		}
	}
	if len(r.Lengths) != len(want) {
		t.Errorf("lengths %v, want %v", r.Lengths, want)
	}
	if len(r.Warnings) != 2 || r.Warnings[0] != "body is 979/1,024 characters with these values" || !strings.HasPrefix(r.Warnings[1], "the poll form is sent in two parts") {
		t.Errorf("warnings %q", r.Warnings)
	}
	// The body is one long line: the poll's question is its start.
	if r.Poll.Intro == nil || !strings.HasPrefix(r.Poll.Name, "Hi üü") || !strings.HasSuffix(r.Poll.Name, "ü…") {
		t.Errorf("poll name %q", r.Poll.Name)
	}
}

func TestPreviewFillsInTheExamples(t *testing.T) {
	c := compile(t, buttonsTemplate())
	r, err := c.Preview(nil, harare(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi Tariro, your total is USD 12.50."; r.Message.Body != want {
		t.Errorf("body %q, want %q", r.Message.Body, want)
	}
	r, err = c.Preview(map[string]any{"customer_name": "Rudo"}, harare(t))
	if err != nil || r.Message.Body != "Hi Rudo, your total is USD 12.50." {
		t.Errorf("body %q, %v", r.Message.Body, err)
	}
	long := strings.Repeat("x", 940)
	tpl := buttonsTemplate()
	tpl.Variables[0].Example = raw(`"` + long + `"`)
	r, _ = compile(t, tpl).Preview(nil, harare(t))
	if len(r.Warnings) != 2 || r.Warnings[0] != "body is 969/1,024 characters with the example values" {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestADraftPreviewsWhatWasTyped(t *testing.T) {
	tpl := buttonsTemplate()
	tpl.Body = "Hi {{customer_name}}, {{total} and {{not_yet}} and \\{{escaped}}."
	tpl.Buttons = buttons(4)
	if _, err := template.Compile(tpl); err == nil {
		t.Fatal("Compile took a broken template")
	}
	c, err := template.CompileDraft(tpl)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Preview(nil, harare(t))
	if want := "Hi Tariro, {{total} and {{not_yet}} and {{escaped}}."; r.Message.Body != want {
		t.Errorf("body %q, want %q", r.Message.Body, want)
	}
	var e *app.Error
	if !asAppError(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "buttons" {
		t.Errorf("the fourth button is not reported: %v", err)
	}
	if len(r.Message.Buttons) != 4 {
		t.Errorf("the draft shows %d buttons, want 4", len(r.Message.Buttons))
	}
	for _, bad := range []app.Template{{Kind: "carousel", Body: "x"}, {Kind: "list", Body: "x"}, {Kind: "media", Body: "x"}} {
		if _, err := template.CompileDraft(bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("CompileDraft of kind %s without its parts: %v", bad.Kind, err)
		}
	}
}

func TestADraftBeyondWhatsAppsCountsRendersWithAnError(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(t *app.Template)
		want   string
	}{
		{"11 rows", func(t *app.Template) { t.List.Sections[2].Rows = append(t.List.Sections[2].Rows, rows(6)...) }, "list.sections have 11 rows in all; WhatsApp allows 10"},
		{"11 sections", func(t *app.Template) { t.List.Sections = sections(11)[:11] }, "list.sections have 11 rows in all; WhatsApp allows 10; list.sections are 11; WhatsApp allows 10"},
		{"no rows", func(t *app.Template) { t.List.Sections = nil }, "list.sections are required: at least one section with a row"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tpl := listTemplate()
			c.change(&tpl)
			d, err := template.CompileDraft(tpl)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Preview(nil, harare(t))
			if want := "The message goes beyond WhatsApp's limits with the example values: " + c.want + "."; app.ErrorMessage(err) != want {
				t.Errorf("got %q\nwant %q", app.ErrorMessage(err), want)
			}
		})
	}
}

func TestThePollForm(t *testing.T) {
	t.Run("a short message is the poll's question", func(t *testing.T) {
		r, err := compile(t, buttonsTemplate()).Render(goldenValues["buttons"], harare(t))
		if err != nil {
			t.Fatal(err)
		}
		if r.Poll.Intro != nil || r.Poll.Name != "Order SB-000123\n\nHi Tariro, your total is USD 12.50.\n\nReply any time" {
			t.Errorf("poll %+v", r.Poll)
		}
		if &r.Poll.Options[0] != &r.Options[0] || r.Poll.SelectableCount != 1 {
			t.Error("the poll's options are not the message's")
		}
	})
	t.Run("a long list goes first and the poll asks with the list's button", func(t *testing.T) {
		tpl := listTemplate()
		tpl.Body += strings.Repeat(" more", 50)
		r, err := compile(t, tpl).Render(goldenValues["list"], harare(t))
		if err != nil {
			t.Fatal(err)
		}
		if r.Poll.Intro == nil || r.Poll.Intro.Type != template.MessageText || !strings.HasPrefix(r.Poll.Intro.Text, "*Sunrise Café*\n\nHi Tariro!") || r.Poll.Name != "View menu" {
			t.Errorf("poll %+v", r.Poll)
		}
	})
	t.Run("a file goes first and the poll asks with the body's last line", func(t *testing.T) {
		r, err := compile(t, mediaTemplate()).Render(goldenValues["media"], harare(t))
		if err != nil {
			t.Fatal(err)
		}
		if r.Poll.Intro.Type != template.MessageMedia || r.Poll.Intro.Header.MediaID != mediaID || r.Poll.Name != "Tap a button below." {
			t.Errorf("poll %+v", r.Poll)
		}
	})
	t.Run("one button makes no poll", func(t *testing.T) {
		tpl := buttonsTemplate()
		tpl.Buttons = tpl.Buttons[:1]
		r, err := compile(t, tpl).Render(goldenValues["buttons"], harare(t))
		if err != nil || r.Poll != nil {
			t.Errorf("poll %+v, %v", r.Poll, err)
		}
	})
	t.Run("a long last line is cut to a poll's question", func(t *testing.T) {
		tpl := mediaTemplate()
		tpl.Body = "{{product_name}} {{price}} {{stock}} {{description}}\n" + strings.Repeat("ŵ", 300)
		r, err := compile(t, tpl).Render(goldenValues["media"], harare(t))
		if err != nil {
			t.Fatal(err)
		}
		if n := len([]rune(r.Poll.Name)); n != template.PollNameMax || !strings.HasSuffix(r.Poll.Name, "ŵ…") {
			t.Errorf("poll name of %d characters: %q", n, r.Poll.Name)
		}
	})
}

func TestAMediaTemplateWithoutButtonsIsAFileWithACaption(t *testing.T) {
	tpl := mediaTemplate()
	tpl.Buttons = nil
	tpl.Footer = "Sunrise Shop"
	r, err := compile(t, tpl).Render(goldenValues["media"], harare(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "*Coffee beans 1 kg* for USD 18.99, 12 left.\nSingle origin, roasted this week.\nTap a button below.\n\nSunrise Shop"
	if r.Message.Type != template.MessageMedia || r.Message.Header.MediaID != mediaID || r.Message.Text != want || r.Text != want || r.Poll != nil || len(r.Options) != 0 {
		t.Errorf("message %+v", r.Message)
	}
}

func TestPlaceholdersAndEscape(t *testing.T) {
	names, err := template.Placeholders("{{a}} {{b_2}} \\{{c}} {{a}}")
	if err != nil || strings.Join(names, ",") != "a,b_2" {
		t.Errorf("names %q, %v", names, err)
	}
	if _, err := template.Placeholders("x {{a b}}"); err == nil || err.Error() != `the text has "{{a b}}" at character 3, which is not a placeholder: write {{name}} with letters, digits and underscores only, or \{{ to show {{ as it is` {
		t.Errorf("error %v", err)
	}
	for _, s := range []string{"", "{{", "{{{", "{{{{{", `\{{`, `\\{{x}}`, "a {{b}} c", "}}{{"} {
		c, err := template.Compile(app.Template{Name: "e", Kind: "text", Body: "[" + template.Escape(s) + "]"})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		r, err := c.Render(nil, template.RenderOptions{})
		if err != nil || r.Text != "["+s+"]" {
			t.Errorf("Escape(%q) renders %q, %v", s, r.Text, err)
		}
	}
}
