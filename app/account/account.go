// Package account holds the use cases of the shop's accounts: users, their
// passwords and sessions, API keys and the first-run setup. The API, the
// panel and the CLI all call this Service, so they accept and refuse the
// same input.
//
// Every write comes in two forms: X(ctx, …) opens its own transaction, and
// XTx(ctx, tx, …) joins the caller's, for callers that compose several
// writes in one transaction (an idempotent request, first-run setup).
package account

import (
	"context"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/app/settings"
	"smartbot/store"
)

// Session lifetimes: a shop owner on a phone should not sign in every day,
// but a lost phone's session must end. Idle: 3 days; absolute: 30 days.
const (
	SessionIdle     = 72 * time.Hour
	SessionAbsolute = 30 * 24 * time.Hour
	// SetupLinkLife is how long a first-run setup link works.
	SetupLinkLife = 24 * time.Hour
)

// Options configure New. DB is required.
type Options struct {
	DB *store.DB
	// Now is the clock; nil means the store's.
	Now func() time.Time
	// Settings records the shop's timezone chosen at setup; nil makes one
	// on DB.
	Settings *settings.Service
}

// Service runs the account use cases.
type Service struct {
	db       *store.DB
	now      func() time.Time
	settings *settings.Service
}

// New returns the accounts service.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = opts.DB.Now
	}
	if opts.Settings == nil {
		opts.Settings = settings.New(settings.Options{DB: opts.DB})
	}
	return &Service{db: opts.DB, now: opts.Now, settings: opts.Settings}
}

// NewUser is what it takes to add a user.
type NewUser struct {
	Email    string
	Name     string
	Role     app.Role
	Password string
}

// prepareUser validates in and hashes its password: the slow part, done
// before any transaction when the caller lets it.
func (s *Service) prepareUser(in NewUser) (app.User, error) {
	email, name := app.NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	errs := app.ValidateUser(email, name, in.Role)
	errs = append(errs, app.ValidatePassword("password", in.Password)...)
	if len(errs) > 0 {
		return app.User{}, app.Invalid(errs...)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return app.User{}, err
	}
	return app.User{ID: app.NewID(app.PrefixUser), Email: email, Name: name, Role: in.Role, PasswordHash: hash}, nil
}

// CreateUser adds a user. A taken email is ECONFLICT.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (app.User, error) {
	u, err := s.prepareUser(in)
	if err != nil {
		return u, err
	}
	return u, s.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, &u) })
}

// CreateUserTx is CreateUser inside tx.
func (s *Service) CreateUserTx(ctx context.Context, tx *store.Tx, in NewUser) (app.User, error) {
	u, err := s.prepareUser(in)
	if err != nil {
		return u, err
	}
	return u, tx.CreateUser(ctx, &u)
}

// UserChange is an update of a user: nil fields stay as they are.
type UserChange struct {
	Name *string
	Role *app.Role
}

// UpdateUser changes a user's name or role. Demoting the last owner is
// ECONFLICT. The change takes effect on the user's (and their keys') next
// request.
func (s *Service) UpdateUser(ctx context.Context, id string, c UserChange) (u app.User, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		u, err = s.UpdateUserTx(ctx, tx, id, c)
		return err
	})
	return u, err
}

// UpdateUserTx is UpdateUser inside tx.
func (s *Service) UpdateUserTx(ctx context.Context, tx *store.Tx, id string, c UserChange) (app.User, error) {
	before, err := tx.User(ctx, id)
	if err != nil {
		return before, err
	}
	name, role := before.Name, before.Role
	if c.Name != nil {
		name = strings.TrimSpace(*c.Name)
	}
	if c.Role != nil {
		role = *c.Role
	}
	if errs := app.ValidateUser(before.Email, name, role); len(errs) > 0 {
		return before, app.Invalid(errs...)
	}
	forgetKeys(tx)
	return tx.UpdateUser(ctx, id, name, role)
}

// forgetKeys clears the verified API key cache once tx commits: each key
// carries its user's role and email, so a change to a user or a key takes
// effect on the very next request.
func forgetKeys(tx *store.Tx) { tx.OnCommit(tx.DB().ForgetAPIKeys) }

// DeleteUser removes a user with their sessions and API keys. Removing the
// last owner is ECONFLICT.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.DeleteUserTx(ctx, tx, id) })
}

// DeleteUserTx is DeleteUser inside tx.
func (s *Service) DeleteUserTx(ctx context.Context, tx *store.Tx, id string) error {
	forgetKeys(tx)
	return tx.DeleteUser(ctx, id)
}

func hashNewPassword(field, pw string) (string, error) {
	if errs := app.ValidatePassword(field, pw); errs != nil {
		return "", app.Invalid(errs...)
	}
	return auth.HashPassword(pw)
}

// SetPassword gives a user a new password (an owner's reset, or the CLI's)
// and signs them out everywhere.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	hash, err := hashNewPassword("password", password)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		forgetKeys(tx)
		return tx.SetPassword(ctx, id, hash)
	})
}

