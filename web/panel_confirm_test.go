package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

// insertDeadLetter stores a job that used all its attempts, as the runner would.
func insertDeadLetter(t *testing.T, ts *testServer, id, queue, errMsg string) {
	t.Helper()
	now := app.FormatTime(time.Now())
	if _, err := ts.db.W.Exec(`insert into queue_dead_letters (id, queue, body, attempts, error, enqueued_at, failed_at) values (?, ?, ?, 8, ?, ?, ?)`,
		id, queue, []byte(`{}`), errMsg, now, now); err != nil {
		t.Fatal(err)
	}
}

func TestDestructiveActionsAskOnAPageOfTheirOwnBeforeTheyHappen(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	ann := ts.addUser("ann@shop.example", app.RoleViewer)
	ts.addKey("till-sync", app.RoleViewer, ts.users[app.RoleOwner].ID)
	keys, err := ts.db.APIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	for _, k := range keys {
		if k.Name == "till-sync" {
			keyID = k.ID
		}
	}
	const deadID = "m_0123456789abcdef0123456789abcdef"
	insertDeadLetter(t, ts, deadID, "message_sending", "whatsapp refused the message")

	userGone := func() bool { _, err := ts.db.User(ctx, ann.ID); return app.ErrorCode(err) == app.ENOTFOUND }
	keyRevoked := func() bool {
		keys, _ := ts.db.APIKeys(ctx)
		for _, k := range keys {
			if k.ID == keyID {
				return k.RevokedAt != nil
			}
		}
		return false
	}
	deadGone := func() bool {
		var n int
		ts.db.R.QueryRow(`select count(*) from queue_dead_letters where id = ?`, deadID).Scan(&n)
		return n == 0
	}
	for _, tc := range []struct {
		name     string
		list     string // the page with the button
		button   string // the button's link
		want     []string
		cancel   string
		happened func() bool
	}{
		{"remove a user", "/users", "/users/" + ann.ID + "/delete",
			[]string{"<h1>Remove user ann@shop.example?</h1>", "will no longer be able to sign in", ">Remove user</button>"}, "/users", userGone},
		{"revoke a key", "/keys", "/keys/" + keyID + "/revoke",
			[]string{"<h1>Revoke API key till-sync?</h1>", "will be refused from now on", ">Revoke key</button>"}, "/keys", keyRevoked},
		{"discard a failed job", "/queues", "/queues/dead/" + deadID + "/discard",
			[]string{"<h1>Discard this failed job?</h1>", "Outgoing messages", "Whatsapp refused the message.", ">Discard job</button>"}, "/queues", deadGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, list := ts.do(req{method: "GET", path: tc.list, cookie: owner})
			if !strings.Contains(string(list), `href="`+tc.button+`"`) {
				t.Fatalf("%s has no link to %s", tc.list, tc.button)
			}
			res, body := ts.do(req{method: "GET", path: tc.button, cookie: owner})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d\n%.300s", tc.button, res.StatusCode, body)
			}
			for _, want := range append(tc.want, `<form method="post" action="`+tc.button+`"`, `href="`+tc.cancel+`" id="cancel">Cancel</a>`) {
				if !strings.Contains(string(body), want) {
					t.Errorf("the confirmation page lacks %s", want)
				}
			}
			if tc.happened() {
				t.Fatal("opening the confirmation page already did it")
			}
			res, body = postForm(ts, tc.button, owner, nil)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.cancel {
				t.Fatalf("POST %s: %d to %q\n%.300s", tc.button, res.StatusCode, res.Header.Get("Location"), body)
			}
			if !tc.happened() {
				t.Error("confirming did not do it")
			}
		})
	}
}

func TestAConfirmationPageForSomethingGoneIsNotFound(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	for _, path := range []string{
		"/users/" + app.NewID(app.PrefixUser) + "/delete",
		"/keys/" + app.NewID(app.PrefixAPIKey) + "/revoke",
		"/queues/dead/m_0123456789abcdef0123456789abcdef/discard",
	} {
		if res, body := ts.do(req{method: "GET", path: path, cookie: owner}); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404\n%.300s", path, res.StatusCode, body)
		}
	}
}
