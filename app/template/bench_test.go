package template_test

import (
	"fmt"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/template"
)

// benchList is a typical list template: a menu of 10 rows in 3 sections
// with 5 variables of every type, two of them in rows.
func benchList() app.Template {
	var sections []app.TemplateSection
	for s, name := range []string{"Drinks", "Food", "Your account"} {
		sec := app.TemplateSection{Title: name}
		for r := range []int{4, 3, 3}[s] {
			sec.Rows = append(sec.Rows, app.TemplateRow{ID: fmt.Sprintf("row_%d_%d", s, r), Title: fmt.Sprintf("%s item %d", name[:4], r+1), Description: "Fresh today, ask for the special"})
		}
		sections = append(sections, sec)
	}
	sections[0].Rows[0].Description = "From {{price}}"
	sections[2].Rows[0].Description = "{{orders}} open orders"
	return app.Template{
		Name: "menu", Kind: app.TemplateKindList, Language: "en",
		Header: &app.TemplateHeader{Type: "text", Text: "{{shop_name}} menu"},
		Body:   "Hi {{customer_name}}! Here is today's menu, valid until {{until}}.\n\nPick an item to see its price and photos, or type its number.",
		Footer: "Prices include VAT",
		List:   &app.TemplateList{Button: "View menu", Sections: sections},
		Variables: []app.TemplateVariable{
			textVar("shop_name", "Sunrise Café"),
			textVar("customer_name", "Tariro"),
			{Name: "until", Type: app.TemplateVarDate, Required: true, Example: raw(`"2026-03-05T17:00:00Z"`)},
			{Name: "price", Type: app.TemplateVarMoney, Required: true, Example: raw(`250`)},
			{Name: "orders", Type: app.TemplateVarNumber, Example: raw(`2`), Default: raw(`0`)},
		},
		DeliveryStyle: "text",
	}
}

// Run with, for one core:
//
//	go test ./app/template -run '^$' -bench Render -cpu 1
func BenchmarkRenderList10Rows5Variables(b *testing.B) {
	c := compile(b, benchList())
	opts := harare(b)
	values := map[string]any{
		"shop_name": "Sunrise Café", "customer_name": "Tariro",
		"until": time.Date(2026, 3, 5, 15, 0, 0, 0, time.UTC), "price": 250, "orders": 2,
	}
	if _, err := c.Render(values, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(values, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}

func BenchmarkMatchTypedTitle(b *testing.B) {
	r, err := compile(b, benchList()).Preview(nil, harare(b))
	if err != nil {
		b.Fatal(err)
	}
	reply := template.Reply{Text: " your ITEM 3 "}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := template.Match(r.Options, reply); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkCompileList(b *testing.B) {
	tpl := benchList()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := template.Compile(tpl); err != nil {
			b.Fatal(err)
		}
	}
}
