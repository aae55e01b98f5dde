package runfolder

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/northpass-tools/backfill/csvdiff"
)

// ResultKind is one of the three result files of an import, one set for all jobs, with
// Salesforce's own columns first (sf__Id, sf__Created / sf__Error), then the uploaded
// columns.
type ResultKind struct {
	File string // SuccessFile, ErrorFile or UnprocessedFile
	API  string // the Bulk API 2.0 result resource it comes from
}

// ResultKinds lists the result files in the order they are fetched.
var ResultKinds = []ResultKind{
	{SuccessFile, "successfulResults"},
	{ErrorFile, "failedResults"},
	{UnprocessedFile, "unprocessedrecords"},
}

// OldTimestamp is the Northpass package's refusal of a record older than the one stored:
// expected, not a failure (DOMAIN.md section 1).
const OldTimestamp = "old timestamp"

// ResultCounts is what one job's result file held.
type ResultCounts struct {
	Rows, Created, AlreadyNewer int
}

// AppendResults copies one job's result CSV (as Salesforce sends it: fully quoted, any row
// order) onto the end of the folder's result file name, writing the header only into an
// empty file and neutralising formula cells (these files are opened in spreadsheets).
func (f *Folder) AppendResults(name string, r io.Reader) (c ResultCounts, err error) {
	w, err := os.OpenFile(f.Path(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, FilePerm)
	if err != nil {
		return c, err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	st, err := w.Stat()
	if err != nil {
		return c, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cw := csvdiff.NewWriter(w, true)
	first := true
	createdCol, errCol := -1, -1
	var rec [][]byte
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c, fmt.Errorf("parse Salesforce results: %w", err)
		}
		if first {
			first = false
			createdCol, errCol = column(fields, "sf__Created"), column(fields, "sf__Error")
			if st.Size() > 0 {
				continue
			}
		} else {
			c.Rows++
			if strings.EqualFold(at(fields, createdCol), "true") {
				c.Created++
			}
			if strings.Contains(strings.ToLower(at(fields, errCol)), OldTimestamp) {
				c.AlreadyNewer++
			}
		}
		rec = rec[:0]
		for _, s := range fields {
			rec = append(rec, []byte(strings.ReplaceAll(s, "\x00", "")))
		}
		if err := cw.Write(rec); err != nil {
			return c, err
		}
	}
	return c, cw.Flush()
}

func column(header []string, name string) int {
	for i, h := range header {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

func at(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// Results maps each uploaded external id of one part to its final outcome and detail.
type Results struct {
	set *csvdiff.KeySet
}

// ReadResults reads one part's rows of the result files into a table keyed by the external
// id column (extField): the bytes from start[file] to end[file] (-1: to the end of the file).
// Rows are matched by that value because Salesforce returns results in any order; reading one
// part at a time keeps memory bounded by the size of a Bulk job, however large the import.
func (f *Folder) ReadResults(extField string, start, end map[string]int64, sizeHint int) (*Results, error) {
	t := &Results{set: csvdiff.NewKeySet(sizeHint, false)}
	for _, k := range ResultKinds {
		r, err := os.Open(f.Path(k.File))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = t.readSection(r, k.File, extField, start[k.File], end[k.File])
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path(k.File), err)
		}
	}
	return t, nil
}

// readSection reads the header line of r and the records between from and to.
func (t *Results) readSection(r *os.File, file, extField string, from, to int64) error {
	br := bufio.NewReader(io.NewSectionReader(r, 0, 1<<20))
	header, err := br.ReadBytes('\n')
	if err != nil {
		return nil // empty file: no results of this kind
	}
	if from < int64(len(header)) {
		from = int64(len(header))
	}
	if to < 0 {
		st, err := r.Stat()
		if err != nil {
			return err
		}
		to = st.Size()
	}
	if to <= from {
		return nil
	}
	return t.Read(io.MultiReader(bytes.NewReader(header), io.NewSectionReader(r, from, to-from)), file, extField)
}

// Read adds the rows of one result file (name says which kind) to the table.
func (t *Results) Read(r io.Reader, file, extField string) error {
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
	key, id, created, sfErr := column(header, extField), column(header, "sf__Id"), column(header, "sf__Created"), column(header, "sf__Error")
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
		o, detail := resultOutcome(file, rec, id, created, sfErr)
		val = append(append(val[:0], byte(o)), detail...)
		if err := t.set.Add([]byte(csvdiff.Unneutralize(rec[key])), val); err != nil {
			return err
		}
	}
}

func resultOutcome(file string, rec []string, id, created, sfErr int) (Outcome, string) {
	switch file {
	case SuccessFile:
		if strings.EqualFold(at(rec, created), "true") {
			return Created, csvdiff.Unneutralize(at(rec, id))
		}
		return Updated, csvdiff.Unneutralize(at(rec, id))
	case ErrorFile:
		detail := csvdiff.Unneutralize(at(rec, sfErr))
		if strings.Contains(strings.ToLower(detail), OldTimestamp) {
			return AlreadyNewer, detail
		}
		return Failed, detail
	}
	return Unprocessed, "the job ended before Salesforce processed this row"
}

// Lookup returns the outcome of key and its detail.
func (t *Results) Lookup(key string) (Outcome, string, bool) {
	v, ok := t.set.Lookup([]byte(key))
	if !ok || len(v) == 0 {
		return 0, "", false
	}
	return Outcome(v[0]), string(v[1:]), true
}
