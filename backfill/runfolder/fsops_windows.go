package runfolder

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// osRename renames with MoveFileEx, as os.Rename does, adding MOVEFILE_WRITE_THROUGH: the
// call returns once the rename is on disk, which is what a directory sync gives elsewhere.
func osRename(from, to string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	if err := windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// transientFileError reports the refusals an antivirus, the search indexer or a backup
// tool cause for a moment after a file was written: access denied, sharing and lock
// violations (the errors Go's cmd/go retries, less "file not found", which is final here).
func transientFileError(err error) bool {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case windows.ERROR_ACCESS_DENIED, windows.ERROR_SHARING_VIOLATION, windows.ERROR_LOCK_VIOLATION:
		return true
	}
	return false
}

// fileErrorHint names the usual cause of a refusal that did not pass.
func fileErrorHint(err error) string {
	if transientFileError(err) {
		return "is a file of the run folder open in another program, such as Excel? Close it and run the command again"
	}
	return ""
}

// syncDir does nothing: Windows cannot sync a folder (opening one for it is refused with
// access denied); renames are written through instead (osRename), and NTFS journals the
// creation of files.
func syncDir(string) error { return nil }
