package csvdiff

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Options configure [Scan].
type Options struct {
	// File names the export in messages ("export.csv: row 3 (line 4): ...").
	File string
	// KeyColumn is the header of the external id column; "" auto-detects "External Id".
	KeyColumn string
	// DateColumns are the cutoff columns; a row is kept when any of them is on or after
	// Since. Empty auto-detects "Enrollment Date".
	DateColumns []string
	// UpdatedColumn decides which of two rows with the same key wins (the latest instant;
	// the later row on a tie or when there is no such column). "" auto-detects
	// "Updated At"; "-" means none.
	UpdatedColumn string
	// Since is the cutoff instant, inclusive.
	Since time.Time
	// DateFormat forces one date layout (see [NewDateParser]); "" accepts the built-in ones.
	DateFormat string
	// Encoding is "utf-8" (default) or "windows-1252" (transcoded to UTF-8).
	Encoding string
	// Delimiter forces ',', ';' or '\t'; 0 detects it from the header line.
	Delimiter byte
	// ValueDateColumns names more columns holding dates, besides the cutoff and updated-at
	// columns, whose layout the first pass decides (the columns loaded into date fields).
	ValueDateColumns []string
	// FoldKeys compares keys case-insensitively, as Salesforce compares External ID fields
	// unless they are "Unique, case-sensitive". Rows keep their own key.
	FoldKeys bool

	// orders forces, per column, the order of slash dates (a rescan after a day-first
	// column was found).
	orders []DateOrder
	// chunk sets the size of the buffers the passes read into (0: bufSize); tests make it
	// tiny so that records straddle buffers.
	chunk int
}

// Row is one data row handed to a [Sink] or [Matcher]. Its slices are only valid during the
// call: copy what you keep.
type Row struct {
	Num     int       // 1-based data row number
	Line    int       // physical line where the row starts
	Key     []byte    // the key, surrounding spaces trimmed; nil when the row has none
	Raw     []byte    // the record's bytes as read (after transcoding), without terminator
	Outcome Outcome   // the final outcome
	Detail  string    // the ledger's detail: a reason, a kept line or a Salesforce Id
	Err     *RowError // why the row was rejected, when Outcome is Rejected

	rec *record
	sc  *scanner
}

// Fields returns the row's fields (split on first use: most rows of a large export are
// only counted, never split twice). It is nil for a row that could not be tokenized.
func (r *Row) Fields() [][]byte {
	if r.rec == nil {
		return nil
	}
	return r.sc.fieldsOf(r.rec)
}

// Matcher decides the outcome of a row that passed validation, the cutoff and the dedup:
// typically [Exists], [Stale], [ToInsert] or [ToUpdate], with a detail such as the Id.
type Matcher interface {
	Match(r *Row) (Outcome, string)
}

// Sink receives every row, in file order, with its final outcome. An error stops [Index.Emit].
type Sink interface {
	Row(r *Row) error
}

// SinkFunc adapts a function to [Sink].
type SinkFunc func(r *Row) error

// Row calls f(r).
func (f SinkFunc) Row(r *Row) error { return f(r) }

// SetMatcher matches rows against a [KeySet]: a key in the set [Exists] (the detail is the
// set's value for it, such as the Salesforce Id), any other is [ToInsert].
type SetMatcher struct{ Set *KeySet }

// Match implements [Matcher].
func (m SetMatcher) Match(r *Row) (Outcome, string) {
	if v, ok := m.Set.Lookup(r.Key); ok {
		return Exists, string(v)
	}
	return ToInsert, ""
}

// Index is the result of the first pass ([Scan]): the header, one provisional outcome per
// data row and the winning row of each candidate key. It is not safe for concurrent use.
type Index struct {
	Header Header
	opts   Options
	dates  DateParser
	since  int64
	rows   []Outcome // provisional; 0 marks a candidate (the winner of its key)
	dedup  *table    // candidate key -> winner (winnerSize bytes)
	// lines maps rows to their physical lines: a jump where a row's line stops being the
	// previous one's plus one (a record over several lines, a blank line), so that a
	// winner needs no line of its own.
	lines []lineJump

	dateCols []int           // columns whose layout is decided
	orders   []DateOrder     // per column: how slash dates are read in this pass
	evidence []*dateEvidence // per column, during the first pass; nil when forced
	layouts  []DateLayout    // per dateCols, after the first pass

	rejected    int       // rows rejected by the first pass
	firstReject *RowError // the first of them

	att *attachment // what Attach kept, after the first pass; nil before
}

