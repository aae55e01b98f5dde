package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// TestMain lets the test binary act as the backfill binary: benchmarks re-execute it with
// BACKFILL_CHILD=1 to measure a whole run's wall time and peak memory (RSS) in a
// process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("BACKFILL_CHILD") == "1" {
		var stdout bytes.Buffer
		err := run(context.Background(), os.Args[1:], &stdout, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "backfill:", err)
		}
		os.Exit(backfill.ExitCode(err))
	}
	os.Exit(m.Run())
}

// benchFiles generates the 1,000,000-row export (about 266 MB) and the 900,000 existing keys
// once per machine, in the temp dir.
func benchFiles(b *testing.B) (export, existing string) {
	cfg := csvdifftest.Config{Rows: 1000000, Existing: 900000}
	dir := filepath.Join(os.TempDir(), "backfill-bench-v2")
	export, existing = filepath.Join(dir, "export.csv"), filepath.Join(dir, "existing.csv")
	if _, err := os.Stat(existing); err == nil {
		return
	}
	os.MkdirAll(dir, 0o700)
	for _, f := range []struct {
		path string
		gen  func(*os.File) error
	}{
		{export, func(f *os.File) error { return csvdifftest.Export(f, cfg) }},
		{existing, func(f *os.File) error { return csvdifftest.Existing(f, cfg, backfill.DefaultCutoff) }},
	} {
		tmp := f.path + ".tmp"
		w, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.gen(w); err != nil {
			b.Fatal(err)
		}
		w.Close()
		os.Rename(tmp, f.path)
	}
	return
}

// BenchmarkClean1M runs `backfill clean` on the reference job: a 1,000,000-row
// export against 900,000 existing keys, in a child process, and reports throughput and the
// child's peak RSS.
func BenchmarkClean1M(b *testing.B) {
	export, existing := benchFiles(b)
	st, _ := os.Stat(export)
	var maxRSS int64
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "run")
		cmd := exec.Command(os.Args[0], "clean", "--export", export, "--existing", existing, "--out", out, "-q")
		cmd.Env = append(os.Environ(), "BACKFILL_CHILD=1")
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss
		}
		os.RemoveAll(out)
	}
	sec := wall.Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(float64(st.Size())/1e6/sec, "MB/s")
	b.ReportMetric(1e6/sec, "rows/s")
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
}
