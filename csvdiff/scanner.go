package csvdiff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Sentinel reasons a row is rejected. They are wrapped in a [*RowError] that carries the
// position.
var (
	ErrFieldCount        = errors.New("wrong number of fields")
	ErrUnterminatedQuote = errors.New("unterminated quoted field")
	ErrQuote             = errors.New("extraneous text after a closing quote")
	ErrInvalidUTF8       = errors.New("invalid UTF-8")
	ErrMissingKey        = errors.New("missing key")
	ErrBadDate           = errors.New("unparseable date")
	ErrEmptyDate         = errors.New("empty cutoff date")
	ErrRecordTooLong     = fmt.Errorf("row longer than %d MB, the most one row may hold (a field that big is not learning data; check the file)", MaxRecordBytes>>20)
	errNeedMore          = errors.New("need more data")
)

// MaxRecordBytes is the most one row (or the header) may hold: 16 MB, as Salesforce's
// largest text field holds 131,072 characters and a row of the export a few hundred bytes.
// Longer rows are rejected with [ErrRecordTooLong]; the buffer grows only as far as a row
// needs, so the limit costs nothing.
const MaxRecordBytes = 16 << 20

// record is one CSV record as the scanner found it. Its slices are valid until the next call
// to scanner.next.
type record struct {
	raw    []byte   // the record's bytes without its terminator (CR of CRLF stripped)
	fields [][]byte // unescaped fields; nil when err is set by the tokenizer
	spans  []int32  // a quoted record's field spans in raw, not built yet (see fieldsOf)
	// spanEnd is where the spans may end: past raw by a CR that ends the last field at the
	// end of the input (tokenize keeps it in the field, as it has always done)
	spanEnd int
	line    int   // physical line where the record starts (1-based)
	blank   bool  // an empty line: not a data row
	err     error // tokenizer problem (quote, too long); the record is rejected
	col     int   // 1-based column of err, when known
	lazy    bool  // an unquoted line whose fields are not split yet (see fieldsOf)
	multi   bool  // the record spans more than one physical line
	// whole, when set, is a one-line record with quotes whose fields are not found yet:
	// raw with its line's terminator, for tokenize (see nextLine)
	whole []byte
	// Worked out ahead by the reader (see readPlan).
	utf8     int8
	keyState int8
	key      [2]int32
}

// scanner splits a byte stream into CSV records. It is tuned for the common case of a
// record on one line without quotes: one IndexByte for the line end and one per field.
type scanner struct {
	r         io.Reader
	buf       []byte
	pos, end  int
	eof       bool
	rerr      error
	comma     byte
	line      int // physical line of the next record
	maxRecord int
	nfields   int // the header's field count, once known; 0 before
	// cr reads a file whose lines end with CR alone (classic Mac, Excel for Mac's "CSV
	// (Macintosh)"): every CR not followed by LF is turned into LF as data arrives, up to
	// crUpto (a CR at the end of the data waits for the next byte).
	cr     bool
	crUpto int
	// handoff, when set, is called instead of compacting the buffer: it takes the buffer
	// (the records returned so far point into it) and installs another that starts with
	// buf[pos:end] (see eachRecord).
	handoff func()
	minRead int // with handoff: hand the buffer over when less than this is free
	chunk   int // with handoff: the buffers' size; 0 means bufSize
	fields  [][]byte
	unq     []byte
	offs    []int32
	offsUnq []int32
}

func newScanner(r io.Reader, comma byte) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), comma: comma, line: 1, maxRecord: MaxRecordBytes}
}

// fill reads more data, compacting or growing the buffer. It returns false at EOF (or on a
// read error, kept in rerr) when nothing more could be read.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	switch {
	case s.handoff != nil:
		// Records handed out point into the buffer: it is never compacted, but handed
		// over whole when it is nearly full, and reading goes on in another.
		if s.pos > 0 && len(s.buf)-s.end < s.minRead {
			s.handoff()
		}
	case s.pos > 0:
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.crUpto -= s.pos
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			s.translateCR()
			return n > 0
		}
		if n > 0 {
			s.translateCR()
			return true
		}
	}
}

// more reports whether any input follows the record last returned.
func (s *scanner) more() bool { return s.pos < s.end || s.fill() }

