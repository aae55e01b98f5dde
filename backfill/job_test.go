package backfill_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	demoObject = "nplms__Enrollment__c"
	demoExtID  = "nplms__External_Id__c"
	sample     = "../backfill/demo/sample/export.csv"
)

// extIDs counts the records of object by external id; it fails on a duplicate.
func extIDs(t *testing.T, srv *sftest.Server, object, field string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range srv.Records(object) {
		k, _ := r[field].(string)
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate external id %q in %s", k, object)
		}
		out[k] = r
	}
	return out
}

// ledgerLines reads a run folder's ledger.csv.
func ledgerLines(t *testing.T, dir string) []runfolder.Entry {
	t.Helper()
	var out []runfolder.Entry
	err := (&runfolder.Folder{Dir: dir}).ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func outcomes(s *backfill.Summary) map[string]int {
	out := map[string]int{}
	for k, v := range s.Outcomes {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s outcomes:\ngot  %s\nwant %s", what, g, w)
	}
}

func TestPlanChangesNothing(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	before := len(srv.Records(demoObject))
	cfg := orgConfig(t, srv)
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBufferString(printed(t, sum))
	sameCounts(t, "plan", outcomes(sum), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "to_insert": 22})
	checkInvariant(t, cfg.Out, sum)
	if got := len(srv.Records(demoObject)); got != before {
		t.Errorf("plan changed the org: %d records, had %d", got, before)
	}
	if c := srv.Calls(); c["ingest-create"] != 0 {
		t.Errorf("plan created Bulk jobs: %v", c)
	}
	if sum.Object != demoObject || sum.ExternalIDField != demoExtID || len(sum.Mapping) != 11 {
		t.Errorf("target %s.%s, %d mapped columns", sum.Object, sum.ExternalIDField, len(sum.Mapping))
	}
	if sum.APICalls["query"] == 0 || sum.APICalls["describe"] == 0 {
		t.Errorf("api calls not reported: %v", sum.APICalls)
	}
	for _, want := range []string{"stale", "Learner Email -> nplms__Learner_Email__c", "report.html"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	// stale rows name the fields that differ and the record's Id.
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Outcome == runfolder.Stale && !strings.Contains(l.Detail, "Salesforce differs in nplms__Progress_Percentage__c") {
			t.Errorf("stale detail %q", l.Detail)
		}
	}
	b, _ := os.ReadFile(filepath.Join(cfg.Out, "to_import.csv"))
	if !bytes.HasPrefix(b, []byte("nplms__External_Id__c,nplms__Learner_Email__c,")) || !bytes.Contains(b, []byte("T00:30:00.000Z")) {
		t.Errorf("to_import.csv does not use API names and Bulk datetimes:\n%s", b[:200])
	}
}

func TestImportThenRerunCreatesNothing(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	before := extIDs(t, srv, demoObject, demoExtID)
	cfg := orgConfig(t, srv)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "import", outcomes(sum), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "created": 22})
	checkInvariant(t, cfg.Out, sum)
	after := extIDs(t, srv, demoObject, demoExtID)
	if len(after) != len(before)+22 {
		t.Fatalf("org has %d records, want %d", len(after), len(before)+22)
	}
	// Every created row's Id in the ledger is the record Salesforce holds for its key.
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Outcome == runfolder.Created && after[l.Key]["Id"] != l.Detail {
			t.Errorf("line %d: ledger Id %s, org Id %v", l.Line, l.Detail, after[l.Key]["Id"])
		}
	}
	if len(sum.Jobs) != 1 || sum.Jobs[0].Created != 22 || sum.Jobs[0].State != "JobComplete" {
		t.Errorf("jobs = %+v", sum.Jobs)
	}

	// The same import again finds everything present and creates nothing.
	cfg2 := orgConfig(t, srv)
	sum2, err := backfill.Import(t.Context(), imp(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "rerun", outcomes(sum2), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 27, "stale": 3})
	if got := len(extIDs(t, srv, demoObject, demoExtID)); got != len(after) {
		t.Errorf("rerun changed the record count: %d, want %d", got, len(after))
	}
	if len(sum2.Jobs) != 0 {
		t.Errorf("rerun created jobs: %+v", sum2.Jobs)
	}
}

