package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
)

func runApprove(ctx context.Context, e *env, args []string) error {
	var o backfill.ApproveOptions
	var lo logOptions
	fs := newFlagSet("approve", "backfill approve DIR --by NAME [--note TEXT]", `
Record that the plan in DIR (written by backfill plan) was reviewed and may be loaded: who
approved it (--by), when, and what they say (--note) go into plan.json under a seal of their
own that covers the plan's, and report.html shows them. Offline: no login. A plan is approved
once, before its load starts; an edited approval breaks the seal like an edited plan.
backfill import --plan DIR shows the approval, and with --require-approval refuses a plan
nobody approved (exit 2).`)
	fs.StringVar(&o.By, "by", "", "who approves: a name or an email, as the team names people")
	fs.StringVar(&o.Note, "note", "", "what the approver says or checked, recorded with the approval")
	markRequired(fs, "by", "(required)")
	out := addOutputFlags(fs, "the approval on stdout: table or json")
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 1, &lo, nil, out)
	if err != nil {
		return err
	}
	defer s.done()
	o.Front, o.Dir = s.front, s.args[0]
	a, err := backfill.Approve(ctx, o)
	if err != nil {
		return err
	}
	if out.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	_, err = fmt.Fprintf(e.stdout, "backfill approve: the plan in %s is approved %s\norg:           %s\nnext:          %s\n", o.Dir, report.ApprovalLine(a), a.Org,
		sh.Command(backfill.CmdImportPlan, o.Dir)+" "+report.Flag(backfill.OptRequireApproval))
	return err
}
