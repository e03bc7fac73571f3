// Package imagetest makes the images and the upstream image servers that
// the tests of the image downloader, the proxy and the mirror need: real
// encoded pictures, decompression bombs (small files whose header declares
// a huge size) in every accepted format, and a loopback server counting
// what it is asked for. It is imported by tests only.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Encode returns a w×h picture in format ("png", "jpeg" or "gif") whose
// pixels depend on seed, so images of different seeds have different bytes.
func Encode(t testing.TB, format string, w, h int, seed byte) []byte {
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
		t.Fatalf("imagetest: unknown format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Bomb returns a small image in format ("png", "jpeg", "gif", "webp" or
// "avif") whose header declares w×h pixels: a real encoded image with its
// size fields rewritten (and the PNG header's CRC recomputed), as a
// decompression bomb is built.
func Bomb(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	switch format {
	case "png":
		b := Encode(t, "png", 4, 4, 1)
		// signature (8), IHDR length (4), "IHDR" (4), width, height, …, CRC at 29.
		binary.BigEndian.PutUint32(b[16:], uint32(w))
		binary.BigEndian.PutUint32(b[20:], uint32(h))
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	case "gif":
		b := Encode(t, "gif", 4, 4, 1)
		binary.LittleEndian.PutUint16(b[6:], uint16(w))
		binary.LittleEndian.PutUint16(b[8:], uint16(h))
		return b
	case "jpeg":
		b := Encode(t, "jpeg", 8, 8, 1)
		i := bytes.Index(b, []byte{0xff, 0xc0}) // SOF0: length, precision, height, width
		if i < 0 {
			t.Fatal("imagetest: no SOF0 marker in the JPEG")
		}
		binary.BigEndian.PutUint16(b[i+5:], uint16(h))
		binary.BigEndian.PutUint16(b[i+7:], uint16(w))
		return b
	case "webp":
		return WebP(w, h)
	case "avif":
		return AVIF(w, h)
	}
	t.Fatalf("imagetest: unknown format %q", format)
	return nil
}

// WebP is a WebP file with an extended (VP8X) header declaring w×h.
func WebP(w, h int) []byte {
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

// Box is an ISO-BMFF box of type typ around body.
func Box(typ string, body ...[]byte) []byte {
	inner := bytes.Join(body, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(inner)))
	return append(append(b, typ...), inner...)
}

// AVIF is the skeleton of an AVIF file declaring a w×h primary image and a
// 64×64 thumbnail: ftyp, then meta → iprp → ipco → ispe.
func AVIF(w, h int) []byte {
	ispe := func(w, h int) []byte {
		b := make([]byte, 12)
		binary.BigEndian.PutUint32(b[4:], uint32(w))
		binary.BigEndian.PutUint32(b[8:], uint32(h))
		return Box("ispe", b)
	}
	ftyp := Box("ftyp", []byte("avif\x00\x00\x00\x00avifmif1miaf"))
	hdlr := Box("hdlr", make([]byte, 4), []byte("\x00\x00\x00\x00pict"), make([]byte, 13))
	meta := Box("meta", make([]byte, 4), hdlr, Box("iprp", Box("ipco", ispe(64, 64), Box("pixi", []byte{0, 0, 0, 0, 3, 8, 8, 8}), ispe(w, h))))
	return append(append(ftyp, meta...), Box("mdat", make([]byte, 32))...)
}

// Upstream is a loopback image server counting the requests it receives,
// in total and per path. It stops when the test ends.
type Upstream struct {
	*httptest.Server
	Hits atomic.Int64

	mu     sync.Mutex
	byPath map[string]int
}

// NewUpstream starts an Upstream answering with h.
func NewUpstream(t testing.TB, h http.HandlerFunc) *Upstream {
	t.Helper()
	u := &Upstream{byPath: map[string]int{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Hits.Add(1)
		u.mu.Lock()
		u.byPath[r.URL.Path]++
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// Count is how many requests path received.
func (u *Upstream) Count(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byPath[path]
}

// Serve answers every request with body and the Content-Type ctype.
func Serve(body []byte, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	}
}
