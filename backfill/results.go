package backfill

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gocarina/gocsv"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Result files of an import, one set for all jobs, Data Loader style: Salesforce's own
// columns first (sf__Id, sf__Created / sf__Error), then the uploaded columns.
const (
	successFile     = "success.csv"
	errorFile       = "error.csv"
	unprocessedFile = "unprocessed.csv"
)

// resultKinds lists the result files with the Bulk API result each comes from.
var resultKinds = []struct{ file, kind string }{
	{successFile, "successfulResults"},
	{errorFile, "failedResults"},
	{unprocessedFile, "unprocessedrecords"},
}

// oldTimestamp is the Northpass package's refusal of a record older than the one stored:
// expected, not a failure (DOMAIN.md section 1).
const oldTimestamp = "old timestamp"

// appendResults copies one job's result CSV (as Salesforce sends it: fully quoted, any row
// order) into the run folder's file of that kind, writing the header only into an empty file
// and neutralising formula cells (these files are opened in spreadsheets).
func appendResults(path string, r io.Reader) (rows, created, newer int, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, filePerm)
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	w := csvdiff.NewWriter(f, true)
	first := true
	createdCol, errCol := -1, -1
	var rec [][]byte
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rows, created, newer, fmt.Errorf("parse Salesforce results: %w", err)
		}
		if first {
			first = false
			for i, h := range fields {
				switch strings.ToLower(h) {
				case "sf__created":
					createdCol = i
				case "sf__error":
					errCol = i
				}
			}
			if st.Size() > 0 {
				continue
			}
		} else {
			rows++
			if strings.EqualFold(at(fields, createdCol), "true") {
				created++
			}
			if strings.Contains(strings.ToLower(at(fields, errCol)), oldTimestamp) {
				newer++
			}
		}
		rec = rec[:0]
		for _, s := range fields {
			rec = append(rec, []byte(strings.ReplaceAll(s, "\x00", "")))
		}
		if err := w.Write(rec); err != nil {
			return rows, created, newer, err
		}
	}
	return rows, created, newer, w.Flush()
}

// resultTable maps each uploaded external id to its final outcome and detail.
type resultTable struct {
	set *csvdiff.KeySet
}

// loadResults reads one part's rows of the run folder's result files into a table keyed by
// the external id column (extField): the bytes from start[file] to end[file] (-1: to the end
// of the file). Rows are matched by that value because Salesforce returns results in any
// order; reading one part at a time keeps memory bounded by the size of a Bulk job, however
// large the import.
func loadResults(folder *RunFolder, extField string, start, end map[string]int64, sizeHint int) (*resultTable, error) {
	t := &resultTable{set: csvdiff.NewKeySet(sizeHint)}
	for _, k := range resultKinds {
		f, err := os.Open(folder.Path(k.file))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = t.readSection(f, k.file, extField, start[k.file], end[k.file])
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", folder.Path(k.file), err)
		}
	}
	return t, nil
}

// readSection reads the header line of f and the records between from and to.
func (t *resultTable) readSection(f *os.File, file, extField string, from, to int64) error {
	br := bufio.NewReader(io.NewSectionReader(f, 0, 1<<20))
	header, err := br.ReadBytes('\n')
	if err != nil {
		return nil // empty file: no results of this kind
	}
	if from < int64(len(header)) {
		from = int64(len(header))
	}
	if to < 0 {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		to = st.Size()
	}
	if to <= from {
		return nil
	}
	return t.read(io.MultiReader(bytes.NewReader(header), io.NewSectionReader(f, from, to-from)), file, extField)
}

func (t *resultTable) read(r io.Reader, file, extField string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	col := func(name string) int {
		for i, h := range header {
			if strings.EqualFold(h, name) {
				return i
			}
		}
		return -1
	}
	key, id, created, sfErr := col(extField), col("sf__Id"), col("sf__Created"), col("sf__Error")
	if key < 0 {
		return fmt.Errorf("no %s column in the results", extField)
	}
	var val []byte
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if key >= len(rec) {
			continue
		}
		o, detail := csvdiff.Unprocessed, "the job ended before Salesforce processed this row"
		switch file {
		case successFile:
			o, detail = csvdiff.Updated, unneutralize(at(rec, id))
			if strings.EqualFold(at(rec, created), "true") {
				o = csvdiff.Created
			}
		case errorFile:
			o, detail = csvdiff.Failed, unneutralize(at(rec, sfErr))
			if strings.Contains(strings.ToLower(detail), oldTimestamp) {
				o = csvdiff.AlreadyNewer
			}
		}
		val = append(append(val[:0], byte(o)), detail...)
		if err := t.set.Add([]byte(unneutralize(rec[key])), val); err != nil {
			return err
		}
	}
}

func at(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// unneutralize undoes the apostrophe the result files add before formula-like cells, so
// keys match the ledger.
func unneutralize(s string) string { return csvdiff.Unneutralize(s) }

// lookup returns the outcome of key and its detail.
func (t *resultTable) lookup(key string) (csvdiff.Outcome, string, bool) {
	v, ok := t.set.Lookup([]byte(key))
	if !ok || len(v) == 0 {
		return 0, "", false
	}
	return csvdiff.Outcome(v[0]), string(v[1:]), true
}

// LedgerEntry is one line of ledger.csv.
type LedgerEntry struct {
	Line    int    `csv:"line"`
	Key     string `csv:"key"`
	Outcome string `csv:"outcome"`
	Detail  string `csv:"detail"`
}

// readLedger streams a ledger.csv through fn. gocsv fits here: our own file, typed rows,
// decoded from an encoding/csv reader we own (STYLE.md rule 10).
func readLedger(path string, fn func(e *LedgerEntry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = 4
	var ferr error
	err = gocsv.UnmarshalDecoderToCallback(gocsv.NewSimpleDecoderFromCSVReader(cr), func(e LedgerEntry) {
		if ferr == nil {
			e.Key = unneutralize(e.Key)
			ferr = fn(&e)
		}
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return ferr
}
