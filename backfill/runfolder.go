package backfill

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Run folders hold learner emails, so they are private to the user.
const (
	dirPerm  = 0o700
	filePerm = 0o600
)

// RunFolder is the output directory of one run (DESIGN.md section 3).
type RunFolder struct {
	Dir string
}

// createRunFolder creates out, or backfill-runs/<UTC timestamp> when out is "". An existing
// folder is never reused or overwritten: that is a usage error.
func createRunFolder(out string, now time.Time) (*RunFolder, error) {
	if out == "" {
		base := filepath.Join("backfill-runs", now.UTC().Format("20060102T150405Z"))
		if err := os.MkdirAll("backfill-runs", dirPerm); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
		for i := 1; ; i++ {
			dir := base
			if i > 1 {
				dir = fmt.Sprintf("%s-%d", base, i)
			}
			err := os.Mkdir(dir, dirPerm)
			if err == nil {
				return &RunFolder{Dir: dir}, nil
			}
			if !errors.Is(err, fs.ErrExist) || i > 100 {
				return nil, fmt.Errorf("create run folder: %w", err)
			}
		}
	}
	if parent := filepath.Dir(out); parent != "." {
		if err := os.MkdirAll(parent, dirPerm); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
	if err := os.Mkdir(out, dirPerm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, UsageError("choose a new --out folder (or leave --out out for a fresh timestamped one); a run folder is never overwritten",
				"run folder %s already exists", out)
		}
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	return &RunFolder{Dir: out}, nil
}

// Path returns the path of name inside the folder.
func (f *RunFolder) Path(name string) string { return filepath.Join(f.Dir, name) }

// Create creates a new private file in the folder.
func (f *RunFolder) Create(name string) (*os.File, error) {
	return os.OpenFile(f.Path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
}

// Remove deletes the folder and everything in it: used when a run fails before its output
// is complete, so no half-written run folder is left behind.
func (f *RunFolder) Remove() error { return os.RemoveAll(f.Dir) }
