package ui

// The page's approval, behind this one file: the Approve step records it with
// backfill.Approve (sealed in plan.json, offline), and the Import step asks the job itself to
// refuse an unapproved plan (ImportPlanOptions.RequireApproval, checked under the folder's
// lock), so a plan approved nowhere is never loaded from the page.

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
	case errors.Is(err, backfill.ErrNotApproved):
		return bad("This plan is not approved: the page imports only an approved plan.", "Approve it in step 5 first.")
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

// requireApproval is the page's import guard: the job refuses a plan nobody approved with an
// *ApprovalError, which explainApproval words.
const requireApproval = true

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
