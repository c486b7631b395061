package webhook_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// start runs a real runner with the service's queue configuration; the
// channel it returns receives each attempt's outcome once it is logged.
func (e *env) start(t *testing.T) <-chan error {
	t.Helper()
	r := queue.NewRunner(queue.RunnerOptions{Queues: e.qs, Config: map[queue.Name]queue.Config{queue.WebhookDelivery: e.svc.QueueConfig()}})
	done := make(chan error, 1024)
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		err := e.svc.Deliver(ctx, job)
		done <- err
		return err
	})
	r.Start()
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return done
}

func TestEveryDeliveryPassesTheStandardWebhooksVerifierAndATamperedOneDoesNot(t *testing.T) {
	e := newEnv(t, webhook.Options{AllowPrivate: true})
	rc := newReceiver(t, nil)
	w := e.hook(t, rc.url)
	e.start(t)
	sent := []app.Event{
		e.emit(t, order),
		e.emit(t, app.PaymentReceivedData{PaymentID: "pay_1", OrderID: "ord_1", OrderNumber: "SB-000001", Amount: 1250, Currency: "USD"}),
		e.emit(t, app.BotDisconnectedData{Reason: "network"}),
	}
	verifier, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]hit{}
	for range sent {
		h := rc.next(t)
		got[h.header.Get("webhook-id")] = h
	}
	for _, ev := range sent {
		h, ok := got[ev.ID]
		if !ok {
			t.Fatalf("event %s was not delivered with its id as webhook-id", ev.ID)
		}
		if err := verifier.Verify(h.body, h.header); err != nil {
			t.Errorf("the verifier refused the delivery of %s: %v", ev.Type, err)
		}
		_, stored, _ := e.db.EventPayload(context.Background(), ev.ID)
		if !bytes.Equal(h.body, stored) {
			t.Errorf("the body is not the stored payload:\n%s\n%s", h.body, stored)
		}
		if ct, ua := h.header.Get("Content-Type"), h.header.Get("User-Agent"); ct != "application/json" || ua != "Smartbot/test" {
			t.Errorf("Content-Type %q, User-Agent %q", ct, ua)
		}
		tampered := append(bytes.Clone(h.body[:len(h.body)-1]), ' ', '}')
		if err := verifier.Verify(tampered, h.header); err == nil {
			t.Error("the verifier accepted a tampered body")
		}
		late := h.header.Clone()
		ts, _ := strconv.ParseInt(h.header.Get("webhook-timestamp"), 10, 64)
		late.Set("webhook-timestamp", strconv.FormatInt(ts+1, 10))
		if err := verifier.Verify(h.body, late); err == nil {
			t.Error("the verifier accepted a tampered timestamp")
		}
	}
}

func TestAReceiverThatFailsTwiceGetsTheEventThreeTimesWithTheSameIDAtGrowingGaps(t *testing.T) {
	// The real runner on a scaled schedule: 20 ms, then 200 ms.
	e := newEnv(t, webhook.Options{AllowPrivate: true, Schedule: []time.Duration{20 * time.Millisecond, 200 * time.Millisecond}})
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("not today"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	w := e.hook(t, rc.url)
	done := e.start(t)
	ev := e.emit(t, order)
	var hits []hit
	for range 3 {
		hits = append(hits, rc.next(t))
		<-done
	}
	for _, h := range hits {
		if id := h.header.Get("webhook-id"); id != ev.ID {
			t.Errorf("attempt %d has webhook-id %s, want %s", h.n, id, ev.ID)
		}
	}
	ls := e.logs(t, w)
	if len(ls) != 3 {
		t.Fatalf("%d log rows, want 3", len(ls))
	}
	for i, l := range ls {
		if l.Attempt != i+1 {
			t.Errorf("log %d is attempt %d", i, l.Attempt)
		}
	}
	if ls[0].Outcome != store.WebhookFailed || ls[1].Outcome != store.WebhookFailed || ls[2].Outcome != store.WebhookDelivered {
		t.Errorf("outcomes %s, %s, %s", ls[0].Outcome, ls[1].Outcome, ls[2].Outcome)
	}
	if ls[0].ResponseBody != "not today" || *ls[0].ResponseStatus != 500 {
		t.Errorf("the first attempt's answer was logged as %v %q", ls[0].ResponseStatus, ls[0].ResponseBody)
	}
	gap1, gap2 := ls[1].CreatedAt.Sub(ls[0].CreatedAt), ls[2].CreatedAt.Sub(ls[1].CreatedAt)
	if !(gap2 > gap1) || gap1 < 18*time.Millisecond || gap2 < 180*time.Millisecond {
		t.Errorf("gaps %s then %s; want about 20 ms then 200 ms", gap1, gap2)
	}
	for i := range 2 {
		if ls[i].NextRetryAt == nil || ls[i+1].CreatedAt.Before(*ls[i].NextRetryAt) {
			t.Errorf("attempt %d announced its retry at %v and came at %s", i+1, ls[i].NextRetryAt, ls[i+1].CreatedAt)
		}
	}
	if ls[2].NextRetryAt != nil {
		t.Error("a delivered attempt announces a retry")
	}
	if got := e.webhook(t, w.ID); got.FailureStreak != 0 || got.LastSuccessAt == nil || got.FailingSince != nil {
		t.Errorf("after the success the webhook's health is streak %d, last success %v, failing since %v", got.FailureStreak, got.LastSuccessAt, got.FailingSince)
	}
}

func TestAFailedAttemptIsRetriedOnTheScheduleAndTheLastOneGivesUp(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, webhook.Options{AllowPrivate: true, Now: clock.Now})
	rc500 := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
	w := e.hook(t, rc500.url)
	ev := e.emit(t, order)
	for n := 1; n <= len(webhook.DefaultSchedule)+1; n++ {
		err := e.deliver(t, w, ev, n)
		if n == len(webhook.DefaultSchedule)+1 {
			if err == nil || !strings.Contains(err.Error(), "answered 502") {
				t.Fatalf("the last attempt returned %v", err)
			}
			break
		}
		if err == nil {
			t.Fatalf("attempt %d failed and returned nil", n)
		}
		l := e.logs(t, w)[n-1]
		want := webhook.DefaultSchedule[n-1]
		if got := l.NextRetryAt.Sub(l.CreatedAt); got < want*9/10 || got > want*11/10 {
			t.Errorf("attempt %d: next retry in %s, want %s ± 10 %%", n, got, want)
		}
		clock.Add(l.NextRetryAt.Sub(l.CreatedAt))
	}
	if last := e.logs(t, w)[len(webhook.DefaultSchedule)]; last.NextRetryAt != nil {
		t.Error("the last attempt announced a retry")
	}
}

