package store

import (
	"context"
	"fmt"
	"time"

	"smartbot/app"
)

// Counters are the dashboard's figures.
type Counters struct {
	OrdersToday   int64
	MessagesToday int64
	EventsToday   int64
	Customers     int64
	DeadLetters   int64
}

// Counters counts the dashboard's figures; "today" starts at dayStart.
func (db *DB) Counters(ctx context.Context, dayStart time.Time) (Counters, error) {
	var c Counters
	day := app.FormatTime(dayStart)
	err := db.queryRow(ctx, `select
		(select count(*) from orders where created_at >= ?),
		(select count(*) from messages where created_at >= ?),
		(select count(*) from events where created_at >= ?),
		(select count(*) from customers),
		(select count(*) from queue_dead_letters)`, day, day, day).
		Scan(&c.OrdersToday, &c.MessagesToday, &c.EventsToday, &c.Customers, &c.DeadLetters)
	if err != nil {
		return c, fmt.Errorf("store: dashboard counters: %w", err)
	}
	return c, nil
}
