package commerce

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// Signed inbound payments (DESIGN §8, §13): a payment provider or the
// shop's own system reports a payment with
//
//	X-Smartbot-Timestamp: Unix seconds
//	X-Smartbot-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + raw body>
//
// signed with the secret the owner made. docs/payments.md is the guide.

const (
	// InboundWindow is how far a notification's timestamp may be from the
	// server's clock, either way: a captured notification cannot be
	// replayed later, and a sender's slightly wrong clock still works.
	InboundWindow = 5 * time.Minute
	// InboundGrace is how long the previous secret still verifies after a
	// rotation, so the shop can give the provider the new one without
	// losing the notifications sent meanwhile.
	InboundGrace = 24 * time.Hour
	// MaxInboundBody caps a notification's body: a payment report is a few
	// hundred bytes.
	MaxInboundBody = 64 << 10
	// InboundSecretPrefix marks a secret for what it is when it turns up
	// in a config file or a leak scanner.
	InboundSecretPrefix = "whpay_"
	// InboundDefaultMethod is the method of a notification that names
	// none: providers that report payments are mostly mobile money.
	InboundDefaultMethod = app.PayMobileMoney
)

// SignInbound is the X-Smartbot-Signature of body sent at timestamp (Unix
// seconds) and signed with secret.
func SignInbound(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// InboundSecretInfo is what may be shown of the secret: never the secret.
type InboundSecretInfo struct {
	Set       bool       `json:"set"`
	CreatedAt *time.Time `json:"created_at"`
	// PreviousValidUntil is when the secret replaced by the last rotation
	// stops verifying; null when none does any more.
	PreviousValidUntil *time.Time `json:"previous_valid_until"`
}

// InboundSecret says whether the owner has made a secret, and when.
func (s *Service) InboundSecret(ctx context.Context) (InboundSecretInfo, error) {
	sec, err := s.db.InboundPaymentSecret(ctx)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return InboundSecretInfo{}, nil
	}
	if err != nil {
		return InboundSecretInfo{}, err
	}
	return s.secretInfo(sec), nil
}

func (s *Service) secretInfo(sec store.InboundSecret) InboundSecretInfo {
	info := InboundSecretInfo{Set: true, CreatedAt: &sec.CreatedAt}
	if sec.PreviousUntil != nil && s.now().Before(*sec.PreviousUntil) {
		info.PreviousValidUntil = sec.PreviousUntil
	}
	return info
}

// RotateInboundSecret makes a new secret and returns it: the only time it
// is shown. The one it replaces keeps verifying for InboundGrace, unless
// expirePrevious (it leaked) ends it now.
func (s *Service) RotateInboundSecret(ctx context.Context, expirePrevious bool) (secret string, info InboundSecretInfo, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		secret, info, err = s.RotateInboundSecretTx(ctx, tx, expirePrevious)
		return err
	})
	return secret, info, err
}

// RotateInboundSecretTx is RotateInboundSecret inside tx.
func (s *Service) RotateInboundSecretTx(ctx context.Context, tx *store.Tx, expirePrevious bool) (string, InboundSecretInfo, error) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	now := s.now().UTC().Truncate(time.Millisecond)
	sec := store.InboundSecret{Secret: InboundSecretPrefix + base64.RawURLEncoding.EncodeToString(b), CreatedAt: now}
	old, err := tx.DB().InboundPaymentSecret(ctx)
	switch {
	case err == nil && !expirePrevious:
		until := now.Add(InboundGrace)
		sec.Previous, sec.PreviousUntil = old.Secret, &until
	case err != nil && app.ErrorCode(err) != app.ENOTFOUND:
		return "", InboundSecretInfo{}, err
	}
	if err := tx.SetInboundPaymentSecret(ctx, sec); err != nil {
		return "", InboundSecretInfo{}, err
	}
	return sec.Secret, s.secretInfo(sec), nil
}

