//go:build ignore

// gen_images draws the pictures of the example feeds (images/*.jpg): small
// scenes made for the project with nothing but image/draw, so that the
// bundled example shows real pictures offline and owes nobody a licence.
// The feeds name them by relative URL; `images.proxy: mirror` in
// examples/feedpost.yaml copies them beside the posts. Re-run from the
// repository root after changing a scene:
//
//	cd examples/feeds && go run gen_images.go
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const w, h = 640, 360

func main() {
	scenes := map[string]func(*image.RGBA, *rand.Rand){
		"editor":    editor,
		"chip":      chip,
		"robot":     robot,
		"jet":       jet,
		"microbe":   microbe,
		"moon":      moon,
		"chart":     chart,
		"birds":     birds,
		"market":    market,
		"metro":     metro,
		"sea":       sea,
		"city":      city,
		"mountains": mountains,
	}
	dir := "images"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	total := 0
	for name, draw := range scenes {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw(img, rand.New(rand.NewPCG(uint64(len(name)), 42)))
		path := filepath.Join(dir, name+".jpg")
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 80}); err != nil {
			fail(err)
		}
		fi, _ := f.Stat()
		total += int(fi.Size())
		f.Close()
	}
	fmt.Printf("%d pictures, %d KB\n", len(scenes), total/1024)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func rgb(r, g, b float64) color.RGBA {
	c := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }
	return color.RGBA{c(r), c(g), c(b), 255}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	return rgb(float64(a.R)+(float64(b.R)-float64(a.R))*t, float64(a.G)+(float64(b.G)-float64(a.G))*t,
		float64(a.B)+(float64(b.B)-float64(a.B))*t)
}

// gradient fills img from top to bottom.
func gradient(img *image.RGBA, top, bottom color.RGBA) {
	for y := range h {
		c := mix(top, bottom, float64(y)/h)
		for x := range w {
			img.SetRGBA(x, y, c)
		}
	}
}

func rect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	for y := max(y0, 0); y < min(y1, h); y++ {
		for x := max(x0, 0); x < min(x1, w); x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func disc(img *image.RGBA, cx, cy, r float64, c color.RGBA, alpha float64) {
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			if x < 0 || y < 0 || x >= w || y >= h {
				continue
			}
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			if a := math.Min(1, r-d+0.5) * alpha; a > 0 {
				img.SetRGBA(x, y, mix(img.RGBAAt(x, y), c, a))
			}
		}
	}
}

func line(img *image.RGBA, x0, y0, x1, y1, width float64, c color.RGBA) {
	n := int(math.Hypot(x1-x0, y1-y0))
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(max(n, 1))
		disc(img, x0+(x1-x0)*t, y0+(y1-y0)*t, width/2, c, 1)
	}
}

func editor(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(40, 44, 62), rgb(24, 26, 38))
	rect(img, 40, 30, 600, 330, rgb(30, 32, 46))
	rect(img, 40, 30, 600, 56, rgb(52, 56, 78))
	for i, c := range []color.RGBA{rgb(255, 95, 86), rgb(255, 189, 46), rgb(39, 201, 63)} {
		disc(img, float64(58+i*20), 43, 6, c, 1)
	}
	palette := []color.RGBA{rgb(198, 120, 221), rgb(97, 175, 239), rgb(152, 195, 121), rgb(229, 192, 123), rgb(171, 178, 191)}
	for row := range 11 {
		x := 70 + 24*(r.IntN(4))
		for x < 560 && r.IntN(6) > 0 {
			l := 20 + r.IntN(90)
			rect(img, x, 74+row*22, min(x+l, 580), 84+row*22, palette[r.IntN(len(palette))])
			x += l + 10
		}
	}
	rect(img, 330, 140, 333, 160, rgb(255, 255, 255)) // a second cursor: collaboration
	rect(img, 333, 140, 380, 150, rgb(255, 140, 0))
}

