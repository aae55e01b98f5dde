package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// loader runs the Bulk API side of an import: every part of to_import.csv goes to its own
// upsert job, and each step is journaled before it goes on.
type loader struct {
	p   *planRun
	j   *runfolder.Journal
	st  *runfolder.JournalState
	sf  Salesforce
	log *zap.Logger
}

func (l *loader) run(ctx context.Context) error {
	parts := l.p.info.Parts
	// Send every part first: Salesforce processes the jobs in parallel.
	for i, pt := range parts {
		if err := l.send(ctx, i+1, pt); err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
		}
	}
	m := l.p.cfg.progress().Start("Salesforce processes the rows", int64(l.p.info.Rows()), "rows")
	done := int64(0)
	for i, pt := range parts {
		if err := l.wait(ctx, i+1, func(n int64) { m.Set(done + n) }); err != nil {
			m.Done()
			return fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
		}
		done += int64(pt.Rows)
	}
	m.Done()
	for i := range parts {
		if err := l.results(ctx, i+1); err != nil {
			return fmt.Errorf("results of part %d: %w", i+1, err)
		}
	}
	return nil
}

// send makes sure part n is held by a closed job: it creates, uploads and closes one, or
// finds out from Salesforce how far an earlier attempt got.
func (l *loader) send(ctx context.Context, n int, pt runfolder.Part) error {
	ps := l.st.Part(n)
	if ps.Job != "" && !ps.Closed {
		done, err := l.reattach(ctx, n, ps)
		if err != nil || done {
			return err
		}
	}
	for attempt := 1; ps.Job == "" || !ps.Uploaded; attempt++ {
		if ps.Job == "" {
			if err := l.create(ctx, n, pt, ps); err != nil {
				return err
			}
		}
		err := l.upload(ctx, n, ps.Job, pt)
		if err == nil {
			if err := l.j.Add(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: n, Job: ps.Job}); err != nil {
				return err
			}
			ps.Uploaded = true
			break
		}
		if !errors.Is(err, sfclient.ErrUploadInterrupted) || attempt >= 3 {
			return fmt.Errorf("upload to job %s: %w", ps.Job, err)
		}
		// sfclient aborted the job because the upload's fate is unknown: start over with a
		// new job.
		if err := l.abandon(n, ps, err.Error()); err != nil {
			return err
		}
		l.log.Warn("upload interrupted; the part goes to a new job", zap.Int("part", n), zap.Error(err))
	}
	if _, err := l.sf.CloseJob(ctx, ps.Job); err != nil {
		return fmt.Errorf("close job %s: %w", ps.Job, err)
	}
	ps.Closed = true
	return l.j.Add(runfolder.JournalEntry{Event: runfolder.EvClosed, Part: n, Job: ps.Job})
}

// reattach finds out what became of part n's job after an interruption. done is true when
// the job was closed already (it is processing).
func (l *loader) reattach(ctx context.Context, n int, ps *runfolder.PartState) (done bool, err error) {
	job, err := l.sf.JobInfo(ctx, ps.Job)
	if err != nil {
		return false, fmt.Errorf("read state of job %s: %w", ps.Job, err)
	}
	switch {
	case job.State == sfclient.StateOpen && ps.Uploaded:
		return false, nil // the data is there; only the close was lost
	case job.State == sfclient.StateOpen:
		// The upload may or may not have reached Salesforce: never send it again into
		// this job. Abort it and give the part to a new one.
		if _, err := l.sf.AbortJob(ctx, ps.Job); err != nil {
			return false, fmt.Errorf("abort job %s: %w", ps.Job, err)
		}
		l.log.Warn("job aborted: its upload was interrupted; the part goes to a new job", zap.Int("part", n), zap.String("job", ps.Job))
		return false, l.abandon(n, ps, "upload state unknown after an interruption")
	}
	// The job left Open: it was closed (by us before the crash) and is processing.
	if err := l.j.Add(runfolder.JournalEntry{Event: runfolder.EvClosed, Part: n, Job: ps.Job, Note: "found " + job.State}); err != nil {
		return false, err
	}
	ps.Closed = true
	return true, nil
}

// abandon records that part n's job will not be used and resets the part.
func (l *loader) abandon(n int, ps *runfolder.PartState, why string) error {
	if err := l.j.Add(runfolder.JournalEntry{Event: runfolder.EvAbandoned, Part: n, Job: ps.Job, Note: why}); err != nil {
		return err
	}
	*ps = runfolder.PartState{Abandoned: append(ps.Abandoned, ps.Job)}
	return nil
}

