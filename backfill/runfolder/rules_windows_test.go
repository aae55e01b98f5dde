package runfolder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// A file held open by another program (an antivirus scanning what was just written, the
// search indexer) cannot be renamed; rename waits for it to be let go.
func TestRenameWaitsForAnOpenFile(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "a.tmp"), filepath.Join(dir, "a")
	os.WriteFile(from, []byte("x"), FilePerm)
	held, err := os.Open(from) // Go opens without FILE_SHARE_DELETE: the file cannot move
	if err != nil {
		t.Fatal(err)
	}
	if err := osRename(from, to); !transientFileError(err) {
		held.Close()
		t.Skipf("this system renamed a file another handle holds (%v): nothing to wait for", err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		held.Close()
	}()
	if err := rename(from, to); err != nil {
		t.Fatalf("rename once the file is let go: %v", err)
	}
	if b, _ := os.ReadFile(to); string(b) != "x" {
		t.Errorf("renamed file holds %q", b)
	}
}

// A refusal that outlives the retries says what usually causes it.
func TestRenameRefusalNamesTheCause(t *testing.T) {
	dir := t.TempDir()
	from := filepath.Join(dir, "a.tmp")
	os.WriteFile(from, []byte("x"), FilePerm)
	held, _ := os.Open(from)
	defer held.Close()
	if err := osRename(from, filepath.Join(dir, "a")); !transientFileError(err) {
		t.Skipf("this system renamed a file another handle holds (%v)", err)
	}
	err := rename(from, filepath.Join(dir, "a"))
	if err == nil || !transientFileError(err) || fileErrorHint(err) == "" {
		t.Fatalf("rename of a held file: %v", err)
	}
}

func TestTransientFileErrors(t *testing.T) {
	for errno, want := range map[windows.Errno]bool{
		windows.ERROR_ACCESS_DENIED: true, windows.ERROR_SHARING_VIOLATION: true, windows.ERROR_LOCK_VIOLATION: true,
		windows.ERROR_FILE_NOT_FOUND: false, windows.ERROR_DISK_FULL: false,
	} {
		err := &os.LinkError{Op: "rename", Old: "a", New: "b", Err: errno}
		if got := transientFileError(err); got != want {
			t.Errorf("%v (%d): transient %v, want %v", errno, errno, got, want)
		}
	}
	if transientFileError(errors.New("access is denied")) {
		t.Error("an error without an errno is transient")
	}
}

// The lock is a byte far past the holder: another handle reads the holder while the lock
// is held, and cannot take the lock.
func TestLockLeavesTheHolderReadable(t *testing.T) {
	f := &Folder{Dir: t.TempDir()}
	if err := f.Lock("resume", t0); err != nil {
		t.Fatal(err)
	}
	defer f.Unlock()
	other, err := os.OpenFile(f.Path(LockFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	b := make([]byte, 512)
	if n, err := other.Read(b); err != nil || n == 0 {
		t.Fatalf("read the holder through another handle: %d bytes, %v", n, err)
	}
	if err := lockFile(other); !errors.Is(err, errLocked) {
		t.Fatalf("second handle's lock: %v, want errLocked", err)
	}
}

// Directories cannot be synced on Windows (opening one for it is refused); syncDir does
// nothing rather than fail every write.
func TestSyncDirIsANoOp(t *testing.T) {
	dir := t.TempDir()
	if d, err := os.Open(dir); err == nil {
		t.Logf("this system's directory Sync: %v", d.Sync())
		d.Close()
	}
	if err := syncDir(dir); err != nil {
		t.Fatal(err)
	}
}
