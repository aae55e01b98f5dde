package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// writePeakRSS writes this process's peak resident set (VmHWM of /proc/self/status, in
// kB) to path. The child measures itself: the rusage of a child started by a large parent
// can report the parent's pages, so it is not used.
func writePeakRSS(path string) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB"))), 0o600)
		}
	}
}

// childPeakRSS runs cmd (backfill, see backfillBin) with BACKFILL_TEST_RSS_FILE set and
// returns its peak RSS in MB.
func childPeakRSS(b *testing.B, cmd *exec.Cmd) float64 {
	rss := filepath.Join(b.TempDir(), "rss")
	cmd.Env = append(cmd.Env, "BACKFILL_TEST_RSS_FILE="+rss)
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(rss)
	if err != nil {
		b.Fatalf("the child did not report its memory: %v", err)
	}
	kb, err := strconv.Atoi(string(raw))
	if err != nil {
		b.Fatal(err)
	}
	return float64(kb) / 1024
}

// benchFiles returns the reference job's files (csvdifftest.ReferenceJob: a 1,000,000-row
// export, about 266 MB, against 900,000 existing keys), generated once per machine in the
// temp dir; make bench measures DuckDB and a plain Go program on the same files.
func benchFiles(b *testing.B) (export, existing string) {
	export, existing, err := csvdifftest.CachedFiles(csvdifftest.ReferenceJob, backfill.DefaultCutoff)
	if err != nil {
		b.Fatal(err)
	}
	return export, existing
}

// BenchmarkClean1M runs `backfill clean` on the reference job: a 1,000,000-row
// export against 900,000 existing keys, in a child process, and reports throughput and the
// child's peak RSS.
func BenchmarkClean1M(b *testing.B) {
	export, existing := benchFiles(b)
	st, _ := os.Stat(export)
	var maxRSS float64
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "run")
		cmd := exec.Command(backfillBin(b), "clean", "--export", export, "--existing", existing, "--out", out, "-q")
		cmd.Env = os.Environ()
		cmd.Stderr = os.Stderr
		start := time.Now()
		maxRSS = max(maxRSS, childPeakRSS(b, cmd))
		wall += time.Since(start)
		os.RemoveAll(out)
	}
	sec := wall.Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(float64(st.Size())/1e6/sec, "MB/s")
	b.ReportMetric(1e6/sec, "rows/s")
	b.ReportMetric(maxRSS, "peak-RSS-MB")
}

// scaleExport generates an export of rows enrollments all dated after the cutoff, so every
// row is planned and loaded (the worst case for import), once per machine.
func scaleExport(b *testing.B, rows int) string {
	dir := filepath.Join(os.TempDir(), "backfill-bench-v2")
	path := filepath.Join(dir, fmt.Sprintf("scale-%d.csv", rows))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	os.MkdirAll(dir, 0o700)
	cfg := csvdifftest.Config{Rows: rows, From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(90 * 24 * time.Hour)}
	w, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if err := csvdifftest.Export(w, cfg); err != nil {
		b.Fatal(err)
	}
	w.Close()
	os.Rename(path+".tmp", path)
	return path
}

// BenchmarkImportScale plans and imports exports of growing size against the emulator (run
// in this process, so the child's figures are backfill's alone): wall time, the child's
// peak RSS and the API calls it made. Memory should stay flat as rows grow.
func BenchmarkImportScale(b *testing.B) {
	for _, rows := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			export := scaleExport(b, rows)
			var maxRSS float64
			var wall time.Duration
			calls := 0
			for i := 0; i < b.N; i++ {
				srv := sftest.NewServer(b)
				out := filepath.Join(b.TempDir(), "run")
				cmd := exec.Command(backfillBin(b), "import", "--export", export, "--instance-url", srv.URL, "--out", out, "--yes", "-q")
				cmd.Env = append(os.Environ(), "SF_ACCESS_TOKEN="+srv.AccessToken())
				cmd.Stderr = os.Stderr
				start := time.Now()
				maxRSS = max(maxRSS, childPeakRSS(b, cmd))
				wall += time.Since(start)
				var sum backfill.Summary
				raw, _ := os.ReadFile(filepath.Join(out, "summary.json"))
				json.Unmarshal(raw, &sum)
				if sum.Outcomes["created"] == 0 {
					b.Fatalf("nothing created: %v", sum.Outcomes)
				}
				calls = 0
				for _, n := range sum.APICalls {
					calls += n
				}
				srv.Close()
				os.RemoveAll(out)
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "s/run")
			b.ReportMetric(maxRSS, "peak-RSS-MB")
			b.ReportMetric(float64(calls), "api-calls")
		})
	}
}
