package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/northpass-tools/backfill/backfill"
)

// A runbook is a CSV file with a header row and one customer a line. Its columns are named
// by the job's options ([backfill.Option]): customer, target_org and export are required,
// the plan's options are optional. The runbook holds no secret: each org is reached through
// its Salesforce CLI alias.

// The runbook's own columns: the customer's name (also its run folder's name) and its
// Salesforce CLI alias. The export is [backfill.OptExport].
const (
	ColCustomer  backfill.Option = "customer"
	ColTargetOrg                 = backfill.OptTargetOrg
	ColExport                    = backfill.OptExport
)

// Columns are the columns a runbook may have, required ones first.
var Columns = []backfill.Option{
	ColCustomer, ColTargetOrg, ColExport,
	backfill.OptSince, backfill.OptObject, backfill.OptExternalIDField, backfill.OptMapping,
	backfill.OptUpdateStale, backfill.OptDateFormat, backfill.OptDateColumn, backfill.OptKeyColumn,
	backfill.OptUpdatedColumn, backfill.OptEncoding, backfill.OptMaxRejected, backfill.OptOrderBy,
	backfill.OptSkippedBeforeCutoff, backfill.OptSandbox,
}

// required are the columns every runbook has and every line fills.
var required = []backfill.Option{ColCustomer, ColTargetOrg, ColExport}

// ListSeparator separates the values of a column that takes several (date_column).
const ListSeparator = "|"

// Sentinels a [RunbookError] wraps.
var (
	ErrUnknownColumn     = errors.New("not a runbook column")
	ErrMissingColumn     = errors.New("the runbook has no such column")
	ErrDuplicateColumn   = errors.New("the column is named twice")
	ErrDuplicateCustomer = errors.New("the customer is named twice")
	ErrBadName           = errors.New("cannot be a folder's name")
	ErrNoCustomers       = errors.New("the runbook names no customer")
	ErrFieldCount        = errors.New("the line has another number of cells than the header")
)

// RunbookError is a runbook that cannot be used, found before any work: the file, the line
// (1-based; 0 for the file as a whole), the column and value at fault, and why (a sentinel
// above, [backfill.ErrRequired], or the job's [*backfill.OptionError] for a value the plan
// would refuse).
type RunbookError struct {
	File   string
	Line   int
	Column backfill.Option // "" when no one column is at fault
	Value  string
	Err    error
	// First is the line that already named the customer, for ErrDuplicateCustomer.
	First int
	// Known are the columns a runbook may have, for ErrUnknownColumn.
	Known []backfill.Option
}

func (e *RunbookError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	var oe *backfill.OptionError
	switch {
	case errors.Is(e.Err, ErrUnknownColumn):
		return fmt.Sprintf("%s: column %q is %v", where, e.Value, e.Err)
	case errors.Is(e.Err, ErrMissingColumn):
		return fmt.Sprintf("%s: the runbook has no %s column", where, e.Column)
	case errors.Is(e.Err, ErrDuplicateColumn):
		return fmt.Sprintf("%s: column %s is named twice", where, e.Column)
	case errors.Is(e.Err, ErrDuplicateCustomer):
		return fmt.Sprintf("%s: customer %q is named twice (first on line %d)", where, e.Value, e.First)
	case errors.Is(e.Err, backfill.ErrRequired):
		return fmt.Sprintf("%s: the %s cell is empty", where, e.Column)
	case errors.Is(e.Err, ErrNoCustomers), errors.Is(e.Err, ErrFieldCount) && e.Column == "":
		return fmt.Sprintf("%s: %v", where, e.Err)
	case errors.As(e.Err, &oe):
		return fmt.Sprintf("%s: %s %q: %v", where, e.Column, e.Value, oe.Err)
	}
	if e.Column == "" {
		return fmt.Sprintf("%s: %v", where, e.Err)
	}
	return fmt.Sprintf("%s: %s %q: %v", where, e.Column, e.Value, e.Err)
}

func (e *RunbookError) Unwrap() error { return e.Err }

// Customer is one line of a runbook.
type Customer struct {
	Name      string
	TargetOrg string
	Line      int
	// Cells are the line's non-empty cells by column, as written (export and mapping made
	// absolute).
	Cells map[backfill.Option]string
	opts  backfill.PlanOptions
}

// PlanOptions are the options of the customer's plan: its export, how to read it and where
// it goes, its alias (and sandbox). Front, Out and the rest of the login are the caller's.
func (c *Customer) PlanOptions() backfill.PlanOptions { return c.opts }

// MaxRejected is the customer's rejected-rows limit (nil for the default).
func (c *Customer) MaxRejected() *float64 { return c.opts.Export.MaxRejected }

