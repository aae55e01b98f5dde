package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Real processes on one run folder: the lock, signals and kill -9 as the OS delivers them.

// TestTwoWritersOneFolder: while `import --plan DIR` runs, a second `resume DIR` and a
// second `import --plan DIR` exit 2 at once naming the first one's pid; once the first is
// killed with SIGKILL (its lock goes with it), resume finishes the import.
func TestTwoWritersOneFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "run")
	tok := token(srv.AccessToken())
	if _, stderr, code := runCLIEnv(t, tok, "plan", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "-q"); code != 0 {
		t.Fatalf("plan: exit %d %s", code, stderr)
	}
	// The first import waits for its job (its first poll is held) until it is killed; the
	// second commands run meanwhile.
	polling, _ := srv.Hold("ingest-get")
	var second []childOutcome
	tried := make(chan struct{})
	go func() {
		defer close(tried)
		<-polling
		for _, args := range [][]string{{"resume", dir}, {"import", "--plan", dir, "--yes"}} {
			_, stderr, code := runCLIEnv(t, tok, append(args, "--instance-url", srv.URL, "-q")...)
			second = append(second, childOutcome{args[0], code, stderr})
		}
	}()
	first := runAndSignal(t, srv.AccessToken(), tried, syscall.SIGKILL, "import", "--plan", dir, "--instance-url", srv.URL, "--yes", "-q")
	if !first.signaled {
		t.Fatalf("the first import ended on its own: exit %d %s", first.code, first.stderr)
	}
	for _, s := range second {
		want := "run folder " + dir + " is in use by pid " + strconv.Itoa(first.pid) + " (backfill import --plan, started "
		if s.code != exitUsage || !strings.Contains(s.stderr, want) {
			t.Errorf("second %s: exit %d\n%s\nwant exit 2 and %q", s.cmd, s.code, s.stderr, want)
		}
	}
	if len(second) != 2 {
		t.Errorf("%d second commands ran, want 2", len(second))
	}
	if n := srv.Calls()["ingest-create"]; n != 1 {
		t.Errorf("%d jobs created, want the first import's only", n)
	}
	var holder runfolder.LockHolder
	b, _ := os.ReadFile(filepath.Join(dir, runfolder.LockFile))
	if json.Unmarshal(b, &holder); holder.PID != first.pid {
		t.Errorf("lock file names pid %d, want the killed %d", holder.PID, first.pid)
	}
	// The killed process's lock is gone with it.
	if _, stderr, code := runCLIEnv(t, tok, "resume", dir, "--instance-url", srv.URL, "-q"); code != 0 {
		t.Fatalf("resume after the kill: exit %d %s", code, stderr)
	}
	checkOrgAndLedger(t, srv, dir, 12+22)
}

type childOutcome struct {
	cmd    string
	code   int
	stderr string
}

// TestInterruptedImport: Ctrl-C (SIGINT) while a job is Open (its upload held) aborts it
// and exits 130 with how to resume; Ctrl-C while Salesforce processes a job (its first
// poll held) leaves the job running and says resume collects its results. Each time resume
// then finishes exactly.
func TestInterruptedImport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	for _, c := range []struct {
		name, endpoint string
		hint           string
		aborted        bool
	}{
		{"while Open", "ingest-upload", "hint: run backfill resume ", true},
		{"while polling", "ingest-get", "hint: 1 job still running in Salesforce, left alone: backfill resume ", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			dir := filepath.Join(t.TempDir(), "run")
			at, _ := srv.Hold(c.endpoint)
			r := runAndSignal(t, srv.AccessToken(), at, syscall.SIGINT,
				"import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q")
			if !r.signaled || r.code != exitInterrupted {
				t.Fatalf("exit %d (signaled %v), want 130\n%s", r.code, r.signaled, r.stderr)
			}
			if !strings.Contains(r.stderr, c.hint+dir) {
				t.Errorf("stderr:\n%s\nwant %q", r.stderr, c.hint+dir)
			}
			jobs := srv.Jobs()
			if len(jobs) == 0 || (jobs[0].State == sftest.StateAborted) != c.aborted {
				t.Fatalf("jobs %+v, aborted: want %v", jobs, c.aborted)
			}
			for _, j := range jobs {
				if j.State == sftest.StateOpen {
					t.Errorf("job %s left Open", j.ID)
				}
			}
			if _, stderr, code := runCLIEnv(t, token(srv.AccessToken()), "resume", dir, "--instance-url", srv.URL, "-q"); code != 0 {
				t.Fatalf("resume: exit %d %s", code, stderr)
			}
			checkOrgAndLedger(t, srv, dir, 12+22)
		})
	}
}

