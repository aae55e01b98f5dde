package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// The soak's fault model (docs/RELIABILITY.md reports its figures).
const (
	soakRows        = 2_000_000
	soakFailureRate = 0.05 // share of REST and Bulk calls answered 503
	soakSeed        = 1    // seeds the 503 draws; BACKFILL_SOAK_SEED overrides
	soakExpireAfter = 1000 // calls per session before it expires
	soakRowError    = "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--"
	soakMaxReruns   = 3 // runs of one command that may end with exit 1 before the soak fails
)

// soakFailKey says whether the emulator fails the row with this external id: 1 in 100
// keys, chosen by a hash so the same keys fail in every run.
func soakFailKey(key string) bool {
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()%100 == 0
}

// TestSoak plans and imports a large synthetic export (2,000,000 rows; BACKFILL_SOAK_ROWS
// overrides; BACKFILL_SOAK_SEED draws other 503s; BACKFILL_SOAK_RATE and BACKFILL_SOAK_EXPIRE
// change the 503 share and the calls per session) against the emulator with random faults: 5% of REST and Bulk calls answer 503,
// every session expires after 1,000 calls (the JWT flow logs in again), 1% of the rows fail
// validation, and the import is killed with SIGKILL at its first Bulk upload and finished
// with backfill resume. The org must end with exactly the expected records and the ledger
// complete. It prints the figures docs/RELIABILITY.md quotes. Run it with make soak; it is
// skipped unless BACKFILL_SOAK=1.
//
// A command that ends with exit 1 (a transient fault outlasted the client's retries) is run
// again, as a user would, at most soakMaxReruns times; the figures count those reruns.
func TestSoak(t *testing.T) {
	if os.Getenv("BACKFILL_SOAK") != "1" {
		t.Skip("the soak runs only with BACKFILL_SOAK=1 (make soak)")
	}
	rows := soakRows
	if s := os.Getenv("BACKFILL_SOAK_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("BACKFILL_SOAK_ROWS=%q", s)
		}
		rows = n
	}
	seed := uint64(soakSeed)
	if s := os.Getenv("BACKFILL_SOAK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BACKFILL_SOAK_SEED=%q", s)
		}
		seed = n
	}
	rate, expire := soakFailureRate, soakExpireAfter
	if s := os.Getenv("BACKFILL_SOAK_RATE"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f >= 1 {
			t.Fatalf("BACKFILL_SOAK_RATE=%q", s)
		}
		rate = f
	}
	if s := os.Getenv("BACKFILL_SOAK_EXPIRE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("BACKFILL_SOAK_EXPIRE=%q", s)
		}
		expire = n
	}
	start := time.Now()
	export := soakExport(t, rows)
	st, err := os.Stat(export)
	if err != nil {
		t.Fatal(err)
	}
	genTime := time.Since(start)

	srv := sftest.NewServer(t)
	before := len(srv.RecordValues("nplms__Enrollment__c", "Id"))
	srv.SetFailureRate(rate, seed)
	srv.ExpireSessionsAfter(expire)
	srv.FailRowsWhere(soakFailKey, soakRowError)

	key, err := filepath.Abs("../../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"SF_CLIENT_ID=3MVG9backfill.demo.client.id",
		"SF_USERNAME=northpass.integration@demo.example.com", "SF_JWT_KEY_FILE=" + key}
	org := []string{"--instance-url", srv.URL, "--login-url", srv.URL, "-q"}
	tmp := t.TempDir()
	var fig soakFigures
	fig.rows, fig.exportMB, fig.seed, fig.rate, fig.expire = rows, float64(st.Size())/1e6, seed, rate, expire

	// 1. backfill plan.
	var dir string
	phase := time.Now()
	for attempt := 1; ; attempt++ {
		dir = filepath.Join(tmp, fmt.Sprintf("run%d", attempt))
		r := runSoakChild(t, env, tmp, append([]string{"plan", "--export", export, "--out", dir}, org...))
		fig.planRSS = max(fig.planRSS, r.rssMB)
		if r.code == 0 {
			break
		}
		if r.code != exitRuntime || attempt > soakMaxReruns {
			t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
		}
		t.Logf("plan: exit 1, run again: %s", lastLine(r.stderr))
		fig.reruns = append(fig.reruns, "plan: "+lastLine(r.stderr))
	}
	fig.planTime = time.Since(phase)

	// 2. backfill import --plan DIR, killed with SIGKILL at its first Bulk upload.
	phase = time.Now()
	upload, _ := srv.Hold("ingest-upload") // the first upload of any attempt
	for attempt := 1; ; attempt++ {
		r := runSoakChildAndKill(t, srv, env, append([]string{"import", "--plan", dir, "--yes"}, org...), upload)
		fig.importRSS = max(fig.importRSS, r.rssMB)
		if r.killed {
			fig.killNote = r.note
			break
		}
		if r.code != exitRuntime || attempt > soakMaxReruns {
			t.Fatalf("import ended on its own before its first upload: exit %d\n%s", r.code, r.stderr)
		}
		t.Logf("import: exit 1 before the kill, run again: %s", lastLine(r.stderr))
		fig.reruns = append(fig.reruns, "import: "+lastLine(r.stderr))
	}
	fig.importTime = time.Since(phase)
	journal, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if bytes.Contains(journal, []byte(`"finished"`)) {
		t.Fatal("the journal says finished after the kill")
	}

	// 3. backfill resume DIR until it finishes: exit 3, the failed rows.
	phase = time.Now()
	for attempt := 1; ; attempt++ {
		r := runSoakChild(t, env, tmp, append([]string{"resume", dir}, org...))
		fig.resumeRSS = max(fig.resumeRSS, r.rssMB)
		if r.code == exitRowsFailed {
			break
		}
		if r.code != exitRuntime || attempt > soakMaxReruns {
			t.Fatalf("resume: exit %d, want 3\n%s", r.code, r.stderr)
		}
		t.Logf("resume: exit 1, run again: %s", lastLine(r.stderr))
		fig.reruns = append(fig.reruns, "resume: "+lastLine(r.stderr))
	}
	fig.resumeTime = time.Since(phase)
	fig.wall = time.Since(start) - genTime
	fig.emulatorRSS = peakRSS("self")
	fig.faults = srv.Faults()
	fig.calls = srv.Calls()
	fig.totalCalls = srv.TotalCalls()
	journal, _ = os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	fig.abandoned = bytes.Count(journal, []byte(`"event":"abandoned"`))

	// The checks.
	srv.ClearFaults()
	srv.ExpireSessionsAfter(0)
	fig.ledger = checkSoak(t, srv, dir, before)
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum backfill.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	total := 0
	for name, n := range sum.Outcomes {
		total += n
		if fig.ledger[name] != n {
			t.Errorf("summary.json says %d %s, the ledger %d", n, name, fig.ledger[name])
		}
	}
	if sum.Rows != total || sum.Rows != fig.ledger["lines"] || sum.Rows != rows {
		t.Errorf("summary rows %d, sum of outcomes %d, ledger lines %d, export rows %d", sum.Rows, total, fig.ledger["lines"], rows)
	}
	fig.clientCalls = sum.APICalls
	fig.jobs = len(sum.Jobs)
	t.Log(fig.String())
}

