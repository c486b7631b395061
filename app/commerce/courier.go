package commerce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"

	"smartbot/app"
	"smartbot/store"
)

// Courier links: a courier without an account opens /courier/{token} on a
// phone and reports the trip. The token is 32 random bytes, base64url; only
// its sha256 is kept, so the database alone cannot open a link. Making a
// new link replaces the old one. A link works while its task is open: once
// the task is delivered, failed or cancelled it changes nothing more.

// courierTokenLen is the length of a token: 32 bytes in base64url.
const courierTokenLen = 43

// CourierLink makes a new courier link for task id and returns its path,
// /courier/{token}. It is shown once: only the token's hash is kept. A
// finished task gets none (ECONFLICT).
func (s *Service) CourierLink(ctx context.Context, id string) (path string, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		path, err = s.CourierLinkTx(ctx, tx, id)
		return err
	})
	return path, err
}

// CourierLinkTx is CourierLink inside tx.
func (s *Service) CourierLinkTx(ctx context.Context, tx *store.Tx, id string) (string, error) {
	d, err := tx.Delivery(ctx, id)
	if err != nil {
		return "", err
	}
	if finished(d.Status) {
		return "", app.Errorf(app.ECONFLICT, "delivery %s is %s; a courier link would have nothing left to do", id, d.Status)
	}
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	if err := tx.SetCourierTokenHash(ctx, id, courierHash(token)); err != nil {
		return "", err
	}
	return "/courier/" + token, nil
}

// courierHash is how a token is kept and looked up.
func courierHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CourierActor is who a courier's changes are in the audit log and in
// the order's timeline: the system, acting for the link of task d.
func CourierActor(d app.DeliveryTask) app.Actor {
	name := "courier link"
	if d.Assignee.Name != "" {
		name = d.Assignee.Name + " (courier link)"
	}
	return app.Actor{Type: app.ActorSystem, ID: "courier:" + d.ID, Name: name}
}

// CourierTask returns the task whose courier link has token, open or
// finished (the page says which). An unknown or malformed token is
// ENOTFOUND, the same for both, so a guess learns nothing.
func (s *Service) CourierTask(ctx context.Context, token string) (app.DeliveryTask, error) {
	return courierTask(token, func(hash string) (app.DeliveryTask, string, error) { return s.db.DeliveryByTokenHash(ctx, hash) })
}

func courierTask(token string, find func(hash string) (app.DeliveryTask, string, error)) (app.DeliveryTask, error) {
	unknown := app.Errorf(app.ENOTFOUND, "this courier link is not known: it may be mistyped, or a newer link replaced it")
	if len(token) != courierTokenLen {
		return app.DeliveryTask{}, unknown
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return app.DeliveryTask{}, unknown
	}
	hash := courierHash(token)
	d, stored, err := find(hash)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return d, unknown
	}
	if err != nil {
		return d, err
	}
	// The lookup matched the hash already; comparing again in constant
	// time keeps the check itself from depending on the database's.
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 {
		return app.DeliveryTask{}, unknown
	}
	return d, nil
}

// CourierReport is what a courier reports through the link.
type CourierReport struct {
	// Status is in_transit ("picked up, on my way"), delivered or failed.
	Status string
	// Reason says why a delivery failed.
	Reason string
	// Proof, when set, keeps the courier's photo inside the report's
	// transaction (the media service's CreateTx) and returns its id, which
	// becomes the task's proof of delivery.
	Proof func(ctx context.Context, tx *store.Tx) (mediaID string, err error)
}

// CourierReport applies r to the task of the link token, as the courier
// (CourierActor): ENOTFOUND for an unknown link, ECONFLICT once the task
// has ended.
func (s *Service) CourierReport(ctx context.Context, token string, r CourierReport) (d app.DeliveryTask, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		d, err = s.CourierReportTx(ctx, tx, token, r)
		return err
	})
	return d, err
}

// CourierReportTx is CourierReport inside tx.
func (s *Service) CourierReportTx(ctx context.Context, tx *store.Tx, token string, r CourierReport) (app.DeliveryTask, error) {
	d, err := courierTask(token, func(hash string) (app.DeliveryTask, string, error) { return tx.DeliveryByTokenHash(ctx, hash) })
	if err != nil {
		return d, err
	}
	if finished(d.Status) {
		return d, app.Errorf(app.ECONFLICT, "this delivery is %s; the link no longer changes anything", d.Status)
	}
	switch r.Status {
	case app.DeliveryInTransit, app.DeliveryDone, app.DeliveryFailed:
	default:
		return d, app.Invalid(app.FieldError{Field: "status", Message: "a courier reports in_transit, delivered or failed"})
	}
	ctx = app.WithActor(ctx, CourierActor(d))
	if r.Proof != nil {
		id, err := r.Proof(ctx, tx)
		if err != nil {
			return d, err
		}
		if d, err = s.UpdateDeliveryTx(ctx, tx, d.ID, DeliveryChange{ProofMediaID: &id}); err != nil {
			return d, err
		}
	}
	return s.ChangeDeliveryStatusTx(ctx, tx, d.ID, r.Status, r.Reason)
}
