package backfill

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// Refusals foreseen: before anything is sent, the plan judges every row it would upload
// with the rules Salesforce applies to a Bulk row, read from describe (docs/SALESFORCE.md,
// "the refusals a plan foresees"; the emulator of package sfclient/sftest applies the same
// rules, and a test compares both row by row). A row Salesforce is expected to refuse keeps
// its outcome (to_insert, to_update) and its ledger detail begins with the status code
// expected; with PlanOptions.SkipInvalid it is rejected instead and never sent.

// The status codes a plan foresees.
const (
	CodeRequiredMissing   = "REQUIRED_FIELD_MISSING"
	CodeInvalidEmail      = "INVALID_EMAIL_ADDRESS"
	CodeRestrictedPick    = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
	CodeStringTooLong     = "STRING_TOO_LONG"
	CodeNumberOutOfRange  = "NUMBER_OUTSIDE_VALID_RANGE"
	CodeNotWritableInLoad = "INVALID_FIELD_FOR_INSERT_UPDATE"
)

// foreseenCodes are the codes a ledger detail may begin with when the plan foresaw a
// refusal.
var foreseenCodes = []string{CodeRequiredMissing, CodeInvalidEmail, CodeRestrictedPick, CodeStringTooLong,
	CodeNumberOutOfRange, CodeNotWritableInLoad}

// ForeseenCode returns the status code a plan's ledger detail begins with when the plan
// foresaw that Salesforce will refuse the row, or "".
func ForeseenCode(detail string) string {
	code, _, ok := strings.Cut(detail, ": ")
	if ok && slices.Contains(foreseenCodes, code) {
		return code
	}
	return ""
}

// refusal is one refusal foreseen for a row: the status code and message Salesforce is
// expected to answer, the field and the value at fault.
type refusal struct {
	code, msg string
	field     *sfclient.Field
	value     string
}

// detail is the ledger detail of the row: the code, then the message.
func (r refusal) detail() string { return r.code + ": " + r.msg }

// emailShape is the shape of an address Salesforce accepts: no space, one @, a dot after it.
var emailShape = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// foreseer judges the values of a row to upload as Salesforce would: each cell in
// to_import.csv's column order (the first refusal is the row's), then the required fields.
type foreseer struct {
	cols     []*sfclient.Field // the upload's columns: the target's columns, then the .sdl constants
	key      int               // the external id's column
	required []*sfclient.Field // the object's required fields, in describe order
}

