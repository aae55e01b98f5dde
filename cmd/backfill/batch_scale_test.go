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

// The emulators of TestBatchScale run in a process of their own (this test binary started
// with BACKFILL_BATCH_ORGS=N), so the batch's peak memory is the batch's alone: the orgs
// hold millions of records by the end.
func init() {
	n, err := strconv.Atoi(os.Getenv("BACKFILL_BATCH_ORGS"))
	if err != nil || n <= 0 {
		return
	}
	os.Exit(serveOrgs(n))
}

// serveOrgs starts n demo orgs, each with an Organization Id of its own, prints "alias URL
// TOKEN ORGID" for each on stdout, and serves them until stdin closes; then it prints the
// API calls each org served as JSON and exits.
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

// TestBatchScale measures a batch of BACKFILL_BATCH_CUSTOMERS customers (default 40), each
// with an export of BACKFILL_BATCH_ROWS rows (default 100,000: about 27 MB) and an org of
// its own: batch plan, then batch import, each in a child process whose wall time and peak
// RSS are measured, and the API calls the orgs served. With BACKFILL_BATCH_FLAT=N it runs
// N customers first, for the memory's flatness in the number of customers. Skipped unless
// BACKFILL_BATCH_SCALE=1 (not part of make test; the figures are in README.md's "For
// support: many customers").
func TestBatchScale(t *testing.T) {
	if os.Getenv("BACKFILL_BATCH_SCALE") != "1" {
		t.Skip("measures a 40-customer batch only with BACKFILL_BATCH_SCALE=1")
	}
	customers, rows := envInt(t, "BACKFILL_BATCH_CUSTOMERS", 40), envInt(t, "BACKFILL_BATCH_ROWS", 100_000)
	var sizes []int
	if n := envInt(t, "BACKFILL_BATCH_FLAT", 0); n > 0 {
		sizes = append(sizes, n)
	}
	for _, n := range append(sizes, customers) {
		t.Run(fmt.Sprintf("%d-customers", n), func(t *testing.T) { measureBatch(t, n, rows) })
	}
}

// measureBatch plans and imports n customers of rows rows each and logs the figures.
func measureBatch(t *testing.T, n, rows int) {
	host := exec.Command(os.Args[0])
	host.Env = append(os.Environ(), "BACKFILL_BATCH_ORGS="+strconv.Itoa(n))
	in, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	host.Stderr = os.Stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Process.Kill()
	out := bufio.NewReader(outPipe)
	sf, err := batchtest.NewFleet(filepath.Join(t.TempDir(), "bin"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lines []string
	for {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("the emulators: %v", err)
		}
		f := strings.Fields(line)
		if len(f) == 1 && f[0] == "ready" {
			break
		}
		if err := sf.Add(f[0], f[1], f[2], f[3]); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s,%s,%s", f[0], f[0], batchExport(t, len(lines), rows)))
	}
	rb := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(rb, []byte("customer,target_org,export\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fleet := &batchFleet{sf: sf}
	batchDir := filepath.Join(dir, "batch")
	run := func(args ...string) (time.Duration, float64) {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(fleet.env(), "BACKFILL_CHILD_POLL=500ms")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		rss := filepath.Join(t.TempDir(), "rss")
		cmd.Env = append(cmd.Env, "BACKFILL_CHILD_RSS_FILE="+rss)
		if err := cmd.Run(); err != nil {
			t.Fatalf("backfill %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		wall := time.Since(start)
		raw, _ := os.ReadFile(rss)
		kb, _ := strconv.Atoi(string(raw))
		return wall, float64(kb) / 1024
	}
	planWall, planRSS := run("batch", "plan", rb, "--out", batchDir, "-q")
	importWall, importRSS := run("batch", "import", batchDir, "--yes", "-q")
	var r batch.Rollup
	b, err := os.ReadFile(filepath.Join(batchDir, batch.RollupJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	loaded, rollupCalls := 0, 0
	for _, row := range r.Customers {
		if row.State != batch.StateDone {
			t.Errorf("%s is %s: %s %s", row.Customer, row.State, row.Reason, row.Error)
		}
		loaded += row.Created + row.Updated
		rollupCalls += row.APICalls
	}
	in.Close()
	var served map[string]map[string]int
	if err := json.NewDecoder(out).Decode(&served); err != nil {
		t.Fatal(err)
	}
	host.Wait()
	total, most := 0, 0
	byKind := map[string]int{}
	for _, calls := range served {
		sum := 0
		for k, v := range calls {
			sum += v
			byKind[k] += v
		}
		total += sum
		most = max(most, sum)
	}
	t.Logf("%d customers x %s rows (%s loaded): plan %s, peak RSS %.0f MB; import %s, peak RSS %.0f MB; "+
		"API calls served %s (%s per org at most; the roll-up counts %s); by kind %v",
		n, backfill.Group(rows), backfill.Group(loaded), planWall.Round(100*time.Millisecond), planRSS,
		importWall.Round(100*time.Millisecond), importRSS, backfill.Group(total), backfill.Group(most), backfill.Group(rollupCalls), byKind)
}

// batchExport is customer i's export of rows rows, every one dated after the cutoff (the
// whole export is to load), generated once per machine in the temp dir.
func batchExport(t *testing.T, i, rows int) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "backfill-bench-v2")
	path := filepath.Join(dir, fmt.Sprintf("batch-%d-%d.csv", rows, i))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := csvdifftest.Config{Rows: rows, Seed: uint64(i + 1), From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(90 * 24 * time.Hour)}
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
