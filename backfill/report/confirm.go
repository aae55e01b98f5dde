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
		if err := PrintSummary(out, s, "table"); err != nil {
			return false, err
		}
		n := s.Count(runfolder.ToInsert, runfolder.ToUpdate)
		fmt.Fprintf(out, "\nUpsert %d rows into %s on %s? Type yes to continue: ", n, s.Object, s.ExternalIDField)
		line, _ := bufio.NewReader(in).ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}