// Runbook is a parsed runbook: its customers in the order of its lines.
type Runbook struct {
	File      string
	Columns   []backfill.Option // the header, canonical
	Customers []*Customer
}

// Customer returns the customer named name (compared as folder names are on Windows and
// macOS: regardless of case), or nil.
func (r *Runbook) Customer(name string) *Customer {
	for _, c := range r.Customers {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// ReadRunbook reads and checks the runbook at path before any work: its header names only
// known columns and every required one; each line names a customer usable as a folder's
// name, once; its export (relative to the runbook's folder, or absolute) is a readable file
// and its other cells are values the plan takes. The first problem is a [*RunbookError].
func ReadRunbook(path string) (*Runbook, error) {
	return readRunbook(path, true)
}

// readRunbook reads path; checkFiles also checks the files it names (a batch's own copy is
// read without: its exports may have moved since they were planned).
func readRunbook(path string, checkFiles bool) (*Runbook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &RunbookError{File: path, Err: err}
	}
	return parseRunbook(b, path, checkFiles)
}

// parseRunbook parses the runbook b, read from path.
func parseRunbook(b []byte, path string, checkFiles bool) (*Runbook, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) {
		return nil, &RunbookError{File: path, Err: errors.New("the runbook is not UTF-8 text: save it as CSV UTF-8")}
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = delimiter(b)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	rb := &Runbook{File: path}
	head, err := r.Read()
	if err == io.EOF {
		return nil, &RunbookError{File: path, Err: ErrNoCustomers}
	}
	if err != nil {
		return nil, parseErr(path, err)
	}
	line, _ := r.FieldPos(0)
	if rb.Columns, err = header(path, line, head); err != nil {
		return nil, err
	}
	base := filepath.Dir(path)
	first := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, parseErr(path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces
		}
		if len(rec) != len(rb.Columns) {
			return nil, &RunbookError{File: path, Line: line, Err: fmt.Errorf("%w: %d cells, the header has %d", ErrFieldCount, len(rec), len(rb.Columns))}
		}
		c, err := customer(path, line, base, rb.Columns, rec, checkFiles)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(c.Name)
		if l, ok := first[key]; ok {
			return nil, &RunbookError{File: path, Line: line, Column: ColCustomer, Value: c.Name, Err: ErrDuplicateCustomer, First: l}
		}
		first[key] = line
		rb.Customers = append(rb.Customers, c)
	}
	if len(rb.Customers) == 0 {
		return nil, &RunbookError{File: path, Err: ErrNoCustomers}
	}
	return rb, nil
}

// delimiter is the runbook's delimiter: a semicolon when its first line has one and no comma
// (Excel writes that in locales whose decimal separator is a comma), else a comma.
func delimiter(b []byte) rune {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.IndexByte(first, ';') >= 0 && bytes.IndexByte(first, ',') < 0 {
		return ';'
	}
	return ','
}

func parseErr(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RunbookError{File: path, Line: pe.Line, Err: pe.Err}
	}
	return &RunbookError{File: path, Err: err}
}

// header checks the header row: known columns, each once, the required ones present.
func header(path string, line int, head []string) ([]backfill.Option, error) {
	cols := make([]backfill.Option, len(head))
	for i, h := range head {
		c := backfill.Option(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(h))))
		if !slices.Contains(Columns, c) {
			return nil, &RunbookError{File: path, Line: line, Value: h, Err: ErrUnknownColumn, Known: Columns}
		}
		if slices.Contains(cols[:i], c) {
			return nil, &RunbookError{File: path, Line: line, Column: c, Err: ErrDuplicateColumn}
		}
		cols[i] = c
	}
	for _, c := range required {
		if !slices.Contains(cols, c) {
			return nil, &RunbookError{File: path, Line: line, Column: c, Err: ErrMissingColumn}
		}
	}
	return cols, nil
}

