package hugo

import (
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// Date reads back the instant Render wrote, not lastmod.
func TestDateReadsWhatRenderWrote(t *testing.T) {
	dir := t.TempDir()
	want := time.Date(2021, 8, 17, 14, 56, 6, 0, time.FixedZone("CST", 8*3600))
	p := post.Post{ID: "0123456789abcdef", Title: "无日期的条目", Categories: []string{"新闻"}, Author: "作者",
		Date: want, Updated: want.Add(time.Hour), Body: "<p>date: '1999-01-01T00:00:00Z'</p>"}
	if _, err := Write(p, NewOptions(dir)); err != nil {
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
