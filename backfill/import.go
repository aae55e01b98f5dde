package backfill

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// Import runs `backfill import`: it plans (or, with cfg.PlanDir, loads exactly the plan
// reviewed in that folder, re-checking existence first), asks to confirm through
// cfg.Hooks.Confirm unless cfg.Yes, then upserts the rows on the external id through the Bulk
// API 2.0 and turns the results into the ledger's final outcomes. It returns the final
// summary, with an [ExitError] of [ExitRowsFailed] when any row failed or was left
// unprocessed.
func Import(ctx context.Context, cfg Config) (*Summary, error) {
	rl := withRunLog(&cfg)
	defer rl.close()
	var p *planRun
	var err error
	if cfg.PlanDir != "" {
		if p, err = loadPlan(ctx, &cfg, cfg.PlanDir, "import --plan", true, rl); err != nil {
			return nil, err
		}
	} else if p, err = makePlan(ctx, &cfg, "import", rl); err != nil {
		if p != nil {
			p.folder.Unlock()
			return p.summary, err // the plan was written but must not be loaded
		}
		return nil, err
	}
	defer p.folder.Unlock()
	if err := p.guardLoad(ctx); err != nil {
		if cfg.PlanDir == "" {
			return p.summary, err
		}
		return nil, err
	}
	if err := p.confirm(); err != nil {
		if p.cfg.Hooks.Confirm == nil {
			return p.summary, err // nobody was asked: show the plan that was not loaded
		}
		return nil, err
	}
	p.idx = nil // the load works from the run folder: let the key tables go
	return p.load(ctx)
}

// Resume finishes an import interrupted at any point (even by kill -9) from its run folder:
// it replays the journal, asks Salesforce for the state of every job it had created, and
// goes on from there. It never re-sends a part whose job may have its data.
func Resume(ctx context.Context, cfg Config, dir string) (*Summary, error) {
	if UndoInProgress(dir) {
		cfg.Yes = true // it was confirmed when it started
		sum, _, err := Undo(ctx, cfg, dir)
		return sum, err
	}
	rl := withRunLog(&cfg)
	defer rl.close()
	p, err := loadPlan(ctx, &cfg, dir, "resume", false, rl)
	if err != nil {
		return nil, err
	}
	defer p.folder.Unlock()
	st := p.journal
	if !st.Started && !st.Missing {
		return nil, UsageError(fmt.Sprintf("to load it, run: backfill import --plan %s", dir),
			"%s holds a plan that was never imported: nothing to resume", dir)
	}
	if !st.Finished {
		if err := p.guardLoad(ctx); err != nil {
			return nil, err
		}
	}
	return p.load(ctx)
}

