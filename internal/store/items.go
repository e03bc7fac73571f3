package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

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
	// Fingerprint names the settings Rendered was made under (opaque to
	// the store); a builder whose settings give another fingerprint
	// renders the item again.
	Fingerprint string
}

// SortDate is the item's date under post.SortDate.
func (it *Item) SortDate() time.Time { return post.SortDate(it.Published, it.Updated, it.FirstSeen) }

// ItemState is what a fetch needs to know about an already stored item to
// classify it as new, updated or unchanged.
type ItemState struct {
	Hash        string
	FirstSeen   time.Time
	Pending     bool
	Pruned      bool
	HasFulltext bool // a non-empty Fulltext is stored: no need to extract it again
}

// itemCols are the columns of an items row, in the order of itemArgs.
const itemCols = `id, source_key, guid, link, title, content, is_text, base, author,
	images, categories, published, updated, first_seen, hash, fulltext, dedupe_key, pruned, feed_title, sort_date`

// itemSelect is what scanItem reads: the columns of items (qualified, for
// the join), the rendered post and whether the item is pending. It goes
// with itemFrom.
const itemSelect = `items.id, source_key, guid, link, title, content, is_text, base, author,
	images, categories, published, updated, first_seen, hash, fulltext, dedupe_key, pruned, feed_title,
	COALESCE(posts.rendered, ''), COALESCE(posts.body, ''), COALESCE(posts.fingerprint, ''), ` + isPending

// itemFrom is the FROM clause of itemSelect.
const itemFrom = ` FROM items LEFT JOIN posts ON posts.id = items.id `

// isPending is an expression of a query on items: 1 when the item's outputs
// are not yet confirmed written. (An integer, not EXISTS itself, which
// PostgreSQL returns as a boolean.)
const isPending = `CASE WHEN EXISTS (SELECT 1 FROM pending WHERE pending.id = items.id) THEN 1 ELSE 0 END`

// ItemStates returns the stored state of those of ids that belong to
// sourceKey; ids never stored are absent from the map.
//
// The rows are looked up by id alone and the source is checked here: given
// `source_key = ?` as well, SQLite walks the source index, i.e. every item
// the source ever had, instead of a few primary-key lookups.
func (s *Store) ItemStates(ctx context.Context, sourceKey string, ids []string) (map[string]ItemState, error) {
	out := make(map[string]ItemState, len(ids))
	for batch := range slices.Chunk(ids, maxInList) {
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, source_key, hash, first_seen, `+isPending+`, pruned,
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

// PutItems inserts or updates items, all in one transaction (all or none),
// and moves the generation on.
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
func (s *Store) PutItems(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.putItems(ctx, tx, items); err != nil {
			return err
		}
		return s.bump(ctx, tx, "")
	})
	if err != nil {
		return fmt.Errorf("put items: %w", err)
	}
	s.signal()
	return nil
}

