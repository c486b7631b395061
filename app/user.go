package app

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user or API key may do. Each role may do everything the
// roles below it may.
type Role string

const (
	// RoleViewer reads everything and changes nothing.
	RoleViewer Role = "viewer"
	// RoleOperator also runs the shop: orders, messages, retrying jobs.
	RoleOperator Role = "operator"
	// RoleOwner also manages users, API keys, webhooks and settings.
	RoleOwner Role = "owner"
)

// Roles lists the roles from the most to the least powerful.
var Roles = []Role{RoleOwner, RoleOperator, RoleViewer}

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleOperator:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r may do what need requires.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() && need.Valid() }

// User is a person who signs in to the panel.
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        Role       `json:"role"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	// PasswordHash is the argon2id hash; never serialised.
	PasswordHash string `json:"-"`
}

// APIKey is a key for the API. The key itself is shown once and kept only
// as a hash; Prefix, its visible start, tells keys apart.
type APIKey struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"` // "" for a key made from the CLI
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Status is "revoked", "expired" or "active" at now.
func (k APIKey) Status(now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Session is a signed-in browser. ID is the hash of the cookie's token.
type Session struct {
	ID            string
	UserID        string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// Valid reports whether the session is still usable at now.
func (s Session) Valid(now time.Time) bool {
	return now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
}

// Password length bounds (OWASP ASVS: at least 12; long passphrases welcome).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateUser checks the fields a person types when adding a user.
func ValidateUser(email, name string, role Role) []FieldError {
	var errs []FieldError
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		errs = append(errs, FieldError{"email", "must be an email address like owner@shop.example"})
	}
	errs = checkTexts(errs, CheckText("name", name, 200, false))
	if !role.Valid() {
		errs = append(errs, FieldError{"role", "must be owner, operator or viewer"})
	}
	return errs
}

// ValidatePassword checks a new password.
func ValidatePassword(field, pw string) []FieldError {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength || n > MaxPasswordLength {
		return []FieldError{{field, "must be 12 to 256 characters; a few words make a good one"}}
	}
	if e := CheckText(field, pw, MaxPasswordLength, false); e != nil {
		return []FieldError{*e}
	}
	return nil
}

// apiKeyNameRE: what a key is for, in a few plain words.
var apiKeyNameRE = regexp.MustCompile(`^[\pL\pN][\pL\pN _.\-]{0,99}$`)

// ValidateAPIKey checks the fields of a new API key at now. Every caller
// (API, panel, CLI) goes through it, so they accept the same names.
func ValidateAPIKey(name string, role Role, expiresAt *time.Time, now time.Time) []FieldError {
	var errs []FieldError
	if !apiKeyNameRE.MatchString(name) {
		errs = append(errs, FieldError{"name", "must be 1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit"})
	}
	if !role.Valid() {
		errs = append(errs, FieldError{"role", "must be owner, operator or viewer"})
	}
	if expiresAt != nil && !expiresAt.After(now) {
		errs = append(errs, FieldError{"expires_at", "must be in the future"})
	}
	return errs
}

// Lower returns the less powerful of two roles: what a key may do when the
// user who made it now has a smaller role than the key was given.
func Lower(a, b Role) Role {
	if a.rank() <= b.rank() {
		return a
	}
	return b
}
