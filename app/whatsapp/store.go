package whatsapp

import (
	"context"
	"fmt"
	"log/slog"

	"go.mau.fi/util/dbutil"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/store/sqlstore/upgrades"

	"smartbot/store"
)

// How whatsmeow uses the shared write connection, read in its source
// (store/sqlstore and message.go of the version in go.mod), and why that is
// safe with the app's single-connection write pool:
//
//   - Its only long transaction is the decryption of one inbound message
//     (EventBuffer.DoDecryptionTxn): the Signal store's gets and puts and
//     the buffered plaintext, through the transaction's context. Nothing in
//     it waits for the app: the event handlers run after it committed.
//   - Its other transactions (LID mappings, contact batches, app state) are
//     short runs of statements on the same transaction.
//   - Every other store call is one statement; between them the connection
//     is free, so an app write waits at most for one statement or the
//     decryption of one message, and whatsmeow at most for one app write.
//
// The app's side of the rule: the inbound handler runs on whatsmeow's
// goroutine with no whatsmeow transaction open, and Client's methods must
// not be called from inside store.DB.Write (see the package doc).
//
// SQLITE_BUSY cannot happen between the two: both write through the one
// connection of store.DB.W, so they queue in database/sql, not in SQLite.
// TestWhatsmeowStoreAndAppWritesShareTheConnection exercises all of this.

// openContainer wraps the app's write pool in whatsmeow's session store and
// brings whatsmeow's tables to its latest schema. The pool is passed through
// untyped: no package under app names database/sql.
func openContainer(ctx context.Context, db *store.DB, log *slog.Logger) (*sqlstore.Container, error) {
	return openContainerWith(ctx, db, log, false)
}

// openContainerWith is openContainer; deadlockDetection makes dbutil panic
// when a goroutine that holds a whatsmeow transaction runs a statement
// outside it, which would wait forever on a one-connection pool. Tests turn
// it on.
func openContainerWith(ctx context.Context, db *store.DB, log *slog.Logger, deadlockDetection bool) (*sqlstore.Container, error) {
	wrapped, err := dbutil.NewWithDB(db.W, "sqlite")
	if err != nil {
		return nil, fmt.Errorf("whatsapp: open session store: %w", err)
	}
	// What sqlstore.NewWithDB sets, plus the detection.
	wrapped.UpgradeTable = upgrades.Table
	wrapped.VersionTable = "whatsmeow_version"
	wrapped.DeadlockDetection = deadlockDetection
	container := sqlstore.NewWithWrappedDB(wrapped, newLogger(log, "whatsmeow/store"))
	// Upgrade checks that foreign keys are on (whatsmeow's tables cascade
	// from the device row) and runs each step in its own transaction.
	if err := container.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("whatsapp: upgrade session store: %w", err)
	}
	return container, nil
}
