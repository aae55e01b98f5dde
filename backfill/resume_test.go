package backfill_test

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Resume finishes from every state a job can be in when the import stopped: each case
// below builds that state for real (a job created, fed and moved in the emulator, the
// journal written as the import would have written it up to the crash), then resumes and
// checks the org and the ledger exactly.

// The sample plan loads 22 new rows, all in one part; the org has 12 records before.
const sampleToLoad = 22

// stoppedImport is an import stopped after the plan: a plan folder, a client on the org,
// and the journal open for the steps the import made before it stopped.
type stoppedImport struct {
	t    *testing.T
	srv  *sftest.Server
	cfg  backfill.PlanOptions
	dir  string
	sf   *sfclient.Client
	plan runfolder.Plan
	j    *runfolder.Journal
}

func stopAfterPlan(t *testing.T, srv *sftest.Server) *stoppedImport {
	t.Helper()
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	s := &stoppedImport{t: t, srv: srv, cfg: cfg, dir: cfg.Out}
	folder := &runfolder.Folder{Dir: s.dir}
	if err := folder.ReadJSON(runfolder.PlanFile, &s.plan); err != nil {
		t.Fatal(err)
	}
	if len(s.plan.Parts) != 1 || s.plan.Rows() != sampleToLoad {
		t.Fatalf("sample plan: %d parts, %d rows", len(s.plan.Parts), s.plan.Rows())
	}
	var err error
	if s.sf, err = sfclient.New(t.Context(), cfg.Org, zaptest.NewLogger(t)); err != nil {
		t.Fatal(err)
	}
	j, _, err := folder.OpenJournal(time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	s.j = j
	s.journal(runfolder.JournalEntry{Event: runfolder.EvLoadStart})
	return s
}

func (s *stoppedImport) journal(entries ...runfolder.JournalEntry) {
	s.t.Helper()
	for _, e := range entries {
		if err := s.j.Add(e); err != nil {
			s.t.Fatal(err)
		}
	}
}

// createJob creates the part's job as the import does and journals it.
func (s *stoppedImport) createJob() string {
	s.t.Helper()
	job, err := s.sf.CreateIngestJob(s.t.Context(), sfclient.JobSpec{Object: s.plan.Object, Operation: "upsert", ExternalIDFieldName: s.plan.ExternalIDField})
	if err != nil {
		s.t.Fatal(err)
	}
	s.journal(runfolder.JournalEntry{Event: runfolder.EvJobCreated, Part: 1, Job: job.ID})
	return job.ID
}

// upload sends the part (all of to_import.csv) into job.
func (s *stoppedImport) upload(job string) {
	s.t.Helper()
	f, err := os.Open(filepath.Join(s.dir, runfolder.ToImportFile))
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if err := s.sf.UploadJobData(s.t.Context(), job, f); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stoppedImport) close(job string) {
	s.t.Helper()
	if _, err := s.sf.CloseJob(s.t.Context(), job); err != nil {
		s.t.Fatal(err)
	}
}

// closedJob creates the part's job, uploads and closes it, journaling each step, as an
// import killed while Salesforce processes the job leaves it.
func (s *stoppedImport) closedJob() string {
	s.t.Helper()
	job := s.createJob()
	s.upload(job)
	s.close(job)
	s.journal(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: 1, Job: job},
		runfolder.JournalEntry{Event: runfolder.EvClosed, Part: 1, Job: job})
	return job
}

