package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
)

func runPlan(ctx context.Context, e *env, args []string) error {
	var o backfill.PlanOptions
	var lo logOptions
	fs := newFlagSet("plan", "backfill plan --export FILE [flags]", `
Dry run: read the export, discover the Enrollment object and its fields in Salesforce, look
up which candidate keys already exist (SOQL), and write a run folder people can review:
report.html, summary.json, ledger.csv (one line per data row with its outcome), to_import.csv
(exactly what import would upload: field API names, Bulk API value forms), skipped.csv,
rejects.csv and plan.json. Changes nothing in Salesforce; reports the API calls used.

Outcomes: rejected, before_cutoff, duplicate, exists, stale, to_insert, to_update (with
--update-stale).`+orgHelp)
	ef := addExportFlags(fs, &o.Export, &o.Out)
	markRequired(fs, "export", "(required)")
	out := addOutputFlags(fs, "the summary on stdout: table or json")
	addTargetFlags(fs, &o.Target)
	fs.BoolVar(&o.UpdateStale, "update-stale", false, "also upsert rows Salesforce has with different values (planned as to_update)")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "leave out of the upload (as rejected) the rows describe says Salesforce will refuse: restricted picklist values, empty required fields, bad emails, values too long or out of range")
	addMaxRejected(fs, ef)
	addOrgFlags(fs, &o.Org)
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 0, &lo, []*sfclient.Config{&o.Org}, ef, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front = s.front
	sum, err := backfill.Plan(ctx, o)
	return e.printSummary(sum, out.format, err)
}
