package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestMain lets the test binary stand in for the Salesforce CLI (BACKFILL_UI_FAKE_SF set):
// `sf org list`, `sf org display` and `sf org auth show-access-token` answer as Salesforce
// CLI 2.150.6 does (the fixtures of sfclient), for the login "emu" of the org at
// FAKE_SF_URL.
func TestMain(m *testing.M) {
	if os.Getenv("BACKFILL_UI_FAKE_SF") != "" {
		os.Exit(fakeSF(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeSF(args []string) int {
	line := strings.Join(args, " ")
	fixture := func(name string) string {
		b, err := os.ReadFile(filepath.Join(os.Getenv("FAKE_SF_FIXTURES"), name))
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(99)
		}
		s := strings.ReplaceAll(string(b), "https://yourInstance.my.salesforce.com/", os.Getenv("FAKE_SF_URL")+"/")
		return strings.ReplaceAll(s, "00D5g0000000001!6969962b954fca92e8bb9e2d444aff252de6d8698eee27c7", os.Getenv("FAKE_SF_TOKEN"))
	}
	switch {
	case line == "org list --json":
		os.Stdout.WriteString(fixture("sf_org_list.json"))
	case strings.HasSuffix(line, "--target-org emu --json") && strings.HasPrefix(line, "org display"):
		os.Stdout.WriteString(fixture("sf_org_display.json"))
	case strings.HasSuffix(line, "--target-org emu --json") && strings.HasPrefix(line, "org auth show-access-token"):
		os.Stdout.WriteString(fixture("sf_org_auth_show_access_token.json"))
	case strings.HasPrefix(line, "org "):
		os.Stdout.WriteString(fixture("sf_error_named_org_not_found.json"))
		return 2
	default:
		os.Stderr.WriteString("fake sf: unexpected command: " + line + "\n")
		return 99
	}
	return 0
}

// TestFlowAPI walks the steps through the page's API with the command line's login: every
// refusal on the way is the page's own sentence, and nothing reaches Salesforce before the
// confirmed import of the approved plan.
func TestFlowAPI(t *testing.T) {
	t.Parallel()
	emu, login := emulator(t)
	s := serve(t, ui.Options{Org: login})
	c := session(t, s)
	var sentences []string
	refused := func(path string, body any, want int) string {
		t.Helper()
		text := c.post(path, body, want, nil)
		var e struct{ Error struct{ Text, Todo string } }
		json.Unmarshal([]byte(text), &e)
		if e.Error.Text == "" {
			t.Fatalf("POST %s: no sentence in %s", path, text)
		}
		sentences = append(sentences, e.Error.Text+" "+e.Error.Todo)
		return e.Error.Text + " " + e.Error.Todo
	}
	if got := refused("/api/plan", map[string]any{}, http.StatusBadRequest); !strings.Contains(got, "No org yet") {
		t.Errorf("plan without an org: %s", got)
	}
	c.post("/api/org", map[string]string{"kind": "command_line"}, http.StatusOK, nil)
	if got := refused("/api/plan", map[string]any{}, http.StatusBadRequest); !strings.Contains(got, "No export yet") {
		t.Errorf("plan without an export: %s", got)
	}
	if got := refused("/api/export/sample", nil, http.StatusBadRequest); !strings.Contains(got, "practice org only") {
		t.Errorf("the sample with a real login: %s", got)
	}
	upload(t, c, sample)
	if got := refused("/api/plan", map[string]any{"since": "02/12/2025"}, http.StatusBadRequest); !strings.Contains(got, "Cutoff") {
		t.Errorf("an ambiguous cutoff: %s", got)
	}
	if got := refused("/api/plan", map[string]any{"max_rejected": "lots"}, http.StatusBadRequest); !strings.Contains(got, "Max rejected") {
		t.Errorf("a bad max rejected: %s", got)
	}
	chk := c.run("/api/check", "check", map[string]any{})
	if chk.Outcome.Tone != "ok" {
		t.Fatalf("check: %+v", chk.Outcome)
	}
	plan := c.run("/api/plan", "plan", map[string]any{"encoding": "utf-8"})
	if plan.State != "done" {
		t.Fatalf("plan: %+v", plan.Outcome)
	}
	var st apiState
	c.get("/api/state", &st)
	run := st.Current
	if run == "" || plan.Run != run {
		t.Fatalf("the plan's run %q, the current run %q", plan.Run, run)
	}
	dir := filepath.Join(s.runs, run)
	d := readDisk(t, dir)
	if d.plan.Login == nil || d.plan.Login.Flow != "access-token" {
		t.Fatalf("plan.json's login %+v", d.plan.Login)
	}

	// Import refuses an unapproved plan, then a confirmation for another org.
	imp := c.run("/api/runs/"+run+"/import", "import", map[string]string{"org_id": d.plan.Seal.OrgID})
	if imp.State != "failed" || !strings.Contains(imp.Outcome.Text, "not approved") {
		t.Fatalf("import unapproved: %+v", imp)
	}
	sentences = append(sentences, imp.Outcome.Text+" "+imp.Outcome.Todo)
	if ap := c.run("/api/runs/"+run+"/approve", "approve", map[string]string{"by": " "}); ap.State != "failed" {
		t.Fatalf("approve without a name: %+v", ap)
	} else {
		sentences = append(sentences, ap.Outcome.Text+" "+ap.Outcome.Todo)
	}
	ap := c.run("/api/runs/"+run+"/approve", "approve", map[string]string{"by": "Dana Admin", "note": "ok"})
	if ap.State != "done" {
		t.Fatalf("approve: %+v", ap.Outcome)
	}
	imp = c.run("/api/runs/"+run+"/import", "import", map[string]string{"org_id": "00D000000000000AAA"})
	if imp.State != "failed" || !strings.Contains(imp.Outcome.Text, "not confirmed for the org") {
		t.Fatalf("import confirmed for another org: %+v", imp)
	}
	if n := len(emu.Jobs()); n != 0 {
		t.Fatalf("%d Bulk jobs before the confirmed import", n)
	}
	imp = c.run("/api/runs/"+run+"/import", "import", map[string]string{"org_id": d.plan.Seal.OrgID})
	if imp.Outcome.Tone != "ok" {
		t.Fatalf("import: %+v", imp.Outcome)
	}
	var lr struct{ Created, Updated int }
	json.Unmarshal(imp.Result, &lr)
	if lr.Created+lr.Updated != d.summary.Count(runfolder.ToInsert, runfolder.ToUpdate) {
		t.Fatalf("imported %+v of %d", lr, d.summary.Count(runfolder.ToInsert, runfolder.ToUpdate))
	}
	// A second import sends nothing.
	again := c.run("/api/runs/"+run+"/resume", "resume", nil)
	if again.Outcome.Tone != "ok" || !strings.Contains(again.Outcome.Text, "nothing was sent") {
		t.Fatalf("resume of a finished import: %+v", again.Outcome)
	}
	if v := c.run("/api/runs/"+run+"/verify", "verify", nil); v.Outcome.Tone != "ok" {
		t.Fatalf("verify: %+v", v.Outcome)
	}
	if got := refused("/api/runs/"+run+"/undo", map[string]any{}, http.StatusBadRequest); !strings.Contains(got, "not confirmed") {
		t.Errorf("undo without its dry run: %s", got)
	}
	dry := c.run("/api/runs/"+run+"/undo-plan", "undo_plan", map[string]any{})
	var up backfill.UndoRun
	json.Unmarshal(dry.Result, &up)
	if !up.DryRun || up.Planned["delete"] == 0 {
		t.Fatalf("undo's dry run: %+v", up)
	}
	// An undo confirmed for another plan than the one planned now changes nothing.
	wrong := map[string]int{"delete": up.Planned["delete"] + 1}
	und := c.run("/api/runs/"+run+"/undo", "undo", map[string]any{"planned": wrong})
	if und.Outcome.Tone != "warn" || !strings.Contains(und.Outcome.Text, "changed since the dry run") {
		t.Fatalf("undo of another plan: %+v", und.Outcome)
	}
	if sum := readDisk(t, dir).summary; sum.Undo == nil || !sum.Undo.DryRun {
		t.Fatalf("the undo ran for a plan not confirmed: %+v", sum.Undo)
	}
	und = c.run("/api/runs/"+run+"/undo", "undo", map[string]any{"planned": up.Planned})
	if und.Outcome.Tone != "ok" {
		t.Fatalf("undo: %+v", und.Outcome)
	}
	var runs []struct{ Name, State string }
	c.get("/api/runs", &runs)
	if len(runs) != 1 || runs[0].State != "undone" {
		t.Fatalf("runs %+v", runs)
	}
	for _, tk := range []pageTask{chk, plan, ap, imp, again, und} {
		sentences = append(sentences, tk.Outcome.Text+" "+tk.Outcome.Todo)
	}
	for _, s := range sentences {
		pageWords(t, "a sentence", s)
	}
	checkNoSecret(t, dir, []string{emu.AccessToken()})
}

// TestSalesforceCLILogin: the page lists the Salesforce CLI's logins (sf org list), logs in
// with one, and its plan records the alias, which the run's later jobs reuse.
func TestSalesforceCLILogin(t *testing.T) {
	emu := sftest.NewServer(t)
	fixtures, _ := filepath.Abs(filepath.Join("..", "..", "sfclient", "testdata", "fixtures"))
	t.Setenv("BACKFILL_UI_FAKE_SF", "1")
	t.Setenv("FAKE_SF_URL", emu.URL)
	t.Setenv("FAKE_SF_TOKEN", emu.AccessToken())
	t.Setenv("FAKE_SF_FIXTURES", fixtures)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, ui.Options{SFCommand: self})
	c := session(t, s)
	var orgs []struct {
		Name, Username string
		Connected      bool
	}
	text := c.post("/api/sf-orgs", nil, http.StatusOK, &orgs)
	if len(orgs) != 1 || orgs[0].Name != "emu" || !orgs[0].Connected || strings.Contains(text, emu.AccessToken()) || strings.Contains(text, "accessToken") {
		t.Fatalf("sf logins: %s", text)
	}
	if got := c.post("/api/org", map[string]string{"kind": "sf", "alias": "nope"}, http.StatusBadRequest, nil); !strings.Contains(got, "no login named nope") {
		t.Fatalf("an unknown alias: %s", got)
	}
	var org struct{ Name, Alias string }
	c.post("/api/org", map[string]string{"kind": "sf", "alias": "emu"}, http.StatusOK, &org)
	if org.Alias != "emu" || org.Name == "" {
		t.Fatalf("org %+v", org)
	}
	upload(t, c, sample)
	plan := c.run("/api/plan", "plan", map[string]any{})
	if plan.State != "done" {
		t.Fatalf("plan: %+v", plan.Outcome)
	}
	d := readDisk(t, filepath.Join(s.runs, plan.Run))
	if d.plan.Login == nil || d.plan.Login.TargetOrg != "emu" {
		t.Fatalf("plan.json's login: %+v", d.plan.Login)
	}
	c.run("/api/runs/"+plan.Run+"/approve", "approve", map[string]string{"by": "Dana"})
	imp := c.run("/api/runs/"+plan.Run+"/import", "import", map[string]string{"org_id": d.plan.Seal.OrgID})
	if imp.Outcome.Tone != "ok" {
		t.Fatalf("import with the CLI login: %+v", imp.Outcome)
	}
}

// TestRunStates: the list reads each run's state from its folder, whoever made it: planned,
// approved, importing (its lock held by another command), interrupted, imported, verified,
// undone, and a plan that stopped half way.
func TestRunStates(t *testing.T) {
	t.Parallel()
	// Each run that loads has an org of its own (a plan of the sample against an org that
	// holds its rows loads nothing); the page's login is the interrupted run's.
	emu, login := emulator(t, sftest.WithJobDelay(2*time.Second))
	runs := t.TempDir()
	front := backfill.Front{Words: ui.Words{}}
	type run struct {
		dir string
		fo  backfill.FolderOptions
		emu *sftest.Server
	}
	plan := func(name string, orgs ...sftest.Option) run {
		t.Helper()
		srv, l := emu, login
		if name != "f-interrupted" {
			srv, l = emulator(t, orgs...)
		}
		o := backfill.PlanOptions{Front: front, Export: backfill.NewExportOptions(), Org: *l, Out: filepath.Join(runs, name)}
		o.Export.File = sample
		if _, err := backfill.Plan(t.Context(), o); err != nil {
			t.Fatal(err)
		}
		return run{o.Out, backfill.FolderOptions{Front: front, Dir: o.Out, Org: *l}, srv}
	}
	load := func(ctx context.Context, r run) error {
		_, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{FolderOptions: r.fo, Load: backfill.LoadOptions{Yes: true}})
		return err
	}
	plan("a-planned")
	approved := plan("b-approved")
	if _, err := backfill.Approve(t.Context(), backfill.ApproveOptions{FolderOptions: approved.fo, By: "Dana"}); err != nil {
		t.Fatal(err)
	}
	if err := load(t.Context(), plan("c-imported")); err != nil {
		t.Fatal(err)
	}
	verified := plan("d-verified")
	if err := load(t.Context(), verified); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: verified.fo}); err != nil {
		t.Fatal(err)
	}
	undone := plan("e-undone")
	if err := load(t.Context(), undone); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backfill.Undo(t.Context(), backfill.UndoOptions{FolderOptions: undone.fo, Yes: true}); err != nil {
		t.Fatal(err)
	}
	// Interrupted: the import's context ends while its job runs.
	interrupted := plan("f-interrupted")
	ctx, cancel := contextAfterJob(t, interrupted.emu)
	err := load(ctx, interrupted)
	cancel()
	if err == nil {
		t.Fatal("the interrupted import finished")
	}
	// Importing: the same, with its lock held by another command.
	importing := plan("g-importing", sftest.WithJobDelay(2*time.Second))
	ctx, cancel = contextAfterJob(t, importing.emu)
	load(ctx, importing)
	cancel()
	lock, _ := runfolder.Open(importing.dir)
	if err := lock.Lock("backfill resume", time.Now()); err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	os.MkdirAll(filepath.Join(runs, "h-half.partial"), 0o700)
	os.MkdirAll(filepath.Join(runs, ui.ExportsDir), 0o700)

	s := serve(t, ui.Options{Org: login, Runs: runs})
	c := session(t, s)
	var list []struct {
		Name, State, Detail string
		Next                *struct{ Step, Label string }
	}
	c.get("/api/runs", &list)
	want := map[string][2]string{
		"a-planned": {"planned", "approve"}, "b-approved": {"approved", "import"}, "c-imported": {"imported", "verify"},
		"d-verified": {"verified", "undo"}, "e-undone": {"undone", ""}, "f-interrupted": {"interrupted", "resume"},
		"g-importing": {"importing", ""}, "h-half": {"unfinished", "plan"},
	}
	if len(list) != len(want) {
		t.Fatalf("runs %+v", list)
	}
	for _, r := range list {
		w := want[r.Name]
		next := ""
		if r.Next != nil {
			next = r.Next.Step
			if !strings.HasPrefix(r.Next.Label, map[string]string{"approve": "Approve", "import": "Import", "verify": "Verify", "undo": "Undo", "resume": "Resume", "plan": "Plan"}[next]) {
				t.Errorf("%s: next %q", r.Name, r.Next.Label)
			}
		}
		if r.State != w[0] || next != w[1] {
			t.Errorf("%s: %s, next %q; want %s, next %q (%s)", r.Name, r.State, next, w[0], w[1], r.Detail)
		}
		pageWords(t, r.Name, r.Detail)
	}
	// A job on a folder another command holds is refused in the page's words.
	res := c.run("/api/runs/f-interrupted/approve", "approve", map[string]string{"by": "Dana"})
	if res.State != "failed" || !strings.Contains(res.Outcome.Text, "import has started") {
		t.Fatalf("approve of a started import: %+v", res.Outcome)
	}
	lock2, _ := runfolder.Open(interrupted.dir)
	if err := lock2.Lock("backfill verify", time.Now()); err != nil {
		t.Fatal(err)
	}
	res = c.run("/api/runs/f-interrupted/resume", "resume", nil)
	if res.State != "failed" || !strings.Contains(res.Outcome.Text, "in use by another backfill command") {
		t.Fatalf("resume of a folder in use: %+v", res.Outcome)
	}
	lock2.Unlock()
	res = c.run("/api/runs/f-interrupted/resume", "resume", nil)
	if res.Outcome.Tone != "ok" {
		t.Fatalf("resume: %+v", res.Outcome)
	}
}

