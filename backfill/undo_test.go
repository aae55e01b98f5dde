package backfill_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func undo(t *testing.T, srv *sftest.Server, dir string, change func(*backfill.UndoOptions)) (*backfill.UndoRun, error) {
	t.Helper()
	o := backfill.UndoOptions{FolderOptions: folder(orgConfig(t, srv))}
	o.Dir = dir
	if change != nil {
		change(&o)
	}
	_, run, err := backfill.Undo(t.Context(), o)
	return run, err
}

// snapshot is the org's Enrollments by external id, with the fields the sample loads.
func snapshot(t *testing.T, srv *sftest.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, r := range extIDs(t, srv, demoObject, demoExtID) {
		out[k] = fmt.Sprintf("%v|%v|%v|%v", r["nplms__Progress_Percentage__c"], r["nplms__Status__c"], r["nplms__Learner_Email__c"], r["nplms__Updated_At__c"])
	}
	return out
}

func undoLines(t *testing.T, dir string) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for i, rec := range readCSV(t, filepath.Join(dir, runfolder.UndoLedgerFile)) {
		if i > 0 {
			out[rec[0]] = [2]string{rec[1], rec[2]}
		}
	}
	return out
}

func TestUndo(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	before := snapshot(t, srv)
	dir := imported(t, srv, true) // creates 22, updates the stale ones
	var sum backfill.Summary
	(&runfolder.Folder{Dir: dir}).ReadJSON(runfolder.SummaryFile, &sum)
	created, updated := sum.Outcomes["created"], sum.Outcomes["updated"]
	if created != sampleToLoad || updated == 0 {
		t.Fatalf("import outcomes %v", sum.Outcomes)
	}
	afterImport := snapshot(t, srv)

	// The dry run changes nothing.
	run, err := undo(t, srv, dir, nil)
	if err != nil || !run.DryRun || run.Planned["delete"] != created || run.Planned["restore"] != updated || run.Planned["skip"] != 0 {
		t.Fatalf("dry run: %+v, %v", run, err)
	}
	if run.WouldBeRefused == 0 {
		t.Errorf("dry run: no restore would move Updated At back")
	}
	if got := snapshot(t, srv); fmt.Sprint(got) != fmt.Sprint(afterImport) || srv.Calls()["ingest-create"] != 1 {
		t.Fatalf("the dry run changed the org")
	}
	if rows := readCSV(t, filepath.Join(dir, runfolder.UndoPlanFile)); len(rows) != 1+created+updated {
		t.Errorf("undo-plan.csv has %d lines", len(rows))
	}

	// The undo deletes exactly the created records and restores the updated ones, leaving
	// Updated At as the import set it (the package refuses to move it back).
	run, err = undo(t, srv, dir, func(c *backfill.UndoOptions) { c.Yes, c.KeepUpdatedAt = true, true })
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if run.DryRun || run.Outcomes[backfill.UndoDeleted] != created || run.Outcomes[backfill.UndoRestored] != updated {
		t.Fatalf("undo: %+v", run)
	}
	now := snapshot(t, srv)
	if len(now) != len(before) {
		t.Errorf("org has %d records, before the import %d", len(now), len(before))
	}
	for k, v := range before {
		b, a := strings.Split(v, "|"), strings.Split(now[k], "|")
		if len(a) != 4 || strings.Join(b[:3], "|") != strings.Join(a[:3], "|") { // Updated At stays as the import set it
			t.Errorf("%s: before the import %s, after the undo %s", k, v, now[k])
		}
	}
	if n := len(srv.DeletedRecords(demoObject)); n != created {
		t.Errorf("%d records in the Recycle Bin, want %d", n, created)
	}
	for k, l := range undoLines(t, dir) {
		if l[0] != backfill.UndoDeleted && l[0] != backfill.UndoRestored {
			t.Errorf("%s: %v", k, l)
		}
	}
}

// Restoring the full before-image moves Updated At back: the package refuses it.
func TestUndoRestoreRefused(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, true)
	run, err := undo(t, srv, dir, func(c *backfill.UndoOptions) { c.Yes = true })
	if err != nil || run.OK() {
		t.Fatalf("undo: %v, %+v; want some restores refused", err, run)
	}
	if run.Outcomes[backfill.UndoRestoreRefused] == 0 || run.Outcomes[backfill.UndoDeleted] != sampleToLoad {
		t.Fatalf("outcomes %v", run.Outcomes)
	}
	for _, l := range undoLines(t, dir) {
		if l[0] == backfill.UndoRestoreRefused && !strings.Contains(l[1], "old timestamp") {
			t.Errorf("refused: %v", l)
		}
	}
}

