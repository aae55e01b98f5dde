package backfill_test

import (
	"bytes"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

// The job prints nothing itself; these helpers show its results as cmd/backfill does, with
// package report.

// wire fills the hooks cmd/backfill fills: report.html through report.Render.
func wire(cfg backfill.Config) backfill.Config {
	cfg.Hooks.Render = report.Render
	return cfg
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
func runPreflight(t *testing.T, cfg backfill.Config, format string) (*backfill.PreflightReport, string, error) {
	t.Helper()
	rep, err := backfill.Preflight(t.Context(), wire(cfg))
	if rep == nil {
		return nil, "", err
	}
	var b bytes.Buffer
	if perr := report.PrintPreflight(&b, rep, format); perr != nil {
		t.Fatal(perr)
	}
	return rep, b.String(), err
}
