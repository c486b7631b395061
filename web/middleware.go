package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"smartbot/app"
)

// reqInfo travels in the request's context from the outermost middleware to
// the handler and back: the handler side fills in what the outside logs.
type reqInfo struct {
	id      string
	route   string   // the ServeMux pattern that matched, for logs and metrics
	need    app.Role // the least role that route needs, for a refusal page
	actor   app.Actor
	started time.Time
}

type infoKey struct{}

func info(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

func requestID(ctx context.Context) string { return info(ctx).id }

// statusWriter records the status and size of a response, and a copy of
// the body when copy is set. It unwraps for http.ResponseController, so SSE
// handlers can flush and clear deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	copy   *bytes.Buffer
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	if w.copy != nil {
		w.copy.Write(b[:n])
	}
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: request id, panic recovery, access
// log and metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &reqInfo{id: newRequestID(), started: time.Now(), route: "unmatched"}
		ctx := context.WithValue(r.Context(), infoKey{}, ri)
		ctx = app.WithRequest(ctx, app.Request{ID: ri.id, RemoteAddr: remoteIP(r)})
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", ri.id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "request_id", ri.id, "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			took := time.Since(ri.started)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(ri.route, r.Method, status, took)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", ri.id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", ri.route),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", took),
				slog.String("remote", remoteIP(r)),
				slog.String("actor", ri.actor.Type+":"+ri.actor.ID),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// remoteIP is the client's address. Smartbot does not trust forwarding
// headers: behind a proxy, every request comes from the proxy.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// contentSecurityPolicy allows only the panel's own files. Datastar
// evaluates its data-* expressions with Function(), so script-src needs
// 'unsafe-eval'; no inline script is allowed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure sets the security headers and refuses cross-origin state changes
// from browsers. Body caps are per route (guard).
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, app.Errorf(app.EFORBIDDEN, "cross-origin request refused: state-changing requests must come from this site's own pages"))
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux would redirect a path with . or .. segments to its clean
		// form; refuse it instead, so no trick path reaches a route.
		if p := r.URL.EscapedPath(); strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/.") || strings.Contains(p, "//") {
			s.writeError(w, r, &app.Error{Code: errMalformed, Message: "the path has . or .. segments or empty ones; send it in its plain form"})
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.secureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		protected.ServeHTTP(w, r)
	})
}
