package csvdifftest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// generate returns cfg's export and existing records.
func generate(t *testing.T, cfg csvdifftest.Config) (export, existing []byte) {
	t.Helper()
	var e, x bytes.Buffer
	if err := csvdifftest.Export(&e, cfg); err != nil {
		t.Fatal(err)
	}
	if err := csvdifftest.Existing(&x, cfg, csvdifftest.ReferenceCutoff); err != nil {
		t.Fatal(err)
	}
	return e.Bytes(), x.Bytes()
}

// within fails the test unless got (a share in percent) is want ± tol.
func within(t *testing.T, what string, n, of int, want, tol float64) {
	t.Helper()
	got := 100 * float64(n) / float64(of)
	if got < want-tol || got > want+tol {
		t.Errorf("%s: %.2f%% (%d of %d), want %.1f%% ± %.1f", what, got, n, of, want, tol)
	}
}

// TestReferenceShape checks the shares the Reference profile promises on 50,000 rows.
func TestReferenceShape(t *testing.T) {
	t.Parallel()
	const rows = 50_000
	cfg := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: rows, Existing: 45_000}
	export, existing := generate(t, cfg)

	if per := float64(len(export)) / rows; per < 263 || per > 269 {
		t.Errorf("%.1f bytes a row, want about 266 (1,000,000 rows about 266 MB)", per)
	}
	lines := strings.Split(strings.TrimSuffix(string(export), "\n"), "\n")
	r := csv.NewReader(bytes.NewReader(export))
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(header, csvdifftest.ReferenceHeader) || len(header) != 12 {
		t.Fatalf("header %q, want the 12 columns %q", header, csvdifftest.ReferenceHeader)
	}
	col := func(name string) int { return slices.Index(header, name) }
	key, name, course, enrolled, started, completed, updated := col("External Id"), col("Learner Name"), col("Course Name"),
		col("Enrollment Date"), col("Started At"), col("Completion Date"), col("Updated At")

	type seen struct {
		lines   map[string]bool
		updated string // the latest "Updated At" so far
	}
	keys := map[string]*seen{}
	var after, quotedCourse, nameComma, nameQuote, nonASCII, copies, repeats, earlier, emptyStarted, emptyCompleted int
	afterKeys := map[string]bool{}
	beforeKeys := map[string]bool{}
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			if i != rows {
				t.Fatalf("%d rows, want %d", i, rows)
			}
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		line := lines[i+1]
		for _, c := range []int{enrolled, started, completed, updated} {
			v := rec[c]
			if v == "" {
				continue
			}
			if _, err := time.Parse(time.RFC3339, v); err != nil || !strings.HasSuffix(v, "Z") {
				t.Fatalf("row %d: %s %q is not an ISO 8601 UTC time", i+1, header[c], v)
			}
		}
		if rec[enrolled] == "" || rec[updated] == "" || rec[key] == "" {
			t.Fatalf("row %d: empty key, enrollment date or updated at: %q", i+1, line)
		}
		if rec[started] == "" {
			emptyStarted++
		}
		if rec[completed] == "" {
			emptyCompleted++
		}
		if strings.ContainsAny(rec[course], `,"`) {
			quotedCourse++
		}
		switch n := rec[name]; {
		case strings.Contains(n, ","):
			nameComma++
		case strings.Contains(n, `"`):
			nameQuote++
		}
		if !isASCII(rec[name]) {
			nonASCII++
		}
		if rec[enrolled] >= csvdifftest.ReferenceCutoff.Format(time.RFC3339) {
			after++
			afterKeys[rec[key]] = true
		} else {
			beforeKeys[rec[key]] = true
		}
		s := keys[rec[key]]
		switch {
		case s == nil:
			keys[rec[key]] = &seen{lines: map[string]bool{line: true}, updated: rec[updated]}
			continue
		case s.lines[line]:
			copies++
		case rec[updated] > s.updated:
			repeats++
		default:
			earlier++
		}
		s.lines[line] = true
		s.updated = max(s.updated, rec[updated])
	}
	within(t, "rows on or after the cutoff", after, rows, 15, 1)
	within(t, "quoted course names", quotedCourse, rows, 30, 2)
	within(t, "learner names with a comma", nameComma, rows, 6, 1)
	within(t, "learner names with a double quote", nameQuote, rows, 4, 1)
	within(t, "non-ASCII learner names", nonASCII, rows, 57, 2)
	within(t, "exact duplicate rows", copies, rows, 1, 0.2)
	within(t, "rows repeating a key with a later Updated At", repeats, rows, 0.5, 0.15)
	within(t, "empty Started At", emptyStarted, rows, 25, 3)
	within(t, "empty Completion Date", emptyCompleted, rows, 60, 3)
	if earlier > 0 {
		t.Errorf("%d rows repeat a key with an Updated At no later than before", earlier)
	}

	// The existing records: cfg.Existing distinct keys, 40% of the keys dated on or after
	// the cutoff, the rest earlier keys and, once those run out, keys the export lacks.
	xr := csv.NewReader(bytes.NewReader(existing))
	xrecs, err := xr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := xrecs[0]; !slices.Equal(got, []string{"Id", "External Id"}) {
		t.Fatalf("existing header %q", got)
	}
	held := map[string]bool{}
	var heldAfter, heldBefore, foreign int
	for _, rec := range xrecs[1:] {
		k := rec[1]
		if held[k] {
			t.Fatalf("existing key %s twice", k)
		}
		held[k] = true
		switch {
		case afterKeys[k]:
			heldAfter++
		case beforeKeys[k]:
			heldBefore++
		default:
			foreign++
		}
	}
	if len(held) != cfg.Existing {
		t.Errorf("%d existing keys, want %d", len(held), cfg.Existing)
	}
	within(t, "keys on or after the cutoff that exist", heldAfter, len(afterKeys), 40, 2)
	if foreign > 0 && heldBefore != len(beforeKeys) {
		t.Errorf("%d existing keys are not in the export while %d of its %d earlier keys are left out", foreign, len(beforeKeys)-heldBefore, len(beforeKeys))
	}
	t.Logf("%d keys after the cutoff (%d exist), %d before (%d exist), %d existing keys not in the export",
		len(afterKeys), heldAfter, len(beforeKeys), heldBefore, foreign)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func sum(t *testing.T, cfg csvdifftest.Config) string {
	export, existing := generate(t, cfg)
	return fmt.Sprintf("%x", sha256.Sum256(append(export, existing...)))
}

