package csvdiff

import (
	"bytes"
	"context"
	"io"
	"sync"
	"unicode/utf8"
)

// The two passes are split over two goroutines: one reads and tokenizes records into
// batches, the other validates, classifies and writes them. Nothing is copied between them:
// the reader reads straight into a batch's buffer (1 MB reads), finds the records in it and
// hands the buffer over whole, with each record's offsets; only the part of a record cut by
// the buffer's end is copied into the next buffer. Batches, buffers included, are recycled
// through a small pool, so memory stays bounded.

const (
	bufSize   = 1 << 20 // a batch's buffer: the size of a read
	batchPool = 4
)

// recSpan is one record of a batch, as offsets into the batch's buffer. It holds no
// pointers (the rare tokenizer error sits in batch.errs), so batches cost the garbage
// collector nothing.
type recSpan struct {
	line     int
	raw      [3]int32 // start, end and, for a quoted record, how far its spans may reach
	spans    [2]int32 // range in batch.offs of a quoted record's field spans
	key      [2]int32 // with keyState keyFound: the key's span, relative to raw
	col      int32
	errIdx   int32 // index+1 into batch.errs; 0 for none
	lazy     bool
	hasSpans bool
	multi    bool
	whole    int8 // bytes of the line's terminator after raw, +1; 0 when the record has no whole
	utf8     int8 // with readPlan.validate: utf8Valid or utf8Invalid
	keyState int8
}

// Results the reader works out ahead for the classifier, when its readPlan asks.
const (
	utf8Valid   = 1
	utf8Invalid = 2

	keyFound = 1 // the key is recSpan.key
	keyNone  = 2 // the row has no key (not the header's shape)
)

// readPlan is what eachRecord's reader does beyond finding the records.
type readPlan struct {
	// validate checks each record's UTF-8 (record.utf8).
	validate bool
	// rows, when set, are the first pass's outcomes with their flags: a row found on one
	// line then is read as that line (scanner.nextLine), and its key is found ahead
	// (record.keyState) from column key of nfields.
	rows         []Outcome
	key, nfields int
}

type batch struct {
	buf  []byte  // the bytes the records point into
	offs []int32 // field spans of quoted records, relative to each record's start
	recs []recSpan
	errs []error
	err  error // the read error that ended the input (io.EOF at the end)
}

func (b *batch) reset() {
	b.offs, b.recs, b.errs, b.err = b.offs[:0], b.recs[:0], b.errs[:0], nil
}

// add records rec, whose raw bytes start at offset start of the buffer.
func (b *batch) add(rec *record, start int) {
	rs := recSpan{line: rec.line, lazy: rec.lazy, col: int32(rec.col)}
	if rec.err != nil {
		b.errs = append(b.errs, rec.err)
		rs.errIdx = int32(len(b.errs))
	}
	rs.raw = [3]int32{int32(start), int32(start + len(rec.raw)), int32(start + max(len(rec.raw), rec.spanEnd))}
	rs.multi = rec.multi
	rs.utf8 = rec.utf8
	if rec.whole != nil {
		rs.whole = int8(len(rec.whole)-len(rec.raw)) + 1
	}
	rs.keyState = rec.keyState
	if rec.keyState == keyFound {
		rs.key = rec.key
	}
	if rec.spans != nil {
		rs.hasSpans = true
		fs := len(b.offs)
		b.offs = append(b.offs, rec.spans...)
		rs.spans = [2]int32{int32(fs), int32(len(b.offs))}
	}
	b.recs = append(b.recs, rs)
}