// customer reads one line.
func customer(path string, line int, base string, cols []backfill.Option, rec []string, checkFiles bool) (*Customer, error) {
	c := &Customer{Line: line, Cells: map[backfill.Option]string{}}
	bad := func(col backfill.Option, v string, err error) error {
		return &RunbookError{File: path, Line: line, Column: col, Value: v, Err: err}
	}
	for i, col := range cols {
		if v := strings.TrimSpace(rec[i]); v != "" {
			c.Cells[col] = v
		}
	}
	for _, col := range required {
		if c.Cells[col] == "" {
			return nil, bad(col, "", backfill.ErrRequired)
		}
	}
	c.Name, c.TargetOrg = c.Cells[ColCustomer], c.Cells[ColTargetOrg]
	if err := folderName(c.Name); err != nil {
		return nil, bad(ColCustomer, c.Name, err)
	}
	for _, col := range []backfill.Option{ColExport, backfill.OptMapping} {
		if v := c.Cells[col]; v != "" && !filepath.IsAbs(v) {
			c.Cells[col] = filepath.Join(base, v)
		}
	}
	o := backfill.PlanOptions{Export: backfill.NewExportOptions()}
	o.Org.TargetOrg = c.TargetOrg
	cell := c.Cells
	o.Export.File, o.Target.Mapping = cell[ColExport], cell[backfill.OptMapping]
	o.Target.Object, o.Target.ExternalIDField, o.Target.OrderBy = cell[backfill.OptObject], cell[backfill.OptExternalIDField], cell[backfill.OptOrderBy]
	o.Export.KeyColumn, o.Export.UpdatedColumn = cell[backfill.OptKeyColumn], cell[backfill.OptUpdatedColumn]
	o.Export.DateFormat = cell[backfill.OptDateFormat]
	if v := cell[backfill.OptEncoding]; v != "" {
		o.Export.Encoding = v
	}
	if v := cell[backfill.OptDateColumn]; v != "" {
		for _, d := range strings.Split(v, ListSeparator) {
			if d = strings.TrimSpace(d); d != "" {
				o.Export.DateColumns = append(o.Export.DateColumns, d)
			}
		}
	}
	if v := cell[backfill.OptSince]; v != "" {
		t, err := backfill.ParseSince(v, o.Export.DateFormat)
		if err != nil {
			return nil, bad(backfill.OptSince, v, err)
		}
		o.Export.Since = t
	}
	if v := cell[backfill.OptMaxRejected]; v != "" {
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil || f < 0 || f > 100 {
			return nil, bad(backfill.OptMaxRejected, v, errors.New("not a percentage from 0 to 100"))
		}
		o.Export.MaxRejected = &f
	}
	for _, b := range []struct {
		col backfill.Option
		to  *bool
	}{{backfill.OptUpdateStale, &o.UpdateStale}, {backfill.OptSkippedBeforeCutoff, &o.Export.SkippedBeforeCutoff}, {backfill.OptSandbox, &o.Org.Sandbox}} {
		v := cell[b.col]
		if v == "" {
			continue
		}
		t, ok := boolean(v)
		if !ok {
			return nil, bad(b.col, v, errors.New("not true or false (yes, no, 1 and 0 work too)"))
		}
		*b.to = t
	}
	if checkFiles {
		if err := o.Validate(); err != nil {
			var oe *backfill.OptionError
			var te *backfill.TargetError
			switch {
			case errors.As(err, &oe):
				return nil, bad(oe.Option, cell[oe.Option], err)
			case errors.As(err, &te):
				return nil, bad(backfill.OptMapping, cell[backfill.OptMapping], err)
			}
			return nil, bad("", "", err)
		}
	}
	c.opts = o
	return c, nil
}

// boolean reads a yes/no cell.
func boolean(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1", "x":
		return true, true
	case "false", "no", "n", "0":
		return false, true
	}
	return false, false
}

// reserved are names a customer cannot have: the batch's own files in its folder, and the
// names Windows refuses for any file.
var reserved = []string{RollupCSV, RollupJSON, RollupHTML, RunbookCopy,
	"con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
	"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"}

// folderName checks that name can be a run folder's name on Windows, macOS and Linux.
func folderName(name string) error {
	why := func(s string) error { return fmt.Errorf("%w: %s", ErrBadName, s) }
	stem, _, _ := strings.Cut(strings.ToLower(name), ".")
	switch {
	case len(name) > 100:
		return why("longer than 100 characters")
	case strings.HasPrefix(name, "."):
		return why("it starts with a dot")
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return why("it ends with a dot or a space (Windows drops them)")
	case strings.HasSuffix(strings.ToLower(name), ".partial"):
		return why("it ends with .partial, the name of an unfinished run folder")
	case strings.ContainsAny(name, `/\:*?"<>|`):
		return why(`it holds one of / \ : * ? " < > |`)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return why("it holds a control character")
	case slices.Contains(reserved, strings.ToLower(name)), slices.Contains(reserved[4:], stem):
		return why("the name is reserved")
	}
	return nil
}

// writeRunbook writes the runbook's customers as the batch's copy: canonical columns, the
// files they name absolute.
func writeRunbook(w io.Writer, rb *Runbook) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(rb.Columns))
	for i, c := range rb.Columns {
		head[i] = string(c)
	}
	cw.Write(head)
	for _, c := range rb.Customers {
		rec := make([]string, len(rb.Columns))
		for i, col := range rb.Columns {
			rec[i] = c.Cells[col]
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
