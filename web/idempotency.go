package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"

	"smartbot/app"
	"smartbot/store"
)

func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// A create route runs in one write transaction that the router opens and
// hands to its handler, which joins it with the services' XTx forms. An
// Idempotency-Key rides in that same transaction: the key is looked up, the
// change is made and the answer is kept in one commit. A process killed at
// any point leaves either nothing (a retry makes the change) or all three
// (a retry gets the first answer); there is no "still running" state to
// outlive a crash, and two requests with one key meet the single writer
// one after the other, so the second always finds the first's answer.
//
// The answer is buffered and sent only after the commit, so a client never
// reads a success that did not happen.

// txHandler is the handler of a create route.
type txHandler func(w http.ResponseWriter, r *http.Request, tx *store.Tx) error

// errRollback tells transact's transaction to roll back after a handler
// failed on the server's side; its answer is in the buffer already.
var errRollback = errors.New("web: roll back")

// crash points the idempotency crash test stops the process at.
const (
	crashClaimed   = "claimed"   // the key was looked up and is new
	crashChanged   = "changed"   // the handler made its change, not yet committed
	crashCommitted = "committed" // change and answer committed, answer not sent
)

// transact runs a create route's handler in one transaction, honouring an
// Idempotency-Key: a repeat with the same request gets the first answer
// again (any status below 500, with its content type and Location), a
// repeat with another request is refused. Keys are kept 24 hours, per
// actor. Answers of 5xx are not kept: nothing of that attempt is, so a
// retry runs again.
func (s *Server) transact(w http.ResponseWriter, r *http.Request, h txHandler) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		s.writeError(w, r, app.Invalid(app.FieldError{Field: "Idempotency-Key", Message: "must be at most 255 printable ASCII characters"}))
		return
	}
	// The body is read whole before the transaction begins: a slow client
	// must never hold the one write connection while it trickles in.
	// Only a request with a key is hashed: its repeat must match it.
	sum := hash.Hash(nil)
	var hashed io.Writer = io.Discard
	if key != "" {
		sum = sha256.New()
		io.WriteString(sum, r.Method+" "+r.URL.Path+"\n"+strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type")))+"\n")
		hashed = sum
	}
	body, err := spool(r.Body, hashed)
	if err != nil {
		s.writeError(w, r, jsonError(err))
		return
	}
	defer body.Close()
	r.Body = body
	var requestHash, actorKey string
	if key != "" {
		requestHash = hex.EncodeToString(sum.Sum(nil))
		actor := app.ActorFrom(r.Context())
		actorKey = actor.Type + ":" + actor.ID
	}

	buf := newBufferedWriter()
	var replay *store.IdempotentResponse
	ctx := r.Context()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if key != "" {
			prev, seen, err := tx.IdempotentResponse(ctx, actorKey, key)
			if err != nil {
				return err
			}
			if seen {
				replay = &prev
				return nil
			}
			s.crashPoint(crashClaimed)
		}
		err := tx.Savepoint(ctx, func() error { return h(buf, r, tx) })
		if err != nil {
			// The handler's writes are undone; its answer is the error.
			buf.reset()
			s.writeError(buf, r, err)
		}
		if buf.status() >= 500 {
			return errRollback
		}
		s.crashPoint(crashChanged)
		if key == "" {
			return nil
		}
		return tx.SaveIdempotentResponse(ctx, actorKey, key, r.Method, r.URL.Path, store.IdempotentResponse{
			RequestHash: requestHash, Status: buf.status(), ContentType: buf.Header().Get("Content-Type"),
			Location: buf.Header().Get("Location"), Body: buf.body.Bytes()})
	})
	switch {
	case errors.Is(err, errRollback):
		buf.sendTo(w)
	case err != nil:
		s.writeError(w, r, err)
	case replay != nil && replay.RequestHash != requestHash:
		s.writeError(w, r, app.Errorf(app.EINVALID, "this Idempotency-Key was used with a different request; use a new key for a new request"))
	case replay != nil:
		h := w.Header()
		h.Set("Content-Type", replay.ContentType)
		h.Set("Cache-Control", "no-store")
		if replay.Location != "" {
			h.Set("Location", replay.Location)
		}
		h.Set("Idempotent-Replayed", "true")
		w.WriteHeader(replay.Status)
		w.Write(replay.Body)
	default:
		s.crashPoint(crashCommitted)
		buf.sendTo(w)
	}
}

// spoolInMemory is the largest body spool keeps in memory.
const spoolInMemory = 1 << 20

// spool reads a request body whole, hashing it, before the handler reads it again:
// a body up to spoolInMemory stays in memory, a larger one (an upload
// route's) goes to a temporary file, so no upload is ever held in memory
// whole. Closing what it returns removes the file.
func spool(body io.Reader, sum io.Writer) (io.ReadCloser, error) {
	head, err := io.ReadAll(io.LimitReader(io.TeeReader(body, sum), spoolInMemory+1))
	if err != nil {
		return nil, err
	}
	if len(head) <= spoolInMemory {
		return io.NopCloser(bytes.NewReader(head)), nil
	}
	f, err := os.CreateTemp("", "smartbot-body-*")
	if err != nil {
		return nil, err
	}
	file := &tempFile{f}
	if _, err := f.Write(head); err != nil {
		file.Close()
		return nil, err
	}
	if _, err := io.Copy(f, io.TeeReader(body, sum)); err != nil {
		file.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

// tempFile is a spooled body; Close removes it.
type tempFile struct{ *os.File }

func (f *tempFile) Close() error {
	f.File.Close()
	return os.Remove(f.Name())
}

// crashPoint lets the crash test stop the process at a named step; it does
// nothing in production.
func (s *Server) crashPoint(step string) {
	if s.crashAt != nil {
		s.crashAt(step)
	}
}

// bufferedWriter keeps a whole answer in memory until it may be sent.
type bufferedWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.code == 0 {
		b.code = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

func (b *bufferedWriter) reset() {
	b.header, b.code = http.Header{}, 0
	b.body.Reset()
}

func (b *bufferedWriter) sendTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status())
	w.Write(b.body.Bytes())
}
