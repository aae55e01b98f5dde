// Package backfill runs the Northpass to Salesforce backfill job: it reads the CE Data Export,
// keeps the rows that belong in Salesforce, checks which ones Salesforce already has, writes a
// run folder a person can review, and loads the rest through the Bulk API 2.0.
//
// # Pipeline
//
// Every data row of the export ends in exactly one outcome (see [Outcome]) recorded in the
// run folder's ledger.csv:
//
//	export.csv -> validate -> cutoff -> dedup -> exists in Salesforce? -> plan -> upsert -> results
//
// The CSV work is done by package csvdiff, which knows nothing of Salesforce; everything that
// speaks to Salesforce lives in package sfclient. This package ties them together and owns
// the run folder.
package backfill