// translateCR turns the lone CRs read since the last call into LFs (in cr mode).
func (s *scanner) translateCR() {
	if !s.cr {
		return
	}
	i := max(s.crUpto, s.pos)
	for {
		j := bytes.IndexByte(s.buf[i:s.end], '\r')
		if j < 0 {
			i = s.end
			break
		}
		i += j
		if i+1 < s.end {
			if s.buf[i+1] != '\n' {
				s.buf[i] = '\n'
			}
			i++
			continue
		}
		if !s.eof {
			break // the byte after it decides
		}
		s.buf[i] = '\n'
		i++
	}
	s.crUpto = i
}

// crOnly reports whether data's first line ends with a CR alone.
func crOnly(data []byte) bool {
	cr := bytes.IndexByte(data, '\r')
	if cr < 0 {
		return false
	}
	lf := bytes.IndexByte(data, '\n')
	return (lf < 0 || cr < lf) && (cr+1 == len(data) || data[cr+1] != '\n')
}

// next returns the next record, or io.EOF after the last one. Any other error is a read
// error of the underlying reader.
func (s *scanner) next() (record, error) {
	for {
		if s.pos < s.end {
			rec, err := s.parse()
			switch err {
			case nil:
				return rec, nil
			case errRunaway:
				return s.rejectLine(ErrUnterminatedQuote)
			case errNeedMore:
			default:
				return rec, err
			}
		}
		if !s.fill() {
			if s.rerr != nil {
				return record{}, s.rerr
			}
			if s.pos >= s.end {
				return record{}, io.EOF
			}
			// At EOF with a partial record: parse it as complete.
			return s.parseFinal()
		}
	}
}

// parse tries to parse one record starting at s.pos. It returns errNeedMore when the buffer
// does not hold the whole record and more input may come.
func (s *scanner) parse() (record, error) {
	data := s.buf[s.pos:s.end]
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 && !s.eof {
		if len(data) > s.maxRecord {
			return s.rejectLine(ErrRecordTooLong)
		}
		return record{}, errNeedMore
	}
	lineEnd := nl
	if nl < 0 {
		lineEnd = len(data)
	}
	if lineEnd > s.maxRecord {
		return s.rejectLine(ErrRecordTooLong)
	}
	line := data[:lineEnd]
	if bytes.IndexByte(line, '"') < 0 {
		rec := record{line: s.line}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		rec.raw = line
		s.advance(lineEnd, 1)
		if len(line) == 0 {
			rec.blank = true
			return rec, nil
		}
		rec.lazy = true
		return rec, nil
	}
	return s.parseQuoted(data, s.eof)
}

func (s *scanner) parseFinal() (record, error) {
	return s.parseQuoted(s.buf[s.pos:s.end], true)
}

// advance consumes n bytes plus the terminator (if any) spanning lines physical lines.
func (s *scanner) advance(n, lines int) {
	s.pos += n
	if s.pos < s.end {
		s.pos++ // the '\n'
	}
	s.line += lines
}

// fieldsOf returns rec's fields, splitting a lazy record or building a quoted record's
// values on first use.
func (s *scanner) fieldsOf(rec *record) [][]byte {
	switch {
	case rec.lazy:
		rec.fields, rec.lazy = s.split(rec.raw), false
	case rec.spans != nil:
		rec.fields, rec.spans = s.materialize(rec.raw, rec.spans), nil
	case rec.whole != nil:
		t := tokenize(rec.whole, s.comma, true, s.offs[:0])
		s.offs = t.offs
		if t.status == tokOK && t.qerr == nil && t.end >= len(rec.raw) {
			rec.fields = s.materialize(rec.whole, t.offs)
		}
		rec.whole = nil
	}
	return rec.fields
}

// nextLine returns the next physical line as a record, or io.EOF: the second pass reads a
// row the first pass found on one line this way, without looking for quotes across lines.
// A line with quotes keeps them for fieldsOf (the record's whole). It returns a blank
// record for an empty line, like next.
func (s *scanner) nextLine() (record, error) {
	for {
		data := s.buf[s.pos:s.end]
		nl := bytes.IndexByte(data, '\n')
		if nl >= 0 || (s.eof && len(data) > 0) {
			end, whole := nl, nl+1
			if nl < 0 {
				end, whole = len(data), len(data)
			}
			raw := data[:end]
			if n := len(raw); n > 0 && raw[n-1] == '\r' {
				raw = raw[:n-1]
			}
			rec := record{raw: raw, line: s.line, blank: len(raw) == 0}
			if bytes.IndexByte(raw, '"') >= 0 {
				rec.whole = data[:whole:whole]
			} else {
				rec.lazy = !rec.blank
			}
			s.advance(end, 1)
			return rec, nil
		}
		if len(data) > s.maxRecord {
			return s.next() // a row the first pass rejected as too long
		}
		if !s.fill() {
			if s.rerr != nil {
				return record{}, s.rerr
			}
			if s.pos >= s.end {
				return record{}, io.EOF
			}
		}
	}
}

