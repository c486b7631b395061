package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"smartbot/app"
)

// IdempotentResponse is what a request with an Idempotency-Key answered.
type IdempotentResponse struct {
	RequestHash string
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// IdempotentResponse returns the answer kept for actor's key; ok is false
// when the key is new. The caller looks it up, makes its change and keeps
// the answer in one transaction, so a key is either unknown or answered:
// there is no "still running" state a crash could leave behind.
func (tx *Tx) IdempotentResponse(ctx context.Context, actor, key string) (IdempotentResponse, bool, error) {
	var prev IdempotentResponse
	err := tx.QueryRowContext(ctx, `select request_hash, status, content_type, location, response_body from idempotency_keys where actor = ? and key = ?`, actor, key).
		Scan(&prev.RequestHash, &prev.Status, &prev.ContentType, &prev.Location, &prev.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return prev, false, nil
	}
	if err != nil {
		return prev, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	return prev, true, nil
}

// SaveIdempotentResponse keeps the answer to actor's request with key.
func (tx *Tx) SaveIdempotentResponse(ctx context.Context, actor, key, method, path string, resp IdempotentResponse) error {
	if resp.Body == nil {
		resp.Body = []byte{}
	}
	_, err := tx.ExecContext(ctx, `
		insert into idempotency_keys (key, actor, method, path, request_hash, status, content_type, location, response_body, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key, actor, method, path, resp.RequestHash, resp.Status, resp.ContentType, resp.Location, resp.Body, app.FormatTime(tx.db.now()))
	if err != nil {
		return fmt.Errorf("store: idempotency key: %w", mapError(err))
	}
	return nil
}
