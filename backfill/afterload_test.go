package backfill_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// After the load: every way back (undo) and forward (resume, retry) from a run folder is
// exact, whatever was lost or changed in between. Each test below is one of issue 23's
// cases.

// reviewedImport plans the sample (stale rows planned as updates) and loads the reviewed
// plan, as `plan` then `import --plan` do: the folder holds before-import.csv.
func reviewedImport(t *testing.T, srv *sftest.Server) string {
	t.Helper()
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = true
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := loaded(backfill.ImportPlan(t.Context(), importPlan(cfg))); err != nil {
		t.Fatalf("import --plan: %v", err)
	}
	return cfg.Out
}

// onFolder is the login of orgConfig on the run folder dir.
func onFolder(t *testing.T, srv *sftest.Server, dir string) backfill.FolderOptions {
	o := folder(orgConfig(t, srv))
	o.Dir = dir
	return o
}

// A finished import whose journal was lost: verify and undo cannot know what was loaded,
// and import --plan must not take the records as they are now for what the load
// overwrote. All three point to resume, which reads the load's fate from the org.
func TestLostJournalPointsToResume(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := reviewedImport(t, srv)
	beforeImage, err := os.ReadFile(filepath.Join(dir, runfolder.BeforeImportFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, runfolder.JournalFile)); err != nil {
		t.Fatal(err)
	}
	lost := func(what string, err error) {
		t.Helper()
		var fe *backfill.FolderError
		if !errors.As(err, &fe) || !errors.Is(err, backfill.ErrJournalLost) {
			t.Fatalf("%s without a journal: %v, want ErrJournalLost", what, err)
		}
	}
	_, _, err = backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: onFolder(t, srv, dir)})
	lost("verify", err)
	_, _, err = backfill.Undo(t.Context(), backfill.UndoOptions{FolderOptions: onFolder(t, srv, dir), Yes: true})
	lost("undo", err)
	load := importPlan(orgConfig(t, srv))
	load.Dir = dir
	_, err = backfill.ImportPlan(t.Context(), load)
	lost("import --plan", err)
	if now, _ := os.ReadFile(filepath.Join(dir, runfolder.BeforeImportFile)); !bytes.Equal(now, beforeImage) {
		t.Fatalf("import --plan rewrote %s after the load", runfolder.BeforeImportFile)
	}
	if n := srv.Calls()["ingest-create"]; n != 1 {
		t.Fatalf("%d jobs created, want the import's 1", n)
	}

	// resume reads from the org what was loaded, sends nothing again, and finishes.
	sum, err := resume(t, srv, dir)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if n := srv.Calls()["ingest-create"]; n != 1 {
		t.Errorf("resume created %d jobs", n-1)
	}
	if sum.Count(runfolder.Created, runfolder.Updated) == 0 || sum.Count(runfolder.Failed, runfolder.Unprocessed) != 0 {
		t.Errorf("resumed outcomes %v", outcomes(sum))
	}
	if _, run, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: onFolder(t, srv, dir)}); err != nil || !run.OK() {
		t.Fatalf("verify after resume: %v, %+v", err, run)
	}
}

