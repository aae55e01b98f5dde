package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	tests := []struct {
		name string
		draw func(img *image.RGBA)
		ok   bool
	}{
		{"blank", func(*image.RGBA) {}, false},
		{"text only", func(img *image.RGBA) {
			for y := 20; y < 900; y += 20 {
				for x := 20; x < 600; x += 3 {
					img.Set(x, y, color.RGBA{uint8(x), uint8(y), 0x30, 0xff})
					img.Set(x, y+1, color.RGBA{0x1d, 0x23, uint8(x + y), 0xff})
				}
			}
		}, false},
		{"thin accents in bar colours", func(img *image.RGBA) {
			drawNoise(img)
			fill(img, image.Rect(50, 50, 500, 54), color.RGBA{0x2e, 0x7d, 0x4f, 0xff}) // a 4px border
			fill(img, image.Rect(50, 100, 54, 400), color.RGBA{0x3b, 0x6f, 0xb6, 0xff})
		}, false},
		{"charts", func(img *image.RGBA) {
			drawNoise(img)
			fill(img, image.Rect(100, 200, 450, 220), color.RGBA{0x2e, 0x7d, 0x4f, 0xff})
			fill(img, image.Rect(100, 230, 250, 250), color.RGBA{0x3b, 0x6f, 0xb6, 0xff})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, 640, 1000))
			draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
			tt.draw(img)
			path := filepath.Join(t.TempDir(), "shot.png")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
			err = run(io.Discard, path, 4000, 2)
			if (err == nil) != tt.ok {
				t.Errorf("run = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// drawNoise paints a page's worth of text-like pixels in 24 shades of grey and blue.
func drawNoise(img *image.RGBA) {
	for y := 20; y < 950; y += 9 {
		for x := 20; x < 600; x += 2 {
			k := uint8((x/2 + y/9) % 24)
			img.Set(x, y, color.RGBA{k * 8, k * 8, 0x40 + k*6, 0xff})
		}
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}