// TestInterruptedClean: kill -9 in the middle of clean (held in its second pass, writing
// the run folder, by BACKFILL_TEST_HOLD) leaves DIR.partial, never DIR; a re-run with the
// same --out replaces it. Ctrl-C there exits 130 and leaves nothing.
func TestInterruptedClean(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	tmp := t.TempDir()
	export, existing := filepath.Join(tmp, "export.csv"), filepath.Join(tmp, "existing.csv")
	// Large enough that the second pass reads it in several pieces: the hold is at a
	// progress event between the first and the last.
	gen := csvdifftest.Config{Rows: 20_000, From: backfill.DefaultCutoff.AddDate(0, -6, 0), To: backfill.DefaultCutoff.AddDate(0, 3, 0)}
	for path, write := range map[string]func(f *os.File) error{
		export:   func(f *os.File) error { return csvdifftest.Export(f, gen) },
		existing: func(f *os.File) error { return csvdifftest.Existing(f, gen, backfill.DefaultCutoff) },
	} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "run")
			c := startChild(t, []string{"BACKFILL_TEST_HOLD=" + string(backfill.StepWriteRun)},
				"clean", "--export", export, "--existing", existing, "--out", out, "-q")
			r := c.signalAt(t, c.held, sig)
			if !r.signaled {
				t.Fatalf("clean ended before it was held in its second pass (exit %d):\n%s", r.code, r.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after %v during clean", out, sig)
			}
			_, partialErr := os.Stat(out + runfolder.PartialSuffix)
			switch sig {
			case syscall.SIGKILL:
				if partialErr != nil {
					t.Errorf("no %s after kill -9: %v", out+runfolder.PartialSuffix, partialErr)
				}
			case syscall.SIGINT:
				if r.code != exitInterrupted || partialErr == nil {
					t.Errorf("Ctrl-C: exit %d (want 130), partial folder left: %v\n%s", r.code, partialErr == nil, r.stderr)
				}
			}
			if _, stderr, code := runCLI(t, "clean", "--export", export, "--existing", existing, "--out", out, "-q"); code != 0 {
				t.Fatalf("re-run: exit %d %s", code, stderr)
			}
			if _, err := os.Stat(out + runfolder.PartialSuffix); !os.IsNotExist(err) {
				t.Errorf("the .partial folder survived the re-run")
			}
			if _, err := os.Stat(filepath.Join(out, runfolder.SummaryFile)); err != nil {
				t.Errorf("re-run: %v", err)
			}
		})
	}
}

// TestKillDuringUndoThenResume: an undo killed with SIGKILL in the middle of its delete job
// (while its call to the step's endpoint is held) is finished by backfill resume: exactly
// the records the import created are deleted, once.
func TestKillDuringUndoThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	for _, step := range []string{"ingest-create", "ingest-upload", "ingest-get"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			before := len(srv.Records("nplms__Enrollment__c"))
			dir := filepath.Join(t.TempDir(), "run")
			tok := token(srv.AccessToken())
			if _, stderr, code := runCLIEnv(t, tok, "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q"); code != 0 {
				t.Fatalf("import: exit %d %s", code, stderr)
			}
			if !runAndKill(t, srv, step, "undo", dir, "--yes", "--instance-url", srv.URL, "-q") {
				t.Fatalf("the undo ended before the kill at %s", step)
			}
			stdout, stderr, code := runCLIEnv(t, tok, "resume", dir, "--instance-url", srv.URL, "-q")
			if code != 0 {
				t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "backfill undo: ") || !strings.Contains(stdout, "deleted ") {
				t.Errorf("resume of an undo prints:\n%s", stdout)
			}
			if n := len(srv.Records("nplms__Enrollment__c")); n != before {
				t.Errorf("org has %d Enrollments after the undo, %d before the import", n, before)
			}
			if n := len(srv.DeletedRecords("nplms__Enrollment__c")); n != 22 {
				t.Errorf("%d records in the Recycle Bin, want the 22 the import created", n)
			}
		})
	}
}
