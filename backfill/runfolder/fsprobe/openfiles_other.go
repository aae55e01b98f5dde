//go:build !linux

package fsprobe

// OpenFiles returns the files this process holds open under path; ok is false here: only
// Linux can tell (/proc/self/fd).
func OpenFiles(path string) (open []string, ok bool) { return nil, false }
