package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// One writer per run folder: every command that writes a folder holds an OS lock on its
// .lock file (flock(2), through github.com/gofrs/flock, a well-kept library for a solved
// problem). The OS drops the lock when the process ends, however it ends, so a killed
// command never leaves a folder locked. The file also says who holds it, for the message
// the next command prints.

// LockFile is the lock's file inside a run folder.
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

// Lock takes the folder's lock for command (as people know it: "backfill resume"), without
// waiting: when another process holds it
// the error is an *[InUseError]. Unlock releases it (so does the end of the process).
func (f *Folder) Lock(command string, now time.Time) error {
	if f.lock != nil {
		return nil
	}
	l := flock.New(f.Path(LockFile), flock.SetPermissions(FilePerm))
	ok, err := l.TryLock()
	if err != nil {
		return fmt.Errorf("lock run folder %s: %w", f.Dir, err)
	}
	if !ok {
		e := &InUseError{Dir: f.Dir}
		if b, err := os.ReadFile(f.Path(LockFile)); err == nil {
			json.Unmarshal(b, &e.Holder)
		}
		return e
	}
	b, _ := json.Marshal(LockHolder{PID: os.Getpid(), Command: command, Started: now})
	if err := os.WriteFile(f.Path(LockFile), append(b, '\n'), FilePerm); err != nil {
		l.Unlock()
		return fmt.Errorf("lock run folder %s: %w", f.Dir, err)
	}
	f.lock = l
	return nil
}

// Unlock releases the lock taken by Lock; it is safe to call without one.
func (f *Folder) Unlock() {
	if f.lock != nil {
		f.lock.Unlock()
		f.lock = nil
	}
}
