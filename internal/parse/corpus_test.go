package parse

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// corpusDir is feedparser's test suite, kept beside the checkout (not in
// it: it is large) where CI has it; TestCorpus skips without it.
const corpusDir = "../../../shared/corpus/feedparser"

// corpusHeader finds the Content-type a feedparser test file says it is
// served with ("Header: Content-type: ..." in its leading comment).
var corpusHeader = regexp.MustCompile(`(?mi)^Header:\s*Content-type:\s*(.*?)\s*$`)

// TestCorpus runs every file of feedparser's test suite through Parse: none
// may panic or hang; errors must be classifiable; well-formed feeds must
// parse (except CDF, a pre-RSS Microsoft format we do not support); text
// from the encoding tests must come out as valid UTF-8.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("feedparser corpus absent (%v)", err)
	}
	failed := map[string][]string{}
	total := map[string]int{}
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".xml") || strings.HasSuffix(path, ".json")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		group, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		total[group]++

		// The header comment of UTF-16/32 files is in that encoding.
		text, _ := toUTF8(data, "", detectCharset)
		contentType := ""
		if m := corpusHeader.FindSubmatch(text); m != nil {
			contentType = string(m[1])
		}

		feed, err := parseWithDeadline(t, rel, data, contentType)
		if err != nil {
			if errors.Is(err, errCrash) {
				t.Errorf("%s: %v", rel, err)
			}
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotFeed) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: error %q wraps none of ErrEmpty, ErrNotFeed, ErrMalformed", rel, err)
			}
			failed[group] = append(failed[group], rel+": "+err.Error())
			if group == "wellformed" && !strings.Contains(rel, "cdf") {
				t.Errorf("%s: well-formed feed rejected: %v", rel, err)
			}
			return nil
		}
		if group == "encoding" {
			if !utf8.ValidString(feed.Title) {
				t.Errorf("%s: feed title %q is not valid UTF-8", rel, feed.Title)
			}
			for _, it := range feed.Items {
				if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Content) {
					t.Errorf("%s: item text %q / %q is not valid UTF-8", rel, it.Title, it.Content)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for group, n := range total {
		t.Logf("%-10s %4d files, %3d rejected", group, n, len(failed[group]))
	}
	for _, f := range failed["wellformed"] {
		t.Logf("rejected well-formed: %s", f)
	}
	if total["wellformed"] < 1000 {
		t.Errorf("only %d well-formed files found; is the corpus complete?", total["wellformed"])
	}
}

// parseWithDeadline runs Parse in its own goroutine so a hang is reported
// (with the file name) instead of stalling the test binary. The limit is
// a hang detector, not a speed check: these files are a few KB each.
func parseWithDeadline(t *testing.T, name string, data []byte, contentType string) (*Feed, error) {
	t.Helper()
	type result struct {
		feed *Feed
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, err := Parse(data, contentType, "http://example.com/feed", Options{})
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		return r.feed, r.err
	case <-time.After(time.Minute):
		t.Fatalf("%s: Parse did not return within a minute", name)
		return nil, nil
	}
}

// TestCorpusEncodings checks decoded text of a few encoding tests against
// what feedparser's own Expect lines say; an empty want only asks for a
// clean parse (no error, nothing repaired).
func TestCorpusEncodings(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("feedparser corpus absent (%v)", err)
	}
	title := func(f *Feed) string { return f.Title }
	firstContent := func(f *Feed) string {
		if len(f.Items) == 0 {
			return "(no items)"
		}
		return f.Items[0].Content
	}
	tests := []struct {
		file, contentType string
		got               func(*Feed) string
		want              string
	}{
		{"encoding/euc-kr.xml", "", title, "\ub144"},
		{"encoding/http_text_xml_charset_overrides_encoding_2.xml", "text/xml; charset=windows-1252", firstContent, "This is a \u00a3\u201ctest.\u201d"},
		{"encoding/http_i18n.xml", "application/xml", title, "Iñtërnâtiônàlizætiøn"},
		{"encoding/utf-16be.xml", "", title, ""},
		{"encoding/utf-16le-autodetect.xml", "", title, ""},
		{"encoding/utf-32be-autodetect.xml", "", title, ""},
		{"encoding/utf-32le-bom.xml", "", title, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(data, tt.contentType, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Notes) > 0 {
				t.Errorf("notes %q", f.Notes)
			}
			if got := tt.got(f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
