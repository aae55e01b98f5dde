package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// TestSameJobAsBackfill: on a reference export with some bad rows, the naive program gives
// backfill clean's counts and writes the same rows to to_import.csv.
func TestSameJobAsBackfill(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	gen := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 20_000, Existing: 18_000, RejectPermille: 5}
	export, existing, err := csvdifftest.CachedFiles(gen, backfill.DefaultCutoff)
	if err != nil {
		t.Fatal(err)
	}

	got, err := run(export, existing, dir, backfill.DefaultCutoff)
	if err != nil {
		t.Fatal(err)
	}
	cfg := backfill.CleanOptions{Export: backfill.NewExportOptions(), Existing: existing, Out: filepath.Join(dir, "run")}
	cfg.Export.File = export
	sum, err := backfill.Clean(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := sum.Outcomes
	want := Counts{Rows: sum.Rows, Rejected: o["rejected"], BeforeCutoff: o["before_cutoff"], Duplicate: o["duplicate"],
		Exists: o["exists"], ToImport: o["to_insert"]}
	if got != want {
		t.Errorf("naive counts %+v\nbackfill's    %+v", got, want)
	}
	if got.Rejected == 0 || got.Duplicate == 0 || got.Exists == 0 {
		t.Errorf("the export has no rejected, duplicate or existing rows: %+v", got)
	}
	if a, b := lines(t, filepath.Join(dir, "to_import.csv")), lines(t, filepath.Join(dir, "run", "to_import.csv")); !slices.Equal(a, b) {
		t.Errorf("to_import.csv: %d rows, backfill's %d, or other rows", len(a), len(b))
	}
}

// lines returns a CSV file's lines, the header first, the rest sorted.
func lines(t *testing.T, path string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	slices.Sort(l[1:])
	return l
}
