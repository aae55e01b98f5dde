package backfill

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
)

// Retry: the way forward after a load whose rows failed or were left unprocessed. The rows
// go again as a new round, a run folder of its own inside the import's (DIR/retry-1, then
// DIR/retry-2, ...): planned from the rows as they were uploaded (or from the user's
// corrected copy of error.csv), existence checked again, sealed, journaled, loaded, with its
// own ledger, before-image, verify and undo. Each round retries the rows no round has loaded
// yet.

// RetryPrefix is how a retry round's folder inside the import's run folder is named: the
// prefix, then the round's number.
const RetryPrefix = "retry-"

// RetryInputSuffix ends the name of the file a round is planned from, beside the round's
// folder (DIR/retry-1.csv): the rows it loads, with the headers of to_import.csv.
const RetryInputSuffix = ".csv"

// Sentinels of a retry that cannot start.
var (
	// ErrNothingToRetry: the newest round's rows all loaded (none failed or unprocessed).
	ErrNothingToRetry = errors.New("no row failed or was left unprocessed: nothing to retry")
	// ErrNotRetried: a row of the corrected file is not one of the rows to retry.
	ErrNotRetried = errors.New("is not a row that failed or was left unprocessed")
)

// RetryError is a retry that cannot start on the import in Dir: nothing to retry.
type RetryError struct {
	Dir string
	Err error
}

func (e *RetryError) Error() string { return fmt.Sprintf("%s: %v", e.Dir, e.Err) }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryResult is what [Retry] returns: the round's folder, and its summary as the round's
// import ended (nil when it was not loaded).
type RetryResult struct {
	Round   string
	Summary *Summary
}

// Retry loads the rows of the import in opts.Dir that failed or were left unprocessed, and
// that no retry round loaded since, again, as a new round in a folder of its own inside
// Dir (see [RetryPrefix]). Without File each row goes as it was last uploaded (its line of
// the to_import.csv of the round where it last failed); with File, from that file (the
// user's corrected copy of error.csv or unprocessed.csv), read back exactly: its values as
// written (a column it leaves out, or a cell an older backfill neutralised with an
// apostrophe, goes as uploaded), its headers the uploaded API names (Salesforce's sf__
// columns are dropped), every row one of the rows to retry. The round is
// planned like an import, with the plan's object, external id field, cutoff and
// --update-stale, and loaded like one (preflight, confirmation unless Load.Yes, the
// journal). The import's folder stays locked while the round runs.
func Retry(ctx context.Context, opts RetryOptions) (*RetryResult, error) {
	j := newJob(opts.Front)
	defer j.close()
	w, err := openImported(ctx, j, &opts.FolderOptions, CmdRetry)
	if err != nil {
		return nil, err
	}
	defer w.folder.Unlock()
	rounds, err := w.retryRounds()
	if err != nil {
		return nil, err
	}
	res := &RetryResult{Round: filepath.Join(opts.Dir, RetryPrefix+strconv.Itoa(len(rounds)+1))}
	pending, err := w.pendingRows(rounds)
	if err != nil {
		return nil, err
	}
	if len(pending) == 0 {
		return nil, &RetryError{Dir: opts.Dir, Err: ErrNothingToRetry}
	}
	input := res.Round + RetryInputSuffix
	if err := w.writeRetryInput(input, opts.File, append([]*runfolder.Folder{w.folder}, rounds...), pending); err != nil {
		return nil, err
	}
	plan, err := w.retryPlan(input, res.Round)
	if err != nil {
		return nil, err
	}
	plan.Front, plan.Org = opts.Front, opts.Org
	j.close() // the round's import logs into the round's own run.log
	res.Summary, err = Import(ctx, ImportOptions{PlanOptions: plan, Load: opts.Load})
	return res, err
}

// RetryRound is one retry round of an import, as a verify or an undo of the import's folder
// covered it: the round's folder and its own run (nil when there was nothing left to do).
type RetryRound struct {
	Dir    string     `json:"dir"`
	Verify *VerifyRun `json:"verify,omitempty"`
	Undo   *UndoRun   `json:"undo,omitempty"`
}

// RetryRounds returns the folders of the retry rounds of the import in dir, in order
// (DIR/retry-1, DIR/retry-2, ... as far as they exist).
func RetryRounds(dir string) []string {
	var out []string
	for n := 1; ; n++ {
		round := filepath.Join(dir, RetryPrefix+strconv.Itoa(n))
		if fi, err := os.Stat(round); err != nil || !fi.IsDir() {
			return out
		}
		out = append(out, round)
	}
}

