package hugo

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// File is what Write would write, and refuses what Write refuses.
func TestFile(t *testing.T) {
	p := post.Post{ID: "0123456789abcdef", Title: "标题", Date: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Body: "<p>正文</p>"}
	opt := NewOptions(t.TempDir())
	f, err := File(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != filepath.Join(opt.Dir, p.ID+".md") || !bytes.Equal(f.Data, Render(p, opt)) {
		t.Errorf("File = %s, %d bytes; want Path and Render", f.Path, len(f.Data))
	}
	for _, id := range []string{"", "..", "a/b", `a\b`} {
		q := p
		q.ID = id
		if _, err := File(q, opt); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
	if _, err := File(p, Options{}); err == nil {
		t.Error("no folder accepted")
	}
}
