package template_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones the tests name, on any machine

	"smartbot/app"
	"smartbot/app/template"
)

// raw is a default or an example, written as JSON.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

func textVar(name, example string) app.TemplateVariable {
	b, _ := json.Marshal(example)
	return app.TemplateVariable{Name: name, Type: app.TemplateVarText, Required: true, Example: b}
}

// The sample templates, one of each kind, as a shop would write them.

func textTemplate() app.Template {
	return app.Template{
		Name: "order_shipped", Kind: app.TemplateKindText, Category: "utility", Language: "en",
		Header: &app.TemplateHeader{Type: "text", Text: "Order {{order_number}} is on its way"},
		Body: "Hi {{customer_name}}, your order *{{order_number}}* left our shop on {{shipped_on}}.\n\n" +
			"_Track it any time:_ reply ~stop~ *track*.\n> Thank you for shopping with us\n- fresh\n- fast\n```code``` and `x`",
		Footer: "Sunrise Shop",
		Variables: []app.TemplateVariable{
			textVar("customer_name", "Tariro"),
			textVar("order_number", "SB-000123"),
			{Name: "shipped_on", Type: app.TemplateVarDate, Required: true, Example: raw(`"2026-03-05T14:30:00Z"`)},
		},
		DeliveryStyle: "text",
	}
}

// buttonsTemplate is DESIGN.md §13's example.
func buttonsTemplate() app.Template {
	return app.Template{
		Name: "order_confirmation", Kind: app.TemplateKindButtons, Category: "utility", Language: "en",
		Header: &app.TemplateHeader{Type: "text", Text: "Order {{order_number}}"},
		Body:   "Hi {{customer_name}}, your total is {{total}}.",
		Footer: "Reply any time",
		Buttons: []app.TemplateButton{
			{ID: "pay_now", Title: "Pay now"},
			{ID: "help", Title: "Help"},
			{ID: "cancel_order", Title: "Cancel order"},
		},
		Variables: []app.TemplateVariable{
			textVar("customer_name", "Tariro"),
			textVar("order_number", "SB-000123"),
			{Name: "total", Type: app.TemplateVarMoney, Required: true, Example: raw(`1250`)},
		},
		DeliveryStyle: "text",
	}
}

func listTemplate() app.Template {
	return app.Template{
		Name: "main_menu", Kind: app.TemplateKindList, Category: "marketing", Language: "en",
		Header: &app.TemplateHeader{Type: "text", Text: "Sunrise Café"},
		Body:   "Hi {{customer_name}}! We are open {{open_hours}}. What would you like today?\n\n* Fresh coffee\n* ```Daily specials```",
		Footer: "Open every day",
		List: &app.TemplateList{Button: "View menu", Sections: []app.TemplateSection{
			{Title: "Drinks", Rows: []app.TemplateRow{
				{ID: "p_coffee", Title: "Coffee", Description: "Hot, fresh {{roast}}"},
				{ID: "p_tea", Title: "Tea"},
			}},
			{Title: "Food", Rows: []app.TemplateRow{
				{ID: "p_sandwich", Title: "Sandwich", Description: "From {{sandwich_price}}"},
			}},
			{Title: "More", Rows: []app.TemplateRow{
				{ID: "my_orders", Title: "My orders"},
				{ID: "human", Title: "Talk to us"},
			}},
		}},
		Variables: []app.TemplateVariable{
			textVar("customer_name", "Tariro"),
			{Name: "open_hours", Type: app.TemplateVarText, Default: raw(`"8:00–17:00"`), Example: raw(`"7:00–18:00"`)},
			{Name: "roast", Type: app.TemplateVarText, Default: raw(`"medium roast"`), Example: raw(`"dark roast"`)},
			{Name: "sandwich_price", Type: app.TemplateVarMoney, Required: true, Example: raw(`{"amount": 450, "currency": "USD"}`)},
		},
		DeliveryStyle: "poll",
	}
}

const mediaID = "med_0123456789abcdefghjkmnpqrs"

func mediaTemplate() app.Template {
	return app.Template{
		Name: "product_card", Kind: app.TemplateKindMedia, Category: "marketing", Language: "en",
		Header: &app.TemplateHeader{Type: "image", MediaID: mediaID},
		Body:   "*{{product_name}}* for {{price}}, {{stock}} left.\n{{description}}\nTap a button below.",
		Buttons: []app.TemplateButton{
			{ID: "add_to_cart", Title: "Add to cart"},
			{ID: "more_photos", Title: "More photos"},
		},
		Variables: []app.TemplateVariable{
			textVar("product_name", "Coffee beans 1 kg"),
			{Name: "price", Type: app.TemplateVarMoney, Required: true, Example: raw(`1899`)},
			{Name: "stock", Type: app.TemplateVarNumber, Example: raw(`12`), Default: raw(`0`)},
			textVar("description", "Single origin, roasted this week."),
		},
		DeliveryStyle: "interactive",
	}
}

// samples are the four kinds, by name.
var samples = []struct {
	kind string
	make func() app.Template
}{
	{"text", textTemplate}, {"buttons", buttonsTemplate}, {"list", listTemplate}, {"media", mediaTemplate},
}

// readyMedia is a media library holding one ready image.
func readyMedia(id string) (app.MediaKind, string, bool) {
	if id == mediaID {
		return app.MediaImage, app.MediaReady, true
	}
	return "", "", false
}

// harare is a shop in Zimbabwe that sells in dollars.
func harare(t testing.TB) template.RenderOptions {
	t.Helper()
	loc, err := time.LoadLocation("Africa/Harare")
	if err != nil {
		t.Fatal(err)
	}
	return template.RenderOptions{Zone: loc, Currency: "USD", Locale: "en"}
}

func compile(t testing.TB, tpl app.Template) *template.Compiled {
	t.Helper()
	c, err := template.Compile(tpl)
	if err != nil {
		t.Fatalf("compile %s: %v", tpl.Name, err)
	}
	return c
}

// fieldsOf lists the errors as "field: message" lines.
func fieldsOf(errs []app.FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Field + ": " + e.Message + "\n")
	}
	return b.String()
}

func asAppError(err error, e **app.Error) bool { return errors.As(err, e) }
