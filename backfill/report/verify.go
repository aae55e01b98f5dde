package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
)

// PrintVerify writes a verify run: its counts (format "table") or the run as JSON ("json"),
// then each retry round's.
func PrintVerify(w io.Writer, dir string, v *backfill.VerifyRun, format string) error {
	if format == "json" {
		return printJSON(w, v)
	}
	var b strings.Builder
	printVerify(&b, "the import", dir, v)
	for _, r := range v.Rounds {
		if r.Verify.Records > 0 { // a round that loaded nothing has nothing to prove
			printVerify(&b, "retry round "+filepath.Base(r.Dir), r.Dir, r.Verify)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printVerify writes one folder's verify run, of what (the import, or a retry round).
func printVerify(b *strings.Builder, what, dir string, v *backfill.VerifyRun) {
	if what != "the import" {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "backfill verify: %s records %s created or updated, read back from Salesforce\n\n", backfill.Group(v.Records), what)
	writeCounts(b, v.Records, v.Outcomes, []string{backfill.VerifyMatch, backfill.VerifyNewer, backfill.VerifyDiffers, backfill.VerifyMissing})
	writeExamples(b, v.Examples)
	if v.Outcomes[backfill.VerifyDiffers]+v.Outcomes[backfill.VerifyMissing] == 0 {
		b.WriteString("\nverdict:       every record holds what was loaded (newer: Salesforce has a later Updated At)\n")
	} else {
		b.WriteString("\nverdict:       some records do not hold what was loaded\n")
	}
	fmt.Fprintf(b, "file:          %s (key, outcome, detail)\n", filepath.Join(dir, v.File))
}

// PrintUndo writes an undo: its plan (a dry run) or its outcomes, then each retry round's
// (rounds first in the undo, newest first); a dry run ends with the command that runs it.
func PrintUndo(w io.Writer, dir string, u *backfill.UndoRun, format string) error {
	if format == "json" {
		return printJSON(w, u)
	}
	var b strings.Builder
	pending := printUndo(&b, "the import", dir, u)
	for _, r := range u.Rounds {
		if len(r.Undo.Planned) > 0 && !onlyZero(r.Undo.Planned) { // a round that loaded nothing has nothing to undo
			pending += printUndo(&b, "retry round "+filepath.Base(r.Dir), r.Dir, r.Undo)
		}
	}
	if u.DryRun && pending > 0 {
		fmt.Fprintf(&b, "\nto undo:       backfill undo %s --yes\n", Quote(dir))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// onlyZero reports whether every count is 0.
func onlyZero(counts map[string]int) bool {
	for _, n := range counts {
		if n != 0 {
			return false
		}
	}
	return true
}

// printUndo writes one folder's undo, of what (the import, or a retry round), and returns
// how many records a dry run would undo.
func printUndo(b *strings.Builder, what, dir string, u *backfill.UndoRun) int {
	if what != "the import" {
		b.WriteString("\n")
	}
	total := 0
	for _, n := range u.Planned {
		total += n
	}
	if u.DryRun {
		fmt.Fprintf(b, "backfill undo (dry run, nothing changed): %s records %s created or updated\n\n", backfill.Group(total), what)
		writeCounts(b, total, u.Planned, []string{"delete", "restore", "skip", "gone", "same"})
	} else {
		fmt.Fprintf(b, "backfill undo: %s records %s created or updated\n\n", backfill.Group(total), what)
		writeCounts(b, total, u.Outcomes, []string{backfill.UndoDeleted, backfill.UndoRestored, backfill.UndoRestoreRefused,
			backfill.UndoSkippedChanged, backfill.UndoFailed})
	}
	writeExamples(b, u.Examples)
	fmt.Fprintf(b, "\ndeleted:       records go to the Recycle Bin, restorable for %d days (Setup > Recycle Bin)\n", u.RecycleBinDays)
	fmt.Fprintf(b, "restored from: %s\n", filepath.Join(dir, u.BeforeImage))
	if u.WouldBeRefused > 0 && !u.KeepUpdatedAt {
		fmt.Fprintf(b, "WARNING: %s would move Updated At back, which the Northpass package refuses\n  fix: add --keep-updated-at to restore the other fields\n",
			backfill.Plural(u.WouldBeRefused, "restore"))
	}
	for _, j := range u.Jobs {
		fmt.Fprintf(b, "job:           %s %s: %s (%s)\n", j.ID, j.State, backfill.Plural(j.Rows, "row"), j.Note)
	}
	fmt.Fprintf(b, "file:          %s\n", filepath.Join(dir, u.File))
	if u.DryRun {
		return total - u.Planned["skip"]
	}
	return 0
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
