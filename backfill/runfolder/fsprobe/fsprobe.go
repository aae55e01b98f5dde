// Package fsprobe lets tests watch what the product does to files at the moments where
// Windows is stricter than the systems the tests run on. Production code only calls
// [FileOp]; with no hook set (always, outside tests) it does nothing.
//
// On Windows a file or folder cannot be renamed or removed while a handle to it, or to a
// file inside the folder, is open, and Wine, which the Windows check runs on, does not
// enforce that rule for folders. A test sets a hook with [SetFileOp] and checks, with
// [OpenFiles], that nothing is open under the path at that moment: the proof that the code
// does not depend on a rule Linux does not have.
package fsprobe

import "sync/atomic"

// Operations passed to a FileOp hook.
const (
	Rename = "rename" // path is about to be renamed (a file, or a folder with what it holds)
	Remove = "remove" // path is about to be removed, with everything under it
)

var fileOp atomic.Pointer[func(op, path string)]

// SetFileOp sets the hook FileOp calls and returns a function that removes it. It is safe
// to call while other goroutines call FileOp.
func SetFileOp(hook func(op, path string)) (restore func()) {
	fileOp.Store(&hook)
	return func() { fileOp.Store(nil) }
}

// FileOp tells the hook, when one is set, that op is about to be done to path.
func FileOp(op, path string) {
	if h := fileOp.Load(); h != nil {
		(*h)(op, path)
	}
}
