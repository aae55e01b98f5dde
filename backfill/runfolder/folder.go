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

// Run folders hold learner emails, so they are private to the user. On Windows these
// modes mean nothing: a new folder takes the access list of the folder it is made in, so
// a run folder under the user's profile (Documents, Downloads) is private to the user; one
// on a shared drive is as private as that drive.
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
	// Dir is where the folder is now: while a new folder is being built, a ".partial" path
	// beside Final.
	Dir string
	// Final is where the folder goes on [Folder.Commit]; "" for a folder that is in place.
	Final string

	lock   *fileLock
	holder LockHolder // who holds lock
	logs   []logAt    // files kept open inside the folder (run.log)
}

// PartialSuffix ends the name of a run folder still being built.
const PartialSuffix = ".partial"

// Create creates the run folder out, or DefaultParent/<UTC timestamp>[-N] when out is "",
// private to the user. It is built under a temporary name beside it (out.partial), locked
// for command (the lock file out.partial.lock sits beside it: see [Folder.Lock]);
// [Folder.Commit] renames it into place once it is consistent, so a killed run leaves a
// .partial folder, never one that looks finished. A .partial left by a killed run is
// replaced; one whose lock is held is in use. An existing out is refused with an error
// wrapping [ErrExists].
func Create(out, command string, now time.Time) (*Folder, error) {
	if out == "" {
		stamped, err := stampedName(now)
		if err != nil {
			return nil, err
		}
		out = stamped
	}
	if _, err := os.Lstat(out); err == nil {
		return nil, fmt.Errorf("%s: %w", out, ErrExists)
	}
	if parent := filepath.Dir(out); parent != "." {
		if err := os.MkdirAll(parent, DirPerm); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
	f := &Folder{Dir: out + PartialSuffix, Final: out}
	if err := f.Lock(command, now); err != nil {
		return nil, err
	}
	// Whoever held the lock before may have finished the folder meanwhile.
	if _, err := os.Lstat(out); err == nil {
		f.Unlock()
		return nil, fmt.Errorf("%s: %w", out, ErrExists)
	}
	// A .partial here is a killed run's leftover: its builder would hold the lock.
	if _, err := os.Lstat(f.Dir); err == nil {
		if err := removeAll(f.Dir); err != nil {
			f.Unlock()
			return nil, fmt.Errorf("remove the unfinished run folder %s: %w", f.Dir, err)
		}
	}
	if err := os.Mkdir(f.Dir, DirPerm); err != nil {
		f.Unlock()
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	return f, nil
}

// stampedName returns DefaultParent/<UTC timestamp>, with -N when that is taken.
func stampedName(now time.Time) (string, error) {
	base := filepath.Join(DefaultParent, now.UTC().Format("20060102T150405Z"))
	for i := 1; i <= 100; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		_, err1 := os.Lstat(dir)
		_, err2 := os.Lstat(dir + PartialSuffix)
		if errors.Is(err1, fs.ErrNotExist) && errors.Is(err2, fs.ErrNotExist) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("create run folder: too many run folders named %s", base)
}

// Commit renames a folder built by [Create] into place and takes its lock there
// (DIR/.lock). Nothing inside the folder is open while it is renamed (Windows refuses to
// rename a folder with an open file inside): the building lock sits beside it, and the
// folder's [LogFile]s are closed for the rename and opened again after it. The building
// lock is held until the folder is locked in place, so no other Create of the same out
// comes between; a command that opens DIR in the instant between the rename and that lock
// keeps it, and Commit returns an *[InUseError] (the folder is complete and in place).
func (f *Folder) Commit() error {
	if f.Final == "" {
		return nil
	}
	if _, err := os.Lstat(f.Final); err == nil {
		return fmt.Errorf("%s: %w", f.Final, ErrExists)
	}
	for _, l := range f.logs {
		l.suspend()
	}
	if err := rename(f.Dir, f.Final); err != nil {
		f.resumeLogs()
		return fmt.Errorf("move the run folder into place: %w", err)
	}
	building := f.lock
	f.lock = nil
	f.Dir, f.Final = f.Final, ""
	err := f.Lock(f.holder.Command, f.holder.Started)
	if building != nil {
		building.release()
		os.Remove(building.path) // a command waiting on it finds DIR in place
	}
	if err != nil {
		for _, l := range f.logs {
			l.Close()
		}
		return err
	}
	return f.resumeLogs()
}

// resumeLogs opens the folder's LogFiles again where the folder now is.
func (f *Folder) resumeLogs() error {
	var first error
	for _, l := range f.logs {
		if err := l.resume(f.Path(l.name)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Name is the folder's path once in place: Final while it is being built, else Dir. It is
// the path to show people.
func (f *Folder) Name() string {
	if f.Final != "" {
		return f.Final
	}
	return f.Dir
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

// Remove deletes the folder and everything in it, and releases its lock: used when a run
// fails before its output is complete, so no half-written run folder is left behind. It
// removes only a folder whose lock it holds. The folder's LogFiles are closed first and,
// for a folder in place, the lock too (Windows deletes no open file); a folder being built
// is removed under its building lock, beside it.
func (f *Folder) Remove() error {
	if f.lock == nil {
		return fmt.Errorf("remove run folder %s: its lock is not held", f.Dir)
	}
	for _, l := range f.logs {
		l.Close()
	}
	if f.Final == "" {
		f.Unlock()
		return removeAll(f.Dir)
	}
	err := removeAll(f.Dir)
	path := f.lock.path
	f.Unlock()
	if err == nil {
		os.Remove(path)
	}
	return err
}

// MoveTo moves a folder in place, whose lock it holds, to the path to (which must not
// exist), and releases the lock: used to keep a replaced plan aside. As [Folder.Remove]
// does, it closes the folder's LogFiles and its lock first (Windows renames no folder with
// an open file inside), then renames durably, retrying transient refusals.
func (f *Folder) MoveTo(to string) error {
	if f.lock == nil || f.Final != "" {
		return fmt.Errorf("move run folder %s: its lock is not held, or it is not in place", f.Dir)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("%s: %w", to, ErrExists)
	}
	for _, l := range f.logs {
		l.Close()
	}
	f.Unlock()
	if err := rename(f.Dir, to); err != nil {
		return err
	}
	f.Dir = to
	return nil
}

// WriteFile writes b to name through a temporary file that is synced and renamed into
// place, so a crash leaves either the old file or the new one, never half of one.
func (f *Folder) WriteFile(name string, b []byte) error {
	p, err := f.Begin(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := p.Write(b); err != nil {
		p.Abort()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return p.Commit()
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

// Rename renames a file of the folder, durably (see rename).
func (f *Folder) Rename(from, to string) error {
	return rename(f.Path(from), f.Path(to))
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
