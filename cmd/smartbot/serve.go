package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/catalog"
	"smartbot/app/commerce"
	"smartbot/app/event"
	"smartbot/app/media"
	"smartbot/app/messaging"
	"smartbot/app/settings"
	"smartbot/app/webhook"
	"smartbot/app/whatsapp"
	"smartbot/app/whatsapp/simulator"
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
	mediaLimits     media.Limits
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	fs := newFlags("serve", stderr)
	dataDir := dataDirFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	logLevel := fs.String("log-level", "info", "least important log level written: debug, info, warn or error")
	shutdown := fs.String("shutdown-timeout", "8s", "how long shutdown waits, in all, for open requests and running jobs; keep it under the stop timeout of whatever stops Smartbot (Docker: 10s)")
	secure := fs.Bool("secure-cookies", false, "mark the session cookie Secure (and __Host-) and send HSTS: set when users reach Smartbot over HTTPS")
	limits := fs.String("media-limits", media.DefaultLimits.String(), "the largest upload of each kind of file, like image=5MB,video=16MB,audio=16MB,document=100MB; kinds left out keep their default")
	rest, err := fs.parse(args)
	if err != nil {
		return serveConfig{}, err
	}
	if err := noArgs("serve", rest, ""); err != nil {
		return serveConfig{}, err
	}
	c := serveConfig{dataDir: *dataDir, addr: *addr, secureCookies: *secure}
	host, port, err := net.SplitHostPort(*addr)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		return c, fs.bad("addr", "is not host:port, like 127.0.0.1:8080 or :8080")
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return c, fs.bad("addr", fmt.Sprintf("has %q, which is not an IP address or localhost: use host:port, like 127.0.0.1:8080 or :8080", host))
	}
	if err := c.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return c, fs.bad("log-level", "must be debug, info, warn or error")
	}
	c.shutdownTimeout, err = time.ParseDuration(*shutdown)
	if err != nil || c.shutdownTimeout <= 0 {
		return c, fs.bad("shutdown-timeout", "must be a positive duration, like 8s or 1m")
	}
	if c.mediaLimits, err = media.ParseLimits(*limits); err != nil {
		return c, fs.bad("media-limits", "cannot be read. "+app.ErrorMessage(err))
	}
	return c, nil
}