func TestA410TurnsTheEndpointOffAtOnce(t *testing.T) {
	e := newEnv(t, webhook.Options{AllowPrivate: true})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
	w := e.hook(t, rc.url)
	ev := e.emit(t, order)
	if err := e.deliver(t, w, ev, 1); err != nil {
		t.Fatalf("a 410 returned %v; it ends the job", err)
	}
	got := e.webhook(t, w.ID)
	if got.Active || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("after a 410 the webhook is active=%v, reason %q", got.Active, got.DisabledReason)
	}
	e.emit(t, order)
	if n := storetest.Count(t, e.db, `select count(*) from goqite where queue = 'webhook_delivery'`); n != 2-1 {
		t.Errorf("%d deliveries queued; the turned-off endpoint should get no new one", n)
	}
}

func TestRetryAfterOn429Or503SnoozesWithoutSpendingAnAttempt(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, webhook.Options{AllowPrivate: true, Now: clock.Now})
	for _, tc := range []struct {
		status int
		after  string
		want   time.Duration
	}{
		{429, "7", 7 * time.Second},
		{503, clock.Now().Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
	} {
		rc := newReceiver(t, func(_ int, w http.ResponseWriter) {
			w.Header().Set("Retry-After", tc.after)
			w.WriteHeader(tc.status)
		})
		w := e.hook(t, rc.url)
		err := e.deliver(t, w, e.emit(t, order), 3)
		d, ok := queue.Snoozed(err)
		if !ok || d != tc.want {
			t.Errorf("%d with Retry-After %s: returned %v, want a snooze of %s", tc.status, tc.after, err, tc.want)
		}
		l := e.logs(t, w)[0]
		if l.Outcome != store.WebhookDeferred || l.Attempt != 3 || l.NextRetryAt == nil || l.NextRetryAt.Sub(l.CreatedAt) != tc.want {
			t.Errorf("%d: logged %s attempt %d next %v", tc.status, l.Outcome, l.Attempt, l.NextRetryAt)
		}
	}
	// Without Retry-After, a 429 is a failure like any other.
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(429) })
	w := e.hook(t, rc.url)
	if _, ok := queue.Snoozed(e.deliver(t, w, e.emit(t, order), 1)); ok {
		t.Error("a 429 without Retry-After snoozed")
	}
}

func TestARedirectIsAFailureAndIsNotFollowed(t *testing.T) {
	e := newEnv(t, webhook.Options{AllowPrivate: true})
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.url)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	w := e.hook(t, rc.url)
	err := e.deliver(t, w, e.emit(t, order), 1)
	if err == nil {
		t.Fatal("a redirect counted as delivered")
	}
	if n := target.count.Load(); n != 0 {
		t.Fatalf("the redirect was followed: its target got %d requests", n)
	}
	if l := e.logs(t, w)[0]; l.Outcome != store.WebhookFailed || !strings.Contains(l.Error, "redirect") {
		t.Errorf("logged %s: %s", l.Outcome, l.Error)
	}
}

