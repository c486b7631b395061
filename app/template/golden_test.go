package template_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"smartbot/app/template"
)

// Regenerate the golden files after a deliberate change, then read the diff:
//
//	go test ./app/template -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenValues are the values each sample is rendered with.
var goldenValues = map[string]map[string]any{
	"text":    {"customer_name": "Tariro", "order_number": "SB-000123", "shipped_on": time.Date(2026, 3, 5, 12, 30, 0, 0, time.UTC)},
	"buttons": {"customer_name": "Tariro", "order_number": "SB-000123", "total": 1250},
	"list":    {"customer_name": "Tariro", "sandwich_price": template.Money{Amount: 450, Currency: "USD"}},
	"media":   {"product_name": "Coffee beans 1 kg", "price": 1899, "stock": 12, "description": "Single origin, roasted this week."},
}

func TestEachKindRendersAsItsGoldenFiles(t *testing.T) {
	for _, s := range samples {
		t.Run(s.kind, func(t *testing.T) {
			tpl := s.make()
			r, err := compile(t, tpl).Render(goldenValues[s.kind], harare(t))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, s.kind+".message.json", indent(t, r.Message))
			golden(t, s.kind+".poll.json", indent(t, r.Poll))
			golden(t, s.kind+".text.txt", []byte(r.Text+"\n"))
			export, err := template.Export(tpl, harare(t))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, s.kind+".export.json", export)
		})
	}
}

func indent(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (run with -update and read the diff):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
