package main

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/windows"
)

func TestVTConsole(t *testing.T) {
	const vt = windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING
	var out bytes.Buffer
	notConsole := func() (uint32, error) { return 0, windows.ERROR_INVALID_HANDLE }
	if w, _ := vtConsole(&out, notConsole, nil); w != &out {
		t.Error("a pipe or a file is wrapped")
	}
	var set []uint32
	setOK := func(m uint32) error { set = append(set, m); return nil }
	w, restore := vtConsole(&out, func() (uint32, error) { return 3, nil }, setOK)
	restore()
	if w != &out || len(set) != 2 || set[0] != 3|vt || set[1] != 3 {
		t.Errorf("a console: modes set %v, want %d then 3 back", set, 3|vt)
	}
	w, _ = vtConsole(&out, func() (uint32, error) { return 3, nil }, func(uint32) error { return errors.New("refused") })
	if _, ok := w.(*ansiStripper); !ok {
		t.Errorf("a console that refuses the mode: %T, want the stripper", w)
	}
}

// Under the test runner stderr is a pipe or a file, never a console: left as it is.
func TestConsoleStderrOfAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got, restore := consoleStderr(w); got != w {
		t.Errorf("consoleStderr(pipe) = %T", got)
	} else {
		restore()
	}
}
