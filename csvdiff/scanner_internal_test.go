package csvdiff

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// A row longer than the limit is rejected whole, naming the limit, and the rows after it are
// read as usual. The limit is lowered here so the test stays small.
func TestScannerRejectsRowOverTheLimit(t *testing.T) {
	in := "k1,a\nk2," + strings.Repeat("x", 5000) + "\nk3,c\n"
	s := newScanner(strings.NewReader(in), ',')
	s.maxRecord = 1000
	var got []string
	for {
		rec, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case errors.Is(rec.err, ErrRecordTooLong):
			if rec.col != 0 || rec.line != 2 {
				t.Errorf("too long: line %d col %d", rec.line, rec.col)
			}
			got = append(got, "too long")
		default:
			got = append(got, string(rec.raw))
		}
	}
	if strings.Join(got, "|") != "k1,a|too long|k3,c" {
		t.Errorf("records %q", got)
	}
	if !strings.Contains(ErrRecordTooLong.Error(), "16 MB") {
		t.Errorf("the message does not name the limit: %v", ErrRecordTooLong)
	}
}
