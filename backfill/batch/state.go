package batch

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// State is where one customer of a batch stands. It is read from the customer's run folder
// (DIR/<customer>/) every time, never kept apart: a single command run on that folder moves
// the customer on as a batch command would.
type State string

// The states, in the order of the work.
const (
	// StateNotPlanned: no run folder yet.
	StateNotPlanned State = "not_planned"
	// StatePlanFailed: the plan stopped before its run folder was complete (the customer's
	// Reason says why: an unusable export, a login that failed, ...).
	StatePlanFailed State = "plan_failed"
	// StatePreflightFailed: the plan is written, but a blocking preflight check failed: an
	// import would refuse it.
	StatePreflightFailed State = "preflight_failed"
	// StateTooManyRejected: the plan is written, but more rows were rejected than its limit.
	StateTooManyRejected State = "too_many_rejected"
	// StateReady: planned, preflight passed, under the rejected limit, not loaded.
	StateReady State = "ready"
	// StateBusy: another command holds the run folder's lock.
	StateBusy State = "busy"
	// StateInterrupted: a load (an import or an undo) started and did not finish: resume
	// finishes it.
	StateInterrupted State = "interrupted"
	// StateDone: loaded, every row accounted for, none failed.
	StateDone State = "done"
	// StateRowsFailed: loaded, but some rows failed or were left unprocessed.
	StateRowsFailed State = "rows_failed"
	// StateVerified: loaded, and the last verify found every record as loaded.
	StateVerified State = "verified"
	// StateVerifyFailed: the last verify found records that do not hold what was loaded.
	StateVerifyFailed State = "verify_failed"
	// StateUndoPlanned: an undo's dry run wrote its plan; nothing was undone.
	StateUndoPlanned State = "undo_planned"
	// StateUndone: the import was taken back entirely.
	StateUndone State = "undone"
	// StateUndoIncomplete: an undo ran, but some records were not undone.
	StateUndoIncomplete State = "undo_incomplete"
	// StateUnusable: the folder is not a run folder the batch can read.
	StateUnusable State = "unusable"
)

// Loaded reports whether the customer's import finished (whatever came after it).
func (s State) Loaded() bool {
	switch s {
	case StateDone, StateRowsFailed, StateVerified, StateVerifyFailed, StateUndoPlanned, StateUndone, StateUndoIncomplete:
		return true
	}
	return false
}

// Row is one customer in the roll-up: where it stands and the counts of its run folder.
type Row struct {
	Customer  string `json:"customer"`
	TargetOrg string `json:"target_org"`
	OrgID     string `json:"org_id,omitempty"`
	OrgName   string `json:"org_name,omitempty"`
	Sandbox   bool   `json:"sandbox,omitempty"`
	State     State  `json:"state"`
	// Reason says why the customer is not ready or done, and what to do (empty when it is).
	Reason string `json:"reason,omitempty"`
	// Next is what to do next, when there is a next step.
	Next string `json:"next,omitempty"`
	// Preflight is the verdict of the plan's blocking checks: "passed", "failed" or "not run".
	Preflight    string           `json:"preflight"`
	FailedChecks []backfill.Check `json:"failed_checks,omitempty"`
	// The plan's counts.
	Rows            int     `json:"rows"`
	ToInsert        int     `json:"to_insert"`
	ToUpdate        int     `json:"to_update"`
	Stale           int     `json:"stale"`
	Rejected        int     `json:"rejected"`
	RejectedPercent float64 `json:"rejected_percent"`
	// The load's counts, once loaded.
	Created      int `json:"created"`
	Updated      int `json:"updated"`
	AlreadyNewer int `json:"already_newer"`
	Failed       int `json:"failed"`
	Unprocessed  int `json:"unprocessed"`
	// Warnings are the plan's (or import's) warnings, each "kind: message".
	Warnings []string `json:"warnings,omitempty"`
	// APICalls are the calls the customer's commands made: the plan, the load, verify, undo.
	APICalls int `json:"api_calls"`
	// Folder is the run folder, and Report its report.html, relative to the batch folder
	// ("" when there is none).
	Folder string `json:"folder,omitempty"`
	Report string `json:"report,omitempty"`
	// Error is what stopped the last batch command on this customer, when one did; it is
	// kept until the customer's state changes.
	Error string `json:"error,omitempty"`
	// ErrorState is the State the customer was in when Error happened.
	ErrorState State `json:"error_state,omitempty"`
}