// TestDeterministic: the same Config gives the same bytes, another seed others; the
// Simple profile (the default) still gives the bytes the tests and golden files were
// written against.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ref := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 5000, Existing: 4000}
	if a, b := sum(t, ref), sum(t, ref); a != b {
		t.Errorf("two runs of the same Config differ: %s, %s", a, b)
	}
	other := ref
	other.Seed = 7
	if sum(t, ref) == sum(t, other) {
		t.Error("seed 7 gives the same bytes as seed 0")
	}
	const simple = "d410c6b6d26c33cdf7e3219fec37853458ac5832257219ec2191078204ba5b49"
	if got := sum(t, csvdifftest.Config{Rows: 5000, Existing: 4000}); got != simple {
		t.Errorf("the Simple profile's bytes changed: sha256 %s, want %s", got, simple)
	}
}

// TestReferenceClean: backfill clean takes the Reference export as it is: the key, date and
// Updated At columns detected, no rejects, and the outcomes the profile's shares give.
func TestReferenceClean(t *testing.T) {
	t.Parallel()
	cfg := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 20_000, Existing: 18_000}
	sum, _ := clean(t, cfg)
	if sum.KeyColumn != "External Id" || !slices.Equal(sum.DateColumns, []string{"Enrollment Date"}) || sum.UpdatedColumn != "Updated At" {
		t.Errorf("columns: key %q, dates %q, updated %q", sum.KeyColumn, sum.DateColumns, sum.UpdatedColumn)
	}
	o := sum.Outcomes
	if sum.Rows != cfg.Rows || o["rejected"] != 0 {
		t.Errorf("%d rows, %d rejected, want %d and none: %v", sum.Rows, o["rejected"], cfg.Rows, sum.Reasons)
	}
	within(t, "before_cutoff", o["before_cutoff"], cfg.Rows, 85, 1.5)
	within(t, "duplicate", o["duplicate"], cfg.Rows-o["before_cutoff"], 1.5, 1)
	within(t, "exists", o["exists"], o["exists"]+o["to_insert"], 40, 4)
}

