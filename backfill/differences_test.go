package backfill_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
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