// winner is the kept row of a key. updated is its "Updated At" in Unix nanoseconds, or
// noUpdate when it has none (dates are limited to 1800-2200, so no real value collides).
// In the dedup table it takes winnerSize bytes: row, then updated, little-endian.
type winner struct {
	row     uint32
	updated int64
}

const winnerSize = 12

func getWinner(b []byte) winner {
	return winner{row: binary.LittleEndian.Uint32(b), updated: int64(binary.LittleEndian.Uint64(b[4:]))}
}

func putWinner(b []byte, w winner) {
	binary.LittleEndian.PutUint32(b, w.row)
	binary.LittleEndian.PutUint64(b[4:], uint64(w.updated))
}

// lineJump says that from row (0-based) on, a row's line is its row plus delta.
type lineJump struct{ row, delta uint32 }

// noteLine records the line of row, the next row.
func (x *Index) noteLine(row, line int) {
	delta := uint32(line - row)
	if n := len(x.lines); n == 0 || x.lines[n-1].delta != delta {
		x.lines = append(x.lines, lineJump{uint32(row), delta})
	}
}

// lineOf returns the physical line of row (0-based).
func (x *Index) lineOf(row uint32) int {
	i, _ := slices.BinarySearchFunc(x.lines, row, func(j lineJump, r uint32) int { return cmp.Compare(j.row, r+1) })
	return int(row + x.lines[i-1].delta)
}

const noUpdate = math.MinInt64

// The byte per row holds the provisional outcome and, in its high bit, whether the row's
// record spans more than one physical line: the second pass reads the others line by line.
const (
	multiLine   Outcome = 0x80
	outcomeMask Outcome = 0x7F
)

// Rows returns the number of data rows.
func (x *Index) Rows() int { return len(x.rows) }

// NumCandidates returns the number of distinct keys that passed validation and the cutoff.
func (x *Index) NumCandidates() int { return x.dedup.Len() }

// Candidates calls fn with every candidate key (the kept row's key after dedup) until fn
// returns false. key is only valid during the call.
func (x *Index) Candidates(fn func(key []byte) bool) {
	x.dedup.each(func(k, _ []byte) bool { return fn(k) })
}

// IsCandidate reports whether key is the key of a row kept after validation, cutoff and
// dedup.
func (x *Index) IsCandidate(key []byte) bool { return x.dedup.get(key) != nil }

// Provisional returns the outcome counts known after the first pass; candidates are counted
// as [ToInsert].
func (x *Index) Provisional() Counts {
	var c Counts
	for _, o := range x.rows {
		o &= outcomeMask
		if o == 0 {
			o = ToInsert
		}
		c.Add(o)
	}
	return c
}

