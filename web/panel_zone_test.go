package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
)

func TestThePanelShowsTimesAndCountsTodayInTheShopsTimezone(t *testing.T) {
	// 23:30 UTC on 1 December is 01:30 on 2 December in Harare (UTC+2).
	now := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	clock := now
	ts := newTestServerAt(t, func() time.Time { return clock })
	owner := ts.addUser("owner@shop.test", app.RoleOwner)
	cookie := ts.session(owner, time.Until(now)+time.Hour) // valid at the fake now
	emit := func(at time.Time, name string) {
		clock = at
		err := ts.db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := ts.emitter.Emit(context.Background(), tx, app.ProductUpdatedData{ProductID: app.NewID(app.PrefixProduct), Name: name, Currency: "USD", Change: "created"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	emit(now.Add(-2*time.Hour), "Yesterday's tea") // 21:30 UTC: 23:30 on the 1st in Harare
	emit(now.Add(-1*time.Hour), "Today's tea")     // 22:30 UTC: 00:30 on the 2nd in Harare
	clock = now

	todayCount := regexp.MustCompile(`(?s)id="counter-events-today".*?(\d+)`)
	dashboard := func() string {
		res, body := ts.do(req{method: "GET", path: "/", cookie: cookie})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("dashboard: %d", res.StatusCode)
		}
		return string(body)
	}
	page := dashboard()
	if m := todayCount.FindStringSubmatch(page); m == nil || m[1] != "2" {
		t.Fatalf("in UTC both events are today: %v", m)
	}

	res, body := ts.do(req{method: "POST", path: "/settings", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: "timezone=Africa%2FHarare"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set the timezone: %d %s", res.StatusCode, body)
	}
	page = dashboard()
	if m := todayCount.FindStringSubmatch(page); m == nil || m[1] != "1" {
		t.Errorf("in Harare only one event is today: %v", m)
	}
	if !strings.Contains(page, "2026-12-02 00:30") || !strings.Contains(page, "2026-12-01 23:30") {
		t.Errorf("the feed's times are not Harare's")
	}
	if !strings.Contains(page, "Times are in Africa/Harare.") {
		t.Errorf("the page does not name its timezone")
	}
	// The API keeps UTC.
	_, api := ts.do(req{method: "GET", path: "/api/events?limit=1", key: ts.addKey("k", app.RoleViewer, owner.ID)})
	if !strings.Contains(string(api), `"timestamp":"2026-12-01T22:30:00.000Z"`) {
		t.Errorf("the API's time is not UTC: %s", api)
	}

	res, body = ts.do(req{method: "POST", path: "/settings", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: "timezone=Mars%2FOlympus"})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Africa/Harare or Europe/London") {
		t.Errorf("a bad timezone: %d", res.StatusCode)
	}
}

func TestTheOwnerSetsTheShopsCurrencyBesideItsTimezone(t *testing.T) {
	ts := newTestServer(t)
	cookie := ts.session(ts.users[app.RoleOwner], time.Hour)
	post := func(body string) (*http.Response, []byte) {
		return ts.do(req{method: "POST", path: "/settings", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: body})
	}
	if res, body := post("timezone=Africa%2FHarare&currency=rand"); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(string(body), "three-letter currency code") || !strings.Contains(string(body), `value="rand"`) {
		t.Fatalf("a currency that is not a code: %d\n%.600s", res.StatusCode, body)
	}
	if res, body := post("timezone=Africa%2FHarare&currency=zar"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving ZAR: %d\n%.600s", res.StatusCode, body)
	}
	if res, body := post("timezone=Africa%2FHarare&currency="); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving with the currency left empty: %d\n%.600s", res.StatusCode, body)
	}
	_, body := ts.do(req{method: "GET", path: "/settings", cookie: cookie})
	if !strings.Contains(string(body), `id="currency" name="currency" type="text" value="ZAR"`) {
		t.Errorf("the settings page does not show ZAR, kept when the field was left empty:\n%.2000s", body)
	}

	// How messages write numbers and dates.
	if res, body := post("timezone=Africa%2FHarare&locale=xx"); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "en, en-US, de, fr") {
		t.Fatalf("an unknown locale: %d\n%.600s", res.StatusCode, body)
	}
	if res, body := post("timezone=Africa%2FHarare&locale=de"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving de: %d\n%.600s", res.StatusCode, body)
	}
	_, body = ts.do(req{method: "GET", path: "/settings", cookie: cookie})
	if !strings.Contains(string(body), `<option value="de" selected>`) {
		t.Errorf("the settings page does not show de chosen:\n%.3000s", body)
	}
	res, b := ts.do(req{method: http.MethodPost, path: "/api/templates/preview", key: ts.keys[app.RoleViewer],
		body: `{"template": {"name": "total", "kind": "text", "body": "Total {{total}}", "variables": [{"name": "total", "type": "money", "example": 123450}]}}`})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "Total ZAR 1.234,50") {
		t.Errorf("a preview in the shop's currency and locale: %d %s", res.StatusCode, b)
	}
}
