package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"smartbot/app/account"
	"smartbot/app/catalog"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/web"
)

// serveConfig is serve's validated configuration.
type serveConfig struct {
	dataDir         string
	addr            string
	logLevel        slog.Level
	shutdownTimeout time.Duration
	secureCookies   bool
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	fs := newFlags("serve", stderr)
	dataDir := dataDirFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	logLevel := fs.String("log-level", "info", "least important log level written: debug, info, warn or error")
	shutdown := fs.String("shutdown-timeout", "30s", "how long shutdown waits for requests and running jobs")
	secure := fs.Bool("secure-cookies", false, "mark the session cookie Secure (and __Host-) and send HSTS: set when users reach Smartbot over HTTPS")
	rest, err := parse(fs, args)
	if err != nil {
		return serveConfig{}, err
	}
	if len(rest) > 0 {
		return serveConfig{}, fmt.Errorf("serve takes no arguments, got %q", rest)
	}
	c := serveConfig{dataDir: *dataDir, addr: *addr, secureCookies: *secure}
	if *dataDir == "" {
		return c, errors.New("--data-dir (SMARTBOT_DATA_DIR) is empty: give the directory for the database and media")
	}
	host, port, err := net.SplitHostPort(*addr)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		return c, fmt.Errorf("--addr (SMARTBOT_ADDR) %q is not host:port, like 127.0.0.1:8080 or :8080", *addr)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return c, fmt.Errorf("--addr (SMARTBOT_ADDR) %q: %q is not an IP address or localhost", *addr, host)
	}
	if err := c.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return c, fmt.Errorf("--log-level (SMARTBOT_LOG_LEVEL) %q is not one of debug, info, warn, error", *logLevel)
	}
	c.shutdownTimeout, err = time.ParseDuration(*shutdown)
	if err != nil || c.shutdownTimeout <= 0 {
		return c, fmt.Errorf("--shutdown-timeout (SMARTBOT_SHUTDOWN_TIMEOUT) %q is not a positive duration like 30s or 2m", *shutdown)
	}
	return c, nil
}

// serve runs the server until ctx is cancelled (SIGINT, SIGTERM), then shuts
// down gracefully: stop accepting requests, let running ones and running
// jobs finish within the shutdown timeout, close the database.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	if err := store.CheckDataDir(cfg.dataDir); err != nil {
		return err
	}
	unlock, err := store.LockDataDir(cfg.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := store.Open(ctx, store.Options{DataDir: cfg.dataDir, Log: log})
	if err != nil {
		return err
	}
	defer db.Close()

	queues := queue.New(db)
	broker := event.NewBroker()
	emitter := event.NewEmitter(queues, broker, db.Now)
	runner := queue.NewRunner(queue.RunnerOptions{Queues: queues, Log: log})
	accounts := account.New(account.Options{DB: db})
	catalogs := catalog.New(catalog.Options{DB: db, Emitter: emitter})
	runner.Start()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		shutdownRunner(runner, cfg.shutdownTimeout, log)
		return fmt.Errorf("cannot listen on %s: %w", cfg.addr, err)
	}
	handler := web.New(web.Options{DB: db, Queues: queues, Runner: runner, Broker: broker, Emitter: emitter,
		Accounts: accounts, Catalog: catalogs,
		Log: log, Version: version(), SecureCookies: cfg.secureCookies})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(handler.CloseStreams)
	go prune(ctx, db, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "data_dir", cfg.dataDir, "version", version())
	base := "http://" + displayAddr(ln.Addr().String())
	fmt.Fprintf(stdout, "Smartbot %s is serving %s (data in %s). Stop it with Ctrl-C.\n", version(), base, cfg.dataDir)
	if err := firstRun(ctx, accounts, base, stdout); err != nil {
		log.Error("first-run setup link", "error", err)
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-served:
		shutdownRunner(runner, cfg.shutdownTimeout, log)
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still open at the shutdown deadline", "error", err)
	}
	shutdownRunner(runner, cfg.shutdownTimeout, log)
	log.Info("stopped")
	return nil
}

// prune clears expired sessions, setup tokens and idempotency keys every
// hour until ctx ends.
func prune(ctx context.Context, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune expired rows", "error", err)
		} else if n > 0 {
			log.Info("pruned expired rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// displayAddr turns a listening address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// firstRun prints the first-run setup link while no user exists: it
// creates the owner account, once. A restart shows the same link while it
// has an hour left.
func firstRun(ctx context.Context, accounts *account.Service, base string, stdout io.Writer) error {
	token, expires, err := accounts.SetupLink(ctx)
	if err != nil || token == "" {
		return err
	}
	fmt.Fprintf(stdout, "\nFirst run: open this link before %s to create the shop owner's account (it works once):\n\n  %s/setup?token=%s\n\nOr create one from the command line: smartbot user create --email you@example.com --role owner\n",
		expires.Local().Format("2006-01-02 15:04 MST"), base, token)
	return nil
}

func shutdownRunner(r *queue.Runner, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		log.Warn("jobs still running at the shutdown deadline; they will run again after restart", "error", err)
	}
}
