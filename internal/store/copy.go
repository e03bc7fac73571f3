package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// copyTables are the tables Copy moves, with their key and columns. The
// host slots are not copied (they live for one request), nor are leases
// (the sources' lease columns start free in the target).
var copyTables = []struct {
	name string
	key  string
	cols []string
}{
	{"sources", "key", []string{"key", "url", "etag", "last_modified", "feed_title", "feed_link", "last_status",
		"last_error", "failures", "last_fetch", "next_fetch", "meta", "enabled"}},
	{"items", "id", []string{"id", "source_key", "guid", "link", "title", "is_text", "base", "author", "images",
		"categories", "published", "updated", "first_seen", "sort_date", "hash", "dedupe_key", "pruned", "feed_title",
		"content", "fulltext"}},
	{"posts", "id", []string{"id", "rendered", "body", "fingerprint"}},
	{"pending", "id", []string{"id"}},
	{"kv", "name", []string{"name", "value"}},
	{"images", "url", []string{"url", "name", "size", "width", "height", "thumb", "thumb_spec", "failures",
		"last_error", "next_try"}},
	{"post_images", "post_id, url", []string{"post_id", "url", "cover"}},
}

// CopyCount is one table's rows in the source store and in the target
// after a Copy.
type CopyCount struct {
	Table    string
	From, To int
}

// copyBatch is how many rows one transaction of Copy writes.
const copyBatch = 500

// Copy copies everything feedpost keeps from one store into another (SQLite
// into PostgreSQL when moving up, or back), table by table in batches,
// replacing rows of the same key: running it again copies the same rows
// again and changes nothing. The target's generation becomes at least the
// source's. At the end the rows of every table are counted on both sides;
// a difference (the target held other data) is an error.
func Copy(ctx context.Context, from, to *Store) ([]CopyCount, error) {
	var counts []CopyCount
	for _, t := range copyTables {
		cols := strings.Join(t.cols, ", ")
		var set []string
		for _, c := range t.cols[1:] {
			set = append(set, c+" = excluded."+c)
		}
		upsert := `INSERT INTO ` + t.name + ` (` + cols + `) VALUES (` + placeholders(len(t.cols)) + `) ON CONFLICT (` + t.key + `) DO `
		if len(set) == 0 {
			upsert += `NOTHING`
		} else {
			upsert += `UPDATE SET ` + strings.Join(set, ", ")
		}
		rows, err := from.r.QueryContext(ctx, `SELECT `+cols+` FROM `+t.name+` ORDER BY `+t.key)
		if err != nil {
			return counts, fmt.Errorf("copy %s: read %s: %w", t.name, from.name, err)
		}
		err = func() error {
			defer rows.Close()
			var batch [][]any
			flush := func() error {
				err := to.inTx(ctx, func(tx *sql.Tx) error {
					stmt, err := tx.PrepareContext(ctx, to.q(upsert))
					if err != nil {
						return err
					}
					defer stmt.Close()
					for _, r := range batch {
						if _, err := stmt.ExecContext(ctx, r...); err != nil {
							return err
						}
					}
					return nil
				})
				batch = batch[:0]
				return err
			}
			for rows.Next() {
				vals := make([]any, len(t.cols))
				ptrs := make([]any, len(t.cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
				for i, v := range vals {
					if b, ok := v.([]byte); ok { // SQLite hands TEXT back as bytes at times
						vals[i] = string(b)
					}
				}
				if batch = append(batch, vals); len(batch) >= copyBatch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if len(batch) > 0 {
				return flush()
			}
			return nil
		}()
		if err != nil {
			return counts, fmt.Errorf("copy %s from %s to %s: %w", t.name, from.name, to.name, err)
		}
	}
	gen, err := from.Generation(ctx)
	if err != nil {
		return counts, err
	}
	// The target's generation (a sum of rows) is raised to the source's,
	// never lowered: a builder of the target must not take it for built.
	toGen, err := to.Generation(ctx)
	if err != nil {
		return counts, err
	}
	if toGen < gen {
		if _, err := to.w.ExecContext(ctx, to.q(`UPDATE counters SET value = value + ? WHERE name = 'generation'`), gen-toGen); err != nil {
			return counts, fmt.Errorf("copy the generation to %s: %w", to.name, err)
		}
	}
	var mismatch []string
	for _, t := range copyTables {
		c := CopyCount{Table: t.name}
		if err := from.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&c.From); err != nil {
			return counts, fmt.Errorf("count %s in %s: %w", t.name, from.name, err)
		}
		if err := to.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&c.To); err != nil {
			return counts, fmt.Errorf("count %s in %s: %w", t.name, to.name, err)
		}
		counts = append(counts, c)
		if c.From != c.To {
			mismatch = append(mismatch, fmt.Sprintf("%s: %d rows in %s, %d in %s", t.name, c.From, from.name, c.To, to.name))
		}
	}
	if len(mismatch) > 0 {
		return counts, fmt.Errorf("copy from %s to %s: the counts differ (the target holds other data?): %s",
			from.name, to.name, strings.Join(mismatch, "; "))
	}
	return counts, nil
}
