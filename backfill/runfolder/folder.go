package runfolder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Run folders hold learner emails, so they are private to the user.
const (
	DirPerm  = 0o700
	FilePerm = 0o600
)

// ErrExists is returned by [Create] when the folder asked for already exists: a run folder
// is never reused or overwritten.
var ErrExists = errors.New("run folder already exists")

// DefaultParent is where run folders go when no --out is given.
const DefaultParent = "backfill-runs"

// Folder is one run folder. Its methods take file names (the constants of this package),
// never paths.
type Folder struct {
	Dir string
}

// Create creates the run folder out, or DefaultParent/<UTC timestamp>[-N] when out is "",
// private to the user. An existing out is refused with an error wrapping [ErrExists].
func Create(out string, now time.Time) (*Folder, error) {
	if out == "" {
		return createStamped(now)
	}
	if parent := filepath.Dir(out); parent != "." {
		if err := os.MkdirAll(parent, DirPerm); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
	if err := os.Mkdir(out, DirPerm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s: %w", out, ErrExists)
		}
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	return &Folder{Dir: out}, nil
}

func createStamped(now time.Time) (*Folder, error) {
	base := filepath.Join(DefaultParent, now.UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(DefaultParent, DirPerm); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	for i := 1; ; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, DirPerm)
		if err == nil {
			return &Folder{Dir: dir}, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
}

// Open returns the existing run folder dir.
func Open(dir string) (*Folder, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	return &Folder{Dir: dir}, nil
}

// Path returns the path of name inside the folder.
func (f *Folder) Path(name string) string { return filepath.Join(f.Dir, name) }

// Has reports whether the folder holds name.
func (f *Folder) Has(name string) bool {
	_, err := os.Stat(f.Path(name))
	return err == nil
}

// Create creates a new private file; it never overwrites one.
func (f *Folder) Create(name string) (*os.File, error) {
	return os.OpenFile(f.Path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, FilePerm)
}

// Remove deletes the folder and everything in it: used when a run fails before its output
// is complete, so no half-written run folder is left behind.
func (f *Folder) Remove() error { return os.RemoveAll(f.Dir) }

// WriteFile writes b to name through a temporary file that is synced and renamed into
// place, so a crash leaves either the old file or the new one, never half of one.
func (f *Folder) WriteFile(name string, b []byte) error {
	tmp := f.Path(name + ".tmp")
	w, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FilePerm)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	if serr := w.Sync(); err == nil {
		err = serr
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.Path(name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.syncDir()
}

// WriteJSON writes v as indented JSON to name (see [Folder.WriteFile]).
func (f *Folder) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return f.WriteFile(name, append(b, '\n'))
}

// ReadJSON decodes name into v.
func (f *Folder) ReadJSON(name string, v any) error {
	b, err := os.ReadFile(f.Path(name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", f.Path(name), err)
	}
	return nil
}

// Rename renames a file of the folder.
func (f *Folder) Rename(from, to string) error {
	if err := os.Rename(f.Path(from), f.Path(to)); err != nil {
		return err
	}
	return f.syncDir()
}

// syncDir makes renames inside the folder durable.
func (f *Folder) syncDir() error {
	d, err := os.Open(f.Dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// SHA256 returns the hex SHA-256 of name.
func (f *Folder) SHA256(name string) (string, error) {
	r, err := os.Open(f.Path(name))
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Size returns the size of name, 0 when it does not exist.
func (f *Folder) Size(name string) int64 {
	st, err := os.Stat(f.Path(name))
	if err != nil {
		return 0
	}
	return st.Size()
}

// Truncate cuts name back to size bytes; size 0 removes it.
func (f *Folder) Truncate(name string, size int64) error {
	if size == 0 {
		if err := os.Remove(f.Path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.Truncate(f.Path(name), size)
}
