package backfill

// A minimal approval, written for the page of `backfill ui` (issue 20) so that its flow can
// be tested end to end; `backfill approve` (issue 19) owns the real one, and whichever lands
// second reconciles the two. What this one does: it records who approved a plan, and when,
// in plan.json under the plan's seal, offline (no login), with the folder's lock held.

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// The approval's options and command.
const (
	OptApprovedBy Option  = "by"
	OptNote       Option  = "note"
	CmdApprove    Command = "approve"
)

// Sentinels of a [FolderError] from [Approve].
var (
	ErrLoadStarted     = errors.New("its load has started") // a plan is approved before it is loaded
	ErrAlreadyApproved = errors.New("already approved")
)

// ApproveOptions are the options of [Approve]. The login in FolderOptions is not used:
// approving reads and writes the run folder only.
type ApproveOptions struct {
	FolderOptions
	By   string // who approves (required)
	Note string // why, or what was checked; optional
}

// Approve records that By approved the plan in Dir for import: plan.json gets the approval
// (who, when, the note) and is sealed again with it, so it cannot be changed without
// breaking the seal. It refuses a folder whose seal is broken, a plan whose load has started,
// a plan an import would refuse (too many rejected rows: a *[RejectedError]) and a plan
// already approved (a *[FolderError] wrapping [ErrAlreadyApproved]; the approval returned
// is the earlier one).
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
	a := &runfolder.Approval{By: by, Note: strings.TrimSpace(opts.Note), At: j.now()}
	w.info.Approval = a
	if err := w.folder.WritePlan(w.info, *w.info.Seal, slices.Sorted(maps.Keys(w.info.Seal.Files))...); err != nil {
		return nil, err
	}
	j.log.Info("plan approved", zap.String("by", a.By), zap.Time("at", a.At))
	return a, nil
}