// retryRounds returns the import's retry rounds in order, each a finished import: a round
// planned but not loaded, or not finished, is refused (load or resume it first). A round's
// folder left unfinished (.partial) is not a round: the next plan of the same name replaces
// it, as any run folder's.
func (w *workFolder) retryRounds() ([]*runfolder.Folder, error) {
	var rounds []*runfolder.Folder
	for _, dir := range RetryRounds(w.dir) {
		f, err := runfolder.Open(dir)
		if err != nil {
			return nil, &FolderError{Dir: dir, Want: CmdRetry, Err: ErrNotRunFolder, Cause: err}
		}
		st, err := f.ReadJournal()
		switch {
		case err != nil:
			return nil, &FolderError{Dir: dir, Want: CmdRetry, File: f.Path(runfolder.JournalFile), Err: ErrJournalDamaged, Cause: err}
		case st.Missing:
			return nil, &FolderError{Dir: dir, Want: CmdRetry, Err: ErrJournalLost, File: f.Path(runfolder.JournalFile)}
		case !st.Started:
			return nil, &FolderError{Dir: dir, Want: CmdRetry, Err: ErrNeverImported}
		case !st.Finished:
			return nil, &FolderError{Dir: dir, Want: CmdRetry, Err: ErrImportRunning}
		}
		if err := f.CheckSums(st.Sums); err != nil {
			return nil, err
		}
		rounds = append(rounds, f)
	}
	return rounds, nil
}

