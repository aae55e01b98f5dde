package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// LoadResult is what a load returns: the import's summary as it ended (its Status says how),
// and for a resumed undo the undo.
type LoadResult struct {
	Summary *Summary
	// Undo is the undo that [Resume] finished, when the folder held one in progress.
	Undo *UndoRun
	// AlreadyDone: the import (or undo) had finished before; nothing was sent. The summary
	// is how it ended.
	AlreadyDone bool
}

// Import plans (as [Plan] does), asks to confirm through Front.Confirm unless Load.Yes,
// then upserts the rows on the external id through the Bulk API 2.0 and turns the results
// into the ledger's final outcomes. It returns the final summary; a plan that is written but
// not loaded (refused by preflight, too many rejected rows, not confirmed) comes back with
// the error that stopped it.
func Import(ctx context.Context, opts ImportOptions) (*Summary, error) {
	j := newJob(opts.Front)
	defer j.close()
	w, err := makePlan(ctx, j, &opts.PlanOptions, CmdImport)
	if err != nil {
		if w != nil {
			w.folder.Unlock()
			return w.summary, err // the plan was written but must not be loaded
		}
		return nil, err
	}
	defer w.folder.Unlock()
	if err := w.guardLoad(ctx, opts.Load.SkipPreflight, opts.Org.Sandbox); err != nil {
		return w.summary, err
	}
	if err := w.confirm(opts.Load.Yes); err != nil {
		if j.front.Confirm == nil {
			return w.summary, err // nobody was asked: show the plan that was not loaded
		}
		return nil, err
	}
	res, err := w.load(ctx)
	if res == nil {
		return nil, err
	}
	return res.Summary, err
}

// ImportPlan loads exactly the plan reviewed in Dir, re-checking existence first: it takes
// the folder's lock, then refuses, before anything is written to Salesforce, options that
// would shape the plan, a plan whose sealed files changed, a journal from another plan, a
// login to another org and too many rejected rows.
func ImportPlan(ctx context.Context, opts ImportPlanOptions) (*LoadResult, error) {
	if err := validPercent(opts.MaxRejected); err != nil {
		return nil, err
	}
	j := newJob(opts.Front)
	defer j.close()
	w, err := loadPlan(ctx, j, &opts.FolderOptions, CmdImportPlan, &opts)
	if err != nil {
		return nil, err
	}
	defer w.folder.Unlock()
	if err := w.guardLoad(ctx, opts.Load.SkipPreflight, opts.Org.Sandbox); err != nil {
		return nil, err
	}
	if err := w.confirm(opts.Load.Yes); err != nil {
		return nil, err
	}
	return w.load(ctx)
}

// Resume finishes an import (or an undo) interrupted at any point, even by kill -9, from its
// run folder: it replays the journal, asks Salesforce for the state of every job it had
// created, and goes on from there. It never re-sends a part whose job may have its data.
func Resume(ctx context.Context, opts ResumeOptions) (*LoadResult, error) {
	if undoInProgress(opts.Dir) {
		sum, run, err := Undo(ctx, UndoOptions{FolderOptions: opts.FolderOptions, Yes: true, // confirmed when it started
			SkipPreflight: opts.SkipPreflight})
		if sum == nil && run == nil {
			return nil, err
		}
		return &LoadResult{Summary: sum, Undo: run}, err
	}
	j := newJob(opts.Front)
	defer j.close()
	w, err := loadPlan(ctx, j, &opts.FolderOptions, CmdResume, nil)
	if err != nil {
		return nil, err
	}
	defer w.folder.Unlock()
	st := w.journal
	if !st.Started && !st.Missing {
		return nil, &FolderError{Dir: opts.Dir, Want: CmdResume, Err: ErrNeverImported}
	}
	if !st.Finished {
		if err := w.guardLoad(ctx, opts.SkipPreflight, opts.Org.Sandbox); err != nil {
			return nil, err
		}
	}
	return w.load(ctx)
}

// undoInProgress reports whether dir holds an undo whose jobs started and did not finish:
// resume finishes it.
func undoInProgress(dir string) bool {
	folder, err := runfolder.Open(dir)
	if err != nil || !folder.Has(runfolder.UndoFile) {
		return false
	}
	for _, name := range []string{runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal} {
		if st, err := folder.ReadJournalFile(name); err == nil && st.Started && !st.Finished {
			return true
		}
	}
	return false
}

