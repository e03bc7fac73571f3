package output_test

import (
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/post"
)

// hexo.Date and hugo.Date read back the instant their writers wrote, in
// whatever zone, from a post whose other fields are awkward: a body with
// "---" and a date of its own, categories YAML would misread, an updated
// time (lastmod in Hugo) that is not the date.
func TestWritersDateReadsBack(t *testing.T) {
	want := time.Date(2021, 8, 17, 14, 56, 6, 0, time.FixedZone("CST", 8*3600))
	p := post.Post{ID: "0123456789abcdef", Title: "无日期的条目", Categories: []string{"a: b", "@x"}, Author: "作者",
		Date: want, Updated: want.Add(time.Hour), Link: "https://example.com/a", Cover: "https://example.com/c.jpg",
		Body: "<p>---</p><p>date: '1999-01-01T00:00:00Z'</p>"}
	for _, w := range []struct {
		name  string
		write func(dir string) error
		date  func(dir, id string) (time.Time, error)
	}{
		{"hexo", func(dir string) error {
			_, err := hexo.Write(p, hexo.Options{Dir: dir, CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true})
			return err
		}, hexo.Date},
		{"hugo", func(dir string) error { _, err := hugo.Write(p, hugo.NewOptions(dir)); return err }, hugo.Date},
	} {
		dir := t.TempDir()
		if err := w.write(dir); err != nil {
			t.Fatal(err)
		}
		got, err := w.date(dir, p.ID)
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if !got.Equal(want) {
			t.Errorf("%s: got %v, want %v", w.name, got, want)
		}
	}
}
