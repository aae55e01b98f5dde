package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// The job as SQL in DuckDB, in several formulations (forms), each run by one of two runners:
// duckdb-native/run.c (DuckDB's library called from C, as the DuckDB shell would run it)
// and duckdb.mjs (the same library through Node). Each form reads the export, drops the rows
// enrolled before the cutoff (and those without a key or a date, which backfill rejects),
// keeps the row with the latest "Updated At" per key (keys compared case-insensitively, as
// backfill does by default), anti-joins the existing keys (case-insensitively too), writes
// DIR/to_import.csv, and ends with a SELECT of the counts. Values are read as text and
// written back as they were. The dates of the exports are ISO 8601 in UTC
// ("2025-11-20T09:30:00Z"), so their text order is their time order: every form but the
// first compares them as text.

// duckJob is what the statements need to know of the files.
type duckJob struct {
	export, existing, dir, cutoff string
	// columns are the export's header names (read_csv's explicit columns), key, date and
	// updated the key, cutoff date and "Updated At" columns' names.
	columns            []string
	key, date, updated string
	existingColumns    []string
	existingKey        string
	bufferSize         int // read_csv's buffer_size in the tuned forms
}

// duckForm is one formulation of the job.
type duckForm struct {
	name, what string
	// counts is false for a form that writes to_import.csv and counts nothing else: it is
	// measured for reference but cannot be the anchor (backfill accounts for every row).
	counts bool
	// sql returns the statements; the COPY is statement copyAt, and the last one selects
	// rows, rejected, cand (candidate rows) and win (distinct candidate keys).
	sql func(j *duckJob) (statements []string, copyAt int)
}

func lit(s string) string   { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// sniffed reads a CSV as DuckDB guesses it, every column as text.
func sniffed(path string) string {
	return "read_csv(" + lit(path) + ", header = true, all_varchar = true)"
}

// tuned reads a CSV with its columns given (no sniffing) and a read buffer of
// j.bufferSize: DuckDB's default buffer (16 times max_line_size, 32 MB) costs this machine
// a page fault per 4 KB of the file, each buffer being new memory.
func (j *duckJob) tuned(path string, columns []string) string {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = lit(c) + ": 'VARCHAR'"
	}
	return fmt.Sprintf("read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {%s}, buffer_size = %d)",
		lit(path), strings.Join(cols, ", "), j.bufferSize)
}

// cls is 1 for a row backfill rejects (no key or no date), 2 for one before the cutoff and 0
// for a candidate, comparing the dates as text.
func (j *duckJob) cls() string {
	k, d := ident(j.key), ident(j.date)
	return fmt.Sprintf("CASE WHEN %s IS NULL OR %s IS NULL THEN 1 WHEN %s < %s THEN 2 ELSE 0 END", k, d, d, lit(j.cutoff))
}

// winners selects the job's rows from rel, which holds cls, k (the lower-cased key) and
// the export's columns, anti-joined with the existing keys read by existing.
func (j *duckJob) winners(rel, existing string) string {
	return fmt.Sprintf(`SELECT * EXCLUDE (cls, k) FROM (SELECT * FROM %s WHERE cls = 0
  QUALIFY row_number() OVER (PARTITION BY k ORDER BY %s DESC) = 1) w
  ANTI JOIN (SELECT lower(%s) AS k FROM %s) e ON w.k = e.k`, rel, ident(j.updated), ident(j.existingKey), existing)
}

func (j *duckJob) copyTo(query string) string {
	return fmt.Sprintf("COPY (%s) TO %s (HEADER)", query, lit(filepath.Join(j.dir, "to_import.csv")))
}

// countsOf counts from rel, which holds cls and k (NULL for the rows that are not
// candidates when candK).
func countsOf(rel string) string {
	return "SELECT count(*)::BIGINT AS rows, (count(*) FILTER (WHERE cls = 1))::BIGINT AS rejected, " +
		"(count(*) FILTER (WHERE cls = 0))::BIGINT AS cand, (count(DISTINCT k) FILTER (WHERE cls = 0))::BIGINT AS win FROM " + rel
}

