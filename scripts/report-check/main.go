// Command report-check renders report.html in headless Chromium for make report-check and
// judges what Chromium made of it: a page that renders, charts that drew bars, and nothing
// cut off or wider than the window at a phone's width (420 px) or a laptop's (1280 px).
//
//	go run ./scripts/report-check render SUMMARY.json > report.html
//	go run ./scripts/report-check frame -width 420 REPORT.html > frame.html
//	go run ./scripts/report-check terminal -title TITLE TEXT.txt > terminal.html
//	go run ./scripts/report-check [-width N] [-dom DOM.html] [-save FILE.png] SHOT.png
//
// render writes the report of a summary.json, as the job does. frame writes a page that
// shows a report in a frame exactly N CSS pixels wide (headless Chromium will not make its
// window narrower than 500) with a script that measures it once it has loaded: the
// document's scrollWidth against the frame's width, and every element whose box ends right
// of the frame or starts left of it, unless a container that scrolls sideways holds it (the
// wide tables do). Chromium's --dump-dom of the frame page carries the measures; -dom reads
// them and fails when the page is wider than the frame or something sticks out. This is
// the browser's own layout, so it does not depend on fonts, colours or antialiasing.
// terminal writes a dark terminal page of a text (for the README's picture of a summary).
//
// The screenshot check counts the pixels inside solid areas of the bar colours of
// backfill/report/report.html.tmpl (text, borders and the verdict box's accents are too thin
// to count); keep barColours in step with the template's CSS variables. -width judges only
// the frame's columns; -save writes them, cut to -save-height, as a PNG.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/net/html"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
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
	if err := dispatch(os.Stdout, os.Stderr, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errUsage) {
			fmt.Fprintf(os.Stderr, "report-check: %v\n", err)
			os.Exit(1)
		}
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

func dispatch(stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "render":
			return runRender(stdout, stderr, args[1:])
		case "frame":
			return runFrame(stdout, stderr, args[1:])
		case "terminal":
			return runTerminal(stdout, stderr, args[1:])
		}
	}
	return runJudge(stdout, stderr, args)
}

func newFlags(stderr io.Writer, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./scripts/report-check "+usage)
		fs.PrintDefaults()
	}
	return fs
}

func oneArg(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return fs.Arg(0), nil
}

// fileArg parses args and reads the one file they name.
func fileArg(fs *flag.FlagSet, args []string) (string, []byte, error) {
	path, err := oneArg(fs, args)
	if err != nil {
		return "", nil, err
	}
	b, err := os.ReadFile(path)
	return path, b, err
}

func runJudge(stdout, stderr io.Writer, args []string) error {
	fs := newFlags(stderr, "report-check", "[flags] FILE.png")
	opt := judgeOptions{}
	fs.IntVar(&opt.minBar, "min-bar-pixels", 4000, "fail when solid bar colours cover fewer pixels than this")
	fs.IntVar(&opt.minColours, "min-colours", 2, "fail when fewer bar colours than this are drawn (each over 200 pixels)")
	fs.IntVar(&opt.width, "width", 0, "judge only the left N columns: the frame of a frame page (0: all)")
	fs.StringVar(&opt.dom, "dom", "", "Chromium's --dump-dom of the frame page: fail when the report is wider than its frame")
	fs.StringVar(&opt.save, "save", "", "write the judged columns, cut to -save-height, to this PNG")
	fs.IntVar(&opt.saveHeight, "save-height", 1000, "the height of the -save picture")
	path, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	return judge(stdout, path, opt)
}

type judgeOptions struct {
	minBar, minColours int
	width              int
	dom                string
	save               string
	saveHeight         int
}

