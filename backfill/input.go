package backfill

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/northpass-tools/backfill/csvdiff"
)

// exportOptions are the csvdiff options cfg gives for reading the export.
func (c *Config) exportOptions() csvdiff.Options {
	return csvdiff.Options{File: c.Export, KeyColumn: c.KeyColumn, DateColumns: c.DateColumns,
		UpdatedColumn: c.UpdatedColumn, Since: c.Since, DateFormat: c.DateFormat, Encoding: c.Encoding}
}

// readHeader reads the export's header line only (fail fast: an unusable file stops here).
func readHeader(cfg *Config) (*csvdiff.Header, error) {
	f, err := os.Open(cfg.Export)
	if err != nil {
		return nil, inputError(err)
	}
	defer f.Close()
	h, err := csvdiff.ReadHeader(f, cfg.exportOptions())
	if err != nil {
		return nil, fileErr(err)
	}
	return &h, nil
}

// scanSpec is what the first pass needs beyond the flags: how keys compare, and the
// columns loaded into date fields (their layout is decided too).
type scanSpec struct {
	fold  bool
	dates []string
}

// scanExport runs the first pass over cfg.Export.
func scanExport(ctx context.Context, cfg *Config, spec scanSpec) (*csvdiff.Index, error) {
	f, err := os.Open(cfg.Export)
	if err != nil {
		return nil, inputError(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	m := cfg.progress().Start("read the export", st.Size(), "bytes")
	defer m.Done()
	opts := cfg.exportOptions()
	opts.FoldKeys, opts.ValueDateColumns = spec.fold, spec.dates
	idx, err := csvdiff.Scan(ctx, &meteredReader{r: f, m: m}, opts)
	if err != nil {
		return nil, fileErr(err)
	}
	return idx, nil
}

// readExisting reads cfg.Existing, keeping the keys that are candidates of idx.
func readExisting(ctx context.Context, cfg *Config, idx *csvdiff.Index) (*csvdiff.KeySet, csvdiff.KeysInfo, error) {
	f, err := os.Open(cfg.Existing)
	if err != nil {
		return nil, csvdiff.KeysInfo{}, inputError(err)
	}
	defer f.Close()
	set, info, err := csvdiff.ReadKeys(ctx, f, csvdiff.KeysOptions{File: cfg.Existing,
		KeyColumn: cfg.ExistingKeyColumn, IDColumn: cfg.ExistingIDColumn, Encoding: cfg.Encoding,
		SizeHint: idx.NumCandidates(), Keep: idx.IsCandidate, FoldKeys: !cfg.CaseSensitiveKeys})
	if err != nil {
		return nil, info, fileErr(err)
	}
	return set, info, nil
}

// meteredReader reports the bytes read to a progress meter. It seeks when its reader does
// (csvdiff reads a day-first export twice), starting the meter again.
type meteredReader struct {
	r io.Reader
	m Meter
}

func (mr *meteredReader) Read(p []byte) (int, error) {
	n, err := mr.r.Read(p)
	mr.m.Add(int64(n))
	return n, err
}

func (mr *meteredReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := mr.r.(io.Seeker)
	if !ok {
		return 0, errors.New("not seekable")
	}
	n, err := s.Seek(offset, whence)
	if err == nil {
		mr.m.Set(n)
	}
	return n, err
}

// inputError turns a failure to open an input file into a usage error (exit 2).
func inputError(err error) error {
	return &ExitError{Code: ExitUsage, Err: err, Hint: "check the path of the file"}
}

// fileErr maps csvdiff's unusable-file errors to exit code 2 with their hint.
func fileErr(err error) error {
	var fe *csvdiff.FileError
	if errors.As(err, &fe) {
		return &ExitError{Code: ExitUsage, Err: err, Hint: fe.Hint}
	}
	return err
}
