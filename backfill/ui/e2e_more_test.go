package ui_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestBrowserSecurity checks the rules of the page's security in Chromium: no page without
// the token, a token that works once, a foreign Host refused (a site whose name resolves to
// 127.0.0.1), and state changes from another origin refused, although the browser sends the
// session cookie with them (another port of 127.0.0.1 is the same site).
func TestBrowserSecurity(t *testing.T) {
	tm := newTimings(t)
	root := newBrowser(t)
	core, logs := observer.New(zap.WarnLevel)
	s := serve(t, ui.Options{Front: backfill.Front{Logger: zap.New(core)}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.Origin(), "http://"))
	tm.step("start Chromium and the server")

	// No token: the page is refused, and so is the API.
	res := navigate(t, root, s.Origin()+"/")
	if res.Status != http.StatusUnauthorized || !strings.Contains(body(t, root), "This page needs its session") {
		t.Fatalf("without the token: %d %q", res.Status, body(t, root))
	}
	if res := navigate(t, root, s.Origin()+"/api/state"); res.Status != http.StatusUnauthorized {
		t.Fatalf("the API without the token: %d", res.Status)
	}
	tm.step("no token: refused")

	// The token starts the session once; in another browser profile it is spent.
	if res := navigate(t, root, s.URL()); res.Status != http.StatusOK {
		t.Fatalf("with the token: %d", res.Status)
	}
	var cookies []*network.Cookie
	do(t, root, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
		cookies = r.Cookies
		return err
	}))
	if len(cookies) != 1 || !cookies[0].HTTPOnly || cookies[0].SameSite != network.CookieSameSiteStrict {
		t.Fatalf("cookies %+v: want one HttpOnly, SameSite=Strict", cookies)
	}
	other, cancel := newTab(t, root, chromedp.WithNewBrowserContext())
	defer cancel()
	if res := navigate(t, other, s.URL()); res.Status != http.StatusUnauthorized {
		t.Fatalf("the token a second time, in another profile: %d", res.Status)
	}
	tm.step("token once, then spent")

	// DNS rebinding: evil.test resolves to 127.0.0.1; its Host is refused.
	if res := navigate(t, other, "http://evil.test:"+port+"/"); res.Status != http.StatusMisdirectedRequest {
		t.Fatalf("Host evil.test: %d", res.Status)
	}
	tab, closeTab := newTab(t, root)
	defer closeTab()
	if res := navigate(t, tab, "http://evil.test:"+port+"/api/state"); res.Status != http.StatusMisdirectedRequest {
		t.Fatalf("Host evil.test, API: %d", res.Status)
	}
	tm.step("foreign Host: refused")

	// A page on another port of 127.0.0.1 (the same site: the cookie goes along) posts to
	// the page's server: a form, a JSON fetch without CORS, a fetch with a guessed check.
	evil := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><iframe name="sink"></iframe>
<form id="f" method="POST" action="%[1]s/api/quit" target="sink" enctype="text/plain"><input name='{"force":true,"x' value='"}'></form>
<script>
document.getElementById("f").submit();
fetch("%[1]s/api/org", {method: "POST", mode: "no-cors", credentials: "include", body: JSON.stringify({kind: "practice"})});
fetch("%[1]s/api/quit", {method: "POST", credentials: "include", headers: {"X-Backfill-Check": "guess", "Content-Type": "application/json"}, body: "{}"})
  .then(() => { document.title = "reached"; }, () => { document.title = "blocked"; });
</script></body></html>`, s.Origin())
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go evil.Serve(ln)
	defer evil.Close()
	navigate(t, tab, "http://"+ln.Addr().String()+"/")
	deadline := time.Now().Add(10 * time.Second)
	for eval[string](t, tab, `document.title`) == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if title := eval[string](t, tab, `document.title`); title != "blocked" {
		t.Errorf("the fetch with a custom header was %q, want blocked by CORS", title)
	}
	deadline = time.Now().Add(10 * time.Second)
	for logs.FilterMessage("refused a state change from outside the page").Len() < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	refused := logs.FilterMessage("refused a state change from outside the page").All()
	if len(refused) < 2 {
		t.Fatalf("the server refused %d cross-origin posts, want the form's and the fetch's: %v", len(refused), logs.All())
	}
	for _, e := range refused {
		if !strings.Contains(e.ContextMap()["why"].(string), "it came from http://127.0.0.1:") {
			t.Errorf("refused for %v, want its origin", e.ContextMap())
		}
	}
	select {
	case why := <-s.done:
		t.Fatalf("the server stopped (%s) on a post from another origin", why)
	default:
	}
	// The page's own tab reads the state: no org was chosen by the posts.
	ctx, cancelEval := context.WithTimeout(root, 10*time.Second)
	defer cancelEval()
	org, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/api/state").then(r => r.json()).then(s => JSON.stringify(s.org || null))`, chromedp.EvalAwaitPromise))
	if err != nil || org != "null" {
		t.Fatalf("the org after the posts: %s (%v), want none", org, err)
	}
	tm.step("cross-origin posts: refused")
	tm.report()
}

// navigate loads url in the tab and returns the response.
func navigate(t *testing.T, ctx context.Context, url string) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	return res
}

