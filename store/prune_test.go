package store_test

import (
	"context"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
)

func TestPruneDeletesExpiredSessionsTokensAndOldIdempotencyKeys(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := now
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	u := app.User{ID: app.NewID(app.PrefixUser), Email: "a@shop.test", Role: app.RoleOwner, PasswordHash: "x"}
	err = db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		for i, exp := range []time.Duration{-time.Hour, time.Hour} {
			s := app.Session{ID: string(rune('a' + i)), UserID: u.ID, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(exp), ExpiresAt: now.Add(48 * time.Hour)}
			if err := tx.CreateSession(ctx, s, "", ""); err != nil {
				return err
			}
		}
		if err := tx.CreateSetupToken(ctx, "sbsetup_old", "old", now.Add(-time.Minute)); err != nil {
			return err
		}
		if err := tx.CreateSetupToken(ctx, "sbsetup_new", "new", now.Add(time.Hour)); err != nil {
			return err
		}
		err := tx.SaveIdempotentResponse(ctx, "user:1", "k", "POST", "/api/x", store.IdempotentResponse{RequestHash: "h", Status: 201, ContentType: "application/json"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int {
		out := map[string]int{}
		for _, table := range []string{"sessions", "setup_tokens", "idempotency_keys", "users"} {
			var n int
			db.R.QueryRow(`select count(*) from ` + table).Scan(&n)
			out[table] = n
		}
		return out
	}
	// Half an hour on: one session and one token have expired; the rest stay.
	clock = now.Add(30 * time.Minute)
	if n, err := db.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("first prune: %d rows, %v; want 2", n, err)
	}
	if c := counts(); c["sessions"] != 1 || c["setup_tokens"] != 1 || c["idempotency_keys"] != 1 || c["users"] != 1 {
		t.Fatalf("after the first prune: %v", c)
	}
	// A day on, everything has expired but the user.
	clock = now.Add(25 * time.Hour)
	if n, err := db.Prune(ctx); err != nil || n != 3 {
		t.Fatalf("second prune: %d rows, %v; want 3", n, err)
	}
	if c := counts(); c["sessions"] != 0 || c["setup_tokens"] != 0 || c["idempotency_keys"] != 0 || c["users"] != 1 {
		t.Fatalf("after the second prune: %v", c)
	}
}
