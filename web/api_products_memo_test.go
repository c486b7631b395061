package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store/storetest"
)

// The products list is kept between requests; a product created here or
// by another process is on the very next page.
func TestTheProductListShowsEveryChangeOnTheNextRequest(t *testing.T) {
	ts := newTestServer(t)
	key := ts.keys[app.RoleOperator]
	list := func() string {
		t.Helper()
		res, body := ts.do(req{method: "GET", path: "/api/products?limit=50", key: key})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("list: %d %s", res.StatusCode, body)
		}
		return string(body)
	}
	if before := list(); strings.Contains(before, "Rooibos") || list() != before {
		t.Fatalf("an empty catalogue: %s", before)
	}
	res, body := ts.do(req{method: "POST", path: "/api/products", key: key, body: `{"name":"Rooibos","price":1250,"currency":"ZAR"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	if after := list(); !strings.Contains(after, `"name":"Rooibos"`) {
		t.Fatalf("the list after a create does not show it: %s", after)
	}
	// Another process on the same file: none of this server's hooks run.
	other := storetest.Open(t, ts.db.DataDir())
	price := int64(900)
	emitter := event.NewEmitter(queue.New(other), event.NewBroker(), nil)
	if _, err := catalog.New(catalog.Options{DB: other, Emitter: emitter}).CreateProduct(context.Background(),
		catalog.NewProduct{Name: "Honeybush", Price: &price, Currency: "ZAR"}); err != nil {
		t.Fatal(err)
	}
	if after := list(); !strings.Contains(after, `"name":"Honeybush"`) || !strings.Contains(after, `"name":"Rooibos"`) {
		t.Fatalf("the list after another process's create does not show it: %s", after)
	}
}
