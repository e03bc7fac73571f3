package parse

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, crash the third-party
// parser, return text that is not UTF-8, or fail with an error callers cannot
// classify.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{rss20, rdf10, rss091, atom10, atom03, json10, json11,
		"", "<html><title>x</title></html>", "\xEF\xBB\xBF<rss><channel><title>t</title></channel></rss>"} {
		f.Add([]byte(seed), "")
	}
	f.Add([]byte(gbk(`<?xml version="1.0" encoding="gbk"?><rss><channel><title>中文</title></channel></rss>`)), "")
	f.Add([]byte(gbk(`<rss><channel><title>中文</title></channel></rss>`)), "text/xml; charset=gbk")
	f.Add([]byte(utf16le(`<?xml version="1.0" encoding="utf-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>`)), "")

	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		feed, err := Parse(data, contentType, "https://example.com/feed", Options{})
		if err != nil {
			if errors.Is(err, errCrash) {
				t.Fatalf("parser crashed: %v", err)
			}
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotFeed) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error %q", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message %q is not UTF-8", err)
			}
			return
		}
		texts := []string{feed.Title, feed.Link}
		for _, it := range feed.Items {
			texts = append(texts, it.GUID, it.Link, it.Title, it.Content, it.Summary, it.Author, it.Base)
			texts = append(texts, it.Categories...)
			for _, img := range it.Images {
				if !isHTTP(img) {
					t.Fatalf("image %q is not http(s)", img)
				}
			}
		}
		for _, s := range texts {
			if !utf8.ValidString(s) {
				t.Fatalf("output %q is not UTF-8", s)
			}
		}
	})
}