func TestAnEndpointFailingEveryDeliveryForFiveDaysIsTurnedOffAndCanBeTurnedOnWithRedelivery(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, webhook.Options{AllowPrivate: true, Now: clock.Now})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(500) })
	w := e.hook(t, rc.url)
	first, second := e.emit(t, order), e.emit(t, order)
	e.deliver(t, w, first, 1)
	clock.Add(5*24*time.Hour - time.Minute)
	e.deliver(t, w, second, 4)
	if !e.webhook(t, w.ID).Active {
		t.Fatal("turned off before five days")
	}
	clock.Add(time.Minute)
	if err := e.deliver(t, w, first, 5); err != nil {
		t.Fatalf("the delivery that turned the endpoint off returned %v", err)
	}
	got := e.webhook(t, w.ID)
	if got.Active || !strings.Contains(got.DisabledReason, "5 days") {
		t.Fatalf("after five days of failures: active=%v reason %q", got.Active, got.DisabledReason)
	}
	before := storetest.Count(t, e.db, `select count(*) from goqite where queue = 'webhook_delivery'`)
	on, n, err := e.svc.Enable(context.Background(), w.ID, true)
	if err != nil || !on.Active || on.DisabledReason != "" || on.FailureStreak != 0 {
		t.Fatalf("enable: %v %+v", err, on)
	}
	if n != 2 || storetest.Count(t, e.db, `select count(*) from goqite where queue = 'webhook_delivery'`) != before+2 {
		t.Errorf("enable redelivered %d events, want the 2 that failed", n)
	}
}

func TestARotatedSecretSignsBesideTheNewOneFor24Hours(t *testing.T) {
	clock := storetest.NewClock(time.Now())
	e := newEnv(t, webhook.Options{AllowPrivate: true, Now: clock.Now})
	rc := newReceiver(t, nil)
	w := e.hook(t, rc.url)
	rotated, err := e.svc.RotateSecret(context.Background(), w.ID)
	if err != nil || rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotate: %v, secret %q", err, rotated.Secret)
	}
	old, _ := standardwebhooks.NewWebhook(w.Secret)
	current, _ := standardwebhooks.NewWebhook(rotated.Secret)
	e.deliver(t, w, e.emit(t, order), 1)
	h := rc.next(t)
	if sigs := strings.Fields(h.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("during the overlap the signature header is %q; want two", h.header.Get("webhook-signature"))
	}
	if old.VerifyIgnoringTimestamp(h.body, h.header) != nil || current.VerifyIgnoringTimestamp(h.body, h.header) != nil {
		t.Error("during the overlap both secrets must verify")
	}
	clock.Add(24*time.Hour + time.Second)
	e.deliver(t, w, e.emit(t, order), 1)
	h = rc.next(t)
	if old.VerifyIgnoringTimestamp(h.body, h.header) == nil {
		t.Error("the old secret still verifies after 24 hours")
	}
	if current.VerifyIgnoringTimestamp(h.body, h.header) != nil {
		t.Error("the new secret does not verify")
	}
	if n := storetest.Count(t, e.db, `select count(*) from audit_logs where coalesce(after, '') like '%whsec_%' or coalesce(before, '') like '%whsec_%'`); n != 0 {
		t.Errorf("%d audit rows hold a secret", n)
	}
	ls := e.logs(t, w)
	for _, l := range ls {
		for k := range l.RequestHeaders {
			if strings.EqualFold(k, "webhook-signature") {
				t.Error("a log row keeps the signature")
			}
		}
	}
	if sum := sha256.Sum256(h.body); ls[len(ls)-1].BodySHA256 != hex.EncodeToString(sum[:]) {
		t.Error("the log's body digest is not the body's")
	}
}

func TestAPingIsSignedDeliveredNowAndKeptOutOfTheHistory(t *testing.T) {
	e := newEnv(t, webhook.Options{AllowPrivate: true})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.Write([]byte(`{"ok":true}`)) })
	w := e.hook(t, rc.url)
	l, err := e.svc.Test(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := rc.next(t)
	v, _ := standardwebhooks.NewWebhook(w.Secret)
	if err := v.Verify(h.body, h.header); err != nil {
		t.Errorf("the verifier refused the ping: %v", err)
	}
	if !bytes.Contains(h.body, []byte(`"type":"ping"`)) || l.Outcome != store.WebhookDelivered || l.ResponseBody != `{"ok":true}` || l.EventType != "ping" {
		t.Errorf("ping %s logged as %+v", h.body, l)
	}
	if n := storetest.Count(t, e.db, `select count(*) from events`); n != 0 {
		t.Errorf("the ping is in the event history (%d events)", n)
	}
}
