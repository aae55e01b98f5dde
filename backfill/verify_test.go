package backfill_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// imported imports the sample into srv (with --update-stale when stale) and returns the
// run folder.
func imported(t *testing.T, srv *sftest.Server, stale bool) string {
	t.Helper()
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = stale
	if _, err := backfill.Import(t.Context(), imp(cfg)); err != nil {
		t.Fatalf("import: %v", err)
	}
	return cfg.Out
}

func verify(t *testing.T, srv *sftest.Server, dir string) (*backfill.VerifyRun, error) {
	t.Helper()
	o := folder(orgConfig(t, srv))
	o.Dir = dir
	_, run, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: o})
	return run, err
}

// verifyLines reads a verify file: key -> outcome and detail.
func verifyLines(t *testing.T, dir, name string) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for i, rec := range readCSV(t, filepath.Join(dir, name)) {
		if i == 0 {
			if strings.Join(rec, ",") != "key,outcome,detail" {
				t.Fatalf("%s header %v", name, rec)
			}
			continue
		}
		out[rec[0]] = [2]string{rec[1], rec[2]}
	}
	return out
}

// recordOf returns the Id of the record with external id key.
func recordOf(t *testing.T, srv *sftest.Server, key string) map[string]any {
	t.Helper()
	r, ok := extIDs(t, srv, demoObject, demoExtID)[key]
	if !ok {
		t.Fatalf("no record %s", key)
	}
	return r
}

func TestVerify(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	run, err := verify(t, srv, dir)
	if err != nil {
		t.Fatalf("verify after a clean import: %v", err)
	}
	if run.File != runfolder.VerifyFile || run.Records != sampleToLoad || run.Outcomes[backfill.VerifyMatch] != sampleToLoad {
		t.Fatalf("run %+v", run)
	}
	lines := verifyLines(t, dir, runfolder.VerifyFile)
	if len(lines) != sampleToLoad {
		t.Fatalf("verify.csv has %d records", len(lines))
	}

	// A person edits one record, deletes another; the package keeps a newer version of a third.
	var keys []string
	for k := range lines {
		keys = append(keys, k)
	}
	edited, deleted, newer := keys[0], keys[1], keys[2]
	if err := srv.EditRecord(demoObject, recordOf(t, srv, edited)["Id"].(string), map[string]any{"nplms__Progress_Percentage__c": 99.0}); err != nil {
		t.Fatal(err)
	}
	if err := srv.DeleteRecord(demoObject, recordOf(t, srv, deleted)["Id"].(string)); err != nil {
		t.Fatal(err)
	}
	later := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := srv.EditRecord(demoObject, recordOf(t, srv, newer)["Id"].(string), map[string]any{"nplms__Updated_At__c": later, "nplms__Progress_Percentage__c": 100.0}); err != nil {
		t.Fatal(err)
	}
	run, err = verify(t, srv, dir)
	if err != nil || run.OK() {
		t.Fatalf("verify after edits: %v, %+v; want records that do not match", err, run)
	}
	if run.File != "verify-2.csv" || run.Outcomes[backfill.VerifyMatch] != sampleToLoad-3 || run.Outcomes[backfill.VerifyDiffers] != 1 ||
		run.Outcomes[backfill.VerifyMissing] != 1 || run.Outcomes[backfill.VerifyNewer] != 1 {
		t.Fatalf("run %+v", run)
	}
	lines = verifyLines(t, dir, "verify-2.csv")
	if got := lines[edited]; got[0] != backfill.VerifyDiffers || !strings.Contains(got[1], `nplms__Progress_Percentage__c: uploaded "`) || !strings.Contains(got[1], `Salesforce "99"`) {
		t.Errorf("edited: %v", got)
	}
	if got := lines[deleted]; got[0] != backfill.VerifyMissing {
		t.Errorf("deleted: %v", got)
	}
	if got := lines[newer]; got[0] != backfill.VerifyNewer || !strings.Contains(got[1], "2027-01-02T03:04:05Z") {
		t.Errorf("newer: %v", got)
	}
	// The first verify's file is untouched; summary.json lists both runs.
	if first := verifyLines(t, dir, runfolder.VerifyFile); first[edited][0] != backfill.VerifyMatch {
		t.Errorf("verify.csv was overwritten")
	}
	var sum backfill.Summary
	if err := (&runfolder.Folder{Dir: dir}).ReadJSON(runfolder.SummaryFile, &sum); err != nil || len(sum.Verify) != 2 {
		t.Errorf("summary.json verify runs: %d (%v)", len(sum.Verify), err)
	}
	if srv.Calls()["ingest-create"] != 1 {
		t.Errorf("verify wrote to Salesforce")
	}
}

// Verify and undo refuse a plan that was never imported, and an import not finished.
func TestVerifyUndoRefuseUnloaded(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, srv, cfg.Out); !errors.Is(err, backfill.ErrNeverImported) || !strings.Contains(err.Error(), "never imported: nothing to verify") {
		t.Errorf("verify: %v", err)
	}
	s := stopAfterPlan(t, srv)
	s.j.Close()
	u := folder(orgConfig(t, srv))
	u.Dir = s.dir
	if _, _, err := backfill.Undo(t.Context(), backfill.UndoOptions{FolderOptions: u}); !errors.Is(err, backfill.ErrImportRunning) || !strings.Contains(err.Error(), "has not finished") {
		t.Errorf("undo of an unfinished import: %v", err)
	}
}