// InboundRequest is a notification as it arrived.
type InboundRequest struct {
	Timestamp string    // X-Smartbot-Timestamp
	Signature string    // X-Smartbot-Signature
	Body      io.Reader // read once, at most MaxInboundBody
}

// inboundBody is a notification's JSON. Method is Smartbot's addition to
// DESIGN §13's fields; it defaults to InboundDefaultMethod.
type inboundBody struct {
	OrderNumber string `json:"order_number"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Provider    string `json:"provider"`
	Reference   string `json:"reference"`
	PaidAt      string `json:"paid_at"`
	Method      string `json:"method"`

	paidAt *time.Time
}

// MalformedError is a notification body that is not the JSON expected;
// the web layer answers it 400.
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string { return e.Reason }

// ReceivePayment checks a signed notification and records its payment
// through RecordPaymentTx, as staff would, in one transaction with its
// event. created is false for a repeat of a (provider, reference) already
// recorded: the first payment is returned and nothing is recorded.
//
// Every refusal (no secret, a bad or stale signature, a malformed body,
// an unknown order, a wrong currency, a cancelled order) records nothing
// but an audit row saying why and from where, then returns the error:
// EUNAUTHORIZED for the signature and timestamp, EFORBIDDEN while no
// secret exists, *MalformedError, EINVALID, ECONFLICT.
func (s *Service) ReceivePayment(ctx context.Context, in InboundRequest) (p app.Payment, created bool, err error) {
	var body inboundBody
	err = s.verifyInbound(ctx, in, &body)
	if err == nil {
		ctx = app.WithActor(ctx, app.Actor{Type: app.ActorSystem, Name: "inbound payment: " + body.Provider})
		err = s.db.Write(ctx, func(tx *store.Tx) error {
			p, created, err = s.RecordPaymentTx(ctx, tx, NewPayment{Order: body.OrderNumber, Amount: body.Amount, Currency: body.Currency,
				Method: body.Method, Provider: body.Provider, Reference: body.Reference, PaidAt: body.paidAt, recordedBy: "inbound"})
			return err
		})
		if app.ErrorCode(err) == app.ENOTFOUND {
			// The endpoint exists; what is wrong is a field of the body.
			err = app.Invalid(app.FieldError{Field: "order_number", Message: "names no order of this shop: " + body.OrderNumber})
		}
	}
	if err != nil {
		s.refuseInbound(ctx, body, err)
	}
	return p, created, err
}

// verifyInbound reads the body, checks its signature, then decodes it.
func (s *Service) verifyInbound(ctx context.Context, in InboundRequest, body *inboundBody) error {
	sec, err := s.db.InboundPaymentSecret(ctx)
	if app.ErrorCode(err) == app.ENOTFOUND {
		// Forbidden rather than unavailable: nothing is broken, the shop
		// has not turned inbound payments on.
		return app.Errorf(app.EFORBIDDEN, "inbound payments are off: the shop's owner must first make a signing secret (POST /api/settings/inbound-payments/secret)")
	}
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(in.Body, MaxInboundBody+1))
	if err != nil {
		return fmt.Errorf("commerce: read inbound payment: %w", err)
	}
	if len(raw) > MaxInboundBody {
		return app.Errorf(app.ETOOLARGE, "the body is larger than %d bytes", MaxInboundBody)
	}
	if err := s.checkSignature(sec, in.Timestamp, in.Signature, raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(body); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return app.Invalid(app.FieldError{Field: typ.Field, Message: "must be " + jsonKind(typ.Type.Kind().String())})
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return app.Invalid(app.FieldError{Field: strings.Trim(f, `"`), Message: "is not a known field"})
		}
		return &MalformedError{Reason: "the body is not the JSON object of a payment: " + err.Error()}
	}
	if dec.More() {
		return &MalformedError{Reason: "the body holds more than one JSON value"}
	}
	if body.Method == "" {
		body.Method = InboundDefaultMethod
	}
	var errs []app.FieldError
	for _, f := range []struct{ name, v string }{{"order_number", body.OrderNumber}, {"provider", body.Provider}, {"reference", body.Reference}, {"currency", body.Currency}} {
		if f.v == "" {
			errs = append(errs, app.FieldError{Field: f.name, Message: "is required"})
		}
	}
	if body.PaidAt != "" {
		t, err := time.Parse(time.RFC3339Nano, body.PaidAt)
		if err != nil {
			errs = append(errs, app.FieldError{Field: "paid_at", Message: "must be a time in RFC 3339 form, like 2026-03-01T09:00:00Z"})
		}
		body.paidAt = &t
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int64":
		return "a whole number of minor units (1250 for 12.50)"
	case "string":
		return "a string"
	}
	return "of another type"
}