func body(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, `document.body ? document.body.textContent : ""`)
}

// TestBrowserClosedTabResume: an import keeps running when its tab is closed (a new tab
// shows it running); stopping the server mid-import leaves a run the next server lists as
// interrupted, and its Resume button finishes it with every row loaded once.
func TestBrowserClosedTabResume(t *testing.T) {
	tm := newTimings(t)
	root := newBrowser(t)
	// The org holds its Bulk jobs in progress until the test lets them go.
	emu, login := emulator(t, sftest.WithJobDelay(time.Hour))
	runs := t.TempDir()
	s1 := serve(t, ui.Options{Org: login, Runs: runs})
	tm.step("start Chromium, the org and the server")

	tabA, closeA := newTab(t, root)
	defer closeA()
	do(t, tabA, chromedp.Navigate(s1.URL()), chromedp.WaitVisible(chromedp.ID("choice-cli")))
	if label := eval[string](t, tabA, `document.getElementById("choice-cli-label").textContent`); !strings.Contains(label, emu.URL) {
		t.Fatalf("the command line's login is %q, want its instance", label)
	}
	do(t, tabA, chromedp.Click(chromedp.ID("choice-cli")), chromedp.Click(chromedp.ID("use-org")))
	waitText(t, tabA, "org-status", "Using ", 30*time.Second)
	do(t, tabA, chromedp.SetUploadFiles(chromedp.ID("export-file"), []string{sample}))
	waitText(t, tabA, "export-status", "The export:", 30*time.Second)
	press(t, tabA, "plan", "plan", 60*time.Second)
	press(t, tabA, "approve", "approve", 30*time.Second, chromedp.SendKeys(chromedp.ID("approve-by"), "Dana Admin", chromedp.NodeEnabled))
	dir := runFolder(t, runs)
	planned := readDisk(t, dir).summary.Count(runfolder.ToInsert, runfolder.ToUpdate)
	tm.step("org, export, plan, approve")

	do(t, tabA, chromedp.Click(chromedp.ID("import"), chromedp.NodeEnabled), chromedp.WaitVisible(chromedp.ID("confirm")), chromedp.Click(chromedp.ID("confirm-yes")))
	// Wait for the upload to end: the Bulk job is processing.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if eval[bool](t, tabA, `!!(state && state.tasks.some(t => t.kind === "import" && t.state === "running" && t.steps.some(s => s.step === "process")))`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := eval[int](t, tabA, `document.querySelectorAll("#jobs tbody tr").length`); n == 0 {
		t.Fatal("the page shows no Bulk job while the import runs")
	}
	tm.step("import started (job processing)")
	closeA() // close the tab mid-import

	tabB, closeB := newTab(t, root)
	defer closeB()
	do(t, tabB, chromedp.Navigate(s1.Origin()+"/"), chromedp.WaitVisible(chromedp.ID("runs")))
	waitText(t, tabB, "runs", "importing", 10*time.Second)
	if st := lastTask(t, tabB, "import"); st == nil || st.State != "running" {
		t.Fatalf("after the tab closed, the import is %+v, want running", st)
	}
	tm.step("tab closed: import still running")

	why := s1.stopped(t) // stop the server mid-import, as Ctrl-C does
	d := readDisk(t, dir)
	if why != "interrupted" || !d.journal.Started || d.journal.Finished {
		t.Fatalf("after stopping the server (%s): journal started %v, finished %v", why, d.journal.Started, d.journal.Finished)
	}
	closeB()
	// Salesforce ends the job the stopped server left running (an admin aborts it in Setup),
	// and processes the next ones at once: Resume loads its rows again in a follow-up job.
	emu.SetJobDelay(0)
	for _, j := range emu.Jobs() {
		if j.Kind == "ingest" && (j.State == "UploadComplete" || j.State == "InProgress") {
			if err := emu.SetJobState(j.ID, sftest.StateAborted, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	tm.step("server stopped mid-import")

	s2 := serve(t, ui.Options{Org: login, Runs: runs})
	tabC, closeC := newTab(t, root)
	defer closeC()
	do(t, tabC, chromedp.Navigate(s2.URL()), chromedp.WaitVisible(chromedp.ID("runs")))
	waitText(t, tabC, "runs", "interrupted", 10*time.Second)
	resume := `#runs button[aria-label^="Resume the import"]`
	prev := lastTask(t, tabC, "resume")
	do(t, tabC, chromedp.Click(chromedp.CSS(resume), chromedp.NodeVisible))
	res := waitTask(t, tabC, "resume", prev, 60*time.Second)
	if res.Outcome.Tone != "ok" {
		t.Fatalf("resume: %+v", res.Outcome)
	}
	d = readDisk(t, dir)
	if !d.journal.Finished || d.summary.Count(runfolder.Created, runfolder.Updated) != planned {
		t.Fatalf("after Resume: finished %v, loaded %d of %d", d.journal.Finished, d.summary.Count(runfolder.Created, runfolder.Updated), planned)
	}
	waitText(t, tabC, "runs", "imported", 10*time.Second)
	tm.step("new server: Resume from the list")
	tm.report()
}
