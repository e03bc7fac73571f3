package content

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// Cover picks an item's cover (docs/post-format.md, "Cover"): the first of
// feedImages (already in that order: media:thumbnail, media:content,
// enclosure, JSON image, banner_image) that is an absolute http(s) URL (or
// a file: URL, which the parser keeps only for a local feed's images),
// else the first body image,
// else defaultCover with every "{n}" replaced by CoverNumber(postID), else
// "". It returns the original URL; the caller proxies it with ProxyImage.
func Cover(feedImages []string, firstBodyImage, defaultCover, postID string) string {
	for _, u := range feedImages {
		u = strings.TrimSpace(u)
		if s := schemeOf(u); (s == "http" || s == "https" || s == "file") && len(u) > len(s)+3 && u[len(s):len(s)+3] == "://" {
			return u
		}
	}
	if firstBodyImage != "" {
		return firstBodyImage
	}
	if defaultCover == "" {
		return ""
	}
	return strings.ReplaceAll(defaultCover, "{n}", strconv.Itoa(CoverNumber(postID)))
}

// CoverNumber derives a number in 1..1000 from a post id, so that an item
// without an image always gets the same default cover: the first 8 hex
// digits of the id (post ids are hex) mod 1000, plus 1; an id that does not
// start with 8 hex digits is hashed with FNV-1a instead.
func CoverNumber(postID string) int {
	if len(postID) >= 8 {
		if v, err := strconv.ParseUint(postID[:8], 16, 32); err == nil {
			return int(v%1000) + 1
		}
	}
	h := fnv.New32a()
	h.Write([]byte(postID))
	return int(h.Sum32()%1000) + 1
}
