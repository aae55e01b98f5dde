package csvdiff

import (
	"errors"
	"fmt"
	"strings"
)

// FileError reports a file that cannot be used at all: no header, binary content, a missing
// or ambiguous column. Nothing was written when it is returned. Hint says what to do.
type FileError struct {
	File string
	Line int // physical line, 0 when not about one line
	Err  error
	Hint string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// RowError is why one row was rejected, with its position. Row is the 1-based data-row
// number, Line the physical line where the row starts, Column the 1-based field (0 when the
// whole row is at fault) and Field that column's header.
type RowError struct {
	File   string
	Row    int
	Line   int
	Column int
	Field  string
	Value  string
	Err    error
}

// Reason is the error without the file and position: the ledger's detail.
func (e *RowError) Reason() string {
	var b strings.Builder
	if e.Field != "" {
		fmt.Fprintf(&b, "column %d %q: ", e.Column, e.Field)
	} else if e.Column > 0 {
		fmt.Fprintf(&b, "column %d: ", e.Column)
	}
	b.WriteString(e.Err.Error())
	if e.Value != "" {
		v := e.Value
		if len(v) > 60 {
			v = v[:60] + "..."
		}
		fmt.Fprintf(&b, " %q", v)
	}
	return b.String()
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s: row %d (line %d): %s", e.File, e.Row, e.Line, e.Reason())
}

func (e *RowError) Unwrap() error { return e.Err }

// Canonical returns the form headers are compared in: a Salesforce namespace prefix
// ("ns__") and the "__c" suffix removed, then [FoldName]. So "External Id", "external_id",
// "EXTERNAL-ID" and "nplms__External_Id__c" all become "externalid".
func Canonical(h string) string {
	h = strings.TrimSpace(h)
	if i := strings.Index(h, "__"); i > 0 && strings.HasSuffix(strings.ToLower(h), "__c") && i < len(h)-3 {
		h = h[i+2:]
	}
	return FoldName(strings.TrimSuffix(strings.TrimSuffix(h, "__c"), "__C"))
}

// FoldName returns the form labels and headers are compared in: lower case, without
// spaces, tabs, '_' and '-' ("Course ID", "course_id" and "COURSE-ID" are "courseid").
func FoldName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Header describes the export's header row and the columns the engine chose.
type Header struct {
	Names     []string // column names as in the file
	Line      int      // physical line of the header
	Delimiter byte
	BOM       bool
	Encoding  string
	// LineEnding is "CR" for a file whose lines end with CR alone (read as if LF); ""
	// otherwise (LF, CRLF or mixed).
	LineEnding string
	Key        int   // index of the key column
	Dates      []int // indexes of the cutoff date columns
	Updated    int   // index of the "Updated At" column, -1 when there is none
}

// KeyName returns the key column's header.
func (h *Header) KeyName() string { return h.Names[h.Key] }

// DateNames returns the cutoff date columns' headers.
func (h *Header) DateNames() []string {
	out := make([]string, len(h.Dates))
	for i, d := range h.Dates {
		out[i] = h.Names[d]
	}
	return out
}

// UpdatedName returns the "Updated At" column's header, or "".
func (h *Header) UpdatedName() string {
	if h.Updated < 0 {
		return ""
	}
	return h.Names[h.Updated]
}

// DelimiterName returns "comma", "semicolon" or "tab".
func (h *Header) DelimiterName() string { return delimName(h.Delimiter) }

func delimName(d byte) string {
	switch d {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}

// Role is what a column of the export is for. The same alias table finds a role's column
// in the export and, in package backfill, the Salesforce field it loads, so a column the
// engine detects is always loaded into the field of that role.
type Role int

// The roles.
const (
	RoleKey            Role = iota // the external id
	RoleEnrollmentDate             // the cutoff date
	RoleUpdatedAt                  // which duplicate wins; the package's old-timestamp check
	RoleRecordID                   // a Salesforce record Id (in a list of existing records)
)

// roleAliases are the names (in canonical form, see [Canonical]) a column of each role
// goes by, the preferred first.
var roleAliases = [...][]string{
	RoleKey:            {"externalid"},
	RoleEnrollmentDate: {"enrollmentdate", "enrolledat", "enrollmentdatetime"},
	RoleUpdatedAt:      {"updatedat", "lastupdated", "lastupdatedat", "updateddate", "lastactiveon"},
	RoleRecordID:       {"id", "salesforceid", "recordid", "sfid"},
}

// Aliases returns the canonical names a column of role r goes by.
func Aliases(r Role) []string { return append([]string(nil), roleAliases[r]...) }

// IsAlias reports whether name (a header, a field label or API name) is one of role r's
// names.
func IsAlias(r Role, name string) bool {
	c := Canonical(name)
	for _, a := range roleAliases[r] {
		if c == a {
			return true
		}
	}
	return false
}

// Auto-detected column names, in canonical form.
var (
	keyAliases     = roleAliases[RoleKey]
	dateAliases    = roleAliases[RoleEnrollmentDate]
	updatedAliases = roleAliases[RoleUpdatedAt]
	idAliases      = roleAliases[RoleRecordID]
)

// ErrNoKeyColumn is the cause of the [*FileError] of an export without a key column to
// find (no --key-column and no header like "External Id").
var ErrNoKeyColumn = errors.New("no key column")

// findColumn returns the indexes of the headers whose canonical form equals any of names'
// canonical forms.
func findColumn(headers []string, names ...string) []int {
	var out []int
	for i, h := range headers {
		c := Canonical(h)
		for _, n := range names {
			if c == Canonical(n) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// resolveColumn finds one column by a user-given name (or the aliases when name is empty).
// what is used in messages ("key column"), flag is the flag that sets it.
func resolveColumn(file string, line int, headers []string, name string, aliases []string, what, flag string) (int, error) {
	var idx []int
	if name != "" {
		idx = findColumn(headers, name)
	} else {
		idx = findColumn(headers, aliases...)
	}
	switch {
	case len(idx) == 1:
		return idx[0], nil
	case len(idx) > 1:
		names := make([]string, len(idx))
		for i, k := range idx {
			names[i] = fmt.Sprintf("%q (column %d)", headers[k], k+1)
		}
		return -1, &FileError{File: file, Line: line,
			Err:  fmt.Errorf("the %s is named more than once: %s", what, strings.Join(names, ", ")),
			Hint: fmt.Sprintf("rename or remove the extra column, or choose one with %s", flag)}
	}
	want := name
	if want == "" {
		want = aliases[0]
	}
	msg := fmt.Sprintf("no %s %q", what, want)
	if name == "" {
		msg = fmt.Sprintf("no %s found (looked for a header like %q)", what, displayAlias(aliases[0]))
	}
	hint := fmt.Sprintf("name the column with %s; the headers are: %s", flag, quoteList(headers))
	switch c := closest(headers, want); {
	case c != "" && what == "key column" && Canonical(c) == "id":
		// The record Id is Salesforce's own, never the external id.
		hint = fmt.Sprintf("%q is the record Id, not the external id: export the External Id field too, or name the key column with %s; the headers are: %s",
			c, flag, quoteList(headers))
	case c != "":
		hint = fmt.Sprintf("did you mean %q? Pass %s %q; the headers are: %s", c, flag, c, quoteList(headers))
	}
	var err error = errors.New(msg)
	if what == "key column" && name == "" {
		err = &wrapped{msg: msg, err: ErrNoKeyColumn}
	}
	return -1, &FileError{File: file, Line: line, Err: err, Hint: hint}
}

func displayAlias(a string) string {
	switch a {
	case "externalid":
		return "External Id"
	case "enrollmentdate":
		return "Enrollment Date"
	}
	return a
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// closest returns the header nearest to want by edit distance of canonical forms, or ""
// when none is reasonably close.
func closest(headers []string, want string) string {
	w := Canonical(want)
	best, bestD := "", 1<<30
	for _, h := range headers {
		c := Canonical(h)
		d := levenshtein(c, w)
		if strings.Contains(c, w) || strings.Contains(w, c) && c != "" {
			d = min(d, 1+abs(len(c)-len(w))/2)
		}
		if d < bestD {
			best, bestD = h, d
		}
	}
	if bestD > max(2, len(w)/2) {
		return ""
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// detectDelimiter counts ',', ';' and tabs outside quotes in the header line.
func detectDelimiter(line []byte) byte {
	var n [3]int
	in := false
	for _, c := range line {
		switch c {
		case '"':
			in = !in
		case ',':
			if !in {
				n[0]++
			}
		case ';':
			if !in {
				n[1]++
			}
		case '\t':
			if !in {
				n[2]++
			}
		}
	}
	switch {
	case n[1] > n[0] && n[1] >= n[2]:
		return ';'
	case n[2] > n[0] && n[2] > n[1]:
		return '\t'
	}
	return ','
}

// wrapped is a message that wraps a sentinel without repeating it.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }
