package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// This file is the one place where the job's errors and results become what the command
// line says: an exit status, a "backfill: ..." line and a "hint: ..." line. The job speaks
// Go; only here do flags and commands appear.

// Exit codes of the backfill command. They are part of the contract: scripts branch on them.
const (
	exitOK          = 0   // done, every row accounted for, no row failed
	exitRuntime     = 1   // runtime error
	exitUsage       = 2   // usage or unusable input; nothing was written to Salesforce
	exitRowsFailed  = 3   // finished, but some rows failed or were left unprocessed
	exitPreflight   = 4   // preflight found a failing check
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM (128+SIGINT, the shell's code)
)

// cliError is an error of the command line itself (a flag, an argument) or the end of a run
// whose result is not a success: its message, its hint and its exit status.
type cliError struct {
	msg, hint string
	code      int
	err       error // the job's error it explains, if any
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// usage returns a usage error (exit 2) with its hint.
func usage(hint, format string, args ...any) error {
	return &cliError{msg: fmt.Sprintf(format, args...), hint: hint, code: exitUsage}
}

// explained is what main prints of err and the status it exits with.
type explained struct {
	msg, hint string
	code      int
}

var sh = report.Shell{}

// explain maps err to its message, hint and exit status.
func explain(err error) explained {
	var (
		ce  *cliError
		oe  *backfill.OptionError
		fe  *csvdiff.FileError
		te  *backfill.TargetError
		se  *backfill.ShapingError
		sl  *runfolder.SealError
		oge *backfill.OrgError
		fo  *backfill.FolderError
		re  *backfill.RejectedError
		cfe *backfill.ConfirmError
		pe  *backfill.PreflightError
		st  *backfill.StoppedError
		le  *backfill.LoginError
		rte *backfill.RetryError
		ae  *backfill.ApprovalError
	)
	if x, ok := explainBatch(err); ok {
		return x
	}
	switch {
	case errors.As(err, &ce):
		return explained{ce.msg, ce.hint, ce.code}
	case errors.As(err, &oe):
		msg, hint := explainOption(oe)
		return explained{msg, hint, exitUsage}
	case errors.As(err, &fe):
		return explained{fe.Error(), fe.Hint, exitUsage}
	case errors.As(err, &te):
		return explained{te.Msg, te.Fix, exitUsage}
	case errors.As(err, &se):
		return explainShaping(se)
	case errors.As(err, &sl):
		hint := "make a new plan with backfill plan: a changed plan is not the plan that was reviewed"
		switch sl.Of {
		case runfolder.SealPart:
			hint = "put the file back as it was; the load never sends a changed part"
		case runfolder.SealUndo:
			hint = "put the file back as it was; an undo never runs a changed plan"
		case runfolder.SealLoad:
			hint = "put the file back as the load wrote it; verify, undo and retry never act on a changed one"
		case runfolder.SealUnsealed:
			hint = fmt.Sprintf("move it out of the folder to restore from the plan's sealed %s instead (records created between the plan and the load are then left as they are)", runfolder.BeforeFile)
		}
		return explained{sl.Error(), hint, exitUsage}
	case errors.As(err, &oge):
		return explained{oge.Error(), "log in to the org the plan was made for, or make a new plan for this one", exitUsage}
	case errors.Is(err, runfolder.ErrInUse):
		return explained{err.Error(), "wait for that command to end (or stop it); two commands never write one run folder", exitUsage}
	case errors.As(err, &fo):
		return explained{fo.Error(), folderHint(fo), exitUsage}
	case errors.As(err, &rte):
		// Every row of the round loaded: the command had nothing to do, which is not a failure.
		return explained{rte.Error(), fmt.Sprintf("%s proves what is in Salesforce now", sh.Command(backfill.CmdVerify, rte.Dir)), exitOK}
	case errors.As(err, &re):
		return explainRejected(re, "nothing will be written to Salesforce")
	case errors.As(err, &ae):
		return explained{ae.Error(), fmt.Sprintf("have the plan reviewed, then approved with %s %s; nothing was written to Salesforce",
			sh.Command(backfill.CmdApprove, ae.Dir), sh.Option(backfill.OptApprovedBy, "NAME")), exitUsage}
	case errors.As(err, &cfe):
		if errors.Is(cfe, backfill.ErrCancelled) {
			return explained{cfe.Error(), fmt.Sprintf("the plan is kept in %s; load it later with %s", cfe.Dir, sh.Command(backfill.CmdImportPlan, cfe.Dir)), exitUsage}
		}
		return explained{cfe.Error(), fmt.Sprintf("review the plan in %s, then load it with %s %s", cfe.Dir,
			sh.Command(backfill.CmdImportPlan, cfe.Dir), sh.Option(backfill.OptYes, "")), exitUsage}
	case errors.As(err, &pe):
		return explained{pe.Error(), "follow the fix lines above and run again, or load anyway with --skip-preflight", exitPreflight}
	case errors.As(err, &st):
		return explainStopped(st)
	case errors.As(err, &le):
		code := exitRuntime
		if le.Unusable {
			code = exitUsage
		}
		return explained{le.Error(), loginHint(le.Err), code}
	case errors.Is(err, context.Canceled):
		return explained{err.Error(), "", exitInterrupted} // only a signal cancels the command's context
	}
	return explained{err.Error(), "", exitRuntime}
}

// exitCode is the exit status of err (0 for nil).
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	return explain(err).code
}

// explainOption says what is wrong with an option's flag, and what to do.
func explainOption(e *backfill.OptionError) (msg, hint string) {
	flag := report.Flag(e.Option)
	var ch *backfill.ChoiceError
	switch {
	case errors.Is(e.Err, backfill.ErrRequired):
		what := map[backfill.Option]string{
			backfill.OptExport:     "pass the emailed Data Export CSV with --export FILE",
			backfill.OptApprovedBy: "say who approves with --by NAME (a name or an email)",
			backfill.OptExisting:   "pass a CSV of the Enrollment records already in Salesforce (a report or Data Loader export) with --existing FILE",
		}[e.Option]
		return flag + " is required", what
	case errors.Is(e.Err, backfill.ErrOutExists):
		return fmt.Sprintf("run folder %s already exists", e.Value),
			"choose a new --out folder (or leave --out out for a fresh timestamped one); a run folder is never overwritten"
	case errors.Is(e.Err, backfill.ErrOutParent):
		return fmt.Sprintf("%s %s: %v", flag, e.Value, e.Err), "choose an --out folder whose parent is a folder"
	case errors.Is(e.Err, backfill.ErrOutPartial):
		return fmt.Sprintf("%s %s: %v", flag, e.Value, e.Err),
			"choose a name without .partial: every run folder is built as NAME.partial and renamed NAME once complete"
	case errors.Is(e.Err, backfill.ErrOutNoWrite):
		return fmt.Sprintf("%s %s: %v", flag, e.Value, e.Err), "choose an --out folder you can write to"
	case errors.Is(e.Err, backfill.ErrNotAFile):
		return fmt.Sprintf("%s %s is a folder, not a file", flag, e.Value), "pass the CSV file itself, not the folder it is in"
	case e.Option == backfill.OptDateFormat:
		return fmt.Sprintf("%s %v", flag, e.Err), "see backfill plan --help for the date formats"
	case e.Option == backfill.OptEncoding:
		return fmt.Sprintf("%s: %v %q", flag, e.Err, e.Value), "use --encoding utf-8 or --encoding windows-1252"
	case errors.As(e.Err, &ch):
		return fmt.Sprintf("%s %q: %v", flag, e.Value, e.Err), fmt.Sprintf("%s takes %s", flag, joinList(ch.Choices, "or"))
	}
	return fmt.Sprintf("%s %s: %v", flag, e.Value, e.Err), "check the path of the file"
}

// explainShaping refuses flags that would shape a plan, naming each with the plan's value.
func explainShaping(e *backfill.ShapingError) explained {
	var given, planned []string
	for _, o := range e.Given {
		v := e.Planned[o]
		if v == "" {
			v = "its default"
		}
		given = append(given, report.Flag(o))
		planned = append(planned, report.Flag(o)+" "+v)
	}
	if len(given) == 1 {
		return explained{fmt.Sprintf("%s cannot be used with --plan: the plan in %s was made with %s", given[0], e.Dir, planned[0]),
			"drop it to load the plan as reviewed, or make a new plan with backfill plan", exitUsage}
	}
	return explained{fmt.Sprintf("%s cannot be used with --plan: the plan in %s was made with %s", strings.Join(given, ", "), e.Dir, strings.Join(planned, ", ")),
		"drop them to load the plan as reviewed, or make a new plan with backfill plan", exitUsage}
}

// folderHint says what to do about a run folder that cannot be used for the command.
func folderHint(e *backfill.FolderError) string {
	switch e.Err {
	case backfill.ErrNotRunFolder, backfill.ErrNotPlanFolder:
		return "pass a run folder written by backfill plan"
	case backfill.ErrUnfinishedFolder:
		return "make a new plan with backfill plan (the same --out replaces this folder)"
	case backfill.ErrNeverImported:
		if e.Want == backfill.CmdResume {
			return "to load it, run: " + sh.Command(backfill.CmdImportPlan, e.Dir)
		}
		return "load it first: " + sh.Command(backfill.CmdImportPlan, e.Dir)
	case backfill.ErrImportRunning:
		return "finish it first: " + sh.Command(backfill.CmdResume, e.Dir)
	case backfill.ErrBeforeImageUnusable:
		return "undo restores only from the before-image the plan or import --plan wrote: put that file back as it was written"
	case backfill.ErrJournalLost:
		return fmt.Sprintf("run %s: it asks Salesforce which rows are loaded, loads only the rest and writes the final files", sh.Command(backfill.CmdResume, e.Dir))
	case backfill.ErrJournalDamaged:
		return "the journal is damaged beyond its last line; move it away and backfill resume asks Salesforce which rows are loaded"
	case backfill.ErrAlreadyApproved:
		return "the approval stands (report.html and import --plan show it); to approve a changed plan, make a new one with backfill plan"
	case backfill.ErrLoadStarted:
		return "finish the load with " + sh.Command(backfill.CmdResume, e.Dir) + "; approve a new plan before its import"
	case backfill.ErrJournalForeign:
		if e.Want == backfill.CmdUndo {
			return "put the undo's own journal back"
		}
		return fmt.Sprintf("put this folder's own journal back; if it is lost, move %s away and %s asks Salesforce which rows are loaded",
			runfolder.JournalFile, sh.Command(backfill.CmdResume, e.Dir))
	}
	return ""
}

// explainRejected is the refusal above --max-rejected; what says what it means for the run.
func explainRejected(e *backfill.RejectedError, what string) explained {
	return explained{
		msg: fmt.Sprintf("%s of %s (%.1f%%) rejected, above --max-rejected %g%%: %s", backfill.Plural(e.Rejected, "row"),
			backfill.Group(int64(e.Rows)), e.Percent, e.Max, what),
		hint: fmt.Sprintf("read the WARNING above and %s; fix the export or how it is read, or allow it with --max-rejected %.0f",
			runfolder.RejectsFile, math.Ceil(e.Percent)),
		code: exitUsage}
}

// explainStopped says how to go on with a load that stopped.
func explainStopped(e *backfill.StoppedError) explained {
	resume := sh.Command(backfill.CmdResume, e.Dir)
	switch e.Cause {
	case backfill.StopInterrupted:
		hint := fmt.Sprintf("run %s to finish", resume)
		if e.Running > 0 {
			hint = fmt.Sprintf("%s still running in Salesforce, left alone: %s collects the results and finishes", backfill.Plural(e.Running, "job"), resume)
		}
		return explained{e.Error(), hint, exitInterrupted}
	case backfill.StopTransient:
		return explained{e.Error(), fmt.Sprintf("this passes with time: run %s later; nothing is sent twice", resume), exitRuntime}
	case backfill.StopRefused:
		return explained{e.Error(), fmt.Sprintf("Salesforce refused the request (%s): resuming fails the same way until that is fixed in the org; then run %s", e.Code, resume), exitRuntime}
	}
	return explained{e.Error(), fmt.Sprintf("fix the cause above (disk space, file permissions), then run %s; nothing is sent twice", resume), exitRuntime}
}

// loginHint says, in one line, what to do about a failed login or bad login flags: the fix
// for Salesforce's reason when sfclient knows it, else where to look.
func loginHint(err error) string {
	if fix := sfclient.LoginFix(err); fix != "" {
		return fix
	}
	return "check --target-org / --instance-url and the SF_* environment variables (backfill plan --help lists them)"
}

// statusCode is the exit status of a run that ended with st.
func statusCode(command string, st backfill.Status) int {
	switch st {
	case backfill.StatusRowsFailed:
		return exitRowsFailed
	case backfill.StatusTooManyRejected:
		if command == string(backfill.CmdClean) {
			return exitRowsFailed
		}
		return exitUsage
	}
	return exitOK
}

// reportView is how report.html shows the command line's runs: its flags and commands, and
// the exit status each run ended with.
var reportView = report.View{Words: sh, Exit: func(s *backfill.Summary) int { return statusCode(s.Command, s.Ended()) }}

// summaryEnd is the error a command returns for a summary whose run did not end in success
// (nil when it did): the failed rows and where they are (in the run folder dir, "" for the
// summary's own), or the rejected rows of a clean.
func summaryEnd(sum *backfill.Summary, dir string, err error) error {
	if err != nil || sum == nil {
		return err
	}
	if dir == "" {
		dir = sum.RunFolder
	}
	switch sum.Status {
	case backfill.StatusRowsFailed:
		return rowsFailed(sum, dir)
	case backfill.StatusTooManyRejected:
		e := explainRejected(sum.RejectedError(), "the run folder was written; review it before loading to_import.csv")
		return &cliError{msg: e.msg, hint: e.hint, code: statusCode(sum.Command, sum.Status)}
	}
	return nil
}

// retryDir is the import's run folder that backfill retry takes for the run folder dir: dir
// itself, or the import's when dir is one of its retry rounds.
func retryDir(dir string) string {
	if strings.HasPrefix(filepath.Base(dir), backfill.RetryPrefix) && fileExists(filepath.Join(filepath.Dir(dir), runfolder.PlanFile)) {
		return filepath.Dir(dir)
	}
	return dir
}

// fileExists reports whether path names an existing file or folder.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// rowsFailed is exit 3 with a hint naming the files that hold the rows.
func rowsFailed(sum *backfill.Summary, dir string) error {
	failed, unprocessed := sum.Count(runfolder.Failed), sum.Count(runfolder.Unprocessed)
	var what, hints []string
	if failed > 0 {
		what = append(what, backfill.Plural(failed, "row")+" failed")
		errFile := filepath.Join(dir, runfolder.ErrorFile)
		hints = append(hints, fmt.Sprintf("%s holds the failed rows with Salesforce's error: fix them in a copy and load it with %s %s",
			errFile, sh.Command(backfill.CmdRetry, retryDir(dir)), sh.Option(backfill.OptFile, "FIXED.csv")))
	}
	if unprocessed > 0 {
		what = append(what, backfill.Plural(unprocessed, "row")+" left unprocessed")
		hints = append(hints, fmt.Sprintf("%s holds the unprocessed rows: %s loads them again", filepath.Join(dir, runfolder.UnprocessedFile),
			sh.Command(backfill.CmdRetry, retryDir(dir))))
	}
	return &cliError{msg: strings.Join(what, " and "), hint: strings.Join(hints, "; "), code: exitRowsFailed}
}
