package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/imagetest"
)

// TestMirrorKilled kills `feedpost run` with images.proxy: mirror at
// several moments while it downloads (a slow image server), then checks
// what it left: no post names a mirrored image that is not on disk, and
// every mirrored file is whole (its name is the SHA-256 of its bytes, so a
// torn file cannot pass). A last run completes the work and leaves no
// temp file.
func TestMirrorKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	dir := t.TempDir()
	bin := buildFeedpost(t, dir)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		var seed byte
		fmt.Sscanf(r.URL.Path, "/%d.png", &seed)
		w.Write(imagetest.Encode(t, "png", 300, 200, seed))
	})
	var items strings.Builder
	for i := range 12 {
		fmt.Fprintf(&items, `<item><guid>%d</guid><title>第 %d 条</title><link>https://k.example/%d</link><description><![CDATA[`, i, i, i)
		for j := range 8 {
			fmt.Fprintf(&items, `<img src="%s/%d.png">`, up.URL, i*8+j)
		}
		items.WriteString(`]]></description></item>`)
	}
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title>杀</title><link>https://k.example/</link>` + items.String() + `</channel></rss>`
	os.WriteFile(filepath.Join(dir, "feed.xml"), []byte(feed), 0o644)
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte("site: {dir: site}\nhexo: {dir: blog/source/_posts}\nfetch: {per_host: 2}\nimages: {proxy: mirror, allow_private: true, thumbnail: 120x90}\nsources: [{url: feed.xml}]\n"), 0o644)

	check := func(when string) {
		t.Helper()
		posts, _ := filepath.Glob(filepath.Join(dir, "blog", "source", "_posts", "*.md"))
		for _, p := range posts {
			b, _ := os.ReadFile(p)
			for _, m := range regexp.MustCompile(`/images/feedpost/([0-9a-f]{64}[^"' ]*)`).FindAllStringSubmatch(string(b), -1) {
				if _, err := os.Stat(filepath.Join(dir, "blog", "source", "images", "feedpost", m[1])); err != nil {
					t.Errorf("%s: %s names a missing image %s", when, filepath.Base(p), m[1])
				}
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "blog", "source", "images", "feedpost", "*"))
		for _, f := range files {
			name := filepath.Base(f)
			if strings.HasPrefix(name, ".") || strings.Contains(name, "-") {
				continue // temp files (swept by the next run), thumbnails (not content-addressed)
			}
			b, _ := os.ReadFile(f)
			if sha(b) != strings.TrimSuffix(name, filepath.Ext(name)) {
				t.Errorf("%s: %s is torn", when, name)
			}
		}
	}
	for i, after := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond} {
		cmd := exec.Command(bin, "run", "-c", cfg, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		check(fmt.Sprintf("kill %d after %v", i+1, after))
	}
	out, err := exec.Command(bin, "run", "-c", cfg, "--json").Output()
	if err != nil {
		t.Fatalf("last run: %v\n%s", err, out)
	}
	check("after the last run")
	tmp, _ := filepath.Glob(filepath.Join(dir, "blog", "source", "images", "feedpost", ".*"))
	if len(tmp) > 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	posts, _ := filepath.Glob(filepath.Join(dir, "blog", "source", "_posts", "*.md"))
	if len(posts) != 12 {
		t.Errorf("%d posts after the last run", len(posts))
	}
	for _, p := range posts {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), up.URL) {
			t.Errorf("%s still names an image of the server after the last run", filepath.Base(p))
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
