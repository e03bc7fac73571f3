package pipeline

import (
	"fmt"
	"net/url"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// hexoOptions are the Hexo writer's options for the `hexo:` block, whose
// theme preset config has already applied.
func hexoOptions(h config.Hexo) hexo.Options {
	return hexo.Options{Dir: h.Dir, CoverKeys: h.CoverKeys, Comments: h.Comments, EscapeBraces: h.EscapeBraces,
		LinkKey: h.LinkKey, LinkStyle: h.LinkStyle, AuthorKey: h.AuthorKey, SiteKey: h.SiteKey,
		LinkText: h.LinkText, NameSource: h.NameSource, FullwidthPercent: h.FullwidthPercent}
}

// metaFeedIcon keeps the feed's icon in the source's Meta, for the author
// entries of hexo.authors_file.
const metaFeedIcon = "feed_icon"

func setFeedIcon(state *store.Source, icon string) {
	if icon == "" {
		delete(state.Meta, metaFeedIcon)
		return
	}
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	state.Meta[metaFeedIcon] = icon
}

// writeAuthors keeps hexo.authors_file: an entry for the author of every
// source's posts (the name Render writes in `author:`), with the feed's
// icon as the avatar (else the site's favicon) and its site as the link.
// Only absent entries and fields are added; the user's own never change.
// It returns a warning for the summary instead of failing the run: the
// posts are written, only the theme's author card lacks an entry.
func (r *Runner) writeAuthors() string {
	path := r.cfg.Hexo.AuthorsFile
	if path == "" || r.cfg.Hexo.Dir == "" {
		return ""
	}
	states, err := r.st.Sources()
	if err != nil {
		return "authors file " + path + ": " + err.Error()
	}
	byKey := make(map[string]store.Source, len(states))
	for _, s := range states {
		byKey[s.Key] = s
	}
	var authors []hexo.Author
	for i := range r.cfg.Sources {
		src := &r.cfg.Sources[i]
		st, fetched := byKey[src.Key]
		if !fetched || st.FeedTitle == "" && st.LastStatus == "" {
			continue // no posts yet
		}
		name := firstNonEmpty(src.Author, st.FeedTitle, src.Key)
		avatar := st.Meta[metaFeedIcon]
		if avatar == "" {
			avatar = favicon(st.FeedLink)
		}
		if avatar != "" {
			avatar = content.ProxyImage(avatar, r.copt)
		}
		authors = append(authors, hexo.Author{Key: name, Name: name, Avatar: avatar, URL: st.FeedLink})
	}
	if _, err := hexo.UpdateAuthors(path, authors); err != nil {
		return err.Error()
	}
	return ""
}

// favicon is /favicon.ico of the site at link, "" when link is not an
// absolute http(s) URL.
func favicon(link string) string {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/favicon.ico"
}

// writePostsBySource is writePosts, counting the files written per source.
func (r *Runner) writePostsBySource(items []store.Item, posts []post.Post) (map[string]int, error) {
	written := map[string]int{}
	var keys []string
	group := map[string][]int{}
	for i := range items {
		k := items[i].SourceKey
		if _, ok := group[k]; !ok {
			keys = append(keys, k)
		}
		group[k] = append(group[k], i)
	}
	for _, k := range keys {
		its := make([]store.Item, 0, len(group[k]))
		ps := make([]post.Post, 0, len(group[k]))
		for _, i := range group[k] {
			its = append(its, items[i])
			ps = append(ps, posts[i])
		}
		n, err := r.writePosts(its, ps)
		written[k] += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// addRecovered counts the post files that finishing an earlier run's
// pending items wrote (recovered, by source key): in the total, and in the
// row of their source, which is "ok" then, not "unchanged": files were
// written for it.
func (s *Summary) addRecovered(recovered map[string]int) {
	for key, n := range recovered {
		if n == 0 {
			continue
		}
		s.PostsWritten += n
		for i := range s.Sources {
			r := &s.Sources[i]
			if r.Name != key {
				continue
			}
			r.Written += n
			if r.Status == StatusUnchanged {
				r.Status = StatusOK
			}
			r.Note = joinNote(r.Note, fmt.Sprintf("wrote %d post files an earlier run left pending", n))
		}
	}
}
