//go:build !windows

package main

import (
	"io"
	"os"
)

// consoleStderr returns the writer for stderr and what to call before the process ends:
// here stderr itself (terminals take ANSI sequences) and nothing.
func consoleStderr(f *os.File) (io.Writer, func()) { return f, func() {} }
