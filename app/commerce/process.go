package commerce

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// ProcessOrder is the order_processing handler. A "reserve" job takes the
// order's stock (all lines or none) and, when it could, sends the
// confirmation; an order that cannot be filled gets its problem set for a
// person instead, and is done. A notice job sends that notice. Both are
// one transaction each and may run twice: the stock is taken once and a
// notice is sent once.
func (s *Service) ProcessOrder(ctx context.Context, job queue.Job) error {
	var j orderJob
	if err := json.Unmarshal(job.Body, &j); err != nil || !app.ValidID(app.PrefixOrder, j.OrderID) {
		return queue.Permanent(fmt.Errorf("commerce: order job %s: not an order job: %q", job.ID, job.Body))
	}
	if j.Step != stepReserve && !slices.Contains(Notices, j.Notice) {
		return queue.Permanent(fmt.Errorf("commerce: order job %s: no step or notice in %q", job.ID, job.Body))
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if j.Step == stepReserve {
			o, err := tx.ReserveOrderStock(ctx, j.OrderID)
			if err != nil {
				return err
			}
			if o.Problem != "" {
				s.log.Warn("order cannot be filled", "order", o.Number, "problem", o.Problem)
			}
			// A cancelled order, or one that cannot be filled, is not
			// confirmed to its customer: staff sort it out first, and
			// confirming it later sends the confirmation then.
			if !o.StockReserved && (o.Problem != "" || o.Status == app.OrderCancelled) {
				return nil
			}
			return s.sendNoticeTx(ctx, tx, o, NoticeConfirmation, "")
		}
		o, err := tx.Order(ctx, j.OrderID)
		if err != nil {
			return err
		}
		return s.sendNoticeTx(ctx, tx, o, j.Notice, j.Ref)
	})
	if app.ErrorCode(err) == app.ENOTFOUND {
		// The order is gone; retrying will not bring it back.
		return queue.Permanent(err)
	}
	return err
}
