package main

import "io"

// What backfill draws on a terminal uses ANSI escape sequences: the log's level colours
// (log.go) and the line clearing before the Ctrl-C message (main.go). Terminals on Linux and
// macOS take them; the Windows console takes them once its virtual-terminal mode is on,
// which consoleStderr (console_windows.go) turns on, and where that cannot be done (a
// console older than Windows 10) it strips them, so nothing prints as ←[34m.

// ansiStripper writes to w what is written to it without ANSI escape sequences: ESC [
// parameters, intermediates and a final byte (CSI: colours, clearing), and ESC with one
// more byte. A sequence may span writes.
type ansiStripper struct {
	w     io.Writer
	state byte // 0: text; 1: after ESC; 2: in a CSI sequence
}

func (s *ansiStripper) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p))
	for _, c := range p {
		switch s.state {
		case 0:
			if c == 0x1b {
				s.state = 1
				continue
			}
			out = append(out, c)
		case 1:
			s.state = 0
			if c == '[' {
				s.state = 2
			}
		case 2:
			if 0x40 <= c && c <= 0x7e { // the final byte
				s.state = 0
			}
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
