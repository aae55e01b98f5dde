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
	var o backfill.ImportOptions
	var lo logOptions
	var planDir string
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
same org: URL and Organization Id) and re-checking which records exist; it shows who approved
the plan (backfill approve) and, with --require-approval, refuses a plan nobody approved
(exit 2). The summaries and the prompt name the org and the user. One command at a
time writes a run folder (a second one exits 2). Every step is journaled: an import stopped at
any point (Ctrl-C exits 130; even kill -9) is finished with backfill resume DIR, without
duplicates; running import again is also safe (the upsert creates nothing twice).`,
		megabytes(sfclient.DefaultMaxUploadBytes))+orgHelp)
	ef := addExportFlags(fs, &o.Export, &o.Out)
	addTargetFlags(fs, &o.Target)
	fs.BoolVar(&o.UpdateStale, "update-stale", false, "also upsert rows Salesforce has with different values")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "leave out of the upload (as rejected) the rows describe says Salesforce will refuse: restricted picklist values, empty required fields, bad emails, values too long or out of range")
	fs.StringVar(&planDir, "plan", "", "load exactly the plan reviewed in this run folder")
	var requireApproval bool
	fs.BoolVar(&requireApproval, "require-approval", false, "with --plan: refuse a plan nobody approved with backfill approve (exit 2)")
	markRequired(fs, "export", "(required, or --plan)")
	markRequired(fs, "plan", "(required, or --export)")
	out := addOutputFlags(fs, "the summary on stdout: table or json")
	fs.BoolVarP(&o.Load.Yes, "yes", "y", false, "do not ask for confirmation")
	addMaxRejected(fs, ef)
	fs.BoolVar(&o.Load.SkipPreflight, "skip-preflight", false, "load without running preflight's blocking checks first (the summary says what was skipped)")
	addOrgFlags(fs, &o.Org)
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 0, &lo, []*sfclient.Config{&o.Org}, ef, out)
	if err != nil {
		return err
	}
	defer s.done()
	if planDir != "" {
		// The reviewed plan is loaded as it is: the job refuses flags that would shape it.
		res, err := backfill.ImportPlan(ctx, backfill.ImportPlanOptions{
			FolderOptions: backfill.FolderOptions{Front: s.front, Dir: planDir, Org: o.Org},
			Load:          o.Load, MaxRejected: o.Export.MaxRejected, Shaping: shaping(fs), RequireApproval: requireApproval})
		return e.printLoad(planDir, res, out.format, err)
	}
	if requireApproval {
		return usage("approve a plan with backfill approve DIR --by NAME, then load it with backfill import --plan DIR --require-approval",
			"--require-approval needs --plan DIR: a plan made and loaded in one command was approved by nobody")
	}
	o.Front = s.front
	sum, err := backfill.Import(ctx, o)
	return summaryEnd(sum, "", e.printSummary(sum, out.format, e.printBlocked(sum, err)))
}

// printLoad prints the summary of a load of the run folder dir (import --plan, resume), or
// of the undo resume finished, and returns how the command ends.
func (e *env) printLoad(dir string, res *backfill.LoadResult, format string, err error) error {
	err = e.printBlocked(nil, err)
	var re *backfill.RejectedError
	if errors.As(err, &re) {
		x := explainRejected(re, "nothing was written to Salesforce")
		err = &cliError{msg: x.msg, hint: x.hint, code: x.code, err: err}
	}
	if res == nil {
		return err
	}
	if res.Undo != nil {
		return e.printUndo(dir, res.Undo, format, err)
	}
	if err := e.printSummary(res.Summary, format, err); err != nil {
		return err
	}
	if res.AlreadyDone {
		// Nothing was sent now; the command ends as the import did (exit 3 for rows that
		// failed), saying so.
		var ce *cliError
		if end := summaryEnd(res.Summary, dir, nil); errors.As(end, &ce) {
			ce.msg = fmt.Sprintf("the import in %s was already complete (nothing was sent): %s", dir, ce.msg)
			return ce
		}
		return &cliError{msg: fmt.Sprintf("the import in %s was already complete: nothing was sent; the summary above is how it ended", dir),
			hint: fmt.Sprintf("%s proves what is in Salesforce now", sh.Command(backfill.CmdVerify, dir)), code: exitOK}
	}
	return summaryEnd(res.Summary, dir, nil)
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
