package hexo

import (
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// Date reads back the instant Render wrote, whatever the zone it was
// written in.
func TestDateReadsWhatRenderWrote(t *testing.T) {
	dir := t.TempDir()
	want := time.Date(2021, 8, 17, 14, 56, 6, 0, time.FixedZone("CST", 8*3600))
	p := post.Post{ID: "0123456789abcdef", Title: "无日期的条目", Categories: []string{"a: b", "@x"}, Author: "作者",
		Date: want, Updated: want.Add(time.Hour), Link: "https://example.com/a", Cover: "https://example.com/c.jpg", Body: "<p>---</p>"}
	if _, err := Write(p, Options{Dir: dir, CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true}); err != nil {
		t.Fatal(err)
	}
	got, err := Date(dir, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
