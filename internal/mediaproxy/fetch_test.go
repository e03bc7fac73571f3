package mediaproxy

import (
	"strings"
	"testing"
)

func TestSniffImage(t *testing.T) {
	avif := []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf\x00\x00")
	avifCompat := []byte("\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf\x00\x00")
	for _, tc := range []struct {
		name string
		head []byte
		want string // "" = refused
	}{
		{"png", testImage(t, "png", 4, 4, 1), "image/png"},
		{"jpeg", testImage(t, "jpeg", 4, 4, 1), "image/jpeg"},
		{"gif", testImage(t, "gif", 4, 4, 1), "image/gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"bmp", []byte("BM\x36\x00\x00\x00\x00\x00\x00\x00"), "image/bmp"},
		{"ico", []byte("\x00\x00\x01\x00\x01\x00\x10\x10"), "image/x-icon"},
		{"avif", avif, "image/avif"},
		{"avif compatible brand", avifCompat, "image/avif"},
		{"mp4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"html", []byte("<html><body>x</body></html>"), ""},
		{"pdf", []byte("%PDF-1.7"), ""},
		{"text", []byte("hello"), ""},
	} {
		got, err := sniffImage(tc.head)
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
	if _, err := sniffImage([]byte(`<?xml version="1.0"?><SVG>`)); err == nil || !strings.Contains(err.Error(), "SVG") {
		t.Errorf("SVG refusal does not say why: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{20 << 20: "20 MiB", 4096: "4 KiB", 1000: "1000 bytes", 1<<20 + 1: "1048577 bytes"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
