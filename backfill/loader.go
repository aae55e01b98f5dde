package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// loader runs the Bulk API side of an import: every part goes to an upsert job, each step
// journaled before it goes on, in rounds: send every part that needs a job, wait for the
// jobs, save their results, then give the rows still open (lock failures, rows a failed job
// never processed) to follow-up parts, until none is open or the rounds are used up.
type loader struct {
	plan *runfolder.Plan
	file string // the data file the plan's parts are byte ranges of
	op   string // the Bulk operation: upsert, update or delete
	// name tells the folder's loads apart in the files they add ("" for the import; an
	// undo's are undo-delete and undo-update).
	name   string
	folder *runfolder.Folder
	j      *job
	jr     *runfolder.Journal
	st     *runfolder.JournalState
	sf     Salesforce
	log    *zap.Logger
	// fallbackStart is when the load is taken to have started when the journal does not
	// say (it was lost): records created since count as created by it.
	fallbackStart time.Time

	mu        sync.Mutex
	processed map[int]int64 // rows processed so far, per part, for progress
	meter     *meter

	// created are the jobs this command created: the ones an interruption aborts.
	created map[string]bool
	// refusedAt is the size of the smallest upload Salesforce refused as too large: a part
	// as large is split without trying.
	refusedAt int64
}

// importLoader returns the loader of the folder's import: upserts of to_import.csv's parts,
// journaled in jr.
func (w *workFolder) importLoader(jr *runfolder.Journal) *loader {
	return &loader{plan: w.info, file: runfolder.ToImportFile, op: opUpsert, folder: w.folder, j: w.j,
		jr: jr, st: w.journal, sf: w.sf, log: w.j.log, fallbackStart: w.summary.FinishedAt, created: map[string]bool{}}
}

// The Bulk operations a loader runs.
const (
	opUpsert = "upsert"
	opUpdate = "update"
	opDelete = "delete"
)

// Follow-up rounds of a part family (after its first job) are bounded: rows that failed with
// UNABLE_TO_LOCK_ROW go again at most maxLockRounds times (docs/CONTRACT.md §7.10); rows no job
// processed (aborted or failed jobs, jobs that vanished with their rows not in the org) at
// most maxOtherRounds times, and not after a job failed twice with the same error.
const (
	maxLockRounds  = 3
	maxOtherRounds = 10
	retryLock      = "lock"
	retryOther     = "unprocessed"
)

func (l *loader) run(ctx context.Context) error {
	for round := 1; ; round++ {
		if err := l.sendAll(ctx); err != nil {
			return err
		}
		if err := l.waitAll(ctx); err != nil {
			return err
		}
		if err := l.saveAll(ctx); err != nil {
			return err
		}
		added, err := l.followUps()
		if err != nil {
			return err
		}
		if added == 0 {
			return nil
		}
		l.log.Info("follow-up round", zap.Int("round", round+1), zap.Int("parts", added))
	}
}

// pending returns the parts that are not settled yet, in order.
func (l *loader) pending() []int {
	var out []int
	for n := 1; n <= l.lastPart(); n++ {
		if l.isPending(n) {
			out = append(out, n)
		}
	}
	return out
}

func (l *loader) isPending(n int) bool {
	ps := l.st.Part(n)
	return !ps.Done && !ps.Split
}

// lastPart is the highest part number: the plan's, then those the load added.
func (l *loader) lastPart() int { return l.st.MaxPart(len(l.plan.Parts)) }

// sendAll makes sure every pending part is held by a closed job (or settled otherwise),
// including the parts a split adds on the way. Every part is sent before any is waited
// for: Salesforce processes the jobs in parallel.
func (l *loader) sendAll(ctx context.Context) error {
	for n := 1; n <= l.lastPart(); n++ {
		if !l.isPending(n) {
			continue
		}
		if err := l.settle(ctx, n); err != nil {
			return fmt.Errorf("part %d: %w", n, err)
		}
	}
	return nil
}

