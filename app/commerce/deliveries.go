package commerce

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// Deliveries: an order's trip to its customer, pending → assigned →
// in_transit → delivered, or failed, or cancelled before it starts
// (app.DeliveryNext). The task drives its order: in_transit moves the order
// out_for_delivery and delivered moves it delivered, each through
// ChangeStatusTx, in the task's transaction.
//
// A delivery starts only from an order that is ready (or already
// out_for_delivery, when a failed trip is tried again with a new task). An
// order still pending, confirmed or preparing is refused with a 409 rather
// than walked along its path: the kitchen saying "ready" is a fact the shop
// records, and a courier's tap must not invent it, nor send the customer
// the notifications of steps nobody took.
//
// A failed trip leaves the order out_for_delivery: a person decides
// whether to try again (a new task) or to give up on it.

// Limits of a task's texts, as the table holds them.
const (
	deliveryAddressMax = 1000
	deliveryNotesMax   = 2000
	assigneeNameMax    = 100
	deliveryReasonMax  = 300
)

// NewDelivery is what it takes to plan an order's delivery.
type NewDelivery struct {
	// Address is where to; "" is the order's delivery address.
	Address string
	// Assignee is the courier; a task made with one is assigned at once.
	Assignee     app.Assignee
	ScheduledFor *time.Time
	Notes        string
}

// DeliveryChange is an edit of a task; nil fields stay as they are.
type DeliveryChange struct {
	// Assignee assigns or reassigns the courier; a pending task becomes
	// assigned.
	Assignee *app.Assignee
	// ScheduledFor sets the time; a zero time clears it.
	ScheduledFor *time.Time
	Address      *string
	Notes        *string
	// ProofMediaID puts a picture from the media library on the task as
	// proof of delivery; "" takes it off.
	ProofMediaID *string
}

// CreateDelivery plans the delivery of order orderID: a pickup order has
// none, an order has at most one open task, and a finished or cancelled
// order gets none (ECONFLICT each).
func (s *Service) CreateDelivery(ctx context.Context, orderID string, in NewDelivery) (d app.DeliveryTask, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		d, err = s.CreateDeliveryTx(ctx, tx, orderID, in)
		return err
	})
	return d, err
}

// CreateDeliveryTx is CreateDelivery inside tx.
func (s *Service) CreateDeliveryTx(ctx context.Context, tx *store.Tx, orderID string, in NewDelivery) (app.DeliveryTask, error) {
	d := app.DeliveryTask{ID: app.NewID(app.PrefixDelivery), OrderID: orderID, Status: app.DeliveryPending,
		Address: strings.TrimSpace(in.Address), Notes: strings.TrimSpace(in.Notes), ScheduledFor: schedule(in.ScheduledFor)}
	errs := checkDeliveryTexts(nil, &d.Address, &d.Notes)
	a, errs := checkAssignee(errs, in.Assignee)
	if len(errs) > 0 {
		return d, app.Invalid(errs...)
	}
	o, err := tx.Order(ctx, orderID)
	if err != nil {
		return d, err
	}
	switch {
	case o.Fulfilment != app.FulfilmentDelivery:
		return d, app.Errorf(app.ECONFLICT, "order %s is collected by the customer (%s); it has no delivery", o.Number, o.Fulfilment)
	case o.Status == app.OrderDelivered || o.Status == app.OrderCompleted || o.Status == app.OrderCancelled:
		return d, app.Errorf(app.ECONFLICT, "order %s is %s; there is nothing left to deliver", o.Number, o.Status)
	}
	if open, err := tx.OpenDeliveryOf(ctx, orderID); err == nil {
		return d, app.Errorf(app.ECONFLICT, "order %s already has an open delivery (%s, %s); change it, or cancel it before planning another",
			o.Number, open.ID, open.Status)
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return d, err
	}
	if d.Address == "" {
		d.Address = o.DeliveryAddress
	}
	if d.Address == "" {
		return d, app.Invalid(app.FieldError{Field: "address", Message: "is required: order " + o.Number + " has no delivery address"})
	}
	if a.Name != "" {
		d.Assignee, d.Status = a, app.DeliveryAssigned
	}
	d.OrderNumber = o.Number
	return d, tx.CreateDelivery(ctx, &d)
}

// UpdateDelivery changes task id: its courier, time, address, notes or
// proof. A finished task (delivered, failed, cancelled) is not changed.
func (s *Service) UpdateDelivery(ctx context.Context, id string, ch DeliveryChange) (d app.DeliveryTask, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		d, err = s.UpdateDeliveryTx(ctx, tx, id, ch)
		return err
	})
	return d, err
}

