package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/batch"
	"github.com/northpass-tools/backfill/backfill/batch/batchtest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestHelpBatch renders the help of every batch subcommand and compares it with
// testdata/help/batch-NAME.txt (go test -update rewrites them); -h prints the same.
func TestHelpBatch(t *testing.T) {
	t.Parallel()
	for _, c := range batchCommands() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, "batch", c.name, "--help")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if short, _, _ := runCLI(t, "batch", c.name, "-h"); short != stdout {
				t.Errorf("-h prints other help than --help:\n%s", firstDiff(short, stdout))
			}
			if m := emptySection.FindString(stdout); m != "" || strings.Contains(stdout, "VALUE") {
				t.Errorf("an empty section %q, or a flag without its placeholder:\n%s", m, stdout)
			}
			golden := filepath.Join("testdata", "help", "batch-"+c.name+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if stdout != string(want) {
				t.Errorf("differs from %s (go test -update rewrites it):\n%s", golden, firstDiff(stdout, string(want)))
			}
		})
	}
}

// TestBatchHelpNamesEveryColumn: backfill batch --help lists exactly the runbook's columns,
// in batch.Columns' order.
func TestBatchHelpNamesEveryColumn(t *testing.T) {
	t.Parallel()
	stdout, _, _ := runCLI(t, "batch", "--help")
	i := strings.Index(stdout, "  customer,target_org,export[,")
	j := strings.Index(stdout[i:], "]")
	if i < 0 || j < 0 {
		t.Fatalf("no column list in:\n%s", stdout)
	}
	list := strings.NewReplacer("[", "", "\n", "", " ", "").Replace(stdout[i : i+j])
	var want []string
	for _, c := range batch.Columns {
		want = append(want, string(c))
	}
	if list != strings.Join(want, ",") {
		t.Errorf("the help lists %s\nthe runbook takes %s", list, strings.Join(want, ","))
	}
}

// TestBatchUsage: a runbook or batch folder that cannot be used exits 2 before any work,
// naming the line and what to do.
func TestBatchUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rb := filepath.Join(dir, "customers.csv")
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("External Id\nk\n"), 0o600)
	os.WriteFile(rb, []byte("customer,target_org,export,acces_token\nacme,acme,a.csv,x\n"), 0o600)
	for _, tc := range []struct {
		args   []string
		stderr []string
	}{
		{[]string{"batch"}, []string{"batch needs a subcommand"}},
		{[]string{"batch", "plna"}, []string{`unknown batch subcommand "plna"`, `did you mean "plan"`}},
		{[]string{"batch", "plan", rb}, []string{"--out is required"}},
		{[]string{"batch", "plan", rb, "--out", filepath.Join(dir, "b"), "--parallel", "0"}, []string{"--parallel 0"}},
		{[]string{"batch", "plan", rb, "--out", filepath.Join(dir, "b")}, []string{rb + `:1: column "acces_token" is not a runbook column`, "hint: a runbook's columns are customer, target_org, export"}},
		{[]string{"batch", "status", dir}, []string{"not a batch folder", "hint: pass the folder backfill batch plan wrote"}},
		{[]string{"batch", "status"}, []string{"batch status takes one batch folder"}},
		{[]string{"batch", "undo", dir}, []string{"--only is required"}},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, code, stderr)
		}
		for _, want := range tc.stderr {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, want, stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); !os.IsNotExist(err) {
		t.Errorf("a refused runbook made its batch folder")
	}
}

// batchFleet is the emulated orgs of a CLI batch test behind a fake sf that child processes
// find on PATH.
type batchFleet struct {
	sf   *batchtest.Fleet
	orgs map[string]*sftest.Server
}

