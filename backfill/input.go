package backfill

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/northpass-tools/backfill/csvdiff"
)

// csvOptions are the csvdiff options for reading the export.
func (e *ExportOptions) csvOptions() csvdiff.Options {
	return csvdiff.Options{File: e.File, KeyColumn: e.KeyColumn, DateColumns: e.DateColumns,
		UpdatedColumn: e.UpdatedColumn, Since: e.Since, DateFormat: e.DateFormat, Encoding: e.Encoding}
}

// readHeader reads the export's header line only (fail fast: an unusable file stops here,
// with a *csvdiff.FileError).
func readHeader(e *ExportOptions) (*csvdiff.Header, error) {
	f, err := os.Open(e.File)
	if err != nil {
		return nil, optionErr(OptExport, e.File, err)
	}
	defer f.Close()
	h, err := csvdiff.ReadHeader(f, e.csvOptions())
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// scanSpec is what the first pass needs beyond the options: how keys compare, and the
// columns loaded into date fields (their layout is decided too).
type scanSpec struct {
	fold  bool
	dates []string
}

// scanExport runs the first pass over the export.
func scanExport(ctx context.Context, j *job, e *ExportOptions, spec scanSpec) (*csvdiff.Index, error) {
	f, err := os.Open(e.File)
	if err != nil {
		return nil, optionErr(OptExport, e.File, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	m := j.step(Event{Step: StepReadExport, Total: st.Size(), Unit: UnitBytes})
	defer m.end()
	opts := e.csvOptions()
	opts.FoldKeys, opts.ValueDateColumns = spec.fold, spec.dates
	return csvdiff.Scan(ctx, &meteredReader{r: f, m: m}, opts)
}

// readExisting reads the existing records' CSV, keeping the keys that are candidates of idx.
func readExisting(ctx context.Context, o *CleanOptions, idx *csvdiff.Index) (*csvdiff.KeySet, csvdiff.KeysInfo, error) {
	f, err := os.Open(o.Existing)
	if err != nil {
		return nil, csvdiff.KeysInfo{}, optionErr(OptExisting, o.Existing, err)
	}
	defer f.Close()
	return csvdiff.ReadKeys(ctx, f, csvdiff.KeysOptions{File: o.Existing,
		KeyColumn: o.ExistingKeyColumn, IDColumn: o.ExistingIDColumn, Encoding: o.Export.Encoding,
		SizeHint: idx.NumCandidates(), Keep: idx.IsCandidate, FoldKeys: !o.CaseSensitiveKeys})
}

// meteredReader reports the bytes read to a step's meter. It seeks when its reader does
// (csvdiff reads a day-first export twice), starting the count again.
type meteredReader struct {
	r io.Reader
	m *meter
}

func (mr *meteredReader) Read(p []byte) (int, error) {
	n, err := mr.r.Read(p)
	mr.m.add(int64(n))
	return n, err
}

func (mr *meteredReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := mr.r.(io.Seeker)
	if !ok {
		return 0, errors.New("not seekable")
	}
	n, err := s.Seek(offset, whence)
	if err == nil {
		mr.m.set(n)
	}
	return n, err
}
