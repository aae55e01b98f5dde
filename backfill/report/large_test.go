package report_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// The long values of largeSummary: a 300-character STRING_TOO_LONG value and a
// 300-character value without a space (it cannot wrap at a space anywhere).
var (
	longText  = strings.Repeat("Introduction to Salesforce Administration, part two: ", 6)[:300]
	longToken = strings.Repeat("9f86d081884c7d659a2feaa0c55ad015", 10)[:300]
)

// largeSummary is an import of 2,000,000 rows with everything that makes a report wide:
// seven-digit counts, 300-character Salesforce messages, a job error without spaces, long
// paths and column names, 400 days of rows and twenty Bulk jobs. make report-check renders
// it (testdata/golden/report-large/summary.json) at 420 and 1280 px.
func largeSummary() *backfill.Summary {
	at := func(min int) time.Time { return time.Date(2026, 11, 24, 12, min, 0, 0, time.UTC) }
	folder := "/Users/jane.admin/Library/CloudStorage/OneDrive-Northpass/backfill-runs/20261124T120000Z-enrollments-full-history"
	s := &backfill.Summary{
		Command: "import", Status: backfill.StatusRowsFailed, MaxRejected: backfill.DefaultMaxRejectedPercent, Rows: 2_000_000,
		Outcomes: map[string]int{"created": 1_500_000, "updated": 420_000, "exists": 30_000, "stale": 12_345, "rejected": 1_200,
			"before_cutoff": 30_000, "duplicate": 5_000, "failed": 1_355, "unprocessed": 100},
		Cutoff: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), Object: "nplms__Enrollment__c",
		ExternalIDField: "nplms__External_Id__c", KeyColumn: "External Id",
		DateColumns: []string{"Enrollment Date"}, UpdatedColumn: "Updated At", Keys: "case-insensitively",
		OrderBy: "Learner Email (nplms__Learner_Email__c)",
		Mapping: []runfolder.Mapping{
			{Column: "External Id", Field: "nplms__External_Id__c", Type: "string", Source: "key"},
			{Column: "Learner Email", Field: "nplms__Learner_Email__c", Type: "email", Source: "label"},
			{Column: "Course Name", Field: "nplms__Course_Name__c", Type: "string", Source: "label"},
			{Column: "Custom Field: Manager's Cost Center Code (from the HRIS export, do not edit)",
				Field: "nplms__Managers_Cost_Center_Code_From_HRIS_Export__c", Type: "string", Source: "sdl"},
			{Column: "Enrollment Date", Field: "nplms__Enrollment_Date__c", Type: "datetime", Source: "label"},
		},
		Unmapped: []string{"Learner Name", "Internal Notes (free text, may hold anything the admins typed)"},
		Export: backfill.InputInfo{File: "/Users/jane.admin/Library/CloudStorage/OneDrive-Northpass/Exports/2026-11/enrollments-full-export-all-courses-since-2019.csv",
			Columns: []string{"External Id", "Learner Email", "Learner Name", "Course Name", "Enrollment Date", "Updated At",
				"Custom Field: Manager's Cost Center Code (from the HRIS export, do not edit)", "Internal Notes (free text, may hold anything the admins typed)"},
			Delimiter: "comma", Encoding: "utf-8"},
		APICalls: map[string]int{"query": 2_001, "bulk_ingest": 1_250, "describe": 2},
		Reasons: []backfill.Reason{
			{Outcome: "failed", Reason: "STRING_TOO_LONG:Course Name: data value too large: <value> (max length=<n>)", Count: 1_000,
				Examples: []int{1_204_332, 1_204_501, 1_398_007, 1_500_212, 1_999_870},
				Example:  "STRING_TOO_LONG:Course Name: data value too large: " + longText + " (max length=255):nplms__Course_Name__c"},
			{Outcome: "failed", Reason: "INVALID_EMAIL_ADDRESS:Learner Email: invalid email address: <value>", Count: 68,
				Examples: []int{10_402, 88_120, 88_121, 120_009, 1_700_001},
				Example:  "INVALID_EMAIL_ADDRESS:Learner Email: invalid email address: bob@@x.com:nplms__Learner_Email__c"},
			{Outcome: "failed", Reason: "INVALID_FIELD:Failed to deserialize field at col <n>. Due to, <value> is not a valid value for the type xsd:dateTime",
				Count: 287, Examples: []int{7, 8, 9, 10, 11},
				Example: "INVALID_FIELD:Failed to deserialize field at col 5. Due to, '" + longToken + "' is not a valid value for the type xsd:dateTime"},
			{Outcome: "rejected", Reason: `column "Enrollment Date": unparseable date`, Count: 1_200, Examples: []int{2, 3, 5, 8, 13}},
			{Outcome: "unprocessed", Reason: "no result from Salesforce for this row: its job ended without one", Count: 100, Examples: []int{1_999_901}},
		},
		Warnings: []backfill.Warning{{Kind: "journal", Message: "journal.jsonl was missing: which rows were already loaded was read from Salesforce " + longToken,
			Fix: "compare the ledger with Salesforce (backfill verify) before relying on created/updated"}},
		Files: []backfill.RunFile{{Name: "summary.json", Desc: "counts and choices"}, {Name: "report.html", Desc: "the report"},
			{Name: "plan-report.html", Desc: "the reviewed plan's report"}, {Name: "ledger.csv", Desc: "final outcome of every data row"},
			{Name: "error.csv", Desc: "1,355 rows: rows Salesforce refused"}},
		RunFolder: folder,
		StartedAt: at(0), FinishedAt: at(58),
	}
	for i := range 20 {
		j := backfill.JobSummary{ID: fmt.Sprintf("7505g00000%08dAAA", i+1), Part: i + 1, Rows: 100_000, Bytes: 98 << 20, State: "JobComplete",
			Processed: 100_000, Created: 75_000, Updated: 21_000, Failed: 68, CreatedAt: at(i), FinishedAt: at(i + 3),
			SetupURL: fmt.Sprintf("/lightning/setup/AsyncApiJobStatus/page?address=%%2F7505g00000%08dAAA", i+1)}
		if i == 19 {
			j.State, j.ErrorMessage, j.Unprocessed = "Failed", "InvalidBatch : "+longToken, 100
		}
		s.Jobs = append(s.Jobs, j)
	}
	day := s.Cutoff
	for i := range 400 {
		s.ByDay = append(s.ByDay, backfill.DayCount{Day: day.AddDate(0, 0, i).Format(time.DateOnly),
			Outcomes: map[string]int{"created": 3_000 + 40*(i%50), "updated": 1_050, "exists": 75, "stale": 30, "failed": 3, "unprocessed": i % 2}})
	}
	return s
}