// cutJournal keeps the journal name of the run folder dir up to and including its first
// entry of event, as a crash just after writing it would leave it.
func cutJournal(t *testing.T, dir, name, event string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var keep []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		keep = append(keep, line...)
		if bytes.Contains(line, []byte(`"event":"`+event+`"`)) {
			if err := os.WriteFile(filepath.Join(dir, name), keep, 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s has no %s entry", name, event)
}

// An undo stopped after its delete and update jobs were closed, whose jobs then vanished
// (Salesforce deletes ended jobs after 7 days): resume reads from the org which records
// are deleted and which restored. The resolve queries are keyed on Id, the undo's external
// id: they must not select Id twice, which Salesforce refuses.
func TestResumeUndoWhoseJobsVanished(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, true)
	run, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes, o.KeepUpdatedAt = true, true })
	if err != nil || !run.OK() || run.Outcomes[backfill.UndoRestored] == 0 {
		t.Fatalf("undo: %v, %+v", err, run)
	}
	undone := snapshot(t, srv)
	cutJournal(t, dir, runfolder.UndoDeleteJournal, runfolder.EvClosed)
	cutJournal(t, dir, runfolder.UndoUpdateJournal, runfolder.EvClosed)
	srv.ExpireJobs()
	creates := srv.Calls()["ingest-create"]
	res, err := resumeResult(t, srv, dir)
	if err != nil {
		t.Fatalf("resume of the undo: %v", err)
	}
	if res.Undo == nil || !res.Undo.OK() || res.Undo.Outcomes[backfill.UndoDeleted] != run.Outcomes[backfill.UndoDeleted] ||
		res.Undo.Outcomes[backfill.UndoRestored] != run.Outcomes[backfill.UndoRestored] {
		t.Fatalf("resumed undo: %+v, the undo: %+v", res.Undo, run)
	}
	if n := srv.Calls()["ingest-create"]; n != creates {
		t.Errorf("resume sent %d jobs again", n-creates)
	}
	if got := snapshot(t, srv); fmt.Sprint(got) != fmt.Sprint(undone) {
		t.Errorf("resume changed the org")
	}
}

// Undo acts only on the record Ids the import wrote. A record the import created that was
// deleted and made again under the same external id is someone else's: left alone, even
// with --force, saying why. A record the import created whose external id was changed
// since is still the import's: changed, so left alone without --force, deleted with it.
func TestUndoTouchesOnlyWhatTheImportWrote(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	var created []runfolder.Entry
	for _, e := range ledgerLines(t, dir) {
		if e.Outcome == runfolder.Created {
			created = append(created, e)
		}
	}
	again, rekeyed := created[0], created[1]
	old := recordOf(t, srv, again.Key)
	if err := srv.DeleteRecord(demoObject, again.Detail); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{}
	for f, v := range old {
		if strings.HasPrefix(f, "nplms__") && v != nil {
			values[f] = v
		}
	}
	newID, err := srv.AddRecord(demoObject, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EditRecord(demoObject, rekeyed.Detail, map[string]any{demoExtID: rekeyed.Key + "-renamed"}); err != nil {
		t.Fatal(err)
	}

	for _, force := range []bool{false, true} {
		run, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes, o.Force = true, force })
		if err != nil {
			t.Fatalf("undo (force %v): %v", force, err)
		}
		lines := undoLines(t, dir)
		if got := lines[again.Key]; got[0] != backfill.UndoSkippedChanged || !strings.Contains(got[1], "a different record ("+newID+")") {
			t.Errorf("force %v: %s: %v, want skipped_changed naming the other record", force, again.Key, got)
		}
		want, why := backfill.UndoSkippedChanged, "external id"
		if force {
			want, why = backfill.UndoDeleted, ""
		}
		if got := lines[rekeyed.Key]; got[0] != want || !strings.Contains(got[1], why) {
			t.Errorf("force %v: %s: %v, want %s", force, rekeyed.Key, got, want)
		}
		if run.Outcomes[backfill.UndoDeleted] != len(created)-2+map[bool]int{false: 0, true: 1}[force] {
			t.Errorf("force %v: outcomes %v", force, run.Outcomes)
		}
	}
	if got := recordOf(t, srv, again.Key); got["Id"] != newID {
		t.Errorf("%s: the record the import never wrote was touched: %v", again.Key, got)
	}
	for _, r := range srv.Records(demoObject) {
		if r["Id"] == rekeyed.Detail {
			t.Errorf("--force left the record the import created under %s", rekeyed.Key)
		}
	}
}

// replaceIn returns an edit of a file: its first old replaced by new.
func replaceIn(old, new string) func(path string) error {
	return func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o600)
	}
}

