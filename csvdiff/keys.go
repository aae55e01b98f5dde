package csvdiff

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// KeysOptions configure [ReadKeys].
type KeysOptions struct {
	File      string // names the file in messages
	KeyColumn string // "" auto-detects "External Id"
	IDColumn  string // "" auto-detects "Id"; "-" means none
	Encoding  string
	SizeHint  int // expected number of keys, to size the table
	// FoldKeys compares keys case-insensitively (see [Options.FoldKeys]).
	FoldKeys bool
	// Keep, when set, keeps only the keys it returns true for: with [Index.IsCandidate] the
	// set holds just the existing records that matter to this export, and memory no longer
	// grows with the size of the org.
	Keep func(key []byte) bool
}

// KeysInfo describes what [ReadKeys] read.
type KeysInfo struct {
	Header  Header
	IDName  string // the Id column's header, "" when there is none
	Rows    int    // data rows read
	Keys    int    // distinct keys kept (those Keep accepted)
	Skipped int    // rows without a usable key (malformed or empty)
	// Problems holds the first few skipped rows' errors, for the log.
	Problems []*RowError
}

// ReadKeys streams a CSV of records that already exist (a Salesforce report or a Data
// Loader export) and returns the set of their keys, each with its Id when the file has an
// Id column. Rows without a usable key are skipped and counted, never fatal.
func ReadKeys(ctx context.Context, r io.Reader, opts KeysOptions) (*KeySet, KeysInfo, error) {
	var info KeysInfo
	file := opts.File
	if file == "" {
		file = "existing"
	}
	sc, h, err := openCSV(r, file, opts.Encoding, 0)
	var fe *FileError
	if errors.As(err, &fe) && fe.Hint == exportAgain {
		fe.Hint = existingAgain // this file comes from Salesforce, not from CE
	}
	if err != nil {
		return nil, info, err
	}
	if h.Key, err = resolveColumn(file, h.Line, h.Names, opts.KeyColumn, keyAliases, "key column", "--existing-key-column"); err != nil {
		return nil, info, err
	}
	h.Updated = -1
	id := -1
	switch opts.IDColumn {
	case "-":
	case "":
		if idx := findColumn(h.Names, idAliases...); len(idx) > 0 && idx[0] != h.Key {
			id = idx[0]
		}
	default:
		if id, err = resolveColumn(file, h.Line, h.Names, opts.IDColumn, nil, "id column", "--existing-id-column"); err != nil {
			return nil, info, err
		}
	}
	if id >= 0 {
		info.IDName = h.Names[id]
	}
	info.Header = h
	set := NewKeySet(opts.SizeHint, opts.FoldKeys)
	skip := func(e *RowError) {
		info.Skipped++
		if len(info.Problems) < 5 {
			info.Problems = append(info.Problems, e)
		}
	}
	err = eachRecord(ctx, sc, readPlan{}, func(rec *record, sp *scanner) error {
		info.Rows++
		fields := sp.fieldsOf(rec)
		switch {
		case rec.err != nil:
			skip(&RowError{File: file, Row: info.Rows, Line: rec.line, Err: rec.err})
			return nil
		case len(fields) != len(h.Names):
			skip(&RowError{File: file, Row: info.Rows, Line: rec.line, Err: fmt.Errorf("%w: %d fields, the header has %d", ErrFieldCount, len(fields), len(h.Names))})
			return nil
		}
		key := trimSpace(fields[h.Key])
		if len(key) == 0 {
			skip(&RowError{File: file, Row: info.Rows, Line: rec.line, Column: h.Key + 1, Field: h.Names[h.Key], Err: ErrMissingKey})
			return nil
		}
		if opts.Keep != nil && !opts.Keep(key) {
			return nil
		}
		var v []byte
		if id >= 0 {
			v = trimSpace(fields[id])
		}
		return set.Add(key, v)
	})
	if err != nil {
		return nil, info, readErr(file, err)
	}
	info.Keys = set.Len()
	return set, info, nil
}
