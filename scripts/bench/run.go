package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

type runOptions struct {
	cfg   csvdifftest.Config
	runs  int
	out   string // the figures file, relative to the repository's root
	goCmd string
}

// Counts are one run's figures; every tool must give the same.
type Counts struct {
	Rows         int `json:"rows"`
	Rejected     int `json:"rejected"`
	BeforeCutoff int `json:"before_cutoff"`
	Duplicate    int `json:"duplicate"`
	Exists       int `json:"exists"`
	ToImport     int `json:"to_import"`
}

// Report is the figures file (docs/bench.json).
type Report struct {
	Date string `json:"date"` // UTC
	// Commit is the commit backfill was built from, "-dirty" when the tree had other
	// uncommitted changes than bench's own output.
	Commit  string  `json:"commit,omitempty"`
	Machine Machine `json:"machine"`
	Job     Job     `json:"job"`
	Method  string  `json:"method"`
	// LoadBefore is the load average (1, 5, 15 minutes) when the runs began: other work on
	// the machine skews the figures.
	LoadBefore string   `json:"load_before,omitempty"`
	Results    []Result `json:"results"`
	// DuckDBForms are the formulations of the job in DuckDB that were measured, the anchor
	// (the DuckDB row of Results) first; DuckDBAnchor says why it is the anchor.
	DuckDBForms  []DuckDBForm `json:"duckdb_forms,omitempty"`
	DuckDBAnchor string       `json:"duckdb_anchor,omitempty"`
}

// DuckDBForm is one formulation of the job in DuckDB (duckdb.mjs FORM) and its figures.
type DuckDBForm struct {
	Form      string    `json:"form"`
	What      string    `json:"what"`
	WallS     float64   `json:"wall_s"`
	PeakRSSMB float64   `json:"peak_rss_mb,omitempty"`
	RunsS     []float64 `json:"runs_s"`
}

// duckdbForms are the formulations duckdb.mjs knows, all tried: each gives the same counts
// and rows as backfill, and the fastest is the anchor.
var duckdbForms = []struct{ form, what string }{
	{"two-scans-timestamptz", "two scans of the export, dates TRY_CAST to TIMESTAMPTZ, temp tables, QUALIFY and ANTI JOIN (the first anchor)"},
	{"load-once", "one scan into a table of every row (preserve_insertion_order=false), dates compared as ISO 8601 text, QUALIFY row_number() and ANTI JOIN from it"},
	{"classify-once", "one scan that classifies each row and keeps only the candidates' values (preserve_insertion_order=false), dates as ISO 8601 text, QUALIFY row_number() and ANTI JOIN"},
	{"copy-then-count", "one COPY straight from the CSV with the cutoff as ISO 8601 text, QUALIFY row_number() and ANTI JOIN (preserve_insertion_order=false), and a second scan of two columns for the counts"},
}

// Job is what was measured.
type Job struct {
	Profile      string `json:"profile"`
	Rows         int    `json:"rows"`
	ExportBytes  int64  `json:"export_bytes"`
	ExistingKeys int    `json:"existing_keys"`
	Seed         uint64 `json:"seed"`
	Cutoff       string `json:"cutoff"`
	Counts       Counts `json:"counts"`
}

// Result is one tool's figures: medians of the runs, and the runs.
type Result struct {
	Tool    string  `json:"tool"`
	What    string  `json:"what"`
	Skipped string  `json:"skipped,omitempty"` // why the tool did not run
	WallS   float64 `json:"wall_s,omitempty"`
	// PeakRSSMB is in MiB; 0 when it could not be measured.
	PeakRSSMB    float64   `json:"peak_rss_mb,omitempty"`
	MBPerS       float64   `json:"mb_per_s,omitempty"` // export bytes (10^6) per second of wall time
	WallVsDuckDB float64   `json:"wall_vs_duckdb,omitempty"`
	RSSVsDuckDB  float64   `json:"rss_vs_duckdb,omitempty"`
	RunsS        []float64 `json:"runs_s,omitempty"`
	RunsRSSMB    []float64 `json:"runs_peak_rss_mb,omitempty"`
}

// tool is one way of doing the job.
type tool struct {
	Result
	argv func(dir string) []string // the command that writes its output into dir
	// counts reads the run's counts from dir and its stdout; importFile is the path of its
	// to_import.csv.
	counts     func(dir string, stdout []byte) (Counts, error)
	importFile func(dir string) string
	// floor marks a measure of the machine (scripts/bench/floor), not a way of doing the
	// job: its output is checked against the export's size and record count instead.
	floor bool
}

const (
	backfillTool = "backfill clean"
	duckdbTool   = "DuckDB"
	naiveTool    = "naive Go"
)

