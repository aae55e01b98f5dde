package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

type runOptions struct {
	cfg      csvdifftest.Config
	variants bool   // also measure the other exports (variants.go)
	forms    string // the DuckDB forms to measure, comma-separated; "" for all
	runs     int
	out      string // the figures file, relative to the repository's root
	goCmd    string
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
	// DuckDBForms are the formulations of the job in DuckDB that were measured, by each
	// runner, fastest first; DuckDBAnchor says which is the anchor (the DuckDB row of
	// Results) and why.
	DuckDBForms  []DuckDBForm `json:"duckdb_forms,omitempty"`
	DuckDBAnchor string       `json:"duckdb_anchor,omitempty"`
	// Variants are other CE-shaped exports, each measured with backfill and the anchor's
	// form and runner.
	Variants []Variant `json:"variants,omitempty"`
}

// DuckDBForm is one formulation of the job in DuckDB (duckdb.go) run by one runner, and
// its figures.
type DuckDBForm struct {
	Form   string `json:"form"`
	Runner string `json:"runner"`
	What   string `json:"what"`
	// Counts is false for a form that only writes to_import.csv (it cannot be the anchor).
	Counts    bool      `json:"counts"`
	WallS     float64   `json:"wall_s"`
	PeakRSSMB float64   `json:"peak_rss_mb,omitempty"`
	RunsS     []float64 `json:"runs_s"`
	// InProcessS is the median time from before the database opened to after it closed,
	// measured by the runner itself; LoadS, for Node, the time it took to load the module
	// before that.
	InProcessS float64 `json:"in_process_s"`
	LoadS      float64 `json:"load_s,omitempty"`
}