// TestReportLarge renders largeSummary: counts with thousands separators, the long messages
// whole in the reasons table (their wrapping is make report-check's to judge, in Chromium),
// the plan's report linked, and the outline and summary.json of testdata/golden/report-large.
func TestReportLarge(t *testing.T) {
	s := largeSummary()
	doc := checkReport(t, nil, s)
	verdict := textOf(findID(doc, "verdict"))
	for _, want := range []string{"1,920,000 of 1,921,455 planned rows loaded into Salesforce (1,500,000 created, 420,000 updated).",
		"1,355 rows failed", "100 rows left unprocessed", "1,200 of 2,000,000 rows (0.1%) rejected", "12,345 rows differ from Salesforce (stale)",
		"Exit status 3"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("verdict lacks %q:\n%s", want, verdict)
		}
	}
	table := findClass(findID(doc, "reasons"), "reasons")
	if table == nil || table.Data != "table" {
		t.Fatal("no table.reasons: the reasons table needs its class for its fixed layout and wrapping")
	}
	var messages []string
	for _, td := range findAll(table, func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "reason") }) {
		messages = append(messages, textOf(td))
	}
	for _, want := range []string{longText, longToken} {
		if !strings.Contains(strings.Join(messages, "\n"), want) {
			t.Errorf("the reasons table lacks a 300-character value whole: %.40q…", want)
		}
	}
	compareGolden(t, filepath.Join("..", "..", "testdata", "golden", "report-large", "report-outline.txt"), []byte(reportOutline(doc)))
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("..", "..", "testdata", "golden", "report-large", "summary.json"), append(b, '\n'))
}