// Every file undo reads is sealed: before-import.csv (its SHA-256 is journaled once
// import --plan wrote it) and the final ledger.csv (journaled when the import finished).
// An edited or missing one is refused, naming it, before anything is written; a missing
// before-import.csv never falls back to before.csv silently.
func TestUndoRefusesChangedFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		change     func(path string) error
		why        string
	}{
		{"edited before-image", runfolder.BeforeImportFile, replaceIn(",in_progress,", ",completed,"), "changed since"},
		{"deleted before-image", runfolder.BeforeImportFile, os.Remove, "is missing"},
		{"edited ledger", runfolder.LedgerFile, replaceIn("a0E", "a0F"), "changed since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			dir := reviewedImport(t, srv)
			path := filepath.Join(dir, tc.file)
			if err := tc.change(path); err != nil {
				t.Fatal(err)
			}
			orgNow := snapshot(t, srv)
			_, _, err := backfill.Undo(t.Context(), backfill.UndoOptions{FolderOptions: onFolder(t, srv, dir), Yes: true, KeepUpdatedAt: true})
			var se *runfolder.SealError
			if !errors.As(err, &se) || se.File != path || !strings.Contains(se.Why, tc.why) {
				t.Fatalf("undo: %v, want a seal error naming %s (%s)", err, path, tc.why)
			}
			if fmt.Sprint(snapshot(t, srv)) != fmt.Sprint(orgNow) {
				t.Errorf("the refused undo changed the org")
			}
		})
	}
}

// A second undo with Yes after a complete one has nothing left to send: it is an undo, not
// a dry run, and says every record is already back (the summary too).
func TestUndoAgainAfterACompleteUndo(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	if _, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes = true }); err != nil {
		t.Fatal(err)
	}
	jobs := srv.Calls()["ingest-create"]
	run, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes = true })
	if err != nil || run.DryRun || !run.OK() || run.Outcomes[backfill.UndoDeleted] != sampleToLoad || run.Planned["gone"] != sampleToLoad {
		t.Fatalf("undo again: %v, %+v", err, run)
	}
	if n := srv.Calls()["ingest-create"]; n != jobs {
		t.Errorf("the second undo created %d jobs", n-jobs)
	}
	var sum backfill.Summary
	if err := (&runfolder.Folder{Dir: dir}).ReadJSON(runfolder.SummaryFile, &sum); err != nil || sum.Undo == nil || sum.Undo.DryRun {
		t.Fatalf("summary.json's undo: %v, %+v", err, sum.Undo)
	}
	if _, err := os.Stat(filepath.Join(dir, runfolder.UndoLedgerFile)); err != nil {
		t.Errorf("the second undo wrote no ledger: %v", err)
	}
}

// A journal torn in its first line holds no plan id: it is not another plan's journal
// (copied from another folder) but a lost one, and resume goes on from the org.
func TestJournalTornInItsFirstLine(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(cfg.Out, runfolder.JournalFile), 12); err != nil {
		t.Fatal(err)
	}
	_, err := backfill.ImportPlan(t.Context(), importPlan(cfg))
	if !errors.Is(err, backfill.ErrJournalLost) || !strings.Contains(err.Error(), "torn") {
		t.Fatalf("import --plan: %v, want the journal lost (torn)", err)
	}
	sum, err := resume(t, srv, cfg.Out)
	if err != nil || sum.Count(runfolder.Created) != sampleToLoad {
		t.Fatalf("resume: %v, %v", err, sum)
	}
}

// --max-rejected must be a percentage: NaN compares false with every bound.
func TestMaxRejectedNaN(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Export.MaxRejected = percent(math.NaN())
	_, err := backfill.Plan(t.Context(), cfg)
	var oe *backfill.OptionError
	if !errors.As(err, &oe) || oe.Option != backfill.OptMaxRejected || !errors.Is(err, backfill.ErrBadValue) {
		t.Fatalf("plan with NaN: %v", err)
	}
	if _, err := os.Stat(cfg.Out); !os.IsNotExist(err) {
		t.Errorf("a run folder was made: %v", err)
	}
}