// contextAfterJob is a context cancelled once the org has a Bulk job in progress.
func contextAfterJob(t *testing.T, emu *sftest.Server) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	before := len(emu.Jobs())
	go func() {
		for i := 0; i < 500 && len(emu.Jobs()) == before; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	return ctx, cancel
}

// TestLookingNeverBlocksAJob: the run list looks at an interrupted run's lock (to tell
// importing from interrupted) while the page's own jobs start on that run; no job of the
// page ever finds its folder in use because of it. Verify takes the lock and then refuses
// an import that has not finished, so each of many Verify presses must end with that
// refusal while the list is read without pause.
func TestLookingNeverBlocksAJob(t *testing.T) {
	if testing.Short() {
		t.Skip("plans and interrupts an import")
	}
	t.Parallel()
	emu, login := emulator(t, sftest.WithJobDelay(time.Hour))
	runs := t.TempDir()
	o := backfill.PlanOptions{Front: backfill.Front{Words: ui.Words{}}, Export: backfill.NewExportOptions(), Org: *login, Out: filepath.Join(runs, "interrupted")}
	o.Export.File = sample
	if _, err := backfill.Plan(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextAfterJob(t, emu)
	_, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{FolderOptions: backfill.FolderOptions{Front: o.Front, Dir: o.Out, Org: *login},
		Load: backfill.LoadOptions{Yes: true}})
	cancel()
	if err == nil {
		t.Fatal("the import finished")
	}

	s := serve(t, ui.Options{Org: login, Runs: runs})
	c := session(t, s)
	stop := make(chan struct{})
	var looks atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if res, err := c.hc.Get(s.Origin() + "/api/runs"); err == nil {
					res.Body.Close()
					looks.Add(1)
				}
			}
		}()
	}
	for i := range 40 {
		v := c.run("/api/runs/interrupted/verify", "verify", map[string]any{})
		if v.State != "failed" || v.Outcome == nil || !strings.Contains(v.Outcome.Text, "has not finished") {
			close(stop)
			wg.Wait()
			t.Fatalf("verify %d while the list is read: %s %+v", i, v.State, v.Outcome)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("40 Verify presses refused as unfinished, none in use, while the list was read %d times", looks.Load())
}
