// Package batch runs the backfill for many customers at once: a runbook (a CSV, one
// customer a line: its name, its Salesforce CLI alias, its export and the plan's options
// by their option names) drives the same jobs the single commands run, each customer into
// its own run folder under one batch folder, DIR/<customer>/, at most Parallel orgs at
// once.
//
// Each customer's [State] is read from its run folder every time, never kept apart: a
// single command run on one folder of a batch (an import of its reviewed plan, a resume, a
// verify, an undo) moves that customer on as the batch command would, and the batch sees
// what it did. The roll-up (batch.csv, batch.json and batch.html: one table, each row
// linking that customer's report.html) is rewritten by every batch command, as each
// customer ends and once at the end. The only things the batch keeps of its own are the
// runbook's copy (runbook.csv, its files made absolute) and, in batch.json, the error that
// stopped the last command on a customer, kept while that customer's state is the same.
//
// Politeness: customers of one org (the same alias, or once planned the same Organization
// Id) run one after the other, so each org's limits are judged (preflight check 5) by one
// job at a time; each customer has its own login and its own retries, so a slow or failing
// org holds one of the Parallel slots and never the others. Memory does not grow with the
// number of customers: at most Parallel jobs run, and a customer's row is a few hundred
// bytes.
//
// Package batch is a front end of package backfill: like the command line it fills each
// job's Front and maps its typed results and errors, but it names no flag and no command
// line. Its sentences name options and commands through [backfill.Words] (the batch's own
// commands are the Cmd constants here); cmd/backfill says them as a shell does.
package batch
