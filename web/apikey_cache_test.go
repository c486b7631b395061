package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
	"smartbot/store/storetest"
	"smartbot/web"
)

// cachedKeyServer is a server whose store and handlers run on a fake clock,
// with an owner, an operator and a key of the operator's.
type cachedKeyServer struct {
	clock    *storetest.Clock
	db       *store.DB
	srv      *web.Server
	accounts *account.Service
	owner    string // an owner's key
	ops      app.User
	key      account.CreatedKey // an operator key of ops
}

func newCachedKeyServer(t *testing.T, expires *time.Time) *cachedKeyServer {
	t.Helper()
	ctx := context.Background()
	c := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	accounts := account.New(account.Options{DB: db})
	ts := &cachedKeyServer{clock: c, db: db, accounts: accounts,
		srv: web.New(web.Options{DB: db, Accounts: accounts, Now: c.Now})}
	boss, err := accounts.CreateUser(ctx, account.NewUser{Email: "boss@shop.test", Role: app.RoleOwner, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	ownerKey, err := accounts.CreateAPIKey(ctx, account.NewAPIKey{Name: "boss", Role: app.RoleOwner, UserID: boss.ID})
	if err != nil {
		t.Fatal(err)
	}
	ts.owner = ownerKey.Secret
	if ts.ops, err = accounts.CreateUser(ctx, account.NewUser{Email: "ops@shop.test", Role: app.RoleOperator, Password: password}); err != nil {
		t.Fatal(err)
	}
	if ts.key, err = accounts.CreateAPIKey(ctx, account.NewAPIKey{Name: "sync", Role: app.RoleOperator, UserID: ts.ops.ID, ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *cachedKeyServer) do(method, path, key, body string) (int, string) {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	ts.srv.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// me is GET /api/me with the operator's key.
func (ts *cachedKeyServer) me(t *testing.T) (int, string) {
	t.Helper()
	code, body := ts.do("GET", "/api/me", ts.key.Secret, "")
	return code, body
}

func TestAKeyCachedOnOneRequestIsRefusedOnTheNextOnceRevokedDemotedOrRemoved(t *testing.T) {
	for _, c := range []struct {
		name, method, path, body string
		wantCode                 int
		wantBody                 string
	}{
		{"revoked", "DELETE", "/api/api-keys/{key}", "", http.StatusUnauthorized, "revoked"},
		{"its user demoted", "PATCH", "/api/users/{user}", `{"role":"viewer"}`, http.StatusOK, `"role":"viewer"`},
		{"its user removed", "DELETE", "/api/users/{user}", "", http.StatusUnauthorized, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newCachedKeyServer(t, nil)
			if code, body := ts.me(t); code != http.StatusOK || !strings.Contains(body, `"role":"operator"`) {
				t.Fatalf("before: %d %s", code, body)
			}
			path := strings.NewReplacer("{key}", ts.key.ID, "{user}", ts.ops.ID).Replace(c.path)
			if code, body := ts.do(c.method, path, ts.owner, c.body); code/100 != 2 {
				t.Fatalf("%s %s: %d %s", c.method, path, code, body)
			}
			// The clock has not moved: the cached copy is fresh, and still
			// must not be used.
			code, body := ts.me(t)
			if code != c.wantCode || !strings.Contains(body, c.wantBody) {
				t.Fatalf("next request: %d %s, want %d with %q", code, body, c.wantCode, c.wantBody)
			}
		})
	}
}

func TestAKeyExpiresOnTime(t *testing.T) {
	expires := time.Date(2026, 12, 1, 9, 0, 1, 0, time.UTC)
	ts := newCachedKeyServer(t, &expires)
	if code, body := ts.me(t); code != http.StatusOK {
		t.Fatalf("before expiry: %d %s", code, body)
	}
	ts.clock.Add(time.Second) // less than the cache's TTL
	if code, body := ts.me(t); code != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Fatalf("at expiry: %d %s, want 401 expired", code, body)
	}
}

func TestAKeyRevokedByAnotherProcessIsRefusedWithinTheCacheTTL(t *testing.T) {
	ts := newCachedKeyServer(t, nil)
	if code, body := ts.me(t); code != http.StatusOK {
		t.Fatalf("before: %d %s", code, body)
	}
	// The CLI: its own store and service on the same file, whose commits
	// clear only its own cache.
	cli, err := store.Open(context.Background(), store.Options{DataDir: ts.db.DataDir(), Now: ts.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := account.New(account.Options{DB: cli}).RevokeAPIKey(context.Background(), ts.key.ID); err != nil {
		t.Fatal(err)
	}
	ts.clock.Add(store.APIKeyCacheTTL - time.Millisecond)
	if code, _ := ts.me(t); code != http.StatusOK {
		t.Fatalf("within the TTL: %d; the test expects the cached copy in use until then", code)
	}
	ts.clock.Add(time.Millisecond)
	if code, body := ts.me(t); code != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
		t.Fatalf("at the TTL: %d %s, want 401 revoked", code, body)
	}
}
