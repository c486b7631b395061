package template_test

import (
	"encoding/json"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/template"
)

func TestExportRefusesWhatMetasTemplatesCannotHold(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(t *app.Template)
		want   string
	}{
		{"a variable in the footer", func(t *app.Template) { t.Footer = "For {{customer_name}}" }, "footer: uses {{customer_name}}, but WhatsApp's templates allow no variables here"},
		{"two variables in the header", func(t *app.Template) { t.Header.Text = "{{order_number}} for {{customer_name}}" }, "header.text: uses 2 variables, but WhatsApp's templates allow 1 in the header"},
		{"a variable on a button", func(t *app.Template) { t.Buttons[0].Title = "Pay {{total}}" }, "buttons[0].title: uses {{total}}, but WhatsApp's templates allow no variables here"},
		{"a body that starts with a variable", func(t *app.Template) { t.Body = " {{customer_name}}, your total is {{total}}." }, "body: starts with {{customer_name}}"},
		{"a body that ends with a variable", func(t *app.Template) { t.Body = "Hi {{customer_name}}, your total is {{total}} \n" }, "body: ends with {{total}}"},
		{"two variables side by side", func(t *app.Template) { t.Body = "Hi {{customer_name}} {{total}}." }, "body: has two variables side by side before {{total}}"},
		{"two variables touching", func(t *app.Template) { t.Body = "Hi {{customer_name}}{{total}}." }, "body: has two variables side by side before {{total}}"},
		{"a literal {{", func(t *app.Template) { t.Body += ` \{{ {{total}} and {{customer_name}}.` }, "body: shows {{ as text"},
		{"an invalid template", func(t *app.Template) { t.Buttons = nil }, "buttons: are required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tpl := buttonsTemplate()
			c.change(&tpl)
			_, err := template.Export(tpl, harare(t))
			var e *app.Error
			if !asAppError(err, &e) || e.Code != app.EINVALID || len(e.Fields) != 1 {
				t.Fatalf("got %v", err)
			}
			if got := e.Fields[0].Field + ": " + e.Fields[0].Message; !strings.HasPrefix(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExportNumbersEachComponentsVariablesByFirstUse(t *testing.T) {
	tpl := buttonsTemplate()
	tpl.Body = "Hi {{customer_name}}, order {{order_number}} costs {{total}}, {{customer_name}}."
	out, err := template.Export(tpl, template.RenderOptions{Currency: "ZAR"})
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Components []struct {
			Type    string
			Text    string
			Example struct {
				HeaderText []string   `json:"header_text"`
				BodyText   [][]string `json:"body_text"`
			}
		}
	}
	if err := json.Unmarshal(out, &x); err != nil {
		t.Fatal(err)
	}
	h, b := x.Components[0], x.Components[1]
	if h.Text != "Order {{1}}" || strings.Join(h.Example.HeaderText, "|") != "SB-000123" {
		t.Errorf("header %+v", h)
	}
	if b.Text != "Hi {{1}}, order {{2}} costs {{3}}, {{1}}." || strings.Join(b.Example.BodyText[0], "|") != "Tariro|SB-000123|ZAR 12.50" {
		t.Errorf("body %+v", b)
	}
}