// settle finds out how far an earlier attempt at part n got, then sends what is missing.
func (l *loader) settle(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	switch {
	case ps.Job == "" && l.st.Lost && l.isPlanPart(n) && !ps.Resolved:
		// The journal was lost: whether this part was loaded is unknown.
		return l.resolve(ctx, n, "the journal was missing")
	case ps.Job == "":
		return l.send(ctx, n)
	}
	job, err := l.sf.JobInfo(ctx, ps.Job)
	switch {
	case isGone(err):
		return l.resolve(ctx, n, fmt.Sprintf("job %s no longer exists in Salesforce (jobs are deleted 7 days after they end)", ps.Job))
	case err != nil:
		return fmt.Errorf("read state of job %s: %w", ps.Job, err)
	case job.State == sfclient.StateOpen && ps.Uploaded:
		return l.close(ctx, n) // the data is there; only the close was lost
	case job.State == sfclient.StateOpen:
		// The upload may or may not have reached Salesforce: never send it again into
		// this job. Abort it and give the part to a new one.
		if _, err := l.sf.AbortJob(ctx, ps.Job); err != nil {
			return fmt.Errorf("abort job %s: %w", ps.Job, err)
		}
		l.log.Warn("job aborted: its upload was interrupted; the part goes to a new job", zap.Int("part", n), zap.String("job", ps.Job))
		if err := l.abandon(n, "upload state unknown after an interruption"); err != nil {
			return err
		}
		return l.send(ctx, n)
	case !ps.Closed:
		// The job left Open: it was closed (by us before the crash, or aborted in Setup).
		if err := l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvClosed, Part: n, Job: ps.Job, Note: "found " + job.State}); err != nil {
			return err
		}
		ps.Closed = true
	}
	return nil
}

// isGone reports a job Salesforce no longer has.
func isGone(err error) bool {
	var ae *sfclient.APIError
	return errors.As(err, &ae) && ae.StatusCode == 404
}

// send creates a job for part n, uploads the part and closes the job. A part Salesforce
// refuses as too large is split in two instead.
func (l *loader) send(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	if size := l.partSize(n); l.refusedAt > 0 && size >= l.refusedAt && ps.Job == "" {
		return l.split(ctx, n, fmt.Errorf("%w: a part of %d bytes was refused, this one has %d", errTooLarge, l.refusedAt, size))
	}
	for attempt := 1; !ps.Uploaded; attempt++ {
		if ps.Job == "" {
			if err := ctx.Err(); err != nil {
				return err // an interruption never creates a job
			}
			if err := l.create(ctx, n); err != nil {
				return err
			}
		}
		err := l.upload(ctx, n)
		switch {
		case err != nil && ctx.Err() != nil:
			// Interrupted mid-upload: the part's job stays the part's (Open, its upload half
			// done), for abortOpen to abort and journal; no new job is made for it.
			return fmt.Errorf("upload to job %s: %w", ps.Job, err)
		case err == nil:
			if err := l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvUploaded, Part: n, Job: ps.Job}); err != nil {
				return err
			}
			ps.Uploaded = true
		case tooLarge(err):
			if size := l.partSize(n); l.refusedAt == 0 || size < l.refusedAt {
				l.refusedAt = size
			}
			return l.split(ctx, n, err)
		case errors.Is(err, sfclient.ErrUploadInterrupted) && attempt < 3:
			// sfclient aborted the job because the upload's fate is unknown: start over with
			// a new job.
			l.log.Warn("upload interrupted; the part goes to a new job", zap.Int("part", n), zap.Error(err))
			if err := l.abandon(n, err.Error()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("upload to job %s: %w", ps.Job, err)
		}
	}
	return l.close(ctx, n)
}

func (l *loader) close(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	// Like create, the close is not cut short by an interruption: its outcome must be known.
	if _, err := l.sf.CloseJob(context.WithoutCancel(ctx), ps.Job); err != nil {
		return fmt.Errorf("close job %s: %w", ps.Job, err)
	}
	ps.Closed = true
	return l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvClosed, Part: n, Job: ps.Job})
}