// soakExport generates the export once per machine in the temp dir: rows enrollments all
// dated after the cutoff (so every row not rejected or duplicated is loaded), the same file
// BenchmarkImportScale uses.
func soakExport(t *testing.T, rows int) string {
	dir := filepath.Join(os.TempDir(), "backfill-bench-v2")
	path := filepath.Join(dir, fmt.Sprintf("scale-%d.csv", rows))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := csvdifftest.Config{Rows: rows, From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(90 * 24 * time.Hour)}
	w, err := os.Create(path + ".tmp")
	if err != nil {
		t.Fatal(err)
	}
	if err := csvdifftest.Export(w, cfg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	return path
}

// soakRun is how one child run ended.
type soakRun struct {
	code   int
	killed bool
	note   string
	stderr string
	rssMB  float64
}

// runSoakChild runs backfill with args and vars and returns its exit code and its own
// report of its peak RSS (BACKFILL_TEST_RSS_FILE, written by backfillMain).
func runSoakChild(t *testing.T, vars []string, tmp string, args []string) soakRun {
	t.Helper()
	rssFile := filepath.Join(tmp, "rss")
	os.Remove(rssFile)
	c := startChild(t, append(vars, "BACKFILL_TEST_RSS_FILE="+rssFile), args...)
	<-c.done
	r := soakRun{code: c.cmd.ProcessState.ExitCode(), stderr: c.stderr.String()}
	if raw, err := os.ReadFile(rssFile); err == nil {
		kb, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		r.rssMB = float64(kb) / 1024
	}
	return r
}

// runSoakChildAndKill starts backfill with args and vars and sends it SIGKILL once upload
// is closed (its first Bulk upload is held, see sftest's Hold). Just before the kill it
// reads the child's peak RSS from /proc.
func runSoakChildAndKill(t *testing.T, srv *sftest.Server, vars []string, args []string, upload <-chan struct{}) soakRun {
	t.Helper()
	c := startChild(t, vars, args...)
	var r soakRun
	select {
	case <-c.done:
		r.code, r.stderr = c.cmd.ProcessState.ExitCode(), c.stderr.String()
		return r
	case <-time.After(30 * time.Minute):
		t.Fatal("timed out waiting for the import's first upload")
	case <-upload:
	}
	r.rssMB = peakRSS(strconv.Itoa(c.cmd.Process.Pid))
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	r.stderr = c.stderr.String()
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the import ended before the kill: %v\n%s", c.cmd.ProcessState, r.stderr)
	}
	r.killed = true
	r.note = "SIGKILL at the first Bulk upload (ingest-upload call " + strconv.Itoa(srv.Calls()["ingest-upload"]) + ")"
	if last := lastJournalEvent(args); last != "" {
		r.note += ", the journal's last event: " + last
	}
	return r
}

