package db

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"cartograph/cartograph"
)

// keysChannel is notified at the commit of any change to a key's authority
// (migration 20261123000007_key_notify).
const keysChannel = "cartograph_keys"

// keyCacheSize bounds the cache; past it the cache starts over.
const keyCacheSize = 10_000

// keyCache remembers the keys this process has authenticated, so a request
// costs no SQL statement for its key. It is trusted only while its listener
// session is up: any key change in any process drops every entry (changes to
// keys are rare), and a lost session turns caching off until it is back. A
// revocation so takes effect everywhere within the notification's latency.
type keyCache struct {
	mu      sync.Mutex
	on      bool   // listening: entries may be used
	gen     uint64 // bumped on every flush, so a read that raced one is not cached
	entries map[[32]byte]*keyEntry
}

type keyEntry struct {
	actor     cartograph.Actor
	expiresAt *time.Time
	usedAt    time.Time // when last_used_at was last written (or read)
}

// get returns the cached entry for hash and the generation to pass to put.
func (c *keyCache) get(hash [32]byte) (keyEntry, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return keyEntry{}, false, c.gen
	}
	e, ok := c.entries[hash]
	if !ok {
		return keyEntry{}, false, c.gen
	}
	return *e, true, c.gen
}

// put caches e unless the cache was flushed since gen was read.
func (c *keyCache) put(hash [32]byte, e keyEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= keyCacheSize {
		c.entries = make(map[[32]byte]*keyEntry)
	}
	c.entries[hash] = &e
}

// touch notes that last_used_at was written for hash at t.
func (c *keyCache) touch(hash [32]byte, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok {
		e.usedAt = t
	}
}

// claimTouch reports whether the caller is the one to write hash's
// last_used_at at t: true for the first caller once the last write is more
// than every old, which notes t at once so that concurrent callers get
// false.
func (c *keyCache) claimTouch(hash [32]byte, t time.Time, every time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || t.Sub(e.usedAt) <= every {
		return false
	}
	e.usedAt = t
	return true
}

// flush drops every entry and sets whether entries may be used from now on.
func (c *keyCache) flush(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = on
	c.gen++
	c.entries = nil
}

// CachingKeys reports whether the key cache is on: WatchKeys's listener
// session is up, so a known key costs no statement.
func (k *Keys) CachingKeys() bool {
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	return k.cache.on
}

// drop empties the cache, leaving it on or off.
func (c *keyCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// WatchKeys turns on the key cache for as long as ctx lives: it LISTENs for
// key changes and flushes the cache on each, reconnecting after a lost
// session (with the cache off meanwhile). Without it every request reads its
// key from the database.
func (d *DB) WatchKeys(ctx context.Context, log *slog.Logger) {
	c := &d.Keys.cache
	defer c.flush(false)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := d.listenOn(ctx, keysChannel)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("key cache: cannot listen for key changes; reading keys from the database", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		c.flush(true)
		for {
			if _, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			c.flush(true)
		}
		c.flush(false)
		conn.Close(context.WithoutCancel(ctx))
		if ctx.Err() == nil {
			log.Warn("key cache: lost the listener session; reconnecting", "err", err)
		}
	}
}
