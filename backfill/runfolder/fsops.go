package runfolder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/northpass-tools/backfill/backfill/runfolder/fsprobe"
)

// Every rename and removal of the package goes through rename and removeAll, which hold
// what differs between systems:
//
//   - Windows refuses to rename or delete a file while a handle to it is open, and a
//     folder while a file inside it is open; the package closes its own handles first
//     (the run.log, the lock: see [Folder.Commit] and [Folder.Remove]). An antivirus or the
//     search indexer often opens a file for a moment right after it is written, so an
//     access-denied or sharing-violation error is retried for a while, as Go's own cmd/go
//     does (its internal robustio package).
//   - A rename is made durable on disk before the call returns: with MOVEFILE_WRITE_THROUGH
//     on Windows (which has no directory sync), and by syncing the parent folder elsewhere
//     ([syncDir]; on macOS Go's Sync is F_FULLFSYNC).

// retryFor bounds how long a rename or removal refused for a transient reason is retried.
const retryFor = 2 * time.Second

// retry calls op until it succeeds, fails for a reason transient does not accept, or
// retryFor has passed, sleeping 1 ms, then twice as long each time (at most 100 ms).
func retry(op func() error, transient func(error) bool) error {
	start, sleep := time.Now(), time.Millisecond
	for {
		err := op()
		if err == nil || !transient(err) || time.Since(start)+sleep > retryFor {
			return err
		}
		time.Sleep(sleep)
		sleep = min(2*sleep, 100*time.Millisecond)
	}
}

// rename renames from to to (replacing a file to), durably, retrying transient refusals.
func rename(from, to string) error {
	fsprobe.FileOp(fsprobe.Rename, from)
	err := retry(func() error { return osRename(from, to) }, transientFileError)
	if err != nil {
		return explainFileError(err)
	}
	return syncDir(filepath.Dir(to))
}

// removeAll removes path and everything under it, retrying transient refusals; a missing
// path is no error. It walks the tree and removes one entry at a time (os.Remove) rather
// than calling os.RemoveAll, whose Windows form needs a call Wine does not have (the
// Windows check runs the binary under Wine).
func removeAll(path string) error {
	fsprobe.FileOp(fsprobe.Remove, path)
	err := removeTree(path)
	if err != nil {
		return explainFileError(err)
	}
	return nil
}

func removeTree(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := removeTree(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	return retry(func() error {
		err := os.Remove(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}, transientFileError)
}

// explainFileError adds to a refusal that outlived the retries what usually causes it.
func explainFileError(err error) error {
	if hint := fileErrorHint(err); hint != "" {
		return fmt.Errorf("%w (%s)", err, hint)
	}
	return err
}
