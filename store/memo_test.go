package store_test

import (
	"context"
	"testing"

	"smartbot/store"
	"smartbot/store/storetest"
)

// memoCount is Memo over a count of the settings, with how many times it
// was built.
func memoCount(t *testing.T, db *store.DB, builds *int) int {
	t.Helper()
	v, err := db.Memo(context.Background(), "settings", func(ctx context.Context) (any, error) {
		*builds++
		return storetest.Count(t, db, `select count(*) from settings`), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v.(int)
}

func TestAMemoIsKeptUntilAnyConnectionCommits(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	other := storetest.Open(t, dir) // another process on the same file
	var builds int
	first := memoCount(t, db, &builds)
	if again := memoCount(t, db, &builds); again != first || builds != 1 {
		t.Fatalf("unchanged database: %d then %d, built %d times; want the kept value, built once", first, again, builds)
	}
	setSetting(t, db, "greeting", "hello") // this process's writer
	if n := memoCount(t, db, &builds); n != first+1 || builds != 2 {
		t.Fatalf("after a commit here: %d, built %d times; want %d, built again", n, builds, first+1)
	}
	setSetting(t, other, "farewell", "bye")
	if n := memoCount(t, db, &builds); n != first+2 || builds != 3 {
		t.Fatalf("after another process's commit: %d, built %d times; want %d, built again", n, builds, first+2)
	}
	if n := memoCount(t, db, &builds); n != first+2 || builds != 3 {
		t.Fatalf("no change since: %d, built %d times; want the kept value", n, builds)
	}
}

func TestAMemoAfterCloseIsNotKept(t *testing.T) {
	db := storetest.New(t)
	var builds int
	memoCount(t, db, &builds)
	db.Close()
	_, err := db.Memo(context.Background(), "settings", func(ctx context.Context) (any, error) {
		builds++
		return 0, nil
	})
	if err != nil || builds != 2 {
		t.Fatalf("after Close: %v, built %d times; want build called again", err, builds)
	}
}
