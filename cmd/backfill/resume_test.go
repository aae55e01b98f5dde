package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestKillThenResume kills a real `backfill import` process with SIGKILL at each step of the
// load (while its call to that endpoint is held in the emulator, see sftest's Hold) and
// finishes it with `backfill resume`: the org must end with exactly the expected records,
// no external id twice, and the ledger complete.
func TestKillThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	for _, step := range []string{"ingest-create", "ingest-upload", "ingest-close", "ingest-get", "ingest-results"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			before := len(srv.Records("nplms__Enrollment__c"))
			dir := filepath.Join(t.TempDir(), "run")
			if !runAndKill(t, srv, step, "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q") {
				t.Fatalf("the import finished before the kill at %s", step)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl")); strings.Contains(string(b), `"finished"`) {
				t.Fatalf("journal says finished after a kill at %s", step)
			}
			tok := token(srv.AccessToken())
			stdout, stderr, code := runCLIEnv(t, tok, "resume", dir, "--instance-url", srv.URL, "-q")
			if code != 0 {
				t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
			}
			checkOrgAndLedger(t, srv, dir, before+22)
			// Resuming a finished import changes nothing.
			creates := srv.Calls()["ingest-create"]
			if _, _, code := runCLIEnv(t, tok, "resume", dir, "--instance-url", srv.URL, "-q"); code != 0 || srv.Calls()["ingest-create"] != creates {
				t.Errorf("second resume: exit %d, jobs created %d -> %d", code, creates, srv.Calls()["ingest-create"])
			}
		})
	}
}

// TestKillDuringPlan: a kill before the plan is complete leaves only DIR.partial, never a
// folder that looks finished; resume says there is nothing there, and running the import
// again with the same --out replaces the partial folder.
func TestKillDuringPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "run")
	if !runAndKill(t, srv, "query", "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q") {
		t.Fatal("the import finished before the kill")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s exists after a kill during the plan", dir)
	}
	tok := token(srv.AccessToken())
	if _, _, code := runCLIEnv(t, tok, "resume", dir, "--instance-url", srv.URL, "-q"); code != exitUsage {
		t.Errorf("resume of an unfinished plan: exit %d, want 2", code)
	}
	if _, err := os.Stat(dir + runfolder.PartialSuffix); err == nil { // killed after the folder was started
		if _, stderr, code := runCLIEnv(t, tok, "resume", dir+runfolder.PartialSuffix, "--instance-url", srv.URL, "-q"); code != exitUsage ||
			!strings.Contains(stderr, "unfinished run folder") {
			t.Errorf("resume of the .partial folder: exit %d %s", code, stderr)
		}
	}
	if _, stderr, code := runCLIEnv(t, tok, "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes", "-q"); code != 0 {
		t.Fatalf("import again: exit %d %s", code, stderr)
	}
	checkOrgAndLedger(t, srv, dir, 12+22)
	if _, err := os.Stat(dir + runfolder.PartialSuffix); !os.IsNotExist(err) {
		t.Errorf("the .partial folder survived the re-run")
	}
}

// runAndKill starts backfill with args and sends it SIGKILL while the emulator holds its
// next call to endpoint. It reports whether the kill happened before the process ended on
// its own.
func runAndKill(t *testing.T, srv *sftest.Server, endpoint string, args ...string) bool {
	t.Helper()
	at, _ := srv.Hold(endpoint)
	return runAndSignal(t, srv.AccessToken(), at, syscall.SIGKILL, args...).signaled
}

// checkOrgAndLedger asserts the org holds want Enrollment records with no external id
// twice, and that the run folder's ledger gives every data row one final outcome that
// matches the org.
func checkOrgAndLedger(t *testing.T, srv *sftest.Server, dir string, want int) {
	t.Helper()
	ids := map[string]string{}
	for _, r := range srv.Records("nplms__Enrollment__c") {
		k, _ := r["nplms__External_Id__c"].(string)
		if _, dup := ids[k]; dup {
			t.Fatalf("external id %s is in the org twice", k)
		}
		ids[k], _ = r["Id"].(string)
	}
	if len(ids) != want {
		t.Errorf("org has %d Enrollment records, want %d", len(ids), want)
	}
	counts := map[runfolder.Outcome]int{}
	rows := 0
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		rows++
		counts[e.Outcome]++
		switch e.Outcome {
		case runfolder.Created, runfolder.Updated:
			if ids[e.Key] != e.Detail {
				t.Errorf("ledger line %d: %s with Id %s, the org has %s", e.Line, e.Outcome, e.Detail, ids[e.Key])
			}
		case runfolder.ToInsert, runfolder.Failed, runfolder.Unprocessed:
			t.Errorf("ledger line %d left as %s: %s", e.Line, e.Outcome, e.Detail)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != 45 || counts[runfolder.Created]+counts[runfolder.Updated]+counts[runfolder.AlreadyNewer] != 22 {
		t.Errorf("ledger: %d rows, outcomes %v", rows, counts)
	}
}
