package csvdiff

import (
	"bytes"
	"io"
)

// Writer writes CSV records with ',' and LF, quoting only fields that need it. With
// neutralize set it defuses spreadsheet formulas: a cell starting with '=', '+', '-', '@',
// tab or CR gets a leading apostrophe, the OWASP advice for CSV files people open in Excel.
// So does a cell whose apostrophes come before such a character ("'=x" gets a second
// apostrophe), so that removing one apostrophe on reading gives every value back exactly.
// Files meant for Salesforce must not be neutralized: their values stay byte for byte.
//
// Call Flush when done and check its error. Writes to the underlying writer happen on
// another goroutine, 256 KB at a time, while the next records are built (a large run
// writes a hundred MB of ledger and rows); an error of the underlying writer comes back
// from a later Write or from Flush.
type Writer struct {
	w          *backgroundWriter
	neutralize bool
	buf        []byte
	n          int64
}

// backgroundWriter buffers writes to w and hands each full buffer to a goroutine, so the
// caller goes on filling a second buffer meanwhile. At most one write is in flight.
type backgroundWriter struct {
	w      io.Writer
	buf    []byte
	spare  []byte
	flight chan error // receives the result of the write in flight; nil when none
	err    error      // the first error: every later call returns it
}

const writerBuffer = 256 << 10

// wait waits for the write in flight, if any.
func (bw *backgroundWriter) wait() {
	if bw.flight != nil {
		if err := <-bw.flight; err != nil && bw.err == nil {
			bw.err = err
		}
		bw.flight = nil
	}
}

// handOff starts writing the buffer on another goroutine and continues in the spare one.
func (bw *backgroundWriter) handOff() {
	bw.wait()
	if bw.err != nil {
		return
	}
	out := bw.buf
	if bw.flight == nil {
		bw.flight = make(chan error, 1)
	}
	flight := bw.flight
	go func() {
		_, err := bw.w.Write(out)
		flight <- err
	}()
	bw.buf, bw.spare = bw.spare[:0], out
}

func (bw *backgroundWriter) Write(p []byte) (int, error) {
	if bw.err != nil {
		return 0, bw.err
	}
	if bw.buf == nil {
		bw.buf, bw.spare = make([]byte, 0, writerBuffer), make([]byte, 0, writerBuffer)
	}
	if len(bw.buf)+len(p) > cap(bw.buf) && len(bw.buf) > 0 {
		bw.handOff()
		if bw.err != nil {
			return 0, bw.err
		}
	}
	if len(p) > cap(bw.buf) {
		// Larger than a buffer: written directly, in order after the one in flight.
		bw.wait()
		if bw.err != nil {
			return 0, bw.err
		}
		n, err := bw.w.Write(p)
		bw.err = err
		return n, err
	}
	bw.buf = append(bw.buf, p...)
	return len(p), nil
}

func (bw *backgroundWriter) WriteByte(c byte) error {
	if bw.err != nil {
		return bw.err
	}
	if len(bw.buf) == cap(bw.buf) {
		if bw.buf == nil {
			bw.buf, bw.spare = make([]byte, 0, writerBuffer), make([]byte, 0, writerBuffer)
		} else {
			bw.handOff()
			if bw.err != nil {
				return bw.err
			}
		}
	}
	bw.buf = append(bw.buf, c)
	return nil
}

// Flush writes everything buffered and waits for it.
func (bw *backgroundWriter) Flush() error {
	bw.wait()
	if bw.err != nil {
		return bw.err
	}
	if len(bw.buf) > 0 {
		_, bw.err = bw.w.Write(bw.buf)
		bw.buf = bw.buf[:0]
	}
	return bw.err
}

// Offset returns the number of bytes written so far (buffered or not): the offset at which
// the next record starts.
func (w *Writer) Offset() int64 { return w.n }

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer, neutralize bool) *Writer {
	return &Writer{w: &backgroundWriter{w: w}, neutralize: neutralize}
}

// Write writes one record made of fields followed by extra.
func (w *Writer) Write(fields [][]byte, extra ...string) error {
	return w.writeLine(w.AppendRecord(w.buf[:0], fields, extra...))
}

// AppendRecord appends to b the record [Writer.Write] would write, without its newline.
func (w *Writer) AppendRecord(b []byte, fields [][]byte, extra ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = w.appendField(b, f)
	}
	for i, e := range extra {
		if i > 0 || len(fields) > 0 {
			b = append(b, ',')
		}
		b = w.appendField(b, []byte(e))
	}
	return b
}

// WriteStrings writes one record of strings.
func (w *Writer) WriteStrings(fields ...string) error { return w.Write(nil, fields...) }

// AppendField appends f to b as one field of a record (quoted when needed, neutralised when
// the writer neutralises). With [Writer.WriteRecord] it lets a hot path build its records
// without allocating; b is typically [Writer.Buffer].
func (w *Writer) AppendField(b, f []byte) []byte { return w.appendField(b, f) }

// Buffer returns the writer's scratch buffer, emptied, for building a record.
func (w *Writer) Buffer() []byte { return w.buf[:0] }

// WriteRecord writes b, one record built with [Writer.AppendField] (fields separated by
// ','), and ends it with LF.
func (w *Writer) WriteRecord(b []byte) error { return w.writeLine(b) }

// writeLine ends the record in b with LF and writes it.
func (w *Writer) writeLine(b []byte) error {
	b = append(b, '\n')
	w.buf = b
	w.n += int64(len(b))
	_, err := w.w.Write(b)
	return err
}

// WriteRaw writes raw, which must already be one well-formed comma-separated record,
// followed by LF.
func (w *Writer) WriteRaw(raw []byte) error {
	if _, err := w.w.Write(raw); err != nil {
		return err
	}
	w.n += int64(len(raw)) + 1
	return w.w.WriteByte('\n')
}

// Flush writes any buffered data.
func (w *Writer) Flush() error { return w.w.Flush() }

func (w *Writer) appendField(b, f []byte) []byte {
	risky := w.neutralize && formulaLike(f)
	if !needsQuotes(f) {
		if risky {
			b = append(b, '\'')
		}
		return append(b, f...)
	}
	b = append(b, '"')
	if risky {
		b = append(b, '\'')
	}
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// formulaLike reports whether a neutralizing writer prefixes f with an apostrophe: f starts
// with a formula character, after any number of apostrophes.
func formulaLike[T string | []byte](f T) bool {
	i := 0
	for i < len(f) && f[i] == '\'' {
		i++
	}
	return i < len(f) && isFormulaStart(f[i])
}

// Neutralize returns s with a leading apostrophe when a spreadsheet would read it as a
// formula (see [Writer]).
func Neutralize(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// Unneutralize undoes [Neutralize] (and a neutralizing [Writer]): Unneutralize(Neutralize(s))
// == s for every s.
func Unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaLike(s[1:]) {
		return s[1:]
	}
	return s
}

// special marks the bytes that force a field into quotes.
var special = [256]bool{',': true, '"': true, '\n': true, '\r': true}

func needsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if f[0] == ' ' || f[len(f)-1] == ' ' {
		return true
	}
	for _, c := range f {
		if special[c] {
			return true
		}
	}
	return false
}

// RawIsCanonical reports whether the record's raw bytes can be copied as they are into a
// comma-separated LF file: the export is comma-separated UTF-8, so re-encoding the fields
// would give the same values.
func (h *Header) RawIsCanonical() bool { return h.Delimiter == ',' }