const noOrder = "SET preserve_insertion_order = false"

// duckForms are the formulations tried; every one that counts gives the same counts and
// rows as backfill (make bench checks), and the fastest of those is the anchor.
var duckForms = []duckForm{
	{"two-scans-timestamptz", "two scans of the export, dates TRY_CAST to TIMESTAMPTZ, temp tables, QUALIFY and ANTI JOIN (the first anchor)", true,
		func(j *duckJob) ([]string, int) {
			enrolled := "TRY_CAST(" + ident(j.date) + " AS TIMESTAMPTZ)"
			usable := ident(j.key) + " IS NOT NULL AND " + enrolled + " IS NOT NULL"
			return []string{
				fmt.Sprintf("CREATE TEMP TABLE t AS SELECT CASE WHEN NOT (%s) THEN 1 ELSE 0 END AS cls, lower(%s) AS k, * FROM %s WHERE NOT (%s) OR %s >= TIMESTAMPTZ %s",
					usable, ident(j.key), sniffed(j.export), usable, enrolled, lit(j.cutoff)),
				"CREATE TEMP TABLE n AS SELECT count(*)::BIGINT AS rows FROM " + sniffed(j.export),
				j.copyTo(j.winners("t", sniffed(j.existing))),
				"SELECT (SELECT rows FROM n) AS rows, c.rejected, c.cand, c.win FROM (" + countsOf("t") + ") c",
			}, 2
		}},
	{"classify-once", "one scan (sniffed) that classifies each row and keeps only the candidates' values in a temp table, dates as ISO 8601 text, QUALIFY row_number() and ANTI JOIN", true,
		func(j *duckJob) ([]string, int) {
			return []string{noOrder,
				fmt.Sprintf("CREATE TEMP TABLE t AS SELECT %s AS cls, CASE WHEN cls = 0 THEN lower(%s) END AS k, CASE WHEN cls = 0 THEN COLUMNS(*) END FROM %s",
					j.cls(), ident(j.key), sniffed(j.export)),
				j.copyTo(j.winners("t", sniffed(j.existing))),
				countsOf("t"),
			}, 2
		}},
	{"copy-then-count", "one COPY straight from the CSV (sniffed), dates as ISO 8601 text, QUALIFY row_number() and ANTI JOIN, then a scan of two columns for the counts", true,
		func(j *duckJob) ([]string, int) {
			rel := func(from string) string {
				return fmt.Sprintf("(SELECT %s AS cls, lower(%s) AS k, * FROM %s)", j.cls(), ident(j.key), from)
			}
			return []string{noOrder, j.copyTo(j.winners(rel(sniffed(j.export)), sniffed(j.existing))), countsOf(rel(sniffed(j.export)))}, 1
		}},
	{"classify-once-tuned", "classify-once with the columns given to read_csv (no sniffing) and 2 MB read buffers", true,
		func(j *duckJob) ([]string, int) {
			return []string{noOrder,
				fmt.Sprintf("CREATE TEMP TABLE t AS SELECT %s AS cls, CASE WHEN cls = 0 THEN lower(%s) END AS k, CASE WHEN cls = 0 THEN COLUMNS(*) END FROM %s",
					j.cls(), ident(j.key), j.tuned(j.export, j.columns)),
				j.copyTo(j.winners("t", j.tuned(j.existing, j.existingColumns))),
				countsOf("t"),
			}, 2
		}},
	{"copy-then-count-tuned", "copy-then-count with the columns given to read_csv (no sniffing) and 2 MB read buffers", true,
		func(j *duckJob) ([]string, int) {
			rel := func() string {
				return fmt.Sprintf("(SELECT %s AS cls, lower(%s) AS k, * FROM %s)", j.cls(), ident(j.key), j.tuned(j.export, j.columns))
			}
			return []string{noOrder, j.copyTo(j.winners(rel(), j.tuned(j.existing, j.existingColumns))), countsOf(rel())}, 1
		}},
	{"copy-only-tuned", "the COPY of copy-then-count-tuned alone: to_import.csv without the counts of the other rows (not the whole job: measured for reference, never the anchor)", false,
		func(j *duckJob) ([]string, int) {
			rel := fmt.Sprintf("(SELECT %s AS cls, lower(%s) AS k, * FROM %s)", j.cls(), ident(j.key), j.tuned(j.export, j.columns))
			return []string{noOrder, j.copyTo(j.winners(rel, j.tuned(j.existing, j.existingColumns))), "SELECT 1 AS done"}, 1
		}},
}

