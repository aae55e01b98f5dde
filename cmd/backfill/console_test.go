package main

import (
	"bytes"
	"testing"
)

func TestANSIStripper(t *testing.T) {
	var b bytes.Buffer
	s := &ansiStripper{w: &b}
	// zap's coloured level, the line clearing of main.go, one sequence split across writes
	for _, w := range []string{"\x1b[34mINFO\x1b[0m\tplan written\n", "\r\x1b[K", "backfill: interrupted\n", "\x1b[3", "1mERROR\x1b", "[0m done\n", "\x1b7saved\n"} {
		if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if got, want := b.String(), "INFO\tplan written\n\rbackfill: interrupted\nERROR done\nsaved\n"; got != want {
		t.Errorf("stripped %q, want %q", got, want)
	}
}