func TestImportFailuresAndOldTimestamps(t *testing.T) {
	t.Parallel()
	// One stale record is newer in Salesforce than in the export: the package refuses the
	// older version ("Cannot update record due to old timestamp").
	seed := sftest.DemoSeed().Clone()
	for _, r := range seed.Object(demoObject).Records {
		if r[demoExtID] == "d5cc51fc-08cb-49e8-aea1-f5d9e28a3da1" {
			r["nplms__Updated_At__c"] = "2026-03-01T00:00:00Z"
		}
	}
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = true
	// One row fails validation in Salesforce.
	srv.FailRow("a69a48a7-ab97-49c8-8e45-6418321d7025", "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--")
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil || sum.Status != backfill.StatusRowsFailed {
		t.Fatalf("import: %v, status %q; want %q", err, sum.Status, backfill.StatusRowsFailed)
	}
	checkInvariant(t, cfg.Out, sum)
	if sum.Outcomes["failed"] != 1 || sum.Outcomes["created"] != 21 {
		t.Errorf("outcomes %v", outcomes(sum))
	}
	// The plan saw the newer version: that row stays stale and nothing is sent for it.
	if sum.Outcomes["updated"] != 2 || sum.Outcomes["already_newer"] != 0 || sum.Outcomes["stale"] != 1 {
		t.Errorf("of the 3 stale rows 2 should be updated and 1 left stale: %v", outcomes(sum))
	}
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Key == "d5cc51fc-08cb-49e8-aea1-f5d9e28a3da1" && (l.Outcome != runfolder.Stale || !strings.Contains(l.Detail, "Salesforce holds a newer version")) {
			t.Errorf("newer-in-Salesforce row: %+v", l)
		}
	}
	var failed []string
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Outcome == runfolder.Failed {
			failed = append(failed, l.Key+" "+l.Detail)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "Learner is archived") {
		t.Errorf("failed rows: %q", failed)
	}
	b, _ := os.ReadFile(filepath.Join(cfg.Out, "error.csv"))
	if !strings.Contains(string(b), "Learner is archived") {
		t.Errorf("error.csv:\n%s", b)
	}
	// The per-day counts carry each row's final outcome: the failed row is not "to load".
	byDay := map[string]int{}
	for _, d := range sum.ByDay {
		for o, n := range d.Outcomes {
			byDay[o] += n
		}
	}
	for _, o := range []string{"created", "updated", "already_newer", "failed"} {
		if byDay[o] != sum.Outcomes[o] {
			t.Errorf("per-day %s: %d, the summary says %d", o, byDay[o], sum.Outcomes[o])
		}
	}
	if byDay["to_insert"]+byDay["to_update"] != 0 {
		t.Errorf("per-day counts still hold planned rows: %v", byDay)
	}
}

// TestAlreadyNewerSinceThePlan: a record the live sync changed after the plan (its Updated
// At now later than the upload's) is refused by the package as "old timestamp" and ends
// already_newer, not failed.
func TestAlreadyNewerSinceThePlan(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.UpdateStale = true
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	const key = "d5cc51fc-08cb-49e8-aea1-f5d9e28a3da1"
	if err := srv.EditRecord(demoObject, extIDs(t, srv, demoObject, demoExtID)[key]["Id"].(string),
		map[string]any{"nplms__Updated_At__c": "2026-03-01T00:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	sum, err := loaded(backfill.ImportPlan(t.Context(), importPlan(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes["already_newer"] != 1 || sum.Outcomes["failed"] != 0 {
		t.Errorf("outcomes %v", outcomes(sum))
	}
	for _, l := range ledgerLines(t, cfg.Out) {
		if l.Key == key && (l.Outcome != runfolder.AlreadyNewer || !strings.Contains(l.Detail, "old timestamp")) {
			t.Errorf("old-timestamp row: %+v", l)
		}
	}
}

func TestImportReviewedPlan(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	dir := cfg.Out

	// A plan whose to_import.csv was edited after review is refused.
	tampered := filepath.Join(t.TempDir(), "tampered")
	copyDir(t, dir, tampered)
	f, _ := os.OpenFile(filepath.Join(tampered, "to_import.csv"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("extra,row@example.com,,,,,,,,,\n")
	f.Close()
	load := importPlan(orgConfig(t, srv))
	load.Dir = tampered
	if _, err := backfill.ImportPlan(t.Context(), load); !isA[*runfolder.SealError](err) || !strings.Contains(err.Error(), "changed since the plan") {
		t.Fatalf("tampered plan: %v", err)
	}

	// A plan made for another org is refused.
	other := sftest.NewServer(t)
	load = importPlan(orgConfig(t, other))
	load.Dir = dir
	if _, err := backfill.ImportPlan(t.Context(), load); !isA[*backfill.OrgError](err) || !strings.Contains(err.Error(), "the plan was made for") {
		t.Fatalf("other org: %v", err)
	}
	if other.Calls()["ingest-create"] != 0 {
		t.Fatalf("a refused plan created jobs")
	}

	// Meanwhile the live sync creates one of the planned records.
	if _, err := srv.AddRecord(demoObject, map[string]any{demoExtID: "e6a2f3a5-ae10-4080-82c1-448318f2c403",
		"nplms__Learner_Email__c": "mei.rivera@example.com", "nplms__Updated_At__c": "2026-01-01T00:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	load = importPlan(orgConfig(t, srv))
	load.Dir = dir
	sum, err := loaded(backfill.ImportPlan(t.Context(), load))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, dir, sum)
	// The upsert matched it (no duplicate) and the package kept its newer data.
	sameCounts(t, "import --plan", outcomes(sum), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "created": 21, "already_newer": 1})
	recs := extIDs(t, srv, demoObject, demoExtID)
	if len(recs) != 12+22 {
		t.Errorf("org has %d records, want %d", len(recs), 34)
	}
	for _, name := range []string{"plan-ledger.csv", "plan-summary.json", "success.csv", "error.csv", "journal.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run folder lacks %s", name)
		}
	}
	// Importing the same plan again is safe: already finished, nothing sent.
	creates := srv.Calls()["ingest-create"]
	if res, err := backfill.ImportPlan(t.Context(), load); err != nil || !res.AlreadyDone {
		t.Fatalf("the plan again: %v, %+v", err, res)
	}
	if srv.Calls()["ingest-create"] != creates {
		t.Errorf("a finished plan was loaded again")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o700)
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(from, e.Name()))
		os.WriteFile(filepath.Join(to, e.Name()), b, 0o600)
	}
}