// putItems is PutItems inside tx. Rows go in a few multi-row statements
// per batch rather than three statements per item: on PostgreSQL each
// statement is a round trip, and a fetch's commit is on the path of every
// source.
func (s *Store) putItems(ctx context.Context, tx *sql.Tx, items []Item) error {
	now := time.Now()
	items = lastByID(items)
	const cols = 20 // len(itemArgs)
	for batch := range slices.Chunk(items, putBatch) {
		args := make([]any, 0, cols*len(batch))
		var pending, written []string
		for i := range batch {
			it := batch[i]
			if it.FirstSeen.IsZero() {
				it.FirstSeen = now
			}
			a, err := itemArgs(it)
			if err != nil {
				return fmt.Errorf("put item %s: %w", it.ID, err)
			}
			args = append(args, a...)
			if it.Pending {
				pending = append(pending, it.ID)
			} else {
				written = append(written, it.ID)
			}
		}
		rows := strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"), ", len(batch)), ", ")
		// RETURNING names the rows written: a pruned row is left alone
		// (the WHERE), its pending flag and rendering included.
		res, err := tx.QueryContext(ctx, s.q(`INSERT INTO items (`+itemCols+`) VALUES `+rows+`
			ON CONFLICT (id) DO UPDATE SET
				source_key = excluded.source_key, guid = excluded.guid, link = excluded.link,
				title = excluded.title, content = excluded.content, is_text = excluded.is_text,
				base = excluded.base, author = excluded.author, images = excluded.images,
				categories = excluded.categories, published = excluded.published,
				updated = excluded.updated, hash = excluded.hash,
				fulltext = CASE WHEN excluded.fulltext <> '' THEN excluded.fulltext ELSE items.fulltext END,
				dedupe_key = excluded.dedupe_key, pruned = excluded.pruned,
				feed_title = excluded.feed_title, sort_date = excluded.sort_date
			WHERE items.pruned = 0
			RETURNING id`), args...)
		if err != nil {
			return fmt.Errorf("put items %s…: %w", batch[0].ID, err)
		}
		live := map[string]bool{}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return fmt.Errorf("put items %s…: %w", batch[0].ID, err)
			}
			live[id] = true
		}
		res.Close()
		if err := res.Err(); err != nil {
			return fmt.Errorf("put items %s…: %w", batch[0].ID, err)
		}
		pending, written = keep(pending, live), keep(written, live)
		if len(pending) > 0 {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO pending (id) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?), ", len(pending)), ", ")+` ON CONFLICT (id) DO NOTHING`), appendArgs(nil, pending)...); err != nil {
				return fmt.Errorf("put items: pending flags: %w", err)
			}
		}
		if len(written) > 0 {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM pending WHERE id IN (`+placeholders(len(written))+`)`), appendArgs(nil, written)...); err != nil {
				return fmt.Errorf("put items: pending flags: %w", err)
			}
		}
		var rs []Rendering
		for _, it := range batch {
			if live[it.ID] {
				rs = append(rs, Rendering{ID: it.ID, Rendered: it.Rendered, Body: it.Body, Fingerprint: it.Fingerprint})
			}
		}
		if err := s.putRenderings(ctx, tx, rs); err != nil {
			return err
		}
	}
	return nil
}

// keep returns the ids of ids that are in set.
func keep(ids []string, set map[string]bool) []string {
	out := ids[:0]
	for _, id := range ids {
		if set[id] {
			out = append(out, id)
		}
	}
	return out
}

// lastByID returns items with one item per id, the last given of each, in
// their order: a multi-row upsert may not touch a row twice on PostgreSQL.
func lastByID(items []Item) []Item {
	last := make(map[string]int, len(items))
	for i := range items {
		last[items[i].ID] = i
	}
	if len(last) == len(items) {
		return items
	}
	out := make([]Item, 0, len(last))
	for i := range items {
		if last[items[i].ID] == i {
			out = append(out, items[i])
		}
	}
	return out
}

// putBatch is how many items one statement of putItems writes (20 values
// each: well under both engines' limits on bound values).
const putBatch = 25

// putRenderings upserts the rendered posts of live items inside tx, a batch
// per statement. (VALUES names its columns column1…column4 in both
// engines.)
func (s *Store) putRenderings(ctx context.Context, tx *sql.Tx, rs []Rendering) error {
	for batch := range slices.Chunk(rs, putBatch*4) {
		args := make([]any, 0, 4*len(batch))
		for _, r := range batch {
			args = append(args, r.ID, text(string(r.Rendered)), text(r.Body), r.Fingerprint)
		}
		rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(batch)), ", ")
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO posts (id, rendered, body, fingerprint)
			SELECT column1, column2, column3, column4 FROM (VALUES `+rows+`) AS v
			WHERE EXISTS (SELECT 1 FROM items WHERE items.id = v.column1 AND items.pruned = 0)
			ON CONFLICT (id) DO UPDATE SET rendered = excluded.rendered, body = excluded.body,
				fingerprint = excluded.fingerprint`), args...); err != nil {
			return fmt.Errorf("put rendered posts %s…: %w", batch[0].ID, err)
		}
	}
	return nil
}