// openCSV prepares a scanner over r positioned after the header and returns the header's
// names, line, delimiter and BOM.
func openCSV(r io.Reader, file, encoding string, delim byte) (*scanner, Header, error) {
	var h Header
	switch strings.ToLower(strings.ReplaceAll(encoding, "_", "-")) {
	case "", "utf-8", "utf8":
		h.Encoding = "utf-8"
	case "windows-1252", "cp1252", "latin1", "iso-8859-1":
		h.Encoding = "windows-1252"
		r = charmap.Windows1252.NewDecoder().Reader(r)
	default:
		return nil, h, &FileError{File: file, Err: fmt.Errorf("unknown encoding %q", encoding), Hint: "use --encoding utf-8 or --encoding windows-1252"}
	}
	sc := newScanner(r, ',')
	for sc.end < 8<<10 && sc.fill() {
	}
	if sc.rerr != nil {
		return nil, h, fmt.Errorf("read %s: %w", file, sc.rerr)
	}
	data := sc.buf[:sc.end]
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, h, &FileError{File: file, Err: errors.New("the file is empty: no header row"), Hint: exportAgain}
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		h.BOM = true
		sc.pos = 3
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, h, &FileError{File: file, Line: 1, Err: errors.New("the file is UTF-16"), Hint: "save it as \"CSV UTF-8 (Comma delimited)\" and try again"}
	}
	if crOnly(data) {
		h.LineEnding = "CR"
		sc.cr = true
		sc.translateCR()
	}
	if i := bytes.IndexByte(data[:min(len(data), 8192)], 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte{'\n'})
		return nil, h, &FileError{File: file, Line: line, Err: errors.New("the file is binary, not CSV (it contains NUL bytes)"), Hint: "pass the CSV file itself, not a spreadsheet (.xlsx) or an archive"}
	}
	for {
		// Skip blank lines before the header.
		rest := sc.buf[sc.pos:sc.end]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			nl = len(rest)
		}
		if len(bytes.TrimSpace(rest[:nl])) > 0 {
			if delim == 0 {
				delim = detectDelimiter(rest[:nl])
			}
			break
		}
		sc.advance(nl, 1)
		if sc.pos >= sc.end {
			return nil, h, &FileError{File: file, Err: errors.New("the file has no header row"), Hint: "the first line must hold the column names"}
		}
	}
	sc.comma = delim
	h.Delimiter = delim
	rec, err := sc.next()
	if err != nil {
		return nil, h, fmt.Errorf("read %s: %w", file, err)
	}
	h.Line = rec.line
	noBreaks := &FileError{File: file, Line: rec.line,
		Err:  fmt.Errorf("the header line is over %d KB: the file has no line breaks this tool recognises, or is not a CSV export", maxHeaderBytes>>10),
		Hint: "open it in a spreadsheet and save it as \"CSV UTF-8 (Comma delimited)\", then pass that file"}
	if rec.err == ErrRecordTooLong {
		return nil, h, noBreaks
	}
	if rec.err != nil {
		return nil, h, &FileError{File: file, Line: rec.line, Err: fmt.Errorf("the header row cannot be read: %w", rec.err), Hint: "fix the quotes in the first line"}
	}
	if ok, col := validUTF8(rec.raw); !ok {
		return nil, h, &FileError{File: file, Line: rec.line, Err: fmt.Errorf("the header is not valid UTF-8 (byte %d)", col), Hint: "if the file was saved by Excel on Windows, pass --encoding windows-1252"}
	}
	names := sc.fieldsOf(&rec)
	sc.nfields = len(names)
	h.Names = make([]string, len(names))
	for i, f := range names {
		h.Names[i] = strings.TrimSpace(string(f))
	}
	// A long header is no reason to refuse a file (10,000 columns are over 64 KB); a long
	// "header" that runs to the end of the input is a file whose line breaks were not seen.
	// (Checked once the names are copied: reading on may move the buffer rec points into.)
	if len(rec.raw) > maxHeaderBytes && !sc.more() {
		return nil, h, noBreaks
	}
	return sc, h, nil
}

// maxHeaderBytes is the length above which a header line that is the whole file means the
// file's line breaks were not recognised.
const maxHeaderBytes = 64 << 10

// ReadHeader reads only the export's header line and picks the key, date and "Updated At"
// columns as [Scan] would, without reading the rows: commands call it to fail fast on an
// unusable file, and to map columns before the long scan. A file that cannot be used
// returns a [*FileError].
func ReadHeader(r io.Reader, opts Options) (Header, error) {
	_, h, _, err := openExport(r, &opts)
	return h, err
}

// openExport opens the export for a pass: the scanner after the header, the header with its
// chosen columns, and the date parser.
func openExport(r io.Reader, opts *Options) (*scanner, Header, DateParser, error) {
	if opts.File == "" {
		opts.File = "export"
	}
	file := opts.File
	dp, err := NewDateParser(opts.DateFormat)
	if err != nil {
		return nil, Header{}, dp, &FileError{File: file, Err: err}
	}
	sc, h, err := openCSV(r, file, opts.Encoding, opts.Delimiter)
	if err != nil {
		return nil, h, dp, err
	}
	if h.Key, err = resolveColumn(file, h.Line, h.Names, opts.KeyColumn, keyAliases, "key column", "--key-column"); err != nil {
		return nil, h, dp, err
	}
	if len(opts.DateColumns) == 0 {
		d, err := resolveColumn(file, h.Line, h.Names, "", dateAliases, "date column", "--date-column")
		if err != nil {
			return nil, h, dp, err
		}
		h.Dates = []int{d}
	}
	for _, name := range opts.DateColumns {
		d, err := resolveColumn(file, h.Line, h.Names, name, nil, "date column", "--date-column")
		if err != nil {
			return nil, h, dp, err
		}
		h.Dates = append(h.Dates, d)
	}
	h.Updated = -1
	switch opts.UpdatedColumn {
	case "-":
	case "":
		if idx := findColumn(h.Names, updatedAliases...); len(idx) > 0 {
			h.Updated = idx[0]
		}
	default:
		if h.Updated, err = resolveColumn(file, h.Line, h.Names, opts.UpdatedColumn, nil, "updated-at column", "--updated-column"); err != nil {
			return nil, h, dp, err
		}
	}
	return sc, h, dp, nil
}