// create makes a new upsert job for part n and journals it right away.
func (l *loader) create(ctx context.Context, n int, pt runfolder.Part, ps *runfolder.PartState) error {
	info := l.p.info
	job, err := l.sf.CreateIngestJob(ctx, sfclient.JobSpec{Object: info.Object, Operation: "upsert", ExternalIDFieldName: info.ExternalIDField})
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	if err := l.j.Add(runfolder.JournalEntry{Event: runfolder.EvJobCreated, Part: n, Job: job.ID}); err != nil {
		return err
	}
	ps.Job = job.ID
	l.log.Info("job created", zap.Int("part", n), zap.String("job", job.ID), zap.Int("rows", pt.Rows),
		zap.String("setup", setupPath(job.ID)))
	return nil
}

// upload streams the header and the part's records from to_import.csv.
func (l *loader) upload(ctx context.Context, n int, jobID string, pt runfolder.Part) error {
	f, err := os.Open(l.p.folder.Path(runfolder.ToImportFile))
	if err != nil {
		return err
	}
	defer f.Close()
	size := l.p.info.HeaderBytes + pt.End - pt.Start
	m := l.p.cfg.progress().Start(fmt.Sprintf("upload part %d of %d", n, len(l.p.info.Parts)), size, "bytes")
	defer m.Done()
	r := io.MultiReader(io.NewSectionReader(f, 0, l.p.info.HeaderBytes), io.NewSectionReader(f, pt.Start, pt.End-pt.Start))
	return l.sf.UploadJobData(ctx, jobID, &meteredReader{r: r, m: m})
}

// wait polls part n's job to a terminal state, reporting the rows processed so far.
func (l *loader) wait(ctx context.Context, n int, processed func(int64)) error {
	ps := l.st.Part(n)
	if ps.Done {
		processed(int64(l.p.info.Parts[n-1].Rows))
		return nil
	}
	job, err := l.sf.WaitJob(ctx, ps.Job, func(j *sfclient.Job) { processed(j.NumberRecordsProcessed) })
	var je *sfclient.JobError
	if errors.As(err, &je) {
		err = nil // Failed or Aborted is a terminal state like any other: the results say what became of each row
	}
	if err != nil {
		return fmt.Errorf("poll job %s: %w", ps.Job, err)
	}
	l.log.Info("job finished", zap.Int("part", n), zap.String("job", job.ID), zap.String("state", job.State),
		zap.Int64("processed", job.NumberRecordsProcessed), zap.Int64("failed", job.NumberRecordsFailed),
		zap.String("error", job.ErrorMessage), zap.String("setup", setupPath(job.ID)))
	ps.Done, ps.State = true, job.State
	return l.j.Add(runfolder.JournalEntry{Event: runfolder.EvJobDone, Part: n, Job: job.ID, State: job.State, Note: job.ErrorMessage})
}

// results appends part n's success, failed and unprocessed rows to the run folder's result
// files. The file sizes before appending are journaled first, so an interrupted fetch is cut
// back and fetched again instead of being counted twice.
func (l *loader) results(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	if ps.ResultsDone {
		return nil
	}
	folder := l.p.folder
	if ps.ResultsStart != nil {
		for _, k := range runfolder.ResultKinds {
			if err := folder.Truncate(k.File, ps.ResultsStart[k.File]); err != nil {
				return err
			}
		}
	} else {
		sizes := map[string]int64{}
		for _, k := range runfolder.ResultKinds {
			sizes[k.File] = folder.Size(k.File)
		}
		if err := l.j.Add(runfolder.JournalEntry{Event: runfolder.EvResultsStart, Part: n, Job: ps.Job, Sizes: sizes}); err != nil {
			return err
		}
		ps.ResultsStart = sizes
	}
	m := l.p.cfg.progress().Start(fmt.Sprintf("download the results of part %d", n), int64(l.p.info.Parts[n-1].Rows), "rows")
	defer m.Done()
	counts := map[string]int64{}
	for _, k := range runfolder.ResultKinds {
		c, err := l.fetch(ctx, ps.Job, k)
		if err != nil {
			return fmt.Errorf("job %s %s: %w", ps.Job, k.API, err)
		}
		m.Add(int64(c.Rows))
		counts[k.File] = int64(c.Rows)
		switch k.File {
		case runfolder.SuccessFile:
			counts["created"], counts["updated"] = int64(c.Created), int64(c.Rows-c.Created)
		case runfolder.ErrorFile:
			counts["already_newer"] = int64(c.AlreadyNewer)
		}
	}
	ps.ResultsDone, ps.ResultsCounts = true, counts
	return l.j.Add(runfolder.JournalEntry{Event: runfolder.EvResultsDone, Part: n, Job: ps.Job, Sizes: counts})
}

// fetch streams one result file of a job onto the end of the folder's file of that kind.
func (l *loader) fetch(ctx context.Context, jobID string, k runfolder.ResultKind) (runfolder.ResultCounts, error) {
	pr, pw := io.Pipe()
	go func() {
		_, err := l.sf.JobResults(ctx, jobID, sfclient.ResultKind(k.API), pw)
		pw.CloseWithError(err)
	}()
	c, err := l.p.folder.AppendResults(k.File, pr)
	pr.CloseWithError(io.ErrClosedPipe)
	return c, err
}
