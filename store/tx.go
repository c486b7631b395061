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
	db         *DB
	onCommit   []func()
	savepoints int
}

// OnCommit registers f to run after the transaction commits.
func (tx *Tx) OnCommit(f func()) {
	tx.onCommit = append(tx.onCommit, f)
}

// Prepared returns query as a statement bound to tx: the one Prepare cached
// when there is one, otherwise one prepared for this transaction alone.
// SQLite parses a statement, and compiles the triggers it fires, on every
// plain Exec; hot paths Prepare their queries once and use this.
func (tx *Tx) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	tx.db.stmtsMu.Lock()
	stmt, ok := tx.db.stmts[query]
	tx.db.stmtsMu.Unlock()
	if ok {
		return tx.StmtContext(ctx, stmt), nil
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	return stmt, nil
}

// Prepare parses queries once on the write connection and caches them for
// Tx.Prepared. Call it outside any transaction: the write pool's one
// connection is busy inside one.
func (db *DB) Prepare(ctx context.Context, queries ...string) error {
	db.stmtsMu.Lock()
	defer db.stmtsMu.Unlock()
	for _, q := range queries {
		if _, ok := db.stmts[q]; ok {
			continue
		}
		stmt, err := db.W.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		if db.stmts == nil {
			db.stmts = make(map[string]*sql.Stmt)
		}
		db.stmts[q] = stmt
	}
	return nil
}

// hotWrites are the store's own statements that most write transactions
// run (every change is audited; every create of the API writes a row and
// an event; every order its number, row, items and first step): Open
// prepares them, so SQLite does not parse them each time.
var hotWrites = []string{insertAuditSQL, insertEventSQL, insertProductSQL,
	nextOrderNumberSQL, insertOrderSQL, insertOrderItemSQL, insertOrderStepSQL,
	orderByIDSQL, oneOrderItemsSQL, orderStepsSQL, takeStockSQL, setOrderStockSQL,
	orderProductsSQL, subscribedWebhooksSQL, customerByPhoneSQL}

// exec runs query in tx through its prepared statement when Prepare made
// one, plainly otherwise.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// queryRow and query are exec's reading siblings: reads inside a write
// transaction go through the prepared statement when there is one.
func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// prepared is the statement Prepare made for query, or nil.
func (db *DB) prepared(query string) *sql.Stmt {
	db.stmtsMu.Lock()
	defer db.stmtsMu.Unlock()
	return db.stmts[query]
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

// Savepoint runs fn inside a savepoint of tx. When fn returns an error,
// everything it wrote is undone, the after-commit work it registered is
// dropped, and tx carries on as it was before; the error is returned. It
// lets a caller keep a record of a failed attempt (an idempotent request's
// answer) in the same transaction as the attempt.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	tx.savepoints++
	name := fmt.Sprintf("sp%d", tx.savepoints)
	if _, err := tx.ExecContext(ctx, "savepoint "+name); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	hooks := len(tx.onCommit)
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, "rollback to "+name); rerr != nil {
			return fmt.Errorf("store: rollback to savepoint: %w (after %w)", rerr, err)
		}
		tx.onCommit = tx.onCommit[:hooks]
		if _, rerr := tx.ExecContext(ctx, "release "+name); rerr != nil {
			return fmt.Errorf("store: release savepoint: %w (after %w)", rerr, err)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "release "+name); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}
