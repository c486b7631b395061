package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/web/ui"
)

// "Send a test" in the template editor: while the simulator is the
// transport, the saved version of a template goes, filled with its
// example values, to a test customer, through the same pipeline a real
// send takes. The editor then links to that customer's conversation.

// sendTestForm is the editor's "Send a test" for the saved template t, or
// nil when there is nothing to offer: no simulator, a viewer, an archived
// template (which is never sent).
func (s *Server) sendTestForm(r *http.Request, t app.Template, readOnly bool) (*ui.TemplateSendTest, error) {
	if !s.simOn() || readOnly || t.Status != app.TemplateActive {
		return nil, nil
	}
	f := &ui.TemplateSendTest{Action: templatePath(t.ID, "send-test"), Version: t.Version, AddURL: "/inbox"}
	selected := ""
	if id := r.URL.Query().Get("test_sent"); app.ValidID(app.PrefixCustomer, id) {
		c, err := s.db.Customer(r.Context(), id)
		if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return nil, err
		}
		if err == nil {
			f.Sent, selected = &ui.TemplateSent{Name: customerName(c), Href: chatPath(c.ID)}, c.Phone
		}
	}
	for _, c := range s.simulator.Customers() {
		label := c.Phone
		if c.Name != "" {
			label = c.Name + " (" + c.Phone + ")"
		}
		f.Customers = append(f.Customers, ui.TemplateChoice{Value: c.Phone, Label: label, Selected: c.Phone == selected})
	}
	return f, nil
}

// exampleValues are the template's variables filled with the examples
// they declare: what the editor's preview shows.
func exampleValues(t app.Template) map[string]any {
	vars := map[string]any{}
	for _, v := range t.Variables {
		var x any
		if len(v.Example) > 0 && json.Unmarshal(v.Example, &x) == nil {
			vars[v.Name] = x
		}
	}
	return vars
}

func (s *Server) postTemplateSendTest(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateByPath(r)
	if err != nil {
		return err
	}
	if !s.simOn() {
		return errNoSimulator
	}
	if err := form(w, r); err != nil {
		return err
	}
	phone, name, found := r.PostFormValue("phone"), "", false
	for _, c := range s.simulator.Customers() {
		if c.Phone == phone {
			name, found = c.Name, true
		}
	}
	if !found {
		err = app.Invalid(app.FieldError{Field: "phone", Message: "choose one of the simulator's test customers"})
	}
	var c app.Customer
	if err == nil {
		c, err = s.addTestCustomer(r.Context(), phone, name)
	}
	if err == nil {
		_, err = s.messaging.Send(r.Context(), messaging.Outbound{CustomerID: c.ID, SentBy: sender(r),
			Template: &messaging.TemplateRef{ID: t.ID, Variables: exampleValues(t)}})
	}
	if err != nil {
		var ae *app.Error
		if !errors.As(err, &ae) || (ae.Code != app.EINVALID && ae.Code != app.ECONFLICT) {
			return err
		}
		p, perr := s.editorPage(w, r, t, templateForm(t), nil, "")
		if perr != nil {
			return perr
		}
		if p.SendTest, perr = s.sendTestForm(r, t, p.ReadOnly); perr != nil {
			return perr
		}
		p.Layout.Error = "The test was not sent. " + refusal("", err)
		return render(w, r, statusOf[ae.Code], ui.TemplateEditor(p))
	}
	return s.done(w, r, templatePath(t.ID)+"?test_sent="+url.QueryEscape(c.ID), flash{})
}