// tooLarge reports Salesforce's refusal of an upload over the job size limit.
func tooLarge(err error) bool {
	var ae *sfclient.APIError
	return errors.Is(err, sfclient.ErrUploadTooLarge) || errors.Is(err, errTooLarge) ||
		errors.As(err, &ae) && (ae.Code == "EXCEEDED_MAX_SIZE_REQUEST" || ae.StatusCode == 413)
}

var errTooLarge = errors.New("too large for this org")

// splitFloorBytes: a part smaller than this is not split again. Salesforce takes 100 MB
// per job; a refusal of parts this small is not about size, and splitting on would cost a
// job per row. Their rows end unprocessed, in unprocessed.csv, ready to load again.
const splitFloorBytes = 32 << 10

// split gives the rows of part n, refused as too large, to two new parts of half its rows
// each. A part below the floor (one row, or splitFloorBytes) is not split: it ends refused, its rows unprocessed (a copy
// of the part is saved as its unprocessed result, so unprocessed.csv holds them).
func (l *loader) split(ctx context.Context, n int, cause error) error {
	ps := l.st.Part(n)
	if ps.Job != "" {
		// The refused job holds no data: abort it so that it does not sit Open in the org.
		if _, err := l.sf.AbortJob(ctx, ps.Job); err != nil && !isGone(err) {
			l.log.Warn("could not abort the job of a refused upload", zap.String("job", ps.Job), zap.Error(err))
		}
		if err := l.abandon(n, "refused as too large: "+cause.Error()); err != nil {
			return err
		}
	}
	rows := l.partRows(n)
	if rows < 2 || l.partSize(n) < splitFloorBytes {
		return l.refuse(n, cause)
	}
	// Both halves are written, then one journal entry makes the split: a crash before it
	// leaves the part whole, never half split.
	half, next := rows/2, l.lastPart()+1
	e := runfolder.JournalEntry{Event: runfolder.EvSplit, Part: n, Root: ps.Root,
		Note: fmt.Sprintf("half of part %d, which Salesforce refused as too large (%v)", n, cause)}
	for i, keep := range []func(string, int) bool{
		func(_ string, i int) bool { return i < half },
		func(_ string, i int) bool { return i >= half },
	} {
		added, err := l.writePart(next+i, n, keep)
		if err != nil {
			return err
		}
		e.Added = append(e.Added, added)
	}
	if err := l.jr.Add(e); err != nil {
		return err
	}
	l.st.Apply(e)
	l.log.Info("part split", zap.Int("part", n), zap.Int("into", next), zap.Int("and", next+1),
		zap.Int("rows", e.Added[0].Rows), zap.Int("and_rows", e.Added[1].Rows))
	return nil
}

// refuse settles part n as refused: its rows are saved as the part's unprocessed result.
func (l *loader) refuse(n int, cause error) error {
	ps := l.st.Part(n)
	r, _, err := l.openPart(n)
	if err != nil {
		return err
	}
	k := runfolder.ResultKinds[2]
	c, err := l.folder.SaveResults(runfolder.JobFile(l.refusedName(n), k), r)
	r.Close()
	if err != nil {
		return fmt.Errorf("save the refused part %d: %w", n, err)
	}
	msg := fmt.Sprintf("Salesforce refused the upload of part %d (%s) as too large: %v", n, Plural(l.partRows(n), "row"), cause)
	l.log.Warn("part refused; its rows end unprocessed (see unprocessed.csv)", zap.Int("part", n), zap.String("why", msg))
	counts := map[string]int64{k.Short: int64(c.Rows)}
	ps.Done, ps.Saved, ps.State, ps.JobError, ps.Counts = true, true, runfolder.StateRefused, msg, counts
	return l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvJobDone, Part: n, State: runfolder.StateRefused, Note: msg, Sizes: counts})
}

