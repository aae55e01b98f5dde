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
	admin := func(t *testing.T, srv *sftest.Server) string {
		tok, err := srv.NewAccessToken("admin@demo.example.com")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, srv *sftest.Server, cfg *backfill.Config)
		check int
	}{
		{"--sandbox against production", func(t *testing.T, srv *sftest.Server, cfg *backfill.Config) { cfg.Org.Sandbox = true }, 1},
		{"a System Administrator", func(t *testing.T, srv *sftest.Server, cfg *backfill.Config) {
			cfg.Org.Credentials.AccessToken = admin(t, srv)
		}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := sftest.NewServer(t)
			cfg := orgConfig(t, srv)
			tt.setup(t, srv, &cfg)
			_, err := backfill.Import(t.Context(), wire(cfg))
			var pe *backfill.PreflightError
			if !errors.As(err, &pe) || backfill.ExitCode(err) != backfill.ExitPreflight || pe.Report.Check(tt.check).Status != backfill.CheckFail {
				t.Fatalf("import: %v (exit %d), want check %d to fail with exit 4", err, backfill.ExitCode(err), tt.check)
			}
			if n := srv.Calls()["ingest-create"]; n != 0 {
				t.Errorf("%d jobs created despite the failed check", n)
			}
			// import --plan of the plan that was written refuses too.
			imp := cfg
			imp.Export, imp.Out, imp.PlanDir = "", "", cfg.Out
			if _, err := backfill.Import(t.Context(), wire(imp)); backfill.ExitCode(err) != backfill.ExitPreflight {
				t.Errorf("import --plan: %v, want exit 4", err)
			}
			// --skip-preflight loads, and says so.
			imp.SkipPreflight = true
			sum, err := backfill.Import(t.Context(), wire(imp))
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
	sum, err := backfill.Plan(t.Context(), wire(cfg))
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
	if _, err := backfill.Plan(t.Context(), wire(cfg)); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{
		"since":        "was made with --since 2025-11-20T00:00:00Z",
		"update-stale": "was made with --update-stale false",
		"mapping":      "was made with --mapping its default",
		"object":       "was made with --object its default",
	} {
		imp := orgConfig(t, srv)
		imp.Export, imp.Out, imp.PlanDir = "", "", cfg.Out
		imp.PlanFlags = map[string]string{flag: "x"}
		_, err := backfill.Import(t.Context(), wire(imp))
		if backfill.ExitCode(err) != backfill.ExitUsage || !strings.Contains(err.Error(), "--"+flag+" cannot be used with --plan") ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("--%s: %v", flag, err)
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
	cfg.MaxRejected = percent(2) // the sample has 2 rejected rows of 45: 4.4%
	sum, err := backfill.Plan(t.Context(), wire(cfg))
	if backfill.ExitCode(err) != backfill.ExitUsage || sum == nil || !errors.Is(err, backfill.ErrTooManyRejected) ||
		!strings.Contains(err.Error(), "2 rows of 45 (4.4%) rejected, above --max-rejected 2%") {
		t.Fatalf("plan: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "plan.json")); err != nil {
		t.Errorf("the plan was not written for review: %v", err)
	}
	if !hasWarning(sum, "rejected", "2 rows of 45 (4.4%) were rejected") {
		t.Errorf("warnings %+v", sum.Warnings)
	}
	imp := orgConfig(t, srv)
	imp.Export, imp.Out, imp.PlanDir, imp.MaxRejected = "", "", cfg.Out, percent(2)
	if _, err := backfill.Import(t.Context(), wire(imp)); backfill.ExitCode(err) != backfill.ExitUsage {
		t.Errorf("import --plan above --max-rejected: %v", err)
	}
	fresh := orgConfig(t, srv)
	fresh.MaxRejected = percent(2)
	if _, err := backfill.Import(t.Context(), wire(fresh)); backfill.ExitCode(err) != backfill.ExitUsage {
		t.Errorf("import above --max-rejected: %v", err)
	}
	if n := srv.Calls()["ingest-create"]; n != 0 {
		t.Errorf("%d jobs created", n)
	}
	imp.MaxRejected = percent(5)
	if _, err := backfill.Import(t.Context(), wire(imp)); err != nil {
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
	cfg := backfill.DefaultConfig()
	cfg.Export, cfg.Existing = "../backfill/demo/sample/export.csv", "../backfill/demo/sample/existing.csv"
	cfg.Out = filepath.Join(t.TempDir(), "run")
	cfg.Since = time.Now().Add(48 * time.Hour)
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
	cfg.DateFormat = "garbage"
	_, err := backfill.Plan(t.Context(), wire(cfg))
	if backfill.ExitCode(err) != backfill.ExitUsage || !strings.Contains(err.Error(), `--date-format "garbage" is not a date layout`) {
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