// derive reads where customer c of the batch in dir stands from its run folder. prev is
// the customer's row in the last roll-up (nil when none): its Error is kept while the
// state is the same.
func derive(dir string, c *Customer, prev *Row, w backfill.Words) Row {
	r := Row{Customer: c.Name, TargetOrg: c.TargetOrg, Sandbox: c.opts.Org.Sandbox, Preflight: "not run"}
	folder := filepath.Join(dir, c.Name)
	r.readFolder(folder)
	if r.State == StateNotPlanned && prev != nil && prev.ErrorState == StatePlanFailed {
		r.State = StatePlanFailed // the last plan stopped before it wrote a folder
	}
	if prev != nil && prev.Error != "" && prev.ErrorState == r.State {
		r.Error, r.ErrorState = prev.Error, prev.ErrorState
		if r.OrgID == "" {
			r.OrgID, r.OrgName = prev.OrgID, prev.OrgName
		}
	}
	r.explain(dir, w)
	return r
}

// readFolder fills the row from the run folder dir.
func (r *Row) readFolder(dir string) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		r.State = StateNotPlanned
		if _, err := os.Stat(dir + runfolder.PartialSuffix); err == nil {
			r.State = StatePlanFailed
			if locked(dir + runfolder.PartialSuffix) {
				r.State = StateBusy
			}
		}
		return
	}
	r.Folder = filepath.Base(dir)
	f, err := runfolder.Open(dir)
	if err != nil {
		r.State, r.Error, r.ErrorState = StateUnusable, err.Error(), StateUnusable
		return
	}
	if f.Has(runfolder.ReportFile) {
		r.Report = filepath.ToSlash(filepath.Join(r.Folder, runfolder.ReportFile))
	}
	var plan runfolder.Plan
	if err := f.ReadJSON(runfolder.PlanFile, &plan); err != nil {
		r.State, r.Error, r.ErrorState = StateUnusable, "not a plan folder: "+err.Error(), StateUnusable
		return
	}
	if plan.Seal != nil {
		r.OrgID, r.OrgName = plan.Seal.OrgID, plan.Seal.OrgName
	}
	planned := runfolder.SummaryFile
	if f.Has(runfolder.PlanSummaryFile) {
		planned = runfolder.PlanSummaryFile
	}
	var ps backfill.Summary
	if err := f.ReadJSON(planned, &ps); err != nil {
		r.State, r.Error, r.ErrorState = StateUnusable, err.Error(), StateUnusable
		return
	}
	r.planCounts(&ps)
	sum := &ps
	if planned != runfolder.SummaryFile {
		sum = &backfill.Summary{}
		if err := f.ReadJSON(runfolder.SummaryFile, sum); err != nil {
			r.State, r.Error, r.ErrorState = StateUnusable, err.Error(), StateUnusable
			return
		}
	}
	r.APICalls = calls(sum.APICalls)
	for _, v := range sum.Verify {
		r.APICalls += calls(v.APICalls)
	}
	if sum.Undo != nil {
		r.APICalls += calls(sum.Undo.APICalls)
	}
	for _, wn := range sum.Warnings {
		r.Warnings = append(r.Warnings, wn.Kind+": "+wn.Message)
	}
	st, err := f.ReadJournal()
	if err != nil {
		r.State, r.Error, r.ErrorState = StateUnusable, err.Error(), StateUnusable
		return
	}
	switch {
	case undoRunning(f) || st.Missing || (st.Started && !st.Finished):
		r.State = StateInterrupted
		if locked(dir) {
			r.State = StateBusy
		}
		return
	case !st.Started:
		switch {
		case ps.Ended() == backfill.StatusTooManyRejected:
			r.State = StateTooManyRejected
		case len(ps.Preflight) > 0:
			r.State = StatePreflightFailed
		default:
			r.State = StateReady
		}
		return
	}
	r.Created, r.Updated = sum.Count(runfolder.Created), sum.Count(runfolder.Updated)
	r.AlreadyNewer, r.Failed, r.Unprocessed = sum.Count(runfolder.AlreadyNewer), sum.Count(runfolder.Failed), sum.Count(runfolder.Unprocessed)
	r.State = StateDone
	if sum.Ended() == backfill.StatusRowsFailed {
		r.State = StateRowsFailed
	}
	if n := len(sum.Verify); n > 0 {
		r.State = StateVerified
		if !sum.Verify[n-1].OK() {
			r.State = StateVerifyFailed
		}
	}
	if u := sum.Undo; u != nil {
		switch {
		case u.DryRun:
			r.State = StateUndoPlanned
		case u.OK():
			r.State = StateUndone
		default:
			r.State = StateUndoIncomplete
		}
	}
}

