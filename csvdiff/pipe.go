package csvdiff

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
)

// A pass is spread over the cores in three parts. The reader, one goroutine, reads the
// export into 1 MB buffers and finds where each record ends: a newline and a quote search
// per line, and the field walk of a quoted record only when it spans lines (a record on one
// line with quotes is left whole; see scanner.nextLazy). Workers, one per core, then do the
// per-record work of the pass on whole buffers (fields, UTF-8, dates, keys, hashes); the
// calling goroutine takes the buffers back in file order for what must be done in order
// (the dedup table, the key set, the sink). Nothing is copied between them: the reader reads
// straight into a batch's buffer and hands it over whole, with each record's offsets; only
// the part of a record cut by the buffer's end is copied into the next buffer. Batches,
// buffers included, are recycled through a small pool, so memory stays bounded.

const (
	bufSize = 1 << 20 // a batch's buffer: the size of a read
)

// recSpan is one record of a batch, as offsets into the batch's buffer. It holds no
// pointers (the rare tokenizer error sits in batch.errs), so batches cost the garbage
// collector nothing.
type recSpan struct {
	line     int
	raw      [3]int32 // start, end and, for a quoted record, how far its spans may reach
	spans    [2]int32 // range in batch.offs of a quoted record's field spans
	col      int32
	errIdx   int32 // index+1 into batch.errs; 0 for none
	lazy     bool
	hasSpans bool
	multi    bool
	whole    int8 // bytes of the line's terminator after raw, +1; 0 when the record has no whole
}

// readPlan is what eachRecord's reader does beyond finding the records.
type readPlan struct {
	// rows, when set, are the first pass's outcomes with their flags: a row found on one
	// line then is read as that line (scanner.nextLine).
	rows []Outcome
}

// batch is one buffer of records on its way from the reader through a worker to the
// caller, with what the worker found for the pass's merge.
type batch struct {
	buf  []byte  // the bytes the records point into
	offs []int32 // field spans of quoted records, relative to each record's start
	recs []recSpan
	errs []error
	err  error // the read error that ended the input (io.EOF at the end)
	row  int   // the 0-based data row of recs[0]
	// ready receives once the worker is done with the batch.
	ready chan struct{}

	// Results of the pass's worker, per record unless said otherwise.
	outs    []Outcome
	cands   []candidate // Scan: the candidates, in order
	rowErrs []*RowError // Scan, Emit, ReadKeys: the rows' errors, in order
	details []string    // Emit: the rejected rows' details, in order
	keys    []keyRef    // Emit and ReadKeys: the rows' keys
	vals    []keyRef    // ReadKeys: the kept keys' values
	arena   []byte      // bytes that are not in buf: lower-cased or unescaped keys
	ev      []dateEvidence
}

func (b *batch) reset(row int) {
	b.offs, b.recs, b.errs, b.err, b.row = b.offs[:0], b.recs[:0], b.errs[:0], nil, row
}

// keyRef is a field found by a worker: a span of the batch's buffer or, with inArena, of
// its arena; ok is false when there is none.
type keyRef struct {
	start, end int32
	inArena    bool
	ok         bool
}

// get returns the bytes of k.
func (b *batch) get(k keyRef) []byte {
	switch {
	case !k.ok:
		return nil
	case k.inArena:
		return b.arena[k.start:k.end:k.end]
	}
	return b.buf[k.start:k.end:k.end]
}

// copyRef copies v into the arena and returns its keyRef (none for nil).
func (b *batch) copyRef(v []byte) keyRef {
	if v == nil {
		return keyRef{}
	}
	s := len(b.arena)
	b.arena = append(b.arena, v...)
	return keyRef{start: int32(s), end: int32(len(b.arena)), inArena: true, ok: true}
}

// add records rec, whose raw bytes start at offset start of the buffer.
func (b *batch) add(rec *record, start int) {
	b.recs = append(b.recs, recSpan{})
	b.store(len(b.recs)-1, rec, start)
}

// store writes rec, whose raw bytes start at offset start of the buffer, as record i.
func (b *batch) store(i int, rec *record, start int) {
	rs := recSpan{line: rec.line, lazy: rec.lazy, col: int32(rec.col), multi: rec.multi}
	if rec.err != nil {
		b.errs = append(b.errs, rec.err)
		rs.errIdx = int32(len(b.errs))
	}
	rs.raw = [3]int32{int32(start), int32(start + len(rec.raw)), int32(start + max(len(rec.raw), rec.spanEnd))}
	if rec.whole != nil {
		rs.whole = int8(len(rec.whole)-len(rec.raw)) + 1
	}
	if rec.spans != nil {
		rs.hasSpans = true
		fs := len(b.offs)
		b.offs = append(b.offs, rec.spans...)
		rs.spans = [2]int32{int32(fs), int32(len(b.offs))}
	}
	b.recs[i] = rs
}

