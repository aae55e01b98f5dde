package backfill

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Guards: nothing wrong without a loud word. Many rejected rows, a date order that had to be
// assumed, an encoding that looks wrong or a cutoff in the future become warnings printed on
// stdout, stored in summary.json and shown in the report; above the rejected-rows limit,
// plan and import refuse to write to Salesforce and a clean's status says so.

// Thresholds of the rejected-rows guard, in percent of the data rows.
const (
	WarnRejectedPercent       = 1.0 // above this the summary prints a WARNING block
	DefaultMaxRejectedPercent = 5.0 // above this plan/import refuse, clean exits 3
)

// dateLayouts describes how each date column was read, and warns for a guessed order.
func dateLayouts(w Words, idx *csvdiff.Index) ([]DateLayout, []Warning) {
	var out []DateLayout
	var ws []Warning
	for _, l := range idx.DateLayouts() {
		out = append(out, DateLayout{Column: l.Column, Layout: l.Describe(), Order: l.Order.String(), Assumed: l.Assumed})
		if l.Assumed {
			ws = append(ws, Warning{Kind: "date-order", Count: l.Slash,
				Message: fmt.Sprintf("column %q: none of its %s N/N/YYYY dates has a number over 12, so month-first (US) was assumed", l.Column, Group(int64(l.Slash))),
				Fix:     "check a few rows; if the dates are day-first, run again with " + w.Option(OptDateFormat, "d/M/yyyy") + " (add H:mm when they have times)"})
		}
	}
	return out, ws
}

// rejectedWarnings looks at the rejected rows: above WarnRejectedPercent, or any with
// invalid UTF-8, it warns with the top reasons and the flag that fixes them.
func rejectedWarnings(w Words, sum *Summary) []Warning {
	rejected := sum.Count(runfolder.Rejected)
	if rejected == 0 {
		return nil
	}
	var top []string
	encoding, dates, foreseen, other := 0, 0, 0, 0
	for _, r := range sum.Reasons {
		if r.Outcome != runfolder.Rejected.String() {
			continue
		}
		if len(top) < 3 {
			top = append(top, fmt.Sprintf("%s (%s)", r.Reason, Plural(r.Count, "row")))
		}
		switch {
		case strings.Contains(r.Reason, csvdiff.ErrInvalidUTF8.Error()):
			encoding += r.Count
		case strings.Contains(r.Reason, csvdiff.ErrBadDate.Error()):
			dates += r.Count
		case ForeseenCode(r.Reason) != "":
			foreseen += r.Count
		default:
			other += r.Count
		}
	}
	var ws []Warning
	if encoding > 0 {
		ws = append(ws, Warning{Kind: "encoding", Count: encoding,
			Message: fmt.Sprintf("%s rejected as invalid UTF-8: the file looks like it was saved by Excel on Windows", Plural(encoding, "row")),
			Fix:     "run again with " + w.Option(OptEncoding, "windows-1252")})
	}
	share := percentOf(rejected, sum.Rows)
	if share > WarnRejectedPercent {
		// One fix per kind of reason, the encoding first (it changes how every row reads),
		// then the largest: a date fix only for the rows whose dates did not parse.
		type part struct {
			n   int
			fix string
		}
		parts := []part{
			{encoding, "run again with " + w.Option(OptEncoding, "windows-1252") + " (invalid UTF-8)"},
			{dates, fmt.Sprintf("the dates of %s are not in a format the plan reads: run again with %s and their pattern (e.g. dd.MM.yyyy HH:mm)",
				Plural(dates, "row"), w.Option(OptDateFormat, ""))},
			{foreseen, fmt.Sprintf("Salesforce would refuse %s: correct their values (the report gives each kind's fix)", Plural(foreseen, "row"))},
			{other, fmt.Sprintf("read rejects.csv for %s and fix the export, or say how to read it (%s)", Plural(other, "row"), w.Help(CmdPlan))},
		}
		rest := parts[1:]
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].n > rest[j].n })
		var fixes []string
		for _, p := range parts {
			if p.n > 0 {
				fixes = append(fixes, p.fix)
			}
		}
		fix := strings.Join(fixes, "; ")
		ws = append(ws, Warning{Kind: "rejected", Count: rejected, Reasons: top, Fix: fix,
			Message: fmt.Sprintf("%s of %s (%.1f%%) %s rejected", Plural(rejected, "row"), Group(int64(sum.Rows)), share, wasWere(rejected))})
	}
	return ws
}

// cutoffWarning warns when the cutoff is in the future: every row would be left out.
func cutoffWarning(j *job, since time.Time) []Warning {
	if !since.After(j.now()) {
		return nil
	}
	w := j.words()
	return []Warning{{Kind: "cutoff", Message: fmt.Sprintf("the cutoff %s is in the future: rows dated before it are left out", w.Option(OptSince, since.Format(time.RFC3339))),
		Fix: "check " + w.Option(OptSince, "") + " (the default is " + DefaultCutoff.Format(time.DateOnly) + ", when the sync stopped)"}}
}

// checkRejected refuses to load a plan whose rejected rows pass its limit.
func checkRejected(sum *Summary) error {
	if sum.Status != StatusTooManyRejected {
		return nil
	}
	return sum.RejectedError()
}

// RejectedError is the refusal of the summary's rejected rows: their count, the share and
// the limit.
func (s *Summary) RejectedError() *RejectedError {
	rejected := s.Count(runfolder.Rejected)
	return &RejectedError{Rejected: rejected, Rows: s.Rows, Percent: percentOf(rejected, s.Rows), Max: s.MaxRejected}
}

func percentOf(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
