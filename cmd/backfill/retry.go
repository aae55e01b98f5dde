package main

import (
	"context"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
)

func runRetry(ctx context.Context, e *env, args []string) error {
	var o backfill.RetryOptions
	var lo logOptions
	fs := newFlagSet("retry", "backfill retry DIR [--file FIXED.csv] [flags]", `
Load the rows of the import in DIR that failed or were left unprocessed again, as a new
round: a run folder of its own inside DIR (DIR/retry-1, then DIR/retry-2, ...), planned
from those rows (existence checked again), sealed, journaled and loaded like an import,
with its own ledger, before-image, error.csv and undo. Each retry takes the rows that no
round has loaded yet, each as it was last uploaded.

Without --file the rows go as they were uploaded (a lock, a limit or a validation rule since
fixed in Salesforce). With --file, they go from your corrected copy of error.csv (or
unprocessed.csv), read exactly as written: keep its header line (the sf__ columns may stay
or go), fix the values, delete the rows you do not want loaded now (they stay to retry); a row
that is not one to retry is refused. backfill verify DIR and backfill undo DIR cover every
round (undo takes the newest back first); backfill undo DIR/retry-N takes one round back.
Exit code 3 when any row of the round failed again.`+orgHelp)
	out := addFolderFlags(fs, &o.FolderOptions, "the round's summary on stdout: table or json")
	fs.StringVar(&o.File, "file", "", "load this corrected copy of error.csv instead of the rows as they were uploaded")
	fs.BoolVarP(&o.Load.Yes, "yes", "y", false, "do not ask for confirmation")
	fs.BoolVar(&o.Load.SkipPreflight, "skip-preflight", false, "load without running preflight's blocking checks first")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 1, &lo, []*sfclient.Config{&o.Org}, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front, o.Dir = s.front, s.args[0]
	res, err := backfill.Retry(ctx, o)
	if res == nil || res.Summary == nil {
		return err
	}
	return summaryEnd(res.Summary, res.Round, e.printSummary(res.Summary, out.format, e.printBlocked(res.Summary, err)))
}