func run(o runOptions) error {
	if o.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cutoff := csvdifftest.ReferenceCutoff
	start := time.Now()
	export, existing, err := csvdifftest.CachedFiles(o.cfg, cutoff)
	if err != nil {
		return err
	}
	st, err := os.Stat(export)
	if err != nil {
		return err
	}
	fmt.Printf("bench: %s rows (%.1f MB) against %s existing keys in %s (%.1fs)\n",
		thousands(o.cfg.Rows), float64(st.Size())/1e6, thousands(o.cfg.Existing), filepath.Dir(export), time.Since(start).Seconds())

	tmp, err := os.MkdirTemp("", "backfill-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bin")
	for _, b := range [][2]string{{"backfill", "./cmd/backfill"}, {"naive", "./scripts/bench/naive"}, {"floor", "./scripts/bench/floor"}} {
		cmd := exec.Command(o.goCmd, "build", "-o", filepath.Join(bin, b[0]), b[1])
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b[1], err)
		}
	}
	since := cutoff.Format(time.RFC3339)
	m := machine(o.goCmd)
	fromStdout := func(_ string, stdout []byte) (Counts, error) {
		var v struct{ Counts *Counts }
		if err := json.Unmarshal(stdout, &v); err != nil || v.Counts == nil {
			return Counts{}, fmt.Errorf("no counts in its output %q", stdout)
		}
		return *v.Counts, nil
	}
	inDir := func(dir string) string { return filepath.Join(dir, "to_import.csv") }
	tools := []*tool{{
		Result: Result{Tool: backfillTool, What: "`backfill clean` (this project; writes the whole run folder)"},
		argv: func(dir string) []string {
			return []string{filepath.Join(bin, "backfill"), "clean", "--export", export, "--existing", existing,
				"--since", since, "--out", filepath.Join(dir, "run"), "-q"}
		},
		counts:     backfillCounts,
		importFile: func(dir string) string { return filepath.Join(dir, "run", "to_import.csv") },
	}, {
		Result: Result{Tool: naiveTool, What: "plain Go, `encoding/csv` + a map"},
		argv: func(dir string) []string {
			return []string{filepath.Join(bin, "naive"), "-export", export, "-existing", existing, "-out", dir, "-since", since}
		},
		counts:     fromStdout,
		importFile: inDir,
	}}

	duckCounts := func(dir string, stdout []byte) (Counts, error) {
		var v struct{ DuckDB string }
		json.Unmarshal(stdout, &v)
		m.DuckDB = v.DuckDB
		return fromStdout(dir, stdout)
	}
	var forms []*tool
	for _, f := range duckdbForms {
		forms = append(forms, &tool{
			Result: Result{Tool: "DuckDB " + f.form, What: f.what},
			argv: func(dir string) []string {
				return []string{"node", filepath.Join(root, "scripts", "bench", "duckdb.mjs"), export, existing, dir, since, f.form}
			},
			counts:     duckCounts,
			importFile: inDir,
		})
	}
	for _, fl := range []struct{ what, args string }{
		{"floor: reading the export once (1 MB reads, nothing else)", "read"},
		{"floor: one tokenizing pass (every record and field found), 1 core", "tokenize -cores 1"},
		{"floor: one tokenizing pass, 2 cores (the file cut at a line break in its middle)", "tokenize -cores 2"},
	} {
		tools = append(tools, &tool{
			Result: Result{Tool: "floor " + fl.args, What: fl.what},
			argv: func(string) []string {
				return append(append([]string{filepath.Join(bin, "floor")}, strings.Fields(fl.args)...), export)
			},
			counts: func(_ string, stdout []byte) (Counts, error) {
				var v struct{ Bytes, Records int64 }
				if err := json.Unmarshal(stdout, &v); err != nil || v.Bytes < st.Size() {
					return Counts{}, fmt.Errorf("it read %d bytes of %d: %s", v.Bytes, st.Size(), stdout)
				}
				if strings.HasPrefix(fl.args, "tokenize") && v.Records != int64(o.cfg.Rows)+1 {
					return Counts{}, fmt.Errorf("it found %d records, want %d with the header", v.Records, o.cfg.Rows+1)
				}
				return Counts{}, nil
			},
			floor: true,
		})
	}
	nodeAPI, skipped := installDuckDB(root)
	m.DuckDBNodeAPI = nodeAPI
	if skipped != "" {
		fmt.Println("bench: DuckDB skipped:", skipped)
		tools = slices.Insert(tools, 1, &tool{Result: Result{Tool: duckdbTool, What: "DuckDB, the same job as SQL", Skipped: skipped}})
	} else {
		m.Node = commandOutput("node", "--version")
		tools = slices.Insert(tools, 1, forms...)
	}
	var active []*tool
	for _, t := range tools {
		if t.Skipped == "" {
			active = append(active, t)
		}
	}

	load := ""
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(raw))[:3], " ")
		fmt.Println("bench: load average before the runs:", load)
	}
	meter := newRSSMeter(tmp)
	fmt.Printf("bench: one warm-up run and %d measured runs of each, alternating; peak RSS from %s\n", o.runs, meter.method)
	want, err := measure(active, o.runs, meter, tmp)
	if err != nil {
		return err
	}

	for _, t := range active {
		t.WallS = round3(median(t.RunsS))
		t.PeakRSSMB = round1(median(t.RunsRSSMB))
		t.MBPerS = round1(float64(st.Size()) / 1e6 / t.WallS)
	}
	var duckForms []DuckDBForm
	anchorWhy := ""
	if skipped == "" {
		// The anchor is the fastest form; the others are kept in duckdb_forms only.
		slices.SortStableFunc(forms, func(a, b *tool) int { return cmp.Compare(a.WallS, b.WallS) })
		for _, f := range forms {
			duckForms = append(duckForms, DuckDBForm{Form: strings.TrimPrefix(f.Tool, "DuckDB "), What: f.What, WallS: f.WallS, PeakRSSMB: f.PeakRSSMB, RunsS: f.RunsS})
		}
		anchorWhy = fmt.Sprintf("%s: the fastest of the %d formulations tried (median %.3f s; next %s at %.3f s); every one gave the same counts and the same rows as backfill",
			duckForms[0].Form, len(forms), duckForms[0].WallS, duckForms[1].Form, duckForms[1].WallS)
		best := forms[0]
		best.What = "DuckDB, the same job as SQL (" + duckForms[0].Form + ", the fastest of " + strconv.Itoa(len(forms)) + " formulations)"
		best.Tool = duckdbTool
		kept := tools[:0]
		for _, t := range tools {
			if !strings.HasPrefix(t.Tool, "DuckDB ") {
				kept = append(kept, t)
			}
		}
		tools = kept
		active = slices.DeleteFunc(active, func(t *tool) bool { return strings.HasPrefix(t.Tool, "DuckDB ") })
	}
	duck := tools[1]
	if duck.Skipped == "" {
		for _, t := range active {
			t.WallVsDuckDB = round2(t.WallS / duck.WallS)
			if t.PeakRSSMB > 0 && duck.PeakRSSMB > 0 {
				t.RSSVsDuckDB = round2(t.PeakRSSMB / duck.PeakRSSMB)
			}
		}
	}
	rep := Report{
		Date:    time.Now().UTC().Format(time.DateOnly),
		Commit:  treeVersion(root, o.out, "README.md"),
		Machine: m,
		Job: Job{Profile: o.cfg.Profile.String(), Rows: o.cfg.Rows, ExportBytes: st.Size(), ExistingKeys: o.cfg.Existing,
			Seed: o.cfg.Seed, Cutoff: since, Counts: want},
		LoadBefore: load, DuckDBForms: duckForms, DuckDBAnchor: anchorWhy,
		Method: fmt.Sprintf("median of %d whole-process runs of each tool after one warm-up run, the tools alternating run by run, "+
			"page cache warm; wall time from start to exit (DuckDB's includes starting Node); peak RSS (MiB) from %s; MB/s = export bytes / 10^6 / wall time", o.runs, meter.method),
	}
	for _, t := range tools {
		rep.Results = append(rep.Results, t.Result)
	}
	fmt.Println()
	fmt.Print(terminalTable(&rep))
	if o.out == "" {
		return nil
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("bench: wrote", o.out)
	return nil
}

