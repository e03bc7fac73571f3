package pipeline

import (
	"time"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/parse"
)

// writtenDate returns the date in the post file that an item new to the
// store already has, when the item has no date of its own.
//
// Such an item's post is dated by when feedpost first saw it, and only the
// store remembers that. A store can be lost while the posts live on — the
// usual case is a scheduled CI job whose cached store was evicted while the
// posts are committed in the blog's repository. Post ids do not depend on
// the store, so the item maps to the same file; taking that file's date as
// first seen makes the re-run render the same bytes, and leave the file (and
// its mtime) alone instead of re-dating the post to today.
func (r *Runner) writtenDate(id string, it *parse.Item) (time.Time, bool) {
	if !it.Published.IsZero() || !it.Updated.IsZero() {
		return time.Time{}, false
	}
	if r.hexo.Dir != "" {
		if t, err := hexo.Date(r.hexo.Dir, id); err == nil {
			return t.UTC(), true
		}
	}
	if r.hugo.Dir != "" {
		if t, err := hugo.Date(r.hugo.Dir, id); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