// Variant is one other export: its shape, counts and the two tools' figures.
type Variant struct {
	Name         string  `json:"name"`
	What         string  `json:"what"`
	ExportBytes  int64   `json:"export_bytes"`
	Counts       Counts  `json:"counts"`
	BackfillS    float64 `json:"backfill_wall_s"`
	BackfillRSS  float64 `json:"backfill_peak_rss_mb"`
	DuckDBS      float64 `json:"duckdb_wall_s"`
	DuckDBRSS    float64 `json:"duckdb_peak_rss_mb"`
	WallVsDuckDB float64 `json:"wall_vs_duckdb"`
	// BackfillRunsS and DuckDBRunsS are the runs, alternating.
	BackfillRunsS []float64 `json:"backfill_runs_s"`
	DuckDBRunsS   []float64 `json:"duckdb_runs_s"`
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

	runsInProcess, runsLoad []float64 // DuckDB's own figures, per run
	version                 string    // DuckDB's, as it printed it
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
	// toImportOnly marks a tool that counts only the rows it writes (copy-only-tuned).
	toImportOnly bool
	// form is the DuckDB formulation a tool runs, runner its runner; nil for the others.
	form   *duckForm
	runner *duckRunner
	// figures records a measured run's own figures from its stdout (DuckDB's times).
	figures func(t *tool, stdout []byte)
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
	for _, name := range strings.Split(o.forms, ",") {
		if o.forms != "" && !slices.ContainsFunc(duckForms, func(f duckForm) bool { return f.name == name }) {
			return fmt.Errorf("-forms: no form %q; the forms: %s", name, formNames())
		}
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
	tools := []*tool{backfillOn(bin, export, existing, since), {
		Result: Result{Tool: naiveTool, What: "plain Go, `encoding/csv` + a map"},
		argv: func(dir string) []string {
			return []string{filepath.Join(bin, "naive"), "-export", export, "-existing", existing, "-out", dir, "-since", since}
		},
		counts:     fromStdout,
		importFile: inDir,
	}}
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
	runners, skipped := duckRunners(root, bin, &m)
	var forms []*tool
	if skipped != "" {
		fmt.Println("bench: DuckDB skipped:", skipped)
		tools = slices.Insert(tools, 1, &tool{Result: Result{Tool: duckdbTool, What: "DuckDB, the same job as SQL", Skipped: skipped}})
	} else {
		job, err := duckJobFor(export, existing, since, tmp)
		if err != nil {
			return err
		}
		for _, r := range runners {
			for i := range duckForms {
				if o.forms == "" || slices.Contains(strings.Split(o.forms, ","), duckForms[i].name) {
					forms = append(forms, duckTool(job, &duckForms[i], r))
				}
			}
		}
		if !slices.ContainsFunc(forms, func(t *tool) bool { return t.form.counts }) {
			return fmt.Errorf("-forms %q names no form that does the whole job; the forms: %s", o.forms, formNames())
		}
		tools = slices.Insert(tools, 1, forms...)
	}
	var active []*tool
	for _, t := range tools {
		if t.Skipped == "" {
			active = append(active, t)
		}
	}

	load := loadAverage()
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
	var anchor *tool
	if skipped == "" {
		// The anchor is the fastest form that does the whole job; the others are kept in
		// duckdb_forms only.
		slices.SortStableFunc(forms, func(a, b *tool) int { return cmp.Compare(a.WallS, b.WallS) })
		for _, f := range forms {
			duckForms = append(duckForms, DuckDBForm{Form: f.form.name, Runner: f.runner.name, What: f.What, Counts: f.form.counts,
				WallS: f.WallS, PeakRSSMB: f.PeakRSSMB, RunsS: f.RunsS,
				InProcessS: round3(median(f.runsInProcess)), LoadS: round3(median(f.runsLoad))})
			if anchor == nil && f.form.counts {
				anchor = f
			}
		}
		anchorWhy = anchorReason(duckForms)
		m.DuckDB = anchor.version
		best := *anchor
		best.What = fmt.Sprintf("DuckDB, the same job as SQL (%s, %s; the fastest of %d formulations and runners)", anchor.form.name, anchor.runner.name, len(forms))
		best.Tool = duckdbTool
		kept := []*tool{tools[0], &best} // backfill, then DuckDB
		for _, t := range tools[1:] {
			if t.form == nil {
				kept = append(kept, t)
			}
		}
		tools = kept
		active = slices.DeleteFunc(active, func(t *tool) bool { return t.form != nil })
		active = append(active, &best)
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
			"page cache warm; wall time from start to exit (DuckDB's includes loading its library, and Node for the Node runner); "+
			"peak RSS (MiB) from %s; MB/s = export bytes / 10^6 / wall time", o.runs, meter.method),
	}
	if anchor != nil && o.variants {
		if rep.Variants, err = measureVariants(o, anchor, bin, since, meter, tmp); err != nil {
			return err
		}
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

// backfillOn is backfill clean on the files.
func backfillOn(bin, export, existing, since string) *tool {
	return &tool{
		Result: Result{Tool: backfillTool, What: "`backfill clean` (this project; writes the whole run folder)"},
		argv: func(dir string) []string {
			return []string{filepath.Join(bin, "backfill"), "clean", "--export", export, "--existing", existing,
				"--since", since, "--out", filepath.Join(dir, "run"), "-q"}
		},
		counts:     backfillCounts,
		importFile: func(dir string) string { return filepath.Join(dir, "run", "to_import.csv") },
	}
}

// duckTool is form f of job run by r. Its statements write into the run's folder, which
// the job's dir stands for until the run is known.
func duckTool(job *duckJob, f *duckForm, r *duckRunner) *tool {
	return &tool{
		Result: Result{Tool: "DuckDB " + f.name + " (" + r.name + ")", What: f.what},
		argv: func(dir string) []string {
			j := *job
			j.dir = dir
			statements, _ := f.sql(&j)
			return r.argv(statements)
		},
		counts: func(_ string, stdout []byte) (Counts, error) {
			out, err := parseDuckOutput(stdout)
			if err != nil {
				return Counts{}, err
			}
			_, copyAt := f.sql(job)
			return out.counts(f, copyAt)
		},
		figures: func(t *tool, stdout []byte) {
			if out, err := parseDuckOutput(stdout); err == nil {
				t.version = out.DuckDB
				t.runsInProcess = append(t.runsInProcess, out.InProcessS)
				if out.LoadS > 0 {
					t.runsLoad = append(t.runsLoad, out.LoadS)
				}
			}
		},
		importFile:   func(dir string) string { return filepath.Join(dir, "to_import.csv") },
		toImportOnly: !f.counts,
		form:         f,
		runner:       r,
	}
}

// duckJobFor reads the headers of the files: the export's as backfill reads it (its key,
// cutoff date and "Updated At" columns), the existing records' first line.
func duckJobFor(export, existing, since, tmp string) (*duckJob, error) {
	f, err := os.Open(export)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := csvdiff.ReadHeader(f, csvdiff.Options{File: export})
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(existing)
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(raw[:min(len(raw), 4096)]), "\n")
	return newDuckJob(export, existing, since, h.Names, strings.Split(strings.TrimSpace(first), ","),
		h.KeyName(), h.DateNames()[0], h.UpdatedName()), nil
}

// duckRunners returns the runners that can run here: the native one when a C compiler
// can build it, Node's; or why DuckDB cannot run at all.
func duckRunners(root, bin string, m *Machine) ([]*duckRunner, string) {
	nodeAPI, skipped := installDuckDB(root)
	if skipped != "" {
		return nil, skipped
	}
	m.DuckDBNodeAPI, m.Node = nodeAPI, commandOutput("node", "--version")
	script := filepath.Join(root, "scripts", "bench", "duckdb.mjs")
	var runners []*duckRunner
	if native, why := buildNative(root, bin); why == "" {
		runners = append(runners, &duckRunner{name: "native", what: "DuckDB's library from C (scripts/bench/duckdb-native)",
			argv: func(s []string) []string { return append([]string{native}, s...) }})
	} else {
		fmt.Println("bench: DuckDB from C skipped:", why)
	}
	runners = append(runners, &duckRunner{name: "node", what: "Node " + m.Node + ", @duckdb/node-api " + nodeAPI,
		argv: func(s []string) []string { return append([]string{"node", script}, s...) }})
	// A runner that cannot run a statement here (a library that does not load) is skipped.
	runners = slices.DeleteFunc(runners, func(r *duckRunner) bool {
		why := probeRunner(r)
		if why != "" {
			fmt.Printf("bench: DuckDB's %s runner skipped: %s\n", r.name, why)
		}
		return why != ""
	})
	if len(runners) == 0 {
		return nil, "DuckDB ran from neither C nor Node (see above)"
	}
	return runners, ""
}

// probeRunner runs one statement with r and returns why it failed, "" when it ran.
func probeRunner(r *duckRunner) string {
	argv := r.argv([]string{"SELECT 42 AS answer"})
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	out, err := parseDuckOutput(stdout)
	if err != nil {
		return err.Error()
	}
	if out.Last["answer"] != "42" {
		return fmt.Sprintf("SELECT 42 gave %v", out.Last)
	}
	return ""
}

func formNames() string {
	var names []string
	for _, f := range duckForms {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// anchorReason says which form is the anchor and why; forms are sorted fastest first.
func anchorReason(forms []DuckDBForm) string {
	var a *DuckDBForm
	next := ""
	for i := range forms {
		f := &forms[i]
		switch {
		case a == nil && f.Counts:
			a = f
		case a != nil && next == "" && f.Counts:
			next = fmt.Sprintf("; next %s (%s) at %.3f s", f.Form, f.Runner, f.WallS)
		}
	}
	if a == nil {
		return ""
	}
	why := fmt.Sprintf("%s run by the %s runner: the fastest of the %d formulations and runners that do the whole job (median %.3f s, %.3f s of it inside DuckDB%s); "+
		"every one gave the same counts and the same rows as backfill", a.Form, a.Runner, len(forms), a.WallS, a.InProcessS, next)
	for _, f := range forms {
		if !f.Counts && f.Runner == a.Runner {
			why += fmt.Sprintf("; %s, which writes to_import.csv and counts nothing else, took %.3f s", f.Form, f.WallS)
		}
	}
	return why
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	load := strings.Join(strings.Fields(string(raw))[:3], " ")
	fmt.Println("bench: load average before the runs:", load)
	return load
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
				same := c == want || t.toImportOnly && c.ToImport == want.ToImport
				if j == 0 {
					want, wantRows = c, rows
				} else if !same || rows != wantRows {
					return want, fmt.Errorf("%s did not do the same job as %s: counts %+v, want %+v (same rows in to_import.csv: %v)",
						t.Tool, tools[0].Tool, c, want, rows == wantRows)
				}
			case t.toImportOnly && c.ToImport != want.ToImport, !t.toImportOnly && c != want:
				return want, fmt.Errorf("%s: counts %+v, want %+v", t.Tool, c, want)
			default:
				if t.figures != nil {
					t.figures(t, stdout)
				}
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

// sortedRows hashes the data records of a CSV file, each written again with the fewest
// quotes (encoding/csv), in sorted order: the same rows in any order, quoted any way, give
// the same sum.
func sortedRows(path string) ([32]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var lines []string
	var b bytes.Buffer
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return [32]byte{}, err
		}
		if first {
			continue // the header
		}
		b.Reset()
		w := csv.NewWriter(&b)
		w.Write(rec)
		w.Flush()
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
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