// TestImportSurvivesFaults: the session expires every few calls (the JWT flow logs in
// again), and queries and uploads meet 503s; the result is exact.
func TestImportSurvivesFaults(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Org.Credentials = sfclient.Credentials{ClientID: "3MVG9backfill.demo.client.id",
		Username: "northpass.integration@demo.example.com", JWTKeyFile: "../testdata/orgs/demo-jwt-key.pem"}
	cfg.Org.LoginURL = srv.URL
	cfg.Org.MaxUploadBytes = 1500 // several parts, several jobs
	srv.ExpireSessionsAfter(4)
	srv.Fail503(2, "query", true)
	srv.Fail503(2, "ingest-upload", false)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, cfg.Out, sum)
	sameCounts(t, "faulty import", outcomes(sum), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "created": 22})
	if len(sum.Jobs) < 3 {
		t.Errorf("want the upload split into several jobs, got %d", len(sum.Jobs))
	}
	if sum.APICalls["auth"] < 3 {
		t.Errorf("sessions expired but only %d logins", sum.APICalls["auth"])
	}
	if got := len(extIDs(t, srv, demoObject, demoExtID)); got != 34 {
		t.Errorf("org has %d records, want 34", got)
	}
}

// TestOtherAPINames: an org whose namespace and field API names differ from the demo's works
// through labels.
func TestOtherAPINames(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t, sftest.WithSeed(sftest.OtherNamesSeed()))
	cfg := orgConfig(t, srv)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Object != "np2__Course_Enrollment__c" || sum.ExternalIDField != "np2__ExtId__c" {
		t.Errorf("discovered %s.%s", sum.Object, sum.ExternalIDField)
	}
	checkInvariant(t, cfg.Out, sum)
	sameCounts(t, "other names", outcomes(sum), map[string]int{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "created": 22})
	extIDs(t, srv, "np2__Course_Enrollment__c", "np2__ExtId__c")
}

func TestPlanDiscoveryErrors(t *testing.T) {
	t.Parallel()
	noPkg := sftest.DemoSeed().Clone()
	noPkg.Packages = nil
	srv := sftest.NewServer(t, sftest.WithSeed(noPkg))
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); !isA[*backfill.TargetError](err) || !strings.Contains(err.Error(), "Northpass package is not installed") {
		t.Errorf("no package: %v", err)
	}
	// --object and --external-id-field override discovery, even without the package.
	cfg = orgConfig(t, srv)
	cfg.Target.Object, cfg.Target.ExternalIDField = demoObject, demoExtID
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Errorf("with overrides: %v", err)
	}
	cfg = orgConfig(t, srv)
	cfg.Target.Object, cfg.Target.ExternalIDField = demoObject, "nplms__Learner_Email__c"
	if _, err := backfill.Plan(t.Context(), cfg); !isA[*backfill.TargetError](err) || !strings.Contains(err.Error(), "not an External ID field") {
		t.Errorf("non-external-id override: %v", err)
	}
	if _, err := os.Stat(cfg.Out); !os.IsNotExist(err) {
		t.Errorf("a failed plan left its run folder")
	}
}

