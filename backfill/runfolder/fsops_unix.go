//go:build unix

package runfolder

import (
	"errors"
	"os"
	"syscall"
)

// osRename is os.Rename: rename(2) replaces a file atomically; a folder is renamed with
// whatever is open inside it.
func osRename(from, to string) error { return os.Rename(from, to) }

// transientFileError: no refusal of a rename or removal passes with time here.
func transientFileError(error) bool { return false }

// fileErrorHint: none needed here.
func fileErrorHint(error) string { return "" }

// syncDir makes the entries of dir (renames and new files in it) durable: fsync(2) on the
// folder; on macOS Go's Sync asks for F_FULLFSYNC, which flushes the drive's cache, and
// falls back to fsync where the volume refuses it (SMB). File systems that cannot sync a
// folder (EINVAL, ENOTSUP: some network and FUSE mounts) are left as they are.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
