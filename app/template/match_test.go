package template_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"smartbot/app/template"
)

// answer is one way a customer answers option i of a rendered message.
type answer struct {
	how   string
	reply template.Reply
}

// answersTo lists every way to pick option i (from 0) in each form of r,
// each read off the form as it was sent.
func answersTo(t *testing.T, r template.Rendered, i int) map[string][]answer {
	t.Helper()
	forms := map[string][]answer{}

	// The interactive message: a tap sends the button's or the row's id.
	switch r.Message.Type {
	case template.MessageButtons:
		forms["interactive"] = []answer{{"tap", template.Reply{ButtonID: r.Message.Buttons[i].ID}}}
	case template.MessageList:
		var ids []string
		for _, s := range r.Message.List.Sections {
			for _, row := range s.Rows {
				ids = append(ids, row.ID)
			}
		}
		forms["interactive"] = []answer{{"pick", template.Reply{RowID: ids[i]}}}
	default:
		t.Fatalf("a %s message has no options", r.Message.Type)
	}

	// The poll: WhatsApp reports the option's name, or its hash.
	name := r.Poll.Options[i].Title
	hash := sha256.Sum256([]byte(name))
	forms["poll"] = []answer{
		{"vote by name", template.Reply{PollOption: name}},
		{"vote by hash", template.Reply{PollHash: hash[:]}},
	}

	// The text: the customer reads "N. Title – description" and types.
	prefix := fmt.Sprintf("%d. ", i+1)
	var line string
	for _, l := range strings.Split(r.Text, "\n") {
		if strings.HasPrefix(l, prefix) {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("the text form has no line %q:\n%s", prefix, r.Text)
	}
	title, _, _ := strings.Cut(strings.TrimPrefix(line, prefix), " – ")
	n := fmt.Sprint(i + 1)
	for _, typed := range []string{
		n, " " + n + " ", n + ".", " " + n + ". ", n + ")", "#" + n,
		title, strings.ToLower(title), strings.ToUpper(title) + "  ", "  " + strings.ReplaceAll(title, " ", "   ") + "\n",
		n + ". " + title, n + ") " + strings.ToLower(title), n + ". " + title,
		r.Options[i].ID, strings.ToUpper(r.Options[i].ID),
	} {
		forms["text"] = append(forms["text"], answer{fmt.Sprintf("type %q", typed), template.Reply{Text: typed}})
	}
	return forms
}

func TestEveryAnswerInEveryFormMapsBackToItsOption(t *testing.T) {
	for _, s := range samples {
		if s.kind == "text" {
			continue
		}
		r, err := compile(t, s.make()).Render(goldenValues[s.kind], harare(t))
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range r.Options {
			for form, answers := range answersTo(t, r, i) {
				for _, a := range answers {
					if id, ok := template.Match(r.Options, a.reply); !ok || id != o.ID {
						t.Errorf("%s, %s form, option %d: %s gives %q %v, want %q", s.kind, form, i+1, a.how, id, ok, o.ID)
					}
				}
			}
		}
	}
}

func TestUnknownAndAmbiguousRepliesMatchNothing(t *testing.T) {
	r, err := compile(t, listTemplate()).Render(goldenValues["list"], harare(t))
	if err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256([]byte("Pizza"))
	for _, reply := range []template.Reply{
		{}, {Text: "  "}, {Text: "0"}, {Text: "6"}, {Text: "-1"}, {Text: "1.5"}, {Text: "12345"}, {Text: "one"},
		{Text: "coffee tea"}, {Text: "coffe"}, {Text: "2. Coffee"}, {Text: "Hot, fresh medium roast"},
		{ButtonID: "p_coffee "}, {ButtonID: "P_COFFEE"}, {RowID: "p_pizza"}, {PollOption: "Pizza"}, {PollHash: other[:]}, {PollHash: []byte{1}},
	} {
		if id, ok := template.Match(r.Options, reply); ok {
			t.Errorf("%+v matches %q", reply, id)
		}
	}
	if id, ok := template.Match(nil, template.Reply{Text: "1"}); ok {
		t.Errorf("a message without options matches %q", id)
	}

	ambiguous := []struct {
		name    string
		options []template.Option
		reply   template.Reply
	}{
		{"an id of one option and the title of another", []template.Option{{ID: "tea", Title: "Coffee"}, {ID: "coffee", Title: "Tea"}}, template.Reply{Text: "coffee"}},
		{"a number of one option and the title of another", []template.Option{{ID: "a", Title: "2"}, {ID: "b", Title: "1"}}, template.Reply{Text: "1"}},
		{"two titles that read the same", []template.Option{{ID: "a", Title: "Help"}, {ID: "b", Title: "help "}}, template.Reply{Text: "HELP"}},
		{"a vote for a name two options share", []template.Option{{ID: "a", Title: "Yes"}, {ID: "b", Title: "Yes"}}, template.Reply{PollOption: "Yes"}},
	}
	for _, c := range ambiguous {
		if id, ok := template.Match(c.options, c.reply); ok {
			t.Errorf("%s: matches %q", c.name, id)
		}
	}
}

func TestTheFirstKindOfAnswerDecides(t *testing.T) {
	options := []template.Option{{ID: "a", Title: "Alpha"}, {ID: "b", Title: "Beta"}}
	for _, c := range []struct {
		reply template.Reply
		want  string
	}{
		{template.Reply{ButtonID: "a", Text: "2"}, "a"},
		{template.Reply{RowID: "b", PollOption: "Alpha"}, "b"},
		{template.Reply{PollOption: "beta", Text: "1"}, "b"}, // a vote's name compares like typed text when it is not exact
		{template.Reply{ButtonID: "zz", Text: "1"}, ""},      // a tap on a button this message never had
		{template.Reply{Text: "2kg"}, ""},
	} {
		id, _ := template.Match(options, c.reply)
		if id != c.want {
			t.Errorf("%+v: got %q, want %q", c.reply, id, c.want)
		}
	}
	// A title that starts with a number is still a title.
	kilos := []template.Option{{ID: "one", Title: "1 kg"}, {ID: "two", Title: "2 kg"}}
	for text, want := range map[string]string{"2 kg": "two", "2KG": "", "1": "one", "2": "two", "2. 2 kg": "two"} {
		if id, _ := template.Match(kilos, template.Reply{Text: text}); id != want {
			t.Errorf("%q: got %q, want %q", text, id, want)
		}
	}
}
