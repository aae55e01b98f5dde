package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
)

// PrintVerify writes a verify run: its counts (format "table") or the run as JSON ("json").
func PrintVerify(w io.Writer, dir string, v *backfill.VerifyRun, format string) error {
	if format == "json" {
		return printJSON(w, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "backfill verify: %s records the import created or updated, read back from Salesforce\n\n", backfill.Group(v.Records))
	writeCounts(&b, v.Records, v.Outcomes, []string{backfill.VerifyMatch, backfill.VerifyNewer, backfill.VerifyDiffers, backfill.VerifyMissing})
	writeExamples(&b, v.Examples)
	if v.OK() {
		b.WriteString("\nverdict:       every record holds what was loaded (newer: Salesforce has a later Updated At)\n")
	} else {
		b.WriteString("\nverdict:       some records do not hold what was loaded\n")
	}
	fmt.Fprintf(&b, "file:          %s (key, outcome, detail)\n", filepath.Join(dir, v.File))
	_, err := io.WriteString(w, b.String())
	return err
}

// PrintUndo writes an undo: its plan (a dry run) or its outcomes.
func PrintUndo(w io.Writer, dir string, u *backfill.UndoRun, format string) error {
	if format == "json" {
		return printJSON(w, u)
	}
	var b strings.Builder
	total := 0
	for _, n := range u.Planned {
		total += n
	}
	if u.DryRun {
		fmt.Fprintf(&b, "backfill undo (dry run, nothing changed): %s records the import created or updated\n\n", backfill.Group(total))
		writeCounts(&b, total, u.Planned, []string{"delete", "restore", "skip", "gone", "same"})
	} else {
		fmt.Fprintf(&b, "backfill undo: %s records the import created or updated\n\n", backfill.Group(total))
		writeCounts(&b, total, u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused,
			backfill.UndoSkippedChanged, backfill.UndoFailed})
	}
	writeExamples(&b, u.Examples)
	fmt.Fprintf(&b, "\ndeleted:       records go to the Recycle Bin, restorable for %d days (Setup > Recycle Bin)\n", u.RecycleBinDays)
	fmt.Fprintf(&b, "restored from: %s\n", filepath.Join(dir, u.BeforeImage))
	if u.WouldBeRefused > 0 && !u.KeepUpdatedAt {
		fmt.Fprintf(&b, "WARNING: %s would move Updated At back, which the Northpass package refuses\n  fix: add --keep-updated-at to restore the other fields\n",
			backfill.Plural(u.WouldBeRefused, "restore"))
	}
	for _, j := range u.Jobs {
		fmt.Fprintf(&b, "job:           %s %s: %s (%s)\n", j.ID, j.State, backfill.Plural(j.Rows, "row"), j.Note)
	}
	fmt.Fprintf(&b, "file:          %s\n", filepath.Join(dir, u.File))
	if u.DryRun && total > u.Planned["skip"] {
		fmt.Fprintf(&b, "\nto undo:       backfill undo %s --yes\n", dir)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCounts(b *strings.Builder, total int, counts map[string]int, order []string) {
	fmt.Fprintf(b, "  %-16s %10s %7s\n", "outcome", "records", "share")
	for _, o := range order {
		fmt.Fprintf(b, "  %-16s %10s %7s\n", o, backfill.Group(counts[o]), percent(counts[o], total))
	}
	fmt.Fprintf(b, "  %-16s %10s %7s\n", "total", backfill.Group(total), percent(total, total))
}

func writeExamples(b *strings.Builder, examples []string) {
	for i, e := range examples {
		label := ""
		if i == 0 {
			label = "for example:"
		}
		fmt.Fprintf(b, "%-15s%s\n", label, e)
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
