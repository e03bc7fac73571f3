package mirror

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/feedpost/feedpost/internal/output"
)

// thumbName is the name of the thumbnail of the mirrored file name at the
// Mirror's size: the original's hash, the size, and .jpg (.png for a
// picture with transparency). It depends only on the original and the
// size, so a thumbnail is made once.
func (m *Mirror) thumbName(name string, alpha bool) string {
	ext := ".jpg"
	if alpha {
		ext = ".png"
	}
	base := strings.TrimSuffix(name, filepath.Ext(name))
	return fmt.Sprintf("%s-%dx%d%s", base, m.opt.ThumbWidth, m.opt.ThumbHeight, ext)
}

// Thumbnail makes the cover thumbnail of the mirrored file f (read from
// the Mirror's folders) and writes it into every folder through w: the
// picture turned upright (EXIF orientation), cropped to the thumbnail's
// aspect around its centre and scaled to its size with Catmull-Rom
// resampling, as a JPEG (a PNG when the picture has transparency). It
// returns the thumbnail's name, or f.Name itself when the original serves
// as its own thumbnail: an animated GIF (left as is), an AVIF (no decoder
// in Go), or a picture no larger than the thumbnail.
func (m *Mirror) Thumbnail(f File, w *output.Writer) (string, error) {
	tw, th := m.opt.ThumbWidth, m.opt.ThumbHeight
	if tw <= 0 || th <= 0 {
		return "", nil
	}
	if f.Type == "image/avif" || (f.Width <= tw && f.Height <= th) {
		return f.Name, nil
	}
	src, err := m.Open(f.Name)
	if err != nil {
		return "", fmt.Errorf("thumbnail of %s: %w", f.Name, err)
	}
	defer src.Close()
	r := bufio.NewReaderSize(src, 64<<10)
	orientation := 1
	var img image.Image
	switch f.Type {
	case "image/jpeg":
		head, _ := r.Peek(64 << 10)
		orientation = exifOrientation(head)
		img, err = jpeg.Decode(r)
	case "image/png":
		img, err = png.Decode(r)
	case "image/gif":
		var g *gif.GIF
		if g, err = gif.DecodeAll(r); err == nil {
			if len(g.Image) > 1 {
				return f.Name, nil // animated: left as is
			}
			img = g.Image[0]
		}
	case "image/webp":
		img, err = webp.Decode(r)
	default:
		return f.Name, nil
	}
	if err != nil {
		return "", fmt.Errorf("thumbnail of %s: %w: %w", f.Name, ErrUnreadable, err)
	}
	thumb := fill(img, tw, th, orientation)
	alpha := !opaque(thumb)
	name := m.thumbName(f.Name, alpha)
	var buf bytes.Buffer
	if alpha {
		err = png.Encode(&buf, thumb)
	} else {
		err = jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return "", fmt.Errorf("thumbnail of %s: %w: encode: %w", f.Name, ErrUnreadable, err)
	}
	for _, dir := range m.opt.Dirs {
		if _, err := w.Update(filepath.Join(dir, name), buf.Bytes()); err != nil {
			return "", fmt.Errorf("thumbnail of %s: %w", f.Name, err)
		}
	}
	return name, nil
}

// ErrUnreadable is the error of a thumbnail whose picture does not decode
// (its header passed the downloader's checks, its pixels are broken).
var ErrUnreadable = errors.New("picture cannot be decoded")

// fill returns img turned upright by orientation (1–8, EXIF), cropped to
// the aspect w:h around its centre and scaled to w×h.
func fill(img image.Image, w, h, orientation int) *image.RGBA {
	// The crop is chosen in the stored picture's frame: a picture stored
	// on its side (orientations 5–8) is cropped to h:w, scaled to h×w and
	// turned after, which turns the small picture instead of the large.
	sw, sh := w, h
	if orientation >= 5 && orientation <= 8 {
		sw, sh = h, w
	}
	b := img.Bounds()
	crop := b
	if b.Dx()*sh > b.Dy()*sw { // wider than wanted: cut the sides
		cw := b.Dy() * sw / sh
		crop.Min.X = b.Min.X + (b.Dx()-cw)/2
		crop.Max.X = crop.Min.X + cw
	} else {
		ch := b.Dx() * sh / sw
		crop.Min.Y = b.Min.Y + (b.Dy()-ch)/2
		crop.Max.Y = crop.Min.Y + ch
	}
	scaled := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.CatmullRom.Scale(scaled, scaled.Bounds(), img, crop, draw.Src, nil)
	return orient(scaled, orientation)
}

// orient applies an EXIF orientation to img: 2 mirrors it, 3 turns it
// half round, 4 flips it, 5–8 transpose it (6: turned a quarter right to
// stand up, 8: a quarter left).
func orient(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si := img.PixOffset(x, y)
			di := out.PixOffset(dx, dy)
			copy(out.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return out
}

func opaque(img *image.RGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xff {
			return false
		}
	}
	return true
}

// exifOrientation reads the Orientation tag (0x0112) of a JPEG's EXIF
// block from its first bytes; 1 (upright) when there is none. Hand-written:
// one tag of one IFD is all a thumbnail needs, and the EXIF libraries for
// Go read everything, and are not maintained.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return 1
		}
		marker := b[i+1]
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 { // start of scan, end: no EXIF before
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			if o, err := tiffOrientation(seg[6:]); err == nil {
				return o
			}
			return 1
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) (int, error) {
	if len(t) < 8 {
		return 0, io.ErrUnexpectedEOF
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, errors.New("not a TIFF header")
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0, io.ErrUnexpectedEOF
	}
	count := int(bo.Uint16(t[off:]))
	for k := range count {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v, nil
			}
			return 1, nil
		}
	}
	return 1, nil
}

// RemoveFiles deletes paths (orphans); missing files are fine.
func RemoveFiles(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
