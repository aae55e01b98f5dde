package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
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
			err = judge(io.Discard, path, judgeOptions{minBar: 4000, minColours: 2})
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

// TestJudgeWidth: -width judges only the frame's columns, and -save writes them, cut to
// -save-height.
func TestJudgeWidth(t *testing.T) {
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	img := image.NewRGBA(image.Rect(0, 0, 640, 1000))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	drawNoise(img)
	fill(img, image.Rect(430, 200, 630, 260), color.RGBA{0x2e, 0x7d, 0x4f, 0xff}) // right of 420
	fill(img, image.Rect(430, 300, 630, 360), color.RGBA{0x3b, 0x6f, 0xb6, 0xff})
	dir := t.TempDir()
	path := filepath.Join(dir, "shot.png")
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
	if err := judge(io.Discard, path, judgeOptions{minBar: 4000, minColours: 2}); err != nil {
		t.Errorf("the whole screenshot: %v, want ok", err)
	}
	if err := judge(io.Discard, path, judgeOptions{minBar: 4000, minColours: 2, width: 420}); err == nil {
		t.Error("-width 420 judged the bars right of the frame")
	}
	save := filepath.Join(dir, "top.png")
	if err := judge(io.Discard, path, judgeOptions{minBar: 4000, minColours: 2, width: 600, save: save, saveHeight: 300}); err != nil {
		t.Fatal(err)
	}
	top, err := readPNG(save)
	if err != nil {
		t.Fatal(err)
	}
	if got := top.Bounds().Size(); got != image.Pt(600, 300) {
		t.Errorf("-save wrote %v, want 600x300", got)
	}
}

// TestFit reads the measures of a frame page from a --dump-dom and judges them.
func TestFit(t *testing.T) {
	dom := func(m string) []byte {
		return []byte(`<html lang="en" ` + fitAttr + `="` + html.EscapeString(m) + `"><head></head><body><iframe></iframe></body></html>`)
	}
	tests := []struct {
		name, dom string
		width     int
		err       string // "" when it fits
	}{
		{"fits", `{"title":"backfill import report","width":420,"scrollWidth":420,"height":8000,"outside":[]}`, 420, ""},
		{"any width", `{"title":"backfill plan report","width":1280,"scrollWidth":1280,"height":5000}`, 0, ""},
		{"wider than the window", `{"title":"backfill import report","width":420,"scrollWidth":950,"outside":["table.jobs 16..950"]}`, 420,
			"the report is 950 px wide in a 420 px window: it scrolls sideways or is cut off (table.jobs 16..950)"},
		{"cut off on the left", `{"title":"backfill import report","width":420,"scrollWidth":420,"outside":["text -12..30"]}`, 420,
			"1 elements stick out of the 420 px window: text -12..30"},
		{"the window was not narrowed", `{"title":"backfill import report","width":500,"scrollWidth":500}`, 420, "the frame is 500 px wide, want 420"},
		{"not the report", `{"title":"","width":420,"scrollWidth":420}`, 420, `the frame shows "", not a backfill report`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := readFit(dom(tt.dom))
			if err != nil {
				t.Fatal(err)
			}
			err = m.check(tt.width)
			if got := fmt.Sprint(err); (err == nil) != (tt.err == "") || err != nil && got != tt.err {
				t.Errorf("check = %v, want %q", err, tt.err)
			}
		})
	}
	if _, err := readFit([]byte("<html><body>no script ran</body></html>")); err == nil {
		t.Error("readFit of a page without measures: no error")
	}
}

// TestFrame: the frame page holds the report whole in its srcdoc, in a frame of the width
// asked, with the measuring script.
func TestFrame(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>backfill plan report</title></head><body><p class="x">"quoted" & <b>bold</b></p></body></html>`
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := dispatch(&out, io.Discard, []string{"frame", "-width", "420", path}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	var srcdoc, script string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "iframe" {
			for _, a := range n.Attr {
				if a.Key == "srcdoc" {
					srcdoc = a.Val
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "script" && n.FirstChild != nil {
			script = n.FirstChild.Data
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if srcdoc != page {
		t.Errorf("srcdoc holds\n%s\nwant the page\n%s", srcdoc, page)
	}
	for _, want := range []string{"width: 420px", "scrollWidth", fitAttr} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the frame page lacks %q", want)
		}
	}
	if !strings.Contains(script, "getBoundingClientRect") {
		t.Error("the frame page has no measuring script")
	}
}

// TestTerminal: the terminal page shows the text escaped, WARNING lines marked.
func TestTerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.txt")
	text := "backfill plan: 45 rows in export.csv\n\n  outcome  rows\nWARNING: <b>2 rows</b> were rejected\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := dispatch(&out, io.Discard, []string{"terminal", "-title", "backfill plan", path}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<span class="warn">WARNING: &lt;b&gt;2 rows&lt;/b&gt; were rejected</span>`, `<span class="head">backfill plan: 45 rows in export.csv</span>`,
		"<b>backfill plan</b>"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the terminal page lacks %s:\n%s", want, out.String())
		}
	}
}
