package mediaproxy

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Cache file layout: the image bytes, then a JSON meta record, then an
// 8-byte trailer (meta length as big-endian uint32, then trailerMagic).
// Keeping everything in one file makes a cache entry appear atomically with
// a single rename; the trailer lets a torn or foreign file be detected.
const (
	trailerMagic = "FPI1"
	trailerLen   = 8
	maxMetaLen   = 64 << 10
)

// meta describes a cached image.
type meta struct {
	URL      string    `json:"url"`
	Type     string    `json:"type"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	Size     int64     `json:"size"` // image bytes, trailer excluded

	// The Content-Type and ETag header values, built once per entry rather
	// than once per hit (see withHeaders).
	typeHeader, etagHeader []string
}

// withHeaders fills m's header values; m must not be shared yet.
func (m *meta) withHeaders() *meta {
	m.typeHeader, m.etagHeader = []string{m.Type}, []string{m.ETag}
	return m
}

// blob is an opened image. Requests collapsed onto one fetch share it, each
// reading through its own io.SectionReader (ReadAt is safe concurrently);
// the last release closes the file and removes it when it was a temporary
// one.
type blob struct {
	f    *os.File
	meta *meta
	refs atomic.Int32
	tmp  bool // remove the file on the last release (no disk cache)
}

func (b *blob) release() {
	if b.refs.Add(-1) == 0 {
		b.f.Close()
		if b.tmp {
			os.Remove(b.f.Name())
		}
	}
}

// cacheKey names the cache file of a URL.
func cacheKey(rawURL string) string {
	sum := sha256.Sum256([]byte(rawURL))
	return hex.EncodeToString(sum[:])
}

// diskCache stores images under dir/<k[0:2]>/<k[2:4]>/<k> with an in-memory
// LRU index bounded by limit bytes. The index is rebuilt from the folder at
// startup, oldest file first by modification time. One process per folder.
// The LRU is container/list plus a map: LRU libraries bound the number of
// entries, while this cache is bounded by bytes on disk.
type diskCache struct {
	dir    string
	limit  int64
	onSize func(int64)

	mu    sync.Mutex
	total int64
	lru   *list.List // of *cacheEntry, most recently used first
	index map[string]*list.Element
}

type cacheEntry struct {
	key  string
	path string // c.path(key), kept rather than joined on every hit
	size int64  // file size, trailer included
	meta *meta  // nil until the file's trailer has been read
}

func openCache(dir string, limit int64, onSize func(int64)) (*diskCache, error) {
	c := &diskCache{dir: dir, limit: limit, onSize: onSize, lru: list.New(), index: map[string]*list.Element{}}
	if c.onSize == nil {
		c.onSize = func(int64) {}
	}
	tmp := filepath.Join(dir, "tmp")
	// Leftovers of fetches cut short by a crash.
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("mediaproxy: clear cache temp folder: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("mediaproxy: create cache folder: %w", err)
	}
	type found struct {
		key   string
		size  int64
		mtime time.Time
	}
	var files []found
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == tmp {
				return filepath.SkipDir
			}
			return nil
		}
		key := d.Name()
		if !d.Type().IsRegular() || len(key) != 64 || path != c.path(key) {
			return nil // not ours
		}
		if _, err := hex.DecodeString(key); err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		files = append(files, found{key, info.Size(), info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mediaproxy: read cache folder: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mtime.Before(files[j].mtime) })
	for _, f := range files {
		c.index[f.key] = c.lru.PushFront(&cacheEntry{key: f.key, path: c.path(f.key), size: f.size})
		c.total += f.size
	}
	c.mu.Lock()
	victims := c.evictLocked()
	c.mu.Unlock()
	c.remove(victims)
	return c, nil
}

func (c *diskCache) path(key string) string {
	return filepath.Join(c.dir, key[0:2], key[2:4], key)
}

// open returns the cached image of key, or nil when there is none (a nil
// cache has none). A file that is missing or unreadable is dropped from the
// index so that it is fetched again.
func (c *diskCache) open(key string) *blob {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	el := c.index[key]
	if el == nil {
		c.mu.Unlock()
		return nil
	}
	c.lru.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	m, size := e.meta, e.size
	c.mu.Unlock()

	f, err := openFile(e.path)
	if err != nil {
		c.drop(e, false)
		return nil
	}
	if m == nil {
		if m, err = readTrailer(f, size); err != nil {
			f.Close()
			c.drop(e, true)
			return nil
		}
		c.mu.Lock()
		e.meta = m
		c.mu.Unlock()
	}
	b := &blob{f: f, meta: m}
	b.refs.Store(1)
	return b
}

// drop forgets e (when the index still holds it) and optionally removes its file.
func (c *diskCache) drop(e *cacheEntry, removeFile bool) {
	c.mu.Lock()
	if el := c.index[e.key]; el != nil && el.Value == e {
		c.lru.Remove(el)
		delete(c.index, e.key)
		c.total -= e.size
		if removeFile {
			os.Remove(c.path(e.key))
		}
	}
	total := c.total
	c.mu.Unlock()
	c.onSize(total)
}

// tempFile creates the file an upstream body is written to: inside the
// cache folder (so the final rename stays on one file system), or in the
// system's temp folder when there is no cache.
func (c *diskCache) tempFile() (*os.File, error) {
	if c == nil {
		return os.CreateTemp("", "feedpost-img-*")
	}
	return os.CreateTemp(filepath.Join(c.dir, "tmp"), "fetch-*")
}

// commit appends m's trailer to f (holding m.Size image bytes), moves it
// into the cache under key, records it and evicts the least recently used
// entries beyond the size bound. The returned blob keeps f open, so it can
// be served even if it is evicted at once. With a nil cache the file stays a
// temporary one, removed on the blob's last release.
func (c *diskCache) commit(f *os.File, key string, m *meta) (*blob, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	trailer := binary.BigEndian.AppendUint32(data, uint32(len(data)))
	trailer = append(trailer, trailerMagic...)
	if _, err := f.WriteAt(trailer, m.Size); err != nil {
		return nil, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	b := &blob{f: f, meta: m}
	b.refs.Store(1)
	if c == nil {
		b.tmp = true
		return b, nil
	}
	// No fsync: a cache needs a rename that makes the entry appear whole,
	// not durability, and the client is waiting. A crash that leaves a file
	// whose bytes did not reach the disk leaves it torn or empty, which
	// readTrailer detects (magic, meta length and size must all agree):
	// the entry is then dropped and fetched again.
	final := c.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, fmt.Errorf("create cache folder: %w", err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return nil, fmt.Errorf("move into cache: %w", err)
	}
	size := m.Size + int64(len(trailer))
	c.mu.Lock()
	if el := c.index[key]; el != nil {
		c.total -= el.Value.(*cacheEntry).size
		c.lru.Remove(el)
	}
	c.index[key] = c.lru.PushFront(&cacheEntry{key: key, path: final, size: size, meta: m})
	c.total += size
	victims := c.evictLocked()
	c.mu.Unlock()
	c.remove(victims)
	return b, nil
}

// evictLocked unlinks the least recently used entries from the index until
// the total fits the limit, and returns their keys for removal.
func (c *diskCache) evictLocked() []string {
	var victims []string
	for c.total > c.limit && c.lru.Len() > 0 {
		e := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.index, e.key)
		c.total -= e.size
		victims = append(victims, e.key)
	}
	return victims
}

// remove deletes evicted files (outside the lock: requests keep being
// served meanwhile) and publishes the new size.
func (c *diskCache) remove(keys []string) {
	for _, k := range keys {
		os.Remove(c.path(k))
	}
	c.mu.Lock()
	total := c.total
	c.mu.Unlock()
	c.onSize(total)
}

// readTrailer reads and checks the meta record of a cache file of the given size.
func readTrailer(f *os.File, size int64) (*meta, error) {
	if size < trailerLen {
		return nil, errors.New("cache file too short")
	}
	var t [trailerLen]byte
	if _, err := f.ReadAt(t[:], size-trailerLen); err != nil {
		return nil, fmt.Errorf("read trailer: %w", err)
	}
	if string(t[4:]) != trailerMagic {
		return nil, errors.New("cache file has no trailer")
	}
	n := int64(binary.BigEndian.Uint32(t[:4]))
	if n > maxMetaLen || n > size-trailerLen {
		return nil, errors.New("cache file trailer is corrupt")
	}
	data := make([]byte, n)
	if _, err := f.ReadAt(data, size-trailerLen-n); err != nil {
		return nil, fmt.Errorf("read meta: %w", err)
	}
	m := new(meta)
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("decode meta: %w", err)
	}
	if m.Size != size-trailerLen-n || m.Type == "" || m.ETag == "" {
		return nil, errors.New("cache file meta does not match the file")
	}
	return m.withHeaders(), nil
}

// flightGroup collapses concurrent fetches of one key into one. It is a
// small singleflight that also counts the callers sharing a result, which
// x/sync/singleflight does not expose: the shared blob must be closed by
// the last of them, not the first.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done    chan struct{}
	waiters int
	b       *blob
	err     error
}

func (g *flightGroup) do(key string, fn func() (*blob, error)) (*blob, error) {
	g.mu.Lock()
	if c, ok := g.calls[key]; ok {
		c.waiters++
		g.mu.Unlock()
		<-c.done
		return c.b, c.err
	}
	if g.calls == nil {
		g.calls = map[string]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()

	func() {
		defer func() {
			if r := recover(); r != nil {
				c.b, c.err = nil, fmt.Errorf("fetch panicked: %v", r)
			}
		}()
		c.b, c.err = fn()
	}()

	g.mu.Lock()
	delete(g.calls, key)
	if c.b != nil {
		c.b.refs.Store(int32(1 + c.waiters))
	}
	g.mu.Unlock()
	close(c.done)
	return c.b, c.err
}

// waiting reports how many callers wait on key's fetch besides its leader
// (-1: none in flight). Tests use it to start the fetch only once all
// concurrent requests have joined.
func (g *flightGroup) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.calls[key]; ok {
		return c.waiters
	}
	return -1
}