// serve runs the server until ctx is cancelled (SIGINT, SIGTERM) or one of
// its parts fails: HTTP, the job runner and the hourly prune run as one
// group, and the first to fail stops the others and is returned. Shutdown
// stops accepting requests, then gives open requests and running jobs one
// shared budget, --shutdown-timeout, to finish; then the database closes.
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
		return store.Explain(filepath.Join(cfg.dataDir, store.FileName), err)
	}
	defer db.Close()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.addr, err)
	}
	queues := queue.New(db)
	broker := event.NewBroker()
	emitter := event.NewEmitter(queues, broker, db.Now)
	// SMARTBOT_WEBHOOK_ALLOW_PRIVATE lets webhooks reach LAN addresses
	// whatever the shop's setting says: the operator's word, not the owner's.
	allowPrivate, _ := strconv.ParseBool(os.Getenv("SMARTBOT_WEBHOOK_ALLOW_PRIVATE"))
	hooks := webhook.New(webhook.Options{DB: db, Queues: queues, AllowPrivate: allowPrivate, Version: version(), Log: log})
	runner := queue.NewRunner(queue.RunnerOptions{Queues: queues, Log: log,
		Config: map[queue.Name]queue.Config{queue.WebhookDelivery: hooks.QueueConfig()}})
	runner.Handle(queue.WebhookDelivery, hooks.Deliver)
	if err := hooks.Prepare(ctx); err != nil {
		log.Warn("webhooks: prepare statements", "error", err) // unprepared, they still run
	}
	shop := settings.New(settings.Options{DB: db})
	accounts := account.New(account.Options{DB: db, Settings: shop})
	catalogs := catalog.New(catalog.Options{DB: db, Emitter: emitter})
	files, err := media.OpenFiles(filepath.Join(cfg.dataDir, "media"))
	if err != nil {
		return fmt.Errorf("cannot keep media files in %s: %w", filepath.Join(cfg.dataDir, "media"), err)
	}
	medias := media.New(media.Options{DB: db, Queues: queues, Files: files, Limits: cfg.mediaLimits, Attach: catalogs.AttachUploadTx})
	wa, sim, err := transports(db, medias, log)
	if err != nil {
		return err
	}
	msgs := messaging.New(messaging.Options{DB: db, Queues: queues, Emitter: emitter, Runner: runner, Transports: wa,
		Media: medias, Library: medias, Render: messaging.TemplateRenderer(db, shop, medias), Log: log})
	runner.Handle(queue.MediaProcessing, msgs.Dispatch(medias.Process))
	runner.Handle(queue.MessageSending, msgs.Process)
	shopping := commerce.New(commerce.Options{DB: db, Queues: queues, Emitter: emitter, Messaging: msgs, Log: log})
	runner.Handle(queue.OrderProcessing, shopping.ProcessOrder)
	// The notification templates a shop starts with; the owner edits them.
	if err := shopping.SeedTemplates(ctx); err != nil {
		return fmt.Errorf("cannot create the order notification templates: %w", err)
	}
	if err := msgs.Start(ctx); err != nil {
		return fmt.Errorf("cannot start WhatsApp: %w", err)
	}
	defer msgs.Stop()
	handler := web.New(web.Options{DB: db, Queues: queues, Runner: runner, Broker: broker, Emitter: emitter,
		Accounts: accounts, Catalog: catalogs, Settings: shop, Media: medias, Messaging: msgs, Simulator: sim, Commerce: shopping, Webhooks: hooks,
		Log: log, Version: version(), SecureCookies: cfg.secureCookies})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(handler.CloseStreams)

	runner.Start()
	wait := runParts(ctx, parts{srv: srv, ln: ln, runner: runner, prune: func(ctx context.Context) { prune(ctx, db, medias, log) },
		budget: cfg.shutdownTimeout, log: log})

	log.Info("serving", "addr", ln.Addr().String(), "data_dir", cfg.dataDir, "version", version())
	base := "http://" + displayAddr(ln.Addr().String())
	fmt.Fprintf(stdout, "Smartbot %s is serving %s (data in %s). Stop it with Ctrl-C.\n", version(), base, cfg.dataDir)
	// Not cancelled by a stop that comes at once: it is one short write,
	// and the link it prints stays valid for the next start.
	if err := firstRun(context.WithoutCancel(ctx), accounts, base, stdout); err != nil {
		log.Error("first-run setup link", "error", err)
	}

	if err := wait(); err != nil {
		log.Error("stopped", "error", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// transports makes both WhatsApp transports: the whatsmeow session on the
// shop's number (its tables live in the same database) and the built-in
// simulator, whose test customers send files from the media library.
func transports(db *store.DB, medias *media.Service, log *slog.Logger) (map[string]app.Transport, *simulator.Simulator, error) {
	wa, err := whatsapp.New(whatsapp.Options{DB: db, Log: log.With("part", "whatsapp")})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the WhatsApp session store: %w", err)
	}
	sim := simulator.New(simulator.Options{Open: func(ctx context.Context, ref []byte) (io.ReadCloser, error) {
		m, err := medias.Media(ctx, string(ref))
		if err != nil {
			return nil, err
		}
		return medias.Files().Open(m.StorageKey)
	}})
	return map[string]app.Transport{app.TransportWhatsApp: wa, app.TransportSimulator: sim}, sim, nil
}

// parts are what serve runs under one lifecycle.
type parts struct {
	srv    *http.Server
	ln     net.Listener
	runner interface{ Shutdown(context.Context) error } // started already
	prune  func(context.Context)                        // runs until its ctx ends
	budget time.Duration
	log    *slog.Logger
}

// runParts serves HTTP on p.ln and runs p.prune in an errgroup, and returns
// the group's wait: it ends when ctx does or a part fails (whose error it
// returns), after the stop. The stop gives HTTP and the runner one
// deadline, p.budget away, and they drain side by side, so the whole
// shutdown fits the budget. The runner's Shutdown is called here only.
func runParts(ctx context.Context, p parts) (wait func() error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := p.srv.Serve(p.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("the HTTP server stopped: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		p.prune(gctx)
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		p.log.Info("shutting down", "budget", p.budget.String())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.budget)
		defer cancel()
		jobs := make(chan error, 1)
		go func() { jobs <- p.runner.Shutdown(sctx) }()
		if err := p.srv.Shutdown(sctx); err != nil {
			p.log.Warn("requests still open at the shutdown deadline were cut off", "error", err)
		}
		if err := <-jobs; err != nil {
			p.log.Warn("jobs still running at the shutdown deadline; they will run again after restart", "error", err)
		}
		return nil
	})
	return g.Wait
}

// prune clears expired sessions, setup tokens and idempotency keys, and
// media files no record has used for the grace period, every hour until
// ctx ends.
func prune(ctx context.Context, db *store.DB, medias *media.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune expired rows", "error", err)
		} else if n > 0 {
			log.Info("pruned expired rows", "rows", n)
		}
		if n, err := medias.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweep unused media files", "error", err)
		} else if n > 0 {
			log.Info("swept unused media files", "files", n)
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
