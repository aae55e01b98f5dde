package runfolder

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/gocarina/gocsv"

	"github.com/northpass-tools/backfill/csvdiff"
)

// LedgerWriter writes ledger.csv: the header line,key,outcome,detail, then one line per data
// row. Cells are neutralised for spreadsheets (see [csvdiff.Writer]); [ReadLedger] undoes
// that. It is the hot path of a large run (one call per data row) and does not allocate.
type LedgerWriter struct {
	w *csvdiff.Writer
}

// NewLedgerWriter writes the header to w and returns the writer. Call Flush at the end.
func NewLedgerWriter(w io.Writer) (*LedgerWriter, error) {
	lw := &LedgerWriter{w: csvdiff.NewWriter(w, true)}
	return lw, lw.w.WriteStrings("line", "key", "outcome", "detail")
}

// Write writes one row's line. The line number and the outcome name never need quoting or
// neutralising, so only the key and the detail go through the field encoder.
func (lw *LedgerWriter) Write(line int, key []byte, o Outcome, detail string) error {
	b := strconv.AppendInt(lw.w.Buffer(), int64(line), 10)
	b = append(b, ',')
	b = lw.w.AppendField(b, key)
	b = append(b, ',')
	b = append(b, o.String()...)
	b = append(b, ',')
	if detail != "" {
		b = lw.w.AppendField(b, []byte(detail))
	}
	return lw.w.WriteRecord(b)
}

// Flush writes what is buffered.
func (lw *LedgerWriter) Flush() error { return lw.w.Flush() }

// Entry is one line of ledger.csv, with the spreadsheet neutralising undone.
type Entry struct {
	Line    int
	Key     string
	Outcome Outcome
	Detail  string
}

// ledgerRow is how gocsv decodes a line.
type ledgerRow struct {
	Line    int    `csv:"line"`
	Key     string `csv:"key"`
	Outcome string `csv:"outcome"`
	Detail  string `csv:"detail"`
}

// ReadLedger streams the ledger file name of the folder through fn, in file order. An
// unknown outcome or a line that is not line,key,outcome,detail is an error naming the line.
//
// gocarina/gocsv is used here, and only here: our own file, typed rows, decoded from an
// encoding/csv reader we own, so the row numbers are ours; gocsv's package-global settings are never touched.
func (f *Folder) ReadLedger(name string, fn func(e Entry) error) error {
	r, err := os.Open(f.Path(name))
	if err != nil {
		return err
	}
	defer r.Close()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	var ferr error
	n := 1
	err = gocsv.UnmarshalDecoderToCallback(gocsv.NewSimpleDecoderFromCSVReader(cr), func(row ledgerRow) {
		n++
		if ferr != nil {
			return
		}
		o, ok := ParseOutcome(row.Outcome)
		if !ok {
			ferr = fmt.Errorf("%s: record %d: unknown outcome %q", f.Path(name), n, row.Outcome)
			return
		}
		ferr = fn(Entry{Line: row.Line, Key: csvdiff.Unneutralize(row.Key), Outcome: o, Detail: csvdiff.Unneutralize(row.Detail)})
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path(name), err)
	}
	return ferr
}
