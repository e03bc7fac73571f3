package mirror

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedpost/feedpost/internal/imagefetch"
	"github.com/feedpost/feedpost/internal/output"
)

func photo(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{byte(x * 255 / w), byte(y * 255 / h), byte((x ^ y) & 0xff), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIsName(t *testing.T) {
	h := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for name, want := range map[string]bool{h + ".jpg": true, h + "-480x270.jpg": true, h + ".avif": true,
		h + ".JPG": false, h[:63] + ".jpg": false, "logo.png": false, h + ".jpg.tmp": false, "." + h + ".jpg": false} {
		if IsName(name) != want {
			t.Errorf("IsName(%q) = %v", name, !want)
		}
	}
}

func TestExifOrientation(t *testing.T) {
	if o := exifOrientation(photo(t, 8, 8)); o != 1 {
		t.Errorf("no EXIF: %d", o)
	}
	for _, b := range [][]byte{nil, {0xff, 0xd8}, {0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff}, []byte("not a jpeg")} {
		if o := exifOrientation(b); o != 1 {
			t.Errorf("%q: %d", b, o)
		}
	}
}

// BenchmarkThumbnail is thumbnails per second: a 1,600×1,200 JPEG cover
// (about what a news photo is) decoded, cropped and scaled to 480×270 with
// Catmull-Rom, encoded and written.
func BenchmarkThumbnail(b *testing.B) {
	dir := b.TempDir()
	d, _ := imagefetch.New(imagefetch.Options{})
	m, _ := New(Options{Dirs: []string{dir}, Downloader: d, ThumbWidth: 480, ThumbHeight: 270})
	data := photo(b, 1600, 1200)
	name := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg"
	os.WriteFile(filepath.Join(dir, name), data, 0o644)
	f := File{Name: name, Type: "image/jpeg", Size: int64(len(data)), Width: 1600, Height: 1200}
	b.ResetTimer()
	for b.Loop() {
		w := output.NewWriter(output.WriterOptions{})
		if _, err := m.Thumbnail(f, w); err != nil {
			b.Fatal(err)
		}
		os.Remove(filepath.Join(dir, m.thumbName(name, false)))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "thumbnails/s")
}
