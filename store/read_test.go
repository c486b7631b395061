package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"smartbot/store"
	"smartbot/store/storetest"
)

func TestAReadStatementIsPreparedOnceAndSharedByConcurrentReaders(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	const q = `select count(*) from users where role = ?`
	if err := db.PrepareRead(ctx, q); err != nil {
		t.Fatal(err)
	}
	first, err := db.ReadPrepared(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			s, err := db.ReadPrepared(ctx, q)
			if err != nil {
				errs <- err
				return
			}
			if s != first {
				errs <- fmt.Errorf("got another statement for the same query")
				return
			}
			var n int
			if err := s.QueryRowContext(ctx, "owner").Scan(&n); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestAReadQueryThatCannotBePreparedIsAnError(t *testing.T) {
	db := storetest.New(t)
	if _, err := db.ReadPrepared(context.Background(), `select nothing from nowhere`); err == nil {
		t.Fatal("a wrong query was prepared")
	}
}

func TestTheReadStatementCacheIsBoundedAndReadsStillWorkPastIt(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	var refused bool
	for i := range 200 {
		_, err := db.ReadPrepared(ctx, fmt.Sprintf(`select %d`, i))
		if err != nil {
			refused = true
			break
		}
	}
	if !refused {
		t.Fatal("200 distinct queries were all cached")
	}
	// The store's own reads fall back to running unprepared.
	if _, err := db.ListAudit(ctx, store.AuditFilter{Action: "user.create", EntityType: "user"}); err != nil {
		t.Fatal(err)
	}
}

func TestReadsAfterCloseFail(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := db.ListAudit(ctx, store.AuditFilter{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := db.ListAudit(ctx, store.AuditFilter{}); err == nil {
		t.Fatal("a read on a closed database succeeded")
	}
	if _, err := db.ReadPrepared(ctx, `select 1`); err == nil {
		t.Fatal("a statement was prepared on a closed database")
	}
}