func newBatchFleet(t *testing.T, aliases ...string) *batchFleet {
	t.Helper()
	sf, err := batchtest.NewFleet(filepath.Join(t.TempDir(), "bin"))
	if err != nil {
		t.Fatal(err)
	}
	f := &batchFleet{sf: sf, orgs: map[string]*sftest.Server{}}
	for i, alias := range aliases {
		seed := sftest.DemoSeed()
		seed.Organization.ID = fmt.Sprintf("00D5g0000%06dEAA", i+1)
		srv := sftest.NewServer(t, sftest.WithSeed(seed))
		if err := sf.Add(alias, srv.URL, srv.AccessToken(), seed.Organization.ID); err != nil {
			t.Fatal(err)
		}
		f.orgs[alias] = srv
	}
	return f
}

// vars is what a child backfill adds to its environment: the fake sf first on PATH, fast polls.
func (f *batchFleet) vars() []string {
	return []string{"BACKFILL_TEST_POLL=20ms", "PATH=" + f.sf.Dir() + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// run runs backfill with args in a process of its own and returns its stdout, stderr and
// exit code.
func (f *batchFleet) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	c := startChild(t, f.vars(), args...)
	<-c.done
	return c.stdout.String(), c.stderr.String(), c.cmd.ProcessState.ExitCode()
}

// statusOf runs batch status --json in process and returns each customer's state.
func statusOf(t *testing.T, dir string) (map[string]batch.Row, *batch.Rollup, int) {
	t.Helper()
	stdout, stderr, code := runCLI(t, "batch", "status", dir, "--json", "-q")
	var r batch.Rollup
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("batch status --json: %v\n%s\n%s", err, stdout, stderr)
	}
	out := map[string]batch.Row{}
	for _, row := range r.Customers {
		out[row.Customer] = row
	}
	return out, &r, code
}

