package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
)

func runClean(ctx context.Context, e *env, args []string) error {
	var o backfill.CleanOptions
	var lo logOptions
	fs := newFlagSet("clean", "backfill clean --export FILE --existing FILE [flags]", `
Offline: diff the CE Data Export against a CSV of the Enrollment records already in Salesforce
(a report or a Data Loader export) without any API access. Writes a run folder with
to_import.csv (the export's own header, values byte for byte, ready for Data Loader with
upsert on the External id), ledger.csv (one line per data row with its outcome), skipped.csv,
rejects.csv and summary.json, and prints a summary table.

Outcomes: rejected, before_cutoff, duplicate, exists, to_insert.`)
	ef := addExportFlags(fs, &o.Export, &o.Out)
	fs.StringVar(&o.Existing, "existing", "", "CSV of the records already in Salesforce")
	markRequired(fs, "export", "(required)")
	markRequired(fs, "existing", "(required)")
	fs.StringVar(&o.ExistingKeyColumn, "existing-key-column", "", "its key column (default: the \"External Id\" column)")
	fs.StringVar(&o.ExistingIDColumn, "existing-id-column", "", "its Salesforce Id column, shown in the ledger; \"-\" for none (default: an \"Id\" column when present)")
	fs.BoolVar(&o.CaseSensitiveKeys, "case-sensitive-keys", false, "compare keys case-sensitively (default: case-insensitively, as Salesforce compares External ID fields unless they are \"Unique, case-sensitive\")")
	addMaxRejected(fs, ef)
	out := addOutputFlags(fs, "the summary on stdout: table or json")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 0, &lo, nil, ef, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front = s.front
	sum, err := backfill.Clean(ctx, o)
	return summaryEnd(sum, "", e.printSummary(sum, out.format, err))
}
