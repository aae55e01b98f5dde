package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// Approval: the reviewer who read a plan's report records that it may be loaded. The
// approval goes into plan.json under a seal of its own covering the plan's seal
// (runfolder.Approval): import --plan shows it, and with ImportPlanOptions.RequireApproval
// refuses a plan nobody approved; any edit to it is refused as a broken seal.

// ApproveOptions are the options of [Approve].
type ApproveOptions struct {
	Front
	Dir  string // the plan's run folder
	By   string // who approves: a name or an email, as the team names people
	Note string // what the approver says, optional
}

// Sentinels an [ApprovalError] wraps.
var (
	ErrNotApproved     = errors.New("the plan has not been approved")
	ErrAlreadyApproved = errors.New("the plan is already approved")
	ErrAlreadyLoading  = errors.New("the plan's load has started: approval comes before it")
)

// ApprovalError is a plan that cannot be loaded for want of an approval, or approved
// (again, or once loading): nothing was written to Salesforce or to the plan.
type ApprovalError struct {
	Dir      string
	Err      error
	Approval *runfolder.Approval // the approval the plan holds, when it holds one
}

func (e *ApprovalError) Error() string {
	switch {
	case errors.Is(e.Err, ErrNotApproved):
		return fmt.Sprintf("the plan in %s has not been approved", e.Dir)
	case e.Approval != nil:
		return fmt.Sprintf("the plan in %s was approved by %s at %s", e.Dir, e.Approval.By, e.Approval.At.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return fmt.Sprintf("%s: %v", e.Dir, e.Err)
}

func (e *ApprovalError) Unwrap() error { return e.Err }

// Approve records that opts.By approved the plan in opts.Dir: it takes the folder's lock,
// checks the plan's seal and that its load has not started and that nobody approved it
// yet, writes the sealed approval into plan.json and renders report.html again with it. It
// needs no login. It returns the plan's summary, with the approval.
func Approve(ctx context.Context, opts ApproveOptions) (*Summary, error) {
	by := strings.TrimSpace(opts.By)
	if by == "" {
		return nil, optionErr(OptBy, "", ErrRequired)
	}
	j := newJob(opts.Front)
	defer j.close()
	w, err := openPlanned(j, opts.Dir, CmdApprove)
	if err != nil {
		return nil, err
	}
	defer w.folder.Unlock()
	if err := w.checkSealed(CmdApprove); err != nil {
		return nil, err
	}
	if w.journal.Started {
		return nil, &ApprovalError{Dir: opts.Dir, Err: ErrAlreadyLoading, Approval: w.info.Approval}
	}
	if a := w.info.Approval; a != nil {
		return nil, &ApprovalError{Dir: opts.Dir, Err: ErrAlreadyApproved, Approval: a}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := j.attach(w.folder); err != nil {
		return nil, err
	}
	if err := w.readSummary(false); err != nil {
		return nil, err
	}
	a := runfolder.Approval{By: by, Note: strings.TrimSpace(opts.Note), At: j.now(), Version: j.front.Version}
	if err := w.folder.Approve(w.info, a); err != nil {
		return nil, fmt.Errorf("record the approval: %w", err)
	}
	j.log.Info("plan approved", zap.String("by", by), zap.String("note", a.Note), zap.String("plan", w.info.Seal.ID))
	// summary.json is sealed: only the report shows the approval until the import.
	w.summary.Approval = w.info.Approval
	if err := writeReport(j, w.folder, w.summary); err != nil {
		return nil, err
	}
	return w.summary, nil
}
