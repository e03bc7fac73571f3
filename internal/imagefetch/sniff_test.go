package imagefetch

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/imagetest"
)

func TestSniff(t *testing.T) {
	avif := []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf\x00\x00")
	avifCompat := []byte("\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf\x00\x00")
	for _, tc := range []struct {
		name string
		head []byte
		want string // "" = refused
	}{
		{"png", imagetest.Encode(t, "png", 4, 4, 1), "image/png"},
		{"jpeg", imagetest.Encode(t, "jpeg", 4, 4, 1), "image/jpeg"},
		{"gif", imagetest.Encode(t, "gif", 4, 4, 1), "image/gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"avif", avif, "image/avif"},
		{"avif compatible brand", avifCompat, "image/avif"},
		{"bmp", []byte("BM\x36\x00\x00\x00\x00\x00\x00\x00"), ""},
		{"ico", []byte("\x00\x00\x01\x00\x01\x00\x10\x10"), ""},
		{"mp4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"html", []byte("<html><body>x</body></html>"), ""},
		{"pdf", []byte("%PDF-1.7"), ""},
		{"text", []byte("hello"), ""},
	} {
		got, err := sniff(tc.head)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: accepted as %q", tc.name, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := sniff([]byte(`<?xml version="1.0"?><SVG>`)); err == nil || !strings.Contains(err.Error(), "SVG") {
		t.Errorf("SVG refusal does not say why: %v", err)
	}
}

func TestDimensions(t *testing.T) {
	for _, tc := range []struct {
		name, ctype string
		data        []byte
		w, h        int
	}{
		{"png", "image/png", imagetest.Encode(t, "png", 40, 30, 1), 40, 30},
		{"jpeg", "image/jpeg", imagetest.Encode(t, "jpeg", 41, 29, 1), 41, 29},
		{"gif", "image/gif", imagetest.Encode(t, "gif", 12, 7, 1), 12, 7},
		{"webp", "image/webp", imagetest.WebP(640, 480), 640, 480},
		{"avif", "image/avif", imagetest.AVIF(1920, 1080), 1920, 1080},
		{"png bomb", "image/png", imagetest.Bomb(t, "png", 50000, 50000), 50000, 50000},
		{"jpeg bomb", "image/jpeg", imagetest.Bomb(t, "jpeg", 50000, 50000), 50000, 50000},
		{"gif bomb", "image/gif", imagetest.Bomb(t, "gif", 50000, 50000), 50000, 50000},
		{"avif bomb", "image/avif", imagetest.Bomb(t, "avif", 50000, 50000), 50000, 50000},
	} {
		w, h, err := dimensions(tc.ctype, io.NewSectionReader(bytes.NewReader(tc.data), 0, int64(len(tc.data))))
		if err != nil || w != tc.w || h != tc.h {
			t.Errorf("%s: %d×%d, %v; want %d×%d", tc.name, w, h, err, tc.w, tc.h)
		}
	}
	for name, data := range map[string][]byte{
		"avif without meta":   imagetest.Box("ftyp", []byte("avif\x00\x00\x00\x00avif")),
		"avif without ispe":   append(imagetest.Box("ftyp", []byte("avif\x00\x00\x00\x00avif")), imagetest.Box("meta", make([]byte, 4), imagetest.Box("iprp", imagetest.Box("ipco")))...),
		"avif box too large":  append(imagetest.Box("ftyp", []byte("avif\x00\x00\x00\x00avif")), 0, 0, 1, 0, 'm', 'e', 't', 'a'),
		"avif box too small":  append(imagetest.Box("ftyp", []byte("avif\x00\x00\x00\x00avif")), 0, 0, 0, 2, 'm', 'e', 't', 'a'),
		"avif truncated ispe": append(imagetest.Box("ftyp", []byte("avif\x00\x00\x00\x00avif")), imagetest.Box("meta", make([]byte, 4), imagetest.Box("iprp", imagetest.Box("ipco", imagetest.Box("ispe", make([]byte, 6)))))...),
	} {
		if w, h, err := dimensions("image/avif", io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))); err == nil {
			t.Errorf("%s: %d×%d, want an error", name, w, h)
		}
	}
	png := imagetest.Encode(t, "png", 4, 4, 1)
	png[20] ^= 0xff // the IHDR no longer matches its CRC
	if _, _, err := dimensions("image/png", io.NewSectionReader(bytes.NewReader(png), 0, int64(len(png)))); err == nil {
		t.Error("a PNG with a broken header passed")
	}
}

// FuzzAVIFSize: the hand-written box walk never panics or loops on any
// input.
func FuzzAVIFSize(f *testing.F) {
	f.Add(imagetest.AVIF(100, 100))
	f.Add(imagetest.AVIF(50000, 50000))
	f.Add(imagetest.Box("ftyp", []byte("avif")))
	f.Fuzz(func(t *testing.T, data []byte) {
		avifSize(io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))))
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{20 << 20: "20 MiB", 4096: "4 KiB", 1000: "1000 bytes", 1<<20 + 1: "1048577 bytes"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
