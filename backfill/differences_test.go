package backfill_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestPlanShowsTheValuesThatDiffer: for every stale and to-update row, differences.csv
// holds each differing field with Salesforce's value and the export's and which Updated At
// is later; with --update-stale a row Salesforce holds newer stays stale, and nothing is
// sent for it; the summary counts them and shows the first rows.
func TestPlanShowsTheValuesThatDiffer(t *testing.T) {
	t.Parallel()
	const newer = "d5cc51fc-08cb-49e8-aea1-f5d9e28a3da1"
	seed := sftest.DemoSeed().Clone()
	for _, r := range seed.Object(demoObject).Records {
		if r[demoExtID] == newer {
			r["nplms__Updated_At__c"] = "2026-03-01T00:00:00Z"
		}
	}
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = true
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(cfg.Out, runfolder.DifferencesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "line,key,id,outcome,field,salesforce,export,salesforce_updated_at,export_updated_at,later" {
		t.Fatalf("header %v", rows[0])
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[1]+" "+r[4]] = r
	}
	p := got[newer+" nplms__Progress_Percentage__c"]
	if p == nil || p[3] != "stale" || p[5] != "60" || p[6] != "75" || p[7] != "2026-03-01T00:00:00Z" || p[8] != "2025-12-02T02:31:00Z" || p[9] != "salesforce" {
		t.Errorf("the newer record's progress line = %v", p)
	}
	u := got["501b4c7d-f9e4-47d0-b60b-8193c5c52668 nplms__Progress_Percentage__c"]
	if u == nil || u[3] != "to_update" || u[5] != "60" || u[6] != "75" || u[9] != "same" {
		t.Errorf("a to_update line = %v", u)
	}
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Key == newer && (l.Outcome != runfolder.Stale || !strings.Contains(l.Detail, "Salesforce holds a newer version (Updated At 2026-03-01T00:00:00Z, the export's 2025-12-02T02:31:00Z)")) {
			t.Errorf("ledger %+v", l)
		}
	}
	d := sum.Differences
	if d == nil || d.Rows != 3 || d.SalesforceNewer != 1 || d.UpdatedField != "nplms__Updated_At__c" || len(d.Fields) == 0 || d.Fields[0].Field != "nplms__Progress_Percentage__c" {
		t.Fatalf("summary differences = %+v", d)
	}
	var stale *backfill.DiffGroup
	for i := range d.Groups {
		if d.Groups[i].Outcome == "stale" && d.Groups[i].Later == backfill.LaterSalesforce {
			stale = &d.Groups[i]
		}
	}
	if stale == nil || stale.Count != 1 || stale.Samples[0].Key != newer || stale.Samples[0].Values[0].Salesforce != "60" {
		t.Errorf("groups = %+v", d.Groups)
	}
	// The before-image holds only the rows to update.
	b, _ := os.ReadFile(filepath.Join(cfg.Out, runfolder.BeforeFile))
	if strings.Contains(string(b), newer) || !strings.Contains(string(b), "501b4c7d") {
		t.Errorf("before.csv:\n%s", b)
	}
}

// TestPlanSamplesEachOutcome: the summary holds, per planned outcome, its count and its
// first rows as to_import.csv uploads them (its header, the Bulk value forms), with the
// options that make the plan again and the org it was made for.
func TestPlanSamplesEachOutcome(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = true
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(cfg.Out, runfolder.ToImportFile))
	upload, _ := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	uploaded := map[string]bool{}
	for _, r := range upload[1:] {
		uploaded[strings.Join(r, ",")] = true
	}
	counts := map[string]int{}
	for _, s := range sum.Samples {
		counts[s.Outcome] = s.Count
		if strings.Join(s.Fields, ",") != strings.Join(upload[0], ",") {
			t.Errorf("%s sample fields %v, want to_import.csv's header %v", s.Outcome, s.Fields, upload[0])
		}
		if len(s.Rows) != min(s.Count, 5) {
			t.Errorf("%s: %d sample rows of %d", s.Outcome, len(s.Rows), s.Count)
		}
		for i, r := range s.Rows {
			if !uploaded[strings.Join(r.Values, ",")] || (i > 0 && r.Line <= s.Rows[i-1].Line) {
				t.Errorf("%s sample row %d (line %d) is not an uploaded row in export order: %v", s.Outcome, i, r.Line, r.Values)
			}
		}
	}
	if counts["to_insert"] != sum.Outcomes["to_insert"] || counts["to_update"] != sum.Outcomes["to_update"] || counts["to_insert"] == 0 || counts["to_update"] == 0 {
		t.Errorf("sample counts %v, outcomes %v", counts, sum.Outcomes)
	}
	if sum.Options["update_stale"] != "true" || sum.Options["export"] != cfg.Export.File || len(sum.Options) != 2 {
		t.Errorf("options %v", sum.Options)
	}
	if o := sum.Org; o == nil || o.Name != "Acme Learning (demo)" || o.ID != "00D5g0000000001EAA" || o.User != "northpass.integration@demo.example.com" ||
		o.Login == nil || o.Login.InstanceURL != srv.URL {
		t.Errorf("org %+v", sum.Org)
	}
	html, _ := os.ReadFile(filepath.Join(cfg.Out, runfolder.ReportFile))
	for _, want := range []string{`<dd id="org">Acme Learning (demo) (00D5g0000000001EAA), Production, ` + srv.URL + `, as northpass.integration@demo.example.com</dd>`,
		`<section id="samples">`, `<h3>to_insert: 22</h3>`, `backfill approve ` + report.Quote(cfg.Out) + ` <span class="flag">--by</span> NAME`,
		`<span class="flag">--require-approval</span> <span class="flag">--instance-url</span> ` + srv.URL} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
}
