package csvdiff

import (
	"context"
	"io"
	"sync"
)

// The two passes are split over two goroutines: one reads and tokenizes records into
// batches, the other validates, classifies and writes them. Tokenizing is about half of a
// pass, so on two cores a pass takes little more than the longer half. A batch owns copies
// of its records' bytes (the scanner's buffer is reused), and batches are recycled through a
// small pool, so memory stays bounded.

const (
	batchRecords = 2048
	batchPool    = 4
)

// recSpan is one record of a batch, as offsets into the batch's buffer. It holds no
// pointers (the rare tokenizer error sits in batch.errs), so batches cost the garbage
// collector nothing.
type recSpan struct {
	line     int
	raw      [2]int32
	fields   [2]int32 // range in batch.offs of the unescaped fields' offsets
	col      int32
	errIdx   int32 // index+1 into batch.errs; 0 for none
	lazy     bool
	hasField bool
}

type batch struct {
	buf  []byte
	offs []int32 // start, end pairs into buf for unescaped fields
	recs []recSpan
	errs []error
	err  error // the read error that ended the input (io.EOF at the end)
}

func (b *batch) reset() {
	b.buf, b.offs, b.recs, b.errs, b.err = b.buf[:0], b.offs[:0], b.recs[:0], b.errs[:0], nil
}

// add copies rec into the batch.
func (b *batch) add(rec *record) {
	rs := recSpan{line: rec.line, lazy: rec.lazy, col: int32(rec.col)}
	if rec.err != nil {
		b.errs = append(b.errs, rec.err)
		rs.errIdx = int32(len(b.errs))
	}
	start := len(b.buf)
	b.buf = append(b.buf, rec.raw...)
	rs.raw = [2]int32{int32(start), int32(len(b.buf))}
	if !rec.lazy && rec.fields != nil {
		rs.hasField = true
		fs := len(b.offs)
		for _, f := range rec.fields {
			s := len(b.buf)
			b.buf = append(b.buf, f...)
			b.offs = append(b.offs, int32(s), int32(len(b.buf)))
		}
		rs.fields = [2]int32{int32(fs), int32(len(b.offs))}
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
		free <- &batch{buf: make([]byte, 0, 1<<20)}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(full)
		for {
			var b *batch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.reset()
			for len(b.recs) < batchRecords && len(b.buf) < 1<<20 {
				rec, err := sc.next()
				if err != nil {
					b.err = err
					break
				}
				if !rec.blank {
					b.add(&rec)
				}
			}
			select {
			case full <- b:
			case <-stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	sp := &scanner{comma: sc.comma, nfields: sc.nfields}
	var rec record
	var fields [][]byte
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
			if rs.hasField {
				fields = fields[:0]
				for k := rs.fields[0]; k < rs.fields[1]; k += 2 {
					fields = append(fields, b.buf[b.offs[k]:b.offs[k+1]:b.offs[k+1]])
				}
				rec.fields = fields
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
