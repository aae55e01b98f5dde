package backfill

import (
	"fmt"
	"slices"
	"strings"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Bulk API 2.0 processes a job's rows in internal batches of 10,000, in parallel, with no
// serial mode. The Northpass package matches each enrollment to a Contact by the learner's
// email, so two enrollments of one learner in two batches can fail with UNABLE_TO_LOCK_ROW.
// Salesforce's advice is to order child rows by their parent: plan orders each part's rows
// by the learner email column (or TargetOptions.OrderBy), so one learner's rows sit together in one batch.

// OrderNone is the OrderBy value that keeps the export's order.
const OrderNone = "none"

// orderColumn picks the to_import.csv column each part is ordered by: the loaded column
// named by orderBy, or by default the first loaded column whose field is an email (the
// learner's). It returns -1 for none. A column named by orderBy that is not loaded is an
// error naming the columns that are.
func (t *Target) orderColumn(orderBy string) (int, error) {
	if strings.EqualFold(orderBy, OrderNone) {
		return -1, nil
	}
	if orderBy != "" {
		for i, c := range t.Columns {
			if csvdiff.Canonical(c.Column) == csvdiff.Canonical(orderBy) {
				return i, nil
			}
		}
		loaded := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			loaded[i] = fmt.Sprintf("%q", c.Column)
		}
		return -1, optionErr(OptOrderBy, orderBy, &ChoiceError{Why: "no loaded column has that name", Choices: append(loaded, OrderNone)})
	}
	for i, c := range t.Columns {
		if c.Field.Type == "email" || strings.Contains(strings.ToLower(c.Field.Name), "email") {
			return i, nil
		}
	}
	return -1, nil
}

// partOrder holds the records of the part being written, in memory, so that they can be
// written to to_import.csv in order when the part is complete: a part is at most
// MaxUploadBytes (99 MB by default), which bounds the memory. Ordering while writing costs
// no second pass over the file (a pass that read rows back one by one made plan 60% slower
// on 2,000,000 rows; one that rewrote the file, 50%).
//
// The buffer starts at firstOrderBuf and, when a part outgrows that, is allocated at the
// part's whole size (max) at once: growing by doubling would hold two copies of a large part
// at once, and allocating the whole part up front cost every plan 99 MB to clear, most of
// whose parts are small (a plan loads what is missing since the cutoff).
type partOrder struct {
	col  int // the to_import.csv column ordered by
	max  int // a part's largest size: the buffer's capacity once it outgrows firstOrderBuf
	buf  []byte
	rows []orderedRow
	idx  []sortEntry
}

// firstOrderBuf is the capacity of a partOrder's first buffer.
const firstOrderBuf = 4 << 20

// orderedRow is one record of the part: where its bytes are in the buffer (without the
// newline), its order key's, and the key's first 8 bytes folded, which settle most
// comparisons.
type orderedRow struct {
	off, end       int
	keyOff, keyEnd int
	prefix         uint64
}

// add appends one record (without its newline).
func (o *partOrder) add(rec []byte) {
	if need := len(o.buf) + len(rec); need > cap(o.buf) {
		c := 0 // past a part's size (the record that ends it): append grows the buffer
		switch first := min(firstOrderBuf, o.max); {
		case cap(o.buf) == 0 && need <= first:
			c = first
		case cap(o.buf) < o.max && need <= o.max:
			c = o.max
		}
		if c > 0 {
			o.buf = append(make([]byte, 0, c), o.buf...)
		}
	}
	r := orderedRow{off: len(o.buf)}
	o.buf = append(o.buf, rec...)
	r.end = len(o.buf)
	from, to := fieldAt(rec, o.col)
	r.keyOff, r.keyEnd = r.off+from, r.off+to
	for i := range 8 {
		r.prefix <<= 8
		if i < to-from {
			r.prefix |= uint64(fold(rec[from+i]))
		}
	}
	o.rows = append(o.rows, r)
}

// size is the bytes the records take in the file (each with its newline).
func (o *partOrder) size() int64 { return int64(len(o.buf) + len(o.rows)) }

// writeTo writes the first n records in order and keeps the others for the next part.
func (o *partOrder) writeTo(w *csvdiff.Writer, n int) error {
	// Sort 16-byte entries (the key's folded prefix and the row), not the rows: by key, then by
	// place, a stable sort's order with the faster unstable one.
	idx := o.idx[:0]
	for i := range n {
		idx = append(idx, sortEntry{o.rows[i].prefix, uint32(i)})
	}
	o.idx = idx
	slices.SortFunc(idx, func(a, b sortEntry) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		ra, rb := &o.rows[a.row], &o.rows[b.row]
		if c := foldCompare(o.buf[ra.keyOff:ra.keyEnd], o.buf[rb.keyOff:rb.keyEnd]); c != 0 {
			return c
		}
		return int(a.row) - int(b.row)
	})
	for _, e := range idx {
		r := &o.rows[e.row]
		if err := w.WriteRaw(o.buf[r.off:r.end]); err != nil {
			return err
		}
	}
	rest := o.rows[n:]
	if len(rest) == 0 {
		o.buf, o.rows = o.buf[:0], o.rows[:0]
		return nil
	}
	shift := rest[0].off
	o.buf = append(o.buf[:0], o.buf[shift:]...)
	o.rows = o.rows[:copy(o.rows, rest)]
	for i := range o.rows {
		r := &o.rows[i]
		r.off, r.end, r.keyOff, r.keyEnd = r.off-shift, r.end-shift, r.keyOff-shift, r.keyEnd-shift
	}
	return nil
}

// sortEntry is what writeTo sorts.
type sortEntry struct {
	prefix uint64
	row    uint32
}

// fieldAt returns where field i of one record (without its newline) is: its raw bytes,
// quotes included. A record with fewer fields gives an empty span at its end.
func fieldAt(rec []byte, i int) (from, to int) {
	quoted, n := false, 0
	for j, c := range rec {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			if n == i {
				return from, j
			}
			n, from = n+1, j+1
		}
	}
	if n == i {
		return from, len(rec)
	}
	return len(rec), len(rec)
}

func fold(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldCompare compares a and b with ASCII letters folded to lower case.
func foldCompare(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if x, y := fold(a[i]), fold(b[i]); x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}
