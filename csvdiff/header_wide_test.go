package csvdiff_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/csvdiff"
)

// A wide header (10,000 columns, far over 64 KB) in a file with LF line endings is a
// header like any other: only a "header" that runs to the end of the file means the file's
// line breaks were not recognised.
func TestWideHeader(t *testing.T) {
	var b strings.Builder
	b.WriteString("External Id,Enrollment Date")
	for i := range 10000 {
		fmt.Fprintf(&b, ",Extra Column Number %d", i)
	}
	b.WriteString("\nk1,2025-12-01" + strings.Repeat(",", 10000) + "\n")
	if b.Len() < 64<<10 {
		t.Fatalf("the header is only %d bytes", b.Len())
	}
	h, err := csvdiff.ReadHeader(strings.NewReader(b.String()), csvdiff.Options{File: "wide.csv"})
	if err != nil {
		t.Fatalf("a 10,002-column header: %v", err)
	}
	if len(h.Names) != 10002 || h.KeyName() != "External Id" {
		t.Fatalf("%d columns, key %q", len(h.Names), h.KeyName())
	}
}