// abandon records that part n's job will not be used and clears it.
func (l *loader) abandon(n int, why string) error {
	ps := l.st.Part(n)
	if err := l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvAbandoned, Part: n, Job: ps.Job, Note: why}); err != nil {
		return err
	}
	ps.Abandoned = append(ps.Abandoned, ps.Job)
	ps.Job, ps.Uploaded, ps.Closed = "", false, false
	return nil
}

// create makes a new upsert job for part n and journals it right away.
func (l *loader) create(ctx context.Context, n int) error {
	info := l.plan
	// An interruption does not cut the create short: a job created in Salesforce whose answer
	// was lost could not be aborted, as nobody would know its id. The client's own timeouts
	// still bound the call.
	spec := sfclient.JobSpec{Object: info.Object, Operation: l.op}
	if l.op == opUpsert {
		spec.ExternalIDFieldName = info.ExternalIDField
	}
	job, err := l.sf.CreateIngestJob(context.WithoutCancel(ctx), spec)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	if err := l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvJobCreated, Part: n, Job: job.ID}); err != nil {
		return err
	}
	ps := l.st.Part(n)
	ps.Job, ps.Uploaded, ps.Closed, ps.Done, ps.Saved = job.ID, false, false, false, false
	l.created[job.ID] = true
	l.log.Info("job created", zap.Int("part", n), zap.String("job", job.ID), zap.Int("rows", l.partRows(n)),
		zap.String("setup", setupURL(l.sf.InstanceURL(), job.ID)))
	return nil
}

// upload streams part n into its job.
func (l *loader) upload(ctx context.Context, n int) error {
	r, size, err := l.openPart(n)
	if err != nil {
		return err
	}
	defer r.Close()
	job := l.st.Part(n).Job
	m := l.j.step(Event{Step: StepUpload, Total: size, Unit: UnitBytes, Part: n, Parts: l.lastPart(), Job: job})
	defer m.end()
	return l.sf.UploadJobData(ctx, job, &meteredReader{r: r, m: m})
}

// waitAll waits for every closed job to reach a terminal state, reporting the rows
// processed across all of them.
func (l *loader) waitAll(ctx context.Context) error {
	total := int64(0)
	var waiting []int
	for _, n := range l.pending() {
		total += int64(l.partRows(n))
		if l.st.Part(n).Closed {
			waiting = append(waiting, n)
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	l.processed = map[int]int64{}
	l.meter = l.j.step(Event{Step: StepProcess, Total: total, Unit: UnitRows, Parts: len(waiting)})
	defer l.meter.end()
	for _, n := range waiting {
		if err := l.wait(ctx, n); err != nil {
			return fmt.Errorf("part %d: %w", n, err)
		}
	}
	return nil
}

// wait polls part n's job to a terminal state.
func (l *loader) wait(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	job, err := l.sf.WaitJob(ctx, ps.Job, func(j *sfclient.Job) { l.progress(n, j.NumberRecordsProcessed) })
	var je *sfclient.JobError
	switch {
	case errors.As(err, &je):
		job, err = je.Job, nil // Failed or Aborted is a terminal state like any other
	case isGone(err):
		return l.resolve(ctx, n, fmt.Sprintf("job %s no longer exists in Salesforce", ps.Job))
	case err != nil:
		return fmt.Errorf("poll job %s: %w", ps.Job, err)
	}
	l.progress(n, int64(l.partRows(n)))
	l.log.Info("job finished", zap.Int("part", n), zap.String("job", job.ID), zap.String("state", job.State),
		zap.Int64("processed", job.NumberRecordsProcessed), zap.Int64("failed", job.NumberRecordsFailed),
		zap.String("error", job.ErrorMessage), zap.String("setup", setupURL(l.sf.InstanceURL(), job.ID)))
	ps.Done, ps.State, ps.JobError = true, job.State, job.ErrorMessage
	return l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvJobDone, Part: n, Job: job.ID, State: job.State, Note: job.ErrorMessage})
}

