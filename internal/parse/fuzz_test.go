package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// damagedSeeds are feeds with the damage of issue 12: they lead the fuzzer
// into the recovery, lenient JSON and charset detection paths.
func damagedSeeds() []string {
	full := rssItems(3, plainItem)
	return []string{
		full[:len(full)*2/3], // truncated
		rssItems(2, func(int) string { return "<item><title>1 < 2 & AT&T &#7;</title></item>" }),
		rssItems(2, func(i int) string {
			return `<item><title>t</title><description>a <b>x</p></description><guid 1="x"/></item>`
		}),
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>x < y</title></entry><entry><title>cut",
		jsonItem("1.1", `"tags": "a,b", "author": "A", "authors": {"name": "B"}, "attachments": {"url": "/a.png", "mime_type": "image/png"}, "title": 5, "date_published": 1629183366`),
		jsonItem("1", `"date_published": "2021年8月17日 14:56", "date_modified": "Tue, 17 Aug 2021 14:56:06 CST"`),
		`{"version": "https://jsonfeed.org/version/1", "items": {"id": 1}}`,
		"<rss><channel><item><title>Br\xf8ndby \x93quoted\x94</title></item></channel></rss>",
		`<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><item><title>Brøndby</title></item></channel></rss>`,
		gbk(`<rss><channel><item><title>新闻</title><pubDate>2020/1/10 14:33:00</pubDate></item></channel></rss>`),
		`<rss xmlns:media="http://search.yahoo.com/mrss/"><channel><item><media:group><media:description>see https://x.example/</media:description>` +
			`<media:content url="https://x.example/v.mp4"><media:thumbnail url="https://x.example/t.jpg"/></media:content></media:group></item></channel></rss>`,
	}
}

