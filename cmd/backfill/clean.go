package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
)

// exportFlags binds the flags that describe how to read the export; clean, plan and import
// share them.
type exportFlags struct {
	since string
}

func addExportFlags(fs *pflag.FlagSet, cfg *backfill.Config, ef *exportFlags) {
	fs.StringVar(&cfg.Export, "export", "", "the emailed CE Data Export CSV (required)")
	fs.StringVar(&ef.since, "since", cfg.Since.Format("2006-01-02T15:04:05Z07:00"), "cutoff: rows dated on or after it are kept; a bare date means midnight UTC")
	fs.StringArrayVar(&cfg.DateColumns, "date-column", nil, "column the cutoff applies to (repeatable; a row is kept when any is on or after --since) (default: the \"Enrollment Date\" column)")
	fs.StringVar(&cfg.KeyColumn, "key-column", "", "export column holding the external id (default: the \"External Id\" column)")
	fs.StringVar(&cfg.UpdatedColumn, "updated-column", "", "column that decides which duplicate wins, latest first; \"-\" for none (default: \"Updated At\" when present)")
	fs.StringVar(&cfg.DateFormat, "date-format", "", "force one date format, e.g. \"dd/MM/yyyy HH:mm\" or a Go layout (default: ISO 8601, YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY [H:MM[:SS] [AM|PM]])")
	fs.StringVar(&cfg.Encoding, "encoding", "utf-8", "input encoding: utf-8 or windows-1252")
	fs.StringVar(&cfg.Out, "out", "", "run folder to create; never overwritten (default backfill-runs/<UTC timestamp>)")
	fs.StringVar(&cfg.Format, "format", "table", "stdout summary: table or json (summary.json)")
	fs.BoolVar(&cfg.SkippedBeforeCutoff, "skipped-before-cutoff", false, "also copy before_cutoff rows into skipped.csv (they are always in ledger.csv)")
}

func (ef *exportFlags) apply(cfg *backfill.Config) error {
	t, err := backfill.ParseSince(ef.since)
	if err != nil {
		return backfill.UsageError("", "%v", err)
	}
	cfg.Since = t
	return nil
}

func runClean(ctx context.Context, e *env, args []string) error {
	cfg := backfill.DefaultConfig()
	var ef exportFlags
	var lo logOptions
	fs := newFlagSet("clean", "backfill clean --export FILE --existing FILE [flags]", `
Offline: diff the CE Data Export against a CSV of the Enrollment records already in Salesforce
(a report or a Data Loader export) without any API access. Writes a run folder with
to_import.csv (the export's own header, values byte for byte, ready for Data Loader with
upsert on the External id), ledger.csv (one line per data row with its outcome), skipped.csv,
rejects.csv and summary.json, and prints a summary table.

Outcomes: rejected, before_cutoff, duplicate, exists, to_insert.`)
	addExportFlags(fs, &cfg, &ef)
	fs.StringVar(&cfg.Existing, "existing", "", "CSV of the records already in Salesforce (required)")
	fs.StringVar(&cfg.ExistingKeyColumn, "existing-key-column", "", "its key column (default: the \"External Id\" column)")
	fs.StringVar(&cfg.ExistingIDColumn, "existing-id-column", "", "its Salesforce Id column, shown in the ledger; \"-\" for none (default: an \"Id\" column when present)")
	addLogFlags(fs, &lo)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return backfill.UsageError("run 'backfill clean --help'", "unexpected argument %q", fs.Arg(0))
	}
	if err := ef.apply(&cfg); err != nil {
		return err
	}
	log, err := newLogger(e.stderr, lo)
	if err != nil {
		return backfill.UsageError("", "%v", err)
	}
	defer log.Sync()
	cfg.Logger = log
	cfg.Quiet = lo.quiet
	_, err = backfill.Clean(ctx, cfg, e.stdout)
	return err
}