// SetPasswordTx is SetPassword inside tx.
func (s *Service) SetPasswordTx(ctx context.Context, tx *store.Tx, id, password string) error {
	hash, err := hashNewPassword("password", password)
	if err != nil {
		return err
	}
	forgetKeys(tx)
	return tx.SetPassword(ctx, id, hash)
}

// ChangePassword is a signed-in user replacing their own password: current
// must be right. It signs them out everywhere.
func (s *Service) ChangePassword(ctx context.Context, u app.User, current, next string) error {
	hash, err := s.checkChange(u, current, next)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		forgetKeys(tx)
		return tx.SetPassword(ctx, u.ID, hash)
	})
}

// ChangePasswordTx is ChangePassword inside tx.
func (s *Service) ChangePasswordTx(ctx context.Context, tx *store.Tx, u app.User, current, next string) error {
	hash, err := s.checkChange(u, current, next)
	if err != nil {
		return err
	}
	forgetKeys(tx)
	return tx.SetPassword(ctx, u.ID, hash)
}

func (s *Service) checkChange(u app.User, current, next string) (string, error) {
	if !auth.CheckPassword(current, u.PasswordHash) {
		return "", app.Invalid(app.FieldError{Field: "current_password", Message: "is not your current password"})
	}
	return hashNewPassword("new_password", next)
}

// SignOutEverywhere ends every session of a user and says how many ended.
// keep, when set, is a session to start again at once: the browser that
// asked stays signed in.
func (s *Service) SignOutEverywhere(ctx context.Context, userID string, keep *SessionStart) (n int64, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		n, err = s.SignOutEverywhereTx(ctx, tx, userID, keep)
		return err
	})
	return n, err
}

// SignOutEverywhereTx is SignOutEverywhere inside tx.
func (s *Service) SignOutEverywhereTx(ctx context.Context, tx *store.Tx, userID string, keep *SessionStart) (int64, error) {
	n, err := tx.DeleteUserSessions(ctx, userID)
	if err != nil || keep == nil {
		return n, err
	}
	return n, tx.CreateSession(ctx, keep.Session, keep.RemoteAddr, keep.UserAgent)
}

// NewAPIKey is what it takes to make an API key. UserID is who makes it
// ("" from the CLI); the key can never act above that user's role.
type NewAPIKey struct {
	Name      string
	Role      app.Role
	ExpiresAt *time.Time
	UserID    string
}

// CreatedKey is a new key and its secret, which is shown this once.
type CreatedKey struct {
	app.APIKey
	Secret string
}

func (s *Service) prepareKey(in NewAPIKey) (app.APIKey, string, error) {
	name := strings.TrimSpace(in.Name)
	if errs := app.ValidateAPIKey(name, in.Role, in.ExpiresAt, s.now()); len(errs) > 0 {
		return app.APIKey{}, "", app.Invalid(errs...)
	}
	secret, prefix := auth.NewAPIKey()
	k := app.APIKey{ID: app.NewID(app.PrefixAPIKey), UserID: in.UserID, Name: name, Prefix: prefix, Role: in.Role}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		k.ExpiresAt = &t
	}
	return k, secret, nil
}

// CreateAPIKey makes a key.
func (s *Service) CreateAPIKey(ctx context.Context, in NewAPIKey) (k CreatedKey, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		k, err = s.CreateAPIKeyTx(ctx, tx, in)
		return err
	})
	return k, err
}

// CreateAPIKeyTx is CreateAPIKey inside tx.
func (s *Service) CreateAPIKeyTx(ctx context.Context, tx *store.Tx, in NewAPIKey) (CreatedKey, error) {
	k, secret, err := s.prepareKey(in)
	if err != nil {
		return CreatedKey{}, err
	}
	if in.UserID != "" {
		u, err := tx.User(ctx, in.UserID)
		if err != nil {
			return CreatedKey{}, err
		}
		if !u.Role.Allows(in.Role) {
			return CreatedKey{}, app.Invalid(app.FieldError{Field: "role", Message: "cannot be above your own role (" + string(u.Role) + ")"})
		}
	}
	if err := tx.CreateAPIKey(ctx, &k, auth.HashToken(secret)); err != nil {
		return CreatedKey{}, err
	}
	return CreatedKey{APIKey: k, Secret: secret}, nil
}

// RevokeAPIKey stops a key working. Revoking a revoked key changes nothing.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.RevokeAPIKeyTx(ctx, tx, id) })
}

// RevokeAPIKeyTx is RevokeAPIKey inside tx.
func (s *Service) RevokeAPIKeyTx(ctx context.Context, tx *store.Tx, id string) error {
	forgetKeys(tx)
	_, err := tx.RevokeAPIKey(ctx, id)
	return err
}

// TouchAPIKey records that a key was used at.
func (s *Service) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return tx.TouchAPIKey(ctx, id, at) })
}
