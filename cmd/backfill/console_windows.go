package main

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// consoleStderr returns the writer for stderr and what to call before the process ends.
// When stderr is a console it turns on the console's virtual-terminal mode, so it takes
// ANSI sequences (colours, clearing the line), and the returned function puts the mode
// back; when the console refuses (before Windows 10) it returns a writer that strips
// them. A pipe, a file or a mintty terminal (Git Bash) is no console and is left alone.
func consoleStderr(f *os.File) (io.Writer, func()) {
	h := windows.Handle(f.Fd())
	return vtConsole(f,
		func() (uint32, error) {
			var mode uint32
			err := windows.GetConsoleMode(h, &mode)
			return mode, err
		},
		func(mode uint32) error { return windows.SetConsoleMode(h, mode) })
}

// vtConsole is consoleStderr with the console calls passed in.
func vtConsole(w io.Writer, getMode func() (uint32, error), setMode func(uint32) error) (io.Writer, func()) {
	mode, err := getMode()
	if err != nil || mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return w, func() {}
	}
	if err := setMode(mode | windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING); err != nil {
		return &ansiStripper{w: w}, func() {}
	}
	return w, func() { setMode(mode) }
}
