package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

func runImport(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("import", "backfill import --export FILE [flags]\n  backfill import --plan DIR [flags]", fmt.Sprintf(`
Plan (as backfill plan does), show the plan summary, ask to confirm (skip with --yes), then
upsert the rows on the external id through the Bulk API 2.0 (a new job every %s), wait
for the jobs and write success.csv, error.csv and unprocessed.csv (each row once, with its
last result). Rows that failed with UNABLE_TO_LOCK_ROW, or that a job never processed, go
again in follow-up jobs; a part Salesforce refuses as too large is split in two. The ledger
ends with the final outcome of every row: created, updated, already_newer (Salesforce holds
newer data: "Cannot update record due to old timestamp"), failed or unprocessed. Exit code 3
when any row failed or was left unprocessed.

--plan DIR loads exactly the plan reviewed in DIR (written by backfill plan), after checking
its seal (to_import.csv, ledger.csv, summary.json and plan.json unchanged, the login for the
same org: URL and Organization Id) and re-checking which records exist. One command at a
time writes a run folder (a second one exits 2). Every step is journaled: an import stopped at
any point (Ctrl-C exits 130; even kill -9) is finished with backfill resume DIR, without
duplicates; running import again is also safe (the upsert creates nothing twice).`,
		megabytes(sfclient.DefaultMaxUploadBytes))+orgHelp)
	addExportFlags(fs, &cfg, &ef)
	addTargetFlags(fs, &cfg)
	fs.BoolVar(&cfg.UpdateStale, "update-stale", false, "also upsert rows Salesforce has with different values")
	fs.StringVar(&cfg.PlanDir, "plan", "", "load exactly the plan reviewed in this run folder")
	markRequired(fs, "export", "(required, or --plan)")
	markRequired(fs, "plan", "(required, or --export)")
	addOutputFlags(fs, &out, "the summary on stdout: table or json")
	fs.BoolVarP(&cfg.Yes, "yes", "y", false, "do not ask for confirmation")
	addMaxRejected(fs, &ef)
	fs.BoolVar(&cfg.SkipPreflight, "skip-preflight", false, "load without running preflight's blocking checks first (the summary says what was skipped)")
	addOrgFlags(fs, &cfg)
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill import --help'", "unexpected argument %q", fs.Arg(0))
	}
	if cfg.PlanDir != "" {
		// The reviewed plan is loaded as it is: the job refuses flags that would shape it.
		cfg.PlanFlags = map[string]string{}
		for _, name := range backfill.ShapingFlags {
			if f := fs.Lookup(name); f != nil && f.Changed {
				cfg.PlanFlags[name] = f.Value.String()
			}
		}
	}
	if err := ef.apply(fs, &cfg); err != nil {
		return err
	}
	if err := out.resolve(fs); err != nil {
		return err
	}
	done, err := e.setupJob(&cfg, lo)
	if err != nil {
		return err
	}
	defer done()
	sum, err := backfill.Import(ctx, cfg)
	return e.printSummary(sum, out.format, e.printBlocked(sum, err))
}

func runResume(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("resume", "backfill resume DIR [flags]", `
Finish an import that was interrupted (network loss, Ctrl-C, kill -9, a closed laptop) from its
run folder. The journal says which Bulk job holds each part of to_import.csv and how far it
got; resume checks the plan's seal, asks Salesforce for each job's state (Open,
UploadComplete, InProgress, JobComplete, Failed, Aborted or gone after Salesforce's 7-day
retention), never sends a part again into a job that may hold it, waits for the jobs,
collects their results and writes the final ledger, summary and report. Where a job is gone
(or the journal was lost), it asks Salesforce which of the part's rows hold the planned
values and loads only the rest. Resuming a finished import sends nothing.`+orgHelp)
	addOrgFlags(fs, &cfg)
	addOutputFlags(fs, &out, "the summary on stdout: table or json")
	fs.BoolVar(&cfg.SkipPreflight, "skip-preflight", false, "finish without running preflight's blocking checks first")
	addLogFlags(fs, &lo)
	dir, done, err := e.folderCommand(fs, args, &cfg, &lo, &out)
	if err != nil {
		return err
	}
	defer done()
	if backfill.UndoInProgress(dir) {
		cfg.Yes = true // the undo was confirmed when it started
		_, run, err := backfill.Undo(ctx, cfg, dir)
		return e.printUndo(dir, run, out.format, err)
	}
	sum, err := backfill.Resume(ctx, cfg, dir)
	return e.printSummary(sum, out.format, e.printBlocked(sum, err))
}

// printBlocked prints the checklist of a load that preflight stopped, when no summary
// shows it, and returns err.
func (e *env) printBlocked(sum *backfill.Summary, err error) error {
	var pe *backfill.PreflightError
	if sum == nil && errors.As(err, &pe) {
		report.PrintPreflight(e.stdout, pe.Report, "table")
	}
	return err
}

// megabytes formats n bytes in decimal megabytes, as the help states sizes: "99 MB".
func megabytes(n int64) string {
	return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + " MB"
}
