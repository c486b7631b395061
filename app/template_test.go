package app_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"smartbot/app"
)

// designTemplate is the Template of DESIGN.md §13, as a client sends it.
const designTemplate = `{"name": "order_confirmation", "kind": "buttons", "category": "utility", "language": "en",
 "header": {"type": "text", "text": "Order {{order_number}}"},
 "body": "Hi {{customer_name}}, your total is {{total}}.", "footer": "Reply any time",
 "buttons": [{"id": "pay_now", "title": "Pay now"}, {"id": "help", "title": "Help"}],
 "variables": [{"name": "customer_name", "type": "text", "required": true, "example": "Tariro"},
               {"name": "order_number", "type": "text", "required": true, "example": "SB-000123"},
               {"name": "total", "type": "money", "required": true, "example": 1250}],
 "delivery_style": "text", "triggers": []}`

func TestTheDesignsTemplateJSONReadsAndWritesBackTheSame(t *testing.T) {
	var tpl app.Template
	dec := json.NewDecoder(bytes.NewReader([]byte(designTemplate)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tpl); err != nil {
		t.Fatal(err)
	}
	if tpl.Header.Text != "Order {{order_number}}" || tpl.Buttons[1].ID != "help" || string(tpl.Variables[2].Example) != "1250" || tpl.Variables[0].Default != nil {
		t.Errorf("decoded %+v", tpl)
	}
	out, err := json.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	var again, want map[string]any
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(designTemplate), &want); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		got, _ := json.Marshal(again[k])
		w, _ := json.Marshal(v)
		if !bytes.Equal(got, w) {
			t.Errorf("%s: wrote %s, read %s", k, got, w)
		}
	}
	// An example keeps the client's exact number, however large.
	tpl.Variables[2].Example = json.RawMessage(`9007199254740993`)
	out, _ = json.Marshal(tpl.Variables[2])
	if !bytes.Contains(out, []byte(`"example":9007199254740993`)) {
		t.Errorf("wrote %s", out)
	}
}

func TestNormalizeFillsTheDefaults(t *testing.T) {
	tpl := app.Template{Name: "x", Kind: app.TemplateKindText, Body: "Hi"}
	tpl.Normalize()
	if tpl.Category != "utility" || tpl.Language != "en" || tpl.DeliveryStyle != "text" || tpl.Status != "active" ||
		tpl.Buttons == nil || tpl.Variables == nil || tpl.Triggers == nil {
		t.Errorf("normalized %+v", tpl)
	}
	out, _ := json.Marshal(tpl)
	if !bytes.Contains(out, []byte(`"buttons":[]`)) || !bytes.Contains(out, []byte(`"header":null`)) {
		t.Errorf("wrote %s", out)
	}
}

func TestHeaderMediaIDIsTheFileAMediaHeaderShows(t *testing.T) {
	for _, c := range []struct {
		header *app.TemplateHeader
		want   string
	}{
		{nil, ""},
		{&app.TemplateHeader{Type: "text", Text: "Hi", MediaID: "med_x"}, ""},
		{&app.TemplateHeader{Type: "image", MediaID: "med_x"}, "med_x"},
		{&app.TemplateHeader{Type: "document", MediaID: "med_y"}, "med_y"},
	} {
		if got := (app.Template{Header: c.header}).HeaderMediaID(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.header, got, c.want)
		}
	}
}
