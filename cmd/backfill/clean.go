package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

func runClean(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	var out outputFlags
	fs := newFlagSet("clean", "backfill clean --export FILE --existing FILE [flags]", `
Offline: diff the CE Data Export against a CSV of the Enrollment records already in Salesforce
(a report or a Data Loader export) without any API access. Writes a run folder with
to_import.csv (the export's own header, values byte for byte, ready for Data Loader with
upsert on the External id), ledger.csv (one line per data row with its outcome), skipped.csv,
rejects.csv and summary.json, and prints a summary table.

Outcomes: rejected, before_cutoff, duplicate, exists, to_insert.`)
	addExportFlags(fs, &cfg, &ef)
	fs.StringVar(&cfg.Existing, "existing", "", "CSV of the records already in Salesforce")
	markRequired(fs, "export", "(required)")
	markRequired(fs, "existing", "(required)")
	fs.StringVar(&cfg.ExistingKeyColumn, "existing-key-column", "", "its key column (default: the \"External Id\" column)")
	fs.StringVar(&cfg.ExistingIDColumn, "existing-id-column", "", "its Salesforce Id column, shown in the ledger; \"-\" for none (default: an \"Id\" column when present)")
	fs.BoolVar(&cfg.CaseSensitiveKeys, "case-sensitive-keys", false, "compare keys case-sensitively (default: case-insensitively, as Salesforce compares External ID fields unless they are \"Unique, case-sensitive\")")
	addMaxRejected(fs, &ef)
	addOutputFlags(fs, &out, "the summary on stdout: table or json")
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill clean --help'", "unexpected argument %q", fs.Arg(0))
	}
	if err := ef.apply(fs, &cfg); err != nil {
		return err
	}
	if err := out.resolve(fs); err != nil {
		return err
	}
	done, err := e.setupJob(&cfg, lo)
	if err != nil {
		return err
	}
	defer done()
	sum, err := backfill.Clean(ctx, cfg)
	return e.printSummary(sum, out.format, err)
}

// printSummary prints sum (when the job got that far) and returns the job's error.
func (e *env) printSummary(sum *backfill.Summary, format string, err error) error {
	if sum != nil {
		if perr := report.PrintSummary(e.stdout, sum, format); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}
