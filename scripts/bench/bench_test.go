package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

func TestReplaceBetween(t *testing.T) {
	const body = "| table |\n"
	for _, tt := range []struct {
		name, text, want string
	}{
		{"empty", "# Perf\n" + beginMarker + "\n" + endMarker + "\nafter\n", "# Perf\n" + beginMarker + "\n" + body + endMarker + "\nafter\n"},
		{"old table", beginMarker + "\n| old |\n\nold words\n" + endMarker + "\n", beginMarker + "\n" + body + endMarker + "\n"},
		{"no markers", "# Perf\n", ""},
		{"no end", beginMarker + "\n", ""},
		{"out of order", endMarker + "\n" + beginMarker + "\n", ""},
		{"twice", beginMarker + "\n" + endMarker + "\n" + beginMarker + "\n" + endMarker + "\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceBetween(tt.text, body)
			if tt.want == "" {
				if err == nil {
					t.Errorf("replaceBetween(%q) = %q, want an error", tt.text, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("replaceBetween(%q)\n got %q, %v\nwant %q", tt.text, got, err, tt.want)
			}
			if again, _ := replaceBetween(got, body); again != got {
				t.Errorf("a second rewrite changed it: %q", again)
			}
		})
	}
}

func sampleReport() *Report {
	return &Report{
		Date:    "2026-11-30",
		Commit:  "a46cb1c",
		Machine: Machine{CPU: "AMD EPYC", Cores: 2, RAMGB: 23.5, Kernel: "6.18.44", OS: "linux/amd64", Go: "go1.26.8", DuckDB: "v1.5.6", DuckDBNodeAPI: "1.5.6-r.1", Node: "v20.20.2"},
		Job: Job{Profile: "reference", Rows: 1000000, ExportBytes: 265864423, ExistingKeys: 900000, Cutoff: "2025-11-20T00:00:00Z",
			Counts: Counts{Rows: 1000000, BeforeCutoff: 849450, Duplicate: 2361, Exists: 59232, ToImport: 88957}},
		Method: "median of 5 runs",
		Results: []Result{
			{Tool: backfillTool, What: "`backfill clean` (this project)", WallS: 0.512, PeakRSSMB: 46.4, MBPerS: 519.3, WallVsDuckDB: 0.47, RSSVsDuckDB: 0.12},
			{Tool: duckdbTool, What: "DuckDB", WallS: 1.09, PeakRSSMB: 399, MBPerS: 243.9, WallVsDuckDB: 1, RSSVsDuckDB: 1},
			{Tool: naiveTool, What: "plain Go", WallS: 1.151, PeakRSSMB: 295.2, MBPerS: 231, WallVsDuckDB: 1.06, RSSVsDuckDB: 0.74},
		},
		DuckDBForms: []DuckDBForm{{Form: "copy-only-tuned", Runner: "native", WallS: 1.0}, {Form: "copy-then-count-tuned", Runner: "native", Counts: true, WallS: 1.09},
			{Form: "copy-then-count-tuned", Runner: "node", Counts: true, WallS: 1.5}},
		DuckDBAnchor: "copy-then-count-tuned run by the native runner: the fastest",
		Variants: []Variant{{Name: "quote-all", What: "every field quoted", ExportBytes: 301e6, BackfillS: 0.6, DuckDBS: 1.2, WallVsDuckDB: 0.5,
			BackfillRSS: 47.2, BackfillRunsS: []float64{0.6, 0.6, 0.6}}},
	}
}

func TestReadmeTable(t *testing.T) {
	rep := sampleReport()
	got := readmeTable(rep)
	contains(t, "the table", got,
		"| the reference job | wall time | peak RSS | MB/s | time ÷ DuckDB's | memory ÷ DuckDB's |\n|---|---:|---:|---:|---:|---:|\n",
		"| `backfill clean` (this project) | 0.51 s | 46 MB | 519 | 0.47× | 0.12× |\n",
		"| DuckDB v1.5.6, the same job as SQL at its fastest (`copy-then-count-tuned`, its C library called from C, `scripts/bench/duckdb-native`) | 1.09 s | 399 MB | 244 | 1.00× | 1.00× |\n",
		"| plain Go | 1.15 s | 295 MB | 231 | 1.06× | 0.74× |\n",
		"| `quote-all`: every field quoted (301 MB) | 0.60 s | 1.20 s | 0.50× | 47 MB |\n")
	_, prose, _ := strings.Cut(got, "\n\n")
	_, prose, _ = strings.Cut(prose, "\n\n") // after the variants' table
	for _, line := range strings.Split(prose, "\n") {
		if len([]rune(line)) > 100 {
			t.Errorf("a line of %d characters: %q", len([]rune(line)), line)
		}
	}
	contains(t, "the words under the table", strings.Join(strings.Fields(prose), " "),
		"1,000,000 rows (265.9 MB, the reference profile of `csvdiff/csvdifftest`) against 900,000 existing keys, cutoff 2025-11-20",
		"88,957 rows to import",
		"Median of 5 runs. Measured 2026-11-30 (backfill at a46cb1c) on AMD EPYC, 2 cores, 23.5 GB RAM, Linux 6.18.44, go1.26.8",
		"DuckDB's anchor: copy-then-count-tuned run by the native runner: the fastest (every form",
		"each run 3 times by backfill and by the anchor's form and runner, alternating")
	rep.DuckDBForms = rep.DuckDBForms[2:] // the Node runner's only
	contains(t, "with Node's anchor, the table", readmeTable(rep), "(`copy-then-count-tuned`, through `@duckdb/node-api` 1.5.6-r.1, Node v20.20.2)")
	rep.Variants = nil

	rep.Results[1] = Result{Tool: duckdbTool, What: "DuckDB, the same job as SQL", Skipped: "npm not found"}
	for i := range rep.Results {
		rep.Results[i].WallVsDuckDB, rep.Results[i].RSSVsDuckDB = 0, 0
	}
	rep.Results[2].PeakRSSMB = 0
	contains(t, "without DuckDB, the table", readmeTable(rep),
		"| DuckDB, the same job as SQL | skipped: npm not found |  |  |  |  |\n",
		"| `backfill clean` (this project) | 0.51 s | 46 MB | 519 | – | – |\n",
		"| plain Go | 1.15 s | – | 231 | – | – |\n")
	if tt := terminalTable(rep); !strings.Contains(tt, "backfill clean  0.512 s") {
		t.Errorf("terminal table:\n%s", tt)
	}
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}

// TestReadmeUpToDate: the README's table is the one docs/bench.json gives (make bench
// rewrites both; nobody copies figures by hand).
func TestReadmeUpToDate(t *testing.T) {
	raw, err := os.ReadFile("../../docs/bench.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := replaceBetween(string(readme), readmeTable(&rep))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(readme) {
		t.Error("README.md's bench table is not the one docs/bench.json gives: run go run ./scripts/bench readme")
	}
}

func TestHelpers(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 900000: "900,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := median([]float64{3, 1, 2, 5, 4}); got != 3 {
		t.Errorf("median of 1..5 = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median of 1..4 = %v", got)
	}
	if v, ok := statusField([]byte("Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t   46412 kB\n"), "VmHWM:"); !ok || v != 46412 {
		t.Errorf("statusField = %d, %v", v, ok)
	}
	if _, ok := statusField([]byte("Name:\tx\nState:\tZ (zombie)\n"), "VmHWM:"); ok {
		t.Error("statusField found VmHWM in a zombie's status")
	}
	f := filepath.Join(t.TempDir(), "time")
	os.WriteFile(f, []byte("Command exited with non-zero status 3\n51234\n"), 0o600)
	if kb, err := readTimeOutput(f); err != nil || kb != 51234 {
		t.Errorf("readTimeOutput = %d, %v", kb, err)
	}
}