// loadPlan opens a plan folder for import --plan (imp set) and resume: it takes the
// folder's lock, then refuses, before anything is written to Salesforce, options that would
// shape the plan, a plan whose sealed files changed since it was made, a journal from
// another plan, or a login to another org. import --plan re-checks the rejected rows and
// which records exist. The lock is held on success.
func loadPlan(ctx context.Context, j *job, o *FolderOptions, command Command, imp *ImportPlanOptions) (w *workFolder, err error) {
	if w, err = openPlanned(j, o.Dir, command); err != nil {
		return nil, err
	}
	defer unlockOnErr(w.folder, &err)
	if imp != nil {
		if err := w.refuseShaping(imp.Shaping); err != nil {
			return nil, err
		}
	}
	o.Org = w.planLogin(o.Org)
	if err := validateOrg(o.Org, ""); err != nil {
		return nil, err
	}
	if err := w.checkSealed(command); err != nil {
		return nil, err
	}
	if imp != nil && w.journal.Missing {
		// A load may have started: the records as they are now are not what it overwrote,
		// and which parts were sent is unknown.
		return nil, w.journalLost(command)
	}
	if err := j.attach(w.folder); err != nil {
		return nil, err
	}
	if w.info.Seal.Version != j.front.Version {
		j.log.Info("the plan was made by another version of backfill", zap.String("plan_version", w.info.Seal.Version), zap.String("version", j.front.Version))
	}
	if err := w.readSummary(true); err != nil {
		return nil, err
	}
	w.summary.Approval = w.info.Approval
	if imp != nil && imp.RequireApproval && w.info.Approval == nil {
		return nil, &ApprovalError{Dir: o.Dir, Err: ErrNotApproved}
	}
	if imp != nil {
		w.summary.MaxRejected = maxRejected(imp.MaxRejected)
		if w.summary.decide(false); w.summary.Status == StatusTooManyRejected {
			return nil, w.summary.RejectedError()
		}
	}
	if err := w.login(ctx, o); err != nil {
		return nil, err
	}
	// The summary names the org and the user this load runs as (the plan's seal keeps the
	// planner's).
	_, org, err := identify(ctx, w.sf, w.org)
	if err != nil {
		return nil, err
	}
	org.Login, w.summary.Org = w.info.Login, org
	if imp != nil {
		if err := w.recheck(ctx); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// refuseShaping refuses, for import --plan, the options that would shape a plan: the plan
// was reviewed as it is.
func (w *workFolder) refuseShaping(given map[Option]string) error {
	e := &ShapingError{Dir: w.folder.Dir, Planned: map[Option]string{}}
	for _, o := range ShapingOptions() {
		if _, ok := given[o]; ok {
			e.Given = append(e.Given, o)
			e.Planned[o] = w.info.Flags[o.planKey()]
		}
	}
	if len(e.Given) == 0 {
		return nil
	}
	return e
}

// guardLoad runs preflight's blocking checks before anything is written to Salesforce (a
// *[PreflightError] on a FAIL), unless skip, which the final summary then reports. sandbox
// is whether the login said the org is a sandbox.
func (w *workFolder) guardLoad(ctx context.Context, skip, sandbox bool) error {
	if skip {
		w.skippedPreflight = true
		w.j.log.Warn("preflight skipped: login and sandbox, packages, integration user, object and fields and limits were not checked before loading")
		return nil
	}
	rep := w.preflight
	if rep == nil {
		rep = runChecks(ctx, w.sf, w.j, checkOptions{org: sfclient.Config{Sandbox: sandbox}}, checkScope{ids: blockingChecks, plan: w.info})
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: the checks that failed did not really run
	}
	if len(rep.Failed()) > 0 {
		return &PreflightError{Report: rep}
	}
	return nil
}

// confirm asks before anything is written to Salesforce, unless yes.
func (w *workFolder) confirm(yes bool) error {
	n := w.summary.Count(runfolder.ToInsert, runfolder.ToUpdate)
	if yes || n == 0 {
		return nil
	}
	if w.j.front.Confirm == nil {
		return &ConfirmError{Dir: w.folder.Dir, Err: ErrCannotAsk}
	}
	ok, err := w.j.front.Confirm(w.summary)
	if err != nil {
		return err
	}
	if !ok {
		return &ConfirmError{Dir: w.folder.Dir, Err: ErrCancelled}
	}
	return nil
}

// recheck asks Salesforce again which of the planned keys exist now. Rows created since the
// plan (by the live sync, say) are still upserted: the upsert matches them on the external id
// and never duplicates, and the Northpass package refuses data older than what it holds
// (already_newer). The count is logged. Before a load starts, what those records hold is
// kept in before-import.csv: what the load overwrites, for undo.
func (w *workFolder) recheck(ctx context.Context) error {
	keys := toImportKeys(w.folder, w.info)
	found := 0
	var err error
	if w.journal.Started {
		// The load has begun: what the records hold now is not what it overwrote. Count only.
		q := existenceQuery{Object: w.info.Object, ExtField: w.info.ExternalIDField}
		_, err = lookup(ctx, w.sf, w.j, q, keys, func(sfclient.Record) error { found++; return nil })
	} else if found, err = writeBefore(ctx, w.sf, w.j, w.folder, w.info, keys, runfolder.BeforeImportFile, nil); err == nil {
		err = w.sealBefore()
	}
	if err != nil {
		return fmt.Errorf("re-check %s: %w", w.info.Object, err)
	}
	planned := w.summary.Count(runfolder.ToUpdate)
	w.j.log.Info("existence re-checked", zap.Int("planned_updates", planned), zap.Int("now_existing", found))
	if found > planned {
		w.j.log.Warn("records were created in Salesforce since the plan; the upsert updates them unless Salesforce holds newer data",
			zap.Int("count", found-planned))
	}
	return nil
}

// sealBefore journals the SHA-256 of before-import.csv, just written: undo restores from it
// only as it was written.
func (w *workFolder) sealBefore() error {
	sums, err := sealFiles(w.folder, []string{runfolder.BeforeImportFile})
	if err != nil {
		return err
	}
	jr, _, err := w.folder.OpenJournal(w.j.now)
	if err != nil {
		return err
	}
	defer jr.Close()
	e := runfolder.JournalEntry{Event: runfolder.EvBeforeImage, Sums: sums}
	if err := jr.Add(e); err != nil {
		return err
	}
	w.journal.Apply(e)
	return nil
}

// loadSealed are the files a finished load seals in its journal: verify, undo and retry
// read them.
var loadSealed = []string{runfolder.LedgerFile, runfolder.SuccessFile, runfolder.ErrorFile, runfolder.UnprocessedFile}

// load uploads the plan's parts, waits for the jobs, collects their results and writes the
// final ledger, summary and report. Every step is journaled first, so it can be resumed.
func (w *workFolder) load(ctx context.Context) (*LoadResult, error) {
	st := w.journal
	if st.Finished {
		// Nothing to do, and nothing went wrong now. The outcomes are the import's, as it
		// ended.
		sum, err := w.final()
		return &LoadResult{Summary: sum, AlreadyDone: true}, err
	}
	jr, cut, err := w.folder.OpenJournal(w.j.now)
	if err != nil {
		return nil, err
	}
	defer jr.Close()
	if cut > 0 {
		w.j.log.Warn("journal.jsonl ended in a torn line (a crash or a full disk while writing it); the line was cut off",
			zap.Int64("bytes", cut))
	}
	if st.Missing {
		// Recreate the journal, saying it was lost: until each plan part is settled, its
		// fate is read from the org, even after another interruption.
		if err := jr.Add(runfolder.JournalEntry{Event: runfolder.EvPlanned, Plan: w.info.Seal.ID, Note: "journal recreated"}); err != nil {
			return nil, err
		}
		if err := jr.Add(runfolder.JournalEntry{Event: runfolder.EvLost}); err != nil {
			return nil, err
		}
		st.Missing, st.Lost, st.Planned, st.PlanID = false, true, true, w.info.Seal.ID
	}
	if !st.Started {
		if err := jr.Add(runfolder.JournalEntry{Event: runfolder.EvLoadStart}); err != nil {
			return nil, err
		}
		st.Started = true
		if !st.Lost {
			st.LoadStart = w.j.now()
		}
	}
	if !st.LoadStart.IsZero() {
		w.summary.LoadStartedAt = st.LoadStart // the load's own time, without the review's
	}
	l := w.importLoader(jr)
	if err := l.run(ctx); err != nil {
		return nil, w.stopped(ctx, l, err)
	}
	if err := w.finish(ctx, l); err != nil {
		return nil, w.stopped(ctx, l, err)
	}
	sums, err := sealFiles(w.folder, loadSealed)
	if err == nil {
		err = jr.Add(runfolder.JournalEntry{Event: runfolder.EvFinished, Sums: sums})
	}
	if err != nil {
		return nil, w.stopped(ctx, l, err)
	}
	sum, err := w.final()
	return &LoadResult{Summary: sum}, err
}

// stopped says why a load did not finish, for what to do next. Interrupted (Ctrl-C,
// SIGTERM): the jobs this command left Open are aborted (their upload may be half done), the
// running ones are left to Salesforce. A condition that passes with time (a lost connection,
// Salesforce busy, the daily API allowance): resume later. A definite refusal: resuming
// alone would fail the same way until it is fixed in the org.
func (w *workFolder) stopped(ctx context.Context, l *loader, err error) error {
	e := &StoppedError{Dir: w.folder.Dir, Err: err}
	var ae *sfclient.APIError
	switch {
	case ctx.Err() != nil:
		e.Cause, e.Aborted = StopInterrupted, l.abortOpen()
		e.Running = l.running()
		e.Err = ctx.Err()
	case sfclient.IsTransient(err):
		e.Cause = StopTransient
	case errors.As(err, &ae):
		e.Cause, e.Code = StopRefused, ae.Code
	}
	return e
}

// final returns the final summary, as written.
func (w *workFolder) final() (*Summary, error) {
	s := &Summary{}
	if err := w.folder.ReadJSON(runfolder.SummaryFile, s); err != nil {
		return w.summary, nil
	}
	return s, nil
}

// setupURL is where a job is found in Setup > Bulk Data Load Jobs, as the sf CLI prints it,
// on the org's instance: a link a person can open.
func setupURL(instance, jobID string) string {
	return strings.TrimRight(instance, "/") + "/lightning/setup/AsyncApiJobStatus/page?address=%2F" + jobID
}
