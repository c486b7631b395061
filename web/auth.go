package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
)

// Activity is written at most this often per session and per key, so
// reads stay reads.
const touchEvery = time.Minute

// principal is who a request acts as.
type principal struct {
	actor   app.Actor
	role    app.Role
	user    *app.User   // the signed-in user, or the key's maker
	session app.Session // set for session requests
	key     *app.APIKey // set for API key requests
	// keyOwner is the email of the user who made the key, if any.
	keyOwner string
}

type principalKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// cookieName is __Host- prefixed when cookies are Secure, which the prefix
// requires.
func (s *Server) cookieName() string {
	if s.secureCookies {
		return "__Host-smartbot_session"
	}
	return "smartbot_session"
}

// authenticate finds the request's principal: a Bearer API key, else the
// session cookie. No credentials is (nil, nil); bad, expired or revoked
// ones are EUNAUTHORIZED.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	now := s.now()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(token, auth.APIKeyPrefix) || len(token) > 100 {
			return nil, app.Errorf(app.EUNAUTHORIZED, "the Authorization header must be 'Bearer sb_…' with an API key")
		}
		// Through the cache: the account service clears it when a key or
		// its user changes, so a revocation still holds on the next request.
		row, err := s.db.CachedAPIKey(r.Context(), auth.HashToken(token))
		if err != nil {
			if app.ErrorCode(err) == app.EUNAUTHORIZED {
				return nil, app.Errorf(app.EUNAUTHORIZED, "unknown API key")
			}
			return nil, err
		}
		k := row.APIKey
		switch k.Status(now) {
		case "revoked":
			return nil, app.Errorf(app.EUNAUTHORIZED, "this API key was revoked")
		case "expired":
			return nil, app.Errorf(app.EUNAUTHORIZED, "this API key has expired")
		}
		s.touchKey(r.Context(), k, now)
		name := k.Name
		role := k.Role
		if row.OwnerEmail != "" {
			name += " (" + row.OwnerEmail + ")"
			// A key never acts above the user who made it: demote the user
			// and their keys follow on the next request.
			role = app.Lower(role, row.OwnerRole)
		}
		return &principal{actor: app.Actor{Type: app.ActorAPIKey, ID: k.ID, Name: name, Role: string(role)}, role: role, key: &k, keyOwner: row.OwnerEmail}, nil
	}
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, nil
	}
	if !strings.HasPrefix(c.Value, auth.SessionPrefix) || len(c.Value) > 100 {
		return nil, app.Errorf(app.EUNAUTHORIZED, "your session is not valid; sign in again")
	}
	sess, u, err := s.db.SessionUser(r.Context(), auth.HashToken(c.Value))
	if err != nil {
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			return nil, app.Errorf(app.EUNAUTHORIZED, "your session has ended; sign in again")
		}
		return nil, err
	}
	if !sess.Valid(now) {
		return nil, app.Errorf(app.EUNAUTHORIZED, "your session has expired; sign in again")
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if sess, err = s.accounts.TouchSession(r.Context(), sess, now); err != nil {
			s.logWarn(r, "touch session", err)
		}
	}
	return &principal{actor: app.Actor{Type: app.ActorUser, ID: u.ID, Name: u.Email, Role: string(u.Role)}, role: u.Role, user: &u, session: sess}, nil
}

// touchKey records a key's use, at most once a minute per key.
func (s *Server) touchKey(ctx context.Context, k app.APIKey, now time.Time) {
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < touchEvery {
		return
	}
	s.touchMu.Lock()
	last, seen := s.touched[k.ID]
	if seen && now.Sub(last) < touchEvery {
		s.touchMu.Unlock()
		return
	}
	s.touched[k.ID] = now
	s.touchMu.Unlock()
	if err := s.accounts.TouchAPIKey(ctx, k.ID, now); err != nil {
		s.log.Warn("touch API key", "id", k.ID, "error", err)
	}
}

// startSession signs u in: a new session row and its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u app.User) error {
	token, sess, err := s.accounts.StartSession(r.Context(), u, remoteIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.secureCookies,
		SameSite: http.SameSiteLaxMode, Expires: sess.ExpiresAt})
	return nil
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// limiter counts failures per key in a sliding window; past the limit, a
// key is refused until its oldest failure leaves the window.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, fails: make(map[string][]time.Time)}
}

// blocked reports whether key has used its failures within the window.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= l.limit
}

// fail records one failure of key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key, now), now)
}

// reset forgets key's failures (after a success).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
	}
	return ts
}

// errSlowDown is the answer once a limiter blocks.
var errSlowDown = app.Errorf(app.ETOOMANY, "too many failed sign-ins; wait a minute and try again")

// login checks an email and password, slowed by the limiters: ten failures
// a minute per account, thirty per address. A blocked attempt is refused
// before the password hash is checked.
func (s *Server) login(ctx context.Context, email, password, ip string) (app.User, error) {
	now := s.now()
	email = app.NormalizeEmail(email)
	if s.accountLimiter.blocked(email, now) || s.addressLimiter.blocked(ip, now) {
		s.metrics.loginsRefused.Inc()
		return app.User{}, errSlowDown
	}
	s.metrics.passwordChecks.Inc()
	u, err := s.db.UserByEmail(ctx, email)
	if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return u, err
	}
	if err != nil {
		auth.CheckNothing(password)
	}
	if err != nil || !auth.CheckPassword(password, u.PasswordHash) {
		s.accountLimiter.fail(email, now)
		s.addressLimiter.fail(ip, now)
		return app.User{}, app.Errorf(app.EUNAUTHORIZED, "wrong email or password")
	}
	s.accountLimiter.reset(email)
	return u, nil
}
