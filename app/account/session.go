package account

import (
	"context"
	"errors"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/store"
)

// SessionStart is a session about to be stored, with where it came from.
type SessionStart struct {
	Session    app.Session
	RemoteAddr string
	UserAgent  string
}

// StartSession signs u in: it stores a new session, records the sign-in,
// and returns the cookie's token, which is kept only as a hash.
func (s *Service) StartSession(ctx context.Context, u app.User, remoteAddr, userAgent string) (string, app.Session, error) {
	token := auth.NewToken(auth.SessionPrefix)
	now := s.now().UTC().Truncate(time.Millisecond)
	sess := app.Session{ID: auth.HashToken(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		IdleExpiresAt: now.Add(SessionIdle), ExpiresAt: now.Add(SessionAbsolute)}
	ctx = app.WithActor(ctx, app.Actor{Type: app.ActorUser, ID: u.ID, Name: u.Email, Role: string(u.Role)})
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateSession(ctx, sess, remoteAddr, userAgent); err != nil {
			return err
		}
		return tx.RecordLogin(ctx, u.ID)
	})
	return token, sess, err
}

// TouchSession records activity at now, pushing the idle expiry forward.
func (s *Service) TouchSession(ctx context.Context, sess app.Session, now time.Time) (app.Session, error) {
	sess.LastSeenAt, sess.IdleExpiresAt = now, now.Add(SessionIdle)
	return sess, s.db.Write(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, sess) })
}

// EndSession signs one browser out.
func (s *Service) EndSession(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, id) })
}

// SetupLink returns the token of the first-run setup link while the shop
// has no user: the one already made, while it has at least an hour left,
// so a restart shows the same link; otherwise a new one. It returns ""
// once a user exists.
func (s *Service) SetupLink(ctx context.Context) (token string, expires time.Time, err error) {
	n, err := s.db.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", time.Time{}, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var ok bool
		token, expires, ok, err = tx.UnusedSetupToken(ctx, now.Add(time.Hour))
		if err != nil || ok {
			return err
		}
		token, expires = auth.NewToken(auth.SetupTokenPrefix), now.Add(SetupLinkLife).UTC().Truncate(time.Millisecond)
		return tx.CreateSetupToken(ctx, token, auth.HashToken(token), expires)
	})
	return token, expires, err
}

// SetupValid reports whether token is a setup link that still works.
func (s *Service) SetupValid(ctx context.Context, token string) (bool, error) {
	return s.db.SetupTokenValid(ctx, auth.HashToken(token))
}

// Setup spends a first-run setup token and creates the shop's owner with
// in (whose role is ignored), in one transaction: both happen or neither.
func (s *Service) Setup(ctx context.Context, token string, in NewUser) (app.User, error) {
	return s.SetupShop(ctx, token, in, "")
}

// SetupShop is Setup that also records the shop's timezone, when one is
// given ("" keeps the default, the server's zone).
func (s *Service) SetupShop(ctx context.Context, token string, in NewUser, timezone string) (u app.User, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		u, err = s.SetupShopTx(ctx, tx, token, in, timezone)
		return err
	})
	return u, err
}

// SetupShopTx is SetupShop inside tx.
func (s *Service) SetupShopTx(ctx context.Context, tx *store.Tx, token string, in NewUser, timezone string) (app.User, error) {
	in.Role = app.RoleOwner
	u, err := s.prepareUser(in)
	if timezone != "" {
		if _, fe := app.ValidateTimezone("timezone", timezone); fe != nil {
			var ae *app.Error
			if errors.As(err, &ae) {
				ae.Fields = append(ae.Fields, *fe)
				return u, app.Invalid(ae.Fields...)
			}
			if err == nil {
				return u, app.Invalid(*fe)
			}
		}
	}
	if err != nil {
		return u, err
	}
	if err := tx.UseSetupToken(ctx, auth.HashToken(token)); err != nil {
		return u, err
	}
	if err := tx.CreateUser(ctx, &u); err != nil {
		return u, err
	}
	if timezone == "" {
		return u, nil
	}
	return u, s.settings.SetTimezoneTx(ctx, tx, timezone)
}