// planCounts fills the plan's counts and preflight verdict from its summary.
func (r *Row) planCounts(s *backfill.Summary) {
	r.Rows = s.Rows
	r.ToInsert, r.ToUpdate = s.Count(runfolder.ToInsert), s.Count(runfolder.ToUpdate)
	r.Stale, r.Rejected = s.Count(runfolder.Stale), s.Count(runfolder.Rejected)
	if s.Rows > 0 {
		r.RejectedPercent = math.Round(1000*float64(r.Rejected)/float64(s.Rows)) / 10
	}
	r.Preflight = "passed"
	if len(s.Preflight) > 0 {
		r.Preflight, r.FailedChecks = "failed", s.Preflight
	}
	if s.Org != nil {
		r.OrgID, r.OrgName = s.Org.ID, s.Org.Name
	}
}

// explain sets the row's Reason and Next for its state, naming commands through w.
func (r *Row) explain(dir string, w backfill.Words) {
	folder := filepath.Join(dir, r.Customer)
	switch r.State {
	case StateNotPlanned:
		r.Next = w.Command(CmdBatchPlan, dir)
	case StatePlanFailed:
		if r.Error == "" {
			r.Reason = "the plan stopped before its run folder was complete"
		}
		r.Next = w.Command(CmdBatchPlan, dir)
	case StatePreflightFailed:
		var parts []string
		for _, c := range r.FailedChecks {
			parts = append(parts, fmt.Sprintf("check %d (%s): %s", c.ID, strings.ToLower(c.Name), c.Message))
		}
		r.Reason = "preflight failed: " + strings.Join(parts, "; ")
		if len(r.FailedChecks) > 0 && r.FailedChecks[0].Fix != "" {
			r.Reason += "; fix: " + r.FailedChecks[0].Fix
		}
		r.Reason += "; once fixed in the org, plan it again"
		r.Next = w.Command(CmdBatchPlan, dir)
	case StateTooManyRejected:
		r.Reason = fmt.Sprintf("%s of %s (%.1f%%) rejected, above the limit (%s in its folder says why): fix the export or how it is read, or allow it with %s, then plan it again",
			backfill.Plural(r.Rejected, "row"), backfill.Group(r.Rows), r.RejectedPercent, runfolder.RejectsFile,
			w.Option(backfill.OptMaxRejected, fmt.Sprintf("%.0f", math.Ceil(r.RejectedPercent))))
		r.Next = w.Command(CmdBatchPlan, dir)
	case StateReady:
		r.Next = w.Command(CmdBatchImport, dir)
	case StateBusy:
		r.Reason = "another command is using its run folder: wait for it to end"
		r.Next = w.Command(CmdBatchStatus, dir)
	case StateInterrupted:
		r.Reason = "its load started and did not finish"
		r.Next = w.Command(CmdBatchResume, dir)
	case StateDone:
		r.Next = w.Command(CmdBatchVerify, dir)
	case StateRowsFailed:
		var what []string
		if r.Failed > 0 {
			what = append(what, fmt.Sprintf("%s failed (%s)", backfill.Plural(r.Failed, "row"), runfolder.ErrorFile))
		}
		if r.Unprocessed > 0 {
			what = append(what, fmt.Sprintf("%s left unprocessed (%s)", backfill.Plural(r.Unprocessed, "row"), runfolder.UnprocessedFile))
		}
		r.Reason = strings.Join(what, " and ")
		r.Next = w.Command(backfill.CmdVerify, folder)
	case StateVerified:
	case StateVerifyFailed:
		r.Reason = "the last verify found records that do not hold what was loaded (its verify file names each)"
	case StateUndoPlanned:
		r.Reason = "an undo is planned (undo-plan.csv), nothing was undone"
	case StateUndone:
		r.Reason = "the import was undone"
	case StateUndoIncomplete:
		r.Reason = "not everything was undone (undo-ledger.csv says why for each record)"
		r.Next = w.Command(backfill.CmdUndo, folder)
	case StateUnusable:
		r.Reason = "its folder is not a run folder the batch can read"
	}
}

// calls is the total of a count of API calls.
func calls(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// undoRunning reports whether the folder holds an undo whose jobs started and did not
// finish.
func undoRunning(f *runfolder.Folder) bool {
	if !f.Has(runfolder.UndoFile) {
		return false
	}
	for _, name := range []string{runfolder.UndoDeleteJournal, runfolder.UndoUpdateJournal} {
		if st, err := f.ReadJournalFile(name); err == nil && st.Started && !st.Finished {
			return true
		}
	}
	return false
}

// locked reports whether another process holds the lock of the folder dir.
func locked(dir string) bool {
	f := &runfolder.Folder{Dir: dir}
	err := f.Lock("batch status", time.Now())
	if err == nil {
		f.Unlock()
		return false
	}
	return errors.Is(err, runfolder.ErrInUse)
}
