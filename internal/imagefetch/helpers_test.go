package imagefetch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fetchBytes runs d.Fetch into a temporary file and returns the file's bytes.
func fetchBytes(t testing.TB, d *Downloader, rawURL string) (*Image, []byte, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "img-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := d.Fetch(context.Background(), rawURL, f)
	if err != nil {
		return nil, nil, err
	}
	b, rerr := os.ReadFile(filepath.Clean(f.Name()))
	if rerr != nil {
		t.Fatal(rerr)
	}
	return img, b, nil
}

func newDownloader(t testing.TB, opt Options) *Downloader {
	t.Helper()
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
