package report

import (
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// TestDeciders: the org, the approval, the login and the next commands as every summary,
// prompt and report names them.
func TestDeciders(t *testing.T) {
	org := &backfill.OrgInfo{Name: "Acme", ID: "00D000000000001AAA", InstanceURL: "https://acme--uat.sandbox.my.salesforce.com", Sandbox: true,
		User: "int@acme.com", Login: &runfolder.Login{InstanceURL: "https://acme--uat.sandbox.my.salesforce.com", LoginURL: "https://test.salesforce.com", Sandbox: true}}
	if got, want := OrgLine(org), "Acme (00D000000000001AAA), Sandbox, https://acme--uat.sandbox.my.salesforce.com, as int@acme.com"; got != want {
		t.Errorf("OrgLine = %q, want %q", got, want)
	}
	if OrgLine(nil) != "" || ApprovalLine(nil) != "" || LoginWords(Shell{}, nil) != "" {
		t.Error("nothing to name should name nothing")
	}
	a := &runfolder.Approval{By: "Dana", Note: "counts checked", At: time.Date(2026, 12, 7, 23, 5, 0, 0, time.FixedZone("CET", 3600))}
	if got, want := ApprovalLine(a), `by Dana at 2026-12-07 22:05 UTC: "counts checked"`; got != want {
		t.Errorf("ApprovalLine = %q, want %q", got, want)
	}
	if got, want := LoginWords(Shell{}, &runfolder.Login{TargetOrg: "acme-prod", Flow: "sf-cli"}), "--target-org acme-prod"; got != want {
		t.Errorf("LoginWords(alias) = %q, want %q", got, want)
	}

	plan := &backfill.Summary{Command: "plan", Rows: 3, Outcomes: map[string]int{"to_insert": 2, "exists": 1}, RunFolder: "runs/a", Org: org}
	want := []string{"backfill approve runs/a --by NAME",
		"backfill import --plan runs/a --require-approval --instance-url https://acme--uat.sandbox.my.salesforce.com --login-url https://test.salesforce.com --sandbox"}
	if got := NextCommands(Shell{}, plan); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("NextCommands:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	plan.Approval = a
	if got := NextCommands(Shell{}, plan); len(got) != 1 || got[0] != want[1] {
		t.Errorf("NextCommands of an approved plan: %q", got)
	}
	for name, s := range map[string]*backfill.Summary{
		"an import":        {Command: "import", Outcomes: map[string]int{"created": 2}, Org: org},
		"nothing to load":  {Command: "plan", Rows: 1, Outcomes: map[string]int{"exists": 1}, Org: org},
		"too many refused": {Command: "plan", Rows: 10, Outcomes: map[string]int{"to_insert": 1, "rejected": 9}, Status: backfill.StatusTooManyRejected},
	} {
		if got := NextCommands(Shell{}, s); got != nil {
			t.Errorf("%s: NextCommands = %q, want none", name, got)
		}
	}
}

// TestJobLineAndTook: a job's failed count leaves out the rows already newer and those
// sent again, and an import's time is its load's, not the review's.
func TestJobLineAndTook(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s := &backfill.Summary{Command: "import", Rows: 18, Outcomes: map[string]int{"updated": 10, "already_newer": 8}, StartedAt: start,
		LoadStartedAt: start.Add(time.Minute), FinishedAt: start.Add(time.Minute + 9*time.Second),
		Jobs: []backfill.JobSummary{{ID: "750x", Part: 1, Rows: 18, State: "JobComplete", Processed: 18, Failed: 8, Updated: 10, AlreadyNewer: 8}}}
	var b strings.Builder
	if err := PrintSummary(&b, s, "table"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "10 updated, 8 already newer, 0 failed, 0 unprocessed") {
		t.Errorf("job line:\n%s", b.String())
	}
	if v := newReportView(s, testView); v.Took != "9s" || newJobRow(s.Jobs[0]).Tone != "ok" {
		t.Errorf("took %q (want the load's 9s), job tone %q", v.Took, newJobRow(s.Jobs[0]).Tone)
	}
}
