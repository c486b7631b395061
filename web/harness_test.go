package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"smartbot/app"
	"smartbot/app/auth"
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
	"smartbot/store/storetest"
	"smartbot/web"
)

// testServer is the real server on a fresh database, served on loopback,
// with a user, a session and an API key for each role.
type testServer struct {
	t       *testing.T
	db      *store.DB
	queues  *queue.Queues
	runner  *queue.Runner
	emitter *event.Emitter
	media   *media.Service
	// messaging runs with pacing off; connect puts it on sim.
	messaging *messaging.Service
	sim       *simulator.Simulator
	commerce  *commerce.Service
	webhooks  *webhook.Service
	// processed receives the id of each media job the runner finishes.
	processed chan string
	server    *web.Server
	url       string
	client    *http.Client
	users     map[app.Role]app.User
	keys      map[app.Role]string
}

// password is every test user's password.
const password = "correct horse battery staple"

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServerWithoutUsers(t)
	for _, role := range app.Roles {
		ts.users[role] = ts.addUser(string(role)+"@shop.test", role)
		ts.keys[role] = ts.addKey(string(role)+"-key", role, ts.users[role].ID)
	}
	return ts
}

// newTestServerWithoutUsers is the server as on first run.
func newTestServerWithoutUsers(t *testing.T) *testServer {
	t.Helper()
	return newTestServerAt(t, nil)
}

// newTestServerAt is the server on first run, whose clock (the server's and
// the events') is now; nil is the real one.
func newTestServerAt(t *testing.T, now func() time.Time) *testServer {
	t.Helper()
	db := storetest.New(t)
	qs := queue.New(db)
	hooks := webhook.New(webhook.Options{DB: db, Queues: qs, Version: "test", Now: now})
	runner := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{queue.WebhookDelivery: hooks.QueueConfig()}})
	runner.Handle(queue.WebhookDelivery, hooks.Deliver)
	files, err := media.OpenFiles(filepath.Join(db.DataDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	// Tests wait on processed for a media job to end, not on time.
	processed := make(chan string, 64)
	broker := event.NewBroker()
	emitter := event.NewEmitter(qs, broker, now)
	catalogs := catalog.New(catalog.Options{DB: db, Emitter: emitter})
	medias := media.New(media.Options{DB: db, Queues: qs, Files: files, Attach: catalogs.AttachUploadTx})
	shop := settings.New(settings.Options{DB: db})
	sim := simulator.New(simulator.Options{DeliveredAfter: 20 * time.Millisecond, ReadAfter: 40 * time.Millisecond,
		Open: func(ctx context.Context, ref []byte) (io.ReadCloser, error) {
			m, err := medias.Media(ctx, string(ref))
			if err != nil {
				return nil, err
			}
			return medias.Files().Open(m.StorageKey)
		}})
	// The whatsmeow transport is there to switch to; it never connects,
	// as no number is paired.
	wa, err := whatsapp.New(whatsapp.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messaging.New(messaging.Options{DB: db, Queues: qs, Emitter: emitter, Runner: runner, Media: medias, Library: medias,
		Transports: map[string]app.Transport{app.TransportSimulator: sim, app.TransportWhatsApp: wa},
		Render:     messaging.TemplateRenderer(db, shop, medias)})
	process := msgs.Dispatch(medias.Process)
	runner.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
		err := process(ctx, job)
		select {
		case processed <- string(job.Body):
		default:
		}
		return err
	})
	runner.Handle(queue.MessageSending, msgs.Process)
	shopSvc := commerce.New(commerce.Options{DB: db, Queues: qs, Emitter: emitter, Messaging: msgs, Now: now})
	runner.Handle(queue.OrderProcessing, shopSvc.ProcessOrder)
	if err := msgs.SetPacing(context.Background(), app.Pacing{ColdDailyCap: -1, BreakerErrors: 5, BreakerPause: time.Minute}); err != nil {
		t.Fatal(err)
	}
	runner.Start()
	srv := web.New(web.Options{DB: db, Queues: qs, Runner: runner, Broker: broker, Emitter: emitter, Catalog: catalogs, Media: medias, Settings: shop,
		Messaging: msgs, Simulator: sim, Commerce: shopSvc, Webhooks: hooks, Version: "test", Now: now})
	hs := httptest.NewServer(srv)
	ts := &testServer{t: t, db: db, queues: qs, runner: runner, emitter: emitter, media: medias, messaging: msgs, sim: sim, commerce: shopSvc, webhooks: hooks, processed: processed, server: srv, url: hs.URL,
		users: map[app.Role]app.User{}, keys: map[app.Role]string{}}
	ts.client = &http.Client{
		Transport: &conformance{t: t, next: http.DefaultTransport},
		// Keep redirects visible to the tests.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(func() {
		srv.CloseStreams()
		hs.Close()
		runner.Shutdown(context.Background())
		msgs.Stop()
	})
	return ts
}

// connect starts the simulator as the WhatsApp transport. It is not on
// from the start: connecting emits bot_connected, which tests that count
// events do not expect.
func (ts *testServer) connect() {
	ts.t.Helper()
	if err := ts.messaging.Use(context.Background(), ts.sim); err != nil {
		ts.t.Fatal(err)
	}
}

