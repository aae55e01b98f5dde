package backfill_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const refusalsHeader = "External Id,Learner Email,Learner Name,Course ID,Course Name,Course Attempt Number,Enrollment Date,Progress Percentage,Status,Completion Date,Updated At\n"

// refusalRows are rows after the cutoff, each with the code Salesforce is expected to
// answer ("" for a row it loads), as the reviewer met them.
var refusalRows = []struct{ row, code string }{
	{"r-ok,ok@example.com,Ok,c-1,Course,1,2025-12-01T09:00:00Z,10,in_progress,,2025-12-01T10:00:00Z", ""},
	{"r-email,bob@@example.com,Bob,c-1,Course,1,2025-12-01T09:00:00Z,10,in_progress,,2025-12-01T10:00:00Z", backfill.CodeInvalidEmail},
	{"r-space,sp@example.com,Sp,c-1,Course,1,2025-12-01T09:00:00Z,100,Completed ,2025-12-02T09:00:00Z,2025-12-02T10:00:00Z", backfill.CodeRestrictedPick},
	{"r-finished,fi@example.com,Fi,c-1,Course,1,2025-12-01T09:00:00Z,100,finished,,2025-12-02T10:00:00Z", backfill.CodeRestrictedPick},
	{"r-case,ca@example.com,Ca,c-1,Course,1,2025-12-01T09:00:00Z,100,Completed,2025-12-02T09:00:00Z,2025-12-02T10:00:00Z", ""},
	{"r-course,co@example.com,Co,,Course,1,2025-12-01T09:00:00Z,10,in_progress,,2025-12-01T10:00:00Z", backfill.CodeRequiredMissing},
	{"r-long,lo@example.com," + strings.Repeat("L", 121) + ",c-1,Course,1,2025-12-01T09:00:00Z,10,in_progress,,2025-12-01T10:00:00Z", backfill.CodeStringTooLong},
	{"r-range,ra@example.com,Ra,c-1,Course,1,2025-12-01T09:00:00Z,1000,in_progress,,2025-12-01T10:00:00Z", backfill.CodeNumberOutOfRange},
	// Two faults: the first cell refused is the row's error, before the required fields.
	{"r-two,two@@example.com,Two,,Course,1,2025-12-01T09:00:00Z,10,in_progress,,2025-12-01T10:00:00Z", backfill.CodeInvalidEmail},
	// An update (the record exists, Salesforce's version is older): a bad status is refused;
	// an empty Course ID leaves the field as it is, so it is no refusal.
	{"8079cca4-72e9-4f0c-8bf5-bd8141a70f16,liam.iyer@example.com,Liam Iyer,c-1,Course,1,2025-11-22T03:37:00Z,100,done,,2026-02-01T00:00:00Z", backfill.CodeRestrictedPick},
	{"eec1e9cf-2d5d-4010-9786-4dea932a0fee,noah.park@example.com,Noah Park,,Course,2,2025-11-26T09:51:00Z,50,in_progress,,2026-02-01T00:00:00Z", ""},
}

