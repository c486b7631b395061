// Package web is Smartbot's HTTP face: the JSON API, the admin panel and
// the health endpoints, all routed in one place.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"smartbot/store"
)

// Runner is what the server needs to know of the job runner.
type Runner interface {
	Started() bool
}

// Options configure New.
type Options struct {
	DB     *store.DB
	Runner Runner
	// Log receives request errors; nil discards.
	Log     *slog.Logger
	Version string
}

// Server serves Smartbot's HTTP routes.
type Server struct {
	db      *store.DB
	runner  Runner
	log     *slog.Logger
	version string
	mux     *http.ServeMux
}

// New returns a server with every route registered.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{db: opts.DB, runner: opts.Runner, log: opts.Log, version: opts.Version, mux: http.NewServeMux()}
	s.routes()
	return s
}

// routes is the one place every route is registered.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// healthz answers while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.version})
}

// readyz answers 200 when the database answers and is migrated and the
// runner has started; 503 otherwise, naming the check that failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok", "runner": "ok"}
	ready := true
	fail := func(name, why string) {
		checks[name] = why
		ready = false
	}
	if err := s.db.Ping(ctx); err != nil {
		fail("database", "not answering: "+err.Error())
	} else if v, err := s.db.Version(ctx); err != nil {
		fail("migrations", err.Error())
	} else if v != store.LatestVersion() {
		fail("migrations", "schema is not at this binary's version")
	}
	if s.runner == nil || !s.runner.Started() {
		fail("runner", "not started")
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
