package backfill

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Import runs `backfill import`: it plans (or, with cfg.PlanDir, loads exactly the plan
// reviewed in that folder, re-checking existence first), shows the plan summary, asks to
// confirm unless cfg.Yes, then upserts the rows on the external id through the Bulk API 2.0
// and turns the results into the ledger's final outcomes. It returns an [ExitError] with
// [ExitRowsFailed] when any row failed or was left unprocessed.
func Import(ctx context.Context, cfg Config, stdout io.Writer) (*Summary, error) {
	rl := withRunLog(&cfg)
	defer rl.close()
	var p *planRun
	var err error
	if cfg.PlanDir != "" {
		if p, err = loadPlan(ctx, &cfg, cfg.PlanDir, true, rl); err != nil {
			return nil, err
		}
	} else if p, err = makePlan(ctx, &cfg, "import", rl); err != nil {
		return nil, err
	}
	if err := p.confirm(stdout); err != nil {
		return nil, err
	}
	p.idx = nil // the load works from the run folder: let the key tables go
	return p.load(ctx, stdout)
}

// Resume finishes an import interrupted at any point (even by kill -9) from its run folder:
// it replays the journal, asks Salesforce for the state of every job it had created, and
// goes on from there. It never re-sends a part whose job may have its data.
func Resume(ctx context.Context, cfg Config, dir string, stdout io.Writer) (*Summary, error) {
	rl := withRunLog(&cfg)
	defer rl.close()
	p, err := loadPlan(ctx, &cfg, dir, false, rl)
	if err != nil {
		return nil, err
	}
	st, err := readJournal(p.folder)
	if err != nil {
		return nil, err
	}
	if !st.Started {
		return nil, UsageError(fmt.Sprintf("to load it, run: backfill import --plan %s", dir),
			"%s holds a plan that was never imported: nothing to resume", dir)
	}
	return p.load(ctx, stdout)
}

// confirm asks the user before anything is written to Salesforce.
func (p *planRun) confirm(stdout io.Writer) error {
	n := p.summary.Outcomes[csvdiff.ToInsert.String()] + p.summary.Outcomes[csvdiff.ToUpdate.String()]
	if p.cfg.Yes || n == 0 {
		return nil
	}
	if err := PrintSummary(stdout, p.summary, "table"); err != nil {
		return err
	}
	if p.cfg.Stdin == nil {
		return UsageError("review the plan above, then run again with --yes (or use backfill plan, then backfill import --plan DIR --yes)",
			"no terminal to confirm the import on")
	}
	fmt.Fprintf(stdout, "\nUpsert %d rows into %s on %s at %s? Type yes to continue: ", n, p.info.Object, p.info.ExternalIDField, p.info.InstanceURL)
	line, _ := bufio.NewReader(p.cfg.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return UsageError(fmt.Sprintf("the plan is kept in %s; load it later with backfill import --plan %s", p.folder.Dir, p.folder.Dir),
		"import cancelled: nothing was written to Salesforce")
}

// loadPlan reads a plan folder for `import --plan` and `resume`. It refuses a plan whose
// to_import.csv changed since it was written, or that was made for another org.
func loadPlan(ctx context.Context, cfg *Config, dir string, recheck bool, rl *runLog) (*planRun, error) {
	folder := &RunFolder{Dir: dir}
	p := &planRun{cfg: cfg, log: cfg.logger(), folder: folder}
	b, err := os.ReadFile(folder.Path(planFile))
	if err != nil {
		return nil, UsageError("pass a run folder written by backfill plan", "%s is not a plan folder: %v", dir, err)
	}
	if err := rl.attach(folder); err != nil {
		return nil, err
	}
	p.info = &PlanInfo{}
	if err := json.Unmarshal(b, p.info); err != nil {
		return nil, fmt.Errorf("%s: %w", folder.Path(planFile), err)
	}
	sumFile := "summary.json"
	if _, err := os.Stat(folder.Path("plan-summary.json")); err == nil {
		sumFile = "plan-summary.json"
	}
	if b, err = os.ReadFile(folder.Path(sumFile)); err != nil {
		return nil, fmt.Errorf("read plan summary: %w", err)
	}
	p.summary = &Summary{}
	if err := json.Unmarshal(b, p.summary); err != nil {
		return nil, fmt.Errorf("%s: %w", folder.Path(sumFile), err)
	}
	sha, err := fileSHA256(folder.Path("to_import.csv"))
	if err != nil {
		return nil, err
	}
	if sha != p.info.ToImportSHA256 {
		return nil, UsageError("make a new plan with backfill plan", "%s changed since the plan was made: it is not the plan that was reviewed", folder.Path("to_import.csv"))
	}
	if cfg.Org.InstanceURL == "" && cfg.Org.TargetOrg == "" {
		cfg.Org.InstanceURL = p.info.InstanceURL
	}
	if p.client, err = connect(ctx, cfg); err != nil {
		return nil, err
	}
	if !sameHost(p.client.InstanceURL(), p.info.InstanceURL) {
		return nil, UsageError("log in to the org the plan was made for, or make a new plan",
			"the plan was made for %s, but this login is for %s", p.info.InstanceURL, p.client.InstanceURL())
	}
	if recheck {
		if err := p.recheck(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

// recheck asks Salesforce again which of the planned keys exist now. Rows created since the
// plan (by the live sync, say) are still upserted: the upsert matches them on the external id
// and never duplicates, and the Northpass package refuses data older than what it holds
// (already_newer). The count is logged. Like plan's existence check, it uses IN queries on
// the planned keys or one scan of the object, whichever costs fewer API calls.
func (p *planRun) recheck(ctx context.Context) error {
	prefix := "SELECT Id FROM " + p.info.Object + " WHERE " + p.info.ExternalIDField + " IN "
	inCalls := 0
	err := p.plannedKeys(func(keys []string) error {
		return sfclient.InBatches(prefix, "", keys, func(string) error { inCalls++; return nil })
	})
	if err != nil || inCalls == 0 {
		return err
	}
	total, err := p.client.Count(ctx, "SELECT COUNT() FROM "+p.info.Object)
	if err != nil {
		return fmt.Errorf("count %s: %w", p.info.Object, err)
	}
	found := 0
	if scanCalls := (total + queryPageSize - 1) / queryPageSize; scanCalls < inCalls {
		planned := 0
		for _, pt := range p.info.Parts {
			planned += pt.Rows
		}
		set := csvdiff.NewKeySet(planned)
		err := p.plannedKeys(func(keys []string) error {
			for _, k := range keys {
				if err := set.Add([]byte(k), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = p.client.Query(ctx, "SELECT "+p.info.ExternalIDField+" FROM "+p.info.Object, func(r sfclient.Record) error {
			if _, ok := set.Lookup([]byte(r.String(p.info.ExternalIDField))); ok {
				found++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("re-check %s: %w", p.info.Object, err)
		}
	} else {
		count := func(sfclient.Record) error { found++; return nil }
		err := p.plannedKeys(func(keys []string) error {
			return sfclient.InBatches(prefix, "", keys, func(soql string) error { return p.client.Query(ctx, soql, count) })
		})
		if err != nil {
			return fmt.Errorf("re-check %s: %w", p.info.Object, err)
		}
	}
	planned := p.summary.Outcomes[csvdiff.ToUpdate.String()]
	p.log.Info("existence re-checked", zap.Int("planned_updates", planned), zap.Int("now_existing", found))
	if found > planned {
		p.log.Warn("records were created in Salesforce since the plan; the upsert updates them unless Salesforce holds newer data",
			zap.Int("count", found-planned))
	}
	return nil
}

// plannedKeys calls fn with the external ids of to_import.csv, keyChunk at a time.
func (p *planRun) plannedKeys(fn func(keys []string) error) error {
	f, err := os.Open(p.folder.Path("to_import.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil // an empty upload: no keys
	}
	col := -1
	for i, h := range header {
		if strings.EqualFold(h, p.info.ExternalIDField) {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("to_import.csv has no %s column", p.info.ExternalIDField)
	}
	keys := make([]string, 0, keyChunk)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read to_import.csv: %w", err)
		}
		keys = append(keys, rec[col])
		if len(keys) == keyChunk {
			if err := fn(keys); err != nil {
				return err
			}
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		return fn(keys)
	}
	return nil
}

// load uploads the plan's parts, waits for the jobs, collects their results and writes the
// final ledger, summary and report. Every step is journaled first, so it can be resumed.
func (p *planRun) load(ctx context.Context, stdout io.Writer) (*Summary, error) {
	st, err := readJournal(p.folder)
	if err != nil {
		return nil, err
	}
	if st.Finished {
		p.log.Info("this import is already complete", zap.String("run_folder", p.folder.Dir))
		return p.printFinal(stdout)
	}
	j, err := openJournal(p.folder, p.cfg.now)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if !st.Started {
		if err := j.add(journalEntry{Event: evLoadStart}); err != nil {
			return nil, err
		}
	}
	l := &loader{p: p, j: j, st: st, c: p.client, log: p.log}
	if err := l.run(ctx); err != nil {
		return nil, fmt.Errorf("%w (the run folder %s can be resumed: backfill resume %s)", err, p.folder.Dir, p.folder.Dir)
	}
	if err := p.finish(ctx, st); err != nil {
		return nil, err
	}
	if err := j.add(journalEntry{Event: evFinished}); err != nil {
		return nil, err
	}
	return p.printFinal(stdout)
}

// printFinal prints the final summary and maps failures to exit code 3.
func (p *planRun) printFinal(stdout io.Writer) (*Summary, error) {
	sum := p.summary
	if b, err := os.ReadFile(p.folder.Path("summary.json")); err == nil {
		s := &Summary{}
		if json.Unmarshal(b, s) == nil {
			sum = s
		}
	}
	if err := PrintSummary(stdout, sum, p.cfg.Format); err != nil {
		return sum, err
	}
	bad := sum.Outcomes[csvdiff.Failed.String()] + sum.Outcomes[csvdiff.Unprocessed.String()]
	if bad > 0 {
		return sum, &ExitError{Code: ExitRowsFailed,
			Err:  fmt.Errorf("%d rows failed or were left unprocessed", bad),
			Hint: fmt.Sprintf("see %s and %s; fix the data and load error.csv again", p.folder.Path(errorFile), p.folder.Path("ledger.csv"))}
	}
	return sum, nil
}

// loader runs the Bulk API side of an import.
type loader struct {
	p   *planRun
	j   *journal
	st  *journalState
	c   *sfclient.Client
	log *zap.Logger
	bar *progressbar.ProgressBar
}

func (l *loader) run(ctx context.Context) error {
	info := l.p.info
	total := 0
	for _, pt := range info.Parts {
		total += pt.Rows
	}
	if l.p.cfg.StderrIsTerminal && l.p.cfg.Stderr != nil && total > 0 {
		l.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(l.p.cfg.Stderr),
			progressbar.OptionSetDescription("processed"), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
	}
	// Send every part first: Salesforce processes the jobs in parallel.
	for i, pt := range info.Parts {
		if err := l.send(ctx, i+1, pt); err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, len(info.Parts), err)
		}
	}
	done := 0
	for i := range info.Parts {
		n, err := l.wait(ctx, i+1, done)
		if err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, len(info.Parts), err)
		}
		done += n
	}
	if l.bar != nil {
		l.bar.Finish()
	}
	for i := range info.Parts {
		if err := l.results(ctx, i+1); err != nil {
			return fmt.Errorf("results of part %d: %w", i+1, err)
		}
	}
	return nil
}

// send makes sure part n is held by a closed job: it creates, uploads and closes one, or
// finds out from Salesforce how far an earlier attempt got.
func (l *loader) send(ctx context.Context, n int, pt Part) error {
	ps := l.st.part(n)
	if ps.Job != "" && !ps.Closed {
		job, err := l.c.JobInfo(ctx, ps.Job)
		if err != nil {
			return fmt.Errorf("read state of job %s: %w", ps.Job, err)
		}
		switch {
		case job.State == sfclient.StateOpen && ps.Uploaded:
			// The data is there; only the close was lost.
		case job.State == sfclient.StateOpen:
			// The upload may or may not have reached Salesforce: never send it again into
			// this job. Abort it and give the part to a new one.
			if _, err := l.c.AbortJob(ctx, ps.Job); err != nil {
				return fmt.Errorf("abort job %s: %w", ps.Job, err)
			}
			if err := l.j.add(journalEntry{Event: evAbandoned, Part: n, Job: ps.Job, Note: "upload state unknown after an interruption"}); err != nil {
				return err
			}
			l.log.Warn("job aborted: its upload was interrupted; the part goes to a new job", zap.Int("part", n), zap.String("job", ps.Job))
			*ps = partState{Abandoned: append(ps.Abandoned, ps.Job)}
		default:
			// The job left Open: it was closed (by us before the crash) and is processing.
			if err := l.j.add(journalEntry{Event: evClosed, Part: n, Job: ps.Job, Note: "found " + job.State}); err != nil {
				return err
			}
			ps.Closed = true
			return nil
		}
	}
	for attempt := 1; ps.Job == "" || !ps.Uploaded; attempt++ {
		if ps.Job == "" {
			job, err := l.c.CreateIngestJob(ctx, sfclient.JobSpec{Object: l.p.info.Object, Operation: "upsert", ExternalIDFieldName: l.p.info.ExternalIDField})
			if err != nil {
				return fmt.Errorf("create job: %w", err)
			}
			if err := l.j.add(journalEntry{Event: evJobCreated, Part: n, Job: job.ID}); err != nil {
				return err
			}
			ps.Job = job.ID
			l.log.Info("job created", zap.Int("part", n), zap.String("job", job.ID), zap.Int("rows", pt.Rows),
				zap.String("setup", setupPath(job.ID)))
		}
		err := l.upload(ctx, ps.Job, pt)
		if err == nil {
			if err := l.j.add(journalEntry{Event: evUploaded, Part: n, Job: ps.Job}); err != nil {
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
		if err := l.j.add(journalEntry{Event: evAbandoned, Part: n, Job: ps.Job, Note: err.Error()}); err != nil {
			return err
		}
		l.log.Warn("upload interrupted; the part goes to a new job", zap.Int("part", n), zap.String("job", ps.Job), zap.Error(err))
		*ps = partState{Abandoned: append(ps.Abandoned, ps.Job)}
	}
	if _, err := l.c.CloseJob(ctx, ps.Job); err != nil {
		return fmt.Errorf("close job %s: %w", ps.Job, err)
	}
	ps.Closed = true
	return l.j.add(journalEntry{Event: evClosed, Part: n, Job: ps.Job})
}

// upload streams the header and the part's records from to_import.csv.
func (l *loader) upload(ctx context.Context, jobID string, pt Part) error {
	f, err := os.Open(l.p.folder.Path("to_import.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	r := io.MultiReader(io.NewSectionReader(f, 0, l.p.info.HeaderBytes), io.NewSectionReader(f, pt.Start, pt.End-pt.Start))
	return l.c.UploadJobData(ctx, jobID, r)
}

// wait polls part n's job to a terminal state, updating the progress bar.
func (l *loader) wait(ctx context.Context, n, before int) (int, error) {
	ps := l.st.part(n)
	if ps.Done {
		return l.p.info.Parts[n-1].Rows, nil
	}
	delay := l.p.cfg.Org.PollInterval
	if delay <= 0 {
		delay = sfclient.DefaultPollInterval
	}
	maxDelay := l.p.cfg.Org.MaxPollInterval
	if maxDelay <= 0 {
		maxDelay = sfclient.DefaultMaxPollInterval
	}
	for {
		job, err := l.c.JobInfo(ctx, ps.Job)
		if err != nil {
			return 0, fmt.Errorf("poll job %s: %w", ps.Job, err)
		}
		if l.bar != nil {
			l.bar.Set(before + int(job.NumberRecordsProcessed))
		}
		if job.Terminal() {
			l.log.Info("job finished", zap.Int("part", n), zap.String("job", job.ID), zap.String("state", job.State),
				zap.Int64("processed", job.NumberRecordsProcessed), zap.Int64("failed", job.NumberRecordsFailed),
				zap.String("error", job.ErrorMessage), zap.String("setup", setupPath(job.ID)))
			ps.Done, ps.State = true, job.State
			return int(job.NumberRecordsProcessed), l.j.add(journalEntry{Event: evJobDone, Part: n, Job: job.ID, State: job.State, Note: job.ErrorMessage})
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*3/2, maxDelay)
	}
}

// results appends part n's success, failed and unprocessed rows to the run folder's result
// files. The file sizes before appending are journaled first, so an interrupted fetch is cut
// back and fetched again instead of being counted twice.
func (l *loader) results(ctx context.Context, n int) error {
	ps := l.st.part(n)
	if ps.ResultsDone {
		return nil
	}
	if ps.ResultsStart != nil {
		for _, k := range resultKinds {
			if err := truncateTo(l.p.folder.Path(k.file), ps.ResultsStart[k.file]); err != nil {
				return err
			}
		}
	} else {
		sizes := map[string]int64{}
		for _, k := range resultKinds {
			sizes[k.file] = fileSize(l.p.folder.Path(k.file))
		}
		if err := l.j.add(journalEntry{Event: evResultsStart, Part: n, Job: ps.Job, Sizes: sizes}); err != nil {
			return err
		}
		ps.ResultsStart = sizes
	}
	counts := map[string]int64{}
	for _, k := range resultKinds {
		pr, pw := io.Pipe()
		go func() {
			var err error
			switch k.kind {
			case "successfulResults":
				_, err = l.c.SuccessfulResults(ctx, ps.Job, pw)
			case "failedResults":
				_, err = l.c.FailedResults(ctx, ps.Job, pw)
			default:
				_, err = l.c.UnprocessedRecords(ctx, ps.Job, pw)
			}
			pw.CloseWithError(err)
		}()
		rows, created, newer, err := appendResults(l.p.folder.Path(k.file), pr)
		pr.CloseWithError(io.ErrClosedPipe)
		if err != nil {
			return fmt.Errorf("job %s %s: %w", ps.Job, k.kind, err)
		}
		counts[k.file] = int64(rows)
		switch k.file {
		case successFile:
			counts["created"], counts["updated"] = int64(created), int64(rows-created)
		case errorFile:
			counts["already_newer"] = int64(newer)
		}
	}
	ps.ResultsDone, ps.ResultsCounts = true, counts
	return l.j.add(journalEntry{Event: evResultsDone, Part: n, Job: ps.Job, Sizes: counts})
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func truncateTo(path string, size int64) error {
	if size == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.Truncate(path, size)
}

// setupPath is where a job is found in Setup > Bulk Data Load Jobs, as the sf CLI prints it.
func setupPath(jobID string) string {
	return "/lightning/setup/AsyncApiJobStatus/page?address=%2F" + jobID
}
