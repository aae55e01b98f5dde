// Package runfolder is the format of a backfill run folder, the tool's database: resume,
// import --plan, verify and undo read what earlier commands wrote. It owns the file names
// ([SummaryFile], [LedgerFile], ...), plan.json ([Plan]), the journal ([Journal],
// [Folder.ReadJournal]), the ledger ([LedgerWriter], [Folder.ReadLedger]), the result files
// ([Folder.AppendResults], [Folder.ReadResults]), the outcome vocabulary ([Outcome]) and how
// files are replaced without ever leaving half of one ([Folder.WriteFile]).
//
// It knows nothing of Salesforce beyond the names of the Bulk API result columns, and
// nothing of how the files are presented to people.
package runfolder
