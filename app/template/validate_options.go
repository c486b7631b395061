package template

import (
	"strconv"
	"strings"
	"unicode"

	"smartbot/app"
)

// fold is how replies and titles compare: case, spaces at the ends and
// runs of spaces inside do not count.
func fold(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

// titles checks option titles for replies that could mean two options:
// two titles that read the same, or a title that is another option's
// number.
type titles struct {
	seen  map[string]string // folded title → path
	total int
}

func (v *validator) title(ts *titles, path, title string, position int) {
	f := fold(title)
	if f == "" {
		return
	}
	if other, dup := ts.seen[f]; dup {
		v.add(path, "reads the same as "+other+": a customer's reply could mean either")
		return
	}
	ts.seen[f] = path
	if n, err := strconv.Atoi(f); err == nil && n != position && n >= 1 && n <= ts.total {
		v.add(path, "is the number "+f+", which the text form gives to option "+f+": a customer who replies "+f+" could mean either")
	}
}

func (v *validator) ids(seen map[string]string, path, id string, max int, what string) {
	if strings.TrimSpace(id) == "" {
		v.add(path, "is required: "+what)
		return
	}
	v.text(path, id, max, false)
	if other, dup := seen[id]; dup {
		v.add(path, "is the same as "+other+": each option needs its own id")
		return
	}
	seen[id] = path
}

func (v *validator) buttons(t app.Template) {
	switch t.Kind {
	case app.TemplateKindText, app.TemplateKindList:
		if len(t.Buttons) > 0 {
			v.add("buttons", "must be empty for a "+t.Kind+" template: make it a buttons template to offer buttons")
		}
		return
	case app.TemplateKindButtons:
		if len(t.Buttons) == 0 {
			v.add("buttons", "are required: a buttons template has 1 to "+strconv.Itoa(ButtonsMax)+" reply buttons")
		}
	case app.TemplateKindMedia:
	default:
		return
	}
	if len(t.Buttons) > ButtonsMax {
		v.add("buttons", "has "+strconv.Itoa(len(t.Buttons))+" buttons; WhatsApp allows "+strconv.Itoa(ButtonsMax)+" (a list template offers up to "+strconv.Itoa(RowsMax)+" choices)")
	}
	ids := map[string]string{}
	ts := &titles{seen: map[string]string{}, total: len(t.Buttons)}
	for i, b := range t.Buttons {
		p := "buttons[" + strconv.Itoa(i) + "]"
		v.ids(ids, p+".id", b.ID, ButtonIDMax, "what a tap on the button sends back, like pay_now")
		v.required(p+".title", b.Title, ButtonTitleMax, "the text on the button")
		v.title(ts, p+".title", b.Title, i+1)
	}
}

func (v *validator) list(t app.Template) {
	l := t.List
	if t.Kind != app.TemplateKindList {
		if l != nil {
			v.add("list", "must be empty for a "+t.Kind+" template: make it a list template to offer a list")
		}
		return
	}
	if l == nil {
		v.add("list", "is required for a list template: a button and at least one section of rows")
		return
	}
	v.required("list.button", l.Button, ListButtonMax, "the text of the button that opens the list, like View menu")
	rows := options(t)
	switch {
	case len(l.Sections) == 0:
		v.add("list.sections", "are required: at least one section with a row")
	case len(l.Sections) > SectionsMax:
		v.add("list.sections", "are "+strconv.Itoa(len(l.Sections))+"; WhatsApp allows "+strconv.Itoa(SectionsMax))
	}
	if rows > RowsMax {
		v.add("list.sections", "have "+strconv.Itoa(rows)+" rows in all; WhatsApp allows "+strconv.Itoa(RowsMax))
	}
	ids := map[string]string{}
	ts := &titles{seen: map[string]string{}, total: rows}
	n := 0
	for i, s := range l.Sections {
		sp := "list.sections[" + strconv.Itoa(i) + "]"
		if len(l.Sections) > 1 {
			v.required(sp+".title", s.Title, SectionTitleMax, "a list with more than one section names each")
		} else {
			v.text(sp+".title", s.Title, SectionTitleMax, false)
		}
		if len(s.Rows) == 0 {
			v.add(sp+".rows", "are required: a section has at least one row")
		}
		for j, r := range s.Rows {
			n++
			rp := sp + ".rows[" + strconv.Itoa(j) + "]"
			v.ids(ids, rp+".id", r.ID, RowIDMax, "what picking the row sends back, like p_coffee")
			v.required(rp+".title", r.Title, RowTitleMax, "the text of the row")
			v.title(ts, rp+".title", r.Title, n)
			v.text(rp+".description", r.Description, RowDescriptionMax, false)
		}
	}
}