// itemArgs returns the values for itemCols.
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
	var times [4]any
	for i, t := range []time.Time{it.Published, it.Updated, it.FirstSeen, it.SortDate()} {
		if times[i], err = timeValue(t); err != nil {
			return nil, fmt.Errorf("%s: %w", [...]string{"published", "updated", "first seen", "date"}[i], err)
		}
	}
	return []any{it.ID, it.SourceKey, text(it.GUID), text(it.Link), text(it.Title), text(it.Content), boolInt(it.IsText),
		text(it.Base), text(it.Author), images, cats, times[0], times[1], times[2], it.Hash, text(it.Fulltext),
		text(it.DedupeKey), boolInt(it.Pruned), text(it.FeedTitle), times[3]}, nil
}

// text makes s storable in a TEXT column of either engine: PostgreSQL
// refuses the NUL character, so it becomes U+FFFD (on both, so that the
// backends store the same strings).
func text(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func scanItem(sc scanner) (Item, error) {
	var it Item
	var isText, pending, pruned int
	var images, cats, rendered string
	var published, updated, first sql.NullString
	err := sc.Scan(&it.ID, &it.SourceKey, &it.GUID, &it.Link, &it.Title, &it.Content, &isText,
		&it.Base, &it.Author, &images, &cats, &published, &updated, &first, &it.Hash, &it.Fulltext,
		&it.DedupeKey, &pruned, &it.FeedTitle, &rendered, &it.Body, &it.Fingerprint, &pending)
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
func (s *Store) Item(ctx context.Context, id string) (Item, bool, error) {
	it, err := scanItem(s.queryRow(ctx, `SELECT `+itemSelect+itemFrom+`WHERE items.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("read item %s: %w", id, err)
	}
	return it, true, nil
}

// EachItem calls fn for every non-pruned item, newest first (post.SortDate;
// ties by id). Rows are streamed, not loaded all at once. An error from fn
// stops the walk and is returned as is.
//
// fn may call other Store methods, including writes.
func (s *Store) EachItem(ctx context.Context, fn func(Item) error) error {
	return s.eachItem(ctx, itemFrom, `items.pruned = 0`, nil, fn)
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
func (s *Store) EachRendered(ctx context.Context, fn func(id string, rendered []byte) error) error {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT items.id, COALESCE(posts.rendered, '')
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

// EachFingerprint calls fn with the id, source and rendering fingerprint of
// every non-pruned item ("" when no rendering is stored): the few bytes a
// builder reads to find the posts a config change made stale.
func (s *Store) EachFingerprint(ctx context.Context, fn func(id, sourceKey, fingerprint string) error) error {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT items.id, items.source_key, COALESCE(posts.fingerprint, '')
		FROM items LEFT JOIN posts ON posts.id = items.id WHERE items.pruned = 0 ORDER BY items.id`))
	if err != nil {
		return fmt.Errorf("list fingerprints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, src, fp string
		if err := rows.Scan(&id, &src, &fp); err != nil {
			return fmt.Errorf("list fingerprints: %w", err)
		}
		if err := fn(id, src, fp); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list fingerprints: %w", err)
	}
	return nil
}

// PostBody returns the body kept for item id's rendered post, and the
// rendered post itself (Item.Rendered), which holds the body instead for an
// item stored before bodies had a column of their own.
func (s *Store) PostBody(ctx context.Context, id string) (body string, rendered []byte, err error) {
	err = s.queryRow(ctx, `SELECT COALESCE(posts.body, ''), COALESCE(posts.rendered, '')
		FROM items LEFT JOIN posts ON posts.id = items.id WHERE items.id = ?`, id).Scan(&body, &rendered)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("rendered post %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("rendered post %s: %w", id, err)
	}
	return body, rendered, nil
}

// Rendering is a post rendered by the builder, for SaveRenderings.
type Rendering struct {
	ID          string
	Rendered    []byte
	Body        string
	Fingerprint string
}

// SaveRenderings replaces the stored renderings of live items (after a
// config change) in one transaction and moves the generation on.
func (s *Store) SaveRenderings(ctx context.Context, rs []Rendering) error {
	if len(rs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.putRenderings(ctx, tx, rs); err != nil {
			return err
		}
		return s.bump(ctx, tx, "")
	})
	if err != nil {
		return fmt.Errorf("save renderings: %w", err)
	}
	s.signal()
	return nil
}

// PendingItems returns the live items whose outputs are not yet confirmed
// written, in id order: up to limit of them (0: all) with an id after
// `after`, so that a builder writes them in batches without loading them
// all.
func (s *Store) PendingItems(ctx context.Context, after string, limit int) ([]Item, error) {
	var out []Item
	// From the (short) pending table to the items, not the other way: a
	// CROSS JOIN keeps SQLite from walking every live item to find them.
	q := `SELECT ` + itemSelect + ` FROM pending CROSS JOIN items LEFT JOIN posts ON posts.id = items.id
		WHERE items.id = pending.id AND items.pruned = 0 AND pending.id > ? ORDER BY pending.id`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list pending items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list pending items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending items: %w", err)
	}
	return out, nil
}

// eachItem streams the items matching where (a SQL condition using `?` for
// args) over from (itemFrom, or a join that includes it), newest first.
func (s *Store) eachItem(ctx context.Context, from, where string, args []any, fn func(Item) error) error {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+itemSelect+from+`WHERE `+where+
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
func (s *Store) CountItems(ctx context.Context, sourceKey string) (int, error) {
	q, args := `SELECT COUNT(*) FROM items WHERE pruned = 0`, []any{}
	if sourceKey != "" {
		q, args = q+` AND source_key = ?`, append(args, sourceKey)
	}
	var n int
	if err := s.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count items of %q: %w", sourceKey, err)
	}
	return n, nil
}

// MarkWritten records that the outputs of these items are written (Pending
// false). Unknown ids are ignored.
func (s *Store) MarkWritten(ctx context.Context, ids []string) error {
	if err := s.updateIDs(ctx, false, `DELETE FROM pending WHERE id IN `, ids); err != nil {
		return fmt.Errorf("mark items written: %w", err)
	}
	return nil
}

// Prune marks items as removed by retention and moves the generation on.
// The row stays, with its identity (id, source, guid, link, title, dedupe
// key, hash), so the item is never imported again; its content, fulltext,
// images, categories and rendered post are cleared to give the space back.
// Unknown ids are ignored.
func (s *Store) Prune(ctx context.Context, ids []string) error {
	err := s.updateIDs(ctx, true, `UPDATE items SET pruned = 1, content = '', fulltext = '',
		images = '', categories = '' WHERE id IN `, ids, `DELETE FROM pending WHERE id IN `, `DELETE FROM posts WHERE id IN `,
		`DELETE FROM post_images WHERE post_id IN `)
	if err != nil {
		return fmt.Errorf("prune items: %w", err)
	}
	s.signal()
	return nil
}

// updateIDs runs each of updates (each ending in "IN ") for ids, in
// batches, all in one transaction; bump moves the generation on with them.
func (s *Store) updateIDs(ctx context.Context, bump bool, update string, ids []string, more ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, u := range append([]string{update}, more...) {
			for batch := range slices.Chunk(ids, maxInList) {
				q := s.q(u + `(` + placeholders(len(batch)) + `)`)
				if _, err := tx.ExecContext(ctx, q, appendArgs(nil, batch)...); err != nil {
					return err
				}
			}
		}
		if bump {
			return s.bump(ctx, tx, "")
		}
		return nil
	})
}

// SetFulltext stores the extracted article HTML of a live item.
func (s *Store) SetFulltext(ctx context.Context, id, html string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE items SET fulltext = ? WHERE id = ? AND pruned = 0`), html, id)
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
