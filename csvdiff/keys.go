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
	// grows with the size of the org. It is called from several goroutines at once, in no
	// particular order.
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

// What ReadKeys' workers decide for a row.
const (
	keyKept Outcome = iota + 1
	keyDropped
	keySkipped
)

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
	work := func(sp *scanner, b *batch) {
		b.outs, b.rowErrs, b.keys, b.vals, b.arena = b.outs[:0], b.rowErrs[:0], b.keys[:0], b.vals[:0], b.arena[:0]
		var rec record
		for i := range b.recs {
			b.record(i, &rec)
			sp.complete(&rec)
			num := b.row + i + 1
			fields := sp.fieldsOf(&rec)
			var e *RowError
			switch {
			case rec.err != nil:
				e = &RowError{File: file, Row: num, Line: rec.line, Err: rec.err}
			case len(fields) != len(h.Names):
				e = &RowError{File: file, Row: num, Line: rec.line, Err: fmt.Errorf("%w: %d fields, the header has %d", ErrFieldCount, len(fields), len(h.Names))}
			}
			if e == nil {
				key := trimSpace(fields[h.Key])
				switch {
				case len(key) == 0:
					e = &RowError{File: file, Row: num, Line: rec.line, Column: h.Key + 1, Field: h.Names[h.Key], Err: ErrMissingKey}
				case opts.Keep != nil && !opts.Keep(key):
					b.outs = append(b.outs, keyDropped)
				default:
					var v []byte
					if id >= 0 {
						v = trimSpace(fields[id])
					}
					b.outs = append(b.outs, keyKept)
					b.keys, b.vals = append(b.keys, b.copyRef(key)), append(b.vals, b.copyRef(v))
				}
			}
			if e != nil {
				b.outs = append(b.outs, keySkipped)
				b.rowErrs = append(b.rowErrs, e)
			}
		}
	}
	err = eachBatch(ctx, sc, readPlan{}, work, func(b *batch) error {
		info.Rows += len(b.recs)
		ki, ei := 0, 0
		for _, o := range b.outs {
			switch o {
			case keySkipped:
				skip(b.rowErrs[ei])
				ei++
			case keyKept:
				if err := set.Add(b.get(b.keys[ki]), b.get(b.vals[ki])); err != nil {
					return err
				}
				ki++
			}
		}
		return nil
	})
	if err != nil {
		return nil, info, readErr(file, err)
	}
	info.Keys = set.Len()
	return set, info, nil
}
