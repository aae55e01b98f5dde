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
		fmt.Fprintf(out, "\nUpsert %s into %s on %s in %s? Type yes to continue: ", backfill.Plural(n, "row"), s.Object, s.ExternalIDField, orgWords(s.Org))
		return yes(in), nil
	}
}

// orgWords names the org of a prompt: OrgLine, or "the org logged in to" when the summary
// names none.
func orgWords(o *backfill.OrgInfo) string {
	if l := OrgLine(o); l != "" {
		return l
	}
	return "the org logged in to"
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
