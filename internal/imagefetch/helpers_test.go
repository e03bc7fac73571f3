package imagefetch

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// testImage encodes a w×h picture whose pixels depend on seed, so images of
// different seeds have different bytes.
func testImage(t testing.TB, format string, w, h int, seed byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: byte(x) + seed, G: byte(y) * seed, B: seed, A: 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb returns a small image of format whose header declares w×h pixels:
// a real encoded image with its size fields rewritten (and the PNG header's
// CRC recomputed), as a decompression bomb would be built.
func bomb(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	switch format {
	case "png":
		b := testImage(t, "png", 4, 4, 1)
		// signature (8), IHDR length (4), "IHDR" (4), width, height, …, CRC at 29.
		binary.BigEndian.PutUint32(b[16:], uint32(w))
		binary.BigEndian.PutUint32(b[20:], uint32(h))
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	case "gif":
		b := testImage(t, "gif", 4, 4, 1)
		binary.LittleEndian.PutUint16(b[6:], uint16(w))
		binary.LittleEndian.PutUint16(b[8:], uint16(h))
		return b
	case "jpeg":
		b := testImage(t, "jpeg", 8, 8, 1)
		i := bytes.Index(b, []byte{0xff, 0xc0}) // SOF0: length, precision, height, width
		if i < 0 {
			t.Fatal("no SOF0 marker in the test JPEG")
		}
		binary.BigEndian.PutUint16(b[i+5:], uint16(h))
		binary.BigEndian.PutUint16(b[i+7:], uint16(w))
		return b
	case "webp":
		return webpVP8X(w, h)
	case "avif":
		return avifFile(w, h)
	}
	t.Fatalf("unknown format %q", format)
	return nil
}

// webpVP8X is a WebP file with an extended header declaring w×h.
func webpVP8X(w, h int) []byte {
	chunk := make([]byte, 18)
	copy(chunk, "VP8X")
	binary.LittleEndian.PutUint32(chunk[4:], 10)
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(chunk[12:], w-1)
	put24(chunk[15:], h-1)
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(4+len(chunk)))
	b = append(b, "WEBP"...)
	return append(b, chunk...)
}

// isoBox is an ISO-BMFF box of type typ around body.
func isoBox(typ string, body ...[]byte) []byte {
	inner := bytes.Join(body, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(inner)))
	return append(append(b, typ...), inner...)
}

// avifFile is the skeleton of an AVIF file declaring a w×h primary image
// and a 64×64 thumbnail: ftyp, then meta → iprp → ipco → ispe.
func avifFile(w, h int) []byte {
	ispe := func(w, h int) []byte {
		b := make([]byte, 12)
		binary.BigEndian.PutUint32(b[4:], uint32(w))
		binary.BigEndian.PutUint32(b[8:], uint32(h))
		return isoBox("ispe", b)
	}
	ftyp := isoBox("ftyp", []byte("avif\x00\x00\x00\x00avifmif1miaf"))
	hdlr := isoBox("hdlr", make([]byte, 4), []byte("\x00\x00\x00\x00pict"), make([]byte, 13))
	meta := isoBox("meta", make([]byte, 4), hdlr, isoBox("iprp", isoBox("ipco", ispe(64, 64), isoBox("pixi", []byte{0, 0, 0, 0, 3, 8, 8, 8}), ispe(w, h))))
	return append(append(ftyp, meta...), isoBox("mdat", make([]byte, 32))...)
}

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