func judge(w io.Writer, path string, opt judgeOptions) error {
	img, err := readPNG(path)
	if err != nil {
		return err
	}
	if opt.width > 0 {
		if img.Bounds().Dx() < opt.width {
			return fmt.Errorf("%s is %d pixels wide, narrower than -width %d", path, img.Bounds().Dx(), opt.width)
		}
		img = crop(img, opt.width, img.Bounds().Dy())
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
	case st.barTotal < opt.minBar:
		return fmt.Errorf("the charts cover %d pixels in bar colours, want at least %d: the bars did not render", st.barTotal, opt.minBar)
	case st.barColours < opt.minColours:
		return fmt.Errorf("%d bar colours drawn, want at least %d", st.barColours, opt.minColours)
	}
	if opt.dom != "" {
		b, err := os.ReadFile(opt.dom)
		if err != nil {
			return err
		}
		m, err := readFit(b)
		if err != nil {
			return fmt.Errorf("%s: %w", opt.dom, err)
		}
		fmt.Fprintf(w, "report-check: %s: %q %d px wide in a frame of %d, %d px tall\n", opt.dom, m.Title, m.ScrollWidth, m.Width, m.Height)
		if err := m.check(opt.width); err != nil {
			return err
		}
	}
	if opt.save != "" {
		if err := writePNG(opt.save, crop(img, img.Bounds().Dx(), opt.saveHeight)); err != nil {
			return err
		}
		fmt.Fprintf(w, "report-check: saved %s\n", opt.save)
	}
	return nil
}

// fit is what the frame page's script measured of the report in its frame.
type fit struct {
	Title       string   `json:"title"`
	Width       int      `json:"width"`       // the frame's inner width (CSS px)
	ScrollWidth int      `json:"scrollWidth"` // the report's document
	Height      int      `json:"height"`
	Outside     []string `json:"outside"` // elements sticking out of the frame, as "tag#id.class left..right"
}

// readFit reads the measures from Chromium's --dump-dom of a frame page.
func readFit(dom []byte) (*fit, error) {
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		return nil, err
	}
	var raw string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key == fitAttr {
				raw = a.Val
			}
		}
		for c := n.FirstChild; c != nil && raw == ""; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if raw == "" {
		return nil, fmt.Errorf("no %s attribute: the frame page's script did not run (is it the --dump-dom of a frame page?)", fitAttr)
	}
	m := &fit{}
	if err := json.Unmarshal([]byte(raw), m); err != nil {
		return nil, fmt.Errorf("%s: %w", fitAttr, err)
	}
	return m, nil
}

