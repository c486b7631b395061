package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"smartbot/app"
	"smartbot/app/media/mediatest"
)

// walk follows next_cursor from path with pages of two and returns the ids
// it saw, in order.
func (ts *testServer) walk(path string) []string {
	ts.t.Helper()
	var ids []string
	cursor := ""
	for range 10 {
		p := path + "?limit=2"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		res, body := ts.do(req{method: "GET", path: p, key: ts.keys[app.RoleViewer]})
		if res.StatusCode != http.StatusOK {
			ts.t.Fatalf("GET %s: %d %s", p, res.StatusCode, body)
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			ts.t.Fatal(err)
		}
		for _, d := range page.Data {
			ids = append(ids, d.ID)
		}
		if page.NextCursor == nil {
			return ids
		}
		cursor = *page.NextCursor
	}
	ts.t.Fatalf("%s: still paging after 10 pages", path)
	return nil
}

func TestTheTemplatesAndMediaListsPageThroughTheirNextCursor(t *testing.T) {
	ts := newTestServer(t)
	for i := range 3 {
		body := fmt.Sprintf(`{"name": "note_%d", "kind": "text", "body": "Note %d"}`, i, i)
		if res, b := ts.do(req{method: "POST", path: "/api/templates", key: ts.keys[app.RoleOperator], body: body}); res.StatusCode != http.StatusCreated {
			t.Fatalf("create a template: %d %s", res.StatusCode, b)
		}
		ts.upload(ts.keys[app.RoleOperator], fmt.Sprintf("note-%d.pdf", i), mediatest.PDF(), nil)
	}
	for _, path := range []string{"/api/templates", "/api/media"} {
		ids := ts.walk(path)
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		if len(ids) != 3 || len(seen) != 3 {
			t.Errorf("%s: paging by twos gave %v; want the 3 items once each", path, ids)
		}
	}
}