// A record changed in Salesforce after the import is left alone, unless --force.
func TestUndoSkipsChangedRecords(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	var key string
	for _, e := range ledgerLines(t, dir) {
		if e.Outcome == runfolder.Created {
			key = e.Key
			break
		}
	}
	id := recordOf(t, srv, key)["Id"].(string)
	if err := srv.EditRecord(demoObject, id, map[string]any{"nplms__Progress_Percentage__c": 77.0}); err != nil {
		t.Fatal(err)
	}
	run, err := undo(t, srv, dir, func(c *backfill.UndoOptions) { c.Yes = true })
	if err != nil || run.OK() {
		t.Fatalf("undo: %v, %+v; want the changed record left alone", err, run)
	}
	if run.Outcomes[backfill.UndoSkippedChanged] != 1 || run.Outcomes[backfill.UndoDeleted] != sampleToLoad-1 {
		t.Fatalf("outcomes %v", run.Outcomes)
	}
	if got := undoLines(t, dir)[key]; got[0] != backfill.UndoSkippedChanged || !strings.Contains(got[1], "changed after the import") {
		t.Errorf("%s: %v", key, got)
	}
	if _, ok := extIDs(t, srv, demoObject, demoExtID)[key]; !ok {
		t.Errorf("the changed record was deleted")
	}
	// A new undo with --force takes the rest back; the first one's files are kept in undo-1/.
	run, err = undo(t, srv, dir, func(c *backfill.UndoOptions) { c.Yes, c.Force = true, true })
	if err != nil || run.Outcomes[backfill.UndoDeleted] != sampleToLoad || run.Planned["delete"] != 1 || run.Planned["gone"] != sampleToLoad-1 {
		t.Fatalf("undo --force: %+v, %v", run, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "undo-1", runfolder.UndoLedgerFile)); err != nil {
		t.Errorf("the first undo's ledger: %v", err)
	}
	if _, ok := extIDs(t, srv, demoObject, demoExtID)[key]; ok {
		t.Errorf("--force left the changed record")
	}
}

// A record the live sync created between the plan and import --plan is updated by the load,
// not created: import --plan's re-check kept what it held (before-import.csv), and undo
// restores it instead of deleting it.
func TestUndoRestoresWhatTheLiveSyncCreated(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	key := readCSV(t, filepath.Join(cfg.Out, runfolder.ToImportFile))[1][0]
	if _, err := srv.AddRecord(demoObject, map[string]any{demoExtID: key, "nplms__Learner_Email__c": "live.sync@example.com",
		"nplms__Course_Id__c": "c-101", "nplms__Updated_At__c": "2025-01-01T00:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	sum, err := loaded(backfill.ImportPlan(t.Context(), importPlan(cfg)))
	if err != nil || sum.Outcomes["updated"] != 1 {
		t.Fatalf("import --plan: %v, outcomes %v", err, sum.Outcomes)
	}
	if rows := readCSV(t, filepath.Join(cfg.Out, runfolder.BeforeImportFile)); len(rows) != 2 || rows[1][0] != key {
		t.Fatalf("before-import.csv: %v", rows)
	}
	run, err := undo(t, srv, cfg.Out, func(c *backfill.UndoOptions) { c.Yes, c.KeepUpdatedAt = true, true })
	if err != nil || run.Outcomes[backfill.UndoRestored] != 1 || run.BeforeImage != runfolder.BeforeImportFile {
		t.Fatalf("undo: %+v, %v", run, err)
	}
	if got := recordOf(t, srv, key)["nplms__Learner_Email__c"]; got != "live.sync@example.com" {
		t.Errorf("the live sync's record holds %v after the undo", got)
	}
}

// TestUndoExpect: with Expect, Yes runs the undo only when the plan made now is the one a
// person confirmed after the dry run; another plan stays a dry run and changes nothing.
func TestUndoExpect(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	dry, err := undo(t, srv, dir, nil)
	if err != nil || !dry.DryRun || dry.Planned["delete"] == 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	afterImport := snapshot(t, srv)
	wrong := map[string]int{"delete": dry.Planned["delete"] + 1}
	run, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes, o.Expect = true, wrong })
	if err != nil || !run.DryRun {
		t.Fatalf("an undo expecting another plan ran: %+v, %v", run, err)
	}
	if fmt.Sprint(snapshot(t, srv)) != fmt.Sprint(afterImport) {
		t.Fatal("an undo expecting another plan changed the org")
	}
	expect := map[string]int{"delete": dry.Planned["delete"], "restore": dry.Planned["restore"], "skip": 0}
	run, err = undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes, o.Expect = true, expect })
	if err != nil || run.DryRun || run.Outcomes[backfill.UndoDeleted] != dry.Planned["delete"] {
		t.Fatalf("an undo expecting its own plan (zeros ignored): %+v, %v", run, err)
	}
}