// split cuts an unquoted line into fields. The fields alias the line.
func (s *scanner) split(line []byte) [][]byte {
	f := s.fields[:0]
	for {
		i := bytes.IndexByte(line, s.comma)
		if i < 0 {
			f = append(f, line)
			break
		}
		f = append(f, line[:i])
		line = line[i+1:]
	}
	s.fields = f
	return f
}

// rejectLine consumes the current physical line and returns it as a rejected record.
func (s *scanner) rejectLine(why error) (record, error) {
	data := s.buf[s.pos:s.end]
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 && !s.eof {
		// A line longer than the buffer limit: skip to its end, keeping only its start.
		for nl < 0 && !s.eof {
			s.pos = s.end
			s.fill()
			data = s.buf[s.pos:s.end]
			nl = bytes.IndexByte(data, '\n')
		}
		rec := record{line: s.line, err: why} // no column: the whole row is too long
		if nl < 0 {
			nl = len(data)
		}
		s.advance(nl, 1)
		return rec, nil
	}
	if nl < 0 {
		nl = len(data)
	}
	raw := data[:nl]
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	rec := record{raw: raw, line: s.line, err: why, col: 1}
	if why == ErrRecordTooLong {
		rec.raw, rec.col = raw[:min(len(raw), 200)], 0 // no column: the whole row is too long
	}
	s.advance(nl, 1)
	return rec, nil
}

// parseQuoted is the slow path for records with quotes, possibly spanning lines. final says
// no more input will come. It finds the record's fields with [tokenize] and copies nothing:
// the record carries their spans, and fieldsOf builds the values when they are needed.
func (s *scanner) parseQuoted(data []byte, final bool) (record, error) {
	t := tokenize(data, s.comma, final, s.offs[:0])
	s.offs = t.offs
	switch t.status {
	case tokNeedMore:
		return record{}, s.needMore(len(data))
	case tokUnterminated:
		return s.rejectLine(ErrUnterminatedQuote)
	}
	raw := data[:t.end]
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	if t.lines > 1 && s.nfields > 0 && len(t.offs)/2 != s.nfields {
		// A quote opened on this line swallowed the lines after it and the result does not
		// have the header's shape: almost always a stray quote. Reject only this physical
		// line and read the next lines as rows of their own, so none of them is lost.
		return s.rejectLine(ErrUnterminatedQuote)
	}
	rec := record{raw: raw, spans: t.offs, line: s.line, multi: t.lines > 1, spanEnd: t.end}
	if t.qerr != nil {
		rec.err, rec.col, rec.spans = t.qerr, t.qcol, nil
	}
	s.advance(t.end, t.lines)
	return rec, nil
}

// escaped marks, in a field's end offset, a quoted field with doubled quotes inside: its
// value is its span with every "" collapsed to ".
const escaped = 1 << 30

// Results of tokenize.
const (
	tokOK           = iota
	tokNeedMore     // the record does not end within data and more may come
	tokUnterminated // a quoted field does not close before the end of the input
)

// tokens is what tokenize found.
type tokens struct {
	offs   []int32 // per field: start, end (| escaped) offsets into data
	end    int     // index of the record's '\n', or len(data)
	lines  int     // physical lines the record spans
	qerr   error   // ErrQuote: text after a closing quote
	qcol   int     // 1-based byte column of qerr
	status int
}

