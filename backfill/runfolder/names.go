package runfolder

// The files of a run folder (docs/CONTRACT.md §5.2). Code names them only through these
// constants.
const (
	SummaryFile       = "summary.json"      // counts and choices of the run
	LedgerFile        = "ledger.csv"        // the final outcome of every data row
	ToImportFile      = "to_import.csv"     // exactly what is (or would be) uploaded
	SkippedFile       = "skipped.csv"       // rows left out on purpose after the cutoff
	RejectsFile       = "rejects.csv"       // rows that cannot be used
	ReportFile        = "report.html"       // the report people read
	RunLogFile        = "run.log"           // the structured log (JSON lines)
	PlanFile          = "plan.json"         // what import --plan and resume load
	JournalFile       = "journal.jsonl"     // every Bulk step, for resume
	SuccessFile       = "success.csv"       // rows Salesforce created or updated
	ErrorFile         = "error.csv"         // rows Salesforce refused
	UnprocessedFile   = "unprocessed.csv"   // rows of jobs that ended before processing them
	PlanLedgerFile    = "plan-ledger.csv"   // the plan's ledger, kept by import
	PlanSummaryFile   = "plan-summary.json" // the plan's summary, kept by import
	PlanReportFile    = "plan-report.html"  // the reviewed plan's report, kept by import
	BeforeFile        = "before.csv"        // what the records plan updates held (the before-image)
	BeforeImportFile  = "before-import.csv" // what the records import --plan overwrote held
	VerifyFile        = "verify.csv"        // verify's outcome per loaded record (then verify-2.csv, ...)
	UndoFile          = "undo.json"         // the undo's plan: what it deletes and restores
	UndoPlanFile      = "undo-plan.csv"     // per record: what undo does, and why
	UndoDeleteFile    = "undo-delete.csv"   // the Ids undo deletes (a Bulk delete job)
	UndoUpdateFile    = "undo-update.csv"   // the before-images undo restores (a Bulk update job)
	UndoLedgerFile    = "undo-ledger.csv"   // undo's outcome per record
	UndoDeleteJournal = "undo-delete.jsonl" // the undo's delete jobs, for resume
	UndoUpdateJournal = "undo-update.jsonl" // the undo's update jobs, for resume
	DifferencesFile   = "differences.csv"   // per stale or to-update row, each differing field's two values
)

// Describe returns the one-line description of a run-folder file for summaries and the
// report, or "".
func Describe(name string) string { return descriptions[name] }

var descriptions = map[string]string{
	SummaryFile:       "counts and choices",
	LedgerFile:        "one line per data row with its outcome",
	ToImportFile:      "the rows to load",
	SkippedFile:       "rows left out after the cutoff (duplicates, already present)",
	RejectsFile:       "rows that cannot be used, with the reason",
	ReportFile:        "the report to read and approve (open it in a browser)",
	RunLogFile:        "the run's log (JSON lines)",
	PlanFile:          "what import --plan loads: object, external id, parts, checksums",
	JournalFile:       "every Bulk step, for backfill resume",
	SuccessFile:       "rows Salesforce created or updated (sf__Id, sf__Created, then the uploaded columns)",
	ErrorFile:         "rows Salesforce refused (sf__Id, sf__Error, then the uploaded columns)",
	UnprocessedFile:   "rows of jobs that ended before processing them (the uploaded columns)",
	PlanLedgerFile:    "the reviewed plan's ledger",
	PlanSummaryFile:   "the reviewed plan's summary",
	PlanReportFile:    "the reviewed plan's report",
	BeforeFile:        "what the records to update held before (for undo)",
	BeforeImportFile:  "what the records import overwrote held, read just before loading (for undo)",
	VerifyFile:        "one line per loaded record: match, differs, missing or newer",
	UndoFile:          "the undo's plan: object, parts, what it deletes and restores",
	UndoPlanFile:      "one line per record: what undo does (delete, restore, skip) and why",
	UndoDeleteFile:    "the Ids undo deletes",
	UndoUpdateFile:    "the values undo restores, by Id",
	UndoLedgerFile:    "one line per record: deleted, restored, restore_refused, skipped_changed or failed",
	UndoDeleteJournal: "the undo's delete jobs, for backfill resume",
	UndoUpdateJournal: "the undo's update jobs, for backfill resume",
	DifferencesFile:   "the values of the stale and to-update rows: Salesforce's, the export's, which is newer",
}

// Described is a run-folder file with its description.
type Described struct{ Name, Desc string }

// Imported lists the files of a finished import's folder, in the order summaries list them,
// described as they are once the import is done (the result files' descriptions are
// [Describe]'s; a summary adds their row counts).
func Imported() []Described {
	return []Described{
		{SummaryFile, "counts and choices (the plan's: plan-summary.json)"},
		{ReportFile, descriptions[ReportFile]},
		{PlanReportFile, descriptions[PlanReportFile]},
		{LedgerFile, "final outcome of every data row (the plan's: plan-ledger.csv)"},
		{SuccessFile, descriptions[SuccessFile]},
		{ErrorFile, descriptions[ErrorFile]},
		{UnprocessedFile, descriptions[UnprocessedFile]},
		{ToImportFile, "exactly what was uploaded (parts/ holds the parts the load added)"},
		{SkippedFile, "rows left out after the cutoff (duplicates, already present, stale)"},
		{RejectsFile, descriptions[RejectsFile]},
		{DifferencesFile, descriptions[DifferencesFile]},
		{PlanFile, "the plan that was loaded"},
		{JournalFile, descriptions[JournalFile]},
		{JobsDir + "/", "each Bulk job's result files as Salesforce sent them"},
		{RunLogFile, descriptions[RunLogFile]},
	}
}
