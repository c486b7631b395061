package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/web/ui"
)

// The webhooks pages: the endpoints with their health, live; an owner adds
// one (its secret shown once on its page, like an API key). One endpoint's
// page is page_webhook.go, its delivery log page_webhook_log.go. Roles as
// in the API: viewers read, operators ping and redeliver, owners make,
// change, rotate and delete — an endpoint sends the shop's data away.

func (s *Server) webhookPages() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	panel := func(pattern string, need app.Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{pattern: pattern, need: need, panel: true, handler: h}
	}
	return []route{
		panel("GET /webhooks", viewer, s.pageWebhooks),
		panel("POST /webhooks", owner, s.postWebhookCreate),
		panel("GET /webhooks/stream", viewer, s.streamWebhooks),
		panel("GET /webhooks/{id}", viewer, s.pageWebhook),
		panel("POST /webhooks/{id}", owner, s.postWebhookSave),
		panel("GET /webhooks/{id}/stream", viewer, s.streamWebhook),
		panel("POST /webhooks/{id}/test", operator, s.postWebhookTest),
		panel("POST /webhooks/{id}/redeliver", operator, s.postWebhookRedeliver),
		panel("POST /webhooks/{id}/enable", owner, s.postWebhookEnable),
		panel("GET /webhooks/{id}/rotate", owner, s.pageWebhookRotate),
		panel("POST /webhooks/{id}/rotate", owner, s.postWebhookRotate),
		panel("GET /webhooks/{id}/delete", owner, s.pageWebhookDelete),
		panel("POST /webhooks/{id}/delete", owner, s.postWebhookDelete),
		panel("GET /events", viewer, s.pageEvents),
		panel("GET /events/stream", viewer, s.streamEvents),
	}
}

// webhookRow is an endpoint as the panel shows it, health in words.
func webhookRow(ctx context.Context, h app.Webhook) ui.WebhookRow {
	row := ui.WebhookRow{ID: h.ID, URL: h.URL, Description: h.Description, Href: shopPath("webhooks", h.ID),
		Events: eventsWords(h.Events), Active: h.Active, DisabledReason: h.DisabledReason, DisabledAt: displayTimePtr(ctx, h.DisabledAt),
		LastSuccess: displayTimePtr(ctx, h.LastSuccessAt), FailureStreak: h.FailureStreak, FailingSince: displayTimePtr(ctx, h.FailingSince)}
	switch {
	case !h.Active:
		row.Health, row.HealthClass = "Turned off", "badge badge-danger"
	case h.FailureStreak > 0:
		row.Health, row.HealthClass = plural(h.FailureStreak, "failed attempt")+" in a row", "badge badge-expired"
	case h.LastSuccessAt == nil:
		row.Health, row.HealthClass = "Nothing delivered yet", "badge"
	default:
		row.Health, row.HealthClass = "Delivering", "badge badge-ok"
	}
	return row
}

