package main

import (
	"context"
	"fmt"
	"path/filepath"

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
match). The run is added to summary.json and report.html. Reads only. Exit code 0 when every
record matches, 3 otherwise.`+orgHelp)
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

// verifyEnd is exit 3, naming the verify file, unless every record of run matched.
func verifyEnd(dir string, run *backfill.VerifyRun) error {
	if run.OK() {
		return nil
	}
	bad := run.Outcomes[backfill.VerifyDiffers] + run.Outcomes[backfill.VerifyMissing]
	return &cliError{msg: fmt.Sprintf("%s of %s do not hold what was loaded", backfill.Plural(bad, "record"), backfill.Group(int64(run.Records))),
		hint: fmt.Sprintf("%s names each one and why (differs: the fields and both values)", filepath.Join(dir, run.File)), code: exitRowsFailed}
}