// UndoInProgress reports whether dir holds an undo whose jobs started and did not finish:
// resume finishes it (with [Undo]).
func UndoInProgress(dir string) bool {
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

// guardLoad runs preflight's blocking checks before anything is written to Salesforce
// (exit 4 on a FAIL), unless --skip-preflight, which the final summary then reports.
func (p *planRun) guardLoad(ctx context.Context) error {
	if p.cfg.SkipPreflight {
		p.skippedPreflight = true
		p.log.Warn("preflight skipped (--skip-preflight): login and --sandbox, packages, integration user, object and fields and limits were not checked before loading")
		return nil
	}
	rep := p.preflight
	if rep == nil {
		rep = runChecks(ctx, p.sf, p.cfg, checkScope{ids: blockingChecks, plan: p.info})
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: the checks that failed did not really run
	}
	if len(rep.Failed()) > 0 {
		return &PreflightError{Report: rep}
	}
	return nil
}

// confirm asks before anything is written to Salesforce.
func (p *planRun) confirm() error {
	n := p.summary.Count(runfolder.ToInsert, runfolder.ToUpdate)
	if p.cfg.Yes || n == 0 {
		return nil
	}
	if p.cfg.Hooks.Confirm == nil {
		return UsageError("review the plan, then run again with --yes (or use backfill plan, then backfill import --plan DIR --yes)",
			"no terminal to confirm the import on")
	}
	ok, err := p.cfg.Hooks.Confirm(p.summary)
	if err != nil {
		return err
	}
	if !ok {
		return UsageError(fmt.Sprintf("the plan is kept in %s; load it later with backfill import --plan %s", p.folder.Dir, p.folder.Dir),
			"import cancelled: nothing was written to Salesforce")
	}
	return nil
}

// loadPlan opens a plan folder for `import --plan` and `resume` (command): it takes the
// folder's lock, then refuses, before anything is written to Salesforce, a plan whose
// sealed files changed since it was made, a journal from another plan, or a login to
// another org. The lock is held on success.
func loadPlan(ctx context.Context, cfg *Config, dir, command string, recheck bool, rl *runLog) (p *planRun, err error) {
	if p, err = openPlanned(cfg, dir, command); err != nil {
		return nil, err
	}
	folder := p.folder
	defer func() {
		if err != nil {
			folder.Unlock()
		}
	}()
	if err := p.refuseShapingFlags(); err != nil {
		return nil, err
	}
	if err := cfg.validateOrg(); err != nil {
		return nil, err
	}
	if err := p.checkSealed(); err != nil {
		return nil, err
	}
	if err := rl.attach(folder); err != nil {
		return nil, err
	}
	if p.info.Seal.Version != cfg.Version {
		p.log.Info("the plan was made by another version of backfill", zap.String("plan_version", p.info.Seal.Version), zap.String("version", cfg.Version))
	}
	sumFile := runfolder.SummaryFile
	if folder.Has(runfolder.PlanSummaryFile) {
		sumFile = runfolder.PlanSummaryFile
	}
	if err := folder.ReadJSON(sumFile, p.summary); err != nil {
		return nil, fmt.Errorf("read plan summary: %w", err)
	}
	if recheck {
		if err := checkRejected(cfg, p.summary, ExitUsage, "nothing was written to Salesforce"); err != nil {
			return nil, err
		}
	}
	if err := p.login(ctx); err != nil {
		return nil, err
	}
	if recheck {
		if err := p.recheck(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// openPlanned opens the plan folder dir for command: its lock, then plan.json. The lock is
// held on success.
func openPlanned(cfg *Config, dir, command string) (*planRun, error) {
	folder, err := openPlanFolder(cfg, dir, command)
	if err != nil {
		return nil, err
	}
	p := &planRun{cfg: cfg, log: cfg.logger(), folder: folder, info: &runfolder.Plan{}, summary: &Summary{}}
	if err := folder.ReadJSON(runfolder.PlanFile, p.info); err != nil {
		folder.Unlock()
		return nil, UsageError("pass a run folder written by backfill plan", "%s is not a plan folder: %v", dir, err)
	}
	return p, nil
}

// login logs in (to the plan's instance unless told otherwise) and refuses another org.
func (p *planRun) login(ctx context.Context) error {
	if p.cfg.Org.InstanceURL == "" && p.cfg.Org.TargetOrg == "" {
		p.cfg.Org.InstanceURL = p.info.InstanceURL
	}
	var err error
	if p.sf, err = connect(ctx, p.cfg); err != nil {
		return err
	}
	return p.checkOrg(ctx)
}

// openPlanFolder opens dir and takes its lock for command.
func openPlanFolder(cfg *Config, dir, command string) (*runfolder.Folder, error) {
	folder, err := runfolder.Open(dir)
	if err != nil {
		return nil, UsageError("pass a run folder written by backfill plan", "%s is not a run folder: %v", dir, err)
	}
	if strings.HasSuffix(filepath.Clean(dir), runfolder.PartialSuffix) {
		return nil, UsageError("make a new plan with backfill plan (the same --out replaces this folder)",
			"%s is an unfinished run folder: the command that built it stopped before the plan was complete", dir)
	}
	if err := folder.Lock(command, cfg.now()); err != nil {
		if errors.Is(err, runfolder.ErrInUse) {
			return nil, inUse(err)
		}
		return nil, err
	}
	return folder, nil
}

// checkSealed refuses a plan whose files changed since it was made, a journal that belongs
// to another plan, and a part the load added that changed since.
func (p *planRun) checkSealed() error {
	fix := "make a new plan with backfill plan: a changed plan is not the plan that was reviewed"
	if err := p.folder.CheckSeal(p.info); err != nil {
		var se *runfolder.SealError
		if errors.As(err, &se) {
			return &ExitError{Code: ExitUsage, Err: err, Hint: fix}
		}
		return err
	}
	st, err := p.folder.ReadJournal()
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err, Hint: "the journal is damaged beyond its last line; move it away and backfill resume asks Salesforce which rows are loaded"}
	}
	if !st.Missing && st.PlanID != p.info.Seal.ID {
		return UsageError(fmt.Sprintf("put this folder's own journal back; if it is lost, move %s away and backfill resume %s asks Salesforce which rows are loaded",
			runfolder.JournalFile, p.folder.Dir),
			"%s belongs to another plan (%s), not to this one (%s): it was copied from another run folder",
			p.folder.Path(runfolder.JournalFile), orNone(st.PlanID), p.info.Seal.ID)
	}
	for n, ps := range st.Parts {
		if ps.File == "" {
			continue
		}
		sum, err := p.folder.SHA256(ps.File)
		if err != nil || sum != ps.Sum {
			return &ExitError{Code: ExitUsage, Err: &runfolder.SealError{File: p.folder.Path(ps.File), Why: fmt.Sprintf("(part %d) is missing or changed since the load wrote it", n)},
				Hint: "put the file back as it was; the load never sends a changed part"}
		}
	}
	if st.Missing {
		p.log.Warn("journal.jsonl is missing: which rows were loaded is unknown; each part's rows are looked up in Salesforce before anything is sent")
	}
	p.journal = st
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no plan id"
	}
	return "plan " + s
}

// checkOrg refuses a login to another org than the plan's: another URL, or the same URL
// serving another org (a refreshed sandbox keeps its URL, not its Organization Id).
func (p *planRun) checkOrg(ctx context.Context) error {
	fix := "log in to the org the plan was made for, or make a new plan for this one"
	if !sameHost(p.sf.InstanceURL(), p.info.InstanceURL) {
		return UsageError(fix, "the plan was made for %s, but this login is for %s", p.info.InstanceURL, p.sf.InstanceURL())
	}
	org, err := p.sf.Organization(ctx)
	if err != nil {
		return fmt.Errorf("read the org's Id: %w", err)
	}
	if seal := p.info.Seal; !sameOrgID(org.ID, seal.OrgID) {
		return UsageError(fix, "the plan was made for org %s (%s), but this login is for org %s (%s) at the same address",
			seal.OrgID, seal.OrgName, org.ID, org.Name)
	}
	return nil
}

// sameOrgID compares 15- or 18-character Ids (the 18-character form adds a case suffix).
func sameOrgID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// refuseShapingFlags refuses, for import --plan, the flags that would shape a plan: the plan
// was reviewed as it is. The message names each with the plan's own value.
func (p *planRun) refuseShapingFlags() error {
	var given, planned []string
	for _, name := range ShapingFlags {
		if _, ok := p.cfg.PlanFlags[name]; !ok {
			continue
		}
		v := p.info.Flags[name]
		if v == "" {
			v = "its default"
		}
		given = append(given, "--"+name)
		planned = append(planned, "--"+name+" "+v)
	}
	if len(given) == 0 {
		return nil
	}
	verb := "cannot"
	if len(given) == 1 {
		return UsageError("drop it to load the plan as reviewed, or make a new plan with backfill plan",
			"%s cannot be used with --plan: the plan in %s was made with %s", given[0], p.folder.Dir, planned[0])
	}
	return UsageError("drop them to load the plan as reviewed, or make a new plan with backfill plan",
		"%s %s be used with --plan: the plan in %s was made with %s", strings.Join(given, ", "), verb, p.folder.Dir, strings.Join(planned, ", "))
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

// recheck asks Salesforce again which of the planned keys exist now. Rows created since the
// plan (by the live sync, say) are still upserted: the upsert matches them on the external id
// and never duplicates, and the Northpass package refuses data older than what it holds
// (already_newer). The count is logged. Before a load starts, what those records hold is
// kept in before-import.csv: what the load overwrites, for undo.
func (p *planRun) recheck(ctx context.Context) error {
	keys := toImportKeys(p.folder, p.info)
	found := 0
	var err error
	if p.journal.Started {
		// The load has begun: what the records hold now is not what it overwrote. Count only.
		q := existenceQuery{Object: p.info.Object, ExtField: p.info.ExternalIDField}
		_, err = lookup(ctx, p.sf, q, keys, p.cfg, func(sfclient.Record) error { found++; return nil })
	} else {
		found, err = writeBefore(ctx, p.sf, p.cfg, p.folder, p.info, keys, runfolder.BeforeImportFile)
	}
	if err != nil {
		return fmt.Errorf("re-check %s: %w", p.info.Object, err)
	}
	planned := p.summary.Count(runfolder.ToUpdate)
	p.log.Info("existence re-checked", zap.Int("planned_updates", planned), zap.Int("now_existing", found))
	if found > planned {
		p.log.Warn("records were created in Salesforce since the plan; the upsert updates them unless Salesforce holds newer data",
			zap.Int("count", found-planned))
	}
	return nil
}

// load uploads the plan's parts, waits for the jobs, collects their results and writes the
// final ledger, summary and report. Every step is journaled first, so it can be resumed.
func (p *planRun) load(ctx context.Context) (*Summary, error) {
	st := p.journal
	if st.Finished {
		// Nothing to do, and nothing went wrong now: exit 0, saying so. The outcomes printed
		// are the import's, as it ended.
		sum, _ := p.final()
		return sum, &ExitError{Code: ExitOK,
			Err:  fmt.Errorf("the import in %s was already complete: nothing was sent; the summary above is how it ended", p.folder.Dir),
			Hint: fmt.Sprintf("backfill verify %s proves what is in Salesforce now", p.folder.Dir)}
	}
	j, cut, err := p.folder.OpenJournal(p.cfg.now)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if cut > 0 {
		p.log.Warn("journal.jsonl ended in a torn line (a crash or a full disk while writing it); the line was cut off",
			zap.Int64("bytes", cut))
	}
	if st.Missing {
		// Recreate the journal, saying it was lost: until each plan part is settled, its
		// fate is read from the org, even after another interruption.
		if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvPlanned, Plan: p.info.Seal.ID, Note: "journal recreated"}); err != nil {
			return nil, err
		}
		if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvLost}); err != nil {
			return nil, err
		}
		st.Missing, st.Lost, st.Planned, st.PlanID = false, true, true, p.info.Seal.ID
	}
	if !st.Started {
		if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvLoadStart}); err != nil {
			return nil, err
		}
		st.Started = true
		if !st.Lost {
			st.LoadStart = p.cfg.now()
		}
	}
	l := newLoader(p, j, st)
	if err := l.run(ctx); err != nil {
		return nil, p.stopped(ctx, l, err)
	}
	if err := p.finish(ctx, l); err != nil {
		return nil, p.stopped(ctx, l, err)
	}
	if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvFinished}); err != nil {
		return nil, p.stopped(ctx, l, err)
	}
	return p.final()
}