// duckRunner runs a form's statements: argv returns the command.
type duckRunner struct {
	name, what string
	argv       func(statements []string) []string
}

// duckOutput is what both runners print.
type duckOutput struct {
	DuckDB     string            `json:"duckdb"`
	Changed    []int             `json:"changed"`
	Last       map[string]string `json:"last"`
	InProcessS float64           `json:"in_process_s"`
	LoadS      float64           `json:"load_s"`
}

// counts turns a form's output into the job's counts.
func (o *duckOutput) counts(f *duckForm, copyAt int) (Counts, error) {
	if copyAt >= len(o.Changed) {
		return Counts{}, fmt.Errorf("%d statements ran, the COPY is statement %d", len(o.Changed), copyAt+1)
	}
	c := Counts{ToImport: o.Changed[copyAt]}
	if !f.counts {
		return c, nil
	}
	var n [4]int
	for i, name := range []string{"rows", "rejected", "cand", "win"} {
		v, err := strconv.Atoi(o.Last[name])
		if err != nil {
			return c, fmt.Errorf("no %s in the counts %v", name, o.Last)
		}
		n[i] = v
	}
	rows, rejected, cand, win := n[0], n[1], n[2], n[3]
	c.Rows, c.Rejected, c.BeforeCutoff, c.Duplicate, c.Exists = rows, rejected, rows-rejected-cand, cand-win, win-c.ToImport
	return c, nil
}

// buildNative builds duckdb-native/run.c with cc against the libduckdb of the installed
// Node bindings, into bin; it returns the program, or why it cannot be had.
func buildNative(root, bin string) (string, string) {
	if runtime.GOOS == "windows" {
		return "", "the C runner is built on Linux and macOS only"
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		return "", "no C compiler (cc) to build duckdb-native/run.c"
	}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" {
		return "", "no DuckDB Node bindings for " + runtime.GOARCH
	}
	lib := filepath.Join(root, "scripts", "bench", "node_modules", "@duckdb", "node-bindings-"+runtime.GOOS+"-"+arch)
	so := "libduckdb.so"
	if runtime.GOOS == "darwin" {
		so = "libduckdb.dylib"
	}
	if _, err := os.Stat(filepath.Join(lib, so)); err != nil {
		return "", "no " + so + " in the DuckDB Node bindings for " + runtime.GOOS + "/" + runtime.GOARCH
	}
	out := filepath.Join(bin, "duckdb-native")
	cmd := exec.Command(cc, "-O2", "-o", out, filepath.Join(root, "scripts", "bench", "duckdb-native", "run.c"),
		filepath.Join(lib, so), "-Wl,-rpath,"+lib)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("cc duckdb-native/run.c: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return out, ""
}

// newDuckJob reads what the statements need from the files' headers.
func newDuckJob(export, existing, cutoff string, header, existingHeader []string, key, date, updated string) *duckJob {
	return &duckJob{export: export, existing: existing, cutoff: cutoff, columns: header, key: key, date: date, updated: updated,
		existingColumns: existingHeader, existingKey: "External Id", bufferSize: 2 << 20}
}

func parseDuckOutput(stdout []byte) (*duckOutput, error) {
	var o duckOutput
	if err := json.Unmarshal(stdout, &o); err != nil || o.DuckDB == "" {
		return nil, fmt.Errorf("no figures in its output %q", stdout)
	}
	return &o, nil
}
