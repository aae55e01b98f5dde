package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// The README's generated part lies between these two lines.
const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// cells are a result's columns: tool, wall time, peak RSS, MB/s, time and memory against
// DuckDB's. decimals is the wall time's.
func cells(r Result, decimals int) []string {
	if r.Skipped != "" {
		return []string{r.What, "skipped: " + r.Skipped, "", "", "", ""}
	}
	ratio := func(x float64) string {
		if x == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", x)
	}
	rss := "–"
	if r.PeakRSSMB > 0 {
		rss = fmt.Sprintf("%.0f MB", r.PeakRSSMB)
	}
	return []string{r.What, fmt.Sprintf("%.*f s", decimals, r.WallS), rss, fmt.Sprintf("%.0f", r.MBPerS), ratio(r.WallVsDuckDB), ratio(r.RSSVsDuckDB)}
}

var columns = []string{"wall time", "peak RSS", "MB/s", "time ÷ DuckDB's", "memory ÷ DuckDB's"}

func terminalTable(rep *Report) string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "tool\t"+strings.Join(columns, "\t"))
	for _, r := range rep.Results {
		c := cells(r, 3)
		c[0] = r.Tool
		if r.Skipped != "" {
			c[1] = "skipped"
		}
		fmt.Fprintln(w, strings.Join(c, "\t"))
	}
	if len(rep.Variants) > 0 {
		fmt.Fprintln(w, "\nexport\tbackfill\tDuckDB\ttime ÷ DuckDB's\tbackfill peak RSS")
		for _, v := range rep.Variants {
			fmt.Fprintf(w, "%s\t%.3f s\t%.3f s\t%.2f×\t%.0f MB\n", v.Name, v.BackfillS, v.DuckDBS, v.WallVsDuckDB, v.BackfillRSS)
		}
	}
	w.Flush()
	return b.String()
}

// readmeTable is the README's generated part: the table and the sentence that says what
// was measured, how and where.
func readmeTable(rep *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| the reference job | %s |\n|---|%s\n", strings.Join(columns, " | "), strings.Repeat("---:|", len(columns)))
	for _, r := range rep.Results {
		c := cells(r, 2)
		if r.Tool == duckdbTool && r.Skipped == "" {
			c[0] = duckLabel(rep)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(c, " | "))
	}
	j, m := rep.Job, rep.Machine
	if len(rep.Variants) > 0 {
		fmt.Fprintf(&b, "\n| other CE-shaped exports, 1,000,000 rows each | backfill | DuckDB (the anchor's form) | time ÷ DuckDB's | backfill peak RSS |\n|---|---:|---:|---:|---:|\n")
		for _, v := range rep.Variants {
			fmt.Fprintf(&b, "| `%s`: %s (%.0f MB) | %.2f s | %.2f s | %.2f× | %.0f MB |\n", v.Name, v.What, float64(v.ExportBytes)/1e6,
				v.BackfillS, v.DuckDBS, v.WallVsDuckDB, v.BackfillRSS)
		}
	}
	b.WriteString("\n")
	b.WriteString(wrap(fmt.Sprintf("%s rows (%.1f MB, the %s profile of `csvdiff/csvdifftest`) against %s existing keys, cutoff %s: "+
		"%s rows before the cutoff, %s duplicates, %s keys already in Salesforce, %s rows to import; "+
		"the tools agree on every count and on the rows of `to_import.csv`. %s. "+
		"Measured %s%s on %s, %d cores, %.1f GB RAM, %s %s, %s, by `make bench` (figures in `docs/bench.json`).",
		thousands(j.Rows), float64(j.ExportBytes)/1e6, j.Profile, thousands(j.ExistingKeys), strings.TrimSuffix(j.Cutoff, "T00:00:00Z"),
		thousands(j.Counts.BeforeCutoff), thousands(j.Counts.Duplicate), thousands(j.Counts.Exists), thousands(j.Counts.ToImport),
		upperFirst(rep.Method), rep.Date, commit(rep.Commit), m.CPU, m.Cores, m.RAMGB, kernelName(m.OS), m.Kernel, m.Go), 100))
	if rep.DuckDBAnchor != "" {
		b.WriteString("\n")
		b.WriteString(wrap("DuckDB's anchor: "+rep.DuckDBAnchor+" (every form and its median in `docs/bench.json`, `duckdb_forms`)."+variantsNote(rep), 100))
	}
	if rep.LoadBefore != "" {
		b.WriteString("\n")
		b.WriteString(wrap("Load average when the runs began: "+rep.LoadBefore+" (other work on the 2 shared cores; the ratios come from alternating runs).", 100))
	}
	return b.String()
}

