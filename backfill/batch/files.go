package batch

// The files of a batch folder besides the customers' run folders.
const (
	RollupCSV   = "batch.csv"   // the roll-up, a line per customer
	RollupJSON  = "batch.json"  // the same, with each customer's failing checks and warnings
	RollupHTML  = "batch.html"  // one table, each row linking that customer's report.html
	RunbookCopy = "runbook.csv" // the runbook the batch was planned from, its files absolute
	replacedDir = ".replaced"   // plans replaced by a new batch plan, kept
)
