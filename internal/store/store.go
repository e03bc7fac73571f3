// Package store keeps feedpost's state: sources (conditional-GET validators,
// last status, failures) and items (everything the writers need, so `build`
// works from the store alone). SQLite through modernc.org/sqlite by default.
//
// All SQL lives in this package behind the small API below so that another
// backend (PostgreSQL, for several workers sharing one database) can be added
// without touching the pipeline.
package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Source is the stored state of one configured source, keyed by its config key.
type Source struct {
	Key          string
	URL          string // the URL last fetched
	ETag         string
	LastModified string
	FeedTitle    string
	FeedLink     string
	LastStatus   string // ok | unchanged | failed | skipped
	LastError    string
	Failures     int       // consecutive failures
	LastFetch    time.Time // zero when never fetched
	NextFetch    time.Time // earliest next fetch chosen by the scheduler (zero: any time)
	ItemsTotal   int       // posts kept for this source
	LastNew      int
	LastUpdated  int
	// Meta holds small cached values keyed by name (e.g. "category_auto"
	// → JSON), so later features need no schema change for a cache entry.
	Meta map[string]string
}

// Item is one stored item: its raw feed fields (so posts can be re-rendered
// under a changed config) and what was last rendered from them.
type Item struct {
	ID         string
	SourceKey  string
	GUID       string
	Link       string
	Title      string // raw title as the feed gave it
	Content    string // raw HTML (or text when IsText)
	IsText     bool
	Base       string
	Author     string   // the item's own author (informational)
	Images     []string // the feed's cover candidates
	Categories []string // the item's own categories (for filters)
	Published  time.Time
	Updated    time.Time
	FirstSeen  time.Time // set once, never changed
	Hash       string    // hash of the raw fields: equal hash means unchanged
	Fulltext   string    // extracted article HTML when the source has fulltext: true ("" when none)
	DedupeKey  string    // normalised link/title for cross-source dedupe ("" when none)
	Pending    bool      // outputs not yet confirmed written for this version
	Pruned     bool      // removed by retention: never re-imported, never written
	FeedTitle  string    // the feed's title when the item was fetched (default author/category)
	// Rendered is the post last rendered from this item (opaque to the
	// store: JSON of post.Post without its body), so whole-site outputs
	// need no re-rendering.
	Rendered []byte
	// Body is that post's body (HTML), kept apart from Rendered: listing
	// every post reads only the small Rendered, and a post page reads its
	// body as is. Items stored before this column existed have their body
	// inside Rendered and an empty Body.
	Body string
}

// ItemState is what a fetch needs to know about an already stored item to
// classify it as new, updated or unchanged.
type ItemState struct {
	Hash        string
	FirstSeen   time.Time
	Pending     bool
	Pruned      bool
	HasFulltext bool // a non-empty Fulltext is stored: no need to extract it again
}

// ErrNotFound is returned (wrapped) by calls that must find a live item.
var ErrNotFound = errors.New("item not found")

// Store is the state database. Its methods are safe for concurrent use.
//
// It holds two pools on the same file: w, with a single connection, through
// which every write goes (so writers queue in Go instead of failing with
// SQLITE_BUSY), and r for reads, which in WAL mode never wait for the writer.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared read statements, by query
}

// maxInList bounds the number of values bound in one `IN (...)` list; larger
// id lists are processed in batches of this size.
const maxInList = 500

// Open opens (creating it and its folder when missing) the store at path and
// brings its schema up to date. It fails, naming the path, when the file is
// not a SQLite database, cannot be written, or was made by a newer feedpost.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: create folder: %w", path, err)
	}
	s := &Store{path: path}
	var err error
	if s.w, err = openPool(path, false, writerConns); err != nil {
		return nil, err
	}
	if err := initFile(s.w); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(s.w); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if s.r, err = openPool(path, true, readerConns); err != nil {
		_ = s.w.Close()
		return nil, err
	}
	return s, nil
}

// openPool opens one pool and checks a connection can be made, so that a
// file that is not a database is reported by Open, not by the first query.
func openPool(path string, readOnly bool, conns int) (*sql.DB, error) {
	source, err := dsn(path, readOnly)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, source)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // keep them: each new connection re-runs the pragmas
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s (is it a feedpost SQLite database, and writable?): %w", path, err)
	}
	return db, nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes both pools. SQLite checkpoints the WAL when the last
