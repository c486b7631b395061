package store

import (
	"context"
	"sync"
	"time"
)

// APIKeyCacheTTL bounds how long a cached key is trusted without reading
// it again. Changes made through this process clear the cache at once
// (ForgetAPIKeys, called after commit); the TTL only bounds changes made by
// another process on the same file, such as the CLI revoking a key.
const APIKeyCacheTTL = 2 * time.Second

// apiKeyCacheMax bounds the cache. Only keys that exist are cached, so it
// cannot grow past the shop's keys; the bound is a guard, not a working size.
const apiKeyCacheMax = 1024

// apiKeyCache holds recently verified keys by the hash of their secret.
type apiKeyCache struct {
	mu   sync.Mutex
	gen  uint64 // counts ForgetAPIKeys, so a read that raced one is not kept
	keys map[string]cachedAPIKey
}

type cachedAPIKey struct {
	row APIKeyRow
	at  time.Time // when it was read, by the store's clock
}

// CachedAPIKey is APIKeyByHash through a small cache, so a request with a
// known key needs no query. A key is read again once it is APIKeyCacheTTL
// old; unknown keys are never cached. The caller checks the key's status
// and caps its role as with APIKeyByHash: expiry is judged on every use.
func (db *DB) CachedAPIKey(ctx context.Context, hash string) (APIKeyRow, error) {
	now := db.now()
	c := &db.apiKeys
	c.mu.Lock()
	e, ok := c.keys[hash]
	gen := c.gen
	c.mu.Unlock()
	if ok && !now.Before(e.at) && now.Sub(e.at) < APIKeyCacheTTL {
		return e.row, nil
	}
	row, err := db.APIKeyByHash(ctx, hash)
	if err != nil {
		return row, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A change committed (and forgotten) while the row was read may not be
	// in it: answer with it this once, but do not keep it.
	if c.gen == gen {
		if c.keys == nil || len(c.keys) >= apiKeyCacheMax {
			c.keys = make(map[string]cachedAPIKey)
		}
		c.keys[hash] = cachedAPIKey{row: row, at: now}
	}
	return row, nil
}

// ForgetAPIKeys empties the key cache. Whatever changes a key, its user's
// role or email, or removes either calls it after the change commits
// (Tx.OnCommit), so the next request reads the new state.
func (db *DB) ForgetAPIKeys() {
	c := &db.apiKeys
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.keys)
}
