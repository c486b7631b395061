package web

import (
	"context"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/store"
	"smartbot/web/ui"
)

// One endpoint's page: its health (a banner when it is turned off, with
// "turn on again"), the secret just made or rotated (once), the edit form,
// rotate and delete (each asks first), the test ping and the delivery log
// (page_webhook_log.go). Its stream keeps health and log current.

func (s *Server) webhookOf(r *http.Request) (app.Webhook, error) {
	id, err := webhookID(r)
	if err != nil {
		return app.Webhook{}, app.Errorf(app.ENOTFOUND, "This webhook endpoint does not exist: it was deleted, or the link is wrong.")
	}
	return s.webhooks.Webhook(r.Context(), id)
}

func (s *Server) pageWebhook(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	return s.renderWebhook(w, r, http.StatusOK, h, webhookShown{})
}

// webhookShown is what an endpoint's page shows besides the endpoint: the
// edit form as refused, the answer of a ping sent without JavaScript, or
// why a redelivery was refused.
type webhookShown struct {
	typed   *ui.WebhookForm
	ping    *ui.PingResult
	problem string
}

// renderWebhook shows endpoint h with what a form left.
func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, status int, h app.Webhook, shown webhookShown) error {
	typed, ping := shown.typed, shown.ping
	ctx := r.Context()
	l, f := s.frame(w, r, orDefault(h.Description, "Webhook endpoint"), "webhooks")
	log, err := s.webhookLog(ctx, h.ID, r.URL.Query(), l.User.CanOperate())
	if err != nil {
		return err
	}
	p := ui.WebhookPage{Layout: l, Endpoint: webhookRow(ctx, h), Secret: f.secret, CanAdmin: l.User.CanAdmin(), CanOperate: l.User.CanOperate(),
		Stream: shopPath("webhooks", h.ID, "stream") + streamQuery(r), PingAction: shopPath("webhooks", h.ID, "test"),
		Redeliver: shopPath("webhooks", h.ID, "redeliver"), EnableAction: shopPath("webhooks", h.ID, "enable"),
		RotateHref: shopPath("webhooks", h.ID, "rotate"), DeleteHref: shopPath("webhooks", h.ID, "delete"),
		SinceDefault: s.now().Add(-24 * time.Hour).In(zoneFrom(ctx)).Format("2006-01-02T15:04"), Log: log, Ping: ping}
	if t := h.PreviousSecretExpiresAt; t != nil && t.After(s.now()) {
		p.PreviousUntil = displayTime(ctx, *t)
	}
	if typed != nil {
		p.Form = *typed
		l.Error = "Not saved: see the messages beside the fields."
		if msg, ok := typed.Problems[""]; ok {
			l.Error = "Not saved. " + msg
		}
	} else {
		p.Form = webhookForm(h.URL, h.Description, h.Events, h.Active)
	}
	if shown.problem != "" {
		l.Error = shown.problem
	}
	p.Layout = l
	p.Form.Action, p.Form.Submit, p.Form.ShowActive = shopPath("webhooks", h.ID), "Save changes", true
	return render(w, r, status, ui.Webhook(p))
}

// streamQuery carries the log's filters to the stream, which shows the
// same page of the log.
func streamQuery(r *http.Request) string {
	q := r.URL.Query()
	q.Del("before") // an older page does not move; the stream shows the first
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// postWebhookSave changes the endpoint. Turning a disabled one on goes
// through Enable, as the API's PATCH does.
func (s *Server) postWebhookSave(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	f, events := postedWebhook(r)
	ctx := r.Context()
	ch := webhook.Change{URL: &f.URL, Description: &f.Description, Events: &events}
	if !f.Active && h.Active {
		ch.Active = &f.Active
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if f.Active && !h.Active {
			if _, _, err := s.webhooks.EnableTx(ctx, tx, h.ID, false); err != nil {
				return err
			}
		}
		_, err := s.webhooks.UpdateTx(ctx, tx, h.ID, ch)
		return err
	})
	if err != nil {
		if !formProblems(err, &f) {
			return err
		}
		return s.renderWebhook(w, r, statusOf[app.ErrorCode(err)], h, webhookShown{typed: &f})
	}
	return s.done(w, r, shopPath("webhooks", h.ID), flash{notice: "Endpoint saved."})
}

// postWebhookEnable turns a disabled endpoint on, and on request sends
// again what failed to reach it while it was failing or off.
func (s *Server) postWebhookEnable(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	_, n, err := s.webhooks.Enable(r.Context(), h.ID, r.PostFormValue("redeliver") == "1")
	if err != nil {
		return err
	}
	notice := "The endpoint is on again."
	if r.PostFormValue("redeliver") == "1" {
		notice += " " + plural(n, "event") + " that failed meanwhile will be sent again."
	}
	return s.done(w, r, shopPath("webhooks", h.ID), flash{notice: notice})
}

func (s *Server) pageWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "webhooks", ui.ConfirmPage{
		Detail: "A new signing secret is made and shown once. The current one keeps signing beside it for 24 hours, so the receiver at " +
			h.URL + " can switch without missing a delivery; after that only the new one works.",
		Action: r.URL.Path, Button: "Rotate secret", Cancel: shopPath("webhooks", h.ID),
	}, "Rotate this endpoint's secret?")
}

func (s *Server) postWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	rotated, err := s.webhooks.RotateSecret(r.Context(), h.ID)
	if err != nil {
		return err
	}
	until := ""
	if t := rotated.PreviousSecretExpiresAt; t != nil {
		until = " until " + displayTime(r.Context(), *t)
	}
	return s.done(w, r, shopPath("webhooks", h.ID), flash{
		notice: "New secret made: copy it now, it is shown only this once. The old secret keeps working for 24 hours" + until + ".",
		secret: rotated.Secret})
}

func (s *Server) pageWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "webhooks", ui.ConfirmPage{
		Detail: h.URL + " will receive nothing more; deliveries still waiting are dropped and its delivery log is deleted. This cannot be undone.",
		Action: r.URL.Path, Button: "Delete endpoint", Cancel: shopPath("webhooks", h.ID),
	}, "Delete this webhook endpoint?")
}

func (s *Server) postWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	if err := s.webhooks.Delete(r.Context(), h.ID); err != nil {
		return err
	}
	return s.done(w, r, "/webhooks", flash{notice: "Endpoint " + h.URL + " deleted."})
}

// streamWebhook keeps the endpoint's health and the first page of its log
// current. Attempts are not events: the refresh tick reads them, and
// patches only what changed.
func (s *Server) streamWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	user := layout(r, "", "").User
	canOperate, canAdmin := user.CanOperate(), user.CanAdmin()
	q := r.URL.Query()
	q.Del("before")
	return s.live(w, r, nil, func(ctx context.Context, st *stream) error {
		h, err := s.webhooks.Webhook(ctx, id)
		if err != nil {
			return err
		}
		row := webhookRow(ctx, h)
		if err := st.patch(ctx, "webhook-health "+id, fragmentKey(ctx, row, canAdmin), func() templ.Component { return ui.WebhookHealth(row, canAdmin) }); err != nil {
			return err
		}
		log, err := s.webhookLog(ctx, id, q, canOperate)
		if err != nil {
			return err
		}
		return st.patch(ctx, "webhook-log "+id, fragmentKey(ctx, log), func() templ.Component { return ui.WebhookLogList(log) })
	}, nil)
}