// UpdateDeliveryTx is UpdateDelivery inside tx.
func (s *Service) UpdateDeliveryTx(ctx context.Context, tx *store.Tx, id string, ch DeliveryChange) (app.DeliveryTask, error) {
	before, err := tx.Delivery(ctx, id)
	if err != nil {
		return before, err
	}
	if finished(before.Status) {
		return before, app.Errorf(app.ECONFLICT, "delivery %s is %s; a finished delivery is not changed", id, before.Status)
	}
	d := before
	var errs []app.FieldError
	if ch.Address != nil {
		d.Address = strings.TrimSpace(*ch.Address)
		if d.Address == "" {
			errs = append(errs, app.FieldError{Field: "address", Message: "cannot be empty: a courier needs somewhere to go"})
		}
	}
	if ch.Notes != nil {
		d.Notes = strings.TrimSpace(*ch.Notes)
	}
	errs = checkDeliveryTexts(errs, &d.Address, &d.Notes)
	if ch.Assignee != nil {
		var a app.Assignee
		if a, errs = checkAssignee(errs, *ch.Assignee); a.Name == "" && len(errs) == 0 {
			errs = append(errs, app.FieldError{Field: "assignee.name", Message: "is required: give the courier who takes it instead (a task keeps its courier once assigned)"})
		}
		d.Assignee = a
		if d.Status == app.DeliveryPending {
			d.Status = app.DeliveryAssigned
		}
	}
	if ch.ScheduledFor != nil {
		d.ScheduledFor = schedule(ch.ScheduledFor)
	}
	if len(errs) > 0 {
		return before, app.Invalid(errs...)
	}
	if ch.ProofMediaID != nil {
		if d.ProofMediaID = *ch.ProofMediaID; d.ProofMediaID != "" {
			if err := checkProof(ctx, tx, d.ProofMediaID); err != nil {
				return before, err
			}
		}
	}
	if err := tx.UpdateDelivery(ctx, before, &d, "delivery.update"); err != nil {
		return before, err
	}
	return d, nil
}

// ChangeDeliveryStatus moves task id to status to, as app.DeliveryNext
// allows (ECONFLICT naming the allowed moves otherwise). reason says why a
// delivery failed or was cancelled; it is added to the task's notes. in_transit
// emits delivery_started and moves the order out_for_delivery; delivered
// and failed emit delivery_completed, and delivered moves the order
// delivered.
func (s *Service) ChangeDeliveryStatus(ctx context.Context, id, to, reason string) (d app.DeliveryTask, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		d, err = s.ChangeDeliveryStatusTx(ctx, tx, id, to, reason)
		return err
	})
	return d, err
}

// ChangeDeliveryStatusTx is ChangeDeliveryStatus inside tx.
func (s *Service) ChangeDeliveryStatusTx(ctx context.Context, tx *store.Tx, id, to, reason string) (app.DeliveryTask, error) {
	reason = strings.TrimSpace(reason)
	if err := checkMove(to, reason); err != nil {
		return app.DeliveryTask{}, err
	}
	before, err := tx.Delivery(ctx, id)
	if err != nil {
		return before, err
	}
	next := app.DeliveryNext(before.Status)
	if !slices.Contains(next, to) {
		allowed := "none: the delivery is " + before.Status
		if len(next) > 0 {
			allowed = strings.Join(next, " or ")
		}
		return before, &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("a delivery that is %s cannot become %s; it can become %s", before.Status, to, allowed),
			Fields: []app.FieldError{{Field: "status", Message: "allowed: " + allowed}}}
	}
	if to == app.DeliveryAssigned && before.Assignee.Name == "" {
		return before, app.Invalid(app.FieldError{Field: "status", Message: "assign a courier first: set the assignee, and the task becomes assigned"})
	}
	d := before
	d.Status = to
	now := s.now().UTC().Truncate(time.Millisecond)
	switch to {
	case app.DeliveryInTransit:
		d.StartedAt = &now
	case app.DeliveryDone, app.DeliveryFailed, app.DeliveryCancelled:
		d.CompletedAt = &now
	}
	if reason != "" {
		d.Notes = addNote(d.Notes, map[string]string{app.DeliveryFailed: "Could not deliver: ", app.DeliveryCancelled: "Cancelled: "}[to]+reason)
	}
	if err := tx.UpdateDelivery(ctx, before, &d, "delivery.status"); err != nil {
		return before, err
	}
	if err := s.moveOrderWith(ctx, tx, d); err != nil {
		return before, err
	}
	// The task's own event comes last: after the order's move, whose
	// event a receiver may already hold when this one arrives.
	switch to {
	case app.DeliveryInTransit:
		_, err = s.emitter.Emit(ctx, tx, app.DeliveryStartedData{DeliveryID: d.ID, OrderID: d.OrderID, OrderNumber: d.OrderNumber,
			Assignee: d.Assignee.Name, Address: d.Address})
	case app.DeliveryDone, app.DeliveryFailed:
		_, err = s.emitter.Emit(ctx, tx, app.DeliveryCompletedData{DeliveryID: d.ID, OrderID: d.OrderID, OrderNumber: d.OrderNumber,
			Status: to, CompletedAt: app.FormatTime(now)})
	}
	return d, err
}

