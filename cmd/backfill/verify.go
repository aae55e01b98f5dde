package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

func runVerify(ctx context.Context, e *env, args []string) error {
	var o backfill.VerifyOptions
	var lo logOptions
	fs := newFlagSet("verify", "backfill verify DIR [flags]", `
Prove an import: read back from Salesforce every record the import in DIR created or updated
(batched IN queries on the external id, or one scan when cheaper) and compare every mapped
field with the value uploaded in to_import.csv, as plan compares (dates as instants, numbers
as numbers). Writes verify.csv (key, outcome, detail; a second verify writes verify-2.csv,
never overwriting): match; differs (the field API names and both values); missing (no record
with the key); newer (Salesforce holds a later Updated At than the upload: counts as a
match). The run is added to summary.json and report.html. The retry rounds of the import
(DIR/retry-N, written by backfill retry) are verified with it, each in its own folder. Reads
only. Exit code 0 when every record matches, 3 otherwise.`+orgHelp)
	out := addFolderFlags(fs, &o.FolderOptions, "the verify run on stdout: table or json")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 1, &lo, []*sfclient.Config{&o.Org}, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front, o.Dir = s.front, s.args[0]
	_, run, err := backfill.Verify(ctx, o)
	if run == nil {
		return err
	}
	if err := report.PrintVerify(e.stdout, o.Dir, run, out.format); err != nil {
		return err
	}
	return verifyEnd(o.Dir, run)
}

// verifyEnd is exit 3, naming the verify files, unless every record of run (and of its
// retry rounds) matched.
func verifyEnd(dir string, run *backfill.VerifyRun) error {
	if run.OK() {
		return nil
	}
	own := *run
	own.Rounds = nil
	runs := []backfill.RetryRound{{Dir: dir, Verify: &own}}
	bad, records := 0, 0
	var files []string
	for _, r := range append(runs, run.Rounds...) {
		n := r.Verify.Outcomes[backfill.VerifyDiffers] + r.Verify.Outcomes[backfill.VerifyMissing]
		bad, records = bad+n, records+r.Verify.Records
		if n > 0 {
			files = append(files, filepath.Join(r.Dir, r.Verify.File))
		}
	}
	names := "names each one"
	if len(files) > 1 {
		names = "name each one"
	}
	return &cliError{msg: fmt.Sprintf("%s of %s do not hold what was loaded", backfill.Plural(bad, "record"), backfill.Group(int64(records))),
		hint: fmt.Sprintf("%s %s and why (differs: the fields and both values)", strings.Join(files, ", "), names), code: exitRowsFailed}
}
