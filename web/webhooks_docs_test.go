package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/web"
)

// docExamples returns the example payload of each event type in the
// "Event types" part of docs/webhooks.md: the first ```json block under
// each "### <type>" heading.
func docExamples(t *testing.T) map[string][]byte {
	t.Helper()
	md, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	_, types, ok := strings.Cut(string(md), "\n## Event types\n")
	if !ok {
		t.Fatal(`docs/webhooks.md has no "## Event types" part`)
	}
	types, _, _ = strings.Cut(types, "\n## ")
	fence := regexp.MustCompile("(?s)```json\n(.*?)```")
	out := map[string][]byte{}
	for _, section := range strings.Split(types, "\n### ")[1:] {
		name, body, _ := strings.Cut(section, "\n")
		if m := fence.FindStringSubmatch(body); m != nil {
			out[strings.TrimSpace(name)] = []byte(m[1])
		}
	}
	return out
}

// webhookSchemas returns the OpenAPI document's schema of each webhook's
// payload and of its data, by event type.
func webhookSchemas(t *testing.T) (payload, data map[string]*openapi3.Schema) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	payload, data = map[string]*openapi3.Schema{}, map[string]*openapi3.Schema{}
	for name, item := range doc.Webhooks {
		if item.Post == nil || item.Post.RequestBody == nil {
			t.Fatalf("webhook %s has no POST with a body", name)
		}
		s := item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		payload[name] = s
		for _, part := range s.AllOf {
			if d := part.Value.Properties["data"]; d != nil {
				data[name] = d.Value
			}
		}
	}
	return payload, data
}

// shape is the JSON type of v, and for an object its members' shapes; an
// array's shape is that of its first element.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(v) == 0 {
			return "array"
		}
		return []any{shape(v[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// shapeDiff lists where got's shape differs from want's, under path.
func shapeDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s is %v in the doc, %v emitted", path, want, got)}
		}
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s is in the doc but not emitted", path, k))
				continue
			}
			diffs = append(diffs, shapeDiff(path+"."+k, w[k], g[k])...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s is emitted but not in the doc", path, k))
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s is an array in the doc, %v emitted", path, got)}
		}
		return shapeDiff(path+"[0]", w[0], g[0])
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return []string{fmt.Sprintf("%s is %v in the doc, %v emitted", path, want, got)}
	}
	return nil
}