// stopped explains a load that did not finish and says how to go on. Interrupted (Ctrl-C,
// SIGTERM): the jobs this command left Open are aborted (their upload may be half done),
// the running ones are left to Salesforce, exit 130. A condition that passes with time (a
// lost connection, Salesforce busy, the daily API allowance): resume later. A definite
// refusal: resuming alone would fail the same way, so the hint says what to fix first.
func (p *planRun) stopped(ctx context.Context, l *loader, err error) error {
	dir := p.folder.Dir
	if ctx.Err() != nil {
		aborted := l.abortOpen()
		running := l.running()
		msg := "interrupted"
		if aborted > 0 {
			msg += fmt.Sprintf(": aborted %s that this command had left Open", Plural(aborted, "job"))
		}
		hint := fmt.Sprintf("run backfill resume %s to finish", dir)
		if running > 0 {
			hint = fmt.Sprintf("%s still running in Salesforce, left alone: backfill resume %s collects the results and finishes",
				Plural(running, "job"), dir)
		}
		return &ExitError{Code: ExitInterrupted, Err: errors.New(msg), Hint: hint}
	}
	var ae *sfclient.APIError
	switch {
	case sfclient.IsTransient(err):
		return &ExitError{Code: ExitRuntime, Err: err,
			Hint: fmt.Sprintf("this passes with time: run backfill resume %s later; nothing is sent twice", dir)}
	case errors.As(err, &ae):
		return &ExitError{Code: ExitRuntime, Err: err,
			Hint: fmt.Sprintf("Salesforce refused the request (%s): resuming fails the same way until that is fixed in the org; then run backfill resume %s", ae.Code, dir)}
	}
	return &ExitError{Code: ExitRuntime, Err: err,
		Hint: fmt.Sprintf("fix the cause above (disk space, file permissions), then run backfill resume %s; nothing is sent twice", dir)}
}