func writeRefusalsExport(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(refusalsHeader)
	for _, r := range refusalRows {
		b.WriteString(r.row + "\n")
	}
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestForeseenRefusalsMatchTheEmulator plans rows Salesforce refuses for every reason the
// plan foresees, checks each row's ledger detail begins with the code expected, loads the
// plan into the emulator and checks Salesforce refused exactly those rows with exactly
// those codes; the summary's comparison says so.
func TestForeseenRefusalsMatchTheEmulator(t *testing.T) {
	srv := sftest.NewServer(t)
	o := orgConfig(t, srv)
	o.Export.File = writeRefusalsExport(t)
	o.UpdateStale = true
	sum, err := backfill.Plan(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{} // line -> code
	foreseen := 0
	for i, r := range refusalRows {
		want[i+2] = r.code
		if r.code != "" {
			foreseen++
		}
	}
	for _, e := range ledgerLines(t, o.Out) {
		if !e.Outcome.Planned() {
			t.Errorf("line %d: %s (%s), want planned", e.Line, e.Outcome, e.Detail)
			continue
		}
		if got := backfill.ForeseenCode(e.Detail); got != want[e.Line] {
			t.Errorf("line %d: foreseen %q (detail %q), want %q", e.Line, got, e.Detail, want[e.Line])
		}
	}
	n := 0
	for _, g := range sum.Foreseen {
		n += g.Count
		if g.Fix == "" || g.Message == "" || !strings.Contains(g.Fix, "--skip-invalid") {
			t.Errorf("group %+v: want a message and a fix naming --skip-invalid", g)
		}
	}
	if n != foreseen {
		t.Errorf("summary foresees %d rows, want %d: %+v", n, foreseen, sum.Foreseen)
	}
	if !hasWarning(sum, "refusals", "expected to refuse") {
		t.Errorf("no refusals warning: %+v", sum.Warnings)
	}

	final, err := loaded(backfill.ImportPlan(t.Context(), importPlan(o)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ledgerLines(t, o.Out) {
		got := ""
		if e.Outcome == runfolder.Failed {
			got, _, _ = strings.Cut(e.Detail, ":")
		}
		if got != want[e.Line] {
			t.Errorf("line %d: Salesforce answered %s %q, the plan foresaw %q", e.Line, e.Outcome, e.Detail, want[e.Line])
		}
	}
	c := final.Refusals
	if c == nil || !c.Agreed() || c.Foreseen != foreseen || c.AsSaid != foreseen || c.Refused != foreseen {
		t.Errorf("refusal check = %+v, want %d foreseen and refused as foreseen", c, foreseen)
	}
	// The picklist value accepted in another case is what Salesforce holds: verify agrees.
	if _, run, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: folder(o)}); err != nil || !run.OK() {
		t.Errorf("verify: %+v, %v", run, err)
	}
	if got := extIDs(t, srv, demoObject, demoExtID)["r-case"]["nplms__Status__c"]; got != "completed" {
		t.Errorf("r-case status = %v", got)
	}
}

// TestSkipInvalidLeavesRefusalsOut: with SkipInvalid the rows Salesforce would refuse are
// rejected with the code foreseen, nothing is sent for them, and the import fails no row.
func TestSkipInvalidLeavesRefusalsOut(t *testing.T) {
	srv := sftest.NewServer(t)
	o := orgConfig(t, srv)
	o.Export.File = writeRefusalsExport(t)
	o.UpdateStale, o.SkipInvalid = true, true
	max := 100.0
	o.Export.MaxRejected = &max
	sum, err := backfill.Import(t.Context(), imp(o))
	if err != nil {
		t.Fatal(err)
	}
	lines := ledgerLines(t, o.Out)
	for i, r := range refusalRows {
		e := lines[i]
		switch {
		case r.code == "" && e.Outcome != runfolder.Created && e.Outcome != runfolder.Updated:
			t.Errorf("line %d: %s %q, want loaded", e.Line, e.Outcome, e.Detail)
		case r.code != "" && (e.Outcome != runfolder.Rejected || backfill.ForeseenCode(e.Detail) != r.code):
			t.Errorf("line %d: %s %q, want rejected with %s", e.Line, e.Outcome, e.Detail, r.code)
		}
	}
	if sum.Status != backfill.StatusDone || sum.Count(runfolder.Failed) != 0 {
		t.Errorf("status %s, %d failed", sum.Status, sum.Count(runfolder.Failed))
	}
	if c := sum.Refusals; c == nil || c.LeftOut != 8 || c.Foreseen != 0 || !c.Agreed() {
		t.Errorf("refusal check = %+v", c)
	}
	if _, ok := extIDs(t, srv, demoObject, demoExtID)["r-email"]; ok {
		t.Error("a row left out was sent")
	}
	for _, r := range sum.Reasons {
		if r.Outcome == "rejected" && strings.Contains(r.Reason, "bob@@") {
			t.Errorf("reason %q keeps the value: rows of one kind must group", r.Reason)
		}
	}
}
