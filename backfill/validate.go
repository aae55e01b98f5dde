package backfill

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// The checks below run before any work, so that a bad option or file fails at once (an
// [*OptionError]) instead of after the export was scanned.

// validate checks the export and how to read it.
func (e *ExportOptions) validate() error {
	if e.File == "" {
		return optionErr(OptExport, "", ErrRequired)
	}
	if err := readableFile(OptExport, e.File); err != nil {
		return err
	}
	if _, err := csvdiff.NewDateParser(e.DateFormat); err != nil {
		return optionErr(OptDateFormat, e.DateFormat, err)
	}
	if err := validPercent(e.MaxRejected); err != nil {
		return err
	}
	switch strings.ToLower(strings.ReplaceAll(e.Encoding, "_", "-")) {
	case "", "utf-8", "utf8", "windows-1252", "cp1252", "latin1", "iso-8859-1":
	default:
		return optionErr(OptEncoding, e.Encoding, errUnknownEncoding)
	}
	return nil
}

// Validate checks, without a network call, what a front end can check of a plan's options
// before any work: the export and how to read it, and the mapping file. It returns the
// [*OptionError] [Plan] would return for them; the login and the run folder (Out) are not
// checked.
func (o *PlanOptions) Validate() error {
	if err := o.Export.validate(); err != nil {
		return err
	}
	if o.Target.Mapping == "" {
		return nil
	}
	if err := readableFile(OptMapping, o.Target.Mapping); err != nil {
		return err
	}
	_, err := readMapping(PlainWords{}, o.Target.Mapping)
	return err
}

// validPercent checks a rejected-rows limit: nil (the default), or a percentage from 0 to
// 100 (NaN is none: it compares false with both bounds).
func validPercent(p *float64) error {
	if p != nil && !(*p >= 0 && *p <= 100) {
		return optionErr(OptMaxRejected, strconv.FormatFloat(*p, 'g', -1, 64), errNotPercent)
	}
	return nil
}

var errNotPercent = &wrapErr{msg: "not a percentage from 0 to 100", err: ErrBadValue}

var errUnknownEncoding = &wrapErr{msg: "unknown encoding", err: ErrBadValue}

// validateOrg checks the login options and credentials, and the mapping file, without a
// network call.
func validateOrg(org sfclient.Config, mapping string) error {
	if err := org.Validate(); err != nil {
		return &LoginError{Err: err, Unusable: true}
	}
	if mapping != "" {
		if err := readableFile(OptMapping, mapping); err != nil {
			return err
		}
		if _, err := readMapping(PlainWords{}, mapping); err != nil {
			return err
		}
	}
	return nil
}

// validateOut checks that the run folder *out can be created: it does not exist yet, its
// name does not end in .partial (the name of a folder still being built, which commands
// on a run folder refuse and the next plan of the same name replaces), and its nearest
// existing parent is a writable folder. A trailing separator (tab completion's) is
// dropped: *out is left cleaned.
func validateOut(outp *string) error {
	if *outp != "" {
		*outp = filepath.Clean(*outp)
	}
	out := *outp
	if base := filepath.Base(out); len(base) >= len(runfolder.PartialSuffix) &&
		strings.EqualFold(base[len(base)-len(runfolder.PartialSuffix):], runfolder.PartialSuffix) {
		return optionErr(OptOut, out, ErrOutPartial)
	}
	if out == "" {
		out = filepath.Join(".", "backfill-runs", "x")
	} else if _, err := os.Lstat(out); err == nil {
		return optionErr(OptOut, out, ErrOutExists)
	}
	dir := filepath.Dir(out)
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return optionErr(OptOut, out, &wrapErr{msg: dir + " is not a folder", err: ErrOutParent})
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
			return optionErr(OptOut, out, &wrapErr{msg: err.Error(), err: ErrOutNoWrite})
		}
		dir = filepath.Dir(dir)
	}
	probe, err := os.MkdirTemp(dir, ".backfill-probe-")
	if err != nil {
		return optionErr(OptOut, out, &wrapErr{msg: fmt.Sprintf("cannot write in %s: %v", dir, errors.Unwrap(err)), err: ErrOutNoWrite})
	}
	os.Remove(probe)
	return nil
}

// readableFile checks that path, the value of o, names a regular file this user can open.
func readableFile(o Option, path string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return optionErr(o, path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return optionErr(o, path, err)
	}
	if st.IsDir() {
		return optionErr(o, path, ErrNotAFile)
	}
	return nil
}