func TestImportAsksFirst(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	for _, tt := range []struct {
		name, answer string
		stdin        bool
		wantErr      error
		wantCreated  int
	}{
		{"no terminal and no --yes", "", false, backfill.ErrCannotAsk, 0},
		{"answered no", "no\n", true, backfill.ErrCancelled, 0},
		{"answered yes", "yes\n", true, nil, 22},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := orgConfig(t, srv)
			var out bytes.Buffer
			if tt.stdin {
				cfg.Confirm = report.Confirm(strings.NewReader(tt.answer), &out)
			}
			creates := srv.Calls()["ingest-create"]
			sum, err := backfill.Import(t.Context(), backfill.ImportOptions{PlanOptions: cfg})
			out.WriteString(printed(t, sum))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("import: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if srv.Calls()["ingest-create"] != creates {
					t.Errorf("jobs were created without a yes")
				}
				if !strings.Contains(out.String(), "to_insert") {
					t.Errorf("the plan summary was not shown before asking:\n%s", out.String())
				}
				return
			}
			if !strings.Contains(out.String(), "Type yes to continue") || sum.Outcomes["created"] != tt.wantCreated {
				t.Errorf("created %d\n%s", sum.Outcomes["created"], out.String())
			}
		})
	}
}

func TestPlanWithSDLMapping(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	os.WriteFile(export, []byte("Key,Mail,When,Pct,Junk\nk1,a@example.com,2025-12-01 10:00,50%,x\nk2,b@example.com,2025-10-01 10:00,10,y\n"), 0o600)
	sdl := filepath.Join(dir, "map.sdl")
	os.WriteFile(sdl, []byte("# Data Loader mapping\nKey=nplms__External_Id__c\nMail=nplms__Learner_Email__c\nWhen=nplms__Enrollment_Date__c\nPct=nplms__Progress_Percentage__c\n\"enrolled\"=nplms__Status__c\n"), 0o600)
	cfg := orgConfig(t, srv)
	cfg.Export.File, cfg.Target.Mapping = export, sdl
	cfg.Export.KeyColumn, cfg.Export.DateColumns = "Key", []string{"When"}
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "sdl plan", outcomes(sum), map[string]int{"before_cutoff": 1, "to_insert": 1})
	if len(sum.Unmapped) != 1 || sum.Unmapped[0] != "Junk (not in "+sdl+")" {
		t.Errorf("unmapped = %q", sum.Unmapped)
	}
	b, _ := os.ReadFile(filepath.Join(cfg.Out, "to_import.csv"))
	want := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Enrollment_Date__c,nplms__Progress_Percentage__c,nplms__Status__c\n" +
		"k1,a@example.com,2025-12-01T10:00:00.000Z,50,enrolled\n"
	if string(b) != want {
		t.Errorf("to_import.csv:\n%s\nwant\n%s", b, want)
	}
}

// TestRecheckScansWhenCheaper: with many planned keys and a small org, import --plan re-checks
// existence with one scan of the object instead of hundreds of IN queries, and still counts
// the records created since the plan.
func TestRecheckScansWhenCheaper(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	f, _ := os.Create(export)
	gen := csvdifftest.Config{Rows: 3000, From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.Add(30 * 24 * time.Hour)}
	if err := csvdifftest.Export(f, gen); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := orgConfig(t, srv)
	cfg.Export.File = export
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddRecord(demoObject, map[string]any{demoExtID: string(gen.Key(5)), "nplms__Learner_Email__c": "x@example.com"}); err != nil {
		t.Fatal(err)
	}
	queries := srv.Calls()["query"] + srv.Calls()["query-more"]
	load := importPlan(cfg)
	load.Load.SkipPreflight = true // count the re-check's queries alone
	if _, err := backfill.ImportPlan(t.Context(), load); err != nil {
		t.Fatal(err)
	}
	// The login reads the Organization and the running User (2 queries); the scan takes 2.
	if got := srv.Calls()["query"] + srv.Calls()["query-more"] - queries; got > 4 {
		t.Errorf("the import made %d queries; the login takes 2 and a scan of a %d-record org 2", got, 13)
	}
	logb, _ := os.ReadFile(filepath.Join(cfg.Out, "run.log"))
	if !bytes.Contains(logb, []byte(`"msg":"existence re-checked","planned_updates":0,"now_existing":1`)) {
		t.Errorf("run.log does not report the one record created since the plan")
	}
}

