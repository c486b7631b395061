package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// A flash is what a form's redirect leaves for the next page: a notice
// ("User added.") and, after making an API key, the key itself, which is
// shown once and never again. It is kept here, in memory, under a random
// id that travels in a short-lived cookie, never in the URL: a reload, the
// back button or a shared link cannot show it twice, and nobody else can
// claim it. A restart forgets it, like any secret that was not copied.
type flash struct {
	notice string
	secret string
	// userID is who may see it: a flash is never shown to another account.
	userID string
	// path is the page that shows it; other pages leave it waiting.
	path    string
	expires time.Time
}

// flashTTL is how long a flash waits for its page: long enough for a slow
// phone, short enough that a secret does not linger.
const flashTTL = 5 * time.Minute

// flashStore holds a server's flashes not yet shown.
type flashStore struct {
	mu sync.Mutex
	m  map[string]flash
}

func (s *Server) flashCookie() string {
	if s.secureCookies {
		return "__Host-smartbot_flash"
	}
	return "smartbot_flash"
}

// setFlash keeps f for the page at path and gives the browser its id. The
// flash belongs to the signed-in user, or to f.userID when the form just
// signed someone in.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, path string, f flash) error {
	if f.notice == "" && f.secret == "" {
		return nil
	}
	if p := principalFrom(r.Context()); f.userID == "" && p != nil && p.user != nil {
		f.userID = p.user.ID
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	f.path, f.expires = path, now.Add(flashTTL)
	s.flashes.mu.Lock()
	for k, old := range s.flashes.m {
		if now.After(old.expires) {
			delete(s.flashes.m, k)
		}
	}
	if s.flashes.m == nil {
		s.flashes.m = make(map[string]flash)
	}
	s.flashes.m[id] = f
	s.flashes.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: s.flashCookie(), Value: id, Path: "/", HttpOnly: true, Secure: s.secureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(flashTTL / time.Second)})
	return nil
}

// takeFlash returns the flash waiting for this page and forgets it, so it
// is shown exactly once. Only a GET of the flash's own page by its own
// user takes it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	c, err := r.Cookie(s.flashCookie())
	if err != nil || r.Method != http.MethodGet {
		return flash{}
	}
	p := principalFrom(r.Context())
	s.flashes.mu.Lock()
	f, ok := s.flashes.m[c.Value]
	if !ok || s.now().After(f.expires) {
		delete(s.flashes.m, c.Value)
		s.flashes.mu.Unlock()
		s.clearFlashCookie(w)
		return flash{}
	}
	if f.path != r.URL.Path || p == nil || p.user == nil || p.user.ID != f.userID {
		s.flashes.mu.Unlock()
		return flash{}
	}
	delete(s.flashes.m, c.Value)
	s.flashes.mu.Unlock()
	s.clearFlashCookie(w)
	return f
}

func (s *Server) clearFlashCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.flashCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
