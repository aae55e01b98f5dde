package csvdiff_test

import (
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

func TestParseDates(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time // zero: must not parse
	}{
		{"2025-11-20T00:00:00Z", utc(2025, 11, 20, 0, 0, 0, 0)},
		{"2025-11-20T08:22:41.123Z", utc(2025, 11, 20, 8, 22, 41, 123000000)},
		{"2025-11-20T08:22:41.5+02:00", utc(2025, 11, 20, 6, 22, 41, 500000000)},
		{"2025-11-20T08:22:41-0500", utc(2025, 11, 20, 13, 22, 41, 0)},
		{"2025-11-20T13:45:00.000+0000", utc(2025, 11, 20, 13, 45, 0, 0)},
		{"2025-11-20 08:22:41", utc(2025, 11, 20, 8, 22, 41, 0)},
		{"2025-11-20 08:22", utc(2025, 11, 20, 8, 22, 0, 0)},
		{"2025-11-20 08:22:41 UTC", utc(2025, 11, 20, 8, 22, 41, 0)},
		{"2025-11-20T08:22:41", utc(2025, 11, 20, 8, 22, 41, 0)},
		{"2025-11-20", utc(2025, 11, 20, 0, 0, 0, 0)},
		{" 2025-11-20 ", utc(2025, 11, 20, 0, 0, 0, 0)},
		{"11/20/2025 14:05", utc(2025, 11, 20, 14, 5, 0, 0)},
		{"11/20/2025 14:05:09", utc(2025, 11, 20, 14, 5, 9, 0)},
		{"1/2/2026", utc(2026, 1, 2, 0, 0, 0, 0)},
		{"1/2/2026 3:04 PM", utc(2026, 1, 2, 15, 4, 0, 0)},
		{"1/2/2026 12:30 AM", utc(2026, 1, 2, 0, 30, 0, 0)},
		{"01/02/2026 9:04:05 am", utc(2026, 1, 2, 9, 4, 5, 0)},
		{"2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"2025-02-29", time.Time{}},
		{"2025-13-01", time.Time{}},
		{"31/31/2025", time.Time{}},
		{"2025-11-20T25:00:00Z", time.Time{}},
		{"2025-11-20T10:00:00+25:00", time.Time{}},
		{"2025-11-20X", time.Time{}},
		{"20/11/2025", time.Time{}},
		{"1/2/26", time.Time{}},
		{"1/2/2026 13:00 PM", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	var p csvdiff.DateParser
	for _, tt := range tests {
		got, ok := p.Parse([]byte(tt.in))
		if tt.want.IsZero() {
			if ok {
				t.Errorf("Parse(%q) = %v, want failure", tt.in, time.Unix(0, got).UTC())
			}
			continue
		}
		if !ok || got != tt.want.UnixNano() {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, time.Unix(0, got).UTC(), ok, tt.want)
		}
	}
}

func TestForcedDateFormat(t *testing.T) {
	tests := []struct {
		format, in string
		want       time.Time
	}{
		{"dd/MM/yyyy", "20/11/2025", time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)},
		{"dd.MM.yyyy HH:mm", "20.11.2025 13:04", time.Date(2025, 11, 20, 13, 4, 0, 0, time.UTC)},
		{"2006-01-02 15:04 MST", "2025-11-20 13:04 UTC", time.Date(2025, 11, 20, 13, 4, 0, 0, time.UTC)},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", "2025-11-20T13:04:05+01:00", time.Date(2025, 11, 20, 12, 4, 5, 0, time.UTC)},
	}
	for _, tt := range tests {
		p, err := csvdiff.NewDateParser(tt.format)
		if err != nil {
			t.Fatalf("NewDateParser(%q): %v", tt.format, err)
		}
		got, ok := p.Parse([]byte(tt.in))
		if !ok || got != tt.want.UnixNano() {
			t.Errorf("%q.Parse(%q) = %v, %v; want %v", tt.format, tt.in, time.Unix(0, got).UTC(), ok, tt.want)
		}
		if _, ok := p.Parse([]byte("2025-11-20T13:04:05Z")); ok && tt.format == "dd/MM/yyyy" {
			t.Errorf("a forced format must refuse other formats")
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-11-20T08:22:41.5+02:00", "1/2/2026 3:04 PM", "2025-11-20 08:22", "11/20/2025 14:05:09", "2025-11-20T13:45:00.000+0000"} {
		f.Add(s)
	}
	var p csvdiff.DateParser
	f.Fuzz(func(t *testing.T, s string) {
		ns, ok := p.Parse([]byte(s))
		if !ok {
			return
		}
		// Whatever parses is a real instant in the accepted range, and formatting it as
		// RFC 3339 and parsing that again gives the same instant.
		tm := time.Unix(0, ns).UTC()
		if tm.Year() < 1800 || tm.Year() > 2201 {
			t.Fatalf("Parse(%q) = %v: out of range", s, tm)
		}
		back, ok := p.Parse([]byte(tm.Format(time.RFC3339Nano)))
		if !ok || back != ns {
			t.Fatalf("round trip of %q via %s: %v %v", s, tm.Format(time.RFC3339Nano), back, ok)
		}
	})
}

// TestDataLoaderPatterns: the patterns admins type in Data Loader read values padded or
// not; Go layouts too; a pattern that cannot describe a date is refused at once.
func TestDataLoaderPatterns(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		format, in string
		want       time.Time // zero: must not parse
	}{
		{"M/d/yyyy H:mm", "1/2/2026 9:05", at(2026, 1, 2, 9, 5)},
		{"M/d/yyyy H:mm", "12/31/2025 23:59", at(2025, 12, 31, 23, 59)},
		{"MM/dd/yyyy HH:mm", "1/2/2026 9:05", at(2026, 1, 2, 9, 5)},
		{"MM/dd/yyyy HH:mm", "01/02/2026 09:05", at(2026, 1, 2, 9, 5)},
		{"d/M/yyyy H:mm", "2/12/2025 10:00", at(2025, 12, 2, 10, 0)},
		{"d/M/yyyy H:mm", "25/12/2025 7:30", at(2025, 12, 25, 7, 30)},
		{"dd/MM/yyyy", "3/1/2026", at(2026, 1, 3, 0, 0)},
		{"M/d/yyyy h:mm a", "1/2/2026 3:04 PM", at(2026, 1, 2, 15, 4)},
		{"M/d/yyyy h:mm a", "1/2/2026 12:04 am", at(2026, 1, 2, 0, 4)},
		{"dd-MMM-yyyy", "05-Dec-2025", at(2025, 12, 5, 0, 0)},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2025-12-05T10:00:00.000+0100", at(2025, 12, 5, 9, 0)},
		{"yyyyMMdd", "20251205", at(2025, 12, 5, 0, 0)},
		{"01/02/2006 15:04", "1/2/2026 9:05", at(2026, 1, 2, 9, 5)},
		{"02.01.2006", "3.1.2026", at(2026, 1, 3, 0, 0)},
		{"d/M/yyyy H:mm", "2025-12-05 10:00", time.Time{}},
		{"d/M/yyyy H:mm", "32/1/2026 10:00", time.Time{}},
		{"M/d/yyyy", "1/2/2026 extra", time.Time{}},
	}
	for _, tt := range tests {
		p, err := csvdiff.NewDateParser(tt.format)
		if err != nil {
			t.Errorf("NewDateParser(%q): %v", tt.format, err)
			continue
		}
		got, ok := p.Parse([]byte(tt.in))
		switch {
		case tt.want.IsZero() && ok:
			t.Errorf("%q.Parse(%q) = %v, want failure", tt.format, tt.in, time.Unix(0, got).UTC())
		case !tt.want.IsZero() && (!ok || got != tt.want.UnixNano()):
			t.Errorf("%q.Parse(%q) = %v, %v; want %v", tt.format, tt.in, time.Unix(0, got).UTC(), ok, tt.want)
		}
	}
	for _, bad := range []string{"garbage", "HH:mm", "dd/MM", "yyyy-MM", "d/M/yyyy h:mm", "'unclosed"} {
		if _, err := csvdiff.NewDateParser(bad); err == nil || !strings.Contains(err.Error(), "not a date layout") {
			t.Errorf("NewDateParser(%q) = %v, want a refusal", bad, err)
		}
	}
}

// TestDayFirstAndDotted: slash dates follow the order given; dotted dates are day-first.
func TestDayFirstAndDotted(t *testing.T) {
	var p csvdiff.DateParser
	df := p.WithOrder(csvdiff.DayFirst)
	for _, tt := range []struct {
		p    csvdiff.DateParser
		in   string
		want time.Time
	}{
		{df, "02/12/2025 10:00", time.Date(2025, 12, 2, 10, 0, 0, 0, time.UTC)},
		{df, "03/01/2026", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)},
		{p, "02/12/2025 10:00", time.Date(2025, 2, 12, 10, 0, 0, 0, time.UTC)},
		{p, "20.11.2025", time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)},
		{df, "20.11.2025 13:04", time.Date(2025, 11, 20, 13, 4, 0, 0, time.UTC)},
	} {
		got, ok := tt.p.Parse([]byte(tt.in))
		if !ok || got != tt.want.UnixNano() {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, time.Unix(0, got).UTC(), ok, tt.want)
		}
	}
}