// measure runs each tool once to warm up and then runs times, alternating, and appends each
// measured run's wall time and peak RSS to its Result. It returns the counts the tools agree
// on: the warm-up runs check that every tool gives the counts and the rows of the first.
func measure(tools []*tool, runs int, meter *rssMeter, tmp string) (Counts, error) {
	var want Counts
	var wantRows [32]byte
	for round := 0; round <= runs; round++ {
		for j := range tools {
			t := tools[(round+j)%len(tools)] // who goes first changes round by round
			dir := filepath.Join(tmp, fmt.Sprintf("%d-%d", round, j))
			if err := os.Mkdir(dir, 0o700); err != nil {
				return want, err
			}
			wall, rssKB, stdout, err := meter.run(t.argv(dir))
			if err != nil {
				return want, fmt.Errorf("%s: %w", t.Tool, err)
			}
			c, err := t.counts(dir, stdout)
			if err != nil {
				return want, fmt.Errorf("%s: %w", t.Tool, err)
			}
			switch {
			case t.floor:
				if round > 0 {
					t.RunsS = append(t.RunsS, round3(wall.Seconds()))
					if rssKB > 0 {
						t.RunsRSSMB = append(t.RunsRSSMB, round1(float64(rssKB)/1024))
					}
				}
			case round == 0:
				rows, err := sortedRows(t.importFile(dir))
				if err != nil {
					return want, fmt.Errorf("%s: %w", t.Tool, err)
				}
				if j == 0 {
					want, wantRows = c, rows
				} else if c != want || rows != wantRows {
					return want, fmt.Errorf("%s did not do the same job as %s: counts %+v, want %+v (same rows in to_import.csv: %v)",
						t.Tool, tools[0].Tool, c, want, rows == wantRows)
				}
			case c != want:
				return want, fmt.Errorf("%s: counts %+v, want %+v", t.Tool, c, want)
			default:
				t.RunsS = append(t.RunsS, round3(wall.Seconds()))
				if rssKB > 0 {
					t.RunsRSSMB = append(t.RunsRSSMB, round1(float64(rssKB)/1024))
				}
			}
			os.RemoveAll(dir)
		}
		if round == 0 {
			fmt.Printf("bench: warm-up done, the tools agree: %+v\n", want)
		}
	}
	return want, nil
}