// TestTwoPlansAtOnce: two jobs in one process, against two orgs, each with its own front
// end, do not interfere: each plan holds its own org's outcomes, names its own org in the
// seal, and each observer sees only its own job's steps, every one started and ended.
func TestTwoPlansAtOnce(t *testing.T) {
	t.Parallel()
	other := sftest.DemoSeed().Clone()
	other.Organization.ID, other.Organization.Name = "00D5g000000OTHEREAA", "Other Customer"
	for _, r := range other.Object(demoObject).Records {
		r["nplms__Progress_Percentage__c"] = 0.125 // every record it holds differs from the export
	}
	orgs := []*sftest.Server{sftest.NewServer(t), sftest.NewServer(t, sftest.WithSeed(other))}
	type watched struct {
		mu     sync.Mutex
		open   map[int64]bool
		steps  int
		sum    *backfill.Summary
		err    error
		folder string
	}
	runs := make([]*watched, len(orgs))
	var wg sync.WaitGroup
	for i, srv := range orgs {
		w := &watched{open: map[int64]bool{}}
		runs[i] = w
		o := orgConfig(t, srv)
		o.Progress = backfill.ObserverFunc(func(e backfill.Event) {
			w.mu.Lock()
			defer w.mu.Unlock()
			switch e.Phase {
			case backfill.PhaseStart:
				w.open[e.ID] = true
				w.steps++
			case backfill.PhaseEnd:
				delete(w.open, e.ID)
			default:
				if !w.open[e.ID] {
					t.Errorf("org %d: an event of a step it never started: %+v", i, e)
				}
			}
		})
		w.folder = o.Out
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.sum, w.err = backfill.Plan(t.Context(), o)
		}()
	}
	wg.Wait()
	want := []map[string]int{
		{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "exists": 5, "stale": 3, "to_insert": 22},
		{"rejected": 2, "before_cutoff": 10, "duplicate": 3, "stale": 8, "to_insert": 22},
	}
	for i, w := range runs {
		if w.err != nil {
			t.Fatalf("plan %d: %v", i, w.err)
		}
		sameCounts(t, fmt.Sprintf("plan %d", i), outcomes(w.sum), want[i])
		var p runfolder.Plan
		if err := (&runfolder.Folder{Dir: w.folder}).ReadJSON(runfolder.PlanFile, &p); err != nil {
			t.Fatal(err)
		}
		if wantOrg := []string{sftest.DemoSeed().Organization.ID, other.Organization.ID}[i]; p.Seal.OrgID != wantOrg || p.InstanceURL != orgs[i].URL {
			t.Errorf("plan %d sealed for %s at %s, want %s at %s", i, p.Seal.OrgID, p.InstanceURL, wantOrg, orgs[i].URL)
		}
		if w.steps < 3 || len(w.open) != 0 {
			t.Errorf("plan %d: %d steps observed, %d never ended", i, w.steps, len(w.open))
		}
	}
}

// TestFolderCommandsReuseThePlannedLogin: a command on a run folder given only credentials
// logs in as the plan did (its instance URL), so a printed hint runs as printed; plan.json
// and summary.json record the login (no secret) and the org.
func TestFolderCommandsReuseThePlannedLogin(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if o := sum.Org; o == nil || o.ID != sftest.DemoSeed().Organization.ID || o.InstanceURL != srv.URL || o.Sandbox ||
		o.User != "northpass.integration@demo.example.com" || o.Login == nil || o.Login.Flow != "access-token" || o.Login.InstanceURL != srv.URL {
		t.Fatalf("summary org %+v", sum.Org)
	}
	b := readFile(t, cfg.Out, runfolder.PlanFile)
	if strings.Contains(b, srv.AccessToken()) || !strings.Contains(b, `"flow": "access-token"`) {
		t.Errorf("plan.json's login:\n%s", b)
	}
	o := folder(cfg)
	o.Org = sfclient.Config{Credentials: cfg.Org.Credentials, PollInterval: cfg.Org.PollInterval}
	if _, run, err := backfill.Verify(t.Context(), backfill.VerifyOptions{FolderOptions: o}); err != nil || !run.OK() {
		t.Fatalf("verify with the credentials alone: %v, %+v", err, run)
	}
}