func newForeseer(t *Target) *foreseer {
	f := &foreseer{key: -1}
	for i, c := range t.Columns {
		f.cols = append(f.cols, c.Field)
		if c.Source == "key" {
			f.key = i
		}
	}
	for _, name := range t.constantFields() {
		f.cols = append(f.cols, t.Field(name))
	}
	fields := t.order
	if len(fields) == 0 { // a target built without describe's order
		for _, fl := range t.Fields {
			fields = append(fields, fl)
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	}
	for _, fl := range fields {
		if fl.Createable && !fl.Nillable && !fl.DefaultedOnCreate && fl.Type != "boolean" {
			f.required = append(f.required, fl)
		}
	}
	return f
}

// judge returns the refusal foreseen for a row whose upload values are vals (then
// consts), a new record when creating.
func (f *foreseer) judge(vals [][]byte, consts []string, creating bool) (refusal, bool) {
	set := make(map[*sfclient.Field]bool, len(f.cols)) // a non-empty cell; false: set to null
	for i, fl := range f.cols {
		var v string
		if i < len(vals) {
			v = string(vals[i])
		} else if i-len(vals) < len(consts) {
			v = consts[i-len(vals)]
		}
		if i == f.key && !creating || v == "" || fl == nil {
			continue
		}
		if r, ok := judgeCell(fl, v, creating); ok {
			return r, true
		}
		set[fl] = v != "#N/A"
	}
	var missing []string
	for _, fl := range f.required {
		isSet, given := set[fl]
		if creating && !isSet || !creating && given && !isSet {
			missing = append(missing, fl.Name)
		}
	}
	if len(missing) > 0 {
		return refusal{code: CodeRequiredMissing, msg: "Required fields are missing: [" + strings.Join(missing, ", ") + "]",
			field: fieldNamed(f.required, missing[0])}, true
	}
	return refusal{}, false
}

func fieldNamed(fields []*sfclient.Field, name string) *sfclient.Field {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// judgeCell judges one non-empty value in its Bulk form for field f.
func judgeCell(f *sfclient.Field, v string, creating bool) (refusal, bool) {
	bad := func(code, format string, args ...any) (refusal, bool) {
		return refusal{code: code, msg: fmt.Sprintf(format, args...), field: f, value: v}, true
	}
	switch {
	case creating && !f.Createable || !creating && !f.Updateable:
		return bad(CodeNotWritableInLoad, "Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name)
	case v == "#N/A":
		return refusal{}, false
	}
	switch f.Type {
	case "double", "percent", "currency", "long":
		if f.Precision > 0 && integerDigits(v) > f.Precision-f.Scale {
			return bad(CodeNumberOutOfRange, "%s: value outside of valid range on numeric field: %s", f.Label, v)
		}
	case "int", "boolean", "reference":
	case "date", "datetime":
		// Salesforce stores dates from 1700 to 4000 (FIELD_INTEGRITY_EXCEPTION outside);
		// the plan reads only years 1800 to 2200 and rejects any other date itself, so
		// no date it sends is out of that range.
	case "email":
		if !emailShape.MatchString(v) {
			return bad(CodeInvalidEmail, "%s: invalid email address: %s", f.Label, truncateValue(v))
		}
		return tooLong(f, v)
	case "picklist":
		if f.RestrictedPicklist {
			p, ok := pickValue(f, v)
			if !ok {
				return bad(CodeRestrictedPick, "%s: bad value for restricted picklist field: %s", f.Label, truncateValue(v))
			}
			return tooLong(f, p)
		}
		return tooLong(f, v)
	default:
		return tooLong(f, v)
	}
	return refusal{}, false
}

// pickValue is the active value of a restricted picklist that v names, compared as
// Salesforce compares them: case-insensitively, every space significant.
func pickValue(f *sfclient.Field, v string) (string, bool) {
	for _, p := range f.PicklistValues {
		if p.Active && strings.EqualFold(p.Value, v) {
			return p.Value, true
		}
	}
	return "", false
}

// tooLong refuses a text value longer than the field's length, in characters.
func tooLong(f *sfclient.Field, v string) (refusal, bool) {
	if f.Length > 0 && utf8.RuneCountInString(v) > f.Length {
		return refusal{code: CodeStringTooLong, msg: fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, truncateValue(v), f.Length),
			field: f, value: v}, true
	}
	return refusal{}, false
}

// integerDigits counts the digits of a decimal before its point, leading zeros aside.
func integerDigits(v string) int {
	s := strings.TrimLeft(v, "+-")
	s, _, _ = strings.Cut(s, ".")
	return len(strings.TrimLeft(s, "0"))
}

// Foreseen is one kind of refusal the plan foresees: the rows whose values Salesforce is
// expected to refuse for the same status code and field.
type Foreseen struct {
	Code  string `json:"code"`
	Field string `json:"field"`
	Label string `json:"label"`
	// Outcome is what the rows are in the ledger: to_insert and to_update (loaded, and
	// expected to fail), or rejected (left out with the skip-invalid option).
	Outcome string `json:"outcome"`
	Count   int    `json:"count"`
	Lines   []int  `json:"example_lines"`
	// Examples are the first distinct values at fault, as the export holds them.
	Examples []string `json:"examples,omitempty"`
	// Allowed are the values the field takes, for a restricted picklist.
	Allowed []string `json:"allowed,omitempty"`
	Message string   `json:"message"` // the first row's message, as Salesforce is expected to write it
	Fix     string   `json:"fix"`
	limit   int      // the field's length or digits, for the fix
	prec    int
}

// foreseenSet collects the refusals foreseen, by code and field; bounded by the fields.
type foreseenSet struct {
	byKey map[string]*Foreseen
	rows  int
}

func (s *foreseenSet) add(r refusal, line int, outcome runfolder.Outcome) {
	if s.byKey == nil {
		s.byKey = map[string]*Foreseen{}
	}
	name, label := "", ""
	if r.field != nil {
		name, label = r.field.Name, r.field.Label
	}
	key := r.code + "\x00" + name + "\x00" + outcome.String()
	g := s.byKey[key]
	if g == nil {
		g = &Foreseen{Code: r.code, Field: name, Label: label, Outcome: outcome.String(), Message: r.msg}
		if r.field != nil {
			g.limit, g.prec = r.field.Length, r.field.Precision-r.field.Scale
			if r.code == CodeRestrictedPick {
				for _, p := range r.field.PicklistValues {
					if p.Active {
						g.Allowed = append(g.Allowed, p.Value)
					}
				}
			}
		}
		s.byKey[key] = g
	}
	s.rows++
	g.Count++
	if len(g.Lines) < maxExamples {
		g.Lines = append(g.Lines, line)
	}
	if v := truncateValue(r.value); r.value != "" && len(g.Examples) < 3 && !slices.Contains(g.Examples, v) {
		g.Examples = append(g.Examples, v)
	}
}

// list returns the groups, most rows first, each with its fix in w's words.
func (s *foreseenSet) list(w Words, object string) []Foreseen {
	out := make([]Foreseen, 0, len(s.byKey))
	for _, g := range s.byKey {
		g.Fix = foreseenFix(w, g, object)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Code+out[i].Field < out[j].Code+out[j].Field
	})
	return out
}

// foreseenFix says how to make Salesforce accept the rows of g.
func foreseenFix(w Words, g *Foreseen, object string) string {
	var fix string
	switch g.Code {
	case CodeRequiredMissing:
		fix = fmt.Sprintf("fill %s in these rows of the export (every new %s record needs it), or set it for every row in a .sdl mapping (%s)",
			g.Label, object, w.Option(OptMapping, ""))
	case CodeInvalidEmail:
		fix = "correct the addresses in the export (one @, a domain with a dot, no spaces)"
	case CodeRestrictedPick:
		fix = fmt.Sprintf("use one of the picklist's values (%s; case does not matter, spaces do), or add the value in Setup > Object Manager > %s > Fields > %s",
			strings.Join(g.Allowed, ", "), object, g.Label)
	case CodeStringTooLong:
		fix = fmt.Sprintf("shorten the values to %d characters, or lengthen the field in Setup", g.limit)
	case CodeNumberOutOfRange:
		fix = fmt.Sprintf("the field holds at most %d digits before the point: correct the values (a percentage as 45, not 4500)", g.prec)
	case CodeNotWritableInLoad:
		fix = "give the user who loads edit access to the field (its field-level security), or leave the column out"
	}
	if g.Outcome != runfolder.Rejected.String() {
		fix += "; or leave these rows out of the upload with " + w.Option(OptSkipInvalid, "")
	}
	return fix
}

// foreseenWarnings warns about rows to load that Salesforce is expected to refuse.
func foreseenWarnings(w Words, fs []Foreseen) []Warning {
	n := 0
	var top []string
	for _, g := range fs {
		if g.Outcome == runfolder.Rejected.String() {
			continue
		}
		n += g.Count
		if len(top) < 3 {
			top = append(top, fmt.Sprintf("%s on %s (%s)", g.Code, g.Label, Plural(g.Count, "row")))
		}
	}
	if n == 0 {
		return nil
	}
	return []Warning{{Kind: "refusals", Count: n, Reasons: top,
		Message: fmt.Sprintf("%s to load %s values Salesforce is expected to refuse (foreseen from describe; the ledger's detail begins with the status code)",
			Plural(n, "row"), verb(n, "holds", "hold")),
		Fix: "correct them in the export (the report gives each kind's fix), or leave them out with " + w.Option(OptSkipInvalid, "")}}
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// RefusalCheck compares, after an import, the refusals the plan foresaw with those
// Salesforce made.
type RefusalCheck struct {
	Foreseen int `json:"foreseen"`    // rows sent that the plan expected Salesforce to refuse
	Refused  int `json:"refused"`     // rows Salesforce refused (failed)
	AsSaid   int `json:"as_foreseen"` // foreseen and refused with the code foreseen
	// OtherCode are foreseen rows Salesforce refused with another code; Accepted the
	// foreseen rows it loaded; Unforeseen the rows it refused that the plan did not foresee.
	OtherCode  int `json:"other_code"`
	Accepted   int `json:"accepted"`
	Unforeseen int `json:"unforeseen"`
	// LeftOut are the rows the skip-invalid option kept out of the upload.
	LeftOut int `json:"left_out"`
	// Examples name a few rows where the plan and Salesforce disagreed.
	Examples []string `json:"examples,omitempty"`
}

// Agreed reports whether Salesforce refused exactly what the plan foresaw.
func (c *RefusalCheck) Agreed() bool { return c.OtherCode+c.Accepted+c.Unforeseen == 0 }

// checkRefusals compares the plan's ledger (kept as plan-ledger.csv) with the final
// ledger, line by line: a failed row's code is the start of its sf__Error.
func checkRefusals(folder *runfolder.Folder) (*RefusalCheck, error) {
	c := &RefusalCheck{}
	foreseen := map[int]string{}
	err := folder.ReadLedger(runfolder.PlanLedgerFile, func(e runfolder.Entry) error {
		if code := ForeseenCode(e.Detail); code != "" {
			if e.Outcome == runfolder.Rejected {
				c.LeftOut++
			} else if e.Outcome.Planned() {
				foreseen[e.Line] = code
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Foreseen = len(foreseen)
	example := func(format string, args ...any) {
		if len(c.Examples) < maxExamples {
			c.Examples = append(c.Examples, fmt.Sprintf(format, args...))
		}
	}
	err = folder.ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		want, was := foreseen[e.Line]
		got := ""
		if e.Outcome == runfolder.Failed {
			c.Refused++
			got, _, _ = strings.Cut(e.Detail, ":")
		}
		switch {
		case !was && got != "":
			c.Unforeseen++
			example("line %d: refused with %s, not foreseen", e.Line, got)
		case !was:
		case got == want:
			c.AsSaid++
		case got != "":
			c.OtherCode++
			example("line %d: foreseen %s, refused with %s", e.Line, want, got)
		default:
			c.Accepted++
			example("line %d: foreseen %s, but Salesforce %s it", e.Line, want, strings.ReplaceAll(e.Outcome.String(), "_", " "))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