// waitState polls the emulator until job is in state (the emulator moves a job along by
// elapsed time and tells no one: polling, with a deadline).
func (s *stoppedImport) waitState(job, state string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := s.sf.JobInfo(s.t.Context(), job)
		if err != nil {
			s.t.Fatal(err)
		}
		if info.State == state {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.t.Fatalf("job %s never reached %s", job, state)
}

func (s *stoppedImport) resume() (*backfill.Summary, error) {
	s.t.Helper()
	s.j.Close()
	return resume(s.t, s.srv, s.dir)
}

// resume resumes the load of the run folder dir.
func resume(t *testing.T, srv *sftest.Server, dir string) (*backfill.Summary, error) {
	t.Helper()
	res, err := resumeResult(t, srv, dir)
	return loaded(res, err)
}

func resumeResult(t *testing.T, srv *sftest.Server, dir string) (*backfill.LoadResult, error) {
	t.Helper()
	o := backfill.ResumeOptions{FolderOptions: folder(orgConfig(t, srv))}
	o.Dir = dir
	return backfill.Resume(t.Context(), o)
}

// checkLoaded asserts the org holds the 12 seed records and the planned ones, each
// external id once, and the ledger gives every planned row created or updated with the
// org's Id.
func checkLoaded(t *testing.T, srv *sftest.Server, dir string, sum *backfill.Summary) {
	t.Helper()
	recs := extIDs(t, srv, demoObject, demoExtID)
	if len(recs) != 12+sampleToLoad {
		t.Errorf("org has %d records, want %d", len(recs), 12+sampleToLoad)
	}
	checkInvariant(t, dir, sum)
	loaded := 0
	for _, e := range ledgerLines(t, dir) {
		switch e.Outcome {
		case runfolder.Created, runfolder.Updated, runfolder.AlreadyNewer:
			loaded++
			if id, _ := recs[e.Key]["Id"].(string); e.Outcome != runfolder.AlreadyNewer && id != e.Detail {
				t.Errorf("ledger line %d: %s %s, the org has %s", e.Line, e.Outcome, e.Detail, id)
			}
		case runfolder.ToInsert, runfolder.ToUpdate, runfolder.Failed, runfolder.Unprocessed:
			t.Errorf("ledger line %d left %s: %s", e.Line, e.Outcome, e.Detail)
		}
	}
	if loaded != sampleToLoad {
		t.Errorf("%d rows loaded, want %d", loaded, sampleToLoad)
	}
}

func ingestJobs(srv *sftest.Server) []sftest.JobInfo {
	var out []sftest.JobInfo
	for _, j := range srv.Jobs() {
		if j.Kind == "ingest" {
			out = append(out, j)
		}
	}
	return out
}

func TestResumeFromEveryJobState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// stop builds the state; it returns the job the import had.
		stop func(s *stoppedImport) string
		// jobs is how many ingest jobs the org has in the end; states, the first job's.
		jobs  int
		first string
	}{
		{"Open, upload not journaled", func(s *stoppedImport) string {
			job := s.createJob()
			s.upload(job) // the bytes may have reached Salesforce: the job is never used again
			return job
		}, 2, sftest.StateAborted},
		{"Open, uploaded", func(s *stoppedImport) string {
			job := s.createJob()
			s.upload(job)
			s.journal(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: 1, Job: job})
			return job
		}, 1, sftest.StateJobComplete},
		{"UploadComplete, close not journaled", func(s *stoppedImport) string {
			s.srv.SetJobDelay(300 * time.Millisecond)
			job := s.createJob()
			s.upload(job)
			s.journal(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: 1, Job: job})
			s.close(job)
			s.waitState(job, sftest.StateUploadComplete)
			return job
		}, 1, sftest.StateJobComplete},
		{"InProgress", func(s *stoppedImport) string {
			s.srv.SetJobDelay(400 * time.Millisecond)
			job := s.closedJob()
			s.waitState(job, sftest.StateInProgress)
			return job
		}, 1, sftest.StateJobComplete},
		{"JobComplete, results not saved", func(s *stoppedImport) string {
			job := s.closedJob()
			s.waitState(job, sftest.StateJobComplete)
			return job
		}, 1, sftest.StateJobComplete},
		{"Failed by Salesforce", func(s *stoppedImport) string {
			s.srv.SetJobDelay(time.Hour)
			job := s.closedJob()
			if err := s.srv.SetJobState(job, sftest.StateFailed, "InternalServerError : retry the job"); err != nil {
				s.t.Fatal(err)
			}
			s.srv.SetJobDelay(0)
			return job
		}, 2, sftest.StateFailed},
		{"Aborted in Setup", func(s *stoppedImport) string {
			s.srv.SetJobDelay(time.Hour)
			job := s.closedJob()
			if err := s.srv.SetJobState(job, sftest.StateAborted, ""); err != nil {
				s.t.Fatal(err)
			}
			s.srv.SetJobDelay(0)
			return job
		}, 2, sftest.StateAborted},
		{"gone after 7 days (404)", func(s *stoppedImport) string {
			job := s.closedJob()
			s.waitState(job, sftest.StateJobComplete)
			s.srv.ExpireJobs()
			return job
		}, 1, sftest.StateJobComplete},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			s := stopAfterPlan(t, srv)
			first := c.stop(s)
			sum, err := s.resume()
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			checkLoaded(t, srv, s.dir, sum)
			jobs := ingestJobs(srv)
			if len(jobs) != c.jobs || jobs[0].ID != first || jobs[0].State != c.first {
				t.Errorf("jobs %+v, want %d with the first %s", jobs, c.jobs, c.first)
			}
			// A finished import resumes to the same result without a call to Bulk.
			creates := srv.Calls()["ingest-create"]
			s.j.Close()
			again, err := resumeResult(t, srv, s.dir)
			if err != nil || !again.AlreadyDone || srv.Calls()["ingest-create"] != creates {
				t.Fatalf("second resume: %v, %+v, jobs %d -> %d", err, again, creates, srv.Calls()["ingest-create"])
			}
			sameCounts(t, "second resume", outcomes(again.Summary), outcomes(sum))
		})
	}
}

