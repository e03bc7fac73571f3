package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Image is what the store knows of one image URL a post named, in mirror
// mode (images.proxy: mirror).
type Image struct {
	URL    string
	Name   string // the mirrored file: hex SHA-256 + extension; "" while not mirrored
	Size   int64
	Width  int
	Height int
	// Thumb is the cover thumbnail's file name, made for images.thumbnail
	// ThumbSpec ("480x270"); "" when none was made.
	Thumb     string
	ThumbSpec string
	// Failures counts the failed tries in a row; NextTry is when the image
	// may be tried again, LastError why it failed.
	Failures  int
	LastError string
	NextTry   time.Time
}

// Mirrored reports whether the image has a file.
func (im Image) Mirrored() bool { return im.Name != "" }

// PostImage is one image a post uses: in its body, or as its cover.
type PostImage struct {
	URL   string
	Cover bool
}

const imageCols = `url, name, size, width, height, thumb, thumb_spec, failures, last_error, next_try`

func scanImage(sc scanner) (Image, error) {
	var im Image
	var next sql.NullString
	if err := sc.Scan(&im.URL, &im.Name, &im.Size, &im.Width, &im.Height, &im.Thumb, &im.ThumbSpec,
		&im.Failures, &im.LastError, &next); err != nil {
		return im, err
	}
	var err error
	im.NextTry, err = parseTime(next)
	return im, err
}

// Images returns the stored images among urls, by URL; URLs never stored
// are absent.
func (s *Store) Images(ctx context.Context, urls []string) (map[string]Image, error) {
	out := make(map[string]Image, len(urls))
	for batch := range slices.Chunk(urls, maxInList) {
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+imageCols+` FROM images WHERE url IN (`+placeholders(len(batch))+`)`),
			appendArgs(nil, batch)...)
		if err != nil {
			return nil, fmt.Errorf("read images: %w", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				im, err := scanImage(rows)
				if err != nil {
					return err
				}
				out[im.URL] = im
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("read images: %w", err)
		}
	}
	return out, nil
}

