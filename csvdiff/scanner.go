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
	line   int      // physical line where the record starts (1-based)
	blank  bool     // an empty line: not a data row
	err    error    // tokenizer problem (quote, too long); the record is rejected
	col    int      // 1-based column of err, when known
	lazy   bool     // an unquoted line whose fields are not split yet (see fieldsOf)
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
	fields [][]byte
	unq    []byte
	offs   []int
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
	if s.pos > 0 {
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

// fieldsOf returns rec's fields, splitting a lazy record on first use.
func (s *scanner) fieldsOf(rec *record) [][]byte {
	if rec.lazy {
		rec.fields, rec.lazy = s.split(rec.raw), false
	}
	return rec.fields
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
// no more input will come. It stays one function on purpose: it is a byte-level state
// machine (in a field, in quotes, after a closing quote, at a line end) whose states share
// the field buffer and the position; split into functions, each byte would cross a call and
// the states' hand-offs would be spread over several places that must agree.
func (s *scanner) parseQuoted(data []byte, final bool) (record, error) {
	comma := s.comma
	s.unq = s.unq[:0]
	s.offs = s.offs[:0]
	i := 0
	lines := 1
	var qerr error
	qcol := 0
	// nextNL caches the index of the next '\n' at or after i (len(data) when none), so
	// unquoted fields are found with two IndexByte calls instead of a byte loop.
	nextNL := -1
	for {
		// start of a field
		start := len(s.unq)
		if i < len(data) && data[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					if !final {
						return record{}, s.needMore(len(data))
					}
					return s.rejectLine(ErrUnterminatedQuote)
				}
				seg := data[i : i+j]
				lines += bytes.Count(seg, newline)
				s.unq = append(s.unq, seg...)
				i += j
				if i+1 < len(data) && data[i+1] == '"' {
					s.unq = append(s.unq, '"')
					i += 2
					continue
				}
				if i+1 >= len(data) && !final {
					return record{}, s.needMore(len(data))
				}
				i++
				break
			}
			// after the closing quote: delimiter, end of record, or garbage
			if i < len(data) && data[i] != comma && data[i] != '\n' && !(data[i] == '\r' && (i+1 >= len(data) || data[i+1] == '\n')) {
				if qerr == nil {
					qerr, qcol = ErrQuote, i+1
				}
				// keep the garbage as part of the field up to the next delimiter or line end
				for i < len(data) && data[i] != comma && data[i] != '\n' {
					s.unq = append(s.unq, data[i])
					i++
				}
			}
			if i < len(data) && data[i] == '\r' {
				if i+1 >= len(data) && !final {
					return record{}, s.needMore(len(data))
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
			s.unq = append(s.unq, data[i:i+j]...)
			i += j
			if i < len(data) && data[i] == '\n' && len(s.unq) > start && s.unq[len(s.unq)-1] == '\r' {
				s.unq = s.unq[:len(s.unq)-1]
			}
		}
		s.offs = append(s.offs, start, len(s.unq))
		if i >= len(data) {
			if !final {
				return record{}, s.needMore(len(data))
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
	end := i // index of '\n' or len(data)
	raw := data[:end]
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	f := s.fields[:0]
	for k := 0; k < len(s.offs); k += 2 {
		f = append(f, s.unq[s.offs[k]:s.offs[k+1]:s.offs[k+1]])
	}
	s.fields = f
	if lines > 1 && s.nfields > 0 && len(f) != s.nfields {
		// A quote opened on this line swallowed the lines after it and the result does not
		// have the header's shape: almost always a stray quote. Reject only this physical
		// line and read the next lines as rows of their own, so none of them is lost.
		return s.rejectLine(ErrUnterminatedQuote)
	}
	rec := record{raw: raw, fields: f, line: s.line}
	if qerr != nil {
		rec.err, rec.col, rec.fields = qerr, qcol, nil
	}
	s.advance(end, lines)
	return rec, nil
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
