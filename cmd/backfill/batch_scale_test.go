package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/batch"
	"github.com/northpass-tools/backfill/backfill/batch/batchtest"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// orgsMain is the test binary as backfill-test-orgs N (testscript.Main puts it on PATH,
// see TestMain): the emulated orgs of BenchmarkBatch in a process of their own, so the
// batch's peak memory is the batch's alone (the orgs hold millions of records by the end).
// It starts N demo orgs, each with an Organization Id of its own, prints "alias URL TOKEN
// ORGID" for each on stdout, then "ready", and serves them until stdin closes; then it
// prints the API calls each org served as JSON and exits.
func orgsMain() {
	n, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "usage: backfill-test-orgs N")
		os.Exit(2)
	}
	os.Exit(serveOrgs(n))
}

func serveOrgs(n int) int {
	signal.Ignore(os.Interrupt)
	var srvs []*sftest.Server
	for i := range n {
		seed := sftest.DemoSeed()
		seed.Organization.ID = fmt.Sprintf("00D5g0000%06dEAA", i+1)
		seed.Organization.Name = fmt.Sprintf("Customer %02d Learning", i+1)
		srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(seed))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		srvs = append(srvs, srv)
		fmt.Printf("c%02d %s %s %s\n", i+1, srv.URL, srv.AccessToken(), seed.Organization.ID)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	calls := map[string]map[string]int{}
	for i, srv := range srvs {
		calls[fmt.Sprintf("c%02d", i+1)] = srv.Calls()
	}
	json.NewEncoder(os.Stdout).Encode(calls)
	return 0
}

// BenchmarkBatch measures batches of 10 and 40 customers (the figure), each with
// an export of 100,000 rows (about 27 MB, every row to load) and an org of its own: batch
// plan, then batch import (default --parallel), each in a process of its own whose wall time
// and peak RSS are reported, with the API calls the orgs served and those the roll-up
// counts. Peak memory should be bounded by --parallel, not grow with the customers: compare
// the two. make bench-batch runs it once; the figures
// are in README.md's "For support: many customers".
func BenchmarkBatch(b *testing.B) {
	for _, n := range []int{10, 40} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			var m batchFigures
			for range b.N {
				m = measureBatch(b, n, 100_000)
			}
			b.ReportMetric(m.planWall.Seconds(), "plan-s")
			b.ReportMetric(m.planRSS, "plan-peak-RSS-MB")
			b.ReportMetric(m.importWall.Seconds(), "import-s")
			b.ReportMetric(m.importRSS, "import-peak-RSS-MB")
			b.ReportMetric(float64(m.calls), "api-calls")
			b.ReportMetric(float64(m.mostCalls), "api-calls-per-org-max")
			b.ReportMetric(float64(m.rollupCalls), "api-calls-rollup")
			b.Logf("%d customers: %s rows loaded; API calls by kind %v", n, backfill.Group(m.loaded), m.byKind)
		})
	}
}

// batchFigures is what measureBatch measured.
type batchFigures struct {
	planWall, importWall time.Duration
	planRSS, importRSS   float64 // MB
	loaded               int     // records created or updated, over all customers
	calls, mostCalls     int     // API calls served, in all and by the busiest org
	rollupCalls          int     // API calls the roll-up counts (the customers' summaries)
	byKind               map[string]int
}

// measureBatch plans and imports n customers of rows rows each, checks that every one is
// done with every row loaded, and returns the figures.
func measureBatch(b *testing.B, n, rows int) batchFigures {
	host := exec.Command(filepath.Join(filepath.Dir(backfillBin(b)), "backfill-test-orgs"), strconv.Itoa(n))
	in, err := host.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := host.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	host.Stderr = os.Stderr
	if err := host.Start(); err != nil {
		b.Fatal(err)
	}
	defer host.Process.Kill()
	out := bufio.NewReader(outPipe)
	sf, err := batchtest.NewFleet(filepath.Join(b.TempDir(), "bin"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var lines []string
	for {
		line, err := out.ReadString('\n')
		if err != nil {
			b.Fatalf("the emulators: %v", err)
		}
		f := strings.Fields(line)
		if len(f) == 1 && f[0] == "ready" {
			break
		}
		if err := sf.Add(f[0], f[1], f[2], f[3]); err != nil {
			b.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s,%s,%s", f[0], f[0], batchExport(b, len(lines), rows)))
	}
	rb := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(rb, []byte("customer,target_org,export\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	fleet := &batchFleet{sf: sf}
	batchDir := filepath.Join(dir, "batch")
	var m batchFigures
	run := func(args ...string) (time.Duration, float64) {
		cmd := exec.Command(backfillBin(b), args...)
		cmd.Env = append(os.Environ(), append(fleet.vars(), "BACKFILL_TEST_POLL=500ms")...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		rss := childPeakRSS(b, cmd)
		return time.Since(start), rss
	}
	m.planWall, m.planRSS = run("batch", "plan", rb, "--out", batchDir, "-q")
	m.importWall, m.importRSS = run("batch", "import", batchDir, "--yes", "-q")
	var r batch.Rollup
	raw, err := os.ReadFile(filepath.Join(batchDir, batch.RollupJSON))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.Fatal(err)
	}
	for _, row := range r.Customers {
		if loaded := row.Created + row.Updated; row.State != batch.StateDone || row.Rows != rows || loaded == 0 ||
			loaded != row.ToInsert+row.ToUpdate || row.Failed+row.Unprocessed != 0 {
			b.Errorf("%s is %s: %d rows, %d of %d planned loaded, %d failed, %d unprocessed: %s %s", row.Customer, row.State,
				row.Rows, loaded, row.ToInsert+row.ToUpdate, row.Failed, row.Unprocessed, row.Reason, row.Error)
		}
		m.loaded += row.Created + row.Updated
		m.rollupCalls += row.APICalls
	}
	in.Close()
	var served map[string]map[string]int
	if err := json.NewDecoder(out).Decode(&served); err != nil {
		b.Fatal(err)
	}
	host.Wait()
	m.byKind = map[string]int{}
	for _, calls := range served {
		sum := 0
		for k, v := range calls {
			sum += v
			m.byKind[k] += v
		}
		m.calls += sum
		m.mostCalls = max(m.mostCalls, sum)
	}
	return m
}

// batchExport is customer i's export of rows rows, every one dated after the cutoff (the
// whole export is to load), generated once per machine in the temp dir.
func batchExport(b *testing.B, i, rows int) string {
	dir := filepath.Join(os.TempDir(), "backfill-bench-v2")
	path := filepath.Join(dir, fmt.Sprintf("batch-%d-%d.csv", rows, i))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	cfg := csvdifftest.Config{Rows: rows, Seed: uint64(i + 1), From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(90 * 24 * time.Hour)}
	w, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if err := csvdifftest.Export(w, cfg); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}