// TestCachedFiles: the files are written once and then reused.
func TestCachedFiles(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	cfg := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 300, Existing: 200}
	export, existing, err := csvdifftest.CachedFiles(cfg, csvdifftest.ReferenceCutoff)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := generate(t, cfg)
	if got, _ := os.ReadFile(export); !bytes.Equal(got, want) {
		t.Error("export.csv is not the export")
	}
	os.WriteFile(existing, []byte("kept\n"), 0o600)
	if _, existing, err = csvdifftest.CachedFiles(cfg, csvdifftest.ReferenceCutoff); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(existing); string(got) != "kept\n" {
		t.Error("a second call wrote existing.csv again")
	}
	if dir := filepath.Dir(export); filepath.Dir(dir) != os.TempDir() || !strings.Contains(filepath.Base(dir), "reference") {
		t.Errorf("cache dir %s, want a folder named for the profile in %s", dir, os.TempDir())
	}
}

// TestReshaped: the reshaped exports (every field quoted, none, the columns in another
// order with "Enrolled At" as the cutoff column) hold the same rows as the default shape:
// clean gives each the same outcomes, and every field is quoted, or none, as asked.
func TestReshaped(t *testing.T) {
	base := csvdifftest.Config{Profile: csvdifftest.Reference, Rows: 10_000, Existing: 9_000}
	counts := func(cfg csvdifftest.Config) (map[string]int, []byte) {
		sum, export := clean(t, cfg)
		return sum.Outcomes, export
	}
	want, _ := counts(base)
	reversed := slices.Clone(csvdifftest.ReferenceHeader)
	slices.Reverse(reversed)
	reversed[slices.Index(reversed, "Enrollment Date")] = "Enrolled At"
	for _, tc := range []struct {
		name  string
		q     csvdifftest.Quoting
		cols  []string
		check func(line string) bool
	}{
		{"quote-all", csvdifftest.QuoteAll, nil, func(l string) bool { return strings.HasPrefix(l, `"`) && strings.HasSuffix(l, `"`) }},
		{"quote-none", csvdifftest.QuoteNone, nil, func(l string) bool { return !strings.Contains(l, `"`) }},
		{"reversed", csvdifftest.QuoteNeeded, reversed, func(l string) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Quoting, cfg.Columns = tc.q, tc.cols
			got, export := counts(cfg)
			if !maps.Equal(got, want) {
				t.Errorf("outcomes %v, want those of the default shape %v", got, want)
			}
			lines := strings.Split(strings.TrimSuffix(string(export), "\n"), "\n")
			wantHeader := strings.Join(csvdifftest.ReferenceHeader, ",")
			if tc.cols != nil {
				wantHeader = strings.Join(tc.cols, ",")
			}
			if lines[0] != wantHeader {
				t.Errorf("header %q, want %q", lines[0], wantHeader)
			}
			for i, l := range lines[1:] {
				if !tc.check(l) {
					t.Fatalf("line %d is not quoted as asked: %s", i+2, l)
				}
			}
			if csvdifftest.CacheDir(cfg) == csvdifftest.CacheDir(base) {
				t.Error("the reshaped export has the default one's cache folder")
			}
		})
	}
}

// clean runs backfill clean on cfg's files and returns the summary and the export.
func clean(t *testing.T, cfg csvdifftest.Config) (*backfill.Summary, []byte) {
	t.Helper()
	export, existing := generate(t, cfg)
	dir := t.TempDir()
	bc := backfill.CleanOptions{Export: backfill.NewExportOptions()}
	bc.Export.File, bc.Existing, bc.Out = filepath.Join(dir, "export.csv"), filepath.Join(dir, "existing.csv"), filepath.Join(dir, "run")
	os.WriteFile(bc.Export.File, export, 0o600)
	os.WriteFile(bc.Existing, existing, 0o600)
	sum, err := backfill.Clean(t.Context(), bc)
	if err != nil {
		t.Fatal(err)
	}
	return sum, export
}
