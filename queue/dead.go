package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// DeadLetter is a job that used all its attempts, with its last error.
type DeadLetter struct {
	ID         string
	Queue      Name
	Body       []byte
	Attempts   int
	Error      string
	EnqueuedAt time.Time
	FailedAt   time.Time
}

// DeadLetters lists queue name's dead letters, most recent failure first.
// before is a cursor: the id of the last dead letter of the previous page.
func (q *Queues) DeadLetters(ctx context.Context, name Name, before string, limit int) ([]DeadLetter, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	query := `select id, queue, body, attempts, error, enqueued_at, failed_at from queue_dead_letters where queue = ?`
	args := []any{string(name)}
	if before != "" {
		query += ` and (failed_at, id) < (select failed_at, id from queue_dead_letters where id = ?)`
		args = append(args, before)
	}
	query += ` order by failed_at desc, id desc limit ?`
	args = append(args, limit)
	rows, err := q.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: list dead letters of %s: %w", name, err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var enq, failed string
		if err := rows.Scan(&d.ID, &d.Queue, &d.Body, &d.Attempts, &d.Error, &enq, &failed); err != nil {
			return nil, fmt.Errorf("queue: list dead letters of %s: %w", name, err)
		}
		d.EnqueuedAt, _ = app.ParseTime(enq)
		d.FailedAt, _ = app.ParseTime(failed)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Retry puts dead letter id back in its queue with fresh attempts, and
// audits it. A running runner starts it at once.
func (q *Queues) Retry(ctx context.Context, id string) error {
	return q.db.Write(ctx, func(tx *store.Tx) error {
		d, err := deadLetter(ctx, tx, id)
		if err != nil {
			return err
		}
		// The job keeps its id, so logs before and after the retry line up.
		if _, err := tx.ExecContext(ctx, `insert into goqite (id, queue, body) values (?, ?, ?)`, d.ID, string(d.Queue), d.Body); err != nil {
			return fmt.Errorf("queue: retry %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `delete from queue_dead_letters where id = ?`, id); err != nil {
			return fmt.Errorf("queue: retry %s: %w", id, err)
		}
		tx.OnCommit(func() { q.notify(d.Queue) })
		return tx.Audit(ctx, app.AuditEntry{Action: "dead_letter.retry", EntityType: "dead_letter", EntityID: id, Before: auditView(d)})
	})
}

// Discard deletes dead letter id for good, and audits it.
func (q *Queues) Discard(ctx context.Context, id string) error {
	return q.db.Write(ctx, func(tx *store.Tx) error {
		d, err := deadLetter(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `delete from queue_dead_letters where id = ?`, id); err != nil {
			return fmt.Errorf("queue: discard %s: %w", id, err)
		}
		return tx.Audit(ctx, app.AuditEntry{Action: "dead_letter.discard", EntityType: "dead_letter", EntityID: id, Before: auditView(d)})
	})
}

func deadLetter(ctx context.Context, tx *store.Tx, id string) (DeadLetter, error) {
	d := DeadLetter{ID: id}
	err := tx.QueryRowContext(ctx, `select queue, body, attempts, error from queue_dead_letters where id = ?`, id).
		Scan(&d.Queue, &d.Body, &d.Attempts, &d.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return d, app.Errorf(app.ENOTFOUND, "dead letter %s not found", id)
	}
	if err != nil {
		return d, fmt.Errorf("queue: get dead letter %s: %w", id, err)
	}
	return d, nil
}

// auditView is what the audit log keeps of a dead letter: the body only when
// it is text, so the log stays readable.
func auditView(d DeadLetter) map[string]any {
	return map[string]any{"queue": d.Queue, "attempts": d.Attempts, "error": d.Error, "body": string(d.Body)}
}

// Stats are one queue's figures.
type Stats struct {
	Queue Name `json:"queue"`
	// Depth is the jobs waiting: due now or scheduled for later, not running.
	Depth int64 `json:"depth"`
	// Scheduled is the part of Depth not due yet (retries in backoff, delayed jobs).
	Scheduled int64 `json:"scheduled"`
	// InFlight is the jobs this process has claimed and not yet settled.
	InFlight int64 `json:"in_flight"`
	Dead     int64 `json:"dead"`
	// Processed and Failed count attempts since the process started.
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
}

// Stats returns the figures of every queue, in Names order. r may be nil
// when no runner is running in this process.
func (q *Queues) Stats(ctx context.Context, r *Runner) ([]Stats, error) {
	now := app.FormatTime(q.db.Now())
	out := make([]Stats, 0, len(Names))
	for _, n := range Names {
		s := Stats{Queue: n}
		var total, notDue int64
		err := q.db.R.QueryRowContext(ctx, `select count(*), coalesce(sum(timeout > ?), 0) from goqite where queue = ?`, now, string(n)).
			Scan(&total, &notDue)
		if err != nil {
			return nil, fmt.Errorf("queue: stats of %s: %w", n, err)
		}
		if err := q.db.R.QueryRowContext(ctx, `select count(*) from queue_dead_letters where queue = ?`, string(n)).Scan(&s.Dead); err != nil {
			return nil, fmt.Errorf("queue: stats of %s: %w", n, err)
		}
		if r != nil {
			st := r.states[n]
			s.InFlight = st.claimed.Load()
			s.Processed = st.processed.Load()
			s.Failed = st.failed.Load()
		}
		// Claimed jobs are invisible too; they are in flight, not waiting.
		s.Depth = max(total-s.InFlight, 0)
		s.Scheduled = max(notDue-s.InFlight, 0)
		out = append(out, s)
	}
	return out, nil
}
