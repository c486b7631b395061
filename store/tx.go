package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx is a write transaction. Work that must happen only once the change is
// durable (telling live listeners, waking queue workers) is registered with
// OnCommit and runs after the commit, in order; a rollback drops it.
type Tx struct {
	*sql.Tx
	db       *DB
	onCommit []func()
}

// OnCommit registers f to run after the transaction commits.
func (tx *Tx) OnCommit(f func()) {
	tx.onCommit = append(tx.onCommit, f)
}

// DB is the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Write runs fn in an immediate write transaction on the write connection and
// commits when fn returns nil. An error or a panic from fn rolls back. Calls
// to Write must not nest: the write pool has one connection.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", mapError(err))
	}
	tx := &Tx{Tx: sqlTx, db: db}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", mapError(err))
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}