// pendingRows maps each row still to retry (by key, folded when keys compare
// case-insensitively) to the folder whose error.csv or unprocessed.csv holds it as last
// uploaded: the import's failed and unprocessed rows, less those a round loaded since
// (a round's own failed and unprocessed rows are then its own; a row the round rejected or
// left out stays where it was).
func (w *workFolder) pendingRows(rounds []*runfolder.Folder) (map[string]*runfolder.Folder, error) {
	pending := map[string]*runfolder.Folder{}
	for _, f := range append([]*runfolder.Folder{w.folder}, rounds...) {
		err := f.ReadLedger(runfolder.LedgerFile, func(e runfolder.Entry) error {
			switch e.Outcome {
			case runfolder.Failed, runfolder.Unprocessed:
				pending[w.foldKey(e.Key)] = f
			case runfolder.Created, runfolder.Updated, runfolder.AlreadyNewer, runfolder.Exists, runfolder.Stale:
				delete(pending, w.foldKey(e.Key))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return pending, nil
}

func (w *workFolder) foldKey(key string) string {
	if w.info.FoldKeys {
		return strings.ToLower(key)
	}
	return key
}

// writeRetryInput writes the round's input to path: the rows to retry, each as last
// uploaded (from the to_import.csv of the folder where it last failed, folders in order:
// byte for byte what was sent), or from file with the user's changes, under the plan's
// uploaded columns that any of them holds. A column file leaves out goes as uploaded, and
// so does a cell that is the uploaded value with an apostrophe put before it (a result file
// written by an older backfill neutralised formulas so): the user did not change it.
func (w *workFolder) writeRetryInput(path, file string, folders []*runfolder.Folder, pending map[string]*runfolder.Folder) error {
	var rows []map[string]string
	has := map[string]bool{}
	keep := func(row map[string]string) {
		for c := range row {
			has[c] = true
		}
		rows = append(rows, row)
	}
	uploaded := map[string]map[string]string{}
	for _, f := range folders {
		err := w.readRetryRows(f.Path(runfolder.ToImportFile), func(key string, row map[string]string) error {
			if k := w.foldKey(key); pending[k] == f {
				uploaded[k] = row
				if file == "" {
					keep(row)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if file != "" {
		err := w.readRetryRows(file, func(key string, row map[string]string) error {
			up, ok := uploaded[w.foldKey(key)]
			if !ok {
				return ErrNotRetried
			}
			for c, u := range up {
				if v, ok := row[c]; !ok || v == "'"+u {
					row[c] = u // a column left out, or a cell unchanged, goes as uploaded
				}
			}
			keep(row)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return &RetryError{Dir: w.dir, Err: ErrNothingToRetry}
	}
	var header []string
	for _, c := range w.info.Fields {
		if has[c] {
			header = append(header, c)
		}
	}
	var buf bytes.Buffer
	out := csv.NewWriter(&buf)
	out.Write(header)
	rec := make([]string, len(header))
	for _, row := range rows {
		for i, c := range header {
			rec[i] = row[c]
		}
		out.Write(rec)
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// readRetryRows reads the rows of name, calling keep with each row's key and uploaded
// columns by header; an error from keep refuses the row (it is given the row's line). Columns Salesforce adds (sf__Id, sf__Error, sf__Created) are
// dropped; every other header must be one the plan uploads, the external id field among
// them.
func (w *workFolder) readRetryRows(name string, keep func(key string, row map[string]string) error) error {
	f, err := os.Open(name)
	if err != nil {
		return &csvdiff.FileError{File: name, Err: err}
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err == io.EOF {
		return &csvdiff.FileError{File: name, Line: 1, Err: errors.New("is empty: no header"),
			Hint: "pass a copy of error.csv or unprocessed.csv with its header line"}
	}
	if err != nil {
		return &csvdiff.FileError{File: name, Err: err}
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a spreadsheet's byte order mark
	}
	cols := map[string]int{}
	for i, h := range header {
		switch _, twice := cols[h]; {
		case strings.HasPrefix(h, "sf__"):
			continue
		case !slices.Contains(w.info.Fields, h):
			return &csvdiff.FileError{File: name, Line: 1,
				Err:  fmt.Errorf("column %d, %q, is not a field the plan uploads", i+1, h),
				Hint: fmt.Sprintf("keep the header line as the load wrote it: %s (sf__ columns may stay)", strings.Join(w.info.Fields, ","))}
		case twice:
			return &csvdiff.FileError{File: name, Line: 1, Err: fmt.Errorf("column %q is there twice", h)}
		}
		cols[h] = i
	}
	keyCol, ok := cols[w.info.ExternalIDField]
	if !ok {
		return &csvdiff.FileError{File: name, Line: 1, Err: fmt.Errorf("has no column %s, the external id", w.info.ExternalIDField),
			Hint: "keep the header line as the load wrote it"}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &csvdiff.FileError{File: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		row := make(map[string]string, len(cols))
		for h, i := range cols {
			row[h] = rec[i]
		}
		if err := keep(rec[keyCol], row); err != nil {
			return &csvdiff.FileError{File: name, Line: line, Err: fmt.Errorf("%s %q %w in %s", w.info.ExternalIDField, rec[keyCol], err, w.dir),
				Hint: "retry loads again only the rows that failed or were left unprocessed: leave the others out of the file"}
		}
	}
}

// retryPlan returns the options that plan the round: its input read as to_import.csv's
// columns (named by their API names), with the plan's object, external id field, cutoff
// (on the fields the cutoff columns were loaded into) and --update-stale. A rejected row
// is the round's own outcome: the limit is the whole round, as its header is checked.
func (w *workFolder) retryPlan(input, round string) (PlanOptions, error) {
	o := PlanOptions{Export: NewExportOptions(), UpdateStale: w.info.UpdateStale, Out: round}
	o.Export.File, o.Export.KeyColumn, o.Export.Since = input, w.info.ExternalIDField, w.summary.Cutoff
	all := 100.0
	o.Export.MaxRejected = &all
	o.Target.Object, o.Target.ExternalIDField = w.info.Object, w.info.ExternalIDField
	fieldOf := func(column string) string {
		for _, m := range w.info.Mapping {
			if csvdiff.Canonical(m.Column) == csvdiff.Canonical(column) {
				return m.Field
			}
		}
		return ""
	}
	for _, c := range w.summary.DateColumns {
		f := fieldOf(c)
		if f == "" {
			return o, fmt.Errorf("the cutoff column %q was not loaded into a field: its rows cannot be planned again from what was uploaded", c)
		}
		o.Export.DateColumns = append(o.Export.DateColumns, f)
	}
	o.Target.OrderBy = OrderNone
	if f := fieldOf(w.summary.OrderBy); w.summary.OrderBy != "" && f != "" {
		o.Target.OrderBy = f
	}
	o.Export.UpdatedColumn = "-"
	if w.summary.UpdatedColumn != "" {
		if f := fieldOf(w.summary.UpdatedColumn); f != "" {
			o.Export.UpdatedColumn = f
		}
	}
	return o, nil
}

// writeFileAtomic writes b to path through a temporary file in the same folder.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
