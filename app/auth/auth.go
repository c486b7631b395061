// Package auth holds the secrets side of accounts: password hashing with
// argon2id and the random tokens behind sessions, API keys and setup links,
// which are stored only as hashes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"sync"

	"github.com/alexedwards/argon2id"
)

// params are OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id hash of pw in PHC string form.
func HashPassword(pw string) (string, error) {
	return argon2id.CreateHash(pw, params)
}

// CheckPassword reports whether pw matches hash, in constant time.
func CheckPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// dummyHash is checked against when the account does not exist, so that a
// wrong email costs as long as a wrong password and reveals nothing. It is
// made on the first failed sign-in, not at start: hashing takes argon2id's
// 19 MiB, which every command (even 'smartbot version') paid at init and an
// idle server then kept as resident memory.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("smartbot-no-such-user")
	return h
})

// CheckNothing spends the time of one password check.
func CheckNothing(pw string) { CheckPassword(pw, dummyHash()) }

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns prefix followed by 32 random characters (160 bits).
func NewToken(prefix string) string {
	var b [20]byte
	rand.Read(b[:])
	return prefix + tokenEncoding.EncodeToString(b[:])
}

// HashToken is how a token is stored and looked up: its sha256 in hex. The
// tokens are random and long, so a fast hash is enough.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// API key format: "sb_" and 32 characters. KeyPrefix is the part shown in
// lists: "sb_" and the first 8 characters.
const (
	APIKeyPrefix     = "sb_"
	apiKeyVisible    = len(APIKeyPrefix) + 8
	SessionPrefix    = "sbs_"
	SetupTokenPrefix = "sbsetup_"
)

// NewAPIKey returns a new key and its visible prefix.
func NewAPIKey() (key, prefix string) {
	key = NewToken(APIKeyPrefix)
	return key, key[:apiKeyVisible]
}
