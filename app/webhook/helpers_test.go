package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/webhook"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// hit is one request a receiver got.
type hit struct {
	n      int
	header http.Header
	body   []byte
}

// receiver is a loopback endpoint that answers each request with answer
// (given the request's number, from 1) and reports it on hits.
type receiver struct {
	url   string
	hits  chan hit
	count atomic.Int64
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{hits: make(chan hit, 256)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.count.Add(1))
		var body []byte
		body, _ = io.ReadAll(r.Body)
		rc.hits <- hit{n: n, header: r.Header.Clone(), body: body}
		if answer == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		answer(n, w)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hooks"
	return rc
}

// next waits for the receiver's next request.
func (rc *receiver) next(t *testing.T) hit {
	t.Helper()
	select {
	case h := <-rc.hits:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got no delivery")
		return hit{}
	}
}

// env is a database, its queues, an emitter and the webhook service on the
// clock now (nil: the real one).
type env struct {
	db  *store.DB
	qs  *queue.Queues
	em  *event.Emitter
	svc *webhook.Service
}

func newEnv(t testing.TB, opts webhook.Options) *env {
	t.Helper()
	db := storetest.OpenAt(t, t.TempDir(), opts.Now)
	qs := queue.New(db)
	opts.DB, opts.Queues = db, qs
	if opts.Version == "" {
		opts.Version = "test"
	}
	return &env{db: db, qs: qs, em: event.NewEmitter(qs, event.NewBroker(), opts.Now), svc: webhook.New(opts)}
}

// hook creates a webhook on url subscribed to every event.
func (e *env) hook(t *testing.T, url string) app.Webhook {
	t.Helper()
	w, err := e.svc.Create(context.Background(), webhook.NewWebhook{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// emit commits one event and returns it.
func (e *env) emit(t *testing.T, data app.EventData) app.Event {
	t.Helper()
	var ev app.Event
	err := e.db.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		ev, err = e.em.Emit(context.Background(), tx, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// deliver runs the handler by hand for attempt n of ev to w.
func (e *env) deliver(t *testing.T, w app.Webhook, ev app.Event, n int) error {
	t.Helper()
	body, _ := json.Marshal(app.WebhookDeliveryJob{EventID: ev.ID, WebhookID: w.ID})
	return e.svc.Deliver(context.Background(), queue.Job{ID: "m_test", Queue: queue.WebhookDelivery, Body: body, Attempt: n})
}

// logs lists w's attempts, oldest first.
func (e *env) logs(t *testing.T, w app.Webhook) []store.WebhookLog {
	t.Helper()
	ls, err := e.db.ListWebhookLogs(context.Background(), store.WebhookLogFilter{WebhookID: w.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(ls)-1; i < j; i, j = i+1, j-1 {
		ls[i], ls[j] = ls[j], ls[i]
	}
	return ls
}

func (e *env) webhook(t *testing.T, id string) app.Webhook {
	t.Helper()
	w, err := e.db.Webhook(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// names maps host names to addresses, in turn: a name's first lookup gets
// its first list, the next its second, and the last repeats.
type names map[string][][]netip.Addr

func (n names) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	lists, ok := n[host]
	if !ok {
		return nil, &lookupError{host}
	}
	out := lists[0]
	if len(lists) > 1 {
		n[host] = lists[1:]
	}
	return out, nil
}

type lookupError struct{ host string }

func (e *lookupError) Error() string { return "no such host " + e.host }

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

var order = app.OrderCreatedData{OrderID: "ord_1", Number: "SB-000001", CustomerID: "cus_1", Status: "pending", Total: 1250, Currency: "USD",
	Items: []app.OrderItemData{{ProductID: "prd_1", Name: "Coffee", UnitPrice: 625, Quantity: 2}}}
