package csvdiff

import (
	"fmt"
	"strings"
	"time"
)

// DateOrder is how a column writes slash dates: month first (US, 11/20/2025) or day first
// (most of the world, 20/11/2025).
type DateOrder uint8

// The orders of slash dates.
const (
	MonthFirst DateOrder = iota // M/D/YYYY, the default
	DayFirst                    // D/M/YYYY
)

func (o DateOrder) String() string {
	if o == DayFirst {
		return "day-first"
	}
	return "month-first"
}

// DateParser turns the date strings exports and spreadsheets write into instants. The zero
// value accepts the built-in formats with month-first slash dates; [DateParser.WithOrder]
// switches their order; [NewDateParser] forces one pattern instead.
//
// Built-in formats (a missing offset means UTC): RFC 3339 with "Z" or an offset (fractions
// allowed, also "+0000" without a colon and " UTC"), "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DD",
// slash dates "M/D/YYYY[ H:MM[:SS][ AM|PM]]" (or D/M/YYYY) padded or not, and dotted dates
// "D.M.YYYY[ H:MM[:SS]]", which are day-first everywhere they are written.
type DateParser struct {
	pattern  *pattern // a forced pattern; nil means the built-in formats
	dayFirst bool     // built-in slash dates are D/M/YYYY
}

// WithOrder returns p reading built-in slash dates in order o. A forced pattern is kept.
func (p DateParser) WithOrder(o DateOrder) DateParser {
	p.dayFirst = o == DayFirst
	return p
}

// Forced reports whether p parses one forced pattern rather than the built-in formats.
func (p DateParser) Forced() bool { return p.pattern != nil }

// NewDateParser returns a parser that accepts only format: a Data Loader / Java pattern
// ("dd/MM/yyyy HH:mm", "M/d/yyyy h:mm a", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") or a Go reference
// layout ("02/01/2006 15:04"). Numbers match padded or not, whatever the pattern's width
// ("MM/dd/yyyy" reads 1/2/2026), as spreadsheets write them. An empty format selects the
// built-in formats. A format that cannot describe a date (no year, month or day, an
// unknown pattern letter) is an error.
func NewDateParser(format string) (DateParser, error) {
	if format == "" {
		return DateParser{}, nil
	}
	pat, err := compilePattern(format)
	if err != nil {
		return DateParser{}, fmt.Errorf("%q is not a date layout: %v (examples: dd/MM/yyyy HH:mm, M/d/yyyy h:mm a, yyyy-MM-dd'T'HH:mm:ssXXX, 02/01/2006 15:04)", format, err)
	}
	return DateParser{pattern: pat}, nil
}

// Parse parses b and returns the instant in Unix nanoseconds.
func (p DateParser) Parse(b []byte) (int64, bool) {
	if p.pattern != nil {
		return p.pattern.parse(trimSpace(b))
	}
	return parseDate(b, p.dayFirst)
}

// parseDate parses the built-in formats without allocating.
func parseDate(b []byte, dayFirst bool) (int64, bool) {
	b = trimSpace(b)
	if len(b) < 8 {
		return 0, false
	}
	if b[4] == '-' {
		return parseISO(b)
	}
	if b[1] == '.' || b[2] == '.' {
		return parseSlash(b, '.', true)
	}
	return parseSlash(b, '/', dayFirst)
}

// SlashOrder reports, for a value written as N/N/YYYY, what its numbers allow: first > 12
// says it can only be day-first, second > 12 only month-first. ok is false for values of
// any other shape.
func SlashOrder(b []byte) (firstOver12, secondOver12, ok bool) {
	b = trimSpace(b)
	a, n, ok1 := number(b, 0, 2)
	if !ok1 || n >= len(b) || b[n] != '/' {
		return false, false, false
	}
	c, n2, ok2 := number(b, n+1, 2)
	if !ok2 || n2 >= len(b) || b[n2] != '/' {
		return false, false, false
	}
	return a > 12, c > 12, true
}

func parseISO(b []byte) (int64, bool) {
	if len(b) < 10 || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	rest := b[10:]
	if len(rest) == 0 {
		return civil(y, mo, d, 0, 0, 0, 0, 0)
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return 0, false
	}
	h, mi, s, ns, rest, ok := clock(rest[1:])
	if !ok {
		return 0, false
	}
	off, ok := offset(rest)
	if !ok {
		return 0, false
	}
	return civil(y, mo, d, h, mi, s, ns, off)
}