// readError marks an error of the underlying reader, as opposed to one of fn.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// eachRecord calls fn with every non-blank record of sc, in order, reading ahead on another
// goroutine. fn gets a splitter to pass to fieldsOf (the reader's own scanner is busy); the
// record and its slices are valid only during the call. It returns fn's first error, a
// *readError, or ctx's error.
func eachRecord(ctx context.Context, sc *scanner, plan readPlan, fn func(rec *record, sp *scanner) error) error {
	free := make(chan *batch, batchPool)
	full := make(chan *batch, batchPool)
	for i := 0; i < batchPool; i++ {
		free <- &batch{}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	size := bufSize
	if sc.chunk > 0 {
		size = sc.chunk // tests use tiny buffers
	}
	sc.minRead = max(size/16, 1)
	go func() {
		defer wg.Done()
		defer close(full)
		var cur *batch
		select {
		case cur = <-free:
		case <-stop:
			return
		}
		stopped := false
		gen := 0 // handoffs so far
		// handoff ships the current batch with the scanner's buffer and gives the scanner
		// the next batch's buffer, starting with the unread bytes.
		sc.handoff = func() {
			if stopped {
				sc.pos, sc.end = 0, 0 // the consumer is gone: drop the data
				return
			}
			gen++
			cur.buf = sc.buf
			select {
			case full <- cur:
			case <-stop:
				stopped = true
				sc.pos, sc.end = 0, 0
				return
			}
			select {
			case cur = <-free:
			case <-stop:
				stopped = true
				sc.pos, sc.end = 0, 0
				return
			}
			cur.reset()
			mem := cur.buf[:cap(cur.buf)]
			if len(mem) < size || len(mem) > 4*size || len(mem) < sc.end-sc.pos+sc.minRead {
				mem = make([]byte, max(size, sc.end-sc.pos+sc.minRead))
			}
			n := copy(mem, sc.buf[sc.pos:sc.end])
			sc.crUpto -= sc.pos
			sc.buf, sc.pos, sc.end = mem, 0, n
		}
		row := 0
		for !stopped {
			start, g := sc.pos, gen
			var rec record
			var err error
			if row < len(plan.rows) && plan.rows[row]&multiLine == 0 && plan.rows[row]&outcomeMask != Rejected {
				rec, err = sc.nextLine()
			} else {
				rec, err = sc.next()
			}
			if err != nil {
				cur.err = err
				cur.buf = sc.buf
				select {
				case full <- cur:
				case <-stop:
				}
				return
			}
			if !rec.blank {
				if gen != g {
					// next handed the buffer over before finding this record: it starts
					// the new buffer
					start = 0
				}
				if plan.validate {
					rec.utf8 = utf8Valid
					if !utf8.Valid(rec.raw) {
						rec.utf8 = utf8Invalid
					}
				}
				if plan.rows != nil && rec.err == nil {
					plan.findKey(sc, &rec)
				}
				cur.add(&rec, start)
				row++
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	sp := &scanner{comma: sc.comma, nfields: sc.nfields}
	var rec record
	n := 0
	for b := range full {
		for i := range b.recs {
			if n&0xFFFF == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			n++
			rs := &b.recs[i]
			rec = record{raw: b.buf[rs.raw[0]:rs.raw[1]:rs.raw[2]], line: rs.line, col: int(rs.col), lazy: rs.lazy,
				multi: rs.multi, utf8: rs.utf8, keyState: rs.keyState, key: rs.key}
			if rs.whole > 0 {
				end := rs.raw[1] + int32(rs.whole) - 1
				rec.whole = b.buf[rs.raw[0]:end:end]
			}
			if rs.errIdx > 0 {
				rec.err = b.errs[rs.errIdx-1]
			}
			if rs.hasSpans {
				rec.spans = b.offs[rs.spans[0]:rs.spans[1]:rs.spans[1]]
			}
			if err := fn(&rec, sp); err != nil {
				return err
			}
		}
		err := b.err
		free <- b
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &readError{err}
		}
	}
	return nil
}

// findKey finds the key of rec, a row of the second pass, as Index.keyOf would, when it can
// without tokenizing the whole record: a line without quotes, or one whose quotes all come
// after the key. Other records are left to the classifier (keyState 0).
func (p *readPlan) findKey(sc *scanner, rec *record) {
	line := rec.raw
	if !rec.lazy {
		if rec.whole == nil {
			return
		}
		line = line[:bytes.IndexByte(line, '"')] // only the part before the first quote
	} else if bytes.Count(line, []byte{sc.comma}) != p.nfields-1 {
		rec.keyState = keyNone
		return
	}
	start := 0
	for i := 0; i < p.key; i++ {
		j := bytes.IndexByte(line[start:], sc.comma)
		if j < 0 {
			if rec.lazy {
				rec.keyState = keyNone
			}
			return
		}
		start += j + 1
	}
	end := len(line)
	if j := bytes.IndexByte(line[start:], sc.comma); j >= 0 {
		end = start + j
	} else if !rec.lazy || p.key != p.nfields-1 {
		if rec.lazy {
			rec.keyState = keyNone
		}
		return // with quotes: the key runs into them
	}
	for start < end && (line[start] == ' ' || line[start] == '\t') {
		start++
	}
	for end > start && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	rec.keyState, rec.key = keyFound, [2]int32{int32(start), int32(end)}
}
