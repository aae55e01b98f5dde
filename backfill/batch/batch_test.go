package batch_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/batch"
	"github.com/northpass-tools/backfill/backfill/batch/batchtest"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	sample     = "../demo/sample/export.csv"
	enrollment = "nplms__Enrollment__c"
	extID      = "nplms__External_Id__c"
	// The sample export: 45 rows, 22 of them loaded into the demo org, which holds 12
	// Enrollment records.
	sampleRows, sampleLoaded, seeded = 45, 22, 12
)

// fleet is a test's emulated orgs, each behind its alias in a fake sf.
type fleet struct {
	t    *testing.T
	sf   *batchtest.Fleet
	orgs map[string]*sftest.Server
	n    int
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f, err := batchtest.NewFleet(filepath.Join(t.TempDir(), "sf"))
	if err != nil {
		t.Fatal(err)
	}
	return &fleet{t: t, sf: f, orgs: map[string]*sftest.Server{}}
}

// org starts a demo org of its own (its own Organization Id) behind alias.
func (f *fleet) org(alias string, opts ...sftest.Option) *sftest.Server {
	f.t.Helper()
	f.n++
	seed := sftest.DemoSeed()
	seed.Organization.ID = fmt.Sprintf("00D5g00000%05dEAA", f.n)
	seed.Organization.Name = alias + " Learning"
	srv := sftest.NewServer(f.t, append([]sftest.Option{sftest.WithSeed(seed)}, opts...)...)
	f.add(alias, srv)
	return srv
}

// add makes alias log in to srv.
func (f *fleet) add(alias string, srv *sftest.Server) {
	f.t.Helper()
	f.orgs[alias] = srv
	if err := f.sf.Add(alias, srv.URL, srv.AccessToken(), "00D"); err != nil {
		f.t.Fatal(err)
	}
}

// options are a batch's options in dir: the command line's words, fast polls and retries.
func (f *fleet) options(dir string) batch.Options {
	return batch.Options{
		Front: backfill.Front{Logger: zaptest.NewLogger(f.t), Render: report.View{Words: report.Shell{}}.Renderer(), Words: report.Shell{}},
		Dir:   dir, Parallel: 2,
		Org: sfclient.Config{SFCommand: f.sf.SF(), PollInterval: 2 * time.Millisecond, MaxPollInterval: 10 * time.Millisecond,
			Retry: sfclient.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}},
	}
}