// check fails when the report did not render in a frame of width (0: any), or is wider than
// it, or has something outside it.
func (m *fit) check(width int) error {
	switch {
	case !strings.HasPrefix(m.Title, "backfill ") || !strings.HasSuffix(m.Title, " report"):
		return fmt.Errorf("the frame shows %q, not a backfill report", m.Title)
	case width > 0 && m.Width != width:
		return fmt.Errorf("the frame is %d px wide, want %d", m.Width, width)
	case m.ScrollWidth > m.Width:
		return fmt.Errorf("the report is %d px wide in a %d px window: it scrolls sideways or is cut off (%s)", m.ScrollWidth, m.Width, strings.Join(m.Outside, "; "))
	case len(m.Outside) > 0:
		return fmt.Errorf("%d elements stick out of the %d px window: %s", len(m.Outside), m.Width, strings.Join(m.Outside, "; "))
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

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return img, nil
}

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// crop returns the top-left w x h of img (as much of it as there is).
func crop(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	r := image.Rect(0, 0, min(w, b.Dx()), min(h, b.Dy()))
	out := image.NewRGBA(r)
	draw.Draw(out, r, img, b.Min, draw.Src)
	return out
}

func runRender(stdout, stderr io.Writer, args []string) error {
	fs := newFlags(stderr, "render", "render SUMMARY.json > report.html")
	path, b, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	s := &backfill.Summary{}
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return report.Render(stdout, s, report.View{})
}

// fitAttr is the attribute of the frame page's <html> that carries the measures.
const fitAttr = "data-report-fit"

var frameTemplate = template.Must(template.New("frame").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>report-check frame</title>
<style>html, body { margin: 0; background: #fff; } iframe { display: block; border: 0; width: {{.Width}}px; height: {{.Height}}px; }</style>
</head>
<body>
<iframe id="report" title="report" srcdoc="{{.Page}}"></iframe>
<script>
(function () {
  var frame = document.getElementById("report");
  // contained reports whether a container between e and the body scrolls or clips sideways.
  function contained(win, e) {
    for (var p = e.parentElement; p && p.tagName !== "BODY"; p = p.parentElement) {
      var o = win.getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return true;
    }
    return false;
  }
  function name(e) {
    var s = e.tagName.toLowerCase();
    if (e.id) s += "#" + e.id;
    var c = e.getAttribute("class");
    if (c) s += "." + c.trim().split(/\s+/).join(".");
    return s;
  }
  frame.addEventListener("load", function () {
    var win = frame.contentWindow, doc = frame.contentDocument, root = doc.documentElement;
    var width = root.clientWidth, outside = [];
    var all = doc.body.getElementsByTagName("*");
    for (var i = 0; i < all.length; i++) {
      var r = all[i].getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right <= width + 1 && r.left >= -1) continue;
      if (contained(win, all[i])) continue;
      if (outside.length < 20) outside.push(name(all[i]) + " " + Math.round(r.left) + ".." + Math.round(r.right));
    }
    var height = root.scrollHeight;
    frame.style.height = height + "px";
    document.documentElement.setAttribute("{{.Attr}}", JSON.stringify({title: doc.title, width: width,
      scrollWidth: root.scrollWidth, height: height, outside: outside}));
  });
})();
</script>
</body>
</html>
`))

func runFrame(stdout, stderr io.Writer, args []string) error {
	fs := newFlags(stderr, "frame", "frame [-width N] [-height N] REPORT.html > frame.html")
	width := fs.Int("width", 420, "the frame's width in CSS pixels")
	height := fs.Int("height", 2000, "the frame's height before the report's own height is known")
	_, page, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	// html/template escapes the page for the srcdoc attribute: the frame holds it as text
	// and parses it as its own document, with the frame page's origin.
	return frameTemplate.Execute(stdout, map[string]any{"Width": *width, "Height": *height, "Page": string(page), "Attr": fitAttr})
}

var terminalTemplate = template.Must(template.New("terminal").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
html, body { margin: 0; background: #fff; }
.window { margin: 16px; border-radius: 8px; overflow: hidden; background: #1e2127; box-shadow: 0 2px 10px rgba(0,0,0,.25); }
.bar { height: 30px; background: #2c313a; display: flex; align-items: center; padding: 0 12px; gap: 8px; }
.bar span { width: 12px; height: 12px; border-radius: 50%; background: #e06c75; }
.bar span:nth-child(2) { background: #e5c07b; } .bar span:nth-child(3) { background: #98c379; }
.bar b { flex: 1; text-align: center; color: #9da5b4; font: 600 13px system-ui, sans-serif; margin-right: 60px; }
pre { margin: 0; padding: 14px 18px 18px; color: #dcdfe4; font: 13.5px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap; }
.warn { color: #e5c07b; } .head { color: #61afef; font-weight: bold; }
</style>
</head>
<body>
<div class="window"><div class="bar"><span></span><span></span><span></span><b>{{.Title}}</b></div>
<pre>{{range .Lines}}<span class="{{.Class}}">{{.Text}}</span>
{{end}}</pre></div>
</body>
</html>
`))

func runTerminal(stdout, stderr io.Writer, args []string) error {
	fs := newFlags(stderr, "terminal", "terminal [-title TITLE] TEXT.txt > terminal.html")
	title := fs.String("title", "Terminal", "the window's title")
	_, b, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	type line struct{ Class, Text string }
	var lines []line
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		c := ""
		switch {
		case strings.HasPrefix(l, "WARNING:"):
			c = "warn"
		case strings.HasPrefix(l, "== "), strings.HasPrefix(l, "backfill "):
			c = "head"
		}
		lines = append(lines, line{c, l})
	}
	return terminalTemplate.Execute(stdout, map[string]any{"Title": *title, "Lines": lines})
}
