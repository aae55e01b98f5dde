package runfolder

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Results of an import. Each Bulk job's three result CSVs are saved as Salesforce sends them
// under jobs/ (jobs/<job id>-success.csv, -failed.csv, -unprocessed.csv, as the sf CLI names
// them), raw: they feed follow-up jobs and the final files. When the load is done, the final
// success.csv, error.csv and unprocessed.csv hold each row once, with its last outcome, in
// the Bulk API 2.0's result columns: Salesforce's own columns first (sf__Id, sf__Created / sf__Error), then
// the uploaded columns exactly as uploaded (never neutralised, as Data Loader writes them):
// a corrected copy of error.csv loads the values it shows.

// ResultKind is one of a job's three result files.
type ResultKind struct {
	File  string // the final file: SuccessFile, ErrorFile or UnprocessedFile
	API   string // the Bulk API 2.0 result resource
	Short string // its name under jobs/
}

// ResultKinds lists the result files in the order they are fetched.
var ResultKinds = []ResultKind{
	{SuccessFile, "successfulResults", "success"},
	{ErrorFile, "failedResults", "failed"},
	{UnprocessedFile, "unprocessedrecords", "unprocessed"},
}

// IsResultFile reports whether name is one of the final result files of [ResultKinds].
func IsResultFile(name string) bool {
	for _, k := range ResultKinds {
		if k.File == name {
			return true
		}
	}
	return false
}

// JobsDir holds every job's raw result files.
const JobsDir = "jobs"

// JobFile is where a job's (or a pseudo-job's, such as "part-3-resolved") result file of
// kind k is saved.
func JobFile(job string, k ResultKind) string {
	return filepath.Join(JobsDir, job+"-"+k.Short+".csv")
}

// OldTimestamp is the Northpass package's refusal of a record older than the one stored:
// expected, not a failure (Northpass's historic-import article; docs/NORTHPASS.md §1.1).
const OldTimestamp = "old timestamp"

// LockRow is the error of a row Salesforce could not lock (another batch of the job held
// its parent): worth sending again.
const LockRow = "UNABLE_TO_LOCK_ROW"

// ResultCounts is what one result file held.
type ResultCounts struct {
	Rows, Created, AlreadyNewer, LockFailures int
}

// SaveResults saves one result CSV (r, as Salesforce sends it) as the folder's file name,
// through a temporary file renamed into place, and counts its rows. NUL bytes are dropped.
func (f *Folder) SaveResults(name string, r io.Reader) (ResultCounts, error) {
	p, err := f.Begin(name)
	if err != nil {
		return ResultCounts{}, err
	}
	c, err := copyResults(p, r)
	if err != nil {
		p.Abort()
		return c, err
	}
	return c, p.Commit()
}

// copyResults copies a result CSV record by record (so that it is checked to parse),
// counting rows, rows created, old-timestamp refusals and lock failures.
func copyResults(w io.Writer, r io.Reader) (c ResultCounts, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cw := csv.NewWriter(w)
	createdCol, errCol := -1, -1
	for first := true; ; first = false {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c, fmt.Errorf("parse Salesforce results: %w", err)
		}
		for i := range fields {
			fields[i] = strings.ReplaceAll(fields[i], "\x00", "")
		}
		if first {
			createdCol, errCol = column(fields, "sf__Created"), column(fields, "sf__Error")
		} else {
			c.Rows++
			if strings.EqualFold(at(fields, createdCol), "true") {
				c.Created++
			}
			e := at(fields, errCol)
			if strings.Contains(strings.ToLower(e), OldTimestamp) {
				c.AlreadyNewer++
			}
			if strings.HasPrefix(e, LockRow) {
				c.LockFailures++
			}
		}
		if err := cw.Write(fields); err != nil {
			return c, err
		}
	}
	cw.Flush()
	return c, cw.Error()
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

// Results maps each uploaded external id of one part (and its follow-ups) to its outcome,
// its detail and the source (the attempt) it came from. Memory is bounded by the rows of
// one part, however large the import.
type Results struct {
	set *csvdiff.KeySet
	val []byte
}

// NewResults returns an empty table for about sizeHint keys; fold compares keys
// case-insensitively.
func NewResults(sizeHint int, fold bool) *Results {
	return &Results{set: csvdiff.NewKeySet(sizeHint, fold)}
}

