package fsprobe

import (
	"os"
	"path/filepath"
	"strings"
)

// OpenFiles returns the files and folders this process holds open at or under path (from
// /proc/self/fd), whoever opened them: the check behind [FileOp] hooks. ok is false where
// the system cannot tell (anywhere but Linux).
func OpenFiles(path string) (open []string, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			continue // closed since the directory was read (the read's own fd, for one)
		}
		if target == abs || strings.HasPrefix(target, abs+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open, true
}
