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

// ApproveOptions are the options of [Approve]. The login in FolderOptions is not used:
// approving reads and writes the run folder only.
type ApproveOptions struct {
	FolderOptions
	By   string // who approves: a name or an email, as the team names people (required)
	Note string // what the approver says or checked, optional
}

// Sentinels: [ErrNotApproved] in an [ApprovalError]; the others in a [FolderError] from
// [Approve].
var (
	ErrNotApproved     = errors.New("the plan has not been approved")
	ErrAlreadyApproved = errors.New("already approved")
	ErrLoadStarted     = errors.New("its load has started") // a plan is approved before it is loaded
)

// ApprovalError is a plan import --plan refuses for want of an approval
// (ImportPlanOptions.RequireApproval): nothing was written to Salesforce.
type ApprovalError struct {
	Dir string
	Err error // ErrNotApproved
}

func (e *ApprovalError) Error() string {
	return fmt.Sprintf("the plan in %s has not been approved", e.Dir)
}

func (e *ApprovalError) Unwrap() error { return e.Err }

// Approve records that opts.By approved the plan in opts.Dir for loading, offline (no
// login), with the folder's lock held: plan.json gets the approval (who, when, the note)
// under a seal of its own covering the plan's, and report.html is rendered again with it.
// It refuses a folder whose seal is broken (a [*runfolder.SealError]), a plan an import
// would refuse (too many rejected rows: a [*RejectedError]), a plan whose load has started
// (a [*FolderError] wrapping [ErrLoadStarted]) and a plan already approved (a [*FolderError]
// wrapping [ErrAlreadyApproved]; the approval returned is the earlier one). It returns the
// approval recorded.
func Approve(ctx context.Context, opts ApproveOptions) (*runfolder.Approval, error) {
	by := strings.TrimSpace(opts.By)
	if by == "" {
		return nil, optionErr(OptApprovedBy, "", ErrRequired)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
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
	if a := w.info.Approval; a != nil {
		return a, &FolderError{Dir: opts.Dir, Want: CmdApprove, Err: ErrAlreadyApproved}
	}
	if w.journal.Started || w.journal.Missing {
		return nil, &FolderError{Dir: opts.Dir, Want: CmdApprove, Err: ErrLoadStarted}
	}
	if err := w.readSummary(true); err != nil {
		return nil, err
	}
	if w.summary.Ended() == StatusTooManyRejected {
		return nil, w.summary.RejectedError()
	}
	if err := j.attach(w.folder); err != nil {
		return nil, err
	}
	a := runfolder.Approval{By: by, Note: strings.TrimSpace(opts.Note), At: j.now(), Version: j.front.Version}
	if err := w.folder.Approve(w.info, a); err != nil {
		return nil, fmt.Errorf("record the approval: %w", err)
	}
	j.log.Info("plan approved", zap.String("by", by), zap.String("note", a.Note), zap.String("plan", w.info.Seal.ID))
	// summary.json is sealed: the report shows the approval now, the import's summary later.
	w.summary.Approval = w.info.Approval
	if err := writeReport(j, w.folder, w.summary); err != nil {
		return nil, err
	}
	return w.info.Approval, nil
}
