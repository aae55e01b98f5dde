package backfill_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// The job prints nothing itself; these helpers give it the front end cmd/backfill gives it
// (report.html through package report, the command line's words) and show its results as
// cmd/backfill does.

// cli is the front end of the command line, as far as the run folder goes: report.html and
// the flags and commands sentences name.
func cli(t *testing.T) backfill.Front {
	return backfill.Front{Logger: zaptest.NewLogger(t), Render: report.View{Words: report.Shell{}}.Renderer(), Words: report.Shell{}}
}

// org is a login to srv with fast polling and retries.
func org(srv *sftest.Server) sfclient.Config {
	return sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 2 * time.Millisecond, MaxPollInterval: 10 * time.Millisecond,
		Retry: sfclient.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}

// orgConfig is a plan of the sample export against srv into a fresh folder.
func orgConfig(t *testing.T, srv *sftest.Server) backfill.PlanOptions {
	t.Helper()
	o := backfill.PlanOptions{Front: cli(t), Export: backfill.NewExportOptions(), Org: org(srv), Out: filepath.Join(t.TempDir(), "run")}
	o.Export.File = sample
	return o
}

// imp is the import of o's plan, without asking.
func imp(o backfill.PlanOptions) backfill.ImportOptions {
	return backfill.ImportOptions{PlanOptions: o, Load: backfill.LoadOptions{Yes: true}}
}

// folder is the run folder o plans into, with its front end and login.
func folder(o backfill.PlanOptions) backfill.FolderOptions {
	return backfill.FolderOptions{Front: o.Front, Dir: o.Out, Org: o.Org}
}

// importPlan loads the plan reviewed in o's folder, without asking.
func importPlan(o backfill.PlanOptions) backfill.ImportPlanOptions {
	return backfill.ImportPlanOptions{FolderOptions: folder(o), Load: backfill.LoadOptions{Yes: true}}
}

// loaded is ImportPlan's summary (nil when it returned none) and error.
func loaded(res *backfill.LoadResult, err error) (*backfill.Summary, error) {
	if res == nil {
		return nil, err
	}
	return res.Summary, err
}

// isA reports whether err is, or wraps, an error of type T.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// printed is the summary table a command prints for sum.
func printed(t *testing.T, sum *backfill.Summary) string {
	t.Helper()
	if sum == nil {
		return ""
	}
	var b bytes.Buffer
	if err := report.PrintSummary(&b, sum, "table"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// runPreflight runs Preflight and prints its report in format, as the preflight command does.
func runPreflight(t *testing.T, o backfill.PreflightOptions, format string) (*backfill.PreflightReport, string, error) {
	t.Helper()
	rep, err := backfill.Preflight(t.Context(), o)
	if rep == nil {
		return nil, "", err
	}
	var b bytes.Buffer
	if perr := report.PrintPreflight(&b, rep, format); perr != nil {
		t.Fatal(perr)
	}
	return rep, b.String(), err
}