// runbook writes a runbook of lines (after its header) beside a copy of the sample.
func runbook(t *testing.T, header string, lines ...string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "export.csv"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "runbook.csv")
	if err := os.WriteFile(path, []byte(header+"\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// records counts srv's Enrollment records; it fails on an external id held twice.
func records(t *testing.T, srv *sftest.Server) int {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range srv.Records(enrollment) {
		k, _ := r[extID].(string)
		if seen[strings.ToLower(k)] {
			t.Fatalf("external id %s twice in one org", k)
		}
		seen[strings.ToLower(k)] = true
	}
	return len(seen)
}

// rows indexes a roll-up's rows by customer.
func rows(r *batch.Rollup) map[string]batch.Row {
	out := map[string]batch.Row{}
	for _, row := range r.Customers {
		out[row.Customer] = row
	}
	return out
}

// wantStates checks every customer's state.
func wantStates(t *testing.T, what string, r *batch.Rollup, want map[string]batch.State) {
	t.Helper()
	got := rows(r)
	for name, st := range want {
		if got[name].State != st {
			t.Errorf("%s: %s is %s, want %s (reason %q, error %q)", what, name, got[name].State, st, got[name].Reason, got[name].Error)
		}
	}
}

// TestBatch runs a batch of four customers against four emulated orgs at once: one plain,
// one whose org answers 503 to its first calls, one whose org has no Bulk batches left
// (preflight check 5 refuses it), one whose alias the Salesforce CLI does not know. Each
// org is checked exactly after every command, and so is the roll-up.
func TestBatch(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	acme := f.org("acme")
	globex := f.org("globex")
	globex.Fail503(3, "", false) // the first three calls, whatever they are: retried
	initech := f.org("initech")
	initech.SetBulkBatchesRemaining(0)
	path := runbook(t, "customer,target_org,export,max_rejected",
		"Acme & Co,acme,export.csv,", "globex,globex,export.csv,", "initech,initech,export.csv,", "umbrella,umbrella,export.csv,50")
	dir := filepath.Join(t.TempDir(), "batch")
	o := f.options(dir)
	watch := batch.NewProgress(nil, nil)
	o.Watch = watch

	r, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "plan", r, map[string]batch.State{"Acme & Co": batch.StateReady, "globex": batch.StateReady,
		"initech": batch.StatePreflightFailed, "umbrella": batch.StatePlanFailed})
	if r.OK || !slices.Equal(r.NotOK, []string{"initech", "umbrella"}) {
		t.Errorf("plan: OK %v, not OK %v", r.OK, r.NotOK)
	}
	if globex.Faults().CallTotal() != 3 {
		t.Errorf("globex met %d injected 503s, want 3", globex.Faults().CallTotal())
	}
	got := rows(r)
	for _, name := range []string{"Acme & Co", "globex", "initech"} {
		row := got[name]
		if row.Rows != sampleRows || row.ToInsert+row.ToUpdate != sampleLoaded || row.APICalls == 0 || row.OrgID == "" ||
			row.Folder != name || row.Report != name+"/report.html" {
			t.Errorf("plan: %s: %+v", name, row)
		}
	}
	if got["Acme & Co"].OrgID == got["globex"].OrgID || got["Acme & Co"].Preflight != "passed" {
		t.Errorf("plan: two orgs with one id, or acme's preflight %q", got["Acme & Co"].Preflight)
	}
	if in := got["initech"]; in.Preflight != "failed" || len(in.FailedChecks) != 1 || in.FailedChecks[0].ID != 5 ||
		!strings.Contains(in.Reason, "DailyBulkApiBatches 0 of 15,000 remaining") || !strings.Contains(in.Next, "backfill batch plan") {
		t.Errorf("plan: initech %+v", in)
	}
	if um := got["umbrella"]; !strings.Contains(um.Error, "No authorization information found for umbrella") || um.Folder != "" ||
		!strings.Contains(um.Error, "sf org login web --alias umbrella") {
		t.Errorf("plan: umbrella %+v", um)
	}
	for alias, srv := range f.orgs {
		if n := records(t, srv); n != seeded {
			t.Errorf("plan wrote to %s: %d records", alias, n)
		}
	}
	for _, l := range watch.Lines() {
		if !l.Ended || l.Doing != batch.CmdBatchPlan || l.State != got[l.Customer].State {
			t.Errorf("progress line %+v", l)
		}
	}
	checkFiles(t, dir, r)

	// Import loads the two ready plans, and never initech's nor umbrella's.
	r, err = batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "import", r, map[string]batch.State{"Acme & Co": batch.StateDone, "globex": batch.StateDone,
		"initech": batch.StatePreflightFailed, "umbrella": batch.StatePlanFailed})
	for alias, want := range map[string]int{"acme": seeded + sampleLoaded, "globex": seeded + sampleLoaded, "initech": seeded} {
		if n := records(t, f.orgs[alias]); n != want {
			t.Errorf("import: %s holds %d records, want %d", alias, n, want)
		}
	}
	if initech.Calls()["ingest-create"] != 0 {
		t.Errorf("import created a Bulk job in initech's org")
	}
	if row := rows(r)["Acme & Co"]; row.Created+row.Updated != sampleLoaded || row.Failed != 0 {
		t.Errorf("import: acme %+v", row)
	}
	if um := rows(r)["umbrella"]; um.Error == "" {
		t.Errorf("import dropped umbrella's error: %+v", um)
	}
	checkFiles(t, dir, r)

	// Verify proves both loads; undo --only takes acme's back, and only acme's.
	r, err = batch.Verify(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "verify", r, map[string]batch.State{"Acme & Co": batch.StateVerified, "globex": batch.StateVerified})
	undo := batch.ImportOptions{Options: o, Yes: true}
	undo.Only = []string{"acme & co"}
	r, err = batch.Undo(t.Context(), undo)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "undo", r, map[string]batch.State{"Acme & Co": batch.StateUndone, "globex": batch.StateVerified})
	if !r.OK || records(t, acme) != seeded || records(t, globex) != seeded+sampleLoaded {
		t.Errorf("undo: OK %v, acme %d, globex %d records", r.OK, records(t, acme), records(t, globex))
	}

	// The org is fixed and the alias added: plan again plans those two only.
	initech.SetBulkBatchesRemaining(15000)
	umbrella := f.org("umbrella")
	r, err = batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "plan again", r, map[string]batch.State{"Acme & Co": batch.StateUndone, "globex": batch.StateVerified,
		"initech": batch.StateReady, "umbrella": batch.StateReady})
	if kept, _ := filepath.Glob(filepath.Join(dir, ".replaced", "initech-*")); len(kept) != 1 {
		t.Errorf("the replaced plan of initech was not kept: %v", kept)
	}
	if um := rows(r)["umbrella"]; um.Error != "" {
		t.Errorf("umbrella's old error is still shown: %q", um.Error)
	}
	r, err = batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "import again", r, map[string]batch.State{"initech": batch.StateDone, "umbrella": batch.StateDone})
	if records(t, initech) != seeded+sampleLoaded || records(t, umbrella) != seeded+sampleLoaded || records(t, acme) != seeded {
		t.Errorf("import again: initech %d, umbrella %d, acme %d", records(t, initech), records(t, umbrella), records(t, acme))
	}
	if r.OK { // acme is undone: not loaded
		t.Errorf("import again: OK with acme undone")
	}
}