// tokenize finds the fields of the record at the start of data, appending their spans to
// offs. final says no more input will come. It stays one function on purpose: it is a
// byte-level state machine (in a field, in quotes, after a closing quote, at a line end)
// whose states share the position; split into functions, each byte would cross a call and
// the states' hand-offs would be spread over several places that must agree. Quoted parts
// are crossed with IndexByte, never byte by byte.
func tokenize(data []byte, comma byte, final bool, offs []int32) tokens {
	t := tokens{lines: 1}
	i := 0
	// nextNL caches the index of the next '\n' at or after i (len(data) when none), so
	// unquoted fields are found with two IndexByte calls instead of a byte loop.
	nextNL := -1
	for {
		var fs, fe int
		if i < len(data) && data[i] == '"' {
			i++
			fs = i
			esc := 0
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					if !final {
						t.status = tokNeedMore
					} else {
						t.status = tokUnterminated
					}
					t.offs = offs
					return t
				}
				t.lines += bytes.Count(data[i:i+j], newline)
				i += j
				if i+1 < len(data) && data[i+1] == '"' {
					esc = escaped
					i += 2
					continue
				}
				if i+1 >= len(data) && !final {
					t.status, t.offs = tokNeedMore, offs
					return t
				}
				fe = i | esc
				i++
				break
			}
			// after the closing quote: delimiter, end of record, or garbage
			if i < len(data) && data[i] != comma && data[i] != '\n' && !(data[i] == '\r' && (i+1 >= len(data) || data[i+1] == '\n')) {
				if t.qerr == nil {
					t.qerr, t.qcol = ErrQuote, i+1
				}
				// the garbage runs to the next delimiter or line end (the record's fields
				// are dropped)
				for i < len(data) && data[i] != comma && data[i] != '\n' {
					i++
				}
			}
			if i < len(data) && data[i] == '\r' {
				if i+1 >= len(data) && !final {
					t.status, t.offs = tokNeedMore, offs
					return t
				}
				if i+1 < len(data) && data[i+1] == '\n' {
					i++
				}
			}
		} else {
			if nextNL < i {
				nextNL = bytes.IndexByte(data[i:], '\n')
				if nextNL < 0 {
					nextNL = len(data)
				} else {
					nextNL += i
				}
			}
			j := bytes.IndexByte(data[i:nextNL], comma)
			if j < 0 {
				j = nextNL - i
			}
			fs, fe = i, i+j
			i += j
			if i < len(data) && data[i] == '\n' && fe > fs && data[fe-1] == '\r' {
				fe--
			}
		}
		offs = append(offs, int32(fs), int32(fe))
		if i >= len(data) {
			if !final {
				t.status, t.offs = tokNeedMore, offs
				return t
			}
			break
		}
		if data[i] == comma {
			i++
			continue
		}
		// data[i] == '\n'
		break
	}
	t.end, t.offs = i, offs
	return t
}

// materialize returns the fields whose spans tokenize found in raw: slices of raw, except
// escaped fields, unescaped into s.unq.
func (s *scanner) materialize(raw []byte, spans []int32) [][]byte {
	s.unq = s.unq[:0]
	f := s.fields[:0]
	for k := 0; k < len(spans); k += 2 {
		fs, fe := spans[k], spans[k+1]
		if fe&escaped == 0 {
			f = append(f, raw[fs:fe:fe])
			continue
		}
		// Collapse each "" to ": the value goes to s.unq; its slice is taken below, once
		// s.unq no longer moves.
		start := len(s.unq)
		v := raw[fs : fe&^escaped]
		for {
			i := bytes.IndexByte(v, '"')
			if i < 0 || i+1 >= len(v) {
				s.unq = append(s.unq, v...)
				break
			}
			s.unq = append(s.unq, v[:i+1]...)
			v = v[i+2:]
		}
		f = append(f, nil)
		s.offsUnq = append(s.offsUnq, int32(len(f)-1), int32(start), int32(len(s.unq)))
	}
	for k := 0; k < len(s.offsUnq); k += 3 {
		i, a, b := s.offsUnq[k], s.offsUnq[k+1], s.offsUnq[k+2]
		f[i] = s.unq[a:b:b]
	}
	s.offsUnq = s.offsUnq[:0]
	s.fields = f
	return f
}

// needMore decides between waiting for more input and giving up on a runaway quoted field.
func (s *scanner) needMore(n int) error {
	if n > s.maxRecord {
		// A quoted field that never closes within the limit: treat as unterminated.
		return errRunaway
	}
	return errNeedMore
}

var errRunaway = errors.New("runaway quoted field")

var newline = []byte{'\n'}

// validUTF8 reports whether b is valid UTF-8 and, if not, the 1-based byte column of the
// first bad byte.
func validUTF8(b []byte) (bool, int) {
	if utf8.Valid(b) {
		return true, 0
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false, i + 1
		}
		i += size
	}
	return false, 0
}