// AddFile reads the folder's saved result file name, of kind k, into the table under source.
// Keys already in the table keep their entry: add the newest attempt first. A missing file
// adds nothing.
func (t *Results) AddFile(f *Folder, name string, k ResultKind, extField string, source uint16) error {
	return eachResult(f, name, extField, func(key string, rec []string, id, created, sfErr int) error {
		o, detail := resultOutcome(k.File, rec, id, created, sfErr)
		t.val = append(append(t.val[:0], byte(o), byte(source>>8), byte(source)), detail...)
		return t.set.Add([]byte(key), t.val)
	})
}

// eachResult calls fn for every row of a saved result file with its key and the columns of
// sf__Id, sf__Created and sf__Error (-1 when absent).
func eachResult(f *Folder, name, extField string, fn func(key string, rec []string, id, created, sfErr int) error) error {
	return eachResultHeader(f, name, extField, func([]string) {}, fn)
}

// eachResultHeader is eachResult that first gives onHeader the file's header.
func eachResultHeader(f *Folder, name, extField string, onHeader func([]string), fn func(key string, rec []string, id, created, sfErr int) error) error {
	r, err := os.Open(f.Path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path(name), err)
	}
	onHeader(header)
	key, id, created, sfErr := column(header, extField), column(header, "sf__Id"), column(header, "sf__Created"), column(header, "sf__Error")
	if key < 0 {
		// Salesforce sends a header of its own columns only for a job that processed no row.
		if _, err := cr.Read(); err == io.EOF {
			return nil
		}
		return fmt.Errorf("%s: no %s column in the results", f.Path(name), extField)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path(name), err)
		}
		if key < len(rec) {
			if err := fn(rec[key], rec, id, created, sfErr); err != nil {
				return err
			}
		}
	}
}

func resultOutcome(file string, rec []string, id, created, sfErr int) (Outcome, string) {
	switch file {
	case SuccessFile:
		if strings.EqualFold(at(rec, created), "true") {
			return Created, at(rec, id)
		}
		return Updated, at(rec, id)
	case ErrorFile:
		detail := at(rec, sfErr)
		if strings.Contains(strings.ToLower(detail), OldTimestamp) {
			return AlreadyNewer, detail
		}
		return Failed, detail
	}
	return Unprocessed, "the job ended before Salesforce processed this row"
}

// Lookup returns the outcome of key, its detail and the source it came from.
func (t *Results) Lookup(key string) (o Outcome, detail string, source uint16, ok bool) {
	v, ok := t.set.Lookup([]byte(key))
	if !ok || len(v) < 3 {
		return 0, "", 0, false
	}
	return Outcome(v[0]), string(v[3:]), uint16(v[1])<<8 | uint16(v[2]), true
}

// Len returns the keys in the table.
func (t *Results) Len() int { return t.set.Len() }

// FinalHeader is the header of the final result file of kind k for uploaded columns fields:
// Salesforce's own columns first, as Data Loader writes them.
func FinalHeader(k ResultKind, fields []string) []string {
	switch k.File {
	case SuccessFile:
		return append([]string{"sf__Id", "sf__Created"}, fields...)
	case ErrorFile:
		return append([]string{"sf__Id", "sf__Error"}, fields...)
	}
	return append([]string(nil), fields...)
}

// CopyWinners appends to w, in the columns of header, the rows of the saved result file
// name whose key's entry came from source: each row reaches the final files once, from its
// last attempt. Columns are matched by name (a column the file lacks is left empty). It
// returns the rows copied.
func (t *Results) CopyWinners(f *Folder, name, extField string, source uint16, header []string, w *csvdiff.Writer) (int, error) {
	n := 0
	rec := make([][]byte, len(header))
	var from []int // header column -> file column
	err := eachResultHeader(f, name, extField, func(fileHeader []string) {
		from = make([]int, len(header))
		for i, h := range header {
			from[i] = column(fileHeader, h)
		}
	}, func(key string, fields []string, _, _, _ int) error {
		if _, _, src, ok := t.Lookup(key); !ok || src != source {
			return nil
		}
		for i, j := range from {
			rec[i] = []byte(at(fields, j))
		}
		n++
		return w.Write(rec)
	})
	return n, err
}
