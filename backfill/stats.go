package backfill

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

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

// Reason is one kind of rejection or failure: the rows whose messages differ only by their
// values.
type Reason struct {
	Outcome string `json:"outcome"`
	// Reason is the message with the row's values replaced by placeholders (<value>,
	// <email>, <Id>, <n>): Salesforce's "CODE:message", or what made backfill reject the row.
	Reason   string `json:"reason"`
	Count    int    `json:"count"`
	Examples []int  `json:"example_lines"` // the first few lines, in the order seen
	// Example is the first row's message as Salesforce wrote it, when Reason left a value
	// out of it.
	Example string `json:"example,omitempty"`
}

// DayCount is the rows of one UTC day (by their latest cutoff date) by outcome.
type DayCount struct {
	Day      string         `json:"day"`
	Outcomes map[string]int `json:"outcomes"`
}

const (
	maxReasons  = 200 // distinct reasons kept; more are counted under "other"
	maxExamples = 5   // example lines kept per reason
)

func newStats(idx *csvdiff.Index) *Stats {
	return &Stats{idx: idx, days: map[string]map[string]int{}, reasons: map[string]*Reason{}}
}

// observe records one row of the diff with its outcome.
func (s *Stats) observe(r *csvdiff.Row) {
	switch r.Outcome {
	case csvdiff.Rejected:
		s.reason(runfolder.Rejected, rejectReason(r), r.Line)
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

// reasonClass is what a reason groups rows by, and the message of the row that was seen.
type reasonClass struct {
	pattern string // the message without the row's values
	example string // the message as it was, or "" when it is the pattern
}

// reason counts one row of outcome o for the reason c, at line.
func (s *Stats) reason(o runfolder.Outcome, c reasonClass, line int) {
	key := o.String() + "\x00" + c.pattern
	rs := s.reasons[key]
	if rs == nil {
		if len(s.reasons) >= maxReasons {
			key, c = o.String()+"\x00other", reasonClass{pattern: "other reasons"}
			rs = s.reasons[key]
		}
		if rs == nil {
			rs = &Reason{Outcome: o.String(), Reason: c.pattern, Example: c.example}
			s.reasons[key] = rs
		}
	}
	rs.Count++
	if len(rs.Examples) < maxExamples {
		rs.Examples = append(rs.Examples, line)
	}
}

// rejectReason is what a rejected row is grouped by: a refusal foreseen (the skip-invalid
// option) by its code and message without the values, as Salesforce's own refusals are;
// anything else by rejectClass.
func rejectReason(r *csvdiff.Row) reasonClass {
	if ForeseenCode(r.Detail) == "" {
		return reasonClass{pattern: rejectClass(r)}
	}
	msg, _, _ := strings.Cut(r.Detail, "; ") // the refusal, without "Id: Salesforce differs in ..."
	c := reasonClass{pattern: valuePattern(msg)}
	if c.pattern != msg {
		c.example = msg
	}
	return c
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

// failureClass groups an sf__Error, "CODE:message:fields --", by its status code and its
// message without the fields part and without the row's values, so that 68 invalid email
// addresses make one reason (other details, such as a refused job's error, are grouped by
// their values left out too):
//
//	INVALID_EMAIL_ADDRESS:Email: invalid email address: bob@@x.com:Email --
//	INVALID_EMAIL_ADDRESS:Email: invalid email address: <value>
//
// The message as it was (with its fields) is kept as the example.
func failureClass(detail string) reasonClass {
	msg := strings.TrimSpace(detail)
	withFields := false
	if m, ok := strings.CutSuffix(msg, "--"); ok {
		msg, withFields = strings.TrimSpace(m), true
	}
	example := strings.TrimSuffix(msg, ":")
	if i := strings.LastIndex(msg, ":"); i > 0 && withFields && isFieldList(msg[i+1:]) {
		msg = strings.TrimSpace(msg[:i])
	}
	code, text := "", msg
	if i := strings.Index(msg, ":"); i > 0 && isStatusCode(msg[:i]) {
		code, text = msg[:i+1], msg[i+1:]
	}
	c := reasonClass{pattern: code + valuePattern(text)}
	if c.pattern != msg {
		c.example = example
	}
	return c
}

// isStatusCode reports whether s looks like a Salesforce status code: REQUIRED_FIELD_MISSING.
func isStatusCode(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9') {
			return false
		}
	}
	return len(s) >= 3
}

// isFieldList reports whether s is the fields part of an sf__Error: field names separated
// by spaces or commas, or nothing.
func isFieldList(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		for i, r := range f {
			if !(unicode.IsLetter(r) || r == '_' || i > 0 && unicode.IsDigit(r)) {
				return false
			}
		}
	}
	return true
}

// The values Salesforce puts in its messages, most specific first: each rule replaces what
// it matches with a placeholder the later rules do not match.
var (
	// Messages that end with the value: "Name: data value too large: <text> (max length=80)".
	valueAfter = regexp.MustCompile(`(?is)(data value too large|invalid email address|value not of required type|bad value for restricted picklist field|id value of incorrect type|duplicate external id specified): .*?( \(max length=\d+\))?$`)
	// Values inside: "Failed to deserialize field at col 5. Due to, 31/12/2025 is not a valid
	// value for the type xsd:date", "Foreign key external ID: k-1 not found for field ...".
	valueWithin = regexp.MustCompile(`(?s)(Due to, |Foreign key external ID: ).+?( is not a valid value| not found for field)`)
	emailValue  = regexp.MustCompile(`[^\s:,;'"<>()\[\]]+@[^\s:,;'"<>()\[\]]*`)
	quotedValue = regexp.MustCompile(`(^|\W)('[^']*'|"[^"]*")($|\W)`)
	// Salesforce record Ids: 15 or 18 letters and digits, some of them digits (a0E5g000001AbCdEAK).
	idValue     = regexp.MustCompile(`\b[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?\b`)
	numberValue = regexp.MustCompile(`\b\d+(?:[.,:/-]\d+)*(?:T[\d:.]+Z?)?\b`)
	// A last ": " part that is one token with a digit, an @, or a . or / inside: a value.
	lastValue = regexp.MustCompile(`: [^\s\[<]*(?:\d|@|[./][^\s.])[^\s]*$`)
)

// valuePattern replaces the values in a Salesforce message with placeholders: the text
// after a phrase that introduces a value, emails, quoted values, record Ids, a last ": "
// part that is a value, then numbers and dates.
func valuePattern(msg string) string {
	msg = valueAfter.ReplaceAllString(msg, "$1: <value>$2")
	msg = valueWithin.ReplaceAllString(msg, "${1}<value>$2")
	msg = emailValue.ReplaceAllString(msg, "<email>")
	msg = quotedValue.ReplaceAllStringFunc(msg, func(m string) string {
		q := quotedValue.FindStringSubmatch(m)
		return q[1] + q[2][:1] + "<value>" + q[2][:1] + q[3]
	})
	msg = idValue.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.ContainsAny(m, "0123456789") {
			return "<Id>"
		}
		return m
	})
	msg = lastValue.ReplaceAllString(msg, ": <value>")
	return numberValue.ReplaceAllString(msg, "<n>")
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