// A job that is gone after some of its rows failed: the rows found in the org with the
// planned values count as loaded (created: they were created after the load started), the
// rest go to a new job.
func TestResumeGoneJobLoadsOnlyTheRest(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	s := stopAfterPlan(t, srv)
	rows := readCSV(t, filepath.Join(s.dir, runfolder.ToImportFile))
	failing := []string{rows[1][0], rows[5][0]}
	if rows[0][0] != demoExtID {
		t.Fatalf("to_import.csv header %v", rows[0])
	}
	for _, k := range failing {
		srv.FailRow(k, "FIELD_INTEGRITY_EXCEPTION:try again later:--")
	}
	job := s.closedJob()
	s.waitState(job, sftest.StateJobComplete)
	srv.ExpireJobs()
	srv.ClearFaults()
	sum, err := s.resume()
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, s.dir, sum)
	jobs := ingestJobs(srv)
	if len(jobs) != 2 || jobs[1].RecordsProcessed != len(failing) {
		t.Fatalf("jobs %+v: want a second job with just the %d rows not in the org", jobs, len(failing))
	}
	if sum.Outcomes["created"] != sampleToLoad {
		t.Errorf("outcomes %v: rows created by the vanished job count as created", sum.Outcomes)
	}
}

// A job that fails the same way twice (the org's daily Bulk batches are used up) is not
// sent a third time: resume ends with exit 3, the rows unprocessed in unprocessed.csv with
// their data, and a hint that names that file, not "can be resumed".
func TestResumeNeverLoopsOnTheSameFailure(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.SetBulkBatchesRemaining(0)
	cfg := orgConfig(t, srv)
	load := imp(cfg)
	load.Load.SkipPreflight = true // preflight would refuse the load: the point is what the load does
	sum, err := backfill.Import(t.Context(), load)
	if err != nil || sum.Status != backfill.StatusRowsFailed {
		t.Fatalf("import: %v, status %q; want rows failed", err, sum.Status)
	}
	if n := len(ingestJobs(srv)); n != 2 {
		t.Errorf("%d jobs, want 2: the first and one follow-up, then stop", n)
	}
	if sum.Outcomes["unprocessed"] != sampleToLoad {
		t.Errorf("outcomes %v", sum.Outcomes)
	}
	if sum.Outcomes["failed"] != 0 {
		t.Errorf("outcomes %v: the rows were not refused, only left unprocessed", sum.Outcomes)
	}
	rows := readCSV(t, filepath.Join(cfg.Out, runfolder.UnprocessedFile))
	if len(rows) != sampleToLoad+1 || rows[0][0] != demoExtID {
		t.Fatalf("unprocessed.csv: %d lines, header %v", len(rows), rows[0])
	}
	// A finished import stays finished: resume sends nothing again.
	srv.SetBulkBatchesRemaining(1000)
	creates := srv.Calls()["ingest-create"]
	res, err := resumeResult(t, srv, cfg.Out)
	if err != nil || !res.AlreadyDone || srv.Calls()["ingest-create"] != creates {
		t.Errorf("resume of the finished import: %v, jobs %d -> %d", err, creates, srv.Calls()["ingest-create"])
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Salesforce refuses uploads over its limit: a refused part is split in two and each half
// sent (a part as large as one refused is split without trying); every row ends loaded,
// each once.
func TestRefusedUploadIsSplit(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Export.File = generated(t, 2000)
	plan, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	toLoad := plan.Count(runfolder.ToInsert)
	size := fileSize(t, filepath.Join(cfg.Out, runfolder.ToImportFile))
	srv.SetMaxUploadBytes(size / 3) // halves are refused too; quarters pass
	sum, err := loaded(backfill.ImportPlan(t.Context(), importPlan(cfg)))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	checkInvariant(t, cfg.Out, sum)
	if sum.Outcomes["created"] != toLoad || len(extIDs(t, srv, demoObject, demoExtID)) != 12+toLoad {
		t.Errorf("outcomes %v, want %d created", sum.Outcomes, toLoad)
	}
	states := map[string]int{}
	for _, j := range ingestJobs(srv) {
		states[j.State]++
	}
	// The whole part is refused, then a half (the other half too when it is not smaller: a
	// part as large as one refused is split without a try); four quarters load.
	if states[sftest.StateAborted] < 2 || states[sftest.StateAborted] > 3 || states[sftest.StateJobComplete] != 4 || len(states) != 2 {
		t.Errorf("job states: %v", states)
	}
}

// generated writes a synthetic export of rows rows, all after the cutoff, none in the org.
func generated(t *testing.T, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = csvdifftest.Export(f, csvdifftest.Config{Rows: rows, From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A part refused even when small is not split down to single rows: below the floor its
// rows end unprocessed, written with their data to unprocessed.csv, and the hint names it.
func TestRefusedBelowTheFloor(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.SetMaxUploadBytes(10) // not even a header fits
	cfg := orgConfig(t, srv)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil || sum.Status != backfill.StatusRowsFailed {
		t.Fatalf("import: %v, status %q; want rows failed", err, sum.Status)
	}
	if sum.Outcomes["unprocessed"] != sampleToLoad {
		t.Errorf("outcomes %v", sum.Outcomes)
	}
	if rows := readCSV(t, filepath.Join(cfg.Out, runfolder.UnprocessedFile)); len(rows) != sampleToLoad+1 {
		t.Errorf("unprocessed.csv has %d lines, want the header and %d rows", len(rows), sampleToLoad)
	}

	if n := srv.Calls()["ingest-create"]; n != 1 {
		t.Errorf("%d jobs created for a part under the floor, want 1", n)
	}
	for _, e := range ledgerLines(t, cfg.Out) {
		if e.Outcome == runfolder.Unprocessed && !strings.Contains(e.Detail, "too large") {
			t.Errorf("ledger line %d: %q", e.Line, e.Detail)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// A torn last journal line (power loss) is cut off and the import finishes.
func TestResumeAfterTornJournal(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	s := stopAfterPlan(t, srv)
	job := s.createJob()
	s.upload(job)
	s.journal(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: 1, Job: job})
	s.j.Close()
	f, _ := os.OpenFile(filepath.Join(s.dir, runfolder.JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-11-30T10:00:00Z","event":"clo`)
	f.Close()
	sum, err := s.resume()
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, s.dir, sum)
	if _, err := (&runfolder.Folder{Dir: s.dir}).ReadJournal(); err != nil {
		t.Errorf("journal after resume: %v", err)
	}
}

// A deleted journal: resume asks Salesforce which rows are loaded and loads only the rest;
// rows this import created count as created, and the summary says how it knew.
func TestResumeWithoutJournal(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	s := stopAfterPlan(t, srv)
	job := s.createJob()
	s.upload(job)
	s.close(job)
	s.waitState(job, sftest.StateJobComplete)
	s.j.Close()
	os.Remove(filepath.Join(s.dir, runfolder.JournalFile))
	sum, err := s.resume()
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, s.dir, sum)
	if n := len(ingestJobs(srv)); n != 1 {
		t.Errorf("%d jobs: the loaded rows were sent again", n)
	}
	if sum.Outcomes["created"] != sampleToLoad {
		t.Errorf("outcomes %v: records created after the plan count as created", sum.Outcomes)
	}
	found := false
	for _, w := range sum.Warnings {
		found = found || w.Kind == "journal"
	}
	if !found {
		t.Errorf("no warning says the journal was missing: %+v", sum.Warnings)
	}
}

// A journal copied from another run folder is refused before anything is sent.
func TestResumeRefusesForeignJournal(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	a, b := stopAfterPlan(t, srv), stopAfterPlan(t, srv)
	a.j.Close()
	b.j.Close()
	data, _ := os.ReadFile(filepath.Join(a.dir, runfolder.JournalFile))
	os.WriteFile(filepath.Join(b.dir, runfolder.JournalFile), data, 0o600)
	_, err := b.resume()
	if !errors.Is(err, backfill.ErrJournalForeign) || !strings.Contains(err.Error(), "belongs to another plan") {
		t.Fatalf("err %v", err)
	}
	if srv.Calls()["ingest-create"] != 0 {
		t.Errorf("jobs were created")
	}
}

// Every file a plan is made of is sealed: an edit to any of them is refused by import
// --plan and resume (exit 2, naming the file) before any write to Salesforce.
func TestSealedPlanRefusesEdits(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(dir string){
		// Sorted and saved by a spreadsheet: CRLF endings, another order.
		runfolder.LedgerFile: func(dir string) {
			lines := strings.Split(strings.TrimSpace(readFile(t, dir, runfolder.LedgerFile)), "\n")
			lines[1], lines[2] = lines[2], lines[1]
			writeFile(t, dir, runfolder.LedgerFile, strings.Join(lines, "\r\n")+"\r\n")
		},
		// One ledger line deleted.
		runfolder.LedgerFile + " line": func(dir string) {
			lines := strings.SplitAfter(readFile(t, dir, runfolder.LedgerFile), "\n")
			writeFile(t, dir, runfolder.LedgerFile, strings.Join(append(lines[:5:5], lines[6:]...), ""))
		},
		runfolder.ToImportFile: func(dir string) {
			writeFile(t, dir, runfolder.ToImportFile, readFile(t, dir, runfolder.ToImportFile)+"extra,row\n")
		},
		// The before-image undo restores from.
		runfolder.BeforeFile: func(dir string) {
			writeFile(t, dir, runfolder.BeforeFile, readFile(t, dir, runfolder.BeforeFile)+"k,a0E000000000001AAA\n")
		},
		runfolder.SummaryFile: func(dir string) {
			writeFile(t, dir, runfolder.SummaryFile, strings.Replace(readFile(t, dir, runfolder.SummaryFile), `"rows": 45`, `"rows": 44`, 1))
		},
		// A part's end halved.
		runfolder.PlanFile: func(dir string) {
			var p runfolder.Plan
			(&runfolder.Folder{Dir: dir}).ReadJSON(runfolder.PlanFile, &p)
			p.Parts[0].End = p.Parts[0].Start + (p.Parts[0].End-p.Parts[0].Start)/2
			(&runfolder.Folder{Dir: dir}).WriteJSON(runfolder.PlanFile, &p)
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "plan")
			copyDir(t, cfg.Out, dir)
			edit(dir)
			file := strings.Fields(name)[0]
			for _, cmd := range []string{"import --plan", "resume"} {
				var err error
				if cmd == "resume" {
					// A resume of that plan after its load started.
					writeFile(t, dir, runfolder.JournalFile, readFile(t, dir, runfolder.JournalFile)+`{"event":"load-start"}`+"\n")
					_, err = resume(t, srv, dir)
				} else {
					load := importPlan(orgConfig(t, srv))
					load.Dir = dir
					_, err = backfill.ImportPlan(t.Context(), load)
				}
				if !isA[*runfolder.SealError](err) || !errors.Is(err, runfolder.ErrSealBroken) || !strings.Contains(err.Error(), filepath.Join(dir, file)) {
					t.Errorf("%s: %v, want exit 2 naming %s", cmd, err, file)
				}
			}
			if srv.Calls()["ingest-create"] != 0 {
				t.Errorf("an edited plan created jobs")
			}
		})
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A refreshed sandbox keeps its URL, not its Organization Id: a plan made for the org that
// was there is refused.
func TestSealedPlanRefusesAnotherOrgAtTheSameURL(t *testing.T) {
	t.Parallel()
	first := sftest.NewServer(t)
	cfg := orgConfig(t, first)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(first.URL, "http://")
	first.Close()
	seed := sftest.DemoSeed()
	seed.Organization.ID = "00D5g000004XYZWEA4"
	seed.Organization.Name = "Refreshed Sandbox"
	second := sftest.NewServer(t, sftest.WithSeed(seed), sftest.WithAddr(addr))
	if second.URL != first.URL {
		t.Fatalf("second org at %s, want %s", second.URL, first.URL)
	}
	load := importPlan(orgConfig(t, second))
	load.Dir = cfg.Out
	_, err := backfill.ImportPlan(t.Context(), load)
	if !isA[*backfill.OrgError](err) || !strings.Contains(err.Error(), "00D5g000004XYZWEA4 (Refreshed Sandbox)") {
		t.Fatalf("err %v, want exit 2 naming the other org", err)
	}
	if second.Calls()["ingest-create"] != 0 {
		t.Errorf("jobs created in the other org")
	}
}

// One writer per run folder: while a command holds the folder, import --plan and resume
// exit 2 at once, naming the holder; nothing is asked of Salesforce.
func TestRunFolderHasOneWriter(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	holder := &runfolder.Folder{Dir: cfg.Out}
	if err := holder.Lock("resume", time.Now()); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()["query"]
	load := importPlan(cfg)
	_, err := backfill.ImportPlan(t.Context(), load)
	if !errors.Is(err, runfolder.ErrInUse) || !strings.Contains(err.Error(), "is in use by pid") {
		t.Errorf("import --plan: %v", err)
	}
	_, err = resume(t, srv, cfg.Out)
	if !errors.Is(err, runfolder.ErrInUse) {
		t.Errorf("resume: %v", err)
	}
	if srv.Calls()["query"] != calls {
		t.Errorf("a refused command asked Salesforce")
	}
	holder.Unlock()
	if _, err := backfill.ImportPlan(t.Context(), load); err != nil {
		t.Errorf("after the holder ended: %v", err)
	}
}

// Ctrl-C while a job is Open aborts it (nothing this command created stays Open in the
// org), journals that, and exits 130 with how to resume; resume then finishes.
func TestInterruptAbortsOpenJob(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	uploading, _ := srv.Hold("ingest-upload")
	go func() {
		<-uploading
		cancel()
	}()
	_, err := backfill.Import(ctx, imp(cfg))
	var st *backfill.StoppedError
	if !errors.As(err, &st) || st.Cause != backfill.StopInterrupted || st.Dir != cfg.Out || st.Aborted != 1 {
		t.Fatalf("interrupted import: %v (%+v), want it stopped, resumable in %s, the open job aborted", err, st, cfg.Out)
	}
	for _, j := range ingestJobs(srv) {
		if j.State == sftest.StateOpen {
			t.Errorf("job %s left Open", j.ID)
		}
	}
	if !strings.Contains(readFile(t, cfg.Out, runfolder.JournalFile), `"abandoned"`) {
		t.Errorf("the abort is not journaled")
	}
	sum, err := resume(t, srv, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, cfg.Out, sum)
}

// Ctrl-C while Salesforce processes a job leaves the job alone: the hint says resume
// collects its results, and resume does so without a new job.
func TestInterruptWhilePollingLeavesTheJob(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	polling, _ := srv.Hold("ingest-get")
	go func() {
		<-polling
		cancel()
	}()
	_, err := backfill.Import(ctx, imp(cfg))
	var st *backfill.StoppedError
	if !errors.As(err, &st) || st.Cause != backfill.StopInterrupted || st.Running != 1 {
		t.Fatalf("interrupted import: %v (%+v), want it stopped with 1 job still running", err, st)
	}
	jobs := ingestJobs(srv)
	if len(jobs) != 1 || jobs[0].State == sftest.StateAborted {
		t.Fatalf("jobs %+v: the running job must be left alone", jobs)
	}
	sum, err := resume(t, srv, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, cfg.Out, sum)
	if n := len(ingestJobs(srv)); n != 1 {
		t.Errorf("%d jobs after resume, want the one that was running", n)
	}
}

// A failure while writing the final files (a full disk, say) says how to finish: resume, which
// then writes them without sending anything again.
func TestFinishFailureSaysResume(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	// The final ledger cannot be written: its temporary name is taken by a folder.
	blocker := filepath.Join(cfg.Out, runfolder.LedgerFile+".tmp", "x")
	if err := os.MkdirAll(blocker, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := backfill.ImportPlan(t.Context(), importPlan(cfg))
	var st *backfill.StoppedError
	if !errors.As(err, &st) || st.Cause != backfill.StopLocal || st.Dir != cfg.Out {
		t.Fatalf("import: %v (%+v), want it stopped, resumable in %s", err, st, cfg.Out)
	}
	os.RemoveAll(filepath.Dir(blocker))
	creates := srv.Calls()["ingest-create"]
	sum, err := resume(t, srv, cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, srv, cfg.Out, sum)
	if srv.Calls()["ingest-create"] != creates {
		t.Errorf("resume sent the rows again")
	}
}

// When the org's daily Bulk batch allocation cannot hold the load (results are not recorded
// for batches beyond it), import refuses before any write: exit 4, preflight check 5.
func TestImportRefusedWithoutBulkBatches(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.SetBulkBatchesRemaining(1) // the sample needs 1 batch plus 1 for a follow-up
	_, err := backfill.Import(t.Context(), imp(orgConfig(t, srv)))
	var pe *backfill.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("import: %v, want exit 4", err)
	}
	failed := pe.Report.Failed()
	if len(failed) != 1 || failed[0].ID != 5 || !strings.Contains(failed[0].Message, "DailyBulkApiBatches 1 of ") {
		t.Errorf("failed checks: %+v", failed)
	}
	if n := srv.Calls()["ingest-create"]; n != 0 {
		t.Errorf("%d jobs created", n)
	}
}