// FuzzParse checks that no input makes Parse panic, crash the third-party
// parser, return text that is not UTF-8, or fail with an error callers cannot
// classify.
func FuzzParse(f *testing.F) {
	for _, seed := range append([]string{rss20, rdf10, rss091, atom10, atom03, json10, json11,
		"", "<html><title>x</title></html>", "\xEF\xBB\xBF<rss><channel><title>t</title></channel></rss>"}, damagedSeeds()...) {
		f.Add([]byte(seed), "")
	}
	f.Add([]byte(gbk(`<?xml version="1.0" encoding="gbk"?><rss><channel><title>中文</title></channel></rss>`)), "")
	f.Add([]byte(gbk(`<rss><channel><title>中文</title></channel></rss>`)), "text/xml; charset=gbk")
	f.Add([]byte(utf16le(`<?xml version="1.0" encoding="utf-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>`)), "")
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		// Parse with the deterministic detector: see fallbackCharset.
		p := &parser{opts: Options{Location: shanghai}, liftMin: defaultLiftMin, detect: fallbackCharset}
		feed, err := p.parse(data, contentType, "https://example.com/feed")
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
		texts := append([]string{feed.Title, feed.Link}, feed.Notes...)
		for _, it := range feed.Items {
			texts = append(texts, it.GUID, it.Link, it.Title, it.Content, it.Summary, it.Author, it.Base)
			texts = append(texts, it.Categories...)
			for _, img := range it.Images {
				if !isHTTP(img) {
					t.Fatalf("image %q is not http(s)", img)
				}
			}
			for _, d := range []time.Time{it.Published, it.Updated} {
				if !d.IsZero() && (d.Location() != time.UTC || d.Year() < 1900 || d.Year() > 9999) {
					t.Fatalf("date %v", d)
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

// FuzzJSONFeed checks the promise of the lenient JSON Feed reader: valid
// JSON never fails as malformed, whatever the types of its members.
func FuzzJSONFeed(f *testing.F) {
	for _, seed := range []string{json10, json11, damagedSeeds()[4], damagedSeeds()[5], damagedSeeds()[6],
		`{"version": "https://jsonfeed.org/version/1.1", "items": [null, 1, "x", [], {"authors": [1, null, {"name": 2}], "tags": [[]]}]}`,
		`{"version": 1, "items": [{"id": true, "date_published": -1e400}]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := Parse(data, "application/feed+json", "https://example.com/feed.json", Options{})
		if json.Valid(data) && utf8.Valid(data) && !bytes.ContainsAny(data, "\x00\ufeff") && errors.Is(err, ErrMalformed) {
			t.Fatalf("valid JSON failed: %v", err)
		}
		if err == nil {
			for _, n := range feed.Notes {
				if !utf8.ValidString(n) {
					t.Fatalf("note %q", n)
				}
			}
		}
	})
}

// FuzzSalvage checks that whatever salvage returns is a document gofeed's
// decoder reads to the end without error, elements matched.
func FuzzSalvage(f *testing.F) {
	for _, seed := range append(damagedSeeds()[:4], rss20, atom10, "<a><b>x</a>", "<a></b><c/></a>", "<a><![CDATA[x]]></a") {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if !utf8.ValidString(data) {
			return // salvage runs on text toUTF8 made valid
		}
		out, _ := salvage([]byte(data))
		if out == nil {
			return
		}
		if err := readsToEnd(out); err != nil &&
			// Characters toUTF8 removes before salvage runs.
			!strings.Contains(err.Error(), "illegal character code") && !strings.Contains(err.Error(), "invalid UTF-8") {
			t.Fatalf("salvaged %q\n→ %q\n: %v", data, out, err)
		}
	})
}

// FuzzCharset checks the charset step: its output is always UTF-8 without
// characters XML forbids, and a clean UTF-8 body without declaration comes
// out as it went in.
func FuzzCharset(f *testing.F) {
	f.Add([]byte(rss20), "")
	f.Add([]byte(gbk(`<rss><channel><title>新闻</title></channel></rss>`)), "")
	f.Add([]byte(gbk(`<?xml version="1.0" encoding="gbk"?><rss><title>新闻</title></rss>`)), "text/xml; charset=utf-8")
	f.Add([]byte("<rss><title>Br\xf8ndby</title></rss>"), "")
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Brøndby</title></rss>`), "")
	f.Add([]byte("\xEF\xBB\xBF<rss/>"), "text/xml; charset=big5")
	f.Add([]byte(utf16le(`<rss><title>x</title></rss>`)), "")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		out, notes := toUTF8(data, contentType, detectCharset)
		if !utf8.Valid(out) {
			t.Fatalf("not UTF-8: %q", out)
		}
		if clean, dropped := stripIllegalXMLChars(out); dropped {
			t.Fatalf("illegal characters left: %q → %q", out, clean)
		}
		if headerCharset(contentType) == "" && prologEncoding(data) == "" && utf8.Valid(data) &&
			!bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) && len(data) > 0 && data[0] != 0 && data[0] != 0xFE && data[0] != 0xFF {
			if _, dropped := stripIllegalXMLChars(data); !dropped && !bytes.Equal(out, data) && !bytes.HasPrefix(data, []byte{'<', 0}) {
				t.Fatalf("clean UTF-8 changed: %q → %q (%q)", data, out, notes)
			}
		}
	})
}

// FuzzDates checks that no text makes the date reader panic or return a
// date out of range or not in UTC.
func FuzzDates(f *testing.F) {
	for _, s := range []string{"Tue, 17 Aug 2021 06:56:06 GMT", "2020/1/10 14:33:00", "2021年8月17日 14时56分06秒",
		"Tue, 17 Aug 2021 14:56:06 GMT+8", "17.08.2021 14:56 CST", "Tue,17 Aug 2021 14:56 EST (x)", "1629183366000", "2:56 p.m."} {
		f.Add(s)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []dates{newDates(shanghai, ""), newDates(nil, "en")} {
			got := d.parse(s)
			if !got.IsZero() && (got.Location() != time.UTC || got.Year() < 1900 || got.Year() > 9999) {
				t.Fatalf("parse(%q) = %v", s, got)
			}
		}
	})
}