// treeVersion returns the short hash of HEAD, with "-dirty" when tracked files other than
// outputs have uncommitted changes; "" outside git.
func treeVersion(root string, outputs ...string) string {
	c := commandOutput("git", "-C", root, "rev-parse", "--short", "HEAD")
	if c == "" {
		return ""
	}
	args := []string{"-C", root, "status", "--porcelain", "--untracked-files=no", "--", "."}
	for _, o := range outputs {
		if o != "" && !filepath.IsAbs(o) {
			args = append(args, ":!"+filepath.ToSlash(o))
		}
	}
	if commandOutput("git", args...) != "" {
		c += "-dirty"
	}
	return c
}

// backfillCounts reads the counts from the run folder's summary.json.
func backfillCounts(dir string, _ []byte) (Counts, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "run", "summary.json"))
	if err != nil {
		return Counts{}, err
	}
	var s struct {
		Rows     int            `json:"rows"`
		Outcomes map[string]int `json:"outcomes"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Counts{}, err
	}
	o := s.Outcomes
	return Counts{Rows: s.Rows, Rejected: o["rejected"], BeforeCutoff: o["before_cutoff"], Duplicate: o["duplicate"],
		Exists: o["exists"], ToImport: o["to_insert"]}, nil
}

// sortedRows hashes the data lines of a CSV file whose fields hold no newlines, in sorted
// order: the same rows in any order give the same sum.
func sortedRows(path string) ([32]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}, err
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	if len(lines) > 0 {
		lines = lines[1:]
	}
	slices.SortFunc(lines, bytes.Compare)
	h := sha256.New()
	for _, l := range lines {
		h.Write(bytes.TrimSuffix(l, []byte("\r")))
		io.WriteString(h, "\n")
	}
	return [32]byte(h.Sum(nil)), nil
}

// installDuckDB installs the pinned @duckdb/node-api into scripts/bench/node_modules unless
// it is there, and returns its version, or why DuckDB cannot run.
func installDuckDB(root string) (version, skipped string) {
	dir := filepath.Join(root, "scripts", "bench")
	pkg := filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")
	_, noNode := exec.LookPath("node")
	if _, err := os.Stat(pkg); err != nil {
		if _, err := exec.LookPath("npm"); err != nil || noNode != nil {
			return "", "npm not found (install Node.js and npm to compare with DuckDB)"
		}
		fmt.Println("bench: installing @duckdb/node-api into scripts/bench/node_modules (npm ci)")
		var out bytes.Buffer
		for _, verb := range []string{"ci", "install"} {
			out.Reset()
			cmd := exec.Command("npm", verb, "--no-audit", "--no-fund", "--loglevel=error")
			cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
			if err = cmd.Run(); err == nil {
				break
			}
		}
		if err != nil {
			return "", fmt.Sprintf("npm could not install @duckdb/node-api: %v: %s", err, strings.TrimSpace(out.String()))
		}
	}
	if noNode != nil {
		return "", "node not found (install Node.js to compare with DuckDB)"
	}
	raw, err := os.ReadFile(pkg)
	var p struct{ Version string }
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil {
		return "", fmt.Sprintf("@duckdb/node-api: %v", err)
	}
	return p.Version, ""
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
