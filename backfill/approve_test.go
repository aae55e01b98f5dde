package backfill_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestApprove: an approval is recorded in plan.json under a seal of its own, the report
// shows it, an import requiring approval refuses the plan before it and loads it after
// (its summary names the approval and the org), a changed or copied approval breaks the
// seal, and a second approval or one after the load is refused.
func TestApprove(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	approve := func(dir, by string) (*runfolder.Approval, error) {
		return backfill.Approve(t.Context(), backfill.ApproveOptions{FolderOptions: backfill.FolderOptions{Front: cli(t), Dir: dir}, By: by, Note: " checked the counts "})
	}
	if _, err := approve(cfg.Out, "  "); !errors.Is(err, backfill.ErrRequired) {
		t.Fatalf("approve without a name: %v, want ErrRequired", err)
	}

	// Before the approval, an import that requires one sends nothing.
	calls := srv.Calls()["bulk-create"]
	load := importPlan(cfg)
	load.RequireApproval = true
	if _, err := backfill.ImportPlan(t.Context(), load); !isA[*backfill.ApprovalError](err) || !errors.Is(err, backfill.ErrNotApproved) {
		t.Fatalf("import of an unapproved plan: %v, want an ApprovalError", err)
	}
	if srv.Calls()["bulk-create"] != calls {
		t.Fatal("the unapproved plan was sent")
	}

	a, err := approve(cfg.Out, "Dana Admin")
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
	if p.Approval == nil || p.Approval.By != "Dana Admin" || p.Approval.Covers != p.Seal.Plan || p.Approval.Org != "Acme Learning (demo) (00D5g0000000001EAA)" {
		t.Fatalf("plan.json approval %+v", p.Approval)
	}
	if err := f.CheckSeal(&p); err != nil {
		t.Fatalf("seal after approval: %v", err)
	}
	html, _ := os.ReadFile(filepath.Join(cfg.Out, runfolder.ReportFile))
	if !strings.Contains(string(html), `<dd id="approval">by Dana Admin at `) {
		t.Error("report.html does not show the approval")
	}
	if prev, err := approve(cfg.Out, "Someone Else"); !errors.Is(err, backfill.ErrAlreadyApproved) || prev == nil || prev.By != "Dana Admin" {
		t.Fatalf("second approval: %v (%+v), want ErrAlreadyApproved with the first", err, prev)
	}

	// The approval is sealed: editing it breaks the seal, and so does copying it into
	// another plan.
	edited := p
	ea := *p.Approval
	ea.By, edited.Approval = "Mallory", &ea
	if err := f.CheckSeal(&edited); !errors.Is(err, runfolder.ErrSealBroken) {
		t.Fatalf("changed approval: %v, want a broken seal", err)
	}
	cfg2 := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg2); err != nil {
		t.Fatal(err)
	}
	f2, _ := runfolder.Open(cfg2.Out)
	var p2 runfolder.Plan
	if err := f2.ReadJSON(runfolder.PlanFile, &p2); err != nil {
		t.Fatal(err)
	}
	p2.Approval = p.Approval
	if err := f2.CheckSeal(&p2); !errors.Is(err, runfolder.ErrSealBroken) || !strings.Contains(err.Error(), "another plan") {
		t.Fatalf("copied approval: %v, want a broken seal", err)
	}

	sum, err := loaded(backfill.ImportPlan(t.Context(), load))
	if err != nil {
		t.Fatalf("import of the approved plan: %v", err)
	}
	if sum.Approval == nil || sum.Approval.By != "Dana Admin" {
		t.Errorf("the import's summary holds approval %+v", sum.Approval)
	}
	if o := sum.Org; o == nil || o.ID != "00D5g0000000001EAA" || o.User == "" || o.InstanceURL != srv.URL || o.Sandbox {
		t.Errorf("the import's summary names org %+v", sum.Org)
	}

	// A plan already loaded cannot be approved.
	cfg3 := orgConfig(t, srv)
	if _, err := backfill.Import(t.Context(), imp(cfg3)); err != nil {
		t.Fatal(err)
	}
	if _, err := approve(cfg3.Out, "Dana"); !errors.Is(err, backfill.ErrLoadStarted) || !isA[*backfill.FolderError](err) {
		t.Fatalf("approve after import: %v, want ErrLoadStarted", err)
	}
}
