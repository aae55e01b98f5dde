package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// One writer per run folder: every command that writes a folder holds an OS lock on its
// lock file: flock(2) on Linux and macOS, LockFileEx on Windows (lock_unix.go,
// lock_windows.go). The OS drops the lock when the process ends, however it ends, so a
// killed command never leaves a folder locked. The file also says who holds it, for the
// message the next command prints.
//
// Where the lock file is: DIR/.lock for a folder in place; DIR.partial.lock, beside the
// folder, while [Create] builds DIR.partial, so that nothing inside the folder is open when
// [Folder.Commit] renames it (Windows refuses to rename a folder with an open file inside).
//
// Windows locks are mandatory: a region locked through one handle cannot be read or
// written through any other, even in the same process. So the holder is written through
// the locked handle itself, and the locked region is a byte far past the end of the file,
// which leaves the holder readable by the next command.

// LockFile is the lock's file inside a run folder in place.
const LockFile = ".lock"

// ErrInUse is the cause of [Folder.Lock]'s error when another process holds the lock.
var ErrInUse = errors.New("run folder in use")

// LockHolder is what a lock's file says about the process holding it.
type LockHolder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// InUseError says which process holds a folder's lock. It wraps [ErrInUse].
type InUseError struct {
	Dir    string
	Holder LockHolder // zero when the holder could not be read
}

func (e *InUseError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("run folder %s is in use by another backfill command", e.Dir)
	}
	return fmt.Sprintf("run folder %s is in use by pid %d (%s, started %s)", e.Dir, e.Holder.PID,
		e.Holder.Command, e.Holder.Started.Local().Format("2006-01-02 15:04:05"))
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// fileLock is a held lock: the one open handle of its file.
type fileLock struct {
	path string
	f    *os.File
}

// lockPath is where the folder's lock file is (see above).
func (f *Folder) lockPath() string {
	if f.Final != "" {
		return f.Dir + LockFile
	}
	return f.Path(LockFile)
}

// Lock takes the folder's lock for command (as people know it: "backfill resume"), without
// waiting: when another process holds it
// the error is an *[InUseError]. Unlock releases it (so does the end of the process).
func (f *Folder) Lock(command string, now time.Time) error {
	if f.lock != nil {
		return nil
	}
	holder := LockHolder{PID: os.Getpid(), Command: command, Started: now}
	l, err := takeLock(f.lockPath(), holder)
	if errors.Is(err, errLocked) {
		e := &InUseError{Dir: f.Dir}
		if b, err := os.ReadFile(f.lockPath()); err == nil {
			json.Unmarshal(b, &e.Holder)
		}
		return e
	}
	if err != nil {
		return fmt.Errorf("lock run folder %s: %w", f.Dir, err)
	}
	f.lock, f.holder = l, holder
	return nil
}

// Unlock releases the lock taken by Lock; it is safe to call without one.
func (f *Folder) Unlock() {
	if f.lock != nil {
		f.lock.release()
		f.lock = nil
	}
}

// errLocked: another handle holds the lock.
var errLocked = errors.New("locked")

// takeLock opens path (creating it), locks it without waiting (errLocked when another
// handle holds it) and writes holder into it through the same handle. A lock file can be
// removed by the holder that releases it (the building lock, after Commit): a lock taken
// on a file that is no longer the one at path is let go and taken again.
func takeLock(path string, holder LockHolder) (*fileLock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FilePerm)
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, err
		}
		l := &fileLock{path: path, f: f}
		st, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(st, now) {
			l.release()
			continue
		}
		if err := l.write(holder); err != nil {
			l.release()
			return nil, err
		}
		return l, nil
	}
	return nil, fmt.Errorf("%s: removed and created again while it was being locked", path)
}

// write replaces the file's content with holder, through the locked handle.
func (l *fileLock) write(holder LockHolder) error {
	b, _ := json.Marshal(holder)
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := l.f.Write(append(b, '\n'))
	return err
}

// release unlocks and closes the file.
func (l *fileLock) release() {
	unlockFile(l.f)
	l.f.Close()
}