func (l *loader) progress(n int, done int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.processed[n] = done
	sum := int64(0)
	for _, v := range l.processed {
		sum += v
	}
	l.meter.set(sum)
}

// saveAll saves the results of every finished job under jobs/.
func (l *loader) saveAll(ctx context.Context) error {
	for n := 1; n <= l.lastPart(); n++ {
		ps := l.st.Part(n)
		if !ps.Done || ps.Saved || ps.Job == "" {
			continue
		}
		if err := l.save(ctx, n); err != nil {
			return fmt.Errorf("results of part %d: %w", n, err)
		}
	}
	return nil
}

// save downloads part n's three result files into jobs/ (each atomically, so an
// interrupted download is simply made again).
func (l *loader) save(ctx context.Context, n int) error {
	ps := l.st.Part(n)
	m := l.j.step(Event{Step: StepResults, Total: int64(l.partRows(n)), Unit: UnitRows, Part: n, Parts: l.lastPart(), Job: ps.Job})
	defer m.end()
	counts := map[string]int64{}
	for _, k := range runfolder.ResultKinds {
		c, err := l.fetch(ctx, ps.Job, k)
		if isGone(err) {
			return l.resolve(ctx, n, fmt.Sprintf("job %s no longer exists in Salesforce", ps.Job))
		}
		if err != nil {
			return fmt.Errorf("job %s %s: %w", ps.Job, k.API, err)
		}
		m.add(int64(c.Rows))
		counts[k.Short] = int64(c.Rows)
		switch k.File {
		case runfolder.SuccessFile:
			counts["created"], counts["updated"] = int64(c.Created), int64(c.Rows-c.Created)
		case runfolder.ErrorFile:
			counts["already_newer"], counts["lock"] = int64(c.AlreadyNewer), int64(c.LockFailures)
		}
	}
	ps.Saved, ps.Counts = true, counts
	return l.jr.Add(runfolder.JournalEntry{Event: runfolder.EvSaved, Part: n, Job: ps.Job, Sizes: counts})
}

// fetch streams one result file of a job into jobs/.
func (l *loader) fetch(ctx context.Context, jobID string, k runfolder.ResultKind) (runfolder.ResultCounts, error) {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		_, err := l.sf.JobResults(ctx, jobID, sfclient.ResultKind(k.API), pw)
		pw.CloseWithError(err)
		errc <- err
	}()
	c, err := l.folder.SaveResults(runfolder.JobFile(jobID, k), pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if derr := <-errc; derr != nil && !errors.Is(derr, io.ErrClosedPipe) {
		return c, derr // the download's own error says more than the pipe's
	}
	return c, err
}

// followUps gives each part family's open rows (a lock failure, a row a failed or aborted
// job never processed, a row no result names) to a new part, while the family has rounds
// left and its jobs did not fail the same way twice. It returns the parts added.
func (l *loader) followUps() (int, error) {
	added := 0
	for root := 1; root <= len(l.plan.Parts); root++ {
		ok, err := l.followUp(root)
		if err != nil {
			return added, err
		}
		if ok {
			added++
		}
	}
	return added, nil
}

