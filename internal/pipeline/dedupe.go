package pipeline

import (
	"time"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/dedupe"
	"github.com/feedpost/feedpost/internal/parse"
)

// dedupeKey is the cross-source identity of an item under `dedupe:`: its
// normalised link, or its normalised title; "" when dedupe is off or the
// item has none. The store applies it when it commits a fetch.
func (r *Runner) dedupeKey(it *parse.Item) string {
	switch r.cfg.Dedupe {
	case "link":
		return dedupe.LinkKey(it.Link)
	case "title":
		if k := dedupe.TitleKey(content.Title(it.Title)); k != "" {
			return "title:" + k
		}
	}
	return ""
}

// sameStory is the store's rule for two items with the same dedupe key:
// the same link is the same story; the same title only within
// dedupe.TitleWindow.
func (r *Runner) sameStory() func(a, b time.Time) bool {
	if r.cfg.Dedupe == "title" {
		return dedupe.SameStory
	}
	return nil
}
