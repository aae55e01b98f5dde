package backfill

import (
	"context"
	"fmt"
	"net/url"
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
		if p, err = loadPlan(ctx, &cfg, cfg.PlanDir, true, rl); err != nil {
			return nil, err
		}
	} else if p, err = makePlan(ctx, &cfg, "import", rl); err != nil {
		if p != nil {
			return p.summary, err // the plan was written but must not be loaded
		}
		return nil, err
	}
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
	rl := withRunLog(&cfg)
	defer rl.close()
	p, err := loadPlan(ctx, &cfg, dir, false, rl)
	if err != nil {
		return nil, err
	}
	st, err := p.folder.ReadJournal()
	if err != nil {
		return nil, err
	}
	if !st.Started {
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

// loadPlan reads a plan folder for `import --plan` and `resume`. It refuses a plan whose
// to_import.csv changed since it was written, or that was made for another org.
func loadPlan(ctx context.Context, cfg *Config, dir string, recheck bool, rl *runLog) (*planRun, error) {
	folder, err := runfolder.Open(dir)
	if err != nil {
		return nil, UsageError("pass a run folder written by backfill plan", "%s is not a run folder: %v", dir, err)
	}
	p := &planRun{cfg: cfg, log: cfg.logger(), folder: folder, info: &runfolder.Plan{}, summary: &Summary{}}
	if err := folder.ReadJSON(runfolder.PlanFile, p.info); err != nil {
		return nil, UsageError("pass a run folder written by backfill plan", "%s is not a plan folder: %v", dir, err)
	}
	if err := p.refuseShapingFlags(); err != nil {
		return nil, err
	}
	if err := cfg.validateOrg(); err != nil {
		return nil, err
	}
	if err := rl.attach(folder); err != nil {
		return nil, err
	}
	sumFile := runfolder.SummaryFile
	if folder.Has(runfolder.PlanSummaryFile) {
		sumFile = runfolder.PlanSummaryFile
	}
	if err := folder.ReadJSON(sumFile, p.summary); err != nil {
		return nil, fmt.Errorf("read plan summary: %w", err)
	}
	sha, err := folder.SHA256(runfolder.ToImportFile)
	if err != nil {
		return nil, err
	}
	if sha != p.info.ToImportSHA256 {
		return nil, UsageError("make a new plan with backfill plan", "%s changed since the plan was made: it is not the plan that was reviewed", folder.Path(runfolder.ToImportFile))
	}
	if recheck {
		if err := checkRejected(cfg, p.summary, ExitUsage, "nothing was written to Salesforce"); err != nil {
			return nil, err
		}
	}
	if cfg.Org.InstanceURL == "" && cfg.Org.TargetOrg == "" {
		cfg.Org.InstanceURL = p.info.InstanceURL
	}
	if p.sf, err = connect(ctx, cfg); err != nil {
		return nil, err
	}
	if !sameHost(p.sf.InstanceURL(), p.info.InstanceURL) {
		return nil, UsageError("log in to the org the plan was made for, or make a new plan",
			"the plan was made for %s, but this login is for %s", p.info.InstanceURL, p.sf.InstanceURL())
	}
	if recheck {
		if err := p.recheck(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
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
// (already_newer). The count is logged.
func (p *planRun) recheck(ctx context.Context) error {
	keys := &fileKeys{folder: p.folder, field: p.info.ExternalIDField, n: p.info.Rows(), fold: p.info.FoldKeys}
	found := 0
	_, err := lookup(ctx, p.sf, existenceQuery{Object: p.info.Object, ExtField: p.info.ExternalIDField}, keys, p.cfg,
		func(sfclient.Record) error { found++; return nil })
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
	st, err := p.folder.ReadJournal()
	if err != nil {
		return nil, err
	}
	if st.Finished {
		p.log.Info("this import is already complete", zap.String("run_folder", p.folder.Dir))
		return p.final()
	}
	j, err := p.folder.OpenJournal(p.cfg.now)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if !st.Started {
		if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvLoadStart}); err != nil {
			return nil, err
		}
	}
	l := &loader{p: p, j: j, st: st, sf: p.sf, log: p.log}
	if err := l.run(ctx); err != nil {
		return nil, fmt.Errorf("%w (the run folder %s can be resumed: backfill resume %s)", err, p.folder.Dir, p.folder.Dir)
	}
	if err := p.finish(ctx, st); err != nil {
		return nil, err
	}
	if err := j.Add(runfolder.JournalEntry{Event: runfolder.EvFinished}); err != nil {
		return nil, err
	}
	return p.final()
}

// final returns the final summary (as written) and maps failures to exit code 3.
func (p *planRun) final() (*Summary, error) {
	sum := p.summary
	s := &Summary{}
	if p.folder.ReadJSON(runfolder.SummaryFile, s) == nil {
		sum = s
	}
	if bad := sum.Count(runfolder.Failed, runfolder.Unprocessed); bad > 0 {
		return sum, &ExitError{Code: ExitRowsFailed,
			Err:  fmt.Errorf("%d rows failed or were left unprocessed", bad),
			Hint: fmt.Sprintf("see %s and %s; fix the data and load error.csv again", p.folder.Path(runfolder.ErrorFile), p.folder.Path(runfolder.LedgerFile))}
	}
	return sum, nil
}

// setupPath is where a job is found in Setup > Bulk Data Load Jobs, as the sf CLI prints it.
func setupPath(jobID string) string {
	return "/lightning/setup/AsyncApiJobStatus/page?address=%2F" + jobID
}