// TestBatchKillThenResume runs a batch of four customers, each against an org of its own:
// acme's import is killed with SIGKILL mid-load (the batch process with it), globex's org
// answers 503 to the first calls of its import, initech's org has no Bulk batches left
// (preflight check 5 refuses it), umbrella's alias is unknown to the Salesforce CLI. batch
// status shows acme interrupted and globex still to load; batch resume finishes both. Each
// org ends with exactly the records it should hold, each ledger complete.
func TestBatchKillThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	f := newBatchFleet(t, "acme", "globex", "initech")
	f.orgs["initech"].SetBulkBatchesRemaining(0)
	dir := t.TempDir()
	rb := filepath.Join(dir, "runbook.csv")
	export, err := filepath.Abs(sampleExport)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range []string{"acme", "globex", "initech", "umbrella"} {
		lines = append(lines, c+","+c+","+export)
	}
	os.WriteFile(rb, []byte("customer,target_org,export\n"+strings.Join(lines, "\n")+"\n"), 0o600)
	out := filepath.Join(dir, "batch")

	stdout, stderr, code := f.run(t, "batch", "plan", rb, "--out", out, "-q")
	if code != exitRowsFailed || !strings.Contains(stderr, "2 of 4 customers are not ready: initech (preflight failed), umbrella (plan failed)") {
		t.Fatalf("batch plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"acme ", "ready", "initech: preflight failed", "why: preflight failed: check 5 (api limits)",
		"umbrella: plan failed", "error: cannot log in: ", "No authorization information found for umbrella", "roll-up: " + filepath.Join(out, "batch.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("batch plan's table lacks %q:\n%s", want, stdout)
		}
	}

	// The import, one org at a time, is killed once acme's first part is uploading.
	acme, globex := f.orgs["acme"], f.orgs["globex"]
	globex.Fail503(3, "", false)
	at, release := acme.Hold("ingest-upload")
	if r := startChild(t, f.vars(), "batch", "import", out, "--yes", "--parallel", "1", "-q").signalAt(t, at, syscall.SIGKILL); !r.signaled {
		t.Fatalf("the batch import ended before the kill: exit %d\n%s", r.code, r.stderr)
	}
	release()

	states, r, code := statusOf(t, out)
	if code != exitRowsFailed || states["acme"].State != batch.StateInterrupted || states["globex"].State != batch.StateReady ||
		r.Pending["globex"] != batch.CmdBatchImport || !strings.Contains(states["acme"].Next, "backfill batch resume") {
		t.Fatalf("batch status after the kill: exit %d, acme %s (%s), globex %s, pending %v", code, states["acme"].State,
			states["acme"].Next, states["globex"].State, r.Pending)
	}
	if n := len(globex.Records("nplms__Enrollment__c")); n != 12 {
		t.Errorf("globex was loaded before its turn: %d records", n)
	}

	stdout, stderr, code = f.run(t, "batch", "resume", out, "-q")
	if code != exitRowsFailed || !strings.Contains(stderr, "2 of 4 customers are not loaded: initech (preflight failed), umbrella (plan failed)") {
		t.Fatalf("batch resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkOrgAndLedger(t, acme, filepath.Join(out, "acme"), 12+22)
	checkOrgAndLedger(t, globex, filepath.Join(out, "globex"), 12+22)
	if n := len(f.orgs["initech"].Records("nplms__Enrollment__c")); n != 12 || f.orgs["initech"].Calls()["ingest-create"] != 0 {
		t.Errorf("initech was written to: %d records", n)
	}
	if globex.Faults().CallTotal() != 3 {
		t.Errorf("globex met %d injected 503s", globex.Faults().CallTotal())
	}
	states, r, _ = statusOf(t, out)
	if states["acme"].State != batch.StateDone || states["globex"].State != batch.StateDone || len(r.Pending) != 0 {
		t.Errorf("after resume: acme %s, globex %s, pending %v", states["acme"].State, states["globex"].State, r.Pending)
	}
	// A single command on one folder of the batch: verify acme; the batch sees it.
	if _, stderr, code := f.run(t, "verify", filepath.Join(out, "acme"), "-q"); code != 0 {
		t.Fatalf("backfill verify on acme's folder: exit %d\n%s", code, stderr)
	}
	if states, _, _ = statusOf(t, out); states["acme"].State != batch.StateVerified {
		t.Errorf("after backfill verify: acme is %s", states["acme"].State)
	}
}

// TestProgressLines: on a terminal each customer has a line (what it does, the step, how
// far, how fast); a log line is written above them, the lines cleared and drawn again.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	l := newProgressLines(&out)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.p = batch.NewProgress([]string{"acme", "globex"}, func() time.Time { return now })
	l.p.Begin("acme", batch.CmdBatchImport)
	obs := l.p.Observer("acme")
	obs.Observe(backfill.Event{ID: 1, Step: backfill.StepProcess, Phase: backfill.PhaseStart, Total: 100_000, Unit: backfill.UnitRows})
	now = now.Add(4 * time.Second)
	obs.Observe(backfill.Event{ID: 1, Step: backfill.StepProcess, Phase: backfill.PhaseProgress, Done: 42_000, Total: 100_000, Unit: backfill.UnitRows})
	l.p.Begin("globex", batch.CmdBatchImport)
	l.p.End(batch.Row{Customer: "globex", State: batch.StateDone})
	l.Write([]byte("a log line\n"))
	l.Write([]byte("another\n"))
	got := out.String()
	want := "acme                 importing        42,000/100,000 rows 10,500/s  Salesforce…\n"
	if !strings.Contains(got, want) || !strings.Contains(got, "globex               done\n") {
		t.Errorf("lines:\n%q", got)
	}
	if !strings.Contains(got, "\033[2A\r\033[Janother\n") || !strings.HasPrefix(got, "a log line\n") {
		t.Errorf("the lines are not cleared before a log line:\n%q", got)
	}
}

// TestBatchInterruptThenResume: Ctrl-C stops a batch import cleanly (exit 130, every
// customer's job journaled as its single command stops), the roll-up says where each stands,
// and batch resume finishes the interrupted load and the one not started.
func TestBatchInterruptThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	f := newBatchFleet(t, "acme", "globex")
	acme, globex := f.orgs["acme"], f.orgs["globex"]
	dir := t.TempDir()
	export, _ := filepath.Abs(sampleExport)
	rb := filepath.Join(dir, "customers.csv")
	os.WriteFile(rb, []byte("customer,target_org,export\nacme,acme,"+export+"\nglobex,globex,"+export+"\n"), 0o600)
	out := filepath.Join(dir, "batch")
	if _, stderr, code := f.run(t, "batch", "plan", rb, "--out", out, "-q"); code != 0 {
		t.Fatalf("batch plan: exit %d\n%s", code, stderr)
	}
	at, release := acme.Hold("ingest-get")
	r := startChild(t, f.vars(), "batch", "import", out, "--yes", "--parallel", "1").signalAt(t, at, syscall.SIGINT)
	release()
	if !r.signaled || r.code != exitInterrupted || !strings.Contains(r.stderr, "hint: run backfill batch resume "+out+" to finish") {
		t.Fatalf("batch import after Ctrl-C: exit %d\n%s", r.code, r.stderr)
	}
	states, rollup, _ := statusOf(t, out)
	if states["acme"].State != batch.StateInterrupted || states["globex"].State != batch.StateReady || rollup.Pending["globex"] == "" {
		t.Fatalf("after Ctrl-C: acme %s (%s), globex %s, pending %v", states["acme"].State, states["acme"].Error, states["globex"].State, rollup.Pending)
	}
	if _, stderr, code := f.run(t, "batch", "resume", out, "-q"); code != 0 {
		t.Fatalf("batch resume: exit %d\n%s", code, stderr)
	}
	checkOrgAndLedger(t, acme, filepath.Join(out, "acme"), 12+22)
	checkOrgAndLedger(t, globex, filepath.Join(out, "globex"), 12+22)
}