// hashOnce keeps test users cheap: argon2id is slow on purpose.
var hashOnce = sync.OnceValue(func() string {
	h, err := auth.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

func (ts *testServer) addUser(email string, role app.Role) app.User {
	ts.t.Helper()
	u := app.User{ID: app.NewID(app.PrefixUser), Email: email, Role: role, PasswordHash: hashOnce()}
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, &u) }); err != nil {
		ts.t.Fatal(err)
	}
	return u
}

func (ts *testServer) addKey(name string, role app.Role, userID string) string {
	ts.t.Helper()
	secret, prefix := auth.NewAPIKey()
	k := app.APIKey{ID: app.NewID(app.PrefixAPIKey), Name: name, Prefix: prefix, Role: role, UserID: userID}
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateAPIKey(ctx, &k, auth.HashToken(secret)) }); err != nil {
		ts.t.Fatal(err)
	}
	return secret
}

// session makes a session for u valid for the given time from now (a
// negative one is expired) and returns its cookie value.
func (ts *testServer) session(u app.User, valid time.Duration) string {
	ts.t.Helper()
	token := auth.NewToken(auth.SessionPrefix)
	now := time.Now().UTC()
	s := app.Session{ID: auth.HashToken(token), UserID: u.ID, CreatedAt: now.Add(-time.Minute), LastSeenAt: now,
		IdleExpiresAt: now.Add(valid), ExpiresAt: now.Add(valid)}
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateSession(ctx, s, "127.0.0.1", "test") }); err != nil {
		ts.t.Fatal(err)
	}
	return token
}

// req describes one request of a test.
type req struct {
	method, path string
	body         string
	contentType  string // default application/json when body is set
	key          string // Bearer key
	cookie       string // session token
	header       map[string]string
}

func (ts *testServer) do(r req) (*http.Response, []byte) {
	ts.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, ts.url+r.path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if r.key != "" {
		hr.Header.Set("Authorization", "Bearer "+r.key)
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: "smartbot_session", Value: r.cookie})
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := ts.client.Do(hr)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// A live stream does not end; closing it ends the handler.
		return res, nil
	}
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// problemOf decodes a problem document, failing the test if it is not one.
func problemOf(t *testing.T, res *http.Response, body []byte) map[string]any {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: content type %q, want a problem document; body %s", res.Request.Method, res.Request.URL.Path, ct, body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem is not JSON: %s", body)
	}
	for _, k := range []string{"type", "title", "status", "detail"} {
		if _, ok := p[k]; !ok {
			t.Fatalf("problem lacks %q: %s", k, body)
		}
	}
	if int(p["status"].(float64)) != res.StatusCode {
		t.Fatalf("problem status %v differs from the response's %d", p["status"], res.StatusCode)
	}
	return p
}

// digest hashes every row of every table: equal digests, unchanged data.
func digest(t *testing.T, db *store.DB) string {
	t.Helper()
	rows, err := db.R.Query(`select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	h := sha256.New()
	for _, table := range tables {
		rows, err := db.R.Query(`select * from "` + table + `" order by rowid`)
		if err != nil {
			rows, err = db.R.Query(`select * from "` + table + `"`)
		}
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(h, "table %s\n", table)
		for rows.Next() {
			rows.Scan(ptrs...)
			fmt.Fprintf(h, "%v\n", vals)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// conformance checks every response of the API the tests receive against
// the OpenAPI document. A response the document does not describe fails
// the test that got it.
type conformance struct {
	t    *testing.T
	next http.RoundTripper
}

var openAPI = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

func (c *conformance) RoundTrip(r *http.Request) (*http.Response, error) {
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := c.next.RoundTrip(r)
	if err != nil || strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return res, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if res.StatusCode >= 400 {
		if m := driverText.Find(body); m != nil {
			c.t.Errorf("%s %s → %d shows database text %q to the client:\n%.500s", r.Method, r.URL.RequestURI(), res.StatusCode, m, body)
		}
	}
	if !documented(r.URL.Path) {
		return res, nil
	}
	if err := checkResponse(r, reqBody, res, body); err != nil {
		c.t.Errorf("OpenAPI: %s %s → %d does not match the document: %v\nbody: %.500s", r.Method, r.URL.RequestURI(), res.StatusCode, err, body)
	}
	return res, nil
}

// driverText is what SQLite and its driver write into their errors. No
// answer to a client may carry it: every error response of every test that
// uses the harness is scanned.
var driverText = regexp.MustCompile(`(?i)constraint failed|sqlite|sql logic|no such (table|column)|database is locked|\(\d{3,4}\)"|` +
	`\b(users|sessions|api_keys|setup_tokens|settings|idempotency_keys|media_files|products|product_media|customers|orders|order_items|payments|` +
	`delivery_tasks|message_templates|template_versions|messages|events|webhooks|webhook_logs|audit_logs|goqite|queue_dead_letters)\.[a-z_]+\b`)

// documented reports whether the OpenAPI document covers path: the API and
// the operations endpoints, not the panel's pages.
func documented(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// checkResponse validates one response against the document.
func checkResponse(r *http.Request, reqBody []byte, res *http.Response, body []byte) error {
	router, err := openAPI()
	if err != nil {
		return fmt.Errorf("load the document: %w", err)
	}
	probe := r.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(probe)
	if err != nil {
		// A path the document lacks must be refused: 400 for a path not in
		// plain form, 404 for an unknown one, 405 for a known one's wrong method.
		if res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("no operation for it: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), out)
}
