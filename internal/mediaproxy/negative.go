package mediaproxy

import (
	"sync"
	"time"
)

// maxFailures bounds the negative cache: a page of broken images costs a
// few entries, a flood of distinct signed URLs cannot grow it without end.
const maxFailures = 10000

// negativeCache remembers upstream failures for a while (negativeTTL), so
// that a post whose image is gone costs one upstream request per hour, not
// one per page view. It lives in memory: a restart forgets it, which only
// costs one more request per broken image.
type negativeCache struct {
	mu      sync.Mutex
	entries map[string]negativeEntry
	now     func() time.Time // tests
}

type negativeEntry struct {
	err   proxyError
	until time.Time
}

// get returns the remembered failure of key with its remaining lifetime as
// maxAge, or nil.
func (c *negativeCache) get(key string) *proxyError {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	left := e.until.Sub(c.clock())
	if left <= 0 {
		delete(c.entries, key)
		return nil
	}
	pe := e.err
	pe.maxAge = left
	return &pe
}

// put remembers pe for ttl and returns it with maxAge set.
func (c *negativeCache) put(key string, pe *proxyError, ttl time.Duration) *proxyError {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	if c.entries == nil {
		c.entries = map[string]negativeEntry{}
	}
	if len(c.entries) >= maxFailures {
		for k, e := range c.entries {
			if !e.until.After(now) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries { // still full: drop arbitrary entries
			if len(c.entries) < maxFailures {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = negativeEntry{err: *pe, until: now.Add(ttl)}
	out := *pe
	out.maxAge = ttl
	return &out
}

func (c *negativeCache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}
