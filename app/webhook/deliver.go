package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// Deliver is the webhook_delivery queue's handler: one signed attempt of
// one event to one endpoint, logged. It succeeds on any 2xx; on 429 or 503
// with Retry-After it snoozes (no attempt spent); on 410 it turns the
// endpoint off; otherwise it fails with the schedule's next delay, and the
// endpoint is turned off once every delivery has failed for five days.
// Endpoint and event are read afresh each attempt, so a rotated secret or
// a turned-off endpoint counts at once.
func (s *Service) Deliver(ctx context.Context, job queue.Job) error {
	var j app.WebhookDeliveryJob
	if err := json.Unmarshal(job.Body, &j); err != nil {
		return queue.Permanent(fmt.Errorf("webhook: job body: %w", err))
	}
	w, err := s.db.Webhook(ctx, j.WebhookID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil // deleted since: nothing to deliver to
	}
	if err != nil {
		return err
	}
	typ, body, err := s.db.EventPayload(ctx, j.EventID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return queue.Permanent(err)
	}
	if err != nil {
		return err
	}
	if !w.Active {
		// Logged, so that turning the endpoint on again can redeliver it.
		l := store.WebhookLog{WebhookID: w.ID, EventID: j.EventID, EventType: string(typ), Attempt: job.Attempt,
			Outcome: store.WebhookFailed, Error: "not sent: the webhook is turned off", CreatedAt: s.now()}
		return s.db.Write(ctx, func(tx *store.Tx) error { return tx.InsertWebhookLog(ctx, &l) })
	}
	l, wait := s.post(ctx, w, j.EventID, body)
	l.EventType, l.Attempt = string(typ), job.Attempt
	switch {
	case l.Outcome == store.WebhookDelivered:
		return s.db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.InsertWebhookLog(ctx, &l); err != nil {
				return err
			}
			return tx.WebhookSucceeded(ctx, w.ID, l.CreatedAt)
		})
	case l.Outcome == store.WebhookDeferred:
		next := l.CreatedAt.Add(wait)
		l.NextRetryAt = &next
		off, err := s.failed(ctx, &l)
		if err != nil || off {
			return err
		}
		return queue.Snooze(wait)
	case l.ResponseStatus != nil && *l.ResponseStatus == http.StatusGone:
		return s.db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.InsertWebhookLog(ctx, &l); err != nil {
				return err
			}
			return tx.DisableWebhook(ctx, w.ID, "the endpoint answered 410 Gone: it asked for no more deliveries")
		})
	}
	retry := job.Attempt <= len(s.schedule)
	var delay time.Duration
	if retry {
		delay = s.backoff(job.Attempt)
		next := l.CreatedAt.Add(delay)
		l.NextRetryAt = &next
	}
	off, err := s.failed(ctx, &l)
	if err != nil || off {
		return err
	}
	failure := errors.New(l.Error)
	if !retry {
		return queue.Permanent(failure)
	}
	return queue.RetryAfter(failure, delay)
}

// failed logs a failed or deferred attempt and counts it against the
// endpoint's health; off reports that the endpoint was turned off as a
// result, when every delivery has failed for five days.
func (s *Service) failed(ctx context.Context, l *store.WebhookLog) (off bool, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertWebhookLog(ctx, l); err != nil {
			return err
		}
		since, err := tx.WebhookFailed(ctx, l.WebhookID, l.CreatedAt)
		if err != nil || l.CreatedAt.Sub(since) < disableAfter {
			return err
		}
		off = true
		l.NextRetryAt = nil
		return tx.DisableWebhook(ctx, l.WebhookID,
			fmt.Sprintf("every delivery failed for 5 days, since %s; the last: %s", app.FormatTime(since), app.Shorten(l.Error, 200)))
	})
	return off, err
}

// maxRetryAfter bounds a Retry-After: an endpoint cannot park a delivery
// for longer than the schedule's longest wait.
const maxRetryAfter = 10 * time.Hour

// post makes one signed attempt and describes it as a log row (without
// attempt number and event type, which the caller knows). wait is the
// endpoint's Retry-After when the outcome is deferred.
func (s *Service) post(ctx context.Context, w app.Webhook, eventID string, body []byte) (l store.WebhookLog, wait time.Duration) {
	now := s.now().UTC().Truncate(time.Millisecond)
	sum := sha256.Sum256(body)
	ts := strconv.FormatInt(now.Unix(), 10)
	l = store.WebhookLog{WebhookID: w.ID, EventID: eventID, Outcome: store.WebhookFailed, BodySHA256: hex.EncodeToString(sum[:]),
		CreatedAt: now, RequestHeaders: map[string]string{
			"Content-Type": "application/json", "User-Agent": s.userAgent,
			"webhook-id": eventID, "webhook-timestamp": ts,
		}}
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		secrets = append(secrets, w.PreviousSecret)
	}
	sig, err := Sign(secrets, eventID, now, body)
	if err != nil {
		l.Error = "cannot sign: " + err.Error()
		return l, 0
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		l.Error = "cannot make the request: " + err.Error()
		return l, 0
	}
	for k, v := range l.RequestHeaders {
		req.Header[k] = []string{v} // as written: Standard Webhooks names them in lower case
	}
	req.Header["webhook-signature"] = []string{sig}
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		l.DurationMS = time.Since(start).Milliseconds()
		l.Error = describe(err, s.timeout)
		return l, 0
	}
	head, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	// Read a little more so the connection can be reused; a receiver that
	// answers megabytes gets its connection closed instead.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	l.DurationMS = time.Since(start).Milliseconds()
	status := res.StatusCode
	l.ResponseStatus = &status
	l.ResponseHeaders = flatten(res.Header)
	l.ResponseBody = strings.ToValidUTF8(string(head), "\uFFFD")
	switch {
	case status >= 200 && status < 300:
		l.Outcome = store.WebhookDelivered
	case status >= 300 && status < 400:
		l.Error = fmt.Sprintf("answered %d, a redirect to %q: redirects are not followed; save the final URL instead",
			status, app.Shorten(res.Header.Get("Location"), 200))
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		l.Error = fmt.Sprintf("answered %d", status)
		if d, ok := retryAfter(res.Header.Get("Retry-After"), now); ok {
			l.Outcome, wait = store.WebhookDeferred, d
			l.Error += fmt.Sprintf("; Retry-After asks to wait %s", d)
		}
	default:
		l.Error = fmt.Sprintf("answered %d", status)
	}
	return l, wait
}

// describe says why an attempt got no answer, without Go's wrapping.
func describe(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		err = ue.Unwrap() // drop `Post "url":`, the log row has the URL's webhook
	}
	return app.Shorten(err.Error(), 500)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// flatten keeps a response's headers for the log: one value per name, the
// first 30 names, each value cut at 500 bytes.
func flatten(h http.Header) map[string]string {
	out := make(map[string]string, min(len(h), 30))
	for k, v := range h {
		if len(out) == 30 {
			break
		}
		out[k] = app.Shorten(strings.Join(v, ", "), 500)
	}
	return out
}
