package fsprobe

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestOpenFilesSeesAnOpenFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("OpenFiles reads /proc/self/fd, which only Linux has")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	f, err := os.Create(filepath.Join(dir, "sub", "x"))
	if err != nil {
		t.Fatal(err)
	}
	open, ok := OpenFiles(dir)
	if !ok || len(open) != 1 || filepath.Base(open[0]) != "x" {
		t.Fatalf("open under %s: %v %v, want sub/x", dir, open, ok)
	}
	if open, _ := OpenFiles(dir + "-other"); len(open) != 0 {
		t.Errorf("a sibling path sees %v", open)
	}
	f.Close()
	if open, _ := OpenFiles(dir); len(open) != 0 {
		t.Errorf("after close: %v", open)
	}
}

func TestFileOpCallsTheHookUntilRestored(t *testing.T) {
	var got []string
	restore := SetFileOp(func(op, path string) { got = append(got, op+" "+path) })
	FileOp(Rename, "a")
	restore()
	FileOp(Remove, "b")
	if len(got) != 1 || got[0] != "rename a" {
		t.Fatalf("hook saw %v", got)
	}
}