// TestBatchNoSecretLeaks runs every batch command with debug logs against two orgs, with
// secrets in the environment (and an SF_ACCESS_TOKEN that is no org's): each customer
// logs in through its own alias only, and neither those secrets nor any org's access token
// reaches stdout, stderr or a file of the batch folder.
func TestBatchNoSecretLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	f := newBatchFleet(t, "acme", "globex")
	stray := "00D5g0000000009!STRAYtoken.SECRET_value"
	lc := &leakCheck{t: t, secrets: []string{secClientSecret, secPassword, secSecurityToken, secRefreshToken, stray}}
	vars := append(f.vars(), "SF_ACCESS_TOKEN="+stray, "SF_CLIENT_SECRET="+secClientSecret, "SF_PASSWORD="+secPassword,
		"SF_SECURITY_TOKEN="+secSecurityToken, "SF_REFRESH_TOKEN="+secRefreshToken)
	for _, srv := range f.orgs {
		lc.secrets = append(lc.secrets, srv.AccessToken())
	}
	dir := t.TempDir()
	export, _ := filepath.Abs(sampleExport)
	rb := filepath.Join(dir, "customers.csv")
	os.WriteFile(rb, []byte("customer,target_org,export\nacme,acme,"+export+"\nglobex,globex,"+export+"\n"), 0o600)
	out := filepath.Join(dir, "batch")
	for _, format := range []string{"json", "console"} {
		for _, args := range [][]string{
			{"batch", "plan", rb, "--out", out}, {"batch", "status", out, "--json"}, {"batch", "import", out, "--yes"},
			{"batch", "verify", out}, {"batch", "resume", out}, {"batch", "undo", out, "--only", "acme", "--yes"},
		} {
			c := startChild(t, vars, append(args, "-v", "--log-format", format)...)
			<-c.done
			name := strings.Join(args[:2], " ")
			if code := c.cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("%s: exit %d\n%s", name, code, c.stderr.String())
			}
			lc.assertClean(name+": stdout", c.stdout.String(), false)
			lc.assertClean(name+": stderr", c.stderr.String(), false)
			lc.assertFolder(name, out)
		}
		os.RemoveAll(out)
	}
	for alias, srv := range f.orgs {
		if n := len(srv.Records("nplms__Enrollment__c")); n != 12+22 && alias == "globex" || n != 12 && alias == "acme" {
			t.Errorf("%s holds %d records", alias, n)
		}
	}
}