// checkSignature checks the timestamp's window, then the signature with
// the secret and, during its grace, the previous one, in constant time.
func (s *Service) checkSignature(sec store.InboundSecret, timestamp, signature string, raw []byte) error {
	unauthorized := func(field, msg string) error {
		return &app.Error{Code: app.EUNAUTHORIZED, Message: msg, Fields: []app.FieldError{{Field: field, Message: msg}}}
	}
	t, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return unauthorized("X-Smartbot-Timestamp", "send X-Smartbot-Timestamp: the time of signing in Unix seconds, like 1767225600")
	}
	now := s.now()
	if skew := now.Sub(time.Unix(t, 0)); skew > InboundWindow || skew < -InboundWindow {
		return unauthorized("X-Smartbot-Timestamp", fmt.Sprintf("the timestamp is %s from the server's time %d; it must be within %s: sign each attempt afresh, and check the sender's clock",
			skew.Round(time.Second).Abs(), now.Unix(), InboundWindow))
	}
	got, ok := strings.CutPrefix(signature, "sha256=")
	sum, err := hex.DecodeString(got)
	if !ok || err != nil || len(sum) != sha256.Size {
		return unauthorized("X-Smartbot-Signature", "send X-Smartbot-Signature: sha256= and the hex HMAC-SHA256 of timestamp + \".\" + body")
	}
	secrets := []string{sec.Secret}
	if sec.Previous != "" && sec.PreviousUntil != nil && now.Before(*sec.PreviousUntil) {
		secrets = append(secrets, sec.Previous)
	}
	for _, secret := range secrets {
		want, _ := hex.DecodeString(strings.TrimPrefix(SignInbound(secret, t, raw), "sha256="))
		if hmac.Equal(sum, want) {
			return nil
		}
	}
	return unauthorized("X-Smartbot-Signature", "the signature does not match the body: sign timestamp + \".\" + the exact bytes sent, with the shop's current secret")
}

// refuseInbound writes the audit row of a refused notification in a
// transaction of its own: nothing of the notification is recorded.
func (s *Service) refuseInbound(ctx context.Context, body inboundBody, cause error) {
	type refusal struct {
		Reason      string `json:"reason"`
		Code        string `json:"code"`
		RemoteAddr  string `json:"remote_addr"`
		OrderNumber string `json:"order_number,omitempty"`
		Provider    string `json:"provider,omitempty"`
		Reference   string `json:"reference,omitempty"`
		Amount      int64  `json:"amount,omitempty"`
		Currency    string `json:"currency,omitempty"`
	}
	r := refusal{Reason: app.ErrorMessage(cause), Code: app.ErrorCode(cause), RemoteAddr: app.RequestFrom(ctx).RemoteAddr,
		OrderNumber: body.OrderNumber, Provider: body.Provider, Reference: body.Reference, Amount: body.Amount, Currency: body.Currency}
	var malformed *MalformedError
	if errors.As(cause, &malformed) {
		r.Reason, r.Code = malformed.Reason, "malformed"
	}
	ctx = app.WithActor(ctx, app.Actor{Type: app.ActorSystem, Name: "inbound payment"})
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, app.AuditEntry{Action: "payment.inbound_refused", EntityType: "payment", EntityID: body.Reference, After: r})
	})
	if err != nil {
		s.log.Error("commerce: audit a refused inbound payment", "error", err, "refused_because", cause)
	}
}