// emitEveryEventType drives the real services so that each event type is
// emitted, and returns the ping a loopback endpoint received.
func emitEveryEventType(ts *testServer) (ping []byte) {
	t := ts.t
	t.Helper()
	op, owner := ts.keys[app.RoleOperator], ts.keys[app.RoleOwner]
	// The order notices would send template messages too: message_sent
	// is to be the test's own reply only.
	ts.runner.Pause(queue.OrderProcessing)
	ok := func(status int, r req) []byte {
		t.Helper()
		res, body := ts.do(r)
		if res.StatusCode != status {
			t.Fatalf("%s %s: %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, status, body)
		}
		return body
	}

	ts.connect() // bot_connected
	const phone = "+263771234567"
	cus := ts.testCustomer(phone, "Tariro")
	ok(http.StatusCreated, req{method: "POST", path: "/api/simulator/messages", key: op, body: `{"from":"` + phone + `","text":"Hi, is the bread fresh?"}`})
	res, body := ts.do(req{method: "POST", path: "/api/messages", key: op, body: `{"customer_id":"` + cus + `","text":"Baked this morning!"}`})
	sent := decodeAs[messageJSON](t, res, body, http.StatusCreated)
	// Read is where it ends (the simulator delivers, then reads); sent
	// may pass too fast to be seen, and message_sent was emitted by then.
	ts.waitStatus(sent.ID, "read")

	var product struct{ ID string }
	json.Unmarshal(ok(http.StatusCreated, req{method: "POST", path: "/api/products", key: op,
		body: `{"name":"Bread","sku":"BRD-1","price":625,"currency":"USD","stock":40}`}), &product)
	ok(http.StatusOK, req{method: "PATCH", path: "/api/products/" + product.ID, key: op, body: `{"price":650}`})

	o := ts.placeOrder(`{"customer":{"phone":"` + phone + `","name":"Tariro"},"items":[{"product_id":"` + product.ID + `","quantity":2}],` +
		`"fulfilment":"delivery","delivery_address":"12 Baines Ave, Harare"}`)
	for _, status := range []string{app.OrderConfirmed, app.OrderPreparing, app.OrderReady} {
		if code, body := ts.moveOrder(o.ID, status); code != http.StatusOK {
			t.Fatalf("move the order to %s: %d %s", status, code, body)
		}
	}
	ok(http.StatusCreated, req{method: "POST", path: "/api/orders/" + o.ID + "/payments", key: op,
		body: `{"amount":1300,"currency":"USD","method":"mobile_money","provider":"ecocash","reference":"MP260101.1020.A12345","paid_at":"2026-01-01T10:19:41Z"}`})
	task := decodeTask(t, ok(http.StatusCreated, req{method: "POST", path: "/api/orders/" + o.ID + "/delivery", key: op,
		body: `{"assignee":{"name":"Farai","phone":"+263772000111"}}`}))
	for _, status := range []string{app.DeliveryInTransit, app.DeliveryDone} {
		ok(http.StatusOK, req{method: "POST", path: "/api/deliveries/" + task.ID + "/status", key: op, body: `{"status":"` + status + `"}`})
	}
	ok(http.StatusOK, req{method: "POST", path: "/api/simulator/faults", key: op, body: `{"kind":"disconnect","for":"10m","reason":"the router is off"}`})

	if err := ts.webhooks.SetAllowPrivate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	url, got := hookReceiver(t)
	var hook struct{ ID string }
	json.Unmarshal(ok(http.StatusCreated, req{method: "POST", path: "/api/webhooks", key: owner, body: fmt.Sprintf(`{"url":%q}`, url)}), &hook)
	ok(http.StatusOK, req{method: "POST", path: "/api/webhooks/" + hook.ID + "/test", key: op})
	return waitDelivery(t, got).body
}

// Every event type has an example in docs/webhooks.md that is a payload
// whose data the OpenAPI document accepts, shaped like an event the system
// really emits: the same keys, with values of the same JSON types.
func TestTheDocsWebhookExamplesMatchTheSchemaAndTheEmittedEvents(t *testing.T) {
	ts := newTestServer(t)
	ping := emitEveryEventType(ts)

	res, body := ts.do(req{method: "GET", path: "/api/events?limit=200", key: ts.keys[app.RoleViewer]})
	history := decodeAs[struct {
		Data []map[string]any `json:"data"`
	}](t, res, body, http.StatusOK)
	emitted := map[string][]map[string]any{}
	for _, e := range history.Data {
		delete(e, "seq") // the history's own, not the payload's
		emitted[e["type"].(string)] = append(emitted[e["type"].(string)], e)
	}
	var p map[string]any
	if err := json.Unmarshal(ping, &p); err != nil {
		t.Fatalf("the ping delivered is not JSON: %s", ping)
	}
	emitted["ping"] = []map[string]any{p}

	examples := docExamples(t)
	payloads, datas := webhookSchemas(t)
	types := []string{"ping"}
	for _, typ := range app.EventTypes {
		types = append(types, string(typ))
	}
	for _, typ := range types {
		t.Run(typ, func(t *testing.T) {
			raw, ok := examples[typ]
			if !ok {
				t.Fatalf("docs/webhooks.md has no example of %s", typ)
			}
			var example map[string]any
			if err := json.Unmarshal(raw, &example); err != nil {
				t.Fatalf("the example is not JSON: %v\n%s", err, raw)
			}
			if keys := slices.Sorted(maps.Keys(example)); !slices.Equal(keys, []string{"data", "id", "timestamp", "type"}) {
				t.Errorf("the example has the keys %v, want data, id, timestamp, type", keys)
			}
			if example["type"] != typ {
				t.Errorf("the example's type is %v", example["type"])
			}
			if id, _ := example["id"].(string); !strings.HasPrefix(id, app.PrefixEvent) {
				t.Errorf("the example's id %q is not an event id", id)
			}
			if _, ok := example["data"].(map[string]any); !ok {
				t.Fatalf("the example's data is not an object: %v", example["data"])
			}
			if typ != "ping" {
				if payloads[typ] == nil || datas[typ] == nil {
					t.Fatalf("the OpenAPI document has no webhook %s with a data schema", typ)
				}
				if err := payloads[typ].VisitJSON(example); err != nil {
					t.Errorf("the OpenAPI document refuses the example: %v", err)
				}
				if err := datas[typ].VisitJSON(example["data"]); err != nil {
					t.Errorf("the OpenAPI document refuses the example's data: %v", err)
				}
			}
			real := emitted[typ]
			if len(real) == 0 {
				t.Fatalf("the test emitted no %s event to compare with", typ)
			}
			// The example is shaped exactly like one emitted event; the
			// others may leave out a key the example has (the optional
			// ones: changed, reply_id, template_id), but have no other.
			var closest []string
			for i, e := range real {
				diffs := shapeDiff("payload", shape(example), shape(e))
				if i == 0 || len(diffs) < len(closest) {
					closest = diffs
				}
				for _, d := range diffs {
					if !strings.HasSuffix(d, "is in the doc but not emitted") {
						t.Errorf("event %s: %s", e["id"], d)
					}
				}
			}
			for _, d := range closest {
				t.Errorf("no emitted %s event is shaped like the example, the closest: %s", typ, d)
			}
		})
	}
}
