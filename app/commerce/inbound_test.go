package commerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// notify signs body at the clock's time (plus skew) with secret and hands
// it to the service as the endpoint would.
func (s *payShop) notify(secret string, skew time.Duration, body string) (app.Payment, bool, error) {
	at := s.clock.Now().Add(skew).Unix()
	return s.svc.ReceivePayment(context.Background(), commerce.InboundRequest{Timestamp: strconv.FormatInt(at, 10),
		Signature: commerce.SignInbound(secret, at, []byte(body)), Body: strings.NewReader(body)})
}

// refusals returns the reasons of the audit rows of refused notifications.
func (s *payShop) refusals() []string {
	s.t.Helper()
	rows, err := s.db.ListAudit(context.Background(), store.AuditFilter{Action: "payment.inbound_refused"})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var v struct{ Reason string }
		json.Unmarshal(r.After, &v)
		out = append(out, v.Reason)
	}
	return out
}

func paymentBody(number, currency, reference string, amount int64) string {
	b, _ := json.Marshal(map[string]any{"order_number": number, "amount": amount, "currency": currency, "provider": "ecocash",
		"reference": reference, "paid_at": "2026-03-01T08:59:00Z"})
	return string(b)
}

func TestSignedNotificationsAreRecordedOnceAndEverythingElseRefusedAndAudited(t *testing.T) {
	s := newPayShop(t)
	o := s.order(1000)
	valid := paymentBody(o.Number, "USD", "MP-1", 1000)

	// No secret yet: refused, and the owner is told what to do.
	if _, _, err := s.notify("whpay_guess", 0, valid); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(app.ErrorMessage(err), "secret") {
		t.Fatalf("before any secret: %v", err)
	}
	secret, info, err := s.svc.RotateInboundSecret(context.Background(), false)
	if err != nil || !strings.HasPrefix(secret, commerce.InboundSecretPrefix) || len(secret) < 40 || !info.Set {
		t.Fatalf("secret %q, %+v, %v", secret, info, err)
	}

	tampered := strings.Replace(valid, `"amount":1000`, `"amount":9000`, 1)
	at := s.clock.Now().Unix()
	refused := []struct {
		name  string
		send  func() error
		code  string
		field string
	}{
		{"a body changed after signing", func() error {
			_, _, err := s.svc.ReceivePayment(context.Background(), commerce.InboundRequest{Timestamp: strconv.FormatInt(at, 10),
				Signature: commerce.SignInbound(secret, at, []byte(valid)), Body: strings.NewReader(tampered)})
			return err
		}, app.EUNAUTHORIZED, "X-Smartbot-Signature"},
		{"a signature changed", func() error {
			sig := []byte(commerce.SignInbound(secret, at, []byte(valid)))
			sig[len(sig)-1] ^= 1
			_, _, err := s.svc.ReceivePayment(context.Background(), commerce.InboundRequest{Timestamp: strconv.FormatInt(at, 10),
				Signature: string(sig), Body: strings.NewReader(valid)})
			return err
		}, app.EUNAUTHORIZED, "X-Smartbot-Signature"},
		{"no signature", func() error {
			_, _, err := s.svc.ReceivePayment(context.Background(), commerce.InboundRequest{Timestamp: strconv.FormatInt(at, 10), Body: strings.NewReader(valid)})
			return err
		}, app.EUNAUTHORIZED, "X-Smartbot-Signature"},
		{"another secret", func() error { _, _, err := s.notify("whpay_other", 0, valid); return err }, app.EUNAUTHORIZED, "X-Smartbot-Signature"},
		{"signed six minutes ago", func() error { _, _, err := s.notify(secret, -6*time.Minute, valid); return err }, app.EUNAUTHORIZED, "X-Smartbot-Timestamp"},
		{"signed six minutes ahead", func() error { _, _, err := s.notify(secret, 6*time.Minute, valid); return err }, app.EUNAUTHORIZED, "X-Smartbot-Timestamp"},
		{"an unknown order", func() error {
			_, _, err := s.notify(secret, 0, paymentBody("SB-999999", "USD", "MP-2", 1000))
			return err
		}, app.EINVALID, "order_number"},
		{"the wrong currency", func() error { _, _, err := s.notify(secret, 0, paymentBody(o.Number, "ZAR", "MP-3", 1000)); return err }, app.EINVALID, "currency"},
		{"an amount in major units", func() error {
			_, _, err := s.notify(secret, 0, strings.Replace(valid, `"amount":1000`, `"amount":10.5`, 1))
			return err
		}, app.EINVALID, "amount"},
		{"an unknown field", func() error {
			_, _, err := s.notify(secret, 0, strings.Replace(valid, `{`, `{"tip":5,`, 1))
			return err
		}, app.EINVALID, "tip"},
		{"a body that is not JSON", func() error { _, _, err := s.notify(secret, 0, "order=SB-000001"); return err }, "malformed", ""},
		{"a body too large", func() error {
			_, _, err := s.notify(secret, 0, valid+strings.Repeat(" ", commerce.MaxInboundBody))
			return err
		}, app.ETOOLARGE, ""},
	}
	for i, c := range refused {
		err := c.send()
		code := app.ErrorCode(err)
		var malformed *commerce.MalformedError
		if errors.As(err, &malformed) {
			code = "malformed"
		}
		if code != c.code || (c.field != "" && !hasField(err, c.field)) {
			t.Errorf("%s: %v (%s), want %s on %q", c.name, err, code, c.code, c.field)
		}
		if got := s.tally(); got != (tally{}) || s.get(o.ID).PaymentStatus != app.PaymentUnpaid {
			t.Fatalf("%s recorded something: %+v", c.name, got)
		}
		if n := len(s.refusals()); n != i+2 { // +1: the refusal before the secret
			t.Fatalf("%s: %d refusals audited, want %d", c.name, n, i+2)
		}
	}
	for _, r := range s.refusals() {
		if strings.Contains(r, secret) || r == "" {
			t.Fatalf("a refusal's reason is empty or holds the secret: %q", r)
		}
	}

	p, created, err := s.notify(secret, 0, valid)
	if err != nil || !created || p.Amount != 1000 || p.Provider != "ecocash" || p.Reference != "MP-1" || p.RecordedBy != "inbound" ||
		p.Method != app.PayMobileMoney || !p.PaidAt.Equal(time.Date(2026, 3, 1, 8, 59, 0, 0, time.UTC)) {
		t.Fatalf("a valid notification: %+v, created %v, %v", p, created, err)
	}
	if got, want := s.tally(), (tally{payments: 1, events: 1, notices: 1, audits: 2}); got != want {
		t.Fatalf("a valid notification left %+v, want %+v", got, want)
	}
	if got := s.get(o.ID); got.PaymentStatus != app.PaymentPaid {
		t.Fatalf("payment status %s after the full amount", got.PaymentStatus)
	}

	// A replay, signed afresh a minute later as a provider's retry is.
	s.clock.Add(time.Minute)
	again, created, err := s.notify(secret, 0, valid)
	if err != nil || created || again != p {
		t.Fatalf("a replay: %+v created %v, %v; want the first payment", again, created, err)
	}
	if got, want := s.tally(), (tally{payments: 1, events: 1, notices: 1, audits: 2}); got != want {
		t.Fatalf("a replay recorded something: %+v", got)
	}
}