// TestMeter runs a small command both ways the peak RSS is measured.
func TestMeter(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the meters run their commands through sh and GNU time; make bench runs on Linux")
	}
	dir := t.TempDir()
	meters := []*rssMeter{newRSSMeter(dir)}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		meters = append(meters, &rssMeter{dir: dir, method: "/proc/PID/status VmHWM, polled"})
	}
	for _, m := range meters {
		wall, kb, out, err := m.run([]string{"sh", "-c", "echo hi; sleep 0.05"})
		if err != nil || string(out) != "hi\n" || wall <= 0 {
			t.Errorf("%s: run = %v, %d kB, %q, %v", m.method, wall, kb, out, err)
		}
		if m.method != "none (no GNU time, no /proc)" && kb <= 0 {
			t.Errorf("%s: no peak RSS", m.method)
		}
		if _, _, _, err := m.run([]string{"sh", "-c", "echo broken >&2; exit 3"}); err == nil || !strings.Contains(err.Error(), "broken") {
			t.Errorf("%s: a failing command gave %v, want its stderr", m.method, err)
		}
	}
}

// TestDuckDBForms runs every DuckDB formulation with every runner that can run here (the
// native one needs cc, both need @duckdb/node-api, which make bench installs) on small
// exports and checks that each does backfill clean's job: on an export with bad dates,
// which only the TIMESTAMPTZ form rejects as backfill does, and on exports whose dates are
// all ISO 8601 UTC (the reference shape, and every field quoted), where the forms that
// compare text must agree too. Node, which takes seconds to start, runs one form only
// when the native runner runs them all.
func TestDuckDBForms(t *testing.T) {
	if testing.Short() {
		t.Skip("DuckDB's forms take a minute")
	}
	if _, err := os.Stat("node_modules/@duckdb/node-api/package.json"); err != nil {
		t.Skip("@duckdb/node-api is not installed (make bench installs it)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	var m Machine
	runners, skipped := duckRunners("../..", t.TempDir(), &m)
	if skipped != "" {
		t.Skip(skipped)
	}
	t.Setenv("TMPDIR", t.TempDir())
	for _, c := range []struct {
		reject int
		q      csvdifftest.Quoting
		forms  []string
	}{{5, 0, []string{"two-scans-timestamptz"}}, {0, 0, nil}, {0, csvdifftest.QuoteAll, nil}} {
		// CacheDir does not tell reject rates apart: the seed does.
		gen := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 5000, Existing: 4500, RejectPermille: c.reject, Seed: uint64(c.reject), Quoting: c.q}
		export, existing, err := csvdifftest.CachedFiles(gen, backfill.DefaultCutoff)
		if err != nil {
			t.Fatal(err)
		}
		job, err := duckJobFor(export, existing, "2025-11-20T00:00:00Z", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		cfg := backfill.CleanOptions{Export: backfill.NewExportOptions(), Existing: existing, Out: filepath.Join(dir, "run")}
		cfg.Export.File = export
		if _, err := backfill.Clean(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
		want, err := backfillCounts(dir, nil)
		if err != nil || (want.Rejected > 0) != (c.reject > 0) {
			t.Fatalf("backfill's counts %+v, %v", want, err)
		}
		wantRows, _ := sortedRows(filepath.Join(dir, "run", "to_import.csv"))
		for i := range duckForms {
			f := &duckForms[i]
			if c.forms != nil && !slices.Contains(c.forms, f.name) {
				continue
			}
			for _, r := range runners {
				if r.name == "node" && len(runners) > 1 && f.name != "copy-then-count-tuned" {
					continue // the runners run the same statements: Node's once is enough
				}
				t.Run(fmt.Sprintf("%s-%s-reject%d-q%d", f.name, r.name, c.reject, c.q), func(t *testing.T) {
					tl := duckTool(job, f, r)
					out := t.TempDir()
					stdout, err := exec.Command(tl.argv(out)[0], tl.argv(out)[1:]...).Output()
					if err != nil {
						t.Fatal(err)
					}
					got, err := tl.counts(out, stdout)
					if err != nil {
						t.Fatal(err)
					}
					if f.counts && got != want || !f.counts && got.ToImport != want.ToImport {
						t.Errorf("DuckDB's counts %+v\nbackfill's      %+v", got, want)
					}
					if rows, _ := sortedRows(filepath.Join(out, "to_import.csv")); rows != wantRows {
						t.Error("DuckDB's to_import.csv holds other rows than backfill's")
					}
				})
			}
		}
	}
}

func TestTreeVersion(t *testing.T) {
	if got := treeVersion("../.."); got == "" {
		t.Skip("not in a git checkout")
	}
	if got := treeVersion(t.TempDir()); got != "" {
		t.Errorf("treeVersion outside git = %q", got)
	}
}

// TestProbeRunner: a DuckDB runner that cannot start, or prints no figures, is skipped
// with a reason (make bench goes on without it); TestDuckDBForms probes the real ones.
func TestProbeRunner(t *testing.T) {
	for _, argv := range [][]string{{filepath.Join(t.TempDir(), "no-such-runner")}, {"go", "version"}} {
		r := &duckRunner{name: "test", argv: func([]string) []string { return argv }}
		if why := probeRunner(r); why == "" {
			t.Errorf("probeRunner(%v) passed it", argv)
		}
	}
}
