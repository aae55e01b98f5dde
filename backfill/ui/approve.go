package ui

// The page's approval, behind this one file. backfill.Approve here is a minimal placeholder
// recorded in the sealed plan; `backfill approve` (issue 19) brings the real one, with
// another signature and its own typed error. When it lands, only this file changes:
//
//   - recordApproval is the one call of backfill.Approve (the real one takes
//     ApproveOptions{Front, Dir, By, Note} and returns the plan's *Summary, whose Approval
//     is the one recorded);
//   - explainApproval words the refusals (the real one returns an *ApprovalError wrapping
//     ErrAlreadyApproved or ErrAlreadyLoading instead of a FolderError);
//   - approvalSettings names the options (the real one calls the approver option OptBy);
//   - requireApproval refuses an unapproved plan before the page imports it (the real
//     ImportPlanOptions.RequireApproval makes the job itself refuse it, under the lock).

import (
	"context"
	"errors"
	"net/http"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// recordApproval records in the run folder's sealed plan that by approved it, with note.
// It is the page's one use of backfill.Approve.
func recordApproval(ctx context.Context, fo backfill.FolderOptions, by, note string) (*runfolder.Approval, error) {
	return backfill.Approve(ctx, backfill.ApproveOptions{FolderOptions: fo, By: by, Note: note})
}

// explainApproval says why an approval was refused, or nil when err is not such a refusal.
func explainApproval(err error) *sentence {
	switch {
	case errors.Is(err, backfill.ErrAlreadyApproved):
		return warn("This plan is approved already.", "")
	case errors.Is(err, backfill.ErrLoadStarted):
		return bad("This plan's import has started: a plan is approved before it is loaded.", "")
	}
	return nil
}

// approvalSettings are the page's names of the approval's options.
var approvalSettings = map[backfill.Option]string{
	backfill.OptApprovedBy: "the Approved by field of the Approve step",
	backfill.OptNote:       "the Note field of the Approve step",
}

// requireApproval refuses a run whose plan is not approved: the page imports only approved
// plans.
func requireApproval(ri *runInfo) error {
	if ri.plan.Approval == nil {
		return pageErr("This plan is not approved: the page imports only an approved plan.", "Approve it in step 5 first.")
	}
	return nil
}

// approve records the approval of the run's plan (step 5). It needs no login.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		By   string `json:"by"`
		Note string `json:"note"`
	}
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	s.onRun(w, r, kindApprove, func(ctx context.Context, t *task, fo backfill.FolderOptions, _ *runInfo) (any, *sentence, error) {
		a, err := recordApproval(ctx, fo, req.By, req.Note)
		if err != nil {
			return a, nil, err
		}
		return a, ok("Approved by "+a.By+" on "+a.At.Local().Format("2006-01-02 15:04")+", recorded in the sealed plan.",
			"Import the approved plan in step 6."), nil
	})
}
