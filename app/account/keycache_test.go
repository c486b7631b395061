package account_test

import (
	"context"
	"testing"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/auth"
	"smartbot/store"
)

// Every change to a key or to its user clears the store's verified key
// cache when it commits, whichever form (own transaction or the caller's)
// made it. Each case first revokes the key behind the cache's back (straight
// through the store, which clears nothing), so the next lookup shows whether
// the change cleared the cache: it sees the revocation only if it did.
func TestEveryChangeToAKeyOrItsUserClearsTheKeyCacheOnCommit(t *testing.T) {
	ctx := context.Background()
	role := app.RoleViewer
	name := "Renamed"
	for _, c := range []struct {
		name   string
		change func(s *account.Service, db *store.DB, u app.User) error
		gone   bool // the change removes the key itself
	}{
		{"DeleteUser", func(s *account.Service, _ *store.DB, u app.User) error {
			return s.DeleteUser(ctx, u.ID)
		}, true},
		{"DeleteUserTx", func(s *account.Service, db *store.DB, u app.User) error {
			return db.Write(ctx, func(tx *store.Tx) error { return s.DeleteUserTx(ctx, tx, u.ID) })
		}, true},
		{"UpdateUser", func(s *account.Service, _ *store.DB, u app.User) error {
			_, err := s.UpdateUser(ctx, u.ID, account.UserChange{Role: &role})
			return err
		}, false},
		{"UpdateUserTx", func(s *account.Service, db *store.DB, u app.User) error {
			return db.Write(ctx, func(tx *store.Tx) error {
				_, err := s.UpdateUserTx(ctx, tx, u.ID, account.UserChange{Name: &name})
				return err
			})
		}, false},
		{"SetPassword", func(s *account.Service, _ *store.DB, u app.User) error {
			return s.SetPassword(ctx, u.ID, pw+" again")
		}, false},
		{"SetPasswordTx", func(s *account.Service, db *store.DB, u app.User) error {
			return db.Write(ctx, func(tx *store.Tx) error { return s.SetPasswordTx(ctx, tx, u.ID, pw+" again") })
		}, false},
		{"ChangePassword", func(s *account.Service, _ *store.DB, u app.User) error {
			return s.ChangePassword(ctx, u, pw, pw+" again")
		}, false},
		{"ChangePasswordTx", func(s *account.Service, db *store.DB, u app.User) error {
			return db.Write(ctx, func(tx *store.Tx) error { return s.ChangePasswordTx(ctx, tx, u, pw, pw+" again") })
		}, false},
		{"RevokeAPIKey of another key", func(s *account.Service, db *store.DB, u app.User) error {
			other, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "other", Role: app.RoleViewer})
			if err != nil {
				return err
			}
			return s.RevokeAPIKey(ctx, other.ID)
		}, false},
		{"RevokeAPIKeyTx of another key", func(s *account.Service, db *store.DB, u app.User) error {
			other, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "other", Role: app.RoleViewer})
			if err != nil {
				return err
			}
			return db.Write(ctx, func(tx *store.Tx) error { return s.RevokeAPIKeyTx(ctx, tx, other.ID) })
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, db := newService(t)
			// An owner besides u, so that u may be demoted.
			if _, err := s.CreateUser(ctx, account.NewUser{Email: "boss@shop.test", Role: app.RoleOwner, Password: pw}); err != nil {
				t.Fatal(err)
			}
			u, err := s.CreateUser(ctx, account.NewUser{Email: "ops@shop.test", Role: app.RoleOperator, Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			k, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "sync", Role: app.RoleOperator, UserID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			hash := auth.HashToken(k.Secret)
			if _, err := db.CachedAPIKey(ctx, hash); err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RevokeAPIKey(ctx, k.ID); return err }); err != nil {
				t.Fatal(err)
			}
			if row, _ := db.CachedAPIKey(ctx, hash); row.RevokedAt != nil {
				t.Fatal("the key was read again unasked: the test cannot tell whether the change cleared the cache")
			}
			if err := c.change(s, db, u); err != nil {
				t.Fatal(err)
			}
			row, err := db.CachedAPIKey(ctx, hash)
			if c.gone {
				if app.ErrorCode(err) != app.EUNAUTHORIZED {
					t.Fatalf("after %s the removed key is still found: %+v, %v", c.name, row.APIKey, err)
				}
				return
			}
			if err != nil || row.RevokedAt == nil {
				t.Fatalf("after %s the cached key is still used: %+v, %v", c.name, row.APIKey, err)
			}
		})
	}
}

func TestAChangeThatRollsBackLeavesTheKeyCacheAlone(t *testing.T) {
	ctx := context.Background()
	s, db := newService(t)
	k, err := s.CreateAPIKey(ctx, account.NewAPIKey{Name: "sync", Role: app.RoleOperator})
	if err != nil {
		t.Fatal(err)
	}
	hash := auth.HashToken(k.Secret)
	if _, err := db.CachedAPIKey(ctx, hash); err != nil {
		t.Fatal(err)
	}
	// Revoking an unknown key fails, so its transaction rolls back.
	if err := s.RevokeAPIKey(ctx, app.NewID(app.PrefixAPIKey)); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("revoke unknown: %v", err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RevokeAPIKey(ctx, k.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if row, _ := db.CachedAPIKey(ctx, hash); row.RevokedAt != nil {
		t.Fatal("a rolled-back change cleared the cache")
	}
}