// duckLabel names the anchor in the README: DuckDB's version, the form and how it ran.
func duckLabel(rep *Report) string {
	m := rep.Machine
	a := anchorForm(rep)
	if a == nil {
		return fmt.Sprintf("DuckDB %s, the same job as SQL", m.DuckDB)
	}
	how := fmt.Sprintf("through `@duckdb/node-api` %s, Node %s", m.DuckDBNodeAPI, m.Node)
	if a.Runner == "native" {
		how = "its C library called from C, `scripts/bench/duckdb-native`"
	}
	return fmt.Sprintf("DuckDB %s, the same job as SQL at its fastest (`%s`, %s)", m.DuckDB, a.Form, how)
}

// anchorForm is the fastest form that does the whole job: the anchor.
func anchorForm(rep *Report) *DuckDBForm {
	for i := range rep.DuckDBForms {
		if f := &rep.DuckDBForms[i]; f.Counts {
			return f
		}
	}
	return nil
}

func variantsNote(rep *Report) string {
	if len(rep.Variants) == 0 {
		return ""
	}
	return fmt.Sprintf(" The other exports: the reference job reshaped, each run %d times by backfill and by the anchor's form and runner, alternating, in the same run.", len(rep.Variants[0].BackfillRunsS))
}

// wrap breaks text into lines of at most width characters (longer words stay whole), each
// ending in a newline.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if l := utf8.RuneCountInString(w); n > 0 && n+1+l > width {
			b.WriteString("\n")
			n = 0
		} else if n > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += utf8.RuneCountInString(w)
	}
	b.WriteString("\n")
	return b.String()
}

// rewriteReadme replaces what lies between the bench markers of the README with the table
// of the figures file.
func rewriteReadme(readme, figures string) error {
	raw, err := os.ReadFile(figures)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("%s: %w", figures, err)
	}
	text, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	out, err := replaceBetween(string(text), readmeTable(&rep))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if out == string(text) {
		fmt.Println("bench:", readme, "is up to date")
		return nil
	}
	if err := os.WriteFile(readme, []byte(out), 0o644); err != nil {
		return err
	}
	fmt.Println("bench: rewrote the table in", readme)
	return nil
}

// replaceBetween returns text with the lines between the marker lines replaced by body.
func replaceBetween(text, body string) (string, error) {
	begin := strings.Index(text, beginMarker+"\n")
	end := strings.Index(text, endMarker)
	switch {
	case begin < 0 || end < 0:
		return "", fmt.Errorf("no %s and %s lines to write the table between", beginMarker, endMarker)
	case end < begin || strings.Count(text, beginMarker) > 1 || strings.Count(text, endMarker) > 1:
		return "", fmt.Errorf("the %s and %s lines are out of order or repeated", beginMarker, endMarker)
	}
	begin += len(beginMarker) + 1
	return text[:begin] + body + text[end:], nil
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// commit says which tree backfill was built from, "" when unknown.
func commit(c string) string {
	if c == "" {
		return ""
	}
	return " (backfill at " + c + ")"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func kernelName(osArch string) string {
	name, _, _ := strings.Cut(osArch, "/")
	switch name {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS (Darwin)"
	}
	return name
}
