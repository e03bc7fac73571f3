package hexo

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// File is what Write would write, at the path Write would write it to.
func TestFile(t *testing.T) {
	p := post.Post{ID: "0123456789abcdef", Title: "标题", Categories: []string{"新闻"}, Author: "作者",
		Date: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Body: "<p>正文 {x}</p>"}
	opt := Options{Dir: t.TempDir(), CoverKeys: []string{"headimg"}, EscapeBraces: true}
	f := File(p, opt)
	if f.Path != filepath.Join(opt.Dir, p.ID+".md") {
		t.Errorf("path %s", f.Path)
	}
	if !bytes.Equal(f.Data, Render(p, opt)) {
		t.Errorf("data differs from Render")
	}
}
