package runfolder

import (
	"os"
	"sync"
)

// maxHeldLog bounds what a LogFile keeps in memory while its folder is being moved.
const maxHeldLog = 4 << 20

// LogFile is a file of the folder that a command keeps open for appending while it runs
// (run.log). The folder owns the handle: it closes it before it renames the folder
// ([Folder.Commit]: Windows refuses to rename a folder with an open file inside), opens it
// again at the new place, and closes it for good before it removes the folder
// ([Folder.Remove]). What is written meanwhile is kept in memory and written on reopening.
// Safe for concurrent use.
type LogFile struct {
	mu     sync.Mutex
	f      *os.File // nil while the folder moves, and once closed
	held   []byte
	closed bool
}

// OpenLog opens name for appending (creating it) as a [LogFile] the folder looks after.
func (f *Folder) OpenLog(name string) (*LogFile, error) {
	file, err := os.OpenFile(f.Path(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, FilePerm)
	if err != nil {
		return nil, err
	}
	l := &LogFile{f: file}
	f.logs = append(f.logs, logAt{l, name})
	return l, nil
}

// logAt is a LogFile and its name in the folder.
type logAt struct {
	*LogFile
	name string
}

// Write appends p; after Close it drops p.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.f != nil:
		return l.f.Write(p)
	case !l.closed && len(l.held)+len(p) <= maxHeldLog:
		l.held = append(l.held, p...)
	}
	return len(p), nil
}

// Close closes the file; later writes are dropped.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed, l.held = true, nil
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// suspend closes the file and keeps later writes in memory.
func (l *LogFile) suspend() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// resume opens the file again at path and writes what was held.
func (l *LogFile) resume(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, FilePerm)
	if err != nil {
		l.closed, l.held = true, nil
		return err
	}
	l.f = file
	_, err = file.Write(l.held)
	l.held = nil
	return err
}