// Ctrl-C while a part is being uploaded: the job holding the half-sent upload is aborted
// (never left Open in Salesforce), and no other job is created after the interruption.
func TestInterruptedUploadCreatesNoJob(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.SetLatency(50 * time.Millisecond)
	cfg := orgConfig(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg.Progress = backfill.ObserverFunc(func(e backfill.Event) {
		if e.Step == backfill.StepUpload && e.Phase == backfill.PhaseProgress && e.Done > 0 {
			cancel()
		}
	})
	_, err := backfill.Import(ctx, imp(cfg))
	var st *backfill.StoppedError
	if !errors.As(err, &st) || st.Cause != backfill.StopInterrupted {
		t.Fatalf("import: %v, want interrupted", err)
	}
	jobs := ingestJobs(srv)
	if len(jobs) != 1 {
		t.Errorf("%d jobs created, want the one whose upload was cut", len(jobs))
	}
	for _, j := range jobs {
		if j.State != "Aborted" {
			t.Errorf("job %s left %s", j.ID, j.State)
		}
	}
	if st.Aborted != 1 {
		t.Errorf("the error says %d jobs aborted", st.Aborted)
	}
	srv.SetLatency(0)
	sum, err := resume(t, srv, cfg.Out)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	checkLoaded(t, srv, cfg.Out, sum)
}

// formulaExport is an export of three new rows whose values start like spreadsheet
// formulas; k-fail-1 and k-fail-2 are refused by the org.
const formulaExport = `External Id,Learner Email,Learner Name,Course Name,Enrollment Date,Progress Percentage,Updated At,Course ID
k-ok-1,ok1@example.com,Ok One,=Formulas 101,2025-12-01T09:00:00Z,50,2025-12-02T09:00:00Z,c-101
k-fail-1,fail1@example.com,-Minus Name,=Formulas 101,2025-12-01T09:00:00Z,40,2025-12-02T09:00:00Z,c-101
k-fail-2,fail2@example.com,'=Quoted,@Course,2025-12-03T09:00:00Z,30,2025-12-04T09:00:00Z,c-101
`

// rowsFailedImport imports export (the text of a CSV) into srv, which refuses the rows of
// the keys failing, and returns the run folder; two rows must fail.
func rowsFailedImport(t *testing.T, srv *sftest.Server, export string, failing ...string) string {
	t.Helper()
	for _, k := range failing {
		srv.FailRow(k, "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--")
	}
	cfg := orgConfig(t, srv)
	cfg.Export.File = filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(cfg.Export.File, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil || sum.Status != backfill.StatusRowsFailed || sum.Count(runfolder.Failed) != 2 {
		t.Fatalf("import: %v, %+v", err, sum)
	}
	return cfg.Out
}

// failingImport imports formulaExport into srv, whose k-fail rows are refused.
func failingImport(t *testing.T, srv *sftest.Server) string {
	t.Helper()
	return rowsFailedImport(t, srv, formulaExport, "k-fail-1", "k-fail-2")
}

// The final result files hold exactly what was uploaded, as Data Loader's do: a value
// that starts like a formula is not given an apostrophe, so a fixed copy loads exactly.
func TestResultFilesHoldTheUpload(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := failingImport(t, srv)
	uploaded := map[string][]string{}
	for _, rec := range readCSV(t, filepath.Join(dir, runfolder.ToImportFile))[1:] {
		uploaded[rec[0]] = rec
	}
	for _, name := range []string{runfolder.ErrorFile, runfolder.SuccessFile} {
		rows := readCSV(t, filepath.Join(dir, name))
		for _, rec := range rows[1:] {
			got, want := strings.Join(rec[2:], ","), strings.Join(uploaded[rec[2]], ",")
			if got != want {
				t.Errorf("%s: %s, uploaded %s", name, got, want)
			}
		}
		if len(rows) < 2 {
			t.Errorf("%s has no rows", name)
		}
	}
}

// retryExport is an export of three new rows: k-lock-1 is refused by the org until its
// fault is cleared, k-bad-1 has an email Salesforce refuses until the user fixes it, and
// its course name starts like a formula.
const retryExport = `External Id,Learner Email,Learner Name,Course Name,Enrollment Date,Progress Percentage,Updated At,Course ID
k-ok-1,ok1@example.com,Ok One,Basics,2025-12-01T09:00:00Z,50,2025-12-02T09:00:00Z,c-101
k-lock-1,lock1@example.com,Lock One,Basics,2025-12-01T09:00:00Z,40,2025-12-02T09:00:00Z,c-101
k-bad-1,bad1-at-example.com,-Minus Name,=Formulas 101,2025-12-03T09:00:00Z,30,2025-12-04T09:00:00Z,c-101
`

// retry runs Retry on the import in dir with the test org's login, without asking.
func retry(t *testing.T, srv *sftest.Server, dir, file string) (*backfill.RetryResult, error) {
	t.Helper()
	return backfill.Retry(t.Context(), backfill.RetryOptions{FolderOptions: onFolder(t, srv, dir), File: file,
		Load: backfill.LoadOptions{Yes: true}})
}

// retry loads the failed rows again as new rounds: first as they were uploaded (the row
// the org refused until now loads, the bad email fails again), then from the user's
// corrected copy of the round's error.csv, read back exactly (a value that starts like a
// formula reaches Salesforce as written). Each round is a run folder verify and undo work
// on, and undo of a round touches only what that round wrote.
func TestRetryLoadsTheFailedRowsAgain(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := rowsFailedImport(t, srv, retryExport, "k-lock-1")
	srv.ClearFaults()

	// Round 1: as uploaded.
	r1, err := retry(t, srv, dir, "")
	if err != nil || r1.Round != filepath.Join(dir, "retry-1") {
		t.Fatalf("retry: %v, %+v", err, r1)
	}
	if s := r1.Summary; s.Status != backfill.StatusRowsFailed || s.Rows != 2 || s.Count(runfolder.Created) != 1 || s.Count(runfolder.Failed) != 1 {
		t.Fatalf("round 1: %s, %v", s.Status, outcomes(s))
	}
	if got := recordOf(t, srv, "k-lock-1"); got["nplms__Learner_Email__c"] != "lock1@example.com" {
		t.Errorf("k-lock-1 after round 1: %v", got)
	}

	// Round 2: the user's corrected copy of round 1's error.csv.
	errRows := readCSV(t, filepath.Join(r1.Round, runfolder.ErrorFile))
	fixed := filepath.Join(t.TempDir(), "fixed.csv")
	b, err := os.ReadFile(filepath.Join(r1.Round, runfolder.ErrorFile))
	if err != nil || len(errRows) != 2 || !bytes.Contains(b, []byte(",=Formulas 101,")) {
		t.Fatalf("round 1's error.csv: %v\n%s", err, b)
	}
	// The email fixed; the course name as an older backfill's error.csv held it, with the
	// apostrophe that neutralised it (the cell unchanged: read as what was uploaded).
	b = bytes.Replace(b, []byte(",k-bad-1,bad1-at-example.com,"), []byte(",k-bad-1,bad1@example.com,"), 1)
	b = bytes.Replace(b, []byte(",=Formulas 101,"), []byte(",'=Formulas 101,"), 1)
	if err := os.WriteFile(fixed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r2, err := retry(t, srv, dir, fixed)
	if err != nil || r2.Round != filepath.Join(dir, "retry-2") || r2.Summary.Status != backfill.StatusDone || r2.Summary.Count(runfolder.Created) != 1 {
		b, _ := os.ReadFile(filepath.Join(r2.Round, runfolder.ErrorFile))
		t.Fatalf("retry --file: %v, %+v\n%s", err, r2, b)
	}
	got := recordOf(t, srv, "k-bad-1")
	if got["nplms__Learner_Email__c"] != "bad1@example.com" || got["nplms__Course_Name__c"] != "=Formulas 101" || got["nplms__Learner_Name__c"] != "-Minus Name" {
		t.Errorf("k-bad-1 as loaded from the corrected file: %v", got)
	}
	for _, round := range []string{r1.Round, r2.Round} {
		if _, run, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: onFolder(t, srv, round)}); err != nil || !run.OK() {
			t.Errorf("verify %s: %v, %+v", round, err, run)
		}
	}

	// Nothing is left to retry.
	if _, err := retry(t, srv, dir, ""); !errors.Is(err, backfill.ErrNothingToRetry) {
		t.Errorf("a third retry: %v, want nothing to retry", err)
	}

	// Undo of round 2 deletes what round 2 created, and nothing else.
	run, err := undo(t, srv, r2.Round, func(o *backfill.UndoOptions) { o.Yes = true })
	if err != nil || run.Outcomes[backfill.UndoDeleted] != 1 {
		t.Fatalf("undo of round 2: %v, %+v", err, run)
	}
	keys := snapshot(t, srv)
	if _, ok := keys["k-bad-1"]; ok {
		t.Errorf("k-bad-1 is still there after the undo of round 2")
	}
	for _, k := range []string{"k-ok-1", "k-lock-1"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("the undo of round 2 touched %s, which another round wrote", k)
		}
	}

	// verify and undo of the import's folder cover its rounds: round 2 is already undone
	// (passed over), round 1's record and the import's own go.
	_, vr, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: onFolder(t, srv, dir)})
	if err != nil || len(vr.Rounds) != 2 || vr.Rounds[0].Dir != r1.Round || vr.OK() {
		t.Fatalf("verify of the import: %v, %+v (round 2 was undone: its record is missing)", err, vr)
	}
	run, err = undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes = true })
	if err != nil || !run.OK() || len(run.Rounds) != 1 || run.Rounds[0].Dir != r1.Round || run.Rounds[0].Undo.Outcomes[backfill.UndoDeleted] != 1 ||
		run.Outcomes[backfill.UndoDeleted] != 1 {
		t.Fatalf("undo of the import: %v, %+v", err, run)
	}
	keys = snapshot(t, srv)
	for _, k := range []string{"k-ok-1", "k-lock-1", "k-bad-1"} {
		if _, ok := keys[k]; ok {
			t.Errorf("%s is still there after the undo of the import and its rounds", k)
		}
	}
}

