package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder/fsprobe"
)

// watchFileOps records every rename and removal the package makes while the test runs and,
// for each, what this process held open at or under the path at that moment (Linux only:
// elsewhere the test is skipped, as nothing can tell).
func watchFileOps(t *testing.T) func() (ops []string, open []string) {
	t.Helper()
	if _, ok := fsprobe.OpenFiles(t.TempDir()); !ok {
		t.Skip("needs /proc/self/fd (Linux) to see which files are open")
	}
	var mu sync.Mutex
	var ops, open []string
	restore := fsprobe.SetFileOp(func(op, path string) {
		held, _ := fsprobe.OpenFiles(path)
		mu.Lock()
		defer mu.Unlock()
		ops = append(ops, op+" "+filepath.Base(path))
		for _, h := range held {
			open = append(open, fmt.Sprintf("%s %s: %s open", op, path, h))
		}
	})
	t.Cleanup(restore)
	return func() ([]string, []string) {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ops...), append([]string(nil), open...)
	}
}

// Windows refuses to rename a folder while a file inside it is open, and Wine does not show
// it: so on Linux, at the moment of every rename and removal, nothing under the path may be
// open, neither the lock nor run.log (which the folder closes and opens again).
func TestNothingOpenInsideWhenRenamedOrRemoved(t *testing.T) {
	seen := watchFileOps(t)
	out := filepath.Join(t.TempDir(), "runs", "r1")
	f, err := Create(out, "plan", t0)
	if err != nil {
		t.Fatal(err)
	}
	log, err := f.OpenLog(RunLogFile)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(log, "before")
	if err := f.WriteFile(SummaryFile, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(log, "after")
	if err := f.WriteFile(SummaryFile, []byte("{\"n\": 1}\n")); err != nil {
		t.Fatal(err)
	}
	f.Unlock()
	log.Close()
	if b, _ := os.ReadFile(filepath.Join(out, RunLogFile)); string(b) != "before\nafter\n" {
		t.Errorf("run.log after the rename: %q", b)
	}
	if _, err := os.Stat(out + PartialSuffix + LockFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the building lock %s is left: %v", out+PartialSuffix+LockFile, err)
	}

	// A run that fails before Commit: the folder goes, log and lock closed first.
	g, err := Create(out+"-failed", "clean", t0)
	if err != nil {
		t.Fatal(err)
	}
	glog, _ := g.OpenLog(RunLogFile)
	fmt.Fprintln(glog, "x")
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out + "-failed", g.Dir, g.Dir + LockFile} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived Remove: %v", p, err)
		}
	}

	ops, open := seen()
	for _, o := range open {
		t.Error(o)
	}
	want := []string{"rename summary.json.tmp", "rename r1.partial", "rename summary.json.tmp", "remove r1-failed.partial"}
	if strings.Join(ops, ", ") != strings.Join(want, ", ") {
		t.Errorf("file operations %v, want %v", ops, want)
	}
}

// Windows locks are mandatory even within one process: the holder must be written through
// the handle that holds the lock, never through another. On Linux the kernel says which
// handles are open and how far each has written: one handle on the lock file, whose
// position is the end of what it wrote.
func TestLockHolderIsWrittenThroughTheLockedHandle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fdinfo, which only Linux has")
	}
	dir := t.TempDir()
	f := &Folder{Dir: dir}
	if err := f.Lock("verify", t0); err != nil {
		t.Fatal(err)
	}
	defer f.Unlock()
	lock := f.Path(LockFile)
	open, _ := fsprobe.OpenFiles(lock)
	if len(open) != 1 {
		t.Fatalf("handles on %s: %v, want exactly the locked one", lock, open)
	}
	b, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	var h LockHolder
	if err := json.Unmarshal(b, &h); err != nil || h.PID != os.Getpid() || h.Command != "verify" {
		t.Fatalf("lock file %q: %v", b, err)
	}
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.lock.f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	pos := -1
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "pos:"); ok {
			pos, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if pos != len(b) {
		t.Errorf("the locked handle is at byte %d, the holder is %d bytes: it was written through another handle", pos, len(b))
	}
}

// A second Create of the same out while the first builds it is refused and names the
// builder, read from the building lock beside the folder; the builder's folder is intact.
func TestCreateWhileBuildingNamesTheBuilder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r")
	f, err := Create(out, "import", t0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Unlock()
	f.WriteFile(LedgerFile, []byte("line\n"))
	_, err = Create(out, "plan", t0)
	var iu *InUseError
	if !errors.As(err, &iu) || iu.Holder.PID != os.Getpid() || iu.Holder.Command != "import" {
		t.Fatalf("second Create: %v (holder %+v)", err, iu)
	}
	if !f.Has(LedgerFile) {
		t.Error("the builder's file went")
	}
}

// Remove refuses a folder whose lock this command does not hold: after a Commit that lost
// the folder's lock to another command, the folder is that command's.
func TestRemoveNeedsTheLock(t *testing.T) {
	dir := t.TempDir()
	f := &Folder{Dir: dir}
	f.WriteFile(SummaryFile, []byte("{}"))
	if err := f.Remove(); err == nil || !f.Has(SummaryFile) {
		t.Fatalf("Remove without the lock: %v", err)
	}
}

func TestRetry(t *testing.T) {
	busy := errors.New("busy")
	calls := 0
	err := retry(func() error {
		if calls++; calls < 4 {
			return busy
		}
		return nil
	}, func(err error) bool { return errors.Is(err, busy) })
	if err != nil || calls != 4 {
		t.Errorf("transient refusals: %v after %d calls, want success on the 4th", err, calls)
	}
	calls = 0
	final := errors.New("final")
	if err := retry(func() error { calls++; return final }, func(err error) bool { return errors.Is(err, busy) }); err != final || calls != 1 {
		t.Errorf("a final refusal: %v after %d calls, want it at once", err, calls)
	}
}
