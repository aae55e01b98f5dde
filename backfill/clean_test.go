package backfill_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/csvdiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var fixedNow = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }

// cleanCase is a `clean` run on the shared fixtures; golden files live in
// testdata/golden/<name>/.
type cleanCase struct {
	name   string
	cfg    func(*backfill.CleanOptions)
	status backfill.Status // how Clean's run ends (its files are written all the same)
}

var cleanCases = []cleanCase{
	{"clean-sample", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	}, backfill.StatusDone},
	{"clean-sample-two-date-columns", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
		c.Export.DateColumns = []string{"Enrollment Date", "Updated At"}
		c.Export.SkippedBeforeCutoff = true
	}, backfill.StatusDone},
	{"clean-excel-1252", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/export-excel-1252.csv", "../testdata/quirks/existing.csv"
		c.Export.Encoding = "windows-1252"
		c.Export.MaxRejected = percent(100) // the quirks are the point: 2 of its 10 rows cannot be used
	}, backfill.StatusDone},
	// The shapes real exports take (issue "never silently wrong"): each is read as it is
	// written, or said loudly.
	{"quirk-cr-only", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/cr-only.csv", "../testdata/quirks/existing-quirks.csv"
	}, backfill.StatusDone},
	{"quirk-day-first", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/day-first.csv", "../testdata/quirks/existing-quirks.csv"
	}, backfill.StatusDone},
	{"quirk-month-first", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/month-first.csv", "../testdata/quirks/existing-quirks.csv"
	}, backfill.StatusDone},
	{"quirk-ambiguous", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/ambiguous.csv", "../testdata/quirks/existing-quirks.csv"
	}, backfill.StatusDone},
	{"quirk-1252-without-encoding", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/export-excel-1252.csv", "../testdata/quirks/existing.csv"
	}, backfill.StatusTooManyRejected},
	{"quirk-case-sensitive-keys", func(c *backfill.CleanOptions) {
		c.Export.File, c.Existing = "../testdata/quirks/day-first.csv", "../testdata/quirks/existing-quirks.csv"
		c.CaseSensitiveKeys = true
	}, backfill.StatusDone},
}

// run runs the case into a fresh folder and returns its config, summary and stdout.
func (tc cleanCase) run(t *testing.T) (backfill.CleanOptions, *backfill.Summary, []byte) {
	t.Helper()
	cfg := cleanOptions(t)
	tc.cfg(&cfg)
	sum, err := backfill.Clean(t.Context(), cfg)
	if err != nil || sum.Status != tc.status {
		t.Fatalf("Clean: %v, status %q, want %q", err, sum.Status, tc.status)
	}
	return cfg, sum, []byte(printed(t, sum))
}

// cleanOptions are a clean at a fixed time into a fresh folder.
func cleanOptions(t *testing.T) backfill.CleanOptions {
	o := backfill.CleanOptions{Front: cli(t), Export: backfill.NewExportOptions(), Out: filepath.Join(t.TempDir(), "run")}
	o.Now = fixedNow
	return o
}

// TestCleanGolden runs `clean` on the shared fixtures and compares the whole run folder and
// the stdout summary with testdata/golden/<case>/.
func TestCleanGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range cleanCases {
		t.Run(tt.name, func(t *testing.T) {
			cfg, sum, stdout := tt.run(t)
			checkInvariant(t, cfg.Out, sum)
			got := map[string][]byte{"stdout.txt": stdout}
			for _, name := range []string{"summary.json", "ledger.csv", "to_import.csv", "skipped.csv", "rejects.csv"} {
				b, err := os.ReadFile(filepath.Join(cfg.Out, name))
				if err != nil {
					t.Fatal(err)
				}
				got[name] = b
			}
			// report.html is the report package's rendering of the summary written.
			page, err := os.ReadFile(filepath.Join(cfg.Out, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := report.Render(&want, sum, report.View{Words: report.Shell{}}); err != nil || !bytes.Equal(page, want.Bytes()) {
				t.Errorf("report.html is not the rendering of the summary (%v)", err)
			}
			for name, b := range got {
				b = placeholdRunFolder(b, cfg.Out)
				golden(t, filepath.Join("..", "testdata", "golden", tt.name, name), b)
			}
		})
	}
}

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./backfill -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

// checkInvariant asserts rows == sum(outcomes) == ledger lines, and the ledger counts match
// the summary outcome by outcome.
func checkInvariant(t *testing.T, dir string, sum *backfill.Summary) {
	t.Helper()
	total := 0
	for _, n := range sum.Outcomes {
		total += n
	}
	lines := ledgerLines(t, dir)
	byOutcome := map[string]int{}
	for _, e := range lines {
		byOutcome[e.Outcome.String()]++
	}
	if sum.Rows != total || len(lines) != total {
		t.Fatalf("rows %d, sum(outcomes) %d, ledger lines %d: want all equal", sum.Rows, total, len(lines))
	}
	for o, n := range sum.Outcomes {
		if byOutcome[o] != n {
			t.Errorf("outcome %s: summary %d, ledger %d", o, n, byOutcome[o])
		}
	}
}

func TestCleanUnusableExportLeavesNoRunFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	os.WriteFile(export, []byte("Email,Enrollment Date\nx@y.z,2025-12-01\n"), 0o600)
	cfg := cleanOptions(t)
	cfg.Export.File, cfg.Existing = export, "../backfill/demo/sample/existing.csv"
	_, err := backfill.Clean(t.Context(), cfg)
	var fe *csvdiff.FileError
	if !errors.As(err, &fe) || fe.File != export || fe.Line != 1 {
		t.Errorf("err = %v, want a FileError naming %s line 1", err, export)
	}
	if _, err := os.Stat(cfg.Out); !os.IsNotExist(err) {
		t.Errorf("run folder exists after an unusable export: %v", err)
	}
}

func TestCleanNeverOverwritesARunFolder(t *testing.T) {
	t.Parallel()
	cfg := cleanOptions(t)
	cfg.Export.File, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	if _, err := backfill.Clean(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(cfg.Out, "ledger.csv"))
	_, err := backfill.Clean(t.Context(), cfg)
	if !errors.Is(err, backfill.ErrOutExists) || !isA[*backfill.OptionError](err) {
		t.Fatalf("second run into the same folder: %v, want a usage error", err)
	}
	after, _ := os.ReadFile(filepath.Join(cfg.Out, "ledger.csv"))
	if !bytes.Equal(before, after) {
		t.Errorf("the existing run folder was modified")
	}
}

func TestRunFolderIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no file modes: a run folder takes the access list of the folder it is made in")
	}
	t.Parallel()
	cfg := cleanOptions(t)
	cfg.Export.File, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	if _, err := backfill.Clean(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(cfg.Out)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("run folder mode %v, want 0700", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(cfg.Out)
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func percent(p float64) *float64 { return &p }
