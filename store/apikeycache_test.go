package store_test

import (
	"context"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/store"
	"smartbot/store/storetest"
)

func createKey(t *testing.T, db *store.DB) (app.APIKey, string) {
	t.Helper()
	ctx := context.Background()
	secret, prefix := auth.NewAPIKey()
	k := app.APIKey{ID: app.NewID(app.PrefixAPIKey), Name: "sync", Prefix: prefix, Role: app.RoleOperator}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateAPIKey(ctx, &k, auth.HashToken(secret)) }); err != nil {
		t.Fatal(err)
	}
	return k, auth.HashToken(secret)
}

func revoke(t *testing.T, db *store.DB, id string) {
	t.Helper()
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RevokeAPIKey(ctx, id); return err }); err != nil {
		t.Fatal(err)
	}
}

func TestAKeyRevokedByAnotherProcessIsSeenOnceTheCachedCopyIsTooOld(t *testing.T) {
	dir := t.TempDir()
	clock := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	server := storetest.OpenAt(t, dir, clock.Now)
	cli := storetest.OpenAt(t, dir, clock.Now) // another process: none of server's hooks run
	ctx := context.Background()
	k, hash := createKey(t, cli)

	row, err := server.CachedAPIKey(ctx, hash)
	if err != nil || row.ID != k.ID || row.RevokedAt != nil {
		t.Fatalf("first use: %+v, %v", row, err)
	}
	revoke(t, cli, k.ID)

	clock.Add(store.APIKeyCacheTTL - time.Millisecond)
	if row, _ := server.CachedAPIKey(ctx, hash); row.RevokedAt != nil {
		t.Fatal("the cached copy was read again before its time: the test does not show the cache at work")
	}
	clock.Add(time.Millisecond)
	if row, err := server.CachedAPIKey(ctx, hash); err != nil || row.RevokedAt == nil {
		t.Fatalf("at the TTL: %+v, %v; want the key revoked", row.APIKey, err)
	}
}

func TestForgetAPIKeysMakesTheNextUseReadTheKeyAgain(t *testing.T) {
	dir := t.TempDir()
	clock := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, dir, clock.Now)
	ctx := context.Background()
	k, hash := createKey(t, db)
	if _, err := db.CachedAPIKey(ctx, hash); err != nil {
		t.Fatal(err)
	}
	revoke(t, db, k.ID) // through the store alone: nothing forgets yet
	if row, _ := db.CachedAPIKey(ctx, hash); row.RevokedAt != nil {
		t.Fatal("the key was read again without being forgotten: the test does not show the cache at work")
	}
	db.ForgetAPIKeys()
	if row, err := db.CachedAPIKey(ctx, hash); err != nil || row.RevokedAt == nil {
		t.Fatalf("after ForgetAPIKeys: %+v, %v; want the key revoked", row.APIKey, err)
	}
}

func TestAnUnknownKeyIsNotCached(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	ctx := context.Background()
	secret, prefix := auth.NewAPIKey()
	hash := auth.HashToken(secret)
	if _, err := db.CachedAPIKey(ctx, hash); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("unknown key: %v, want EUNAUTHORIZED", err)
	}
	k := app.APIKey{ID: app.NewID(app.PrefixAPIKey), Name: "late", Prefix: prefix, Role: app.RoleViewer}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateAPIKey(ctx, &k, hash) }); err != nil {
		t.Fatal(err)
	}
	if row, err := db.CachedAPIKey(ctx, hash); err != nil || row.ID != k.ID {
		t.Fatalf("the key made after a failed use: %+v, %v", row.APIKey, err)
	}
}