// PutImages inserts or replaces images, in one transaction; of two with
// the same URL the last counts.
func (s *Store) PutImages(ctx context.Context, images []Image) error {
	if len(images) == 0 {
		return nil
	}
	last := make(map[string]int, len(images))
	for i, im := range images {
		last[im.URL] = i
	}
	if len(last) < len(images) {
		uniq := make([]Image, 0, len(last))
		for i, im := range images {
			if last[im.URL] == i {
				uniq = append(uniq, im)
			}
		}
		images = uniq
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for batch := range slices.Chunk(images, putBatch) {
			args := make([]any, 0, 10*len(batch))
			for _, im := range batch {
				next, err := timeValue(im.NextTry)
				if err != nil {
					return err
				}
				args = append(args, text(im.URL), im.Name, im.Size, im.Width, im.Height, im.Thumb, im.ThumbSpec,
					im.Failures, text(im.LastError), next)
			}
			rows := strings.TrimSuffix(strings.Repeat("("+placeholders(10)+"), ", len(batch)), ", ")
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO images (`+imageCols+`) VALUES `+rows+`
				ON CONFLICT (url) DO UPDATE SET name = excluded.name, size = excluded.size,
					width = excluded.width, height = excluded.height, thumb = excluded.thumb,
					thumb_spec = excluded.thumb_spec, failures = excluded.failures,
					last_error = excluded.last_error, next_try = excluded.next_try`), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put images: %w", err)
	}
	return nil
}

// SaveMirrored stores the renderings of posts made with their images
// mirrored (SaveRenderings) together with the images each post uses,
// which replace the ones recorded before, in one transaction.
func (s *Store) SaveMirrored(ctx context.Context, rs []Rendering, uses map[string][]PostImage) error {
	if len(rs) == 0 && len(uses) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids := make([]string, 0, len(uses))
		for id := range uses {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for batch := range slices.Chunk(ids, maxInList) {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM post_images WHERE post_id IN (`+placeholders(len(batch))+`)`),
				appendArgs(nil, batch)...); err != nil {
				return err
			}
		}
		var args []any
		n := 0
		flush := func() error {
			if n == 0 {
				return nil
			}
			rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO post_images (post_id, url, cover) VALUES `+rows+`
				ON CONFLICT (post_id, url) DO UPDATE SET cover = excluded.cover`), args...)
			args, n = args[:0], 0
			return err
		}
		for _, id := range ids {
			seen := map[string]int{}
			for _, u := range uses[id] {
				if i, dup := seen[u.URL]; dup { // the cover is also in the body: one row, marked cover
					if u.Cover {
						args[i+2] = 1
					}
					continue
				}
				seen[u.URL] = len(args)
				args = append(args, id, text(u.URL), boolInt(u.Cover))
				if n++; n >= 100 {
					if err := flush(); err != nil {
						return err
					}
					seen = map[string]int{}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if len(rs) > 0 {
			if err := s.putRenderings(ctx, tx, rs); err != nil {
				return err
			}
			return s.bump(ctx, tx, "")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save mirrored posts: %w", err)
	}
	s.signal()
	return nil
}

// DueImages returns the URLs of images not mirrored yet whose next try
// has come (at now), used by a live post, at most limit of them.
func (s *Store) DueImages(ctx context.Context, now time.Time, limit int) ([]string, error) {
	t, err := timeValue(now)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT url FROM images
		WHERE name = '' AND next_try IS NOT NULL AND next_try <= ?
			AND EXISTS (SELECT 1 FROM post_images JOIN items ON items.id = post_images.post_id
				WHERE post_images.url = images.url AND items.pruned = 0)
		ORDER BY next_try, url LIMIT ?`), t, limit)
	if err != nil {
		return nil, fmt.Errorf("list images due for a try: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("list images due for a try: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// MarkPendingUsing makes the live posts that use any of urls pending, so
// that the builder writes them again (an image arrived), and returns how
// many it marked.
func (s *Store) MarkPendingUsing(ctx context.Context, urls []string) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for batch := range slices.Chunk(urls, maxInList) {
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO pending (id) SELECT DISTINCT post_images.post_id
				FROM post_images JOIN items ON items.id = post_images.post_id
				WHERE post_images.url IN (`+placeholders(len(batch))+`) AND items.pruned = 0
				ON CONFLICT (id) DO NOTHING`), appendArgs(nil, batch)...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark the posts of arrived images pending: %w", err)
	}
	s.signal()
	return total, nil
}

// MarkPending makes these live items pending (nil: every live item), so
// that the builder renders and writes them again.
func (s *Store) MarkPending(ctx context.Context, ids []string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if ids == nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO pending (id) SELECT id FROM items WHERE pruned = 0 ON CONFLICT (id) DO NOTHING`)
			return err
		}
		for batch := range slices.Chunk(ids, maxInList) {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO pending (id) SELECT id FROM items
				WHERE pruned = 0 AND id IN (`+placeholders(len(batch))+`) ON CONFLICT (id) DO NOTHING`),
				appendArgs(nil, batch)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark items pending: %w", err)
	}
	return nil
}

// UsedImageNames returns the file names that live posts use: mirrored
// images, and the thumbnails of those that are a live post's cover.
func (s *Store) UsedImageNames(ctx context.Context) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT images.name,
			CASE WHEN post_images.cover = 1 THEN images.thumb ELSE '' END FROM images
		JOIN post_images ON post_images.url = images.url
		JOIN items ON items.id = post_images.post_id
		WHERE items.pruned = 0 AND images.name <> ''`)
	if err != nil {
		return nil, fmt.Errorf("list used images: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name, thumb string
		if err := rows.Scan(&name, &thumb); err != nil {
			return nil, fmt.Errorf("list used images: %w", err)
		}
		out[name] = true
		if thumb != "" {
			out[thumb] = true
		}
	}
	return out, rows.Err()
}

// DeleteUnusedImages forgets the images no live post uses (their files
// are the caller's to remove) and the uses of pruned posts; it returns
// how many images it forgot.
func (s *Store) DeleteUnusedImages(ctx context.Context) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM post_images WHERE NOT EXISTS
			(SELECT 1 FROM items WHERE items.id = post_images.post_id AND items.pruned = 0)`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM images WHERE NOT EXISTS
			(SELECT 1 FROM post_images WHERE post_images.url = images.url)`)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("forget unused images: %w", err)
	}
	return int(n), nil
}
