// Package report shows what the job did, to people: the summary table and its JSON form on
// stdout ([PrintSummary]), the preflight checklist ([PrintPreflight]), report.html
// ([Render]), the progress of long steps ([NewProgress]) and the question asked before an
// import writes to Salesforce ([Confirm]).
//
// The job (package backfill) never imports this package: it returns results and calls the
// hooks of backfill.Hooks, which cmd/backfill fills from here. So the job can be driven and
// tested without a terminal, and a new way of showing results never touches the job.
package report