// Scan is the first pass over the export: it reads the header, picks the key, date and
// "Updated At" columns, validates every row, applies the cutoff and keeps the winning row of
// each key. A file that cannot be used returns a [*FileError]; a bad row never stops it.
//
// When a date column turns out to be day-first, Scan reads the export again from the start
// with that order, so r must then be an io.Seeker (an *os.File is).
func Scan(ctx context.Context, r io.Reader, opts Options) (*Index, error) {
	x, err := scan(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	if !x.needsRescan() {
		return x, x.usable()
	}
	rs, ok := r.(io.Seeker)
	if !ok {
		return nil, &FileError{File: x.opts.File, Err: errors.New("the dates are day-first and the export must be read again, but it cannot be re-read"),
			Hint: "pass the export as a file, or --date-format dd/MM/yyyy"}
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read %s again: %w", x.opts.File, err)
	}
	opts.orders = x.layoutOrders()
	if x, err = scan(ctx, r, opts); err != nil {
		return nil, err
	}
	return x, x.usable()
}

func scan(ctx context.Context, r io.Reader, opts Options) (*Index, error) {
	sc, h, dp, err := openExport(r, &opts)
	if err != nil {
		return nil, err
	}
	sc.chunk = opts.chunk
	file := opts.File
	x := &Index{Header: h, opts: opts, dates: dp, since: opts.Since.UnixNano(), dedup: newTable(1<<16, winnerSize),
		dateCols: dateColumns(&h, &opts), orders: opts.orders}
	x.dedup.fold = opts.FoldKeys
	if len(x.orders) != len(h.Names) {
		x.orders = make([]DateOrder, len(h.Names))
	}
	if !dp.Forced() {
		x.evidence = make([]*dateEvidence, len(h.Names))
		for _, c := range x.dateCols {
			x.evidence[c] = &dateEvidence{}
		}
	}
	err = eachRecord(ctx, sc, readPlan{validate: true}, func(rec *record, sp *scanner) error {
		num := len(x.rows) + 1
		o, key, w, rerr := x.classify(sp, rec, num)
		if o == Rejected {
			x.rejected++
			if x.firstReject == nil {
				x.firstReject = rerr
			}
		}
		if o == 0 {
			w.row = uint32(num - 1)
			b, inserted, err := x.dedup.upsert(key, winnerSize)
			if err != nil {
				return err
			}
			v := getWinner(b)
			switch {
			case inserted:
				putWinner(b, w)
			case w.beats(&v):
				x.rows[v.row] = x.rows[v.row]&multiLine | Duplicate
				putWinner(b, w)
			default:
				o = Duplicate
			}
		}
		if rec.multi {
			o |= multiLine
		}
		x.noteLine(num-1, rec.line)
		x.rows = append(x.rows, o)
		return nil
	})
	if err != nil {
		return nil, readErr(file, err)
	}
	err = x.decideLayouts()
	x.evidence = nil // Emit must not collect again
	if err != nil {
		return nil, err
	}
	return x, nil
}

// exportAgain is the fix for an export that holds nothing; existingAgain the same for the
// --existing file.
const (
	exportAgain   = "export the CSV again from CE (Data Export > Email CSV) and pass that file"
	existingAgain = "export the Enrollment records again (a Salesforce report or a Data Loader export with the External Id column) and pass that file"
)

// usable refuses an export with no data rows, or whose every row was rejected: that is a
// file read the wrong way (dates, encoding, delimiter), never "0 rows, done".
func (x *Index) usable() error {
	file, rejected, first := x.opts.File, x.rejected, x.firstReject
	switch {
	case len(x.rows) == 0:
		return &FileError{File: file, Line: x.Header.Line, Err: errors.New("the file has a header but no data rows"),
			Hint: exportAgain}
	case rejected < len(x.rows):
		return nil
	}
	hint := "fix the file, or tell backfill how to read it (see --help)"
	switch {
	case errors.Is(first.Err, ErrBadDate):
		hint = "pass --date-format with the pattern the dates are written in, e.g. --date-format dd.MM.yyyy"
	case errors.Is(first.Err, ErrInvalidUTF8):
		hint = "if the file was saved by Excel on Windows, pass --encoding windows-1252"
	case errors.Is(first.Err, ErrFieldCount):
		hint = "check the file's delimiter and quotes: every row must have the header's columns"
	case errors.Is(first.Err, ErrMissingKey):
		hint = "name the key column with --key-column"
	case errors.Is(first.Err, ErrEmptyDate):
		hint = "name the date column with --date-column"
	}
	return &FileError{File: file, Line: first.Line,
		Err:  fmt.Errorf("all %d data rows were rejected; the first (line %d): %s", len(x.rows), first.Line, first.Reason()),
		Hint: hint}
}

// readErr names the file in a read error of eachRecord; other errors pass as they are.
func readErr(file string, err error) error {
	var re *readError
	if errors.As(err, &re) {
		return fmt.Errorf("read %s: %w", file, re.err)
	}
	return err
}

// RowTime returns the latest instant among the row's cutoff date columns (Unix
// nanoseconds), the date that put it on the kept side of the cutoff. ok is false for a row
// without a parseable cutoff date.
func (x *Index) RowTime(r *Row) (ns int64, ok bool) {
	f := r.Fields()
	if len(f) != len(x.Header.Names) {
		return 0, false
	}
	for _, d := range x.Header.Dates {
		if t, good := x.DateParserFor(d).Parse(trimSpace(f[d])); good && (!ok || t > ns) {
			ns, ok = t, true
		}
	}
	return ns, ok
}

// keyOf returns the record's trimmed key without splitting the whole record when it is a
// plain line; nil when the record does not have the header's shape.
func (x *Index) keyOf(sc *scanner, rec *record) []byte {
	if rec.lazy {
		line := rec.raw
		if bytes.Count(line, []byte{sc.comma}) != len(x.Header.Names)-1 {
			return nil
		}
		for i := 0; i < x.Header.Key; i++ {
			j := bytes.IndexByte(line, sc.comma)
			if j < 0 {
				return nil
			}
			line = line[j+1:]
		}
		if j := bytes.IndexByte(line, sc.comma); j >= 0 {
			line = line[:j]
		} else if x.Header.Key != len(x.Header.Names)-1 {
			return nil
		}
		return trimSpace(line)
	}
	fields := sc.fieldsOf(rec)
	if len(fields) != len(x.Header.Names) {
		return nil
	}
	return trimSpace(fields[x.Header.Key])
}

// beats reports whether row w (later in the file) wins over the kept row v.
// A row without "Updated At" loses to one with it; on a tie (or neither having one) the
// later row wins.
func (w winner) beats(v *winner) bool { return w.updated >= v.updated }

// classify validates rec and applies the cutoff. It returns 0 for a candidate, with its key
// and updated-at; otherwise the outcome and, for Rejected, why.
func (x *Index) classify(sc *scanner, rec *record, num int) (Outcome, []byte, winner, *RowError) {
	h := &x.Header
	w := winner{updated: noUpdate}
	rowErr := func(col int, err error, value []byte) *RowError {
		e := &RowError{File: x.opts.File, Row: num, Line: rec.line, Column: col, Err: err}
		if col > 0 && col <= len(h.Names) {
			e.Field = h.Names[col-1]
		}
		if value != nil {
			e.Value = string(value)
		}
		return e
	}
	if rec.err != nil && rec.col == 0 {
		return Rejected, nil, w, rowErr(0, rec.err, nil)
	}
	if rec.err != nil {
		return Rejected, nil, w, rowErr(0, fmt.Errorf("%w at byte %d of the row", rec.err, rec.col), nil)
	}
	fields := sc.fieldsOf(rec)
	valid := rec.utf8 == utf8Valid
	if rec.utf8 == 0 {
		valid, _ = validUTF8(rec.raw)
	}
	if !valid {
		for i, f := range fields {
			if ok, b := validUTF8(f); !ok {
				return Rejected, nil, w, rowErr(i+1, fmt.Errorf("%w at byte %d of the field (use --encoding windows-1252 if the file came from Excel)", ErrInvalidUTF8, b), nil)
			}
		}
		return Rejected, nil, w, rowErr(0, ErrInvalidUTF8, nil)
	}
	if len(fields) != len(h.Names) {
		return Rejected, nil, w, rowErr(0, fmt.Errorf("%w: %d fields, the header has %d", ErrFieldCount, len(fields), len(h.Names)), nil)
	}
	if x.evidence != nil {
		for _, c := range x.dateCols {
			x.evidence[c].observe(fields[c], rec.line)
		}
	}
	key := trimSpace(fields[h.Key])
	if len(key) == 0 {
		return Rejected, nil, w, rowErr(h.Key+1, ErrMissingKey, nil)
	}
	keep, empty := false, 0
	for _, d := range h.Dates {
		v := trimSpace(fields[d])
		if len(v) == 0 {
			empty++
			continue
		}
		t, ok := x.DateParserFor(d).Parse(v)
		if !ok {
			return Rejected, key, w, rowErr(d+1, ErrBadDate, v)
		}
		if t >= x.since {
			keep = true
		}
	}
	if empty == len(h.Dates) {
		return Rejected, key, w, rowErr(h.Dates[0]+1, ErrEmptyDate, nil)
	}
	if !keep {
		return BeforeCutoff, key, w, nil
	}
	if h.Updated >= 0 {
		if v := trimSpace(fields[h.Updated]); len(v) > 0 {
			if t, ok := x.DateParserFor(h.Updated).Parse(v); ok {
				w.updated = t
			}
		}
	}
	return 0, key, w, nil
}

// Emit is the second pass: it reads the same export again (r must yield the same bytes as
// the reader given to [Scan]) and calls sink for every data row in file order with its final
// outcome. Rows that won the dedup are decided by m (nil means every one is [ToInsert]).
// It returns the outcome counts.
func (x *Index) Emit(ctx context.Context, r io.Reader, m Matcher, sink Sink) (Counts, error) {
	var counts Counts
	file := x.opts.File
	sc, h, err := openCSV(r, file, x.Header.Encoding, x.Header.Delimiter)
	if err != nil {
		return counts, err
	}
	if strings.Join(h.Names, "\x00") != strings.Join(x.Header.Names, "\x00") {
		return counts, fmt.Errorf("%s changed while it was being read (the header differs); run again", file)
	}
	sc.chunk = x.opts.chunk
	var row Row
	num := 0
	plan := readPlan{rows: x.rows, key: x.Header.Key, nfields: len(x.Header.Names)}
	err = eachRecord(ctx, sc, plan, func(rec *record, sp *scanner) error {
		num++
		if num > len(x.rows) {
			return fmt.Errorf("%s changed while it was being read (it has more rows than the first pass saw); run again", file)
		}
		row = Row{Num: num, Line: rec.line, Raw: rec.raw[:len(rec.raw):len(rec.raw)], Outcome: x.rows[num-1] & outcomeMask, sc: sp}
		if rec.err == nil {
			row.rec = rec
			switch rec.keyState {
			case keyFound:
				row.Key = rec.raw[rec.key[0]:rec.key[1]:rec.key[1]]
			case keyNone:
			default:
				row.Key = x.keyOf(sp, rec)
			}
		}
		switch row.Outcome {
		case Rejected:
			_, _, _, rerr := x.classify(sp, rec, num)
			if rerr == nil {
				return fmt.Errorf("%s changed while it was being read (line %d); run again", file, rec.line)
			}
			row.Err, row.Detail = rerr, rerr.Reason()
			if ok, _ := validUTF8(row.Key); !ok {
				row.Key = nil
			}
		case Duplicate:
			if b := x.dedup.get(row.Key); b != nil {
				row.Detail = "kept line " + strconv.Itoa(x.lineOf(getWinner(b).row))
			}
		case BeforeCutoff:
		case 0:
			row.Outcome = ToInsert
			if m != nil {
				row.Outcome, row.Detail = m.Match(&row)
			}
		}
		counts.Add(row.Outcome)
		return sink.Row(&row)
	})
	if err != nil {
		return counts, readErr(file, err)
	}
	if num != len(x.rows) {
		return counts, fmt.Errorf("%s changed while it was being read (it has %d rows, the first pass saw %d); run again", file, num, len(x.rows))
	}
	return counts, nil
}