func TestARotatedSecretKeepsWorkingForItsGraceUnlessExpired(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	first, _, err := s.svc.RotateInboundSecret(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	second, info, err := s.svc.RotateInboundSecret(ctx, false)
	if err != nil || second == first || info.PreviousValidUntil == nil || !info.PreviousValidUntil.Equal(s.clock.Now().Add(commerce.InboundGrace)) {
		t.Fatalf("rotation: %+v, %v", info, err)
	}
	ref := 0
	send := func(secret string) error {
		ref++
		_, _, err := s.notify(secret, 0, paymentBody(o.Number, "USD", "R"+strconv.Itoa(ref), 10))
		return err
	}
	if err := send(first); err != nil {
		t.Fatalf("the previous secret within its grace: %v", err)
	}
	s.clock.Add(commerce.InboundGrace + time.Second)
	if err := send(first); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the previous secret after its grace: %v", err)
	}
	if err := send(second); err != nil {
		t.Fatalf("the current secret: %v", err)
	}
	if info, _ := s.svc.InboundSecret(ctx); info.PreviousValidUntil != nil {
		t.Fatalf("after the grace the info still shows the previous secret valid: %+v", info)
	}
	third, _, err := s.svc.RotateInboundSecret(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(second); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("a secret expired at once by rotation: %v", err)
	}
	if err := send(third); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(must(s.svc.InboundSecret(ctx)))
	for _, sec := range []string{first, second, third} {
		if bytes.Contains(b, []byte(sec)) {
			t.Fatalf("the secret's info shows a secret: %s", b)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
