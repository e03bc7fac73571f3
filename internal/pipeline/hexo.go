package pipeline

import (
	"context"
	"net/url"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/store"
)

// hexoOptions are the Hexo writer's options for the `hexo:` block, whose
// theme preset config has already applied.
func hexoOptions(h config.Hexo) hexo.Options {
	return hexo.Options{Dir: h.Dir, CoverKeys: h.CoverKeys, CardKey: h.CardKey, Comments: h.Comments, EscapeBraces: h.EscapeBraces,
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
// The builder calls it (it writes the outputs). It returns a note for the
// summary instead of failing the build: the posts are written, only the
// theme's author card lacks an entry.
func (r *Runner) writeAuthors(ctx context.Context) string {
	path := r.cfg.Hexo.AuthorsFile
	if path == "" || r.cfg.Hexo.Dir == "" {
		return ""
	}
	states, err := r.st.Sources(ctx)
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
		// The same label as the posts' author (Render), which is what the
		// theme looks the card up by; inert, as themes print it raw.
		name := firstNonEmpty(content.Label(src.Author), content.Label(st.FeedTitle), content.Label(src.Key))
		avatar := st.Meta[metaFeedIcon]
		if avatar == "" {
			avatar = favicon(st.FeedLink)
		}
		if avatar != "" {
			avatar = content.ProxyImage(avatar, r.copt)
		}
		authors = append(authors, hexo.Author{Key: name, Name: name, Avatar: content.SafeURL(avatar), URL: content.SafeURL(st.FeedLink)})
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
