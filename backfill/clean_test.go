package backfill_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/csvdiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var fixedNow = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }

// cleanCase is a `clean` run on the shared fixtures; golden files live in
// testdata/golden/<name>/.
type cleanCase struct {
	name string
	cfg  func(*backfill.Config)
	code int // the exit code Clean's error maps to (its files are written all the same)
}

var cleanCases = []cleanCase{
	{"clean-sample", func(c *backfill.Config) {
		c.Export, c.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	}, 0},
	{"clean-sample-two-date-columns", func(c *backfill.Config) {
		c.Export, c.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
		c.DateColumns = []string{"Enrollment Date", "Updated At"}
		c.SkippedBeforeCutoff = true
	}, 0},
	{"clean-excel-1252", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/export-excel-1252.csv", "../testdata/quirks/existing.csv"
		c.Encoding = "windows-1252"
		c.MaxRejected = percent(100) // the quirks are the point: 2 of its 10 rows cannot be used
	}, 0},
	// The shapes real exports take (issue "never silently wrong"): each is read as it is
	// written, or said loudly.
	{"quirk-cr-only", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/cr-only.csv", "../testdata/quirks/existing-quirks.csv"
	}, 0},
	{"quirk-day-first", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/day-first.csv", "../testdata/quirks/existing-quirks.csv"
	}, 0},
	{"quirk-month-first", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/month-first.csv", "../testdata/quirks/existing-quirks.csv"
	}, 0},
	{"quirk-ambiguous", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/ambiguous.csv", "../testdata/quirks/existing-quirks.csv"
	}, 0},
	{"quirk-1252-without-encoding", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/export-excel-1252.csv", "../testdata/quirks/existing.csv"
	}, backfill.ExitRowsFailed},
	{"quirk-case-sensitive-keys", func(c *backfill.Config) {
		c.Export, c.Existing = "../testdata/quirks/day-first.csv", "../testdata/quirks/existing-quirks.csv"
		c.CaseSensitiveKeys = true
	}, 0},
}

// run runs the case into a fresh folder and returns its config, summary and stdout.
func (tc cleanCase) run(t *testing.T) (backfill.Config, *backfill.Summary, []byte) {
	t.Helper()
	cfg := backfill.DefaultConfig()
	cfg.Now = fixedNow
	cfg.Logger = zaptest.NewLogger(t)
	cfg.Out = filepath.Join(t.TempDir(), "run")
	tc.cfg(&cfg)
	sum, err := backfill.Clean(t.Context(), wire(cfg))
	if code := backfill.ExitCode(err); code != tc.code || sum == nil {
		t.Fatalf("Clean: %v (exit %d), want exit %d", err, code, tc.code)
	}
	return cfg, sum, []byte(printed(t, sum))
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
			if err := report.Render(&want, sum); err != nil || !bytes.Equal(page, want.Bytes()) {
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
	cfg := backfill.DefaultConfig()
	cfg.Export, cfg.Existing = export, "../backfill/demo/sample/existing.csv"
	cfg.Out = filepath.Join(dir, "run")
	_, err := backfill.Clean(t.Context(), wire(cfg))
	if code := backfill.ExitCode(err); code != backfill.ExitUsage {
		t.Fatalf("exit code %d (%v), want %d", code, err, backfill.ExitUsage)
	}
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
	cfg := backfill.DefaultConfig()
	cfg.Export, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	cfg.Out = filepath.Join(t.TempDir(), "run")
	if _, err := backfill.Clean(t.Context(), wire(cfg)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(cfg.Out, "ledger.csv"))
	_, err := backfill.Clean(t.Context(), wire(cfg))
	if backfill.ExitCode(err) != backfill.ExitUsage || !strings.Contains(err.Error(), "already exists") {
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
	cfg := backfill.DefaultConfig()
	cfg.Export, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	cfg.Out = filepath.Join(t.TempDir(), "run")
	if _, err := backfill.Clean(t.Context(), wire(cfg)); err != nil {
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
