package backfill

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Stats collects, as rows stream past, what the summary and the report show beyond the
// outcome counts: rows per day since the cutoff and the most common reasons rows were
// rejected or failed, with example lines. Its size is bounded by the number of days and of
// distinct reasons, not by the rows.
type Stats struct {
	idx     *csvdiff.Index
	days    map[string]map[string]int
	reasons map[string]*Reason
}

// Reason is one kind of rejection or failure.
type Reason struct {
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
	Count    int    `json:"count"`
	Examples []int  `json:"example_lines"`
}

// DayCount is the rows of one UTC day (by their latest cutoff date) by outcome.
type DayCount struct {
	Day      string         `json:"day"`
	Outcomes map[string]int `json:"outcomes"`
}

const maxReasons = 200 // distinct reasons kept; more are counted under "other"

func newStats(idx *csvdiff.Index) *Stats {
	return &Stats{idx: idx, days: map[string]map[string]int{}, reasons: map[string]*Reason{}}
}

// observe records one row of the diff with its outcome.
func (s *Stats) observe(r *csvdiff.Row) {
	switch r.Outcome {
	case csvdiff.Rejected:
		s.reason(runfolder.Rejected, rejectClass(r), r.Line)
		return
	case csvdiff.BeforeCutoff, csvdiff.Duplicate:
		return
	}
	if ns, ok := s.idx.RowTime(r); ok {
		s.day(time.Unix(0, ns).UTC().Format(time.DateOnly), runfolder.FromDiff(r.Outcome))
	}
}

// day counts one row of outcome o on day (YYYY-MM-DD).
func (s *Stats) day(day string, o runfolder.Outcome) {
	m := s.days[day]
	if m == nil {
		m = map[string]int{}
		s.days[day] = m
	}
	m[o.String()]++
}

func (s *Stats) reason(o runfolder.Outcome, class string, line int) {
	key := o.String() + "\x00" + class
	rs := s.reasons[key]
	if rs == nil {
		if len(s.reasons) >= maxReasons {
			key, class = o.String()+"\x00other", "other reasons"
			rs = s.reasons[key]
		}
		if rs == nil {
			rs = &Reason{Outcome: o.String(), Reason: class}
			s.reasons[key] = rs
		}
	}
	rs.Count++
	if len(rs.Examples) < 5 {
		rs.Examples = append(rs.Examples, line)
	}
}

// rejectClass is the reason without the row's value, so that rows rejected for the same
// cause group together.
func rejectClass(r *csvdiff.Row) string {
	e := r.Err
	if e == nil {
		return r.Detail
	}
	msg := e.Err.Error()
	// "wrong number of fields: 5 fields, the header has 6" groups by the first part.
	if i := strings.Index(msg, ":"); i > 0 && strings.Contains(msg[i:], "fields") {
		msg = msg[:i]
	}
	if i := strings.Index(msg, " at byte "); i > 0 {
		msg = msg[:i]
	}
	if e.Field != "" {
		return fmt.Sprintf("column %q: %s", e.Field, msg)
	}
	return msg
}

// failureClass keeps the status code and message of an sf__Error, without the fields part
// ("REQUIRED_FIELD_MISSING:Required fields are missing: [X]:X --").
func failureClass(detail string) string {
	d := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(detail), "--"))
	if i := strings.LastIndex(d, ":"); i > 0 && strings.Count(d, ":") >= 2 {
		d = d[:i]
	}
	return d
}

// Days returns the per-day counts in date order.
func (s *Stats) Days() []DayCount {
	out := make([]DayCount, 0, len(s.days))
	for d, m := range s.days {
		out = append(out, DayCount{Day: d, Outcomes: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out
}

// Reasons returns the reasons, most frequent first.
func (s *Stats) Reasons() []Reason {
	out := make([]Reason, 0, len(s.reasons))
	for _, r := range s.reasons {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Outcome+out[i].Reason < out[j].Outcome+out[j].Reason
	})
	return out
}
