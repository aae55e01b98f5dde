package sfclient

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// IngestWriter streams CSV records into Bulk API 2.0 ingest jobs, starting a new job whenever
// the next record would push the current one past the per-job byte limit. Each job's data
// flows through an io.Pipe straight into its upload request; nothing is buffered beyond one
// record. Create it with [Client.NewIngestWriter], call Write for each record, then Close
// (or Abort on failure).
//
// The context given to NewIngestWriter governs the writer's whole life, as with
// exec.CommandContext: cancelling it breaks off the upload in progress.
//
// The caller must end every IngestWriter with Close or Abort: until then an upload request
// and its goroutine stay open. An IngestWriter is not safe for concurrent use.
type IngestWriter struct {
	c      *Client
	ctx    context.Context
	spec   JobSpec
	header []byte
	max    int64
	buf    bytes.Buffer
	enc    *csv.Writer
	ids    []string
	cur    *ingestJob
	err    error // sticky
}

type ingestJob struct {
	id   string
	pw   *io.PipeWriter
	done chan error
	n    int64
}

// NewIngestWriter returns a writer that loads records with the given header (field API names
// or relationship columns such as Account.External_Id__c) into jobs described by spec. No job
// is created until the first Write.
func (c *Client) NewIngestWriter(ctx context.Context, spec JobSpec, header []string) (*IngestWriter, error) {
	if len(header) == 0 {
		return nil, errors.New("ingest writer: empty header")
	}
	w := &IngestWriter{c: c, ctx: ctx, spec: spec, max: spec.MaxBytes}
	if w.max <= 0 {
		w.max = c.cfg.MaxUploadBytes
	}
	w.enc = csv.NewWriter(&w.buf)
	h, err := w.encode(header)
	if err != nil {
		return nil, err
	}
	w.header = append([]byte(nil), h...)
	if int64(len(w.header)) >= w.max {
		return nil, fmt.Errorf("ingest writer: %w: the header alone is %d bytes", ErrUploadTooLarge, len(w.header))
	}
	return w, nil
}

func (w *IngestWriter) encode(rec []string) ([]byte, error) {
	w.buf.Reset()
	if err := w.enc.Write(rec); err != nil {
		return nil, err
	}
	w.enc.Flush()
	return w.buf.Bytes(), w.enc.Error()
}

// Write queues one CSV record (LF line ending; quoted as needed). It creates and closes jobs
// as needed; a record that cannot fit in a job even alone is refused with an error wrapping
// [ErrUploadTooLarge] and the writer stays usable. Any other error is sticky: the job in
// progress has been aborted, and later calls return the same error.
func (w *IngestWriter) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	rec, err := w.encode(record)
	if err != nil {
		return fmt.Errorf("ingest writer: %w", err)
	}
	if int64(len(w.header)+len(rec)) > w.max {
		return fmt.Errorf("ingest writer: %w: one record of %d bytes", ErrUploadTooLarge, len(rec))
	}
	if w.cur != nil && w.cur.n+int64(len(rec)) > w.max {
		if err := w.finish(); err != nil {
			return w.fail(err)
		}
	}
	if w.cur == nil {
		if err := w.start(); err != nil {
			return w.fail(err)
		}
	}
	if _, err := w.cur.pw.Write(rec); err != nil {
		return w.fail(err)
	}
	w.cur.n += int64(len(rec))
	return nil
}

// start creates a job and starts its streaming upload with the header row.
func (w *IngestWriter) start() error {
	job, err := w.c.CreateIngestJob(w.ctx, w.spec)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	j := &ingestJob{id: job.ID, pw: pw, done: make(chan error, 1)}
	w.ids = append(w.ids, job.ID)
	w.cur = j
	go func() {
		err := w.c.upload(w.ctx, j.id, pr, w.max)
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.Close()
		}
		j.done <- err
	}()
	if _, err := pw.Write(w.header); err != nil {
		return err
	}
	j.n = int64(len(w.header))
	return nil
}

// finish ends the current job's upload and closes the job.
func (w *IngestWriter) finish() error {
	j := w.cur
	j.pw.Close()
	err := <-j.done
	w.cur = nil
	if err != nil {
		return err // upload already aborted the job
	}
	if _, err := w.c.CloseJob(w.ctx, j.id); err != nil {
		return err
	}
	return nil
}

// fail records err as sticky, stopping and aborting the job in progress. The upload's own
// error, when there is one, is more telling than the pipe error Write saw.
func (w *IngestWriter) fail(err error) error {
	if j := w.cur; j != nil {
		j.pw.CloseWithError(err)
		if uerr := <-j.done; uerr != nil {
			err = uerr
		} else {
			w.c.abortQuietly(w.ctx, j.id)
		}
		w.cur = nil
	}
	w.err = err
	return err
}

// Close finishes the last upload, closes its job (state UploadComplete) and returns the ids
// of every job the writer created, in order, also when it returns an error (earlier jobs were
// closed and are processing). With no records written it creates no job and returns nil ids.
// The caller then waits for each job with [Client.WaitJob].
func (w *IngestWriter) Close() ([]string, error) {
	if w.err != nil {
		return w.ids, w.err
	}
	if w.cur != nil {
		if err := w.finish(); err != nil {
			return w.ids, w.fail(err)
		}
	}
	w.err = errors.New("ingest writer: closed")
	return w.ids, nil
}

// Abort stops the upload in progress and aborts its job; jobs already closed keep
// processing. It returns the ids of every job created. Use it instead of Close when the
// caller gives up.
func (w *IngestWriter) Abort() []string {
	if w.err == nil {
		w.fail(errors.New("ingest writer: aborted"))
	}
	return w.ids
}
