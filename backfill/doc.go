// Package backfill runs the Northpass to Salesforce backfill job: it reads the CE Data Export,
// keeps the rows that belong in Salesforce, checks which ones Salesforce already has, writes a
// run folder a person can review, and loads the rest through the Bulk API 2.0.
//
// # Pipeline
//
// Every data row of the export ends in exactly one outcome ([runfolder.Outcome]) recorded in
// the run folder's ledger.csv; docs/CONTRACT.md §4 lists them:
//
//	export.csv -> validate -> cutoff -> dedup -> exists in Salesforce? -> plan -> upsert -> results
//
// The CSV work is done by package csvdiff, which knows nothing of Salesforce; everything that
// speaks to Salesforce lives in package sfclient. This package ties them together and owns
// the run folder.
//
// # The jobs and their front ends
//
// Each job is a function taking its options: [Clean], [Plan], [Import], [ImportPlan],
// [Resume], [Verify], [Undo], [Preflight]. Every options struct embeds [Front], what the front
// end that runs the job gives it (the command line, a web page, a batch): a logger, an
// [Observer] of progress [Event]s, the question before a load, the report's renderer, and
// the [Words] that name its own controls in the job's sentences. A job never prints, never
// exits and changes no process-wide state: several run in one process at once.
//
// A job that ran to its end returns its result (a [Summary] whose Status says how it ended,
// a [PreflightReport], a [VerifyRun], an [UndoRun]) and no error. Errors say what stopped it
// in facts a front end can act on: [*OptionError] (an option's value), [*FolderError] (a run
// folder that cannot be used for the job), [*ShapingError], [*OrgError], [*LoginError],
// [*RejectedError], [*ConfirmError], [*PreflightError], [*StoppedError] (a load that can be
// resumed), [*TargetError], and runfolder's SealError and InUseError. Only a front end turns
// them into exit codes, hints or pixels.
package backfill
