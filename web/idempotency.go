package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"smartbot/app"
	"smartbot/store"
)

func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// idempotent runs a creating handler at most once per Idempotency-Key and
// actor: a repeat with the same body gets the first answer again, a repeat
// with another body is refused, and one that arrives while the first still
// runs is told to wait. Keys are kept 24 hours. Answers of 5xx are not kept,
// so a retry after a server failure runs again.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request) error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		s.writeError(w, r, app.Invalid(app.FieldError{Field: "Idempotency-Key", Message: "must be at most 255 characters"}))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, jsonError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	actor := app.ActorFrom(r.Context())
	actorKey := actor.Type + ":" + actor.ID

	var prev store.IdempotentResponse
	var first bool
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		var err error
		prev, first, err = tx.ClaimIdempotencyKey(r.Context(), actorKey, key, r.Method, r.URL.Path, hash)
		return err
	})
	switch {
	case err != nil:
		s.writeError(w, r, err)
		return
	case !first && prev.RequestHash != hash:
		s.writeError(w, r, app.Errorf(app.EINVALID, "this Idempotency-Key was used with a different request; use a new key for a new request"))
		return
	case !first && prev.Status == 0:
		s.writeError(w, r, app.Errorf(app.ECONFLICT, "a request with this Idempotency-Key is still being processed; retry shortly"))
		return
	case !first:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(prev.Status)
		w.Write(prev.Body)
		return
	}
	rec := &statusWriter{ResponseWriter: w, copy: &bytes.Buffer{}}
	if err := h(rec, r); err != nil {
		s.writeError(rec, r, err)
	}
	// The answer is kept even when the client has gone: its retry must find it.
	ctx := context.WithoutCancel(r.Context())
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.FinishIdempotencyKey(ctx, actorKey, key, rec.status, rec.copy.Bytes())
	})
	if err != nil {
		s.logWarn(r, "store idempotent response", err)
	}
}