// parseSlash parses M/D/YYYY[ H:MM[:SS][ AM|PM]] with separator sep, or D/M/YYYY... when
// dayFirst.
func parseSlash(b []byte, sep byte, dayFirst bool) (int64, bool) {
	mo, n, ok := number(b, 0, 2)
	if !ok || n >= len(b) || b[n] != sep {
		return 0, false
	}
	d, n2, ok := number(b, n+1, 2)
	if !ok || n2 >= len(b) || b[n2] != sep {
		return 0, false
	}
	if dayFirst {
		mo, d = d, mo
	}
	y, n3, ok := number(b, n2+1, 4)
	if !ok || n3-n2-1 != 4 {
		return 0, false
	}
	rest := b[n3:]
	if len(rest) == 0 {
		return civil(y, mo, d, 0, 0, 0, 0, 0)
	}
	if rest[0] != ' ' {
		return 0, false
	}
	rest = trimSpace(rest)
	h, n4, ok := number(rest, 0, 2)
	if !ok || n4 >= len(rest) || rest[n4] != ':' {
		return 0, false
	}
	mi, n5, ok := number(rest, n4+1, 2)
	if !ok || n5-n4-1 != 2 {
		return 0, false
	}
	s := 0
	rest = rest[n5:]
	if len(rest) > 0 && rest[0] == ':' {
		var n6 int
		s, n6, ok = number(rest, 1, 2)
		if !ok || n6 != 3 {
			return 0, false
		}
		rest = rest[n6:]
	}
	rest = trimSpace(rest)
	if len(rest) > 0 {
		switch strings.ToUpper(string(rest)) {
		case "AM":
			if h < 1 || h > 12 {
				return 0, false
			}
			if h == 12 {
				h = 0
			}
		case "PM":
			if h < 1 || h > 12 {
				return 0, false
			}
			if h != 12 {
				h += 12
			}
		default:
			off, ok := offset(rest)
			if !ok {
				return 0, false
			}
			return civil(y, mo, d, h, mi, s, 0, off)
		}
	}
	return civil(y, mo, d, h, mi, s, 0, 0)
}

// clock parses HH:MM[:SS[.fraction]] and returns the rest.
func clock(b []byte) (h, m, s, ns int, rest []byte, ok bool) {
	if len(b) < 5 || b[2] != ':' {
		return
	}
	var ok1, ok2 bool
	h, ok1 = digits(b[0:2])
	m, ok2 = digits(b[3:5])
	if !ok1 || !ok2 {
		return
	}
	b = b[5:]
	if len(b) >= 3 && b[0] == ':' {
		var ok3 bool
		s, ok3 = digits(b[1:3])
		if !ok3 {
			return
		}
		b = b[3:]
		if len(b) > 0 && (b[0] == '.' || b[0] == ',') {
			i := 1
			scale := 100000000
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				ns += int(b[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == 1 {
				return
			}
			b = b[i:]
		}
	}
	return h, m, s, ns, b, true
}

// offset parses "", "Z", " UTC", "+HH:MM", "+HHMM", "+HH" (with or without a leading
// space) into seconds east of UTC.
func offset(b []byte) (int, bool) {
	b = trimSpace(b)
	switch {
	case len(b) == 0:
		return 0, true
	case len(b) == 1 && (b[0] == 'Z' || b[0] == 'z'):
		return 0, true
	case string(b) == "UTC" || string(b) == "GMT":
		return 0, true
	}
	if b[0] != '+' && b[0] != '-' {
		return 0, false
	}
	sign := 1
	if b[0] == '-' {
		sign = -1
	}
	b = b[1:]
	var h, m int
	var ok bool
	switch len(b) {
	case 2:
		h, ok = digits(b)
	case 4:
		h, ok = digits(b[:2])
		if ok {
			m, ok = digits(b[2:])
		}
	case 5:
		if b[2] != ':' {
			return 0, false
		}
		h, ok = digits(b[:2])
		if ok {
			m, ok = digits(b[3:])
		}
	}
	if !ok || h > 18 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// civil validates the fields and converts them to Unix nanoseconds.
func civil(y, mo, d, h, mi, s, ns, off int) (int64, bool) {
	if y < 1800 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) ||
		h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	days := daysFromCivil(y, mo, d)
	secs := days*86400 + int64(h*3600+mi*60+s) - int64(off)
	return secs*1e9 + int64(ns), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil: days since 1970-01-01.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// number reads 1..max digits starting at i and returns the value and the index after them.
func number(b []byte, i, max int) (int, int, bool) {
	n, j := 0, i
	for j < len(b) && j-i < max && b[j] >= '0' && b[j] <= '9' {
		n = n*10 + int(b[j]-'0')
		j++
	}
	return n, j, j > i
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// FormatUTC renders Unix nanoseconds as RFC 3339 in UTC, the form reports use.
func FormatUTC(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}
