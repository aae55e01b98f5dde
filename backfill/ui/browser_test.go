package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The end-to-end tests drive the page in a real Chromium (Debian's chromium package) with
// github.com/chromedp/chromedp. They are skipped with a message when Chromium is absent,
// and under -short. BACKFILL_UI_IMAGES=docs/images keeps the README's screenshots.

// chromium finds the browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser tests start Chromium: skipped under -short")
	}
	// About 45 s of Chromium on 2 cores: make ui-check (CI runs it) sets BACKFILL_BROWSER=1,
	// and go test ./... stays quick.
	if os.Getenv("BACKFILL_BROWSER") != "1" {
		t.Skip("the browser tests run with BACKFILL_BROWSER=1 (make ui-check, which CI runs)")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: the browser tests are skipped (on Debian: apt-get install -y chromium)")
	return ""
}

// newBrowser starts a headless Chromium that resolves evil.test to 127.0.0.1 (a page of
// another site whose name points at the loopback address, as in DNS rebinding) and returns
// the context of its first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// newTab opens a tab in the browser of root (opts: chromedp.WithNewBrowserContext() for
// another profile, without root's cookies); its cancel closes it. The first action on a
// tab creates it, and must run on the tab's own context (a derived one would close the tab
// when it ends).
func newTab(t *testing.T, root context.Context, opts ...chromedp.ContextOption) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, opts...)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	return ctx, cancel
}

// do runs the steps in the tab, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// pageTask is a task as the page's state holds it.
type pageTask struct {
	Kind    string                             `json:"kind"`
	Run     string                             `json:"run"`
	State   string                             `json:"state"`
	Started string                             `json:"started"`
	Outcome *struct{ Tone, Text, Todo string } `json:"outcome"`
	Result  json.RawMessage                    `json:"result"`
}

// lastTask is the page's newest task of kind, as JSON ("null" for none).
func lastTask(t *testing.T, ctx context.Context, kind string) *pageTask {
	t.Helper()
	js := fmt.Sprintf(`JSON.stringify((state && state.tasks || []).filter(t => t.kind === %q).sort((a, b) => new Date(b.started) - new Date(a.started))[0] || null)`, kind)
	var pt *pageTask
	if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &pt); err != nil {
		t.Fatal(err)
	}
	return pt
}

// press clicks the button id and waits for the job kind it starts to end, as the page sees
// it (a task newer than the one before the click); it returns the task.
//
// A mouse click lands where the button was when its box was read: when the page moved in
// between (a status above it grew, on a busy machine), it misses. Then, and only when no job
// of kind started within five seconds, the button is clicked once more through the DOM
// (the server refuses a second job of a kind anyway).
func press(t *testing.T, ctx context.Context, id, kind string, timeout time.Duration, before ...chromedp.Action[chromedp.Void]) *pageTask {
	t.Helper()
	prev := lastTask(t, ctx, kind)
	steps := append(before, chromedp.Click(chromedp.ID(id), chromedp.NodeEnabled))
	do(t, ctx, steps...)
	if !startedWithin(t, ctx, kind, prev, 5*time.Second) {
		t.Logf("the click on #%s started no %s: clicking it again through the DOM", id, kind)
		eval[bool](t, ctx, fmt.Sprintf(`document.getElementById(%q).click(), true`, id))
	}
	return waitTask(t, ctx, kind, prev, timeout)
}

// startedWithin reports whether a job of kind newer than prev shows on the page within d.
func startedWithin(t *testing.T, ctx context.Context, kind string, prev *pageTask, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if pt := lastTask(t, ctx, kind); pt != nil && (prev == nil || pt.Started != prev.Started) {
			return true
		}
	}
	return false
}

func waitTask(t *testing.T, ctx context.Context, kind string, prev *pageTask, timeout time.Duration) *pageTask {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		pt := lastTask(t, ctx, kind)
		if pt != nil && (prev == nil || pt.Started != prev.Started) && pt.State != "running" {
			if pt.State != "done" {
				t.Fatalf("%s ended %s: %+v", kind, pt.State, pt.Outcome)
			}
			return pt
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not end within %s", kind, timeout)
	return nil
}

// waitText waits until the element id's text contains want.
func waitText(t *testing.T, ctx context.Context, id, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for time.Now().Before(deadline) {
		got = eval[string](t, ctx, fmt.Sprintf(`(document.getElementById(%q) || {}).textContent || ""`, id))
		if strings.Contains(got, want) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("#%s: %q, want it to contain %q", id, got, want)
	return ""
}

// status is the tone and text of a status element.
func status(t *testing.T, ctx context.Context, id string) (string, string) {
	t.Helper()
	s := eval[[]string](t, ctx, fmt.Sprintf(`(e => [e.className, e.textContent])(document.getElementById(%q))`, id))
	return strings.TrimSpace(strings.TrimPrefix(s[0], "status")), s[1]
}

// layout fails the test when the page is wider than the window at width w, or a control
// has no name a screen reader can say.
func layout(t *testing.T, ctx context.Context, w int64) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(200*time.Millisecond))
	wide := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if wide[0] > wide[1] {
		t.Errorf("at %d px the page is %d px wide: something sticks out", w, wide[0])
	}
	unnamed := eval[[]string](t, ctx, `[...document.querySelectorAll("button, input, select, textarea, progress, iframe")]
		.filter(e => e.getClientRects().length > 0 && e.type !== "hidden")
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby") &&
			!e.getAttribute("title") && !(e.tagName === "BUTTON" && e.textContent.trim()))
		.map(e => e.outerHTML.slice(0, 80))`)
	if len(unnamed) > 0 {
		t.Errorf("at %d px, controls without a name a screen reader can say: %q", w, unnamed)
	}
}

// screenshot saves the viewport as name in BACKFILL_UI_IMAGES, when set.
func screenshot(t *testing.T, ctx context.Context, name string, w, h int64, scrollTo string) {
	t.Helper()
	dir := os.Getenv("BACKFILL_UI_IMAGES")
	if dir == "" {
		return
	}
	scroll := chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)
	if scrollTo != "" {
		scroll = chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q).scrollIntoView({block: "start"}), true`, scrollTo))
	}
	do(t, ctx, chromedp.EmulateViewport(w, h), chromedp.Sleep(300*time.Millisecond))
	if _, err := chromedp.Run(ctx, scroll); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Sleep(300*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", filepath.Join(dir, name))
}

// waitFrame waits for the report frame id to show a report, sized to it, and returns the
// report's title.
func waitFrame(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	js := fmt.Sprintf(`(f => { const d = f.contentDocument; return d && d.readyState === "complete" && d.title && f.offsetHeight >= d.documentElement.scrollHeight ? d.title : ""; })(document.getElementById(%q))`, id)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if title := eval[string](t, ctx, js); title != "" {
			return title
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the frame %s shows no report", id)
	return ""
}

// enter is the Enter key.
const enter = kb.Enter
