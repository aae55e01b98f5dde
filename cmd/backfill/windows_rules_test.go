package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/backfill/runfolder/fsprobe"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestNothingOpenWhenTheRunFolderMoves: Windows refuses to rename or delete a file that is
// open, or a folder with an open file inside, and Wine (which the Windows check runs on)
// does not enforce it for folders. So every command that writes a run folder runs here
// with a hook at each rename and removal of backfill/runfolder, which lists what the
// process holds open at or under the path (/proc/self/fd): nothing may be, neither run.log
// nor the lock nor a journal. Not parallel: the hook sees the whole process.
func TestNothingOpenWhenTheRunFolderMoves(t *testing.T) {
	if _, ok := fsprobe.OpenFiles(t.TempDir()); !ok {
		t.Skip("needs /proc/self/fd (Linux) to see which files are open")
	}
	var mu sync.Mutex
	var folderMoves int
	var open []string
	defer fsprobe.SetFileOp(func(op, path string) {
		held, _ := fsprobe.OpenFiles(path)
		mu.Lock()
		defer mu.Unlock()
		if op == fsprobe.Rename && strings.HasSuffix(path, ".partial") {
			folderMoves++
		}
		for _, h := range held {
			open = append(open, fmt.Sprintf("%s %s while %s is open", op, path, h))
		}
	})()

	srv := sftest.NewServer(t)
	tok := token(srv.AccessToken())
	tmp := t.TempDir()
	plan, direct := filepath.Join(tmp, "plan 1"), filepath.Join(tmp, "import 1")
	for _, args := range [][]string{
		{"clean", "--export", sampleExport, "--existing", "../../backfill/demo/sample/existing.csv", "--out", filepath.Join(tmp, "clean 1")},
		{"plan", "--export", sampleExport, "--instance-url", srv.URL, "--out", plan},
		{"import", "--plan", plan, "--instance-url", srv.URL, "--yes"},
		{"verify", plan, "--instance-url", srv.URL},
		{"undo", plan, "--instance-url", srv.URL, "--yes"},
		{"resume", plan, "--instance-url", srv.URL},
		{"import", "--export", sampleExport, "--instance-url", srv.URL, "--out", direct, "--yes"},
		{"undo", direct, "--instance-url", srv.URL, "--yes"},
	} {
		if _, stderr, code := runCLIEnv(t, tok, append(args, "-q")...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
	// A batch: its plans, and one replaced by a second batch plan (kept under .replaced/).
	// The customers log in through the fake sf, found on PATH (no parallel test runs now).
	fleet := newBatchFleet(t, "acme", "globex")
	fleet.orgs["globex"].SetBulkBatchesRemaining(0) // preflight fails: planned again below
	t.Setenv("PATH", fleet.sf.Dir()+string(os.PathListSeparator)+os.Getenv("PATH"))
	export, _ := filepath.Abs(sampleExport)
	rb := filepath.Join(tmp, "customers.csv")
	os.WriteFile(rb, []byte("customer,target_org,export\nacme,acme,"+export+"\nglobex,globex,"+export+"\n"), 0o600)
	out := filepath.Join(tmp, "batch 1")
	if _, stderr, code := runCLI(t, "batch", "plan", rb, "--out", out, "-q"); code != exitRowsFailed {
		t.Fatalf("batch plan: exit %d\n%s", code, stderr)
	}
	fleet.orgs["globex"].SetBulkBatchesRemaining(15000)
	if _, stderr, code := runCLI(t, "batch", "plan", rb, "--out", out, "-q"); code != 0 {
		t.Fatalf("batch plan again: exit %d\n%s", code, stderr)
	}
	if kept, _ := filepath.Glob(filepath.Join(out, ".replaced", "globex-*")); len(kept) != 1 {
		t.Errorf("globex's replaced plan was not kept: %v", kept)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, o := range open {
		t.Error(o)
	}
	if folderMoves != 6 {
		t.Errorf("%d run folders renamed into place, want 6 (clean, plan, import, 3 batch plans): the hook did not see them", folderMoves)
	}
}
