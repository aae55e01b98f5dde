package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// PrintSummary writes the human summary table (format "table") or summary.json ("json").
func PrintSummary(w io.Writer, s *backfill.Summary, format string) error {
	return printSummary(w, s, format, false)
}

// PrintLoaded writes the summary of a load whose plan a confirmation prompt has just shown
// ([Confirm]): the table leaves out what the prompt showed and the load did not change
// (the differences, the refusals foreseen, the choices and the mapping). "json" is
// summary.json, whole.
func PrintLoaded(w io.Writer, s *backfill.Summary, format string) error {
	return printSummary(w, s, format, true)
}

func printSummary(w io.Writer, s *backfill.Summary, format string, shown bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "backfill %s: %s in %s\n", s.Command, backfill.Plural(s.Rows, "row"), s.Export.File)
	writeDeciders(&b, s)
	b.WriteString("\n")
	writeOutcomes(&b, s)
	writeWarnings(&b, s)
	if shown {
		writeRefusalCheck(&b, s)
	} else {
		writeForeseen(&b, s)
		writeDifferences(&b, s)
		writeChoices(&b, s)
	}
	writeJobs(&b, s)
	fmt.Fprintf(&b, "\nrun folder:    %s\n", s.RunFolder)
	report := false
	for _, f := range s.Files {
		fmt.Fprintf(&b, "  %-15s %s\n", f.Name, f.Desc)
		report = report || f.Name == runfolder.ReportFile
	}
	if report {
		fmt.Fprintf(&b, "\nreport:        %s\n", filepath.Join(s.RunFolder, runfolder.ReportFile))
	}
	for i, c := range NextCommands(Shell{}, s) {
		label := ""
		if i == 0 {
			label = "next:"
		}
		fmt.Fprintf(&b, "%-15s%s\n", label, c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDeciders names the org the run is for and who approved its plan.
func writeDeciders(b *strings.Builder, s *backfill.Summary) {
	if l := OrgLine(s.Org); l != "" {
		fmt.Fprintf(b, "org:           %s\n", l)
	}
	if l := ApprovalLine(s.Approval); l != "" {
		fmt.Fprintf(b, "approved:      %s\n", l)
	}
}

func writeOutcomes(b *strings.Builder, s *backfill.Summary) {
	fmt.Fprintf(b, "  %-14s %10s %7s\n", "outcome", "rows", "share")
	for _, o := range runfolder.Outcomes() {
		n := s.Outcomes[o.String()]
		if n == 0 && !alwaysShown(o, s.Command) {
			continue
		}
		fmt.Fprintf(b, "  %-14s %10s %7s\n", o, backfill.Group(n), percent(n, s.Rows))
	}
	fmt.Fprintf(b, "  %-14s %10s %7s\n", "total", backfill.Group(s.Rows), percent(s.Rows, s.Rows))
	b.WriteString("\n")
}

func writeChoices(b *strings.Builder, s *backfill.Summary) {
	fmt.Fprintf(b, "key column:    %s\n", s.KeyColumn)
	fmt.Fprintf(b, "date columns:  %s (kept when on or after %s)\n", strings.Join(s.DateColumns, ", "), s.Cutoff.Format(time.RFC3339))
	for _, l := range s.DateLayouts {
		fmt.Fprintf(b, "dates:         %s: %s\n", l.Column, l.Layout)
	}
	if s.UpdatedColumn != "" {
		fmt.Fprintf(b, "dedup:         latest %q wins\n", s.UpdatedColumn)
	} else {
		b.WriteString("dedup:         no updated-at column: the last row of a key wins\n")
	}
	if s.Keys != "" {
		fmt.Fprintf(b, "keys:          compared %s\n", s.Keys)
	}
	if s.OrderBy != "" {
		fmt.Fprintf(b, "order:         rows of each Bulk job ordered by %s, so one learner's rows share a batch\n", s.OrderBy)
	}
	bom := ""
	if s.Export.BOM {
		bom = " with BOM"
	}
	if s.Export.LineEnding == "CR" {
		bom += ", lines ending with CR alone (Excel for Mac)"
	}
	fmt.Fprintf(b, "export:        %s, %s-separated, %s%s\n", s.Export.File, s.Export.Delimiter, s.Export.Encoding, bom)
	if e := s.Existing; e != nil {
		id := "no Id column"
		if e.IDColumn != "" {
			id = fmt.Sprintf("Id column %q", e.IDColumn)
		}
		fmt.Fprintf(b, "existing:      %s: %s, %s of them match rows to load (key column %q, %s)", e.File, backfill.Plural(e.Rows, "row"),
			backfill.Group(e.Matching), e.KeyColumn, id)
		if e.Skipped > 0 {
			fmt.Fprintf(b, ", %s without a usable key skipped", backfill.Plural(e.Skipped, "row"))
		}
		b.WriteString("\n")
	}
	if s.Object != "" {
		fmt.Fprintf(b, "object:        %s (upsert on %s)\n", s.Object, s.ExternalIDField)
	}
	for i, m := range s.Mapping {
		label := ""
		if i == 0 {
			label = "mapping:"
		}
		fmt.Fprintf(b, "%-15s%s -> %s (%s, by %s)\n", label, m.Column, m.Field, m.Type, m.Source)
	}
	if len(s.Unmapped) > 0 {
		fmt.Fprintf(b, "left out:      %s\n", strings.Join(s.Unmapped, ", "))
	}
}

// writeWarnings prints the WARNING block: what must be read before trusting the run.
func writeWarnings(b *strings.Builder, s *backfill.Summary) {
	for _, w := range s.Warnings {
		fmt.Fprintf(b, "WARNING: %s\n", w.Message)
		for _, r := range w.Reasons {
			fmt.Fprintf(b, "  - %s\n", r)
		}
		if w.Fix != "" {
			fmt.Fprintf(b, "  fix: %s\n", w.Fix)
		}
	}
	if len(s.Warnings) > 0 {
		b.WriteString("\n")
	}
}

func writeJobs(b *strings.Builder, s *backfill.Summary) {
	for _, j := range s.Jobs {
		g := backfill.Group[int]
		again := ""
		if j.SentAgain > 0 {
			again = fmt.Sprintf(", %s sent again (lock)", g(j.SentAgain))
		}
		fmt.Fprintf(b, "%-15s%s %s: %s, %s processed, %s created, %s updated, %s already newer, %s failed%s, %s unprocessed\n",
			fmt.Sprintf("job %d:", j.Part), j.ID, j.State, backfill.Plural(j.Rows, "row"), g(j.Processed), g(j.Created), g(j.Updated),
			g(j.AlreadyNewer), g(j.Refused()), again, g(j.Unprocessed))
		if j.Note != "" {
			fmt.Fprintf(b, "               %s\n", j.Note)
		}
		if j.ErrorMessage != "" {
			fmt.Fprintf(b, "               error: %s\n", j.ErrorMessage)
		}
		if j.SetupURL != "" {
			fmt.Fprintf(b, "               Setup: %s\n", j.SetupURL)
		}
	}
}

func alwaysShown(o runfolder.Outcome, command string) bool {
	switch o {
	case runfolder.Rejected, runfolder.BeforeCutoff, runfolder.Duplicate, runfolder.Exists:
		return true
	case runfolder.ToInsert:
		return command != "import"
	}
	return false
}

func percent(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

// writeForeseen prints the refusals the plan foresaw, and after an import how Salesforce's
// compare.
func writeForeseen(b *strings.Builder, s *backfill.Summary) {
	if len(s.Foreseen) > 0 {
		b.WriteString("refusals foreseen from describe (the ledger's detail begins with the code):\n")
		for _, g := range s.Foreseen {
			fmt.Fprintf(b, "  %s on %s (%s): %s, lines %s%s\n", g.Code, g.Label, g.Field, backfill.Plural(g.Count, "row"),
				joinLines(g.Lines, g.Count), examplesText(g.Examples))
			if g.Outcome == runfolder.Rejected.String() {
				b.WriteString("    left out of the upload (rejected)\n")
			}
			fmt.Fprintf(b, "    fix: %s\n", g.Fix)
		}
		b.WriteString("\n")
	}
	writeRefusalCheck(b, s)
}

// writeRefusalCheck says, after an import, how Salesforce's refusals compare with those
// foreseen.
func writeRefusalCheck(b *strings.Builder, s *backfill.Summary) {
	if c := s.Refusals; c != nil && (c.Foreseen+c.Refused+c.LeftOut > 0) {
		fmt.Fprintf(b, "refusals:      %s\n", refusalText(c))
		for _, e := range c.Examples {
			fmt.Fprintf(b, "  - %s\n", e)
		}
		b.WriteString("\n")
	}
}

// refusalText says how Salesforce's refusals compare with those foreseen.
func refusalText(c *backfill.RefusalCheck) string {
	var parts []string
	if c.LeftOut > 0 {
		parts = append(parts, fmt.Sprintf("%s foreseen and left out", backfill.Plural(c.LeftOut, "row")))
	}
	parts = append(parts, fmt.Sprintf("%s sent that the plan foresaw Salesforce refusing: %s refused as foreseen, %s refused with another code, %s loaded",
		backfill.Group(c.Foreseen), backfill.Group(c.AsSaid), backfill.Group(c.OtherCode), backfill.Group(c.Accepted)))
	parts = append(parts, fmt.Sprintf("%s refused that the plan did not foresee", backfill.Group(c.Unforeseen)))
	return strings.Join(parts, "; ")
}

// joinLines lists example lines, with "…" when there are more rows.
func joinLines(lines []int, count int) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = fmt.Sprint(l)
	}
	s := strings.Join(out, ", ")
	if count > len(lines) {
		s += ", …"
	}
	return s
}

func examplesText(ex []string) string {
	if len(ex) == 0 {
		return ""
	}
	q := make([]string, len(ex))
	for i, e := range ex {
		q[i] = fmt.Sprintf("%q", e)
	}
	return ", e.g. " + strings.Join(q, ", ")
}

// writeDifferences prints what the stale and to-update rows differ in.
func writeDifferences(b *strings.Builder, s *backfill.Summary) {
	d := s.Differences
	if d == nil || d.Rows == 0 {
		return
	}
	var fields []string
	for _, f := range d.Fields {
		fields = append(fields, fmt.Sprintf("%s %s", f.Field, backfill.Group(f.Rows)))
	}
	fmt.Fprintf(b, "differences:   %s %s from Salesforce (%s has both values): %s\n", backfill.Plural(d.Rows, "row"),
		verb(d.Rows, "differs", "differ"), runfolder.DifferencesFile, strings.Join(fields, ", "))
	for _, g := range d.Groups {
		fmt.Fprintf(b, "  %s, %s: %s\n", g.Outcome, laterWords(g.Later, d.UpdatedField), backfill.Group(g.Count))
		for _, x := range g.Samples {
			var vals []string
			for _, v := range x.Values {
				vals = append(vals, fmt.Sprintf("%s %q -> %q", v.Field, v.Salesforce, v.Export))
			}
			fmt.Fprintf(b, "    line %d %s: %s\n", x.Line, x.Key, strings.Join(vals, "; "))
		}
	}
	b.WriteString("\n")
}

// laterWords says whose Updated At is later in a group of differing rows.
func laterWords(later, field string) string {
	switch later {
	case backfill.LaterSalesforce:
		return "Salesforce's Updated At is later (a newer version: never sent)"
	case backfill.LaterExport:
		return "the export's Updated At is later"
	case backfill.LaterSame:
		return "the same Updated At"
	}
	if field == "" {
		return "no Updated At loaded to tell which is newer"
	}
	return "an Updated At missing on one side"
}
