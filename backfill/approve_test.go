package backfill_test

import (
	"errors"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestApprove: an approval is recorded in plan.json under the seal, the plan still loads, a
// changed approval breaks the seal, and a second approval or one after the load is refused.
func TestApprove(t *testing.T) {
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	approve := func(by string) (*runfolder.Approval, error) {
		return backfill.Approve(t.Context(), backfill.ApproveOptions{FolderOptions: backfill.FolderOptions{Front: cli(t), Dir: cfg.Out}, By: by, Note: " checked the counts "})
	}
	if _, err := approve("  "); !errors.Is(err, backfill.ErrRequired) {
		t.Fatalf("approve without a name: %v, want ErrRequired", err)
	}
	a, err := approve("Dana Admin")
	if err != nil {
		t.Fatal(err)
	}
	if a.By != "Dana Admin" || a.Note != "checked the counts" || a.At.IsZero() {
		t.Fatalf("approval %+v", a)
	}
	f, _ := runfolder.Open(cfg.Out)
	var p runfolder.Plan
	if err := f.ReadJSON(runfolder.PlanFile, &p); err != nil {
		t.Fatal(err)
	}
	if p.Approval == nil || p.Approval.By != "Dana Admin" {
		t.Fatalf("plan.json approval %+v", p.Approval)
	}
	if err := f.CheckSeal(&p); err != nil {
		t.Fatalf("seal after approval: %v", err)
	}
	if prev, err := approve("Someone Else"); !errors.Is(err, backfill.ErrAlreadyApproved) || prev.By != "Dana Admin" {
		t.Fatalf("second approval: %v (%+v), want ErrAlreadyApproved with the first", err, prev)
	}

	// The approval is sealed: editing it breaks the seal.
	p.Approval.By = "Mallory"
	if err := f.CheckSeal(&p); !errors.Is(err, runfolder.ErrSealBroken) {
		t.Fatalf("changed approval: %v, want a broken seal", err)
	}

	if _, err := loaded(backfill.ImportPlan(t.Context(), importPlan(cfg))); err != nil {
		t.Fatalf("import of the approved plan: %v", err)
	}

	// A plan already loaded cannot be approved.
	cfg2 := orgConfig(t, srv)
	if _, err := backfill.Import(t.Context(), imp(cfg2)); err != nil {
		t.Fatal(err)
	}
	_, err = backfill.Approve(t.Context(), backfill.ApproveOptions{FolderOptions: backfill.FolderOptions{Front: cli(t), Dir: cfg2.Out}, By: "Dana"})
	if !errors.Is(err, backfill.ErrLoadStarted) {
		t.Fatalf("approve after import: %v, want ErrLoadStarted", err)
	}
}
