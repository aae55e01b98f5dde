package backfill_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestImportRunsBlockingPreflight: import (fresh, --plan and resume) writes nothing to an
// org that preflight fails (exit 4), unless --skip-preflight, which the summary then says.
func TestImportRunsBlockingPreflight(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		seed  func(t *testing.T, s *sftest.Seed)
		setup func(t *testing.T, srv *sftest.Server, cfg *backfill.PlanOptions)
		check int
	}{
		{"--sandbox against production", nil, func(t *testing.T, srv *sftest.Server, cfg *backfill.PlanOptions) { cfg.Org.Sandbox = true }, 1},
		// The guide's rule is the live sync's: it must not run as a System Administrator.
		{"the live sync as a System Administrator", syncAsAdmin, func(*testing.T, *sftest.Server, *backfill.PlanOptions) {}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seed := sftest.DemoSeed()
			if tt.seed != nil {
				tt.seed(t, seed)
			}
			srv := sftest.NewServer(t, sftest.WithSeed(seed))
			cfg := orgConfig(t, srv)
			tt.setup(t, srv, &cfg)
			_, err := backfill.Import(t.Context(), imp(cfg))
			var pe *backfill.PreflightError
			if !errors.As(err, &pe) || pe.Report.Check(tt.check).Status != backfill.CheckFail {
				t.Fatalf("import: %v, want check %d to fail", err, tt.check)
			}
			if n := srv.Calls()["ingest-create"]; n != 0 {
				t.Errorf("%d jobs created despite the failed check", n)
			}
			// import --plan of the plan that was written refuses too.
			load := importPlan(cfg)
			if _, err := backfill.ImportPlan(t.Context(), load); !isA[*backfill.PreflightError](err) {
				t.Errorf("import --plan: %v, want a preflight refusal", err)
			}
			// --skip-preflight loads, and says so.
			load.Load.SkipPreflight = true
			sum, err := loaded(backfill.ImportPlan(t.Context(), load))
			if err != nil || sum.Outcomes["created"] != 22 {
				t.Fatalf("import --plan --skip-preflight: %v %v", err, sum)
			}
			if !hasWarning(sum, "preflight", "--skip-preflight") {
				t.Errorf("the summary does not say preflight was skipped: %+v", sum.Warnings)
			}
		})
	}
}

// TestPlanShowsPreflightFailures: plan changes nothing, but its summary shows what an
// import would refuse on.
func TestPlanShowsPreflightFailures(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Org.Sandbox = true
	sum, err := backfill.Plan(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Preflight) != 1 || sum.Preflight[0].ID != 1 || !hasWarning(sum, "preflight", "import would refuse") {
		t.Errorf("preflight %+v, warnings %+v", sum.Preflight, sum.Warnings)
	}
	if !strings.Contains(printed(t, sum), "WARNING: import would refuse to load this plan: preflight check 1 (login and org)") {
		t.Errorf("stdout:\n%s", printed(t, sum))
	}
}

// TestImportPlanRefusesShapingFlags: import --plan loads the plan as reviewed; a flag that
// would shape a plan exits 2 naming the plan's own value.
func TestImportPlanRefusesShapingFlags(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	if _, err := backfill.Plan(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	for opt, want := range map[backfill.Option]string{
		backfill.OptSince:       "2025-11-20T00:00:00Z",
		backfill.OptUpdateStale: "false",
		backfill.OptMapping:     "",
		backfill.OptObject:      "",
	} {
		load := importPlan(cfg)
		load.Shaping = map[backfill.Option]string{opt: "x"}
		_, err := backfill.ImportPlan(t.Context(), load)
		var se *backfill.ShapingError
		if !errors.As(err, &se) || len(se.Given) != 1 || se.Given[0] != opt || se.Planned[opt] != want {
			t.Errorf("%s: %v (%+v), want it refused, planned as %q", opt, err, se, want)
		}
	}
	if n := srv.Calls()["ingest-create"]; n != 0 {
		t.Errorf("%d jobs created", n)
	}
}

// TestMaxRejected: above --max-rejected plan writes its folder but exits 2, import refuses
// before any write, and import --plan refuses the plan unless its own --max-rejected allows.
func TestMaxRejected(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Export.MaxRejected = percent(2) // the sample has 2 rejected rows of 45: 4.4%
	sum, err := backfill.Plan(t.Context(), cfg)
	var re *backfill.RejectedError
	if !errors.As(err, &re) || sum == nil || !errors.Is(err, backfill.ErrTooManyRejected) || re.Rejected != 2 || re.Rows != 45 || re.Max != 2 ||
		sum.Status != backfill.StatusTooManyRejected || sum.MaxRejected != 2 {
		t.Fatalf("plan: %v (%+v), status %q", err, re, sum.Status)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "plan.json")); err != nil {
		t.Errorf("the plan was not written for review: %v", err)
	}
	if !hasWarning(sum, "rejected", "2 rows of 45 (4.4%) were rejected") {
		t.Errorf("warnings %+v", sum.Warnings)
	}
	load := importPlan(cfg)
	load.MaxRejected = percent(2)
	if _, err := backfill.ImportPlan(t.Context(), load); !isA[*backfill.RejectedError](err) {
		t.Errorf("import --plan above --max-rejected: %v", err)
	}
	fresh := orgConfig(t, srv)
	fresh.Export.MaxRejected = percent(2)
	if _, err := backfill.Import(t.Context(), imp(fresh)); !isA[*backfill.RejectedError](err) {
		t.Errorf("import above --max-rejected: %v", err)
	}
	if n := srv.Calls()["ingest-create"]; n != 0 {
		t.Errorf("%d jobs created", n)
	}
	load.MaxRejected = percent(5)
	if _, err := backfill.ImportPlan(t.Context(), load); err != nil {
		t.Errorf("import --plan --max-rejected 5: %v", err)
	}
}

