package ui

// The page's approval, behind this one file: when `backfill approve` (issue 19) lands,
// only this file changes. What it assumes of the job:
//
//   - backfill.Approve(ctx, backfill.ApproveOptions{FolderOptions, By, Note}) records the
//     approval in plan.json, under the plan's seal, offline, and returns the
//     *runfolder.Approval (By, Note, At); it refuses a plan already approved
//     (backfill.ErrAlreadyApproved), a plan whose load started (backfill.ErrLoadStarted),
//     a broken seal and too many rejected rows;
//   - runfolder.Plan.Approval is the recorded approval (nil until approved);
//   - import --plan refusing an unapproved plan (--require-approval) is not yet an option
//     of backfill.ImportPlan, so approved checks it here before the page imports.

import (
	"context"
	"net/http"

	"github.com/northpass-tools/backfill/backfill"
)

// approve records the approval of the run's plan (step 5).
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
		a, err := backfill.Approve(ctx, backfill.ApproveOptions{FolderOptions: fo, By: req.By, Note: req.Note})
		if err != nil {
			return a, nil, err
		}
		return a, ok("Approved by "+a.By+" on "+a.At.Local().Format("2006-01-02 15:04")+", recorded in the sealed plan.",
			"Import the approved plan in step 6."), nil
	})
}

// approved refuses a run whose plan is not approved: the page imports only approved plans.
func approved(ri *runInfo) error {
	if ri.plan.Approval == nil {
		return pageErr("This plan is not approved: the page imports only an approved plan.", "Approve it in step 5 first.")
	}
	return nil
}