// checkFiles checks the roll-up's three files against r.
func checkFiles(t *testing.T, dir string, r *batch.Rollup) {
	t.Helper()
	var j batch.Rollup
	b, err := os.ReadFile(filepath.Join(dir, batch.RollupJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Customers) != len(r.Customers) || j.OK != r.OK || j.Command != r.Command {
		t.Errorf("batch.json: %d customers, ok %v, command %s", len(j.Customers), j.OK, j.Command)
	}
	for i := range j.Customers {
		if j.Customers[i].State != r.Customers[i].State || j.Customers[i].Error != r.Customers[i].Error {
			t.Errorf("batch.json: %s is %s, the roll-up says %s", j.Customers[i].Customer, j.Customers[i].State, r.Customers[i].State)
		}
	}
	b, err = os.ReadFile(filepath.Join(dir, batch.RollupCSV))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(r.Customers)+1 || !slices.Equal(lines[0], batch.CSVHeader) {
		t.Fatalf("batch.csv: %d lines, header %q", len(lines), lines[0])
	}
	for i, l := range lines[1:] {
		if l[0] != r.Customers[i].Customer || l[4] != string(r.Customers[i].State) {
			t.Errorf("batch.csv line %d: %q", i+2, l[:5])
		}
	}
	b, err = os.ReadFile(filepath.Join(dir, batch.RollupHTML))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, row := range r.Customers {
		if row.Report != "" && !strings.Contains(page, `href="`+strings.ReplaceAll(strings.ReplaceAll(row.Report, " ", "%20"), "&", "&amp;")+`"`) {
			t.Errorf("batch.html does not link %s", row.Report)
		}
	}
	for _, bad := range []string{"Acme & Co<", "<script", "src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("batch.html holds %q: not escaped or not self-contained", bad)
		}
	}
}

// TestOneOrgAtATime: customers of one org (one alias) never run at once, whatever
// Parallel allows; those of other orgs do not wait for them.
func TestOneOrgAtATime(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	shared := f.org("shared", sftest.WithLatency(5*time.Millisecond))
	f.org("other")
	path := runbook(t, "customer,target_org,export", "one,shared,export.csv", "two,shared,export.csv", "three,other,export.csv", "four,shared,export.csv")
	o := f.options(filepath.Join(t.TempDir(), "batch"))
	o.Parallel = 4
	w := &overlap{running: map[string]int{}}
	o.Watch = w
	r, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("plan: not OK: %v", r.NotOK)
	}
	if w.most["shared"] != 1 {
		t.Errorf("%d customers of one org ran at once", w.most["shared"])
	}
	if n := records(t, shared); n != seeded {
		t.Errorf("plan wrote to the org: %d records", n)
	}
	r, err = batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "import", r, map[string]batch.State{"one": batch.StateDone, "two": batch.StateDone,
		"three": batch.StateDone, "four": batch.StateDone})
	// The three plans of one org hold the same rows: the first load creates them, the next
	// two find them created (the upsert matches them) and create nothing.
	if n := records(t, shared); n != seeded+sampleLoaded || w.most["shared"] != 1 {
		t.Errorf("import: the shared org holds %d records; %d ran at once", n, w.most["shared"])
	}
}