// connection closes.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	return errors.Join(append(errs, s.r.Close(), s.w.Close())...)
}

// read prepares query on the read pool once and returns the statement.
// Preparing is a large part of a small query's cost with SQLite (parsing
// and planning the SQL), and a cycle runs the same few lookups thousands of
// times. Only fixed query texts go through here, so the cache stays small.
func (s *Store) read(query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st := s.stmts[query]; st != nil {
		return st, nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	st, err := s.r.Prepare(bind(query))
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// queryRow is QueryRow through a prepared read statement.
func (s *Store) queryRow(query string, args ...any) *sql.Row {
	st, err := s.read(query)
	if err != nil {
		// A Row carrying the error: prepare errors surface at Scan, as
		// with db.QueryRow.
		return s.r.QueryRow(bind(query), args...)
	}
	return st.QueryRow(args...)
}

// Ping checks that the database answers (for health checks).
func (s *Store) Ping() error { return s.r.Ping() }

// IntegrityCheck verifies the database file; it returns nil only when SQLite
// reports "ok".
func (s *Store) IntegrityCheck() error {
	if err := integrityCheck(s.r); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	return nil
}

// ---- sources ----

const sourceCols = `key, url, etag, last_modified, feed_title, feed_link, last_status, last_error,
	failures, last_fetch, next_fetch, items_total, last_new, last_updated, meta`

// Source returns the stored state of the source with this key; found is
// false when it was never saved.
func (s *Store) Source(key string) (Source, bool, error) {
	row := s.queryRow(`SELECT `+sourceCols+` FROM sources WHERE key = ?`, key)
	src, err := scanSource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, false, nil
	}
	if err != nil {
		return Source{}, false, fmt.Errorf("read source %q: %w", key, err)
	}
	return src, true, nil
}

// Sources returns every stored source, ordered by key.
func (s *Store) Sources() ([]Source, error) {
	rows, err := s.r.Query(bind(`SELECT ` + sourceCols + ` FROM sources ORDER BY key`))
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// SaveSource inserts the source or replaces every field of the stored one.
func (s *Store) SaveSource(src Source) error {
	if src.Key == "" {
		return errors.New("save source: empty key")
	}
	meta, err := encodeJSON(src.Meta, len(src.Meta) == 0)
	if err != nil {
		return fmt.Errorf("save source %q: meta: %w", src.Key, err)
	}
	lastFetch, err := timeValue(src.LastFetch)
	if err != nil {
		return fmt.Errorf("save source %q: last fetch: %w", src.Key, err)
	}
	nextFetch, err := timeValue(src.NextFetch)
	if err != nil {
		return fmt.Errorf("save source %q: next fetch: %w", src.Key, err)
	}
	_, err = s.w.Exec(bind(`INSERT INTO sources (`+sourceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
			feed_title = excluded.feed_title, feed_link = excluded.feed_link,
			last_status = excluded.last_status, last_error = excluded.last_error,
			failures = excluded.failures, last_fetch = excluded.last_fetch,
			next_fetch = excluded.next_fetch, items_total = excluded.items_total,
			last_new = excluded.last_new, last_updated = excluded.last_updated,
			meta = excluded.meta`),
		src.Key, src.URL, src.ETag, src.LastModified, src.FeedTitle, src.FeedLink,
		src.LastStatus, src.LastError, src.Failures, lastFetch, nextFetch,
		src.ItemsTotal, src.LastNew, src.LastUpdated, meta)
	if err != nil {
		return fmt.Errorf("save source %q: %w", src.Key, err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSource(sc scanner) (Source, error) {
	var src Source
	var lastFetch, nextFetch sql.NullString
	var meta string
	err := sc.Scan(&src.Key, &src.URL, &src.ETag, &src.LastModified, &src.FeedTitle, &src.FeedLink,
		&src.LastStatus, &src.LastError, &src.Failures, &lastFetch, &nextFetch,
		&src.ItemsTotal, &src.LastNew, &src.LastUpdated, &meta)
	if err != nil {
		return Source{}, err
	}
	if src.LastFetch, err = parseTime(lastFetch); err != nil {
		return Source{}, fmt.Errorf("source %q last fetch: %w", src.Key, err)
	}
	if src.NextFetch, err = parseTime(nextFetch); err != nil {
		return Source{}, fmt.Errorf("source %q next fetch: %w", src.Key, err)
	}
	if err := decodeJSON(meta, &src.Meta); err != nil {
		return Source{}, fmt.Errorf("source %q meta: %w", src.Key, err)
	}
	return src, nil
}

// ---- items ----

// itemCols are the columns of an items row, in the order of itemArgs.
const itemCols = `id, source_key, guid, link, title, content, is_text, base, author,
	images, categories, published, updated, first_seen, hash, fulltext, dedupe_key, pruned, feed_title`

// itemSelect is what scanItem reads: the columns of items (qualified, for
// the join), the rendered post and whether the item is pending. It goes
// with itemFrom.
const itemSelect = `items.id, source_key, guid, link, title, content, is_text, base, author,
	images, categories, published, updated, first_seen, hash, fulltext, dedupe_key, pruned, feed_title,
	COALESCE(posts.rendered, ''), COALESCE(posts.body, ''), ` + isPending

// itemFrom is the FROM clause of itemSelect.
const itemFrom = ` FROM items LEFT JOIN posts ON posts.id = items.id `

// isPending is an expression of a query on items: 1 when the item's outputs
// are not yet confirmed written.
const isPending = `EXISTS (SELECT 1 FROM pending WHERE pending.id = items.id)`

// ItemStates returns the stored state of those of ids that belong to
// sourceKey; ids never stored are absent from the map.
//
// The rows are looked up by id alone and the source is checked here: given
// `source_key = ?` as well, SQLite walks the source index, i.e. every item
// the source ever had, instead of a few primary-key lookups.
func (s *Store) ItemStates(sourceKey string, ids []string) (map[string]ItemState, error) {
	out := make(map[string]ItemState, len(ids))
	for batch := range slices.Chunk(ids, maxInList) {
		rows, err := s.r.Query(bind(`SELECT id, source_key, hash, first_seen, `+isPending+`, pruned,
				CASE WHEN fulltext <> '' THEN 1 ELSE 0 END
			FROM items WHERE id IN (`+placeholders(len(batch))+`)`), appendArgs(nil, batch)...)
		if err != nil {
			return nil, fmt.Errorf("read item states of %q: %w", sourceKey, err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var id, source string
				var st ItemState
				var first sql.NullString
				var pending, pruned, full int
				if err := rows.Scan(&id, &source, &st.Hash, &first, &pending, &pruned, &full); err != nil {
					return err
				}
				if source != sourceKey {
					continue
				}
				if st.FirstSeen, err = parseTime(first); err != nil {
					return fmt.Errorf("item %s first seen: %w", id, err)
				}
				st.Pending, st.Pruned, st.HasFulltext = pending != 0, pruned != 0, full != 0
				out[id] = st
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("read item states of %q: %w", sourceKey, err)
		}
	}
	return out, nil
}

// PutItems inserts or updates items, all in one transaction (all or none).
//
// On update, every field is replaced except:
//   - FirstSeen, which keeps its stored value (the post's date of last resort
//     must never move);
//   - Fulltext, which keeps its stored value when the new one is empty, so a
//     failed re-extraction does not throw away a good earlier one
//     (SetFulltext can clear it);
//   - pruned rows, which are left untouched: retention removed them and they
//     must not come back.
//
// A new item with a zero FirstSeen gets the current time.
func (s *Store) PutItems(items []Item) error {
	if len(items) == 0 {
		return nil
	}
	now := time.Now()
	tx, err := s.w.Begin()
	if err != nil {
		return fmt.Errorf("put items: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	stmt, err := tx.Prepare(bind(`INSERT INTO items (` + itemCols + `, sort_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			source_key = excluded.source_key, guid = excluded.guid, link = excluded.link,
			title = excluded.title, content = excluded.content, is_text = excluded.is_text,
			base = excluded.base, author = excluded.author, images = excluded.images,
			categories = excluded.categories, published = excluded.published,
			updated = excluded.updated, hash = excluded.hash,
			fulltext = CASE WHEN excluded.fulltext <> '' THEN excluded.fulltext ELSE items.fulltext END,
			dedupe_key = excluded.dedupe_key, pruned = excluded.pruned,
			feed_title = excluded.feed_title,
			sort_date = COALESCE(excluded.published, excluded.updated, items.first_seen)
		WHERE items.pruned = 0`))
	if err != nil {
		return fmt.Errorf("put items: prepare: %w", err)
	}
	defer stmt.Close()
	// A pruned row is left alone, pending flag included.
	setPending, err := tx.Prepare(bind(`INSERT INTO pending (id) SELECT id FROM items WHERE id = ? AND pruned = 0
		ON CONFLICT (id) DO NOTHING`))
	if err != nil {
		return fmt.Errorf("put items: prepare: %w", err)
	}
	defer setPending.Close()
	clearPending, err := tx.Prepare(bind(`DELETE FROM pending WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("put items: prepare: %w", err)
	}
	defer clearPending.Close()
	putPost, err := tx.Prepare(bind(`INSERT INTO posts (id, rendered, body)
		SELECT id, ?, ? FROM items WHERE id = ? AND pruned = 0
		ON CONFLICT (id) DO UPDATE SET rendered = excluded.rendered, body = excluded.body`))
	if err != nil {
		return fmt.Errorf("put items: prepare: %w", err)
	}
	defer putPost.Close()
	for _, it := range items {
		if it.FirstSeen.IsZero() {
			it.FirstSeen = now
		}
		args, err := itemArgs(it)
		if err != nil {
			return fmt.Errorf("put item %s: %w", it.ID, err)
		}
		if _, err := stmt.Exec(args...); err != nil {
			return fmt.Errorf("put item %s: %w", it.ID, err)
		}
		flag := clearPending
		if it.Pending {
			flag = setPending
		}
		if _, err := flag.Exec(it.ID); err != nil {
			return fmt.Errorf("put item %s: pending flag: %w", it.ID, err)
		}
		if _, err := putPost.Exec(string(it.Rendered), it.Body, it.ID); err != nil {
			return fmt.Errorf("put item %s: rendered post: %w", it.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put items: commit: %w", err)
	}
	return nil
}

// itemArgs returns the values for itemCols followed by sort_date.
func itemArgs(it Item) ([]any, error) {
	if it.ID == "" || it.SourceKey == "" {
		return nil, errors.New("item without id or source key")
	}
	images, err := encodeJSON(it.Images, len(it.Images) == 0)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	cats, err := encodeJSON(it.Categories, len(it.Categories) == 0)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	var times [3]any
	for i, t := range []time.Time{it.Published, it.Updated, it.FirstSeen} {
		if times[i], err = timeValue(t); err != nil {
			return nil, fmt.Errorf("%s: %w", [...]string{"published", "updated", "first seen"}[i], err)
		}
	}
	sortDate := times[2]
	if times[0] != nil {
		sortDate = times[0]
	} else if times[1] != nil {
		sortDate = times[1]
	}
	return []any{it.ID, it.SourceKey, it.GUID, it.Link, it.Title, it.Content, boolInt(it.IsText),
		it.Base, it.Author, images, cats, times[0], times[1], times[2], it.Hash, it.Fulltext,
		it.DedupeKey, boolInt(it.Pruned), it.FeedTitle, sortDate}, nil
}

func scanItem(sc scanner) (Item, error) {
	var it Item
	var isText, pending, pruned int
	var images, cats, rendered string
	var published, updated, first sql.NullString
	err := sc.Scan(&it.ID, &it.SourceKey, &it.GUID, &it.Link, &it.Title, &it.Content, &isText,
		&it.Base, &it.Author, &images, &cats, &published, &updated, &first, &it.Hash, &it.Fulltext,
		&it.DedupeKey, &pruned, &it.FeedTitle, &rendered, &it.Body, &pending)
	if err != nil {
		return Item{}, err
	}
	it.IsText, it.Pending, it.Pruned = isText != 0, pending != 0, pruned != 0
	if rendered != "" {
		it.Rendered = []byte(rendered)
	}
	if err := decodeJSON(images, &it.Images); err != nil {
		return Item{}, fmt.Errorf("item %s images: %w", it.ID, err)
	}
	if err := decodeJSON(cats, &it.Categories); err != nil {
		return Item{}, fmt.Errorf("item %s categories: %w", it.ID, err)
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&it.Published, published}, {&it.Updated, updated}, {&it.FirstSeen, first}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return Item{}, fmt.Errorf("item %s: %w", it.ID, err)
		}
	}
	return it, nil
}

// Item returns the stored item with this id, pruned or not.
func (s *Store) Item(id string) (Item, bool, error) {
	it, err := scanItem(s.queryRow(`SELECT `+itemSelect+itemFrom+`WHERE items.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("read item %s: %w", id, err)
	}
	return it, true, nil
}

// EachItem calls fn for every non-pruned item, newest first (published, else
// updated, else first seen; ties by id). Rows are streamed, not loaded all at
// once. An error from fn stops the walk and is returned as is.
//
// fn may call other Store methods, including writes.
func (s *Store) EachItem(fn func(Item) error) error {
	return s.eachItem(itemFrom, `items.pruned = 0`, nil, fn)
}

// EachRendered calls fn with the id and the rendered post (Item.Rendered)
// of every non-pruned item, newest first like EachItem. It is what a
// whole-site build needs: reading one column instead of the whole row skips
// copying the raw content and decoding the other fields of 10,000 items.
// rendered is empty for an item stored before rendered posts were kept.
//
// rendered is only valid until fn returns (it points into the driver's
// buffer): fn must copy what it keeps, as json.Unmarshal does. fn may call
// other Store methods, including writes.
func (s *Store) EachRendered(fn func(id string, rendered []byte) error) error {
	rows, err := s.r.Query(bind(`SELECT items.id, COALESCE(posts.rendered, '')
		FROM items LEFT JOIN posts ON posts.id = items.id
		WHERE items.pruned = 0 ORDER BY items.sort_date DESC, items.id`))
	if err != nil {
		return fmt.Errorf("list rendered posts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var rendered sql.RawBytes
		if err := rows.Scan(&id, &rendered); err != nil {
			return fmt.Errorf("list rendered posts: %w", err)
		}
		if err := fn(id, rendered); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list rendered posts: %w", err)
	}
	return nil
}

// PostBody returns the body kept for item id's rendered post, and the
// rendered post itself (Item.Rendered), which holds the body instead for an
// item stored before bodies had a column of their own.
func (s *Store) PostBody(id string) (body string, rendered []byte, err error) {
	err = s.queryRow(`SELECT COALESCE(posts.body, ''), COALESCE(posts.rendered, '')
		FROM items LEFT JOIN posts ON posts.id = items.id WHERE items.id = ?`, id).Scan(&body, &rendered)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("rendered post %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("rendered post %s: %w", id, err)
	}
	return body, rendered, nil
}

// PendingItems returns the live items whose outputs are not yet confirmed
// written, newest first.
func (s *Store) PendingItems() ([]Item, error) {
	var out []Item
	// From the (short) pending table to the items, not the other way: a
	// CROSS JOIN keeps SQLite from walking every live item to find them.
	from := ` FROM pending CROSS JOIN items LEFT JOIN posts ON posts.id = items.id `
	err := s.eachItem(from, `items.id = pending.id AND items.pruned = 0`, nil, func(it Item) error {
		out = append(out, it)
		return nil
	})
	return out, err
}

// eachItem streams the items matching where (a SQL condition using `?` for
// args) over from (itemFrom, or a join that includes it), newest first.
// Further listings (e.g. retention candidates) are one call to it.
func (s *Store) eachItem(from, where string, args []any, fn func(Item) error) error {
	rows, err := s.r.Query(bind(`SELECT `+itemSelect+from+`WHERE `+where+
		` ORDER BY items.sort_date DESC, items.id`), args...)
	if err != nil {
		return fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return fmt.Errorf("list items: %w", err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list items: %w", err)
	}
	return nil
}

// CountItems counts the non-pruned items of sourceKey, or of all sources when
// sourceKey is "".
func (s *Store) CountItems(sourceKey string) (int, error) {
	q, args := `SELECT COUNT(*) FROM items WHERE pruned = 0`, []any{}
	if sourceKey != "" {
		q, args = q+` AND source_key = ?`, append(args, sourceKey)
	}
	var n int
	if err := s.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count items of %q: %w", sourceKey, err)
	}
	return n, nil
}

// DedupeHit is the item FindByDedupeKeys chose for a key.
type DedupeHit struct{ ID, SourceKey string }

// FindByDedupeKeys returns, for each of keys, an item stored under it, in
// one query (a source's new items are checked together). Pruned items count
// too (a pruned item must not come back through another source), but a live
// item is preferred over a pruned one, then the first seen; Item(id) tells
// which it is. Keys with no item, and the empty key, are absent from the map.
func (s *Store) FindByDedupeKeys(keys []string) (map[string]DedupeHit, error) {
	out := map[string]DedupeHit{}
	var want []string
	for _, k := range keys {
		if k != "" {
			want = append(want, k)
		}
	}
	for batch := range slices.Chunk(want, maxInList) {
		rows, err := s.r.Query(bind(`SELECT dedupe_key, id, source_key FROM items
			WHERE dedupe_key IN (`+placeholders(len(batch))+`)
			ORDER BY dedupe_key, pruned, first_seen, id`), appendArgs(nil, batch)...)
		if err != nil {
			return nil, fmt.Errorf("find dedupe keys: %w", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var key string
				var hit DedupeHit
				if err := rows.Scan(&key, &hit.ID, &hit.SourceKey); err != nil {
					return err
				}
				if _, seen := out[key]; !seen { // the first row of a key is the preferred one
					out[key] = hit
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("find dedupe keys: %w", err)
		}
	}
	return out, nil
}

// MarkWritten records that the outputs of these items are written (Pending
// false). Unknown ids are ignored.
func (s *Store) MarkWritten(ids []string) error {
	if err := s.updateIDs(`DELETE FROM pending WHERE id IN `, ids); err != nil {
		return fmt.Errorf("mark items written: %w", err)
	}
	return nil
}

// Prune marks items as removed by retention. The row stays, with its
// identity (id, source, guid, link, title, dedupe key, hash), so the item is
// never imported again; its content, fulltext, images and categories are
// cleared to give the space back. Unknown ids are ignored.
func (s *Store) Prune(ids []string) error {
	err := s.updateIDs(`UPDATE items SET pruned = 1, content = '', fulltext = '',
		images = '', categories = '' WHERE id IN `, ids, `DELETE FROM pending WHERE id IN `, `DELETE FROM posts WHERE id IN `)
	if err != nil {
		return fmt.Errorf("prune items: %w", err)
	}
	return nil
}

// updateIDs runs each of updates (each ending in "IN ") for ids, in
// batches, all in one transaction.
func (s *Store) updateIDs(update string, ids []string, more ...string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.w.Begin()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	for _, u := range append([]string{update}, more...) {
		for batch := range slices.Chunk(ids, maxInList) {
			q := bind(u + `(` + placeholders(len(batch)) + `)`)
			if _, err := tx.Exec(q, appendArgs(nil, batch)...); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// SetFulltext stores the extracted article HTML of a live item.
func (s *Store) SetFulltext(id, html string) error {
	res, err := s.w.Exec(bind(`UPDATE items SET fulltext = ? WHERE id = ? AND pruned = 0`), html, id)
	if err != nil {
		return fmt.Errorf("set fulltext of %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set fulltext of %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("set fulltext of %s: %w (or pruned)", id, ErrNotFound)
	}
	return nil
}

// ---- value conversions ----

// timeLayout is fixed-width UTC with nanoseconds, so stored times sort
// correctly as text (RFC3339Nano trims trailing zeros and would not) and
// come back exactly as saved. Years 0000–9999 fit.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// timeValue converts t to its stored form: nil (NULL) for the zero time.
func timeValue(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %s out of the storable range (years 0–9999)", t)
	}
	return t.Format(timeLayout), nil
}

func parseTime(v sql.NullString) (time.Time, error) {
	if !v.Valid || v.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, v.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", v.String, err)
	}
	return t.UTC(), nil
}

// encodeJSON stores v as JSON text, or "" when empty (read back as nil).
func encodeJSON(v any, empty bool) (string, error) {
	if empty {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func decodeJSON(s string, dst any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), dst)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func appendArgs(args []any, ids []string) []any {
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}
