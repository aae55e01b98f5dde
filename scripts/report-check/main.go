// Command report-check judges a screenshot of report.html taken by headless Chromium (make
// report-check): it fails when the page is blank or nearly uniform, or when the charts drew
// no bars.
//
//	go run ./scripts/report-check FILE.png
//
// It counts the pixels inside solid areas of the bar colours of backfill/report.html.tmpl
// (text, borders and the verdict box's accents are too thin to count); keep barColours in
// step with the template's CSS variables.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"sort"
)

// barColours are the chart colours of the report (--load, --present, ...).
var barColours = []struct {
	name    string
	r, g, b uint8
}{
	{"load", 0x2e, 0x7d, 0x4f},
	{"present", 0x3b, 0x6f, 0xb6},
	{"stale", 0xd4, 0x93, 0x0f},
	{"skip", 0x9a, 0xa4, 0xae},
	{"bad", 0xc6, 0x3d, 0x35},
	{"unproc", 0x7b, 0x52, 0xab},
}

func main() {
	fs := flag.NewFlagSet("report-check", flag.ContinueOnError)
	minBar := fs.Int("min-bar-pixels", 4000, "fail when solid bar colours cover fewer pixels than this")
	minColours := fs.Int("min-colours", 2, "fail when fewer bar colours than this are drawn (each over 200 pixels)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./scripts/report-check [flags] FILE.png")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, fs.Arg(0), *minBar, *minColours); err != nil {
		fmt.Fprintf(os.Stderr, "report-check: %v\n", err)
		os.Exit(1)
	}
}

func run(w io.Writer, path string, minBar, minColours int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	st := measure(img)
	fmt.Fprintf(w, "report-check: %s: %dx%d, most common colour %.1f%% of the page, %d colours;",
		path, st.width, st.height, 100*st.dominant, st.distinct)
	for _, c := range barColours {
		fmt.Fprintf(w, " %s %d", c.name, st.bars[c.name])
	}
	fmt.Fprintln(w)
	switch {
	case st.width < 200 || st.height < 200:
		return fmt.Errorf("the screenshot is %dx%d: too small to be the page", st.width, st.height)
	case st.dominant > 0.985 || st.distinct < 16:
		return errors.New("the page is blank or nearly uniform: the report did not render")
	case st.barTotal < minBar:
		return fmt.Errorf("the charts cover %d pixels in bar colours, want at least %d: the bars did not render", st.barTotal, minBar)
	case st.barColours < minColours:
		return fmt.Errorf("%d bar colours drawn, want at least %d", st.barColours, minColours)
	}
	return nil
}

type stats struct {
	width, height        int
	dominant             float64 // share of the most common (quantised) colour
	distinct             int     // quantised colours covering at least 0.01% of the page
	bars                 map[string]int
	barTotal, barColours int
}

func measure(img image.Image) stats {
	b := img.Bounds()
	st := stats{width: b.Dx(), height: b.Dy(), bars: map[string]int{}}
	hist := map[uint32]int{}
	// colour[y*width+x] is 1 + the index of the bar colour of the pixel, or 0.
	colour := make([]uint8, st.width*st.height)
	for y := 0; y < st.height; y++ {
		for x := 0; x < st.width; x++ {
			r16, g16, b16, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			r, g, bl := uint8(r16>>8), uint8(g16>>8), uint8(b16>>8)
			hist[uint32(r>>3)<<10|uint32(g>>3)<<5|uint32(bl>>3)]++
			for i, c := range barColours {
				if near(r, c.r) && near(g, c.g) && near(bl, c.b) {
					colour[y*st.width+x] = uint8(i + 1)
					break
				}
			}
		}
	}
	// A pixel counts as a bar when the square of side 2*solid+1 around it is all its bar
	// colour: chart bars and swatches are, text, borders and antialiased edges are not.
	const solid = 2
	for y := solid; y < st.height-solid; y++ {
		for x := solid; x < st.width-solid; x++ {
			c := colour[y*st.width+x]
			if c == 0 {
				continue
			}
			ok := true
			for dy := -solid; dy <= solid && ok; dy++ {
				for dx := -solid; dx <= solid; dx++ {
					if colour[(y+dy)*st.width+x+dx] != c {
						ok = false
						break
					}
				}
			}
			if ok {
				st.bars[barColours[c-1].name]++
			}
		}
	}
	total := st.width * st.height
	counts := make([]int, 0, len(hist))
	for _, n := range hist {
		counts = append(counts, n)
		if n*10000 >= total {
			st.distinct++
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	if total > 0 && len(counts) > 0 {
		st.dominant = float64(counts[0]) / float64(total)
	}
	for _, n := range st.bars {
		st.barTotal += n
		if n > 200 {
			st.barColours++
		}
	}
	return st
}

// near allows for colour management and antialiasing in the screenshot.
func near(a, b uint8) bool {
	d := int(a) - int(b)
	return d >= -10 && d <= 10
}