// overlap is a Watch that counts the customers of each org running at once.
type overlap struct {
	mu      sync.Mutex
	running map[string]int
	most    map[string]int
}

func orgOf(customer string) string {
	if customer == "three" {
		return "other"
	}
	return "shared"
}

func (w *overlap) Observer(string) backfill.Observer { return nil }
func (w *overlap) Begin(c string, _ backfill.Command) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running[orgOf(c)]++
	if w.most == nil {
		w.most = map[string]int{}
	}
	w.most[orgOf(c)] = max(w.most[orgOf(c)], w.running[orgOf(c)])
}
func (w *overlap) End(r batch.Row) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running[orgOf(r.Customer)]--
}

// TestSingleCommandsSeen: a single command on one folder of a batch moves that customer
// on, and the batch sees it; the batch refuses names it does not have.
func TestSingleCommandsSeen(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	srv := f.org("acme")
	f.org("globex")
	path := runbook(t, "customer,target_org,export", "acme,acme,export.csv", "globex,globex,export.csv")
	o := f.options(filepath.Join(t.TempDir(), "batch"))
	if _, err := batch.Plan(t.Context(), batch.PlanOptions{Options: o, Runbook: path}); err != nil {
		t.Fatal(err)
	}
	// backfill import --plan DIR/acme, as a person would run it: the plan's own login.
	_, err := backfill.ImportPlan(t.Context(), backfill.ImportPlanOptions{
		FolderOptions: backfill.FolderOptions{Front: o.Front, Dir: filepath.Join(o.Dir, "acme"), Org: o.Org},
		Load:          backfill.LoadOptions{Yes: true}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := batch.Status(o)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, "status", r, map[string]batch.State{"acme": batch.StateDone, "globex": batch.StateReady})
	if !r.OK || records(t, srv) != seeded+sampleLoaded {
		t.Errorf("status: OK %v, %d records", r.OK, records(t, srv))
	}
	// import asks once, with the customers it would load; no means nothing is loaded.
	var asked []string
	_, err = batch.Import(t.Context(), batch.ImportOptions{Options: o, Confirm: func(rows []batch.Row) (bool, error) {
		for _, r := range rows {
			asked = append(asked, r.Customer)
		}
		return false, nil
	}})
	if !errors.Is(err, backfill.ErrCancelled) || !slices.Equal(asked, []string{"globex"}) {
		t.Errorf("import, answered no: %v, asked about %v", err, asked)
	}
	if _, err := batch.Import(t.Context(), batch.ImportOptions{Options: o}); !errors.Is(err, backfill.ErrCannotAsk) {
		t.Errorf("import without yes and nobody to ask: %v", err)
	}
	o.Only = []string{"acme", "initech"}
	var se *batch.SelectionError
	if _, err := batch.Import(t.Context(), batch.ImportOptions{Options: o, Yes: true}); !errors.As(err, &se) || !slices.Equal(se.Unknown, []string{"initech"}) {
		t.Errorf("import --only of an unknown customer: %v", err)
	}
	o.Only = nil
	if _, err := batch.Undo(t.Context(), batch.ImportOptions{Options: o, Yes: true}); !errors.Is(err, backfill.ErrRequired) {
		t.Errorf("undo of the whole batch: %v", err)
	}
	// undo without yes writes the plan only; asked, it undoes.
	o.Only = []string{"acme"}
	r, err = batch.Undo(t.Context(), batch.ImportOptions{Options: o})
	if err != nil || rows(r)["acme"].State != batch.StateUndoPlanned || records(t, srv) != seeded+sampleLoaded {
		t.Errorf("undo dry run: %v, %+v", err, rows(r)["acme"])
	}
	r, err = batch.Undo(t.Context(), batch.ImportOptions{Options: o, Confirm: func(rows []batch.Row) (bool, error) { return len(rows) == 1, nil }})
	if err != nil || rows(r)["acme"].State != batch.StateUndone || records(t, srv) != seeded {
		t.Errorf("undo, answered yes: %v, %+v, %d records", err, rows(r)["acme"], records(t, srv))
	}
}
