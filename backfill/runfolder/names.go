package runfolder

// The files of a run folder (DESIGN.md section 3). Code names them only through these
// constants.
const (
	SummaryFile     = "summary.json"      // counts and choices of the run
	LedgerFile      = "ledger.csv"        // the final outcome of every data row
	ToImportFile    = "to_import.csv"     // exactly what is (or would be) uploaded
	SkippedFile     = "skipped.csv"       // rows left out on purpose after the cutoff
	RejectsFile     = "rejects.csv"       // rows that cannot be used
	ReportFile      = "report.html"       // the report people read
	RunLogFile      = "run.log"           // the structured log (JSON lines)
	PlanFile        = "plan.json"         // what import --plan and resume load
	JournalFile     = "journal.jsonl"     // every Bulk step, for resume
	SuccessFile     = "success.csv"       // rows Salesforce created or updated
	ErrorFile       = "error.csv"         // rows Salesforce refused
	UnprocessedFile = "unprocessed.csv"   // rows of jobs that ended before processing them
	PlanLedgerFile  = "plan-ledger.csv"   // the plan's ledger, kept by import
	PlanSummaryFile = "plan-summary.json" // the plan's summary, kept by import
)

// Describe returns the one-line description of a run-folder file for summaries and the
// report, or "".
func Describe(name string) string { return descriptions[name] }

var descriptions = map[string]string{
	SummaryFile:     "counts and choices",
	LedgerFile:      "one line per data row with its outcome",
	ToImportFile:    "the rows to load",
	SkippedFile:     "rows left out after the cutoff (duplicates, already present)",
	RejectsFile:     "rows that cannot be used, with the reason",
	ReportFile:      "the report to read and approve (open it in a browser)",
	RunLogFile:      "the run's log (JSON lines)",
	PlanFile:        "what import --plan loads: object, external id, parts, checksums",
	JournalFile:     "every Bulk step, for backfill resume",
	SuccessFile:     "rows Salesforce created or updated (sf__Id, sf__Created, then the uploaded columns)",
	ErrorFile:       "rows Salesforce refused (sf__Id, sf__Error, then the uploaded columns)",
	UnprocessedFile: "rows of jobs that ended before processing them (the uploaded columns)",
	PlanLedgerFile:  "the reviewed plan's ledger",
	PlanSummaryFile: "the reviewed plan's summary",
}
