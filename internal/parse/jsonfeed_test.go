package parse

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// jsonItem wraps item members in a JSON Feed of the given version.
func jsonItem(version, members string) string {
	return `{"version": "https://jsonfeed.org/version/` + version + `", "title": "J", "items": [{"id": "1", ` + members + `}]}`
}

// TestJSONFeedLenient: each wrongly typed field of issue 12 is coerced or
// dropped, and noted; the feed and its other fields are kept.
func TestJSONFeedLenient(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(it Item) bool
		note       string // substring of the note; "" wants none
	}{
		{"tags as a string", jsonItem("1.1", `"tags": "a,b, c，d", "title": "t"`),
			func(it Item) bool {
				return reflect.DeepEqual(it.Categories, []string{"a", "b", "c", "d"}) && it.Title == "t"
			},
			"items[].tags is a string, split at commas"},
		{"tags with a number and an object", jsonItem("1.1", `"tags": ["a", 7, {"x": 1}]`),
			func(it Item) bool { return reflect.DeepEqual(it.Categories, []string{"a", "7"}) },
			"items[].tags[] is a number, read as text; items[].tags[] is an object, dropped"},
		{"author as a string (1.0)", jsonItem("1", `"author": "Alice"`),
			func(it Item) bool { return it.Author == "Alice" }, "items[].author is a string, read as the name"},
		{"author as a list (1.0)", jsonItem("1", `"author": [{"name": "Bob"}]`),
			func(it Item) bool { return it.Author == "Bob" }, "items[].author is an array, read as authors"},
		{"authors as an object (1.1)", jsonItem("1.1", `"authors": {"name": "Carol"}`),
			func(it Item) bool { return it.Author == "Carol" }, "items[].authors is an object, read as a list of one"},
		{"authors as strings (1.1)", jsonItem("1.1", `"authors": ["Dave"]`),
			func(it Item) bool { return it.Author == "Dave" }, "items[].authors[] is a string, read as the name"},
		{"author without a name", jsonItem("1", `"author": {"url": "https://x.example/"}, "title": "t"`),
			func(it Item) bool { return it.Author == "" && it.Title == "t" }, ""},
		{"attachments as an object", jsonItem("1.1", `"attachments": {"url": "https://cdn.example/a.jpg", "mime_type": "image/jpeg"}`),
			func(it Item) bool { return reflect.DeepEqual(it.Images, []string{"https://cdn.example/a.jpg"}) },
			"items[].attachments is an object, read as a list of one"},
		{"attachments: only images are covers", jsonItem("1.1", `"attachments": [{"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg"}, {"url": "/b.png", "mime_type": "image/png", "size_in_bytes": "12"}]`),
			func(it Item) bool { return reflect.DeepEqual(it.Images, []string{"https://j.example/b.png"}) }, ""},
		{"title as a number", jsonItem("1.1", `"title": 2024`),
			func(it Item) bool { return it.Title == "2024" }, "items[].title is a number, read as text"},
		{"title as a boolean", jsonItem("1.1", `"title": true, "content_text": "x"`),
			func(it Item) bool { return it.Title == "" && it.Content == "x" }, "items[].title is a boolean, dropped"},
		{"content_html as an object", jsonItem("1.1", `"content_html": {"x": 1}, "content_text": "plain"`),
			func(it Item) bool { return it.Content == "plain" && it.IsText }, "items[].content_html is an object, dropped"},
		{"date_published as Unix seconds", jsonItem("1.1", `"date_published": 1629183366`),
			func(it Item) bool { return it.Published.Equal(time.Unix(1629183366, 0)) },
			"items[].date_published is a number, read as a Unix time"},
		{"date_modified as Unix milliseconds", jsonItem("1.1", `"date_modified": 1629183366000`),
			func(it Item) bool { return it.Updated.Equal(time.Unix(1629183366, 0)) },
			"items[].date_modified is a number, read as a Unix time"},
		{"date_published as an object", jsonItem("1.1", `"date_published": {"t": 1}, "title": "kept"`),
			func(it Item) bool { return it.Published.IsZero() && it.Title == "kept" }, "items[].date_published is an object, dropped"},
		{"non-standard date string", jsonItem("1.1", `"date_published": "2021-08-17 14:56:06"`),
			func(it Item) bool { return it.Published.Equal(date("2021-08-17T14:56:06Z")) }, ""},
		{"id as a number (allowed by the spec)", jsonItem("1.1", `"id": 42.5`),
			func(it Item) bool { return it.GUID == "42.5" }, ""},
		{"id as an object", `{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": {"x": 1}, "title": "t"}]}`,
			func(it Item) bool { return it.GUID == "" && it.Title == "t" }, "items[].id is an object, dropped"},
		{"url as a number", jsonItem("1.1", `"url": 5, "external_url": "https://other.example/x"`),
			func(it Item) bool { return it.Link == "https://j.example/5" }, "items[].url is a number, read as text"},
		{"image as a list", jsonItem("1.1", `"image": ["https://cdn.example/a.jpg"], "banner_image": "https://cdn.example/b.jpg"`),
			func(it Item) bool { return reflect.DeepEqual(it.Images, []string{"https://cdn.example/b.jpg"}) }, "items[].image is an array, dropped"},
		{"items as an object", `{"version": "https://jsonfeed.org/version/1", "items": {"id": "1", "title": "only"}}`,
			func(it Item) bool { return it.Title == "only" }, "items is an object, read as a list of one"},
		{"feed author as a string", `{"version": "https://jsonfeed.org/version/1", "author": "Team", "items": [{"id": "1"}]}`,
			func(it Item) bool { return it.Author == "Team" }, "author is a string, read as the name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), "", "https://j.example/feed.json", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 {
				t.Fatalf("%d items, want 1", len(f.Items))
			}
			if !tt.check(f.Items[0]) {
				t.Errorf("item %+v", f.Items[0])
			}
			switch {
			case tt.note == "" && len(f.Notes) > 0:
				t.Errorf("notes %q, want none", f.Notes)
			case tt.note != "" && (len(f.Notes) != 1 || !strings.Contains(f.Notes[0], tt.note)):
				t.Errorf("notes %q, want one containing %q", f.Notes, tt.note)
			}
		})
	}
}

