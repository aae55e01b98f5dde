package report

import (
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// TestVerdict checks each rule of the verdict: green only when every planned row loaded (or,
// for plan and clean, every row is ready) and nothing needs attention; amber for what needs
// reading; red for failed or unprocessed rows, more rejected than the limit, or a plan import
// would refuse.
func TestVerdict(t *testing.T) {
	summary := func(command string, outcomes map[string]int, edit ...func(*backfill.Summary)) *backfill.Summary {
		s := &backfill.Summary{Command: command, Outcomes: outcomes, Export: backfill.InputInfo{File: "exports/enrollments.csv"}}
		for _, n := range outcomes {
			s.Rows += n
		}
		for _, e := range edit {
			e(s)
		}
		return s
	}
	assumed := func(s *backfill.Summary) {
		s.DateLayouts = []backfill.DateLayout{{Column: "Enrollment Date", Layout: "month-first", Order: "month-first", Assumed: true}}
	}
	dateWarning := func(s *backfill.Summary) {
		s.Warnings = append(s.Warnings, backfill.Warning{Kind: "date-order", Message: "month-first was assumed"})
	}
	const (
		okText        = "done, every row accounted for"
		attentionText = "done, but see what needs attention above"
		failedText    = "finished, but some rows failed or were left unprocessed"
	)
	tests := []struct {
		name      string
		s         *backfill.Summary
		tone      string
		headline  string
		attention []string // each item's tone, text and command, in order
		exit      int
		exitText  string
	}{
		{"import: everything planned loaded", summary("import", map[string]int{"created": 1200, "updated": 34, "exists": 5, "before_cutoff": 9}),
			"ok", "1,234 of 1,234 planned rows loaded into Salesforce (1,200 created, 34 updated).", nil, 0, okText},
		{"import: already_newer is accounted for", summary("import", map[string]int{"created": 20, "already_newer": 2}),
			"ok", "20 of 22 planned rows loaded into Salesforce (20 created, 0 updated).", nil, 0, okText},
		{"import: stale rows", summary("import", map[string]int{"created": 20, "stale": 3}),
			"warn", "20 of 20 planned rows loaded", []string{
				"warn: 3 rows differ from Salesforce (stale); to load them too, plan again with --update-stale: backfill import --export exports/enrollments.csv --update-stale"},
			0, attentionText},
		{"plan: one stale row", summary("plan", map[string]int{"to_insert": 20, "stale": 1}),
			"warn", "20 of 21 rows to load into Salesforce.", []string{
				"warn: 1 row differs from Salesforce (stale); to load it too, plan again with --update-stale: backfill plan --export exports/enrollments.csv --update-stale"},
			0, attentionText},
		{"plan: stale rows, the exact command", withOptions(summary("plan", map[string]int{"to_insert": 20, "stale": 1})),
			"warn", "20 of 21 rows to load into Salesforce.", []string{
				"warn: 1 row differs from Salesforce (stale); to load it too, plan again with --update-stale: backfill plan --export exports/enrollments.csv --date-format d/M/yyyy --skip-invalid --update-stale --target-org acme-prod"},
			0, attentionText},
		{"clean: stale rows", summary("clean", map[string]int{"to_insert": 20, "stale": 2}),
			"warn", "20 of 22 rows to load", []string{"warn: 2 rows differ from the records in --existing (stale): left out of to_import.csv (skipped.csv holds them)."},
			0, attentionText},
		{"import: failed rows", summary("import", map[string]int{"created": 20, "failed": 2}),
			"bad", "20 of 22 planned rows loaded", []string{"bad: 2 rows failed: Salesforce refused them; error.csv holds them with its error (the reasons are below)."},
			3, failedText},
		{"import: an unprocessed row", summary("import", map[string]int{"created": 20, "unprocessed": 1}),
			"bad", "20 of 21 planned rows loaded", []string{"bad: 1 row left unprocessed: the job ended before Salesforce processed it; unprocessed.csv holds it, ready to load again."},
			3, failedText},
		{"import: 1% rejected", summary("import", map[string]int{"created": 99, "rejected": 1}),
			"warn", "99 of 99 planned rows loaded", []string{"warn: 1 of 100 rows (1.0%) rejected: rejects.csv says why (the reasons are below)."},
			0, attentionText},
		{"import: over 1% rejected, within the limit", summary("import", map[string]int{"created": 98, "rejected": 2}),
			"warn", "98 of 98 planned rows loaded", []string{"warn: 2 of 100 rows (2.0%) rejected"},
			0, attentionText},
		{"import: over the limit rejected (with --max-rejected 10)", summary("import", map[string]int{"created": 88, "rejected": 12}, func(s *backfill.Summary) {
			s.MaxRejected, s.Status = 10, backfill.StatusDone
		}),
			"bad", "88 of 88 planned rows loaded", []string{"bad: 12 of 100 rows (12.0%) rejected"},
			0, attentionText},
		{"plan: 62.5% rejected", summary("plan", map[string]int{"to_insert": 15, "rejected": 25}, func(s *backfill.Summary) {
			s.Warnings = []backfill.Warning{{Kind: "rejected", Count: 25, Message: "25 rows of 40 (62.5%) were rejected"}}
		}),
			"bad", "15 of 40 rows to load into Salesforce.", []string{"bad: 25 of 40 rows (62.5%) rejected", "warn: Read the 1 warning below before trusting this run."},
			2, "more rows were rejected than --max-rejected (5%) allows: import refuses to load this plan"},
		{"clean: 62.5% rejected", summary("clean", map[string]int{"to_insert": 15, "rejected": 25}),
			"bad", "15 of 40 rows to load", []string{"bad: 25 of 40 rows (62.5%) rejected"},
			3, "more rows were rejected than --max-rejected (5%) allows: review the run folder before loading to_import.csv"},
		{"plan: every row ready", summary("plan", map[string]int{"to_insert": 2000, "to_update": 10, "exists": 40, "duplicate": 3}),
			"ok", "2,010 of 2,053 rows to load into Salesforce.", nil, 0, okText},
		{"plan: nothing to load", summary("plan", map[string]int{"exists": 40}),
			"ok", "0 of 40 rows to load into Salesforce.", nil, 0, okText},
		{"plan: an assumed date order with its warning", summary("plan", map[string]int{"to_insert": 40}, assumed, dateWarning),
			"warn", "40 of 40 rows", []string{"warn: Read the 1 warning below before trusting this run."}, 0, attentionText},
		{"plan: an assumed date order without a warning", summary("plan", map[string]int{"to_insert": 40}, assumed),
			"warn", "40 of 40 rows", []string{`warn: Column "Enrollment Date": no date told the order, so month-first (US) was assumed; check a few rows (--date-format d/M/yyyy if they are day-first).`},
			0, attentionText},
		{"plan: import would refuse it", summary("plan", map[string]int{"to_insert": 40}, func(s *backfill.Summary) {
			s.Preflight = []backfill.Check{{ID: 3, Name: "Integration user"}}
			s.Warnings = []backfill.Warning{{Kind: "preflight", Message: "import would refuse to load this plan"}}
		}),
			"bad", "40 of 40 rows", []string{
				"bad: An import would refuse this plan: 1 preflight check did not pass (the warning below says which and how to fix it). backfill preflight",
				"warn: Read the 1 warning below before trusting this run."},
			0, attentionText},
		{"plan: refusals foreseen", summary("plan", map[string]int{"to_insert": 40}, func(s *backfill.Summary) {
			s.Foreseen = []backfill.Foreseen{{Code: backfill.CodeInvalidEmail, Label: "Learner Email", Outcome: "to_insert", Count: 2}}
		}),
			"warn", "40 of 40 rows", []string{"warn: 2 rows to load hold values Salesforce is expected to refuse (foreseen from describe: the refusals below, with the fix); to leave them out of the upload, plan again with --skip-invalid"},
			0, attentionText},
		{"plan: refusals left out", summary("plan", map[string]int{"to_insert": 98, "rejected": 2}, func(s *backfill.Summary) {
			s.MaxRejected = 5
			s.Foreseen = []backfill.Foreseen{{Code: backfill.CodeInvalidEmail, Label: "Learner Email", Outcome: "rejected", Count: 2}}
		}),
			"warn", "98 of 100 rows", []string{"warn: 2 of 100 rows (2.0%) rejected"}, 0, attentionText},
		{"import: a warning", summary("import", map[string]int{"created": 5}, func(s *backfill.Summary) {
			s.Warnings = []backfill.Warning{{Kind: "journal", Message: "journal.jsonl was missing"}}
		}),
			"warn", "5 of 5 planned rows loaded", []string{"warn: Read the 1 warning below before trusting this run."}, 0, attentionText},
		{"import: all at once, worst first", summary("import", map[string]int{"created": 5, "failed": 1, "unprocessed": 2, "rejected": 1, "stale": 1}, assumed, dateWarning),
			"bad", "5 of 8 planned rows loaded", []string{"bad: 1 row failed", "bad: 2 rows left unprocessed", "bad: 1 of 10 rows (10.0%) rejected", "warn: 1 row differs from Salesforce", "warn: Read the 1 warning below"},
			3, failedText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerdict(tt.s, testView)
			if v.Tone != tt.tone {
				t.Errorf("tone %s, want %s", v.Tone, tt.tone)
			}
			if !strings.HasPrefix(v.Headline, tt.headline) {
				t.Errorf("headline %q, want it to start with %q", v.Headline, tt.headline)
			}
			var got []string
			for _, a := range v.Attention {
				text := a.Tone + ": " + a.Text
				for _, w := range a.Command {
					text += " " + w.Text
				}
				got = append(got, text)
			}
			if len(got) != len(tt.attention) {
				t.Fatalf("attention:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.attention, "\n  "))
			}
			for i, want := range tt.attention {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("attention %d:\n got %q\nwant %q", i, got[i], want)
				}
			}
			if v.Exit != tt.exit || v.ExitText != tt.exitText {
				t.Errorf("exit %d %q, want %d %q", v.Exit, v.ExitText, tt.exit, tt.exitText)
			}
			if v.Tone != "ok" && strings.Contains(v.ExitText, "every row accounted for") {
				t.Errorf("a %s verdict says %q", v.Tone, v.ExitText)
			}
		})
	}
}

// testView is the command line's view of a report: its words, and the exit status each
// status ends with (cmd/backfill's mapping).
var testView = View{Words: Shell{}, Exit: func(s *backfill.Summary) int {
	switch s.Ended() {
	case backfill.StatusRowsFailed:
		return 3
	case backfill.StatusTooManyRejected:
		if s.Command == "clean" {
			return 3
		}
		return 2
	}
	return 0
}}

// withOptions gives s the options and login a plan records, as [backfill.Plan] does.
func withOptions(s *backfill.Summary) *backfill.Summary {
	s.Options = map[string]string{"export": "exports/enrollments.csv", "date_format": "d/M/yyyy", "skip_invalid": "true"}
	s.Org = &backfill.OrgInfo{Name: "Acme", ID: "00D000000000001AAA", Login: &runfolder.Login{TargetOrg: "acme-prod", Flow: "sf-cli"}}
	return s
}
