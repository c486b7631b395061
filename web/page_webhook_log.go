package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/store"
	"smartbot/web/ui"
)

// An endpoint's delivery log (newest first, filtered by outcome and event,
// in pages), the test ping whose answer shows in place, and redelivery of
// one event or of everything that failed since a time.

// webhookLogPage is how many attempts one page of the log shows.
const webhookLogPage = 25

// pingBodyShown is how much of a ping's answer the panel shows in place;
// the log keeps its first 4 KiB.
const pingBodyShown = 300

// webhookLog reads the page of the log that q asks for. Filters that are
// not valid are ignored rather than refused: the page still shows.
func (s *Server) webhookLog(ctx context.Context, id string, q url.Values, canOperate bool) (ui.WebhookLog, error) {
	out := ui.WebhookLog{Outcomes: webhookOutcomes, CanOperate: canOperate, Redeliver: shopPath("webhooks", id, "redeliver"),
		FilterURL: shopPath("webhooks", id)}
	f := store.WebhookLogFilter{WebhookID: id, Limit: webhookLogPage + 1}
	if o := q.Get("outcome"); slices.Contains(webhookOutcomes, o) {
		f.Outcome, out.Outcome = o, o
	}
	if e := strings.TrimSpace(q.Get("event_id")); e != "" {
		out.EventID = e
		f.EventID = e
		if !app.ValidID(app.PrefixEvent, e) {
			out.Empty = "“" + app.Shorten(e, 40) + "” is not an event id: they look like evt_…."
			return out, nil
		}
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	out.FirstPage = f.Before == 0
	logs, err := s.db.ListWebhookLogs(ctx, f)
	if err != nil {
		return out, err
	}
	if len(logs) > webhookLogPage {
		logs = logs[:webhookLogPage]
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before", strconv.FormatInt(logs[len(logs)-1].ID, 10))
		out.NextURL = shopPath("webhooks", id) + "?" + next.Encode()
	}
	for _, l := range logs {
		out.Attempts = append(out.Attempts, attemptView(ctx, l))
	}
	if len(out.Attempts) == 0 && out.Empty == "" {
		out.Empty = "No delivery attempts yet. Each event this endpoint subscribes to, and each test ping, is logged here."
		if f.Outcome != "" || f.EventID != "" {
			out.Empty = "No attempts match these filters."
		}
	}
	return out, nil
}

func attemptView(ctx context.Context, l store.WebhookLog) ui.WebhookAttempt {
	a := ui.WebhookAttempt{ID: strconv.FormatInt(l.ID, 10), Time: displayTimeSeconds(ctx, l.CreatedAt), EventID: l.EventID, EventType: l.EventType,
		Attempt: l.Attempt, Outcome: l.Outcome, Duration: strconv.FormatInt(l.DurationMS, 10) + " ms",
		RequestHeaders: headerList(l.RequestHeaders), ResponseHeaders: headerList(l.ResponseHeaders), ResponseBody: l.ResponseBody,
		Error: sentenceOrEmpty(l.Error), Next: displayTimePtr(ctx, l.NextRetryAt), BodySHA256: l.BodySHA256, Ping: l.EventType == webhook.Ping}
	if !a.Ping {
		a.EventHref = "/events?id=" + url.QueryEscape(l.EventID)
	}
	switch l.Outcome {
	case store.WebhookDelivered:
		a.OutcomeClass = "badge badge-ok"
	case store.WebhookFailed:
		a.OutcomeClass = "badge badge-danger"
	default:
		a.OutcomeClass = "badge badge-expired"
	}
	if l.ResponseStatus != nil {
		a.Status = strconv.Itoa(*l.ResponseStatus) + " " + http.StatusText(*l.ResponseStatus)
	}
	return a
}

func sentenceOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return sentence(s)
}

// displayTimeSeconds is displayTime to the second: attempts of one event
// come seconds apart.
func displayTimeSeconds(ctx context.Context, t time.Time) string {
	return t.In(zoneFrom(ctx)).Format("2006-01-02 15:04:05")
}

func headerList(m map[string]string) []ui.Header {
	out := make([]ui.Header, 0, len(m))
	for k, v := range m {
		out = append(out, ui.Header{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// postWebhookTest sends a ping now. With Datastar its answer replaces
// #ping-result in place; a plain form shows it on the endpoint's page (a
// ping changes nothing but the log, so showing it without a redirect is
// harmless to reload).
func (s *Server) postWebhookTest(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	l, err := s.webhooks.Test(r.Context(), h.ID)
	if err != nil {
		return err
	}
	p := pingResult(r.Context(), l)
	if isDatastar(r) {
		return datastar.NewSSE(w, r).PatchElementTempl(ui.Ping(&p))
	}
	return s.renderWebhook(w, r, http.StatusOK, h, webhookShown{ping: &p})
}

func pingResult(ctx context.Context, l store.WebhookLog) ui.PingResult {
	p := ui.PingResult{OK: l.Outcome == store.WebhookDelivered, Duration: strconv.FormatInt(l.DurationMS, 10) + " ms",
		Error: sentenceOrEmpty(l.Error), Time: displayTimeSeconds(ctx, l.CreatedAt), Body: l.ResponseBody}
	if l.ResponseStatus != nil {
		p.Status = strconv.Itoa(*l.ResponseStatus) + " " + http.StatusText(*l.ResponseStatus)
	}
	if len(p.Body) > pingBodyShown {
		cut := pingBodyShown
		for cut > 0 && !utf8.RuneStart(p.Body[cut]) {
			cut--
		}
		p.Body = p.Body[:cut] + "…"
	}
	return p
}

// postWebhookRedeliver queues one event again (event_id) or every event
// that failed since a time (since, in the shop's zone).
func (s *Server) postWebhookRedeliver(w http.ResponseWriter, r *http.Request) error {
	h, err := s.webhookOf(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var red webhook.Redelivery
	if id := strings.TrimSpace(r.PostFormValue("event_id")); id != "" {
		if !app.ValidID(app.PrefixEvent, id) {
			err = app.Invalid(app.FieldError{Field: "event_id", Message: "is not an event id (evt_…)"})
		}
		red.EventID = id
	} else {
		t, perr := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(r.PostFormValue("since")), zoneFrom(ctx))
		if perr != nil {
			err = app.Invalid(app.FieldError{Field: "since", Message: "must be a day and a time, like 2026-05-01 14:30"})
		}
		red.Since = t
	}
	n := 0
	if err == nil {
		n, err = s.webhooks.Redeliver(ctx, h.ID, red)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderWebhook(w, r, status, h, webhookShown{problem: "Nothing was sent again. " + refusal("", err)})
		})
	}
	notice := "The event will be sent again; its attempts appear in the log."
	if red.EventID == "" {
		notice = plural(n, "event") + " that failed since " + displayTime(ctx, red.Since) + " will be sent again."
	}
	return s.done(w, r, shopPath("webhooks", h.ID), flash{notice: notice})
}