// TestReportPlanLink: an import's report links the reviewed plan's report when the summary
// lists plan-report.html, and only then.
func TestReportPlanLink(t *testing.T) {
	for _, listed := range []bool{false, true} {
		t.Run(fmt.Sprint(listed), func(t *testing.T) {
			s := importSummary()
			if listed {
				s.Files = append(s.Files, backfill.RunFile{Name: runfolder.PlanReportFile, Desc: "the reviewed plan's report"})
			}
			doc := checkReport(t, nil, s)
			dd := findID(doc, "plan-report")
			if (dd != nil) != listed {
				t.Fatalf("plan link shown: %v, with plan-report.html listed: %v", dd != nil, listed)
			}
			if !listed {
				return
			}
			a := find(dd, func(n *html.Node) bool { return n.Data == "a" })
			if got := textOf(dd); got != "the reviewed plan's report: plan-report.html" || a == nil || attr(a, "href") != "plan-report.html" {
				t.Errorf("plan link %q (href %q), want the reviewed plan's report: plan-report.html linked", got, attr(a, "href"))
			}
		})
	}
}

// TestReportDaySeries: a plan's days stack to load, already present and stale; an import's
// stack loaded (created and updated) apart from failed and unprocessed rows, with
// already_newer counted as already present.
func TestReportDaySeries(t *testing.T) {
	tests := []struct {
		name     string
		days     []map[string]int
		legend   string
		tooltips []string
	}{
		{"plan", []map[string]int{{"to_insert": 1_500, "exists": 2}, {"to_update": 3, "stale": 1}},
			"to load 1,503 already present 2 stale 1", []string{"2025-11-20: 1,500 to load, 2 already present", "2025-11-21: 3 to load, 1 stale"}},
		{"import", []map[string]int{{"created": 1_500, "already_newer": 1, "failed": 2}, {"updated": 3, "exists": 2, "unprocessed": 4}},
			"loaded 1,503 already present 3 stale 0 failed 2 unprocessed 4",
			[]string{"2025-11-20: 1,500 loaded, 1 already present, 2 failed", "2025-11-21: 3 loaded, 2 already present, 4 unprocessed"}},
		{"import with nothing loaded", []map[string]int{{"failed": 7}},
			"loaded 0 already present 0 stale 0 failed 7", []string{"2025-11-20: 7 failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &backfill.Summary{Command: tt.name, Cutoff: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), Outcomes: map[string]int{}}
			for i, o := range tt.days {
				s.ByDay = append(s.ByDay, backfill.DayCount{Day: s.Cutoff.AddDate(0, 0, i).Format(time.DateOnly), Outcomes: o})
				for k, n := range o {
					s.Outcomes[k] += n
					s.Rows += n
				}
			}
			s.Command = strings.Fields(tt.name)[0]
			doc := checkReport(t, nil, s)
			chart := findID(doc, "by-day")
			if got := textOf(findClass(chart, "legend")); got != tt.legend {
				t.Errorf("legend %q, want %q", got, tt.legend)
			}
			var tips []string
			for _, g := range findAll(chart, func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bucket") }) {
				tips = append(tips, strings.Join(strings.Fields(find(g, func(n *html.Node) bool { return n.Data == "title" }).FirstChild.Data), " "))
			}
			if strings.Join(tips, "|") != strings.Join(tt.tooltips, "|") {
				t.Errorf("bars %q, want %q", tips, tt.tooltips)
			}
		})
	}
}