// TestJSONFeedManyItems: one wrongly typed field in every item (the real
// feed of issue 12 lost all 84 items) costs nothing, and the note counts.
func TestJSONFeedManyItems(t *testing.T) {
	var items []string
	for i := range 84 {
		items = append(items, fmt.Sprintf(`{"id": "%d", "title": "post %d", "tags": "news,tech", "date_published": %d}`, i, i, 1629183366+i))
	}
	data := `{"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "items": [` + strings.Join(items, ",") + `]}`
	f, err := Parse([]byte(data), "", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 84 || f.Items[83].Title != "post 83" || len(f.Items[83].Categories) != 2 {
		t.Fatalf("%d items, last %+v", len(f.Items), f.Items[len(f.Items)-1])
	}
	want := []string{"JSON Feed fields of the wrong type: items[].date_published is a number, read as a Unix time (84 times); " +
		"items[].tags is a string, split at commas (84 times)"}
	if !reflect.DeepEqual(f.Notes, want) {
		t.Errorf("notes %q\nwant %q", f.Notes, want)
	}
}

// TestJSONFeedErrors: only invalid JSON, or JSON that is no feed, fails.
func TestJSONFeedErrors(t *testing.T) {
	tests := []struct {
		name, data string
		is         error
		want       string
	}{
		{"syntax error names line and column", "{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [\n  {\"id\": \"1\" \"title\": \"x\"}]}",
			ErrMalformed, "JSON syntax error at line 3, column 14: invalid character '\"' after object key:value pair"},
		{"column in characters, not bytes", "{\"title\": \"中文标题\", \"items\": [}", ErrMalformed,
			"JSON syntax error at line 1, column 29: invalid character '}' looking for beginning of value"},
		{"items a string: not a feed without a version", `{"items": "none"}`, ErrNotFeed, `not a feed: unrecognised format (starts with "{"items": "none"}")`},
		{"another format", `{"version": "2.0", "items": []}`, ErrNotFeed, `not a feed: unrecognised format (starts with "{"version": "2.0", "items": []}")`},
		{"null", `null`, ErrNotFeed, `not a feed: unrecognised format (starts with "null")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), "", "", Options{})
			if err == nil || !errors.Is(err, tt.is) || err.Error() != tt.want {
				t.Errorf("error = %v\n want %q", err, tt.want)
			}
		})
	}
}

// TestJSONFeedWrongTypeKeepsFeed: a JSON Feed whose items member is of the
// wrong type is a feed without items (noted), not a syntax error.
func TestJSONFeedWrongTypeKeepsFeed(t *testing.T) {
	f, err := Parse([]byte("{\"version\": \"https://jsonfeed.org/version/1\",\n\"title\": \"T\", \"items\": \"none\"}"), "", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "T" || len(f.Items) != 0 || !reflect.DeepEqual(f.Notes, []string{"JSON Feed fields of the wrong type: items is a string, dropped"}) {
		t.Errorf("feed %+v", f)
	}
}
