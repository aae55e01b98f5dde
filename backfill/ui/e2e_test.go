package ui_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/backfill/ui"
)

// timings records how long each step of a browser test took.
type timings struct {
	t     *testing.T
	steps []string
	took  []time.Duration
	at    time.Time
}

func newTimings(t *testing.T) *timings { return &timings{t: t, at: time.Now()} }

func (tm *timings) step(name string) {
	now := time.Now()
	tm.steps, tm.took = append(tm.steps, name), append(tm.took, now.Sub(tm.at))
	tm.at = now
}

func (tm *timings) report() {
	var b strings.Builder
	var total time.Duration
	for i, s := range tm.steps {
		fmt.Fprintf(&b, "  %-34s %6.2f s\n", s, tm.took[i].Seconds())
		total += tm.took[i]
	}
	fmt.Fprintf(&b, "  %-34s %6.2f s", "total", total.Seconds())
	tm.t.Logf("steps and timings:\n%s", b.String())
}

// TestBrowserFlow drives the whole flow in Chromium against the practice org, as an admin
// would: the org, the sample export (by the file input), Check, Plan, Approve (by the
// keyboard), Import (after the confirmation naming the org), Verify, the undo's dry run,
// then Undo; after each step it checks the run folder on disk, and the page's layout at
// 420 and 1280 px.
func TestBrowserFlow(t *testing.T) {
	tm := newTimings(t)
	ctx := newBrowser(t)
	opts := ui.Options{PracticeJobDelay: 200 * time.Millisecond}
	if dir := os.Getenv("BACKFILL_UI_IMAGES"); dir != "" {
		// The README's pictures show the default runs folder, not a temporary one.
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("BACKFILL_UI_IMAGES", abs)
		t.Chdir(t.TempDir())
		opts.Runs = runfolder.DefaultParent
	}
	s := serve(t, opts)
	tm.step("start Chromium and the server")

	do(t, ctx, chromedp.Navigate(s.URL()), chromedp.WaitVisible(chromedp.ID("use-org")))
	if loc := eval[string](t, ctx, `location.href`); strings.Contains(loc, "token") {
		t.Fatalf("the token stayed in the address: %s", loc)
	}
	tm.step("open the page (token for cookie)")

	// 1. The org: the practice org.
	do(t, ctx, chromedp.Click(chromedp.ID("choice-practice")), chromedp.Click(chromedp.ID("use-org")))
	waitText(t, ctx, "org-status", "Using Acme Learning", 30*time.Second)
	if tone, text := status(t, ctx, "org-status"); tone != "ok" || !strings.Contains(text, "production") {
		t.Fatalf("org status %s %q", tone, text)
	}
	tm.step("1. choose the practice org")

	// 2. The export, the three ways the page takes it: the Use the sample export button, a
	// file dropped on the page, and the file input (the one the run uses).
	want, _ := os.ReadFile(sample)
	exported := func(suffix string) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(s.runs, ui.ExportsDir, "*Z-"+suffix))
		if len(files) != 1 {
			t.Fatalf("exports named *-%s: %v", suffix, files)
		}
		if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
			t.Fatalf("%s differs from the sample (%d bytes, want %d)", files[0], len(got), len(want))
		}
		if st, _ := os.Stat(files[0]); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
			t.Errorf("%s's mode is %v, want 0600", files[0], st.Mode().Perm())
		}
	}
	do(t, ctx, chromedp.Click(chromedp.ID("use-sample"), chromedp.NodeEnabled))
	waitText(t, ctx, "export-status", "the sample.", 30*time.Second)
	exported("sample-export.csv")
	dropped := fmt.Sprintf(`(() => { const dt = new DataTransfer(); dt.items.add(new File([%s], "dropped export.csv", {type: "text/csv"}));
		document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`,
		strconv.Quote(string(want)))
	eval[bool](t, ctx, dropped)
	waitText(t, ctx, "export-status", "The export: dropped export.csv", 30*time.Second)
	exported("dropped_export.csv")
	do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("export-file"), []string{sample}))
	waitText(t, ctx, "export-status", "The export: export.csv", 30*time.Second)
	exported("export.csv")
	tm.step("2. the export: sample, drop, file input")

	// 3. Check.
	chk := press(t, ctx, "check", "check", 60*time.Second)
	if chk.Outcome.Tone != "ok" {
		t.Fatalf("check: %+v", chk.Outcome)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#checklist li.check-pass").length`); n != 6 {
		t.Fatalf("%d checks passed, want 6: %s", n, eval[string](t, ctx, `document.getElementById("checklist").textContent`))
	}
	if entries, _ := os.ReadDir(s.runs); len(entries) != 1 { // the exports folder only: Check writes no run
		t.Fatalf("the runs folder after Check: %v", entries)
	}
	layout(t, ctx, 420)
	screenshot(t, ctx, "ui-420.png", 420, 900, "")
	layout(t, ctx, 1280)
	tm.step("3. Check (preflight)")

	// 4. Plan: the report inline.
	plan := press(t, ctx, "plan", "plan", 120*time.Second)
	dir := runFolder(t, s.runs)
	d := readDisk(t, dir)
	if !d.journal.Planned || d.journal.Started || d.plan.Approval != nil || d.summary.Command != "plan" {
		t.Fatalf("after Plan: journal %+v, approval %+v, command %s", d.journal, d.plan.Approval, d.summary.Command)
	}
	toLoad := d.summary.Count(runfolder.ToInsert, runfolder.ToUpdate)
	if toLoad == 0 || !strings.Contains(plan.Outcome.Text, fmt.Sprintf("%d of", toLoad)) {
		t.Fatalf("plan outcome %+v, %d rows to load", plan.Outcome, toLoad)
	}
	waitText(t, ctx, "run-state", "planned", 10*time.Second)
	title := waitFrame(t, ctx, "plan-report")
	if !strings.Contains(title, "backfill plan report") {
		t.Fatalf("the inline report's title is %q", title)
	}
	if words := eval[string](t, ctx, `document.getElementById("plan-report").contentDocument.body.textContent`); strings.Contains(words, "--") && strings.Contains(words, "backfill import") {
		t.Errorf("the inline report names command lines")
	}
	layout(t, ctx, 420)
	layout(t, ctx, 1280)
	screenshot(t, ctx, "ui-1280.png", 1280, 1000, "step-plan")
	tm.step("4. Plan (report inline)")

	// 5. Approve, with the keyboard: type the name, Enter submits.
	prev := lastTask(t, ctx, "approve")
	do(t, ctx, chromedp.Click(chromedp.ID("approve-by"), chromedp.NodeEnabled), chromedp.SendKeys(chromedp.ID("approve-by"), "Dana Admin"),
		chromedp.SendKeys(chromedp.ID("approve-note"), "counts checked"+enter))
	waitTask(t, ctx, "approve", prev, 30*time.Second)
	d = readDisk(t, dir)
	if a := d.plan.Approval; a == nil || a.By != "Dana Admin" || a.Note != "counts checked" || a.At.IsZero() {
		t.Fatalf("plan.json's approval: %+v", d.plan.Approval)
	}
	waitText(t, ctx, "approval", "Approved by Dana Admin", 10*time.Second)
	waitText(t, ctx, "run-state", "approved", 10*time.Second)
	tm.step("5. Approve (keyboard)")

	// 6. Import: the confirmation names the org; Import now.
	do(t, ctx, chromedp.Click(chromedp.ID("import"), chromedp.NodeEnabled), chromedp.WaitVisible(chromedp.ID("confirm")))
	confirm := eval[string](t, ctx, `document.getElementById("confirm").textContent`)
	for _, w := range []string{"Import into Acme Learning", d.plan.Seal.OrgID, "Production", fmt.Sprintf("%d records", toLoad)} {
		if !strings.Contains(confirm, w) {
			t.Fatalf("the confirmation %q does not name %q", confirm, w)
		}
	}
	prev = lastTask(t, ctx, "import")
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-yes")))
	imp := waitTask(t, ctx, "import", prev, 120*time.Second)
	if imp.Outcome.Tone != "ok" {
		t.Fatalf("import: %+v", imp.Outcome)
	}
	d = readDisk(t, dir)
	if !d.journal.Finished || d.summary.Command != "import" || d.summary.Count(runfolder.Created, runfolder.Updated) != toLoad || len(d.summary.Jobs) == 0 {
		t.Fatalf("after Import: finished %v, command %s, loaded %d of %d, jobs %d", d.journal.Finished, d.summary.Command,
			d.summary.Count(runfolder.Created, runfolder.Updated), toLoad, len(d.summary.Jobs))
	}
	waitText(t, ctx, "run-state", "imported", 10*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll("#jobs tbody tr").length`); n != len(d.summary.Jobs) {
		t.Errorf("the page lists %d Bulk jobs, the summary %d", n, len(d.summary.Jobs))
	}
	waitFrame(t, ctx, "import-report")
	tm.step("6. Import (confirmed)")

	// 7. Verify.
	ver := press(t, ctx, "verify", "verify", 60*time.Second)
	if ver.Outcome.Tone != "ok" {
		t.Fatalf("verify: %+v", ver.Outcome)
	}
	d = readDisk(t, dir)
	if len(d.summary.Verify) != 1 || !d.summary.Verify[0].OK() || !d.folder.Has(runfolder.VerifyFile) {
		t.Fatalf("after Verify: %+v", d.summary.Verify)
	}
	waitText(t, ctx, "run-state", "verified", 10*time.Second)
	tm.step("7. Verify")

	// 8. Undo: the dry run, then the undo confirmed (Enter on the focused button).
	dry := press(t, ctx, "undo-plan", "undo_plan", 60*time.Second)
	if dry.Outcome.Tone != "warn" || !strings.Contains(dry.Outcome.Text, "Nothing changed yet") {
		t.Fatalf("undo's dry run: %+v", dry.Outcome)
	}
	d = readDisk(t, dir)
	if d.summary.Undo == nil || !d.summary.Undo.DryRun || !d.folder.Has(runfolder.UndoPlanFile) || d.folder.Has(runfolder.UndoLedgerFile) {
		t.Fatalf("after the dry run: %+v", d.summary.Undo)
	}
	tm.step("8a. Undo: dry run")
	do(t, ctx, chromedp.Click(chromedp.ID("undo"), chromedp.NodeEnabled), chromedp.WaitVisible(chromedp.ID("confirm")))
	if txt := eval[string](t, ctx, `document.getElementById("confirm").textContent`); !strings.Contains(txt, "Undo the import in Acme Learning") {
		t.Fatalf("the undo's confirmation: %q", txt)
	}
	prev = lastTask(t, ctx, "undo")
	do(t, ctx, chromedp.Focus(chromedp.ID("confirm-yes")), chromedp.SendKeys(chromedp.ID("confirm-yes"), enter))
	und := waitTask(t, ctx, "undo", prev, 120*time.Second)
	if und.Outcome.Tone != "ok" {
		t.Fatalf("undo: %+v", und.Outcome)
	}
	d = readDisk(t, dir)
	if u := d.summary.Undo; u == nil || u.DryRun || !u.OK() || u.Outcomes[backfill.UndoDeleted]+u.Outcomes[backfill.UndoRestored] == 0 || !d.folder.Has(runfolder.UndoLedgerFile) {
		t.Fatalf("after Undo: %+v", d.summary.Undo)
	}
	waitText(t, ctx, "run-state", "undone", 10*time.Second)
	waitText(t, ctx, "runs", "undone", 10*time.Second)
	tm.step("8b. Undo (confirmed)")

	// The buttons' visible names begin with the steps' words.
	names := eval[map[string]string](t, ctx, `Object.fromEntries(["check","plan","approve","import","resume","verify","undo-plan","undo","undo-resume"].map(id => [id, document.getElementById(id).textContent.trim()]))`)
	for id, w := range map[string]string{"check": "Check", "plan": "Plan", "approve": "Approve", "import": "Import", "resume": "Resume",
		"verify": "Verify", "undo-plan": "Undo", "undo": "Undo", "undo-resume": "Resume"} {
		if !strings.HasPrefix(names[id], w) {
			t.Errorf("button %s is %q: want it to begin with %s", id, names[id], w)
		}
	}
	tm.report()
}