// eventsWords names a subscription for people.
func eventsWords(events []app.EventType) string {
	if len(events) == 0 || slices.Contains(events, app.AllEvents) {
		return "Every event"
	}
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// eventTypeLabels say what each event type is, beside its code name.
var eventTypeLabels = map[app.EventType]string{
	app.MessageReceived: "a customer's message came in", app.MessageSent: "a message was sent",
	app.OrderCreated: "an order was placed", app.OrderStatusChanged: "an order moved on",
	app.ProductUpdated: "a product was added or changed", app.PaymentReceived: "a payment came in",
	app.DeliveryStarted: "a delivery set off", app.DeliveryCompleted: "a delivery ended",
	app.BotConnected: "WhatsApp connected", app.BotDisconnected: "WhatsApp disconnected",
}

// webhookForm is the endpoint form filled with events, ticking every box
// of a subscription to all.
func webhookForm(url, description string, events []app.EventType, active bool) ui.WebhookForm {
	f := ui.WebhookForm{URL: url, Description: description, Active: active, Problems: map[string]string{}}
	f.All = len(events) == 0 || slices.Contains(events, app.AllEvents)
	for _, t := range app.EventTypes {
		f.Events = append(f.Events, ui.EventChoice{Type: string(t), Label: eventTypeLabels[t], Checked: !f.All && slices.Contains(events, t)})
	}
	return f
}

// postedWebhook reads the endpoint form: no type ticked, or "every event",
// subscribes to all.
func postedWebhook(r *http.Request) (ui.WebhookForm, []app.EventType) {
	var events []app.EventType
	all := false
	for _, v := range r.PostForm["events"] {
		if v == string(app.AllEvents) {
			all = true
			continue
		}
		events = append(events, app.EventType(v))
	}
	f := webhookForm(strings.TrimSpace(r.PostFormValue("url")), strings.TrimSpace(r.PostFormValue("description")), events, r.PostFormValue("active") == "1")
	if all || len(events) == 0 {
		f.All = true
		for i := range f.Events {
			f.Events[i].Checked = false
		}
		events = []app.EventType{app.AllEvents}
	}
	return f, events
}

// formProblems puts a refusal beside its fields; false when err is not
// the person's to fix.
func formProblems(err error, f *ui.WebhookForm) bool {
	if !productProblems(err, f.Problems) {
		return false
	}
	// The guard's reasons speak of the URL: make them sentences.
	for k, v := range f.Problems {
		f.Problems[k] = sentence(v)
	}
	return true
}

func (s *Server) pageWebhooks(w http.ResponseWriter, r *http.Request) error {
	f := webhookForm("", "", nil, true)
	return s.renderWebhooks(w, r, http.StatusOK, f)
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, f ui.WebhookForm) error {
	l, _ := s.frame(w, r, "Webhooks", "webhooks")
	rows, err := s.webhookRows(r.Context())
	if err != nil {
		return err
	}
	if len(f.Problems) > 0 {
		l.Error = "The endpoint was not added: see the messages beside the fields."
		if msg, ok := f.Problems[""]; ok {
			l.Error = "The endpoint was not added. " + msg
		}
	}
	f.Action, f.Submit = "/webhooks", "Add endpoint"
	return render(w, r, status, ui.Webhooks(ui.WebhooksPage{Layout: l, Endpoints: rows, Form: f, CanAdmin: l.User.CanAdmin(), Stream: "/webhooks/stream"}))
}

func (s *Server) webhookRows(ctx context.Context) ([]ui.WebhookRow, error) {
	hooks, err := s.db.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]ui.WebhookRow, len(hooks))
	for i, h := range hooks {
		rows[i] = webhookRow(ctx, h)
	}
	return rows, nil
}

// postWebhookCreate adds an endpoint and goes to its page, where the
// secret waits in a one-time flash: never in a URL, never shown twice.
func (s *Server) postWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f, events := postedWebhook(r)
	hook, err := s.webhooks.Create(r.Context(), webhook.NewWebhook{URL: f.URL, Description: f.Description, Events: events})
	if err != nil {
		if !formProblems(err, &f) {
			return err
		}
		return s.renderWebhooks(w, r, statusOf[app.ErrorCode(err)], f)
	}
	return s.done(w, r, shopPath("webhooks", hook.ID), flash{notice: "Endpoint added. Copy its signing secret now: it is shown only this once.", secret: hook.Secret})
}

// streamWebhooks keeps the endpoints' health current. Attempts are not
// events, so the refresh tick reads it; a row's key is its data.
func (s *Server) streamWebhooks(w http.ResponseWriter, r *http.Request) error {
	return s.live(w, r, nil, func(ctx context.Context, st *stream) error {
		rows, err := s.webhookRows(ctx)
		if err != nil {
			return err
		}
		return st.patch(ctx, "webhooks", fragmentKey(ctx, rows), func() templ.Component { return ui.WebhookList(rows) })
	}, nil)
}
