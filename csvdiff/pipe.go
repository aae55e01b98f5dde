package csvdiff

import (
	"context"
	"io"
	"sync"
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
	raw      [2]int32
	spans    [2]int32 // range in batch.offs of a quoted record's field spans
	col      int32
	errIdx   int32 // index+1 into batch.errs; 0 for none
	lazy     bool
	hasSpans bool
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
	rs.raw = [2]int32{int32(start), int32(start + len(rec.raw))}
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
func eachRecord(ctx context.Context, sc *scanner, fn func(rec *record, sp *scanner) error) error {
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
		for !stopped {
			start, g := sc.pos, gen
			rec, err := sc.next()
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
				cur.add(&rec, start)
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
			rec = record{raw: b.buf[rs.raw[0]:rs.raw[1]:rs.raw[1]], line: rs.line, col: int(rs.col), lazy: rs.lazy}
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