// moveOrderWith moves the order of task d along with it: out_for_delivery
// when d starts, delivered when d is delivered.
func (s *Service) moveOrderWith(ctx context.Context, tx *store.Tx, d app.DeliveryTask) error {
	var want string
	switch d.Status {
	case app.DeliveryInTransit:
		want = app.OrderOutForDelivery
	case app.DeliveryDone:
		want = app.OrderDelivered
	default:
		return nil
	}
	o, err := tx.Order(ctx, d.OrderID)
	if err != nil {
		return err
	}
	switch {
	case o.Status == want:
		// A second trip after a failed one: the order is on its way already.
		return nil
	case want == app.OrderOutForDelivery && o.Status != app.OrderReady:
		return &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("order %s is %s; mark it ready before its delivery starts", o.Number, o.Status),
			Fields: []app.FieldError{{Field: "status", Message: "the order must be ready first"}}}
	}
	_, err = s.ChangeStatusTx(ctx, tx, o.ID, want)
	return err
}

// checkMove checks a requested status and its reason before any read.
func checkMove(to, reason string) error {
	statuses := []string{app.DeliveryPending, app.DeliveryAssigned, app.DeliveryInTransit, app.DeliveryDone, app.DeliveryFailed, app.DeliveryCancelled}
	if !slices.Contains(statuses, to) {
		return app.Invalid(app.FieldError{Field: "status", Message: "must be one of " + strings.Join(statuses, ", ")})
	}
	if reason != "" && to != app.DeliveryFailed && to != app.DeliveryCancelled {
		return app.Invalid(app.FieldError{Field: "reason", Message: "says why a delivery failed or was cancelled; leave it out for " + to})
	}
	if fe := app.CheckText("reason", reason, deliveryReasonMax, false); fe != nil {
		return app.Invalid(*fe)
	}
	return nil
}

// checkDeliveryTexts checks a task's address and notes.
func checkDeliveryTexts(errs []app.FieldError, address, notes *string) []app.FieldError {
	for _, fe := range []*app.FieldError{app.CheckText("address", *address, deliveryAddressMax, true), app.CheckText("notes", *notes, deliveryNotesMax, true)} {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	return errs
}

// checkAssignee checks and tidies a courier: a name, and a phone number
// in E.164 when there is one ("+263 77-123 4567" is +263771234567). A
// phone without a name is refused: the panel and the link show the name.
func checkAssignee(errs []app.FieldError, a app.Assignee) (app.Assignee, []app.FieldError) {
	a.Name = strings.TrimSpace(a.Name)
	a.Phone = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
			return -1
		}
		return r
	}, a.Phone)
	if fe := app.CheckText("assignee.name", a.Name, assigneeNameMax, false); fe != nil {
		errs = append(errs, *fe)
	}
	if a.Phone != "" && !app.ValidPhone(a.Phone) {
		errs = append(errs, app.FieldError{Field: "assignee.phone", Message: "must be a phone number in E.164 form, like +263771234567"})
	}
	if a.Phone != "" && a.Name == "" {
		errs = append(errs, app.FieldError{Field: "assignee.name", Message: "is required with a phone number: the courier's name"})
	}
	return a, errs
}

// checkProof refuses proof that is not a picture in the media library.
func checkProof(ctx context.Context, tx *store.Tx, mediaID string) error {
	if !app.ValidID(app.PrefixMedia, mediaID) {
		return app.Invalid(app.FieldError{Field: "proof_media_id", Message: "is not a media id (med_…)"})
	}
	m, err := tx.Media(ctx, mediaID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.Invalid(app.FieldError{Field: "proof_media_id", Message: "names no file in the media library"})
	}
	if err != nil {
		return err
	}
	if m.Kind != app.MediaImage {
		return app.Invalid(app.FieldError{Field: "proof_media_id", Message: "is " + string(m.Kind) + "; proof of delivery is a picture"})
	}
	return nil
}

// schedule stores a scheduled time to the millisecond, nil for none.
func schedule(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// addNote adds line to notes, keeping the newest text when both do not
// fit: what happened last matters most to whoever reads them next.
func addNote(notes, line string) string {
	if notes != "" {
		line = notes + "\n" + line
	}
	if r := []rune(line); len(r) > deliveryNotesMax {
		line = string(r[len(r)-deliveryNotesMax:])
	}
	return line
}

// finished reports whether a task has ended.
func finished(status string) bool {
	return status == app.DeliveryDone || status == app.DeliveryFailed || status == app.DeliveryCancelled
}
