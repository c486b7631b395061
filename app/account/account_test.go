package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
	"smartbot/store/storetest"
)

const pw = "correct horse battery staple"

func newService(t *testing.T) (*account.Service, *store.DB) {
	db := storetest.New(t)
	return account.New(account.Options{DB: db}), db
}

func TestInvalidInputIsRefusedWithEveryFieldAndChangesNothing(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		in     account.NewUser
		fields []string
	}{
		{"a NUL in the name", account.NewUser{Email: "a@shop.test", Name: "Ta\x00riro", Role: app.RoleOwner, Password: pw}, []string{"name"}},
		{"a line break in the name", account.NewUser{Email: "a@shop.test", Name: "Ta\nriro", Role: app.RoleOwner, Password: pw}, []string{"name"}},
		{"an escape in the password", account.NewUser{Email: "a@shop.test", Role: app.RoleOwner, Password: pw + "\x1b"}, []string{"password"}},
		{"everything wrong", account.NewUser{Email: "not an email", Name: strings.Repeat("n", 201), Role: "admin", Password: "short"}, []string{"email", "name", "role", "password"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, c.in)
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Code != app.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			var got []string
			for _, f := range ae.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
			if n := storetest.Count(t, db, `select count(*) from users`); n != 0 {
				t.Errorf("%d users stored", n)
			}
		})
	}
}

func TestATakenEmailIsAConflictThatNamesNoTable(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, account.NewUser{Email: "a@shop.test", Role: app.RoleOwner, Password: pw}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateUser(ctx, account.NewUser{Email: "A@Shop.test ", Role: app.RoleViewer, Password: pw})
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("err = %v, want ECONFLICT", err)
	}
	if msg := app.ErrorMessage(err); strings.Contains(msg, "users.") || strings.Contains(msg, "constraint") {
		t.Errorf("the message shows SQL: %q", msg)
	}
}

func TestWritesInTheCallersTransactionRollBackTogether(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	boom := errors.New("a later step failed")
	err := db.Write(ctx, func(tx *store.Tx) error {
		u, err := s.CreateUserTx(ctx, tx, account.NewUser{Email: "a@shop.test", Role: app.RoleOwner, Password: pw})
		if err != nil {
			return err
		}
		if _, err := s.CreateAPIKeyTx(ctx, tx, account.NewAPIKey{Name: "sync", Role: app.RoleOwner, UserID: u.ID}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if n := storetest.Count(t, db, `select (select count(*) from users) + (select count(*) from api_keys) + (select count(*) from audit_logs)`); n != 0 {
		t.Errorf("%d rows survived the rollback", n)
	}
}

func TestAKeyCannotBeMadeAboveItsMakersRole(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	op, err := s.CreateUser(ctx, account.NewUser{Email: "op@shop.test", Role: app.RoleOperator, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "escalate", Role: app.RoleOwner, UserID: op.ID}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("an operator made an owner key: %v", err)
	}
	if _, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "fine", Role: app.RoleOperator, UserID: op.ID}); err != nil {
		t.Errorf("an operator key for an operator: %v", err)
	}
}

func TestKeyNamesFollowOneRule(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	for _, bad := range []account.NewAPIKey{
		{Name: "-starts-with-a-dash", Role: app.RoleViewer},
		{Name: "", Role: app.RoleViewer},
		{Name: strings.Repeat("k", 101), Role: app.RoleViewer},
		{Name: "tab\there", Role: app.RoleViewer},
		{Name: "ok", Role: "root"},
		{Name: "ok", Role: app.RoleViewer, ExpiresAt: &past},
	} {
		if _, err := s.CreateAPIKey(ctx, bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", bad, err)
		}
	}
	k, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: " accounting-sync 2.0 ", Role: app.RoleViewer})
	if err != nil || k.Name != "accounting-sync 2.0" || !strings.HasPrefix(k.Secret, "sb_") {
		t.Errorf("a good key: %+v %v", k, err)
	}
}

func TestTheSetupLinkIsReusedUntilItIsUsed(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	first, expires, err := s.SetupLink(ctx)
	if err != nil || first == "" || time.Until(expires) < 23*time.Hour {
		t.Fatalf("first link: %q %v %v", first, expires, err)
	}
	again, _, err := s.SetupLink(ctx)
	if err != nil || again != first {
		t.Fatalf("second call made another link: %q vs %q (%v)", again, first, err)
	}
	if _, err := s.Setup(ctx, first, account.NewUser{Email: "owner@shop.test", Password: pw, Role: app.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.SetupValid(ctx, first); ok {
		t.Error("the used link still works")
	}
	if after, _, err := s.SetupLink(ctx); err != nil || after != "" {
		t.Errorf("a link after the owner exists: %q %v", after, err)
	}
}

func TestSetupMakesAnOwnerWhateverRoleIsAsked(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	token, _, err := s.SetupLink(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Setup(ctx, token, account.NewUser{Email: "owner@shop.test", Password: pw, Role: app.RoleViewer})
	if err != nil || u.Role != app.RoleOwner {
		t.Fatalf("setup: %+v %v", u, err)
	}
	if _, err := s.Setup(ctx, token, account.NewUser{Email: "second@shop.test", Password: pw}); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("a second setup: %v", err)
	}
}

func TestSetupRecordsTheShopsTimezoneWithTheOwnerOrNeither(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	token, _, err := s.SetupLink(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SetupShop(ctx, token, account.NewUser{Email: "owner@shop.test", Password: "short"}, "Mars/Olympus")
	var ae *app.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 2 {
		t.Fatalf("a bad password and zone: %v, want both fields", err)
	}
	if n := storetest.Count(t, db, `select (select count(*) from users) + (select count(*) from settings)`); n != 0 {
		t.Fatalf("%d rows after a refused setup", n)
	}
	if _, err := s.SetupShop(ctx, token, account.NewUser{Email: "owner@shop.test", Password: pw}, "Africa/Harare"); err != nil {
		t.Fatal(err)
	}
	var zone string
	if err := db.Setting(ctx, app.SettingTimezone, &zone); err != nil || zone != "Africa/Harare" {
		t.Errorf("zone %q %v", zone, err)
	}
}
