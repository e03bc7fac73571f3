package imagefetch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/webp"
)

// sniff returns the type of an image from its first bytes, or an error
// saying what it is instead. The upstream's Content-Type is not trusted: a
// wrong one would let a page or a script be served from our origin.
//
// Only the raster formats every browser shows are accepted. SVG is refused
// on purpose: it is XML that can carry scripts. BMP and ICO are refused as
// well: no feed needs them, and each accepted format is one more header
// parser the dimension check has to trust.
func sniff(head []byte) (string, error) {
	if isAVIF(head) {
		return "image/avif", nil
	}
	ct := http.DetectContentType(head)
	switch ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return ct, nil
	}
	if bytes.Contains(bytes.ToLower(head), []byte("<svg")) {
		return "", errors.New("an SVG image, which is refused: SVG can carry scripts")
	}
	return "", fmt.Errorf("not an image: %s", ct)
}

// isAVIF recognises an ISO-BMFF "ftyp" box whose major or compatible brands
// name AVIF; http.DetectContentType does not know the format.
func isAVIF(b []byte) bool {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return false
	}
	boxLen := int(binary.BigEndian.Uint32(b))
	if boxLen < 16 || boxLen > len(b) {
		boxLen = len(b)
	}
	for i := 8; i+4 <= boxLen; i += 4 {
		if i == 12 {
			continue // minor version, not a brand
		}
		if brand := string(b[i : i+4]); brand == "avif" || brand == "avis" {
			return true
		}
	}
	return false
}

// dimensions reads width and height from the header of an image of type
// ctype, without decoding its pixels.
func dimensions(ctype string, r *io.SectionReader) (int, int, error) {
	var cfg image.Config
	var err error
	switch ctype {
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "image/png":
		cfg, err = png.DecodeConfig(r)
	case "image/gif":
		cfg, err = gif.DecodeConfig(r)
	case "image/webp":
		cfg, err = webp.DecodeConfig(r)
	case "image/avif":
		return avifSize(r)
	default:
		return 0, 0, fmt.Errorf("no dimension reader for %s", ctype)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("broken %s header: %v", ctype, err)
	}
	return cfg.Width, cfg.Height, nil
}

// avifSize reads the largest 'ispe' (image spatial extents) property of an
// AVIF file: meta → iprp → ipco → ispe. The largest, because a file may
// hold a grid whose tiles, alpha plane and thumbnail have their own; the
// full picture is the biggest of them. Go has no AVIF decoder, so this
// short box walk is hand-written; it reads only box headers.
func avifSize(r *io.SectionReader) (int, int, error) {
	meta, ok, err := findBox(r, 0, r.Size(), "meta")
	if err != nil || !ok {
		return 0, 0, orNoBox(err, "meta")
	}
	// meta is a full box: 4 bytes of version and flags before its children.
	iprp, ok, err := findBox(r, meta.body+4, meta.end, "iprp")
	if err != nil || !ok {
		return 0, 0, orNoBox(err, "iprp")
	}
	ipco, ok, err := findBox(r, iprp.body, iprp.end, "ipco")
	if err != nil || !ok {
		return 0, 0, orNoBox(err, "ipco")
	}
	var w, h uint32
	for off := ipco.body; off < ipco.end; {
		b, err := readBox(r, off, ipco.end)
		if err != nil {
			return 0, 0, err
		}
		if b.typ == "ispe" {
			var buf [12]byte // version+flags, width, height
			if b.end-b.body < 12 {
				return 0, 0, errors.New("AVIF ispe box too short")
			}
			if _, err := r.ReadAt(buf[:], b.body); err != nil {
				return 0, 0, fmt.Errorf("read AVIF ispe box: %w", err)
			}
			bw, bh := binary.BigEndian.Uint32(buf[4:]), binary.BigEndian.Uint32(buf[8:])
			if uint64(bw)*uint64(bh) > uint64(w)*uint64(h) {
				w, h = bw, bh
			}
		}
		off = b.end
	}
	if w == 0 || h == 0 {
		return 0, 0, errors.New("AVIF file declares no image size (no ispe property)")
	}
	const maxInt32 = 1<<31 - 1
	return int(min(w, maxInt32)), int(min(h, maxInt32)), nil
}

// box is an ISO-BMFF box: its type, where its body starts and where it ends.
type box struct {
	typ       string
	body, end int64
}

// readBox reads the header of the box at off, which must end by limit.
func readBox(r io.ReaderAt, off, limit int64) (box, error) {
	var hdr [16]byte
	if limit-off < 8 {
		return box{}, errors.New("truncated AVIF box")
	}
	if _, err := r.ReadAt(hdr[:8], off); err != nil {
		return box{}, fmt.Errorf("read AVIF box: %w", err)
	}
	size := int64(binary.BigEndian.Uint32(hdr[:4]))
	b := box{typ: string(hdr[4:8]), body: off + 8}
	switch size {
	case 0: // to the end of the enclosing box
		size = limit - off
	case 1: // a 64-bit size follows
		if limit-off < 16 {
			return box{}, errors.New("truncated AVIF box")
		}
		if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
			return box{}, fmt.Errorf("read AVIF box: %w", err)
		}
		u := binary.BigEndian.Uint64(hdr[8:16])
		if u > uint64(limit-off) {
			return box{}, errors.New("AVIF box larger than its container")
		}
		size = int64(u)
		b.body = off + 16
	}
	b.end = off + size
	if size < b.body-off || b.end > limit {
		return box{}, errors.New("AVIF box larger than its container")
	}
	return b, nil
}

// findBox returns the first box of type typ among the boxes in [off, end).
func findBox(r io.ReaderAt, off, end int64, typ string) (box, bool, error) {
	for off < end {
		b, err := readBox(r, off, end)
		if err != nil {
			return box{}, false, err
		}
		if b.typ == typ {
			return b, true, nil
		}
		off = b.end
	}
	return box{}, false, nil
}

func orNoBox(err error, typ string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("AVIF file has no %s box", typ)
}
