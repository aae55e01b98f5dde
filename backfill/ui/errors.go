package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// This file is where the jobs' typed errors become the page's own sentences: what happened,
// and what to do on the page. As cmd/backfill/exit.go does for the command line, it maps
// each error by its type; no sentence names a flag or a shell command.

// sentence is what the page shows of an outcome: its tone (ok, warn, bad), what happened
// and what to do.
type sentence struct {
	Tone string `json:"tone"`
	Text string `json:"text"`
	Todo string `json:"todo,omitempty"`
}

func bad(text, todo string) *sentence  { return &sentence{Tone: "bad", Text: text, Todo: todo} }
func warn(text, todo string) *sentence { return &sentence{Tone: "warn", Text: text, Todo: todo} }
func ok(text, todo string) *sentence   { return &sentence{Tone: "ok", Text: text, Todo: todo} }

var words = Words{}

// explain says what went wrong in err, and what to do, in the page's words.
func explain(err error) *sentence {
	var (
		oe  *backfill.OptionError
		fe  *csvdiff.FileError
		te  *backfill.TargetError
		sl  *runfolder.SealError
		oge *backfill.OrgError
		iu  *runfolder.InUseError
		fo  *backfill.FolderError
		re  *backfill.RejectedError
		pe  *backfill.PreflightError
		st  *backfill.StoppedError
		le  *backfill.LoginError
		pg  *pageError
	)
	if s := explainApproval(err); s != nil {
		return s
	}
	switch {
	case errors.As(err, &pg):
		return pg.s
	case errors.As(err, &oe):
		return explainOption(oe)
	case errors.As(err, &fe):
		return bad(sentenceOf(unflag(fe.Error())), sentenceOf(unflag(fe.Hint)))
	case errors.As(err, &te):
		return bad(sentenceOf(te.Msg), sentenceOf(unflag(te.Fix)))
	case errors.As(err, &sl):
		todo := "Plan again: a changed plan is not the plan that was reviewed."
		switch sl.Of {
		case runfolder.SealPart:
			todo = "Put the file back as it was; the load never sends a changed part."
		case runfolder.SealUndo:
			todo = "Put the file back as it was; an undo never runs a changed plan."
		}
		return bad(fmt.Sprintf("A file of this run changed since it was written: %s %s.", sl.File, sl.Why), todo)
	case errors.As(err, &oge):
		return bad(sentenceOf(oge.Error()), "Log in to the org this run was planned for (step 1), or plan again for this org.")
	case errors.As(err, &iu):
		who := "another backfill command"
		if iu.Holder.PID != 0 {
			who = fmt.Sprintf("another backfill command (process %d, started %s: %s)", iu.Holder.PID,
				iu.Holder.Started.Local().Format("2006-01-02 15:04"), pageText(iu.Holder.Command))
		}
		return bad("This run is in use by "+who+".", "Wait for it to finish, then try again: two commands never write one run at once.")
	case errors.As(err, &fo):
		return explainFolder(fo)
	case errors.As(err, &re):
		return bad(fmt.Sprintf("%s of %s (%.1f%%) were rejected, above the limit of %g%%: nothing will be written to Salesforce.",
			backfill.Plural(re.Rejected, "row"), backfill.Group(int64(re.Rows)), re.Percent, re.Max),
			fmt.Sprintf("Read the rejected rows (%s, and the reasons in the report), fix the export or how it is read, or allow it with %s.",
				runfolder.RejectsFile, words.Option(backfill.OptMaxRejected, fmt.Sprintf("%.0f", math.Ceil(re.Percent)))))
	case errors.As(err, &pe):
		var names []string
		for _, c := range pe.Report.Failed() {
			names = append(names, fmt.Sprintf("%d (%s)", c.ID, strings.ToLower(c.Name)))
		}
		return bad("The org is not ready: check "+strings.Join(names, ", ")+" failed. Nothing was written to Salesforce.",
			"Follow the fix of each failed check below, then try again.")
	case errors.As(err, &st):
		return explainStopped(st)
	case errors.As(err, &le):
		return explainLogin(le)
	case errors.Is(err, context.Canceled):
		return warn("Stopped.", "")
	case errors.Is(err, errBusy):
		return warn("That is running already.", "Wait for it to end.")
	case errors.Is(err, errNoRun):
		return bad("There is no such run in the runs folder.", "Choose one from the list of runs.")
	}
	return bad(sentenceOf(err.Error()), "")
}

// pageError is an error the page words itself.
type pageError struct{ s *sentence }

func (e *pageError) Error() string { return e.s.Text }

func pageErr(text, todo string) error { return &pageError{bad(text, todo)} }

