package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// The deliveries API: an order's delivery task, its courier and its trip,
// and the courier link a courier without an account reports from. The
// commerce service checks the state machine, moves the order along and
// emits delivery_started and delivery_completed.

// deliveriesRoutes are the deliveries API routes and the courier's page.
func (s *Server) deliveriesRoutes() []route {
	viewer, operator := app.RoleViewer, app.RoleOperator
	return []route{
		{pattern: "GET /api/deliveries", need: viewer, handler: s.apiDeliveries},
		{pattern: "POST /api/orders/{id}/delivery", need: operator, create: s.apiCreateDelivery},
		{pattern: "GET /api/deliveries/{id}", need: viewer, handler: s.apiDelivery},
		{pattern: "PATCH /api/deliveries/{id}", need: operator, handler: s.apiUpdateDelivery},
		{pattern: "POST /api/deliveries/{id}/status", need: operator, handler: s.apiDeliveryStatus},
		{pattern: "POST /api/deliveries/{id}/courier-link", need: operator, handler: s.apiCourierLink},

		// The courier's page: public, its link is its credential
		// (page_courier.go). A report may carry a photo from a phone's
		// camera, over a phone's connection.
		{pattern: "GET /courier/{token}", need: public, panel: true, handler: s.pageCourier},
		{pattern: "POST /courier/{token}", need: public, panel: true, handler: s.postCourier,
			maxBody: s.media.Limits().Max() + uploadFormSlack, readTimeout: uploadReadTimeout},
	}
}

// deliveryStatuses are the statuses a task can have, for filters.
var deliveryStatuses = []string{app.DeliveryPending, app.DeliveryAssigned, app.DeliveryInTransit, app.DeliveryDone,
	app.DeliveryFailed, app.DeliveryCancelled}

type deliveryInput struct {
	Address      string        `json:"address"`
	Assignee     *app.Assignee `json:"assignee"`
	ScheduledFor *string       `json:"scheduled_for"`
	Notes        string        `json:"notes"`
}

// apiCreateDelivery plans the delivery of an order: 201 with the task.
func (s *Server) apiCreateDelivery(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in deliveryInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var err error
	nd := commerce.NewDelivery{Address: in.Address, Notes: in.Notes}
	if in.Assignee != nil {
		nd.Assignee = *in.Assignee
	}
	if in.ScheduledFor != nil {
		if nd.ScheduledFor, err = scheduledFor(*in.ScheduledFor); err != nil {
			return err
		}
	}
	o, err := s.order(r)
	if err != nil {
		return err
	}
	d, err := s.commerce.CreateDeliveryTx(r.Context(), tx, o.ID, nd)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/deliveries/"+d.ID)
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// scheduledFor reads a scheduled time: RFC 3339 with its offset, or ""
// for none (a zero time).
func scheduledFor(v string) (*time.Time, error) {
	if v == "" {
		return &time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, app.Invalid(app.FieldError{Field: "scheduled_for", Message: "must be a time in RFC 3339 form with its offset, like 2026-05-01T14:00:00+02:00"})
	}
	return &t, nil
}

func (s *Server) apiDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	d, err := s.db.Delivery(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// apiUpdateDelivery changes what is given: assignee, scheduled_for ("" to
// clear), address, notes, proof_media_id ("" to take it off).
func (s *Server) apiUpdateDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	var in struct {
		Assignee     *app.Assignee `json:"assignee"`
		ScheduledFor *string       `json:"scheduled_for"`
		Address      *string       `json:"address"`
		Notes        *string       `json:"notes"`
		ProofMediaID *string       `json:"proof_media_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ch := commerce.DeliveryChange{Assignee: in.Assignee, Address: in.Address, Notes: in.Notes, ProofMediaID: in.ProofMediaID}
	if in.ScheduledFor != nil {
		if ch.ScheduledFor, err = scheduledFor(*in.ScheduledFor); err != nil {
			return err
		}
	}
	if ch == (commerce.DeliveryChange{}) {
		return app.Invalid(app.FieldError{Field: "assignee", Message: "nothing to change: give assignee, scheduled_for, address, notes or proof_media_id"})
	}
	d, err := s.commerce.UpdateDelivery(r.Context(), id, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// apiDeliveryStatus moves a task: {"status": "in_transit"}, with a reason
// for failed and cancelled when there is one.
func (s *Server) apiDeliveryStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Status == "" {
		return app.Invalid(app.FieldError{Field: "status", Message: "is required: one of " + strings.Join(deliveryStatuses, ", ")})
	}
	d, err := s.commerce.ChangeDeliveryStatus(r.Context(), id, in.Status, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// apiCourierLink makes a new courier link and answers its path once; the
// link made before it stops working.
func (s *Server) apiCourierLink(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	path, err := s.commerce.CourierLink(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"url": path})
	return nil
}

// apiDeliveries lists tasks in the order they are due. date is a day in
// the shop's timezone (YYYY-MM-DD): the tasks scheduled on it.
func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.DeliveryFilter{Limit: limit, Cursor: cursor, Status: q.Get("status"), AssigneePhone: q.Get("assignee_phone"), OrderID: q.Get("order_id")}
	if rest, ok := strings.CutPrefix(f.AssigneePhone, " "); ok {
		f.AssigneePhone = "+" + rest // an unescaped + in a query reads as a space
	}
	var errs []app.FieldError
	if cursor != "" && !app.ValidID(app.PrefixDelivery, cursor) {
		errs = append(errs, app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		errs = append(errs, app.FieldError{Field: "status", Message: "must be one of " + strings.Join(deliveryStatuses, ", ")})
	}
	if f.AssigneePhone != "" && !app.ValidPhone(f.AssigneePhone) {
		errs = append(errs, app.FieldError{Field: "assignee_phone", Message: "must be a phone number in E.164 form, like +263771234567 (%2B in a URL)"})
	}
	if f.OrderID != "" && !app.ValidID(app.PrefixOrder, f.OrderID) {
		errs = append(errs, app.FieldError{Field: "order_id", Message: "is not an order id (ord_…)"})
	}
	if v := q.Get("date"); v != "" {
		loc, err := s.settings.Timezone(r.Context())
		if err != nil {
			return err
		}
		day, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			errs = append(errs, app.FieldError{Field: "date", Message: "must be a day like 2026-05-01 (in the shop's timezone)"})
		} else {
			f.From, f.Until = day.UTC(), day.AddDate(0, 0, 1).UTC()
		}
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	list, next, err := s.db.ListDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.DeliveryTask]{Data: list, NextCursor: cursorOf(next)})
	return nil
}
