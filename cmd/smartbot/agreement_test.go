package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
	"smartbot/web"
)

// TestTheCLIAndTheAPIAcceptTheSameKeyNamesAndEmails puts each input to
// both, on one data directory, and requires the same verdict: they share
// one code path, the account service.
func TestTheCLIAndTheAPIAcceptTheSameKeyNamesAndEmails(t *testing.T) {
	dir := migrated(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir, NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accounts := account.New(account.Options{DB: db})
	owner, err := accounts.CreateUser(ctx, account.NewUser{Email: "owner@shop.example", Role: app.RoleOwner, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := accounts.CreateAPIKey(ctx, account.NewAPIKey{Name: "agreement", Role: app.RoleOwner, UserID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(web.New(web.Options{DB: db}))
	defer hs.Close()
	api := func(path string, body map[string]any) bool {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", hs.URL+path, strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("POST %s %s: %d", path, b, res.StatusCode)
		}
		return res.StatusCode == http.StatusCreated
	}

	for i, name := range []string{"-bad", "sync\x07", strings.Repeat("k", 101), strings.Repeat("é", 100), "pos terminal 2", " padded ", "", "a/b", "日本語"} {
		apiOK := api("/api/api-keys", map[string]any{"name": name, "role": "viewer"})
		code, _, stderr := runCLI(t, "apikey", "create", "--name", name, "--role", "viewer", "--data-dir", dir)
		if cliOK := code == 0; cliOK != apiOK {
			t.Errorf("key name %d %q: the API accepts it: %v, the CLI: %v (%s)", i, name, apiOK, cliOK, stderr)
		}
	}
	for i, email := range []string{"not-an-email", "Ann <ann@shop.example>", "UPPER@Shop.Example", "x@y", strings.Repeat("a", 250) + "@b.co", "ok@shop.example"} {
		apiEmail, cliEmail := email, email
		if strings.Contains(email, "@") && !strings.Contains(email, "<") {
			// One address cannot be added twice: each side gets its own.
			apiEmail, cliEmail = "api."+email, "cli."+email
		}
		apiOK := api("/api/users", map[string]any{"email": apiEmail, "role": "viewer", "password": "correct horse battery staple"})
		code, _, stderr := runCLIWithInput(t, "correct horse battery staple\n", "user", "create", "--email", cliEmail, "--role", "viewer", "--data-dir", dir)
		if cliOK := code == 0; cliOK != apiOK {
			t.Errorf("email %d %q: the API accepts it: %v, the CLI: %v (%s)", i, email, apiOK, cliOK, stderr)
		}
	}
}
