package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"smartbot/app"
)

// IdempotentResponse is what a request with an Idempotency-Key answered.
// Status 0 means the first request with the key is still running.
type IdempotentResponse struct {
	RequestHash string
	Status      int
	Body        []byte
}

// ClaimIdempotencyKey records that actor started a request with key. When
// the key was seen before it returns the earlier record and false.
func (tx *Tx) ClaimIdempotencyKey(ctx context.Context, actor, key, method, path, requestHash string) (IdempotentResponse, bool, error) {
	var prev IdempotentResponse
	err := tx.QueryRowContext(ctx, `select request_hash, status, response_body from idempotency_keys where actor = ? and key = ?`, actor, key).
		Scan(&prev.RequestHash, &prev.Status, &prev.Body)
	if err == nil {
		return prev, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return prev, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		insert into idempotency_keys (key, actor, method, path, request_hash, status, response_body, created_at)
		values (?, ?, ?, ?, ?, 0, x'', ?)`, key, actor, method, path, requestHash, app.FormatTime(tx.db.now()))
	if err != nil {
		return prev, false, fmt.Errorf("store: idempotency key: %w", mapError(err))
	}
	return prev, true, nil
}

// FinishIdempotencyKey stores the response of the request that claimed key,
// or forgets the key when the request failed on the server's side, so that
// a retry runs again.
func (tx *Tx) FinishIdempotencyKey(ctx context.Context, actor, key string, status int, body []byte) error {
	var err error
	if status >= 500 {
		_, err = tx.ExecContext(ctx, `delete from idempotency_keys where actor = ? and key = ?`, actor, key)
	} else {
		_, err = tx.ExecContext(ctx, `update idempotency_keys set status = ?, response_body = ? where actor = ? and key = ?`, status, body, actor, key)
	}
	if err != nil {
		return fmt.Errorf("store: idempotency key: %w", err)
	}
	return nil
}