// final returns the final summary (as written) and maps failures to exit code 3, with a
// hint naming the files that hold the rows.
func (p *planRun) final() (*Summary, error) {
	sum := p.summary
	s := &Summary{}
	if p.folder.ReadJSON(runfolder.SummaryFile, s) == nil {
		sum = s
	}
	failed, unprocessed := sum.Count(runfolder.Failed), sum.Count(runfolder.Unprocessed)
	if failed+unprocessed == 0 {
		return sum, nil
	}
	var what, hints []string
	if failed > 0 {
		what = append(what, Plural(failed, "row")+" failed")
		hints = append(hints, fmt.Sprintf("%s holds the failed rows with Salesforce's error: fix the data and load it again", p.folder.Path(runfolder.ErrorFile)))
	}
	if unprocessed > 0 {
		what = append(what, Plural(unprocessed, "row")+" left unprocessed")
		hints = append(hints, fmt.Sprintf("%s holds the unprocessed rows, ready to load again", p.folder.Path(runfolder.UnprocessedFile)))
	}
	return sum, &ExitError{Code: ExitRowsFailed, Err: errors.New(strings.Join(what, " and ")), Hint: strings.Join(hints, "; ")}
}

// setupPath is where a job is found in Setup > Bulk Data Load Jobs, as the sf CLI prints it.
func setupPath(jobID string) string {
	return "/lightning/setup/AsyncApiJobStatus/page?address=%2F" + jobID
}