// retry --file refuses, before any work, a file whose rows are not the ones to retry or
// whose header is not what was uploaded, naming the file and line.
func TestRetryRefusesAnotherFile(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := failingImport(t, srv)
	header := "sf__Id,sf__Error,nplms__External_Id__c,nplms__Learner_Email__c\n"
	for _, tc := range []struct{ name, body, want string }{
		{"a row that loaded", header + ",x,k-fail-1,a@example.com\n,x,k-ok-1,b@example.com\n", ": line 3: nplms__External_Id__c \"k-ok-1\" is not a row that failed"},
		{"a column not uploaded", "nplms__External_Id__c,External Id\nk-fail-1,k\n", ": line 1: column 2, \"External Id\", is not a field the plan uploads"},
		{"no external id", "nplms__Learner_Email__c\na@example.com\n", ": line 1: has no column nplms__External_Id__c"},
	} {
		file := filepath.Join(t.TempDir(), "fixed.csv")
		if err := os.WriteFile(file, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		jobs := srv.Calls()["ingest-create"]
		_, err := retry(t, srv, dir, file)
		if err == nil || !strings.Contains(err.Error(), file+tc.want) {
			t.Errorf("%s: %v, want %s%s", tc.name, err, file, tc.want)
		}
		if n := srv.Calls()["ingest-create"]; n != jobs {
			t.Errorf("%s: %d jobs created", tc.name, n-jobs)
		}
		if _, err := os.Stat(filepath.Join(dir, "retry-1")); !os.IsNotExist(err) {
			t.Errorf("%s: a round folder was made", tc.name)
		}
	}
}

// A plan keyed on Id asks Salesforce only about keys that are Ids (a query with one literal
// that is not an Id is refused whole, as the emulator refuses it), and compares Ids exactly.
func TestPlanKeyedOnID(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	rec := srv.Records(demoObject)[0]
	id, _ := rec["Id"].(string)
	cfg := orgConfig(t, srv)
	cfg.Target.ExternalIDField, cfg.Export.KeyColumn = "Id", "Id"
	cfg.Export.File = filepath.Join(t.TempDir(), "export.csv")
	export := "Id,Learner Email,Enrollment Date,Progress Percentage,Updated At,Course ID\n" +
		id + ",new1@example.com,2025-12-01T09:00:00Z,50,2025-12-02T09:00:00Z,c-101\n" +
		"k-new-1,new2@example.com,2025-12-01T09:00:00Z,50,2025-12-02T09:00:00Z,c-101\n"
	if err := os.WriteFile(cfg.Export.File, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatalf("plan keyed on Id: %v", err)
	}
	if sum.Keys != "case-sensitively" || sum.Count(runfolder.Stale, runfolder.Exists) != 1 || sum.Count(runfolder.ToInsert) != 1 {
		t.Errorf("plan keyed on Id: keys %s, %v", sum.Keys, outcomes(sum))
	}
}

// A kill while a finished undo's files were being moved aside (undo-1/, before a new undo
// is planned) left undo.json moved and its journals behind: the next undo met them as
// another undo's and stopped for good (found by TestUndoSequences). The next undo now
// finishes the move first.
func TestUndoAfterAnArchiveCutShort(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := imported(t, srv, false)
	if _, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes = true }); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "undo-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, runfolder.UndoFile), filepath.Join(dir, "undo-1", runfolder.UndoFile)); err != nil {
		t.Fatal(err)
	}
	run, err := undo(t, srv, dir, func(o *backfill.UndoOptions) { o.Yes = true })
	if err != nil || run.DryRun || run.Outcomes[backfill.UndoDeleted] != sampleToLoad {
		t.Fatalf("undo after the cut archive: %v, %+v", err, run)
	}
	for _, name := range []string{runfolder.UndoFile, runfolder.UndoPlanFile, runfolder.UndoLedgerFile, runfolder.UndoDeleteJournal} {
		if _, err := os.Stat(filepath.Join(dir, "undo-1", name)); err != nil {
			t.Errorf("undo-1/ lacks the first undo's %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "undo-2")); err == nil {
		t.Errorf("the first undo's files were split over undo-1/ and undo-2/")
	}
}

// A value that starts with an apostrophe in the export (k-fail-2's '=Quoted) is retried as
// it was uploaded, apostrophe and all, from the rows as uploaded and from a corrected file
// whose cell an older backfill neutralised with a second apostrophe.
func TestRetryKeepsAnUploadedApostrophe(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "fixed.csv")
	body := "nplms__External_Id__c,nplms__Learner_Name__c\nk-fail-2,''=Quoted\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", file} {
		srv := sftest.NewServer(t)
		dir := failingImport(t, srv)
		srv.ClearFaults()
		if r, err := retry(t, srv, dir, f); err != nil || r.Summary.Count(runfolder.Created) == 0 {
			t.Fatalf("retry %q: %v, %+v", f, err, r)
		}
		if got := recordOf(t, srv, "k-fail-2")["nplms__Learner_Name__c"]; got != "'=Quoted" {
			t.Errorf("retry %q: k-fail-2's name %q, uploaded '=Quoted", f, got)
		}
	}
}