func chip(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(12, 60, 48), rgb(6, 30, 24))
	for i := 0; i < 40; i++ {
		y := float64(20 + r.IntN(320))
		line(img, 0, y, 640, y+float64(r.IntN(40)-20), 2, rgb(40, 140, 100))
	}
	rect(img, 200, 60, 440, 300, rgb(40, 40, 48))
	for gy := range 6 {
		for gx := range 6 {
			c := rgb(90+float64(r.IntN(80)), 100+float64(r.IntN(60)), 160+float64(r.IntN(80)))
			rect(img, 215+gx*37, 75+gy*37, 245+gx*37, 105+gy*37, c)
		}
	}
	for i := range 12 {
		rect(img, 205+i*20, 44, 213+i*20, 60, rgb(210, 180, 90))
		rect(img, 205+i*20, 300, 213+i*20, 316, rgb(210, 180, 90))
	}
}

func robot(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(200, 215, 230), rgb(120, 130, 145))
	rect(img, 0, 270, 640, 360, rgb(90, 95, 100))
	for i := range 8 { // pipes and gauges
		rect(img, 40+i*75, 60, 60+i*75, 270, rgb(150, 155, 165))
		disc(img, float64(50+i*75), 120, 18, rgb(250, 250, 240), 1)
		line(img, float64(50+i*75), 120, float64(50+i*75+r.IntN(20)-10), 108, 3, rgb(200, 30, 30))
	}
	rect(img, 280, 190, 380, 270, rgb(250, 200, 40))
	rect(img, 300, 150, 360, 190, rgb(240, 180, 30))
	disc(img, 318, 168, 7, rgb(30, 160, 230), 1)
	disc(img, 342, 168, 7, rgb(30, 160, 230), 1)
	disc(img, 295, 280, 14, rgb(40, 40, 40), 1)
	disc(img, 365, 280, 14, rgb(40, 40, 40), 1)
}

func jet(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(5, 5, 25), rgb(20, 10, 40))
	for range 400 {
		disc(img, r.Float64()*w, r.Float64()*h, r.Float64()*1.4, rgb(255, 255, 255), r.Float64())
	}
	for i := 0; i < 200; i++ {
		t := float64(i) / 200
		c := mix(rgb(120, 180, 255), rgb(255, 120, 220), t)
		disc(img, 320+t*300, 180-t*140+math.Sin(t*12)*12, 18*(1-t)+3, c, 0.15)
		disc(img, 320-t*300, 180+t*140-math.Sin(t*12)*12, 18*(1-t)+3, c, 0.15)
	}
	disc(img, 320, 180, 40, rgb(255, 170, 60), 0.6)
	disc(img, 320, 180, 22, rgb(0, 0, 0), 1)
}

func microbe(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(225, 240, 230), rgb(190, 220, 205))
	for range 14 {
		x, y, rad := r.Float64()*w, r.Float64()*h, 20+r.Float64()*40
		disc(img, x, y, rad, rgb(90, 160, 120), 0.5)
		disc(img, x, y, rad*0.8, rgb(150, 210, 170), 0.6)
		disc(img, x+rad*0.2, y-rad*0.1, rad*0.25, rgb(70, 110, 160), 0.8)
	}
	disc(img, 320, 180, 150, rgb(0, 0, 0), 0.06)
}

func moon(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(10, 10, 16), rgb(30, 30, 36))
	rect(img, 0, 200, 640, 360, rgb(120, 118, 112))
	for y := 200; y < h; y++ {
		for x := range w {
			v := float64(r.IntN(24)) - 12
			c := img.RGBAAt(x, y)
			img.SetRGBA(x, y, rgb(float64(c.R)+v, float64(c.G)+v, float64(c.B)+v))
		}
	}
	for range 25 {
		x, y, rad := r.Float64()*w, 210+r.Float64()*150, 6+r.Float64()*26
		disc(img, x, y, rad, rgb(80, 78, 74), 0.7)
		disc(img, x+rad*0.2, y+rad*0.1, rad*0.8, rgb(100, 98, 92), 0.7)
	}
	disc(img, 520, 80, 34, rgb(70, 120, 220), 1) // the Earth
	disc(img, 510, 72, 12, rgb(80, 170, 90), 0.9)
}

