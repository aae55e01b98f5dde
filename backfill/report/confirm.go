package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// Confirm returns the job's Hooks.Confirm for a person at a terminal: it prints the plan's
// summary table to out, asks whether to load, and reads the answer from in ("y" or "yes",
// any case, loads; anything else cancels).
func Confirm(in io.Reader, out io.Writer) func(*backfill.Summary) (bool, error) {
	return func(s *backfill.Summary) (bool, error) {
		if s.Command == "undo" && s.Undo != nil {
			if err := PrintUndo(out, s.RunFolder, s.Undo, "table"); err != nil {
				return false, err
			}
			fmt.Fprintf(out, "\nDelete %s and restore %s in %s? Type yes to continue: ",
				backfill.Plural(s.Undo.Planned["delete"], "record"), backfill.Plural(s.Undo.Planned["restore"], "record"), s.Object)
			return yes(in), nil
		}
		if err := PrintSummary(out, s, "table"); err != nil {
			return false, err
		}
		n := s.Count(runfolder.ToInsert, runfolder.ToUpdate)
		fmt.Fprintf(out, "\nUpsert %s into %s on %s? Type yes to continue: ", backfill.Plural(n, "row"), s.Object, s.ExternalIDField)
		return yes(in), nil
	}
}

// yes reads one answer: "y" or "yes", any case.
func yes(in io.Reader) bool {
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}
