package pipeline

import (
	"strings"
	"testing"
)

// TestSourceTimezone: a zone-less date is read in the source's timezone:,
// else in site.timezone, and written in site.timezone.
func TestSourceTimezone(t *testing.T) {
	shanghai := newFeedServer(t, rss(item("a", "上海", "<p>x</p>", "2021-08-17 14:56:06")))
	newYork := newFeedServer(t, rss(item("b", "New York", "<p>x</p>", "2021-08-17 14:56:06")))
	e := newEnv(t, "  - url: "+shanghai.URL+"\n  - url: "+newYork.URL+"\n    timezone: America/New_York\n")
	e.run()
	want := map[string]string{"上海": "2021-08-17T14:56:06+08:00", "New York": "2021-08-18T02:56:06+08:00"}
	posts := e.posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts", len(posts))
	}
	for _, p := range posts {
		fm := frontMatter(t, p)
		if got := fm["date"]; got != want[fm["title"].(string)] {
			t.Errorf("%s: date %v, want %s", fm["title"], got, want[fm["title"].(string)])
		}
	}
}

// TestParseNotesReachTheSummary: what parse repaired is the source's note,
// and the source is ok.
func TestParseNotesReachTheSummary(t *testing.T) {
	fs := newFeedServer(t, `{"version": "https://jsonfeed.org/version/1.1", "title": "J",
		"items": [{"id": "1", "title": "t", "content_text": "x", "tags": "a,b"}]}`)
	e := newEnv(t, "  - url: "+fs.URL+"\n")
	sum := e.run()
	res := sum.Sources[0]
	if res.Status != StatusOK || res.New != 1 || !strings.Contains(res.Note, "items[].tags is a string, split at commas") {
		t.Errorf("result %+v", res)
	}
}