func chart(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(250, 250, 252), rgb(236, 240, 246))
	for i := range 6 {
		rect(img, 60, 50+i*50, 600, 51+i*50, rgb(210, 214, 222))
	}
	x, y := 60.0, 280.0
	for i := range 27 {
		nx, ny := 60+float64(i+1)*20, math.Max(60, math.Min(300, y+float64(r.IntN(50)-28)))
		line(img, x, y, nx, ny, 4, rgb(220, 50, 50))
		rect(img, int(nx)-6, int(math.Min(ny, y)), int(nx)+6, 300, rgb(90, 140, 210))
		x, y = nx, ny
	}
}

func birds(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(250, 180, 120), rgb(250, 230, 200))
	disc(img, 480, 250, 60, rgb(255, 120, 60), 0.9)
	rect(img, 0, 300, 640, 360, rgb(60, 70, 80))
	for range 22 {
		x, y, s := 60+r.Float64()*420, 40+r.Float64()*180, 6+r.Float64()*8
		line(img, x-s, y-s/2, x, y, 2.5, rgb(40, 40, 50))
		line(img, x, y, x+s, y-s/2, 2.5, rgb(40, 40, 50))
	}
}

func market(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(20, 20, 50), rgb(50, 30, 60))
	for i := range 7 {
		x := i * 95
		rect(img, x, 200, x+85, 360, rgb(100+float64(r.IntN(60)), 60, 40))
		rect(img, x, 190, x+85, 210, rgb(200, 60, 50))
	}
	for range 24 {
		x, y := r.Float64()*w, 40+r.Float64()*120
		disc(img, x, y, 26, rgb(255, 140, 40), 0.25)
		disc(img, x, y, 12, rgb(230, 40, 30), 1)
		disc(img, x, y, 6, rgb(255, 200, 80), 0.8)
	}
}

func metro(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(235, 238, 242), rgb(210, 214, 222))
	colours := []color.RGBA{rgb(230, 60, 60), rgb(40, 130, 220), rgb(40, 170, 90), rgb(240, 160, 30), rgb(150, 80, 200)}
	for i, c := range colours {
		y := 60.0 + float64(i)*60
		x := 20.0
		for x < 620 {
			nx := x + 60 + float64(r.IntN(60))
			ny := y + float64(r.IntN(60)-30)
			line(img, x, y, nx, ny, 8, c)
			disc(img, nx, ny, 9, rgb(255, 255, 255), 1)
			disc(img, nx, ny, 9, c, 0.3)
			x, y = nx, ny
		}
	}
}

func sea(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(120, 190, 240), rgb(220, 240, 250))
	for y := 180; y < h; y++ {
		t := float64(y-180) / 180
		for x := range w {
			wave := math.Sin(float64(x)/18+float64(y)/5) * 10
			img.SetRGBA(x, y, rgb(20+wave, 110+60*t+wave, 170+40*t))
		}
	}
	disc(img, 140, 90, 40, rgb(255, 250, 220), 0.9)
	_ = r
}

func city(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(40, 60, 110), rgb(230, 140, 100))
	x := 0
	for x < w {
		bw, bh := 40+r.IntN(50), 80+r.IntN(200)
		rect(img, x, h-bh, x+bw, h, rgb(30, 34, 50))
		for wy := h - bh + 10; wy < h-10; wy += 16 {
			for wx := x + 6; wx < x+bw-8; wx += 12 {
				if r.IntN(3) == 0 {
					rect(img, wx, wy, wx+6, wy+8, rgb(255, 220, 130))
				}
			}
		}
		x += bw + 4
	}
}

func mountains(img *image.RGBA, r *rand.Rand) {
	gradient(img, rgb(150, 200, 240), rgb(240, 240, 230))
	for layer, c := range []color.RGBA{rgb(130, 150, 180), rgb(80, 110, 120), rgb(40, 80, 60)} {
		base := 180 + layer*50
		phase := r.Float64() * 10
		for x := range w {
			top := base - int(60*math.Abs(math.Sin(float64(x)/90+phase))) - layer*5
			for y := top; y < h; y++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