// explainOption says what is wrong with a setting.
func explainOption(e *backfill.OptionError) *sentence {
	name := words.Option(e.Option, "")
	var ch *backfill.ChoiceError
	switch {
	case e.Option == backfill.OptExport && errors.Is(e.Err, backfill.ErrRequired):
		return bad("No export yet.", "Choose the emailed Data Export CSV in step 2 first.")
	case errors.Is(e.Err, backfill.ErrRequired):
		return bad(upper(name)+" is required.", "Fill it in, then try again.")
	case errors.Is(e.Err, backfill.ErrNotAFile):
		return bad(fmt.Sprintf("%s (%s) is a folder, not a file.", upper(name), e.Value), "Choose the CSV file itself.")
	case e.Option == backfill.OptExport:
		return bad(fmt.Sprintf("The export cannot be read: %v.", e.Err), "Choose the export again in step 2.")
	case errors.As(e.Err, &ch):
		return bad(fmt.Sprintf("%s: %q is not one of its choices (%s).", upper(name), e.Value, sentenceOf(ch.Why)),
			fmt.Sprintf("Use %s.", joinOr(ch.Choices)))
	case e.Option == backfill.OptEncoding:
		return bad(fmt.Sprintf("%s: %q is not an encoding backfill reads.", upper(name), e.Value), "Use utf-8 or windows-1252.")
	}
	v := ""
	if e.Value != "" {
		v = fmt.Sprintf(" (%s)", e.Value)
	}
	return bad(fmt.Sprintf("%s%s cannot be used: %v.", upper(name), v, unflag(e.Err.Error())), "Correct it, then try again.")
}

// explainFolder says what is wrong with a run folder for the job asked of it.
func explainFolder(e *backfill.FolderError) *sentence {
	switch e.Err {
	case backfill.ErrNotRunFolder, backfill.ErrNotPlanFolder:
		return bad("This is not a run folder that backfill planned.", "Choose another run, or plan again.")
	case backfill.ErrUnfinishedFolder:
		return bad("This run is unfinished: the plan stopped before it was complete.", "Plan again.")
	case backfill.ErrNeverImported:
		return bad("This plan was never imported: there is nothing to "+string(e.Want)+" yet.", "Import it first.")
	case backfill.ErrImportRunning:
		return bad("The import has not finished: there is nothing to "+string(e.Want)+" yet.", "Resume it first.")
	case backfill.ErrJournalDamaged:
		return bad("The run's journal is damaged beyond its last line ("+e.File+").",
			"Move the journal out of the run folder; Resume then asks Salesforce which rows are loaded.")
	case backfill.ErrJournalForeign:
		return bad("The run's journal belongs to another run ("+e.File+"): it was copied from another run folder.",
			"Put this run's own journal back.")
	}
	return bad(sentenceOf(e.Error()), "")
}

// explainStopped says how to go on with a load that stopped.
func explainStopped(e *backfill.StoppedError) *sentence {
	switch e.Cause {
	case backfill.StopInterrupted:
		todo := "Press Resume to finish it; nothing is sent twice."
		if e.Running > 0 {
			todo = fmt.Sprintf("%s still running in Salesforce, left alone: Resume collects the results and finishes.", backfill.Plural(e.Running, "Bulk job"))
		}
		return warn("Stopped before the end.", todo)
	case backfill.StopTransient:
		return bad("Salesforce could not be reached or was busy: "+sentenceOf(e.Error()), "This passes with time: press Resume later; nothing is sent twice.")
	case backfill.StopRefused:
		return bad(fmt.Sprintf("Salesforce refused a request (%s): %s", e.Code, sentenceOf(e.Error())),
			"Resuming fails the same way until that is fixed in the org; then press Resume.")
	}
	return bad("Something on this computer stopped the load: "+sentenceOf(e.Error()),
		"Fix it (disk space, file permissions), then press Resume; nothing is sent twice.")
}

// explainLogin says what to do about a login that failed.
func explainLogin(e *backfill.LoginError) *sentence {
	switch {
	case errors.Is(e.Err, sfclient.ErrNoSFCLI):
		return bad("The Salesforce CLI is not installed on this computer, or cannot be started.",
			"Install the Salesforce CLI and log in to the org with it, or choose another org in step 1.")
	case sfclient.IsSFCLIError(e.Err):
		return bad("The Salesforce CLI could not give a working login for this org (its login may have expired or been revoked).",
			"Log in to the org again with the Salesforce CLI (its login may have expired), then choose it again in step 1.")
	}
	todo := unflag(sfclient.LoginFix(e.Err))
	if todo == "" {
		todo = "Check the login chosen in step 1."
	}
	return bad("Cannot log in to Salesforce: "+sentenceOf(e.Err.Error()), sentenceOf(todo))
}

// sentenceOf makes an error's message a sentence: a capital first letter and a full stop.
func sentenceOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = upper(s)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
