package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// The payments API: an order's payments and refunds, all payments, the
// signed inbound endpoint providers report payments to, and the owner's
// management of its secret. The commerce service records; reads go to the
// store. docs/payments.md is the providers' guide.

// paymentsRoutes are the payments API routes.
func (s *Server) paymentsRoutes() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	return []route{
		{pattern: "GET /api/orders/{id}/payments", need: viewer, handler: s.apiOrderPayments},
		{pattern: "POST /api/orders/{id}/payments", need: operator, create: s.apiRecordPayment},
		{pattern: "POST /api/orders/{id}/refunds", need: operator, create: s.apiRefund},
		{pattern: "GET /api/payments", need: viewer, handler: s.apiPayments},
		// Public: the signature is the credential. Not a create route: a
		// refusal's audit row must commit while the payment does not.
		{pattern: "POST /api/inbound/payments", need: public, handler: s.apiInboundPayment},
		{pattern: "GET /api/settings/inbound-payments", need: owner, handler: s.apiInboundSettings},
		{pattern: "POST /api/settings/inbound-payments/secret", need: owner, handler: s.apiRotateInboundSecret},
	}
}

// paymentOrder is the {id} of an order's payments path: an order id or
// number. Anything else is no order.
func paymentOrder(r *http.Request) (string, error) {
	ref := r.PathValue("id")
	if app.ValidID(app.PrefixOrder, ref) || (strings.HasPrefix(strings.ToUpper(ref), "SB-") && len(ref) <= 20) {
		return ref, nil
	}
	return "", app.Errorf(app.ENOTFOUND, "order %q not found", app.Shorten(ref, 40))
}

func (s *Server) apiOrderPayments(w http.ResponseWriter, r *http.Request) error {
	ref, err := paymentOrder(r)
	if err != nil {
		return err
	}
	sum, err := s.commerce.OrderPayments(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

type paymentInput struct {
	Amount    int64      `json:"amount"`
	Currency  string     `json:"currency"`
	Method    string     `json:"method"`
	Provider  string     `json:"provider"`
	Reference string     `json:"reference"`
	PaidAt    *time.Time `json:"paid_at"`
}

// apiRecordPayment records a payment staff took: 201 with it, or 200 with
// the first payment when its provider and reference were recorded already.
func (s *Server) apiRecordPayment(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	ref, err := paymentOrder(r)
	if err != nil {
		return err
	}
	var in paymentInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, created, err := s.commerce.RecordPaymentTx(r.Context(), tx, commerce.NewPayment{Order: ref, Amount: in.Amount, Currency: in.Currency,
		Method: in.Method, Provider: in.Provider, Reference: in.Reference, PaidAt: in.PaidAt})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/orders/"+p.OrderID+"/payments")
	}
	writeJSON(w, status, p)
	return nil
}

func (s *Server) apiRefund(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	ref, err := paymentOrder(r)
	if err != nil {
		return err
	}
	var in struct {
		Amount int64  `json:"amount"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := s.commerce.RefundTx(r.Context(), tx, ref, in.Amount, in.Reason)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/orders/"+p.OrderID+"/payments")
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// apiPayments lists payments and refunds, latest paid first.
func (s *Server) apiPayments(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.PaymentFilter{OrderID: q.Get("order_id"), Method: q.Get("method"), Cursor: cursor, Limit: limit}
	var errs []app.FieldError
	if cursor != "" && !app.ValidID(app.PrefixPayment, cursor) {
		errs = append(errs, app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out; use next_cursor from the previous page"})
	}
	if f.OrderID != "" && !app.ValidID(app.PrefixOrder, f.OrderID) {
		errs = append(errs, app.FieldError{Field: "order_id", Message: "is not an order id (ord_…)"})
	}
	if f.Method != "" && !slices.Contains(app.PaymentMethods, f.Method) {
		errs = append(errs, app.FieldError{Field: "method", Message: "must be one of " + strings.Join(app.PaymentMethods, ", ")})
	}
	for _, b := range []struct {
		field string
		to    **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(b.field); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				errs = append(errs, app.FieldError{Field: b.field, Message: "must be a time in RFC 3339 form, like 2026-03-01T00:00:00Z"})
				continue
			}
			*b.to = &t
		}
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	list, next, err := s.db.ListPayments(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.Payment]{Data: list, NextCursor: cursorOf(next)})
	return nil
}

// apiInboundPayment takes a signed payment notification: 200 with the
// payment, the same for a repeat of its provider and reference (marked
// Idempotent-Replayed), or a problem, every one of which is audited.
func (s *Server) apiInboundPayment(w http.ResponseWriter, r *http.Request) error {
	// The endpoint is public and audits every refusal: an address that
	// keeps sending what is refused is slowed down before it can fill the
	// audit log. A provider signing correctly is never counted.
	ip, now := remoteIP(r), s.now()
	if s.inboundLimiter.blocked(ip, now) {
		return app.Errorf(app.ETOOMANY, "too many refused payment notifications from this address; check the signing and wait a minute")
	}
	p, created, err := s.commerce.ReceivePayment(r.Context(), commerce.InboundRequest{Timestamp: r.Header.Get("X-Smartbot-Timestamp"),
		Signature: r.Header.Get("X-Smartbot-Signature"), Body: r.Body})
	if err != nil {
		s.inboundLimiter.fail(ip, now)
	}
	var malformed *commerce.MalformedError
	if errors.As(err, &malformed) {
		return &app.Error{Code: errMalformed, Message: malformed.Reason, Err: err}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return app.Errorf(app.ETOOLARGE, "the body is larger than %d bytes", commerce.MaxInboundBody)
	}
	if err != nil {
		return err
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiInboundSettings(w http.ResponseWriter, r *http.Request) error {
	info, err := s.commerce.InboundSecret(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// apiRotateInboundSecret makes a new secret and answers it, once. The
// previous one keeps working for commerce.InboundGrace, unless
// ?expire_previous=true (it leaked).
func (s *Server) apiRotateInboundSecret(w http.ResponseWriter, r *http.Request) error {
	var expire bool
	switch r.URL.Query().Get("expire_previous") {
	case "", "false":
	case "true":
		expire = true
	default:
		return app.Invalid(app.FieldError{Field: "expire_previous", Message: "must be true or false"})
	}
	secret, info, err := s.commerce.RotateInboundSecret(r.Context(), expire)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Secret string `json:"secret"`
		commerce.InboundSecretInfo
	}{secret, info})
	return nil
}