func (l *loader) followUp(root int) (bool, error) {
	var latest []int // parts not followed up yet
	lockRounds, otherRounds := 0, 0
	for _, n := range l.family(root) {
		ps := l.st.Part(n)
		switch {
		case len(ps.Follo) > 0 && ps.Retry == retryLock:
			lockRounds++
		case len(ps.Follo) > 0:
			otherRounds++
		}
		if ps.Split || ps.Followed || ps.State == runfolder.StateRefused {
			continue
		}
		if !ps.Done || !ps.Saved {
			return false, nil // still loading
		}
		latest = append(latest, n)
	}
	if len(latest) == 0 {
		return false, nil
	}
	// Which open rows may go again: lock failures for maxLockRounds, rows never processed
	// for maxOtherRounds unless a job failed twice the same way.
	sendLock, sendOther := lockRounds < maxLockRounds, otherRounds < maxOtherRounds && !l.failedTwice(latest)
	if !sendLock && !sendOther {
		return false, nil
	}
	t, err := l.results(root)
	if err != nil {
		return false, err
	}
	fold := l.plan.FoldKeys
	open, why := map[string]bool{}, map[string]int{}
	err = l.eachPartRow(root, func(key string, _ []string) error {
		o, detail, src, found := t.Lookup(key)
		var cause string
		switch {
		case found && l.st.Part(int(src)).State == runfolder.StateRefused:
			return nil // refused as too large even at the floor: sending it again fails again
		case !found && sendOther:
			cause = "no result"
		case found && o == runfolder.Unprocessed && sendOther:
			cause = "unprocessed"
		case found && o == runfolder.Failed && strings.HasPrefix(detail, runfolder.LockRow) && sendLock:
			cause = runfolder.LockRow
		default:
			return nil
		}
		why[cause]++
		open[foldKey(key, fold)] = true
		return nil
	})
	if err != nil || len(open) == 0 {
		return false, err
	}
	sort.Ints(latest)
	retry := retryOther
	if why[runfolder.LockRow] > 0 {
		retry = retryLock
	}
	note := fmt.Sprintf("follow-up %d of part %d: %s", lockRounds+otherRounds+1, root, describeOpen(why))
	added, err := l.addFollowUp(root, latest, note, retry, func(key string, _ int) bool { return open[foldKey(key, fold)] })
	if err != nil {
		return false, err
	}
	l.log.Info("rows sent again in a follow-up job", zap.Int("part", root), zap.Int("rows", added.Rows), zap.String("why", describeOpen(why)))
	return added.Rows > 0, nil
}

// failedTwice reports parts whose job failed with the same error as the job they follow up:
// sending the rows again would fail again.
func (l *loader) failedTwice(parts []int) bool {
	for _, n := range parts {
		ps := l.st.Part(n)
		if ps.State != sfclient.StateFailed || ps.JobError == "" {
			continue
		}
		for _, from := range ps.Follo {
			if l.st.Part(from).JobError == ps.JobError {
				return true
			}
		}
	}
	return false
}

func describeOpen(why map[string]int) string {
	var parts []string
	for _, k := range []string{runfolder.LockRow, "unprocessed", "no result"} {
		if n := why[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", Plural(n, "row"), map[string]string{
				runfolder.LockRow: "failed with UNABLE_TO_LOCK_ROW", "unprocessed": "unprocessed", "no result": "without a result"}[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// abortOpen aborts, after an interruption, every job this load created that is still Open
// (its upload may be half done): an Open job would sit in the org. Jobs already closed are
// left to finish; resume collects their results. It uses its own short context: the
// load's was cancelled. It returns the jobs aborted.
func (l *loader) abortOpen() int {
	aborted := 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for n := 1; n <= l.lastPart(); n++ {
		ps := l.st.Part(n)
		if ps.Job == "" || ps.Closed || !l.created[ps.Job] {
			continue
		}
		job := ps.Job
		if _, err := l.sf.AbortJob(ctx, job); err != nil && !isGone(err) {
			l.log.Warn("could not abort the interrupted job; abort it in Setup > Bulk Data Load Jobs", zap.String("job", job),
				zap.String("setup", setupURL(l.sf.InstanceURL(), job)), zap.Error(err))
			continue
		}
		if err := l.abandon(n, "aborted: the import was interrupted"); err != nil {
			l.log.Warn("could not journal the aborted job", zap.String("job", job), zap.Error(err))
			continue
		}
		aborted++
		l.log.Warn("interrupted: aborted the job that was still open", zap.Int("part", n), zap.String("job", job))
	}
	return aborted
}

// running counts the jobs closed but not known to be done: Salesforce goes on with them.
func (l *loader) running() int {
	n := 0
	for i := 1; i <= l.lastPart(); i++ {
		if ps := l.st.Part(i); ps.Job != "" && ps.Closed && !ps.Done {
			n++
		}
	}
	return n
}