// record sets rec to record i; its slices point into the batch.
func (b *batch) record(i int, rec *record) {
	rs := &b.recs[i]
	*rec = record{raw: b.buf[rs.raw[0]:rs.raw[1]:rs.raw[2]], line: rs.line, col: int(rs.col), lazy: rs.lazy, multi: rs.multi}
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
}

// readError marks an error of the underlying reader, as opposed to one of fn.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// workers is how many goroutines do the per-record work of a pass.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// eachBatch reads the non-blank records of sc in batches: work is called for each batch on
// one of several worker goroutines, with a splitter of its own to pass to fieldsOf (the
// reader's scanner is busy); merge is then called on the calling goroutine with the
// batches in file order. The batch and its records are valid only until merge returns.
// It returns merge's first error, a *readError, or ctx's error.
func eachBatch(ctx context.Context, sc *scanner, plan readPlan, work func(sp *scanner, b *batch), merge func(b *batch) error) error {
	nw := workers()
	pool := nw + 4 // one being read, one per worker, one being merged, two waiting
	free := make(chan *batch, pool)
	order := make(chan *batch, pool) // in file order, for merge
	todo := make(chan *batch, pool)  // for the workers
	for i := 0; i < pool; i++ {
		free <- &batch{ready: make(chan struct{}, 1)}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	size := bufSize
	if sc.chunk > 0 {
		size = sc.chunk // tests use tiny buffers
	}
	sc.minRead = max(size/16, 1)
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sp := &scanner{comma: sc.comma, nfields: sc.nfields}
			for b := range todo {
				select {
				case <-stop:
				default:
					work(sp, b)
				}
				b.ready <- struct{}{}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(todo)
		defer close(order)
		var cur *batch
		select {
		case cur = <-free:
		case <-stop:
			return
		}
		cur.reset(0)
		stopped := false
		ship := func(b *batch) bool {
			select {
			case order <- b:
			case <-stop:
				return false
			}
			select {
			case todo <- b:
			case <-stop:
				return false
			}
			return true
		}
		gen := 0 // handoffs so far
		row := 0
		// handoff ships the current batch with the scanner's buffer and gives the scanner
		// the next batch's buffer, starting with the unread bytes.
		sc.handoff = func() {
			if stopped {
				sc.pos, sc.end = 0, 0 // the consumer is gone: drop the data
				return
			}
			gen++
			cur.buf = sc.buf
			if !ship(cur) {
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
			cur.reset(row)
			mem := cur.buf[:cap(cur.buf)]
			if len(mem) < size || len(mem) > 4*size || len(mem) < sc.end-sc.pos+sc.minRead {
				mem = make([]byte, max(size, sc.end-sc.pos+sc.minRead))
			}
			n := copy(mem, sc.buf[sc.pos:sc.end])
			sc.crUpto -= sc.pos
			sc.buf, sc.pos, sc.end = mem, 0, n
		}
		for !stopped {
			start, g := sc.pos, gen
			var rec record
			var err error
			if row < len(plan.rows) && plan.rows[row]&multiLine == 0 && plan.rows[row]&outcomeMask != Rejected {
				rec, err = sc.nextLine()
			} else {
				rec, err = sc.nextLazy()
			}
			if err != nil {
				cur.err = err
				cur.buf = sc.buf
				ship(cur)
				return
			}
			if !rec.blank {
				if gen != g {
					// next handed the buffer over before finding this record: it starts
					// the new buffer
					start = 0
				}
				cur.add(&rec, start)
				row++
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	for b := range order {
		<-b.ready
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := merge(b); err != nil {
			return err
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

// findKey finds the key of rec, a row of the second pass, as Index.keyOf would, when it
// can without tokenizing the whole record: a line without quotes, or one whose quotes all
// come after the key. It returns the key's span in rec.raw; found is false for other
// records (keyOf decides), none is set when the row has no key (not the header's shape).
func findKey(rec *record, comma byte, key, nfields int) (start, end int, found, none bool) {
	line := rec.raw
	if !rec.lazy {
		if rec.whole == nil {
			return 0, 0, false, false
		}
		line = line[:bytes.IndexByte(line, '"')] // only the part before the first quote
	} else if bytes.Count(line, []byte{comma}) != nfields-1 {
		return 0, 0, true, true
	}
	for i := 0; i < key; i++ {
		j := bytes.IndexByte(line[start:], comma)
		if j < 0 {
			return 0, 0, rec.lazy, rec.lazy
		}
		start += j + 1
	}
	end = len(line)
	if j := bytes.IndexByte(line[start:], comma); j >= 0 {
		end = start + j
	} else if !rec.lazy || key != nfields-1 {
		return 0, 0, rec.lazy, rec.lazy // with quotes: the key runs into them
	}
	for start < end && (line[start] == ' ' || line[start] == '\t') {
		start++
	}
	for end > start && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	return start, end, true, false
}
