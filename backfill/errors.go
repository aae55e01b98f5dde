package backfill

import (
	"errors"
	"fmt"
	"strings"
)

// The job's errors say what went wrong in facts a front end can act on; none names a flag or
// a command. cmd/backfill maps them to exit codes and hints, a web page to its own sentences.
// A job that ran to its end returns no error: how it ended is its result's Status.

// Sentinels an [OptionError] wraps.
var (
	ErrRequired   = errors.New("required")
	ErrNotAFile   = errors.New("is a folder, not a file")
	ErrBadValue   = errors.New("not a usable value")
	ErrOutExists  = errors.New("already exists") // a run folder is never overwritten
	ErrOutParent  = errors.New("its parent is not a folder")
	ErrOutNoWrite = errors.New("cannot be written")
	// ErrOutPartial: the name ends in .partial, which marks a run folder still being built.
	ErrOutPartial = errors.New("ends in .partial, the name of an unfinished run folder")
)

// OptionError is an option whose value cannot be used: a required one missing, a file that
// cannot be read, a value of the wrong form. Nothing was written to Salesforce.
type OptionError struct {
	Option Option
	Value  string // the value given ("" for a missing one)
	Err    error  // why: one of the sentinels above, or the cause
}

func (e *OptionError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Option, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Option, e.Value, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

func optionErr(o Option, value string, err error) error {
	return &OptionError{Option: o, Value: value, Err: err}
}

// ChoiceError is a value that is not one of those that can be chosen (Choices, quoted where
// they are names).
type ChoiceError struct {
	Why     string
	Choices []string
}

func (e *ChoiceError) Error() string { return e.Why }
func (e *ChoiceError) Unwrap() error { return ErrBadValue }

// Sentinels a [FolderError] wraps: what is wrong with a run folder for the job asked of it.
var (
	ErrNotRunFolder     = errors.New("not a run folder")
	ErrNotPlanFolder    = errors.New("not a plan folder")
	ErrUnfinishedFolder = errors.New("an unfinished run folder")    // DIR.partial: the plan stopped half way
	ErrNeverImported    = errors.New("never imported")              // nothing to resume, verify or undo
	ErrImportRunning    = errors.New("the import has not finished") // resume it first
	ErrJournalDamaged   = errors.New("the journal is damaged beyond its last line")
	ErrJournalForeign   = errors.New("the journal belongs to another plan")
	// ErrJournalLost: the journal is missing, or holds no plan line (torn or emptied):
	// whether and how far the plan was loaded is unknown until resume reads it from the org.
	ErrJournalLost = errors.New("the journal is lost")
	// ErrBeforeImageUnusable: the before-image lacks a field the plan loads.
	ErrBeforeImageUnusable = errors.New("the before-image cannot be used")
)

// FolderError is a run folder that cannot be used for the job asked of it (Want): not a run
// folder, a plan never imported, an import not finished, a journal from elsewhere.
type FolderError struct {
	Dir  string
	Want Command
	Err  error // one of the sentinels above
	// Cause is what was found wrong, where there is more to say (the file that cannot be
	// read, the journal's damage).
	Cause error
	// File is the file at fault (the journal), when one is; Other the plan or undo it
	// belongs to instead, Plan the one it should belong to.
	File, Other, Plan string
}

func (e *FolderError) Error() string {
	switch e.Err {
	case ErrNotRunFolder, ErrNotPlanFolder:
		return fmt.Sprintf("%s is %v: %v", e.Dir, e.Err, e.Cause)
	case ErrUnfinishedFolder:
		return fmt.Sprintf("%s is an unfinished run folder: the command that built it stopped before the plan was complete", e.Dir)
	case ErrNeverImported:
		return fmt.Sprintf("%s holds a plan that was never imported: nothing to %s", e.Dir, e.Want)
	case ErrImportRunning:
		return fmt.Sprintf("the import in %s has not finished: nothing to %s yet", e.Dir, e.Want)
	case ErrJournalDamaged, ErrBeforeImageUnusable:
		return e.Cause.Error()
	case ErrJournalLost:
		how := "lost"
		if e.Cause != nil {
			how = e.Cause.Error()
		}
		return fmt.Sprintf("%s is %s: whether the plan in %s was loaded, and how far, is unknown", e.File, how, e.Dir)
	case ErrJournalForeign:
		if e.Want == CmdUndo {
			return fmt.Sprintf("%s belongs to another undo", e.File)
		}
		other := "no plan id"
		if e.Other != "" {
			other = "plan " + e.Other
		}
		return fmt.Sprintf("%s belongs to another plan (%s), not to this one (%s): it was copied from another run folder", e.File, other, e.Plan)
	case ErrAlreadyApproved:
		return fmt.Sprintf("the plan in %s is already approved", e.Dir)
	case ErrLoadStarted:
		return fmt.Sprintf("the plan in %s cannot be approved: its load has started, and a plan is approved before it is loaded", e.Dir)
	}
	return fmt.Sprintf("%s: %v", e.Dir, e.Err)
}

func (e *FolderError) Unwrap() error { return e.Err }

// ShapingError refuses options that would shape a plan when a reviewed plan is loaded: the
// plan is loaded as it was reviewed. Planned holds the plan's own value of each.
type ShapingError struct {
	Dir     string
	Given   []Option
	Planned map[Option]string // "" for the option's default
}

func (e *ShapingError) Error() string {
	var names []string
	for _, o := range e.Given {
		names = append(names, string(o))
	}
	return fmt.Sprintf("%s cannot change the plan reviewed in %s", strings.Join(names, ", "), e.Dir)
}

// OrgError refuses a login to another org than the plan's: another URL, or the same URL
// serving another org (a refreshed sandbox keeps its URL, not its Organization Id).
type OrgError struct {
	PlanURL, LoginURL        string
	PlanOrgID, PlanOrgName   string
	LoginOrgID, LoginOrgName string
	SameURL                  bool // the URLs agree; the Organization Ids do not
}

func (e *OrgError) Error() string {
	if e.SameURL {
		return fmt.Sprintf("the plan was made for org %s (%s), but this login is for org %s (%s) at the same address",
			e.PlanOrgID, e.PlanOrgName, e.LoginOrgID, e.LoginOrgName)
	}
	return fmt.Sprintf("the plan was made for %s, but this login is for %s", e.PlanURL, e.LoginURL)
}

// LoginError is a login that failed (Err is sfclient's error, which says why), or login
// options that cannot work (Unusable: nothing was tried).
type LoginError struct {
	Err      error
	Unusable bool
}

func (e *LoginError) Error() string { return e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// ErrTooManyRejected is the cause of a [RejectedError].
var ErrTooManyRejected = errors.New("too many rows were rejected")

// RejectedError refuses to load a plan whose rejected rows pass the limit. The run folder is
// written; nothing was written to Salesforce.
type RejectedError struct {
	Rejected, Rows int
	Percent, Max   float64 // the rejected share and the limit, in percent
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s of %s (%.1f%%) rejected, above the limit of %g%%: nothing will be written to Salesforce",
		Plural(e.Rejected, "row"), Group(int64(e.Rows)), e.Percent, e.Max)
}

func (e *RejectedError) Unwrap() error { return ErrTooManyRejected }

// ErrCancelled is the answer no to the question before a load; ErrCannotAsk is a load that
// needs a confirmation when nobody can be asked (no Confirm hook, no Yes option).
var (
	ErrCancelled = errors.New("import cancelled: nothing was written to Salesforce")
	ErrCannotAsk = errors.New("no terminal to confirm the import on")
)

// ConfirmError is a load that was not confirmed (Err is ErrCancelled or ErrCannotAsk); Dir
// keeps the plan.
type ConfirmError struct {
	Dir string
	Err error
}

func (e *ConfirmError) Error() string { return e.Err.Error() }
func (e *ConfirmError) Unwrap() error { return e.Err }

// StopCause says why a load stopped, for what to do next.
type StopCause int

const (
	// StopLocal: something on this machine (disk space, permissions); fix it and resume.
	StopLocal StopCause = iota
	// StopInterrupted: Ctrl-C or SIGTERM; resume finishes.
	StopInterrupted
	// StopTransient: a condition that passes with time (a lost connection, Salesforce busy,
	// the daily allowance); resume later.
	StopTransient
	// StopRefused: Salesforce refused a request; resuming fails the same way until it is
	// fixed in the org (Code says what Salesforce answered).
	StopRefused
)

// StoppedError is a load (an import, or an undo) that did not finish: the run folder holds
// everything needed to resume it, and nothing is sent twice.
type StoppedError struct {
	Dir   string
	Cause StopCause
	Code  string // Salesforce's error code, for StopRefused
	// Aborted are the jobs this run had left Open and aborted when interrupted; Running
	// the jobs still running in Salesforce, left alone.
	Aborted, Running int
	Err              error
}

func (e *StoppedError) Error() string {
	if e.Cause == StopInterrupted {
		msg := "interrupted"
		if e.Aborted > 0 {
			msg += fmt.Sprintf(": aborted %s that this command had left Open", Plural(e.Aborted, "job"))
		}
		return msg
	}
	return e.Err.Error()
}

func (e *StoppedError) Unwrap() error { return e.Err }

// wrapErr is a message that wraps a sentinel without repeating its text.
type wrapErr struct {
	msg string
	err error
}

func (e *wrapErr) Error() string { return e.msg }
func (e *wrapErr) Unwrap() error { return e.err }