// lastJournalEvent returns the last event of the journal of the import --plan DIR in args.
func lastJournalEvent(args []string) string {
	for i, a := range args {
		if a == "--plan" && i+1 < len(args) {
			b, _ := os.ReadFile(filepath.Join(args[i+1], "journal.jsonl"))
			var e struct{ Event string }
			json.Unmarshal([]byte(lastLine(string(b))), &e)
			return e.Event
		}
	}
	return ""
}

// peakRSS returns VmHWM of /proc/<pid>/status in MB (pid "self" for this process), 0 when
// it cannot be read.
func peakRSS(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// checkSoak checks the org and the ledger against the plan: every planned key is in the org
// once (created, with the Id the ledger names) unless the emulator was told to fail it, in
// which case it is absent and the ledger says failed with the injected error; every other
// row keeps its plan outcome; no row is left to_insert or unprocessed. It returns the
// ledger's outcome counts and, under "lines", its number of data rows.
func checkSoak(t *testing.T, srv *sftest.Server, dir string, before int) map[string]int {
	t.Helper()
	org := map[string]string{}
	for _, r := range srv.RecordValues("nplms__Enrollment__c", "nplms__External_Id__c", "Id") {
		k, _ := r[0].(string)
		if _, dup := org[k]; dup {
			t.Fatalf("external id %s is in the org twice", k)
		}
		org[k], _ = r[1].(string)
	}
	plan := map[int]string{} // line -> planned outcome
	readLedgerFile(t, dir, runfolder.PlanLedgerFile, func(line int, key, outcome, detail string) {
		plan[line] = outcome
	})
	counts := map[string]int{}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	readLedgerFile(t, dir, runfolder.LedgerFile, func(line int, key, outcome, detail string) {
		counts[outcome]++
		counts["lines"]++
		planned, ok := plan[line]
		if !ok {
			report("ledger line %d is not in the plan's ledger", line)
			return
		}
		delete(plan, line)
		if planned != "to_insert" && planned != "to_update" {
			if outcome != planned {
				report("line %d: planned %s, ended %s", line, planned, outcome)
			}
			return
		}
		switch {
		case soakFailKey(key):
			if outcome != "failed" || detail != soakRowError {
				report("line %d key %s was made to fail: ledger says %s %q", line, key, outcome, detail)
			}
			if _, in := org[key]; in {
				report("line %d key %s failed but is in the org", line, key)
			}
		case outcome != "created" && outcome != "updated":
			report("line %d key %s: %s %q, want created", line, key, outcome, detail)
		case org[key] != detail:
			report("line %d key %s: ledger Id %s, the org has %q", line, key, detail, org[key])
		}
	})
	if len(plan) > 0 {
		report("%d lines of the plan's ledger are missing from the final ledger", len(plan))
	}
	if n := len(org); n != before+counts["created"] {
		report("the org has %d Enrollment records, want %d (seed) + %d (created)", n, before, counts["created"])
	}
	if counts["to_insert"]+counts["to_update"]+counts["unprocessed"] > 0 {
		report("rows left unloaded: %v", counts)
	}
	if bad > 20 {
		t.Errorf("... %d problems in all", bad)
	}
	return counts
}

// readLedgerFile calls fn for each data row of a run folder's ledger file name.
func readLedgerFile(t *testing.T, dir, name string, fn func(line int, key, outcome, detail string)) {
	t.Helper()
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(name, func(e runfolder.Entry) error {
		fn(e.Line, e.Key, e.Outcome.String(), e.Detail)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// soakFigures are what the soak measured.
type soakFigures struct {
	rows                                   int
	seed                                   uint64
	rate                                   float64
	expire                                 int
	exportMB                               float64
	planTime, importTime, resumeTime, wall time.Duration
	planRSS, importRSS, resumeRSS          float64
	emulatorRSS                            float64
	faults                                 sftest.FaultCounts
	calls                                  map[string]int
	totalCalls                             int
	clientCalls                            map[string]int
	killNote                               string
	abandoned, jobs                        int
	reruns                                 []string
	ledger                                 map[string]int
}

func (f soakFigures) String() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("\nsoak figures")
	p("  rows               %d (%.0f MB export, every row dated after the cutoff)", f.rows, f.exportMB)
	p("  outcomes           %s", sortedCounts(f.ledger, "lines"))
	p("  faults injected    %d calls answered 503 (%.0f%% of calls; %s; seed %d)", f.faults.CallTotal(), 100*f.rate, sortedCounts(f.faults.Calls, ""), f.seed)
	p("                     %d sessions expired after %d calls each", f.faults.SessionsExpired, f.expire)
	p("                     %d row failures injected (1%% of keys)", f.faults.Rows)
	p("                     1 kill: %s; resume abandoned %d job(s)", f.killNote, f.abandoned)
	p("  logins             %d token calls (JWT bearer; the first of each process plus re-logins)", f.calls["token"])
	p("  API calls          %d served by the emulator, all processes (%s)", f.totalCalls, sortedCounts(f.calls, ""))
	p("                     plan + resume as summary.json counts them: %s", sortedCounts(f.clientCalls, ""))
	p("  Bulk jobs          %d in the final summary", f.jobs)
	p("  reruns after exit 1  %d %q", len(f.reruns), f.reruns)
	p("  wall time          %s (plan %s, import until the kill %s, resume %s)", f.wall.Round(time.Second),
		f.planTime.Round(time.Second), f.importTime.Round(time.Second), f.resumeTime.Round(time.Second))
	p("  peak RSS           plan %.0f MB, import %.0f MB (at the kill), resume %.0f MB", f.planRSS, f.importRSS, f.resumeRSS)
	p("                     emulator (the test process) %.0f MB", f.emulatorRSS)
	return b.String()
}

func sortedCounts(m map[string]int, skip string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != skip && m[k] != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