// TestSinceForms: --since takes the forms the data takes; a slash date that reads both ways
// is refused; a cutoff in the future is a warning.
func TestSinceForms(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in, format string
		want       time.Time
		err        string
	}{
		{"2025-11-20", "", day, ""},
		{"2025-11-20 00:00", "", day, ""},
		{"2025-11-20T00:00:00Z", "", day, ""},
		{"2025-11-20T01:00:00+01:00", "", day, ""},
		{"11/20/2025", "", day, ""},
		{"20/11/2025", "", day, ""},
		{"20.11.2025", "", day, ""},
		{"20/11/2025 00:00", "d/M/yyyy H:mm", day, ""},
		{"02/12/2025", "", time.Time{}, "could be read month-first or day-first: write it as 2025-02-12 or 2025-12-02"},
		{"last tuesday", "", time.Time{}, "want a date like"},
	} {
		got, err := backfill.ParseSince(tt.in, tt.format)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseSince(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("ParseSince(%q, %q) = %v, %v; want %v", tt.in, tt.format, got, err, tt.want)
		}
	}
	cfg := cleanOptions(t)
	cfg.Now = nil
	cfg.Export.File, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	cfg.Export.Since = time.Now().Add(48 * time.Hour)
	sum, err := backfill.Clean(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(sum, "cutoff", "is in the future") {
		t.Errorf("warnings %+v", sum.Warnings)
	}
}

// TestDateFormatRefusedAtOnce: a --date-format that cannot describe a date exits 2 before
// anything is read or asked of Salesforce.
func TestDateFormatRefusedAtOnce(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Export.DateFormat = "garbage"
	_, err := backfill.Plan(t.Context(), cfg)
	var oe *backfill.OptionError
	if !errors.As(err, &oe) || oe.Option != backfill.OptDateFormat || !strings.Contains(err.Error(), `"garbage" is not a date layout`) {
		t.Errorf("plan: %v", err)
	}
	if n := srv.TotalCalls(); n != 0 {
		t.Errorf("%d calls to Salesforce", n)
	}
}

func hasWarning(sum *backfill.Summary, kind, text string) bool {
	for _, w := range sum.Warnings {
		if w.Kind == kind && strings.Contains(w.Message, text) {
			return true
		}
	}
	return false
}

// TestAdminMayLoad: an administrator logged in as itself (sf org login web) loads a plan:
// check 3 passes with the note that the records show it as Created By, and they do.
func TestAdminMayLoad(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	tok, err := srv.NewAccessToken(pfAdmin)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Org.Credentials.AccessToken = tok
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil || sum.Outcomes["created"] != 22 {
		t.Fatalf("import as an admin: %v (%v)", err, sum)
	}
	rep, err := backfill.Preflight(t.Context(), backfill.PreflightOptions{Front: cli(t), Org: cfg.Org, Export: backfill.NewExportOptions()})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Check(3); c.Status != backfill.CheckPass || !strings.Contains(c.Message, "will show "+pfAdmin+" as Created By") {
		t.Errorf("check 3 for an admin: %s %q", c.Status, c.Message)
	}
	const admin = "0055g0000000102AAA" // the demo seed's System Administrator
	n := 0
	for _, rec := range srv.Records(demoObject) {
		if rec["CreatedById"] == admin {
			n++
		}
	}
	if n != 22 {
		t.Errorf("%d records show the admin as Created By, want the 22 loaded", n)
	}
}
