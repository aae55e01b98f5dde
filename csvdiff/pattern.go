package csvdiff

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A pattern is a forced date layout (--date-format), compiled from a Data Loader / Java
// SimpleDateFormat pattern or a Go reference layout into tokens. Numbers match padded or
// not: spreadsheets drop leading zeros that the pattern admins type keeps.

type tokenKind uint8

const (
	tokLiteral   tokenKind = iota
	tokYear                // 4 digits
	tokYear2               // 2 digits, 2000-2099
	tokMonth               // 1 or 2 digits
	tokMonthName           // January or Jan
	tokDay                 // 1 or 2 digits
	tokHour24              // 0-23
	tokHour12              // 1-12, with tokAMPM
	tokMinute
	tokSecond
	tokFraction // 1-9 digits
	tokAMPM
	tokOffset  // Z, +HH, +HHMM, +HH:MM
	tokZone    // UTC, GMT (zero offset)
	tokWeekday // a day name, checked for letters only
)

type token struct {
	kind tokenKind
	lit  string // tokLiteral
}

type pattern struct {
	toks []token
}

// compilePattern reads a Java pattern, or a Go layout when it contains "2006".
func compilePattern(format string) (*pattern, error) {
	var toks []token
	var err error
	if strings.Contains(format, "2006") {
		toks = goTokens(format)
	} else if toks, err = javaTokens(format); err != nil {
		return nil, err
	}
	p := &pattern{toks: toks}
	has := map[tokenKind]bool{}
	for _, t := range toks {
		has[t.kind] = true
	}
	switch {
	case !has[tokYear] && !has[tokYear2]:
		return nil, errors.New("it has no year (yyyy)")
	case !has[tokMonth] && !has[tokMonthName]:
		return nil, errors.New("it has no month (MM)")
	case !has[tokDay]:
		return nil, errors.New("it has no day (dd)")
	case has[tokHour12] && !has[tokAMPM]:
		return nil, errors.New("it has a 12-hour clock (h) without AM/PM (a); use H for a 24-hour clock")
	}
	// The pattern must read back what it writes.
	text := p.format(time.Date(2025, 11, 20, 13, 4, 5, 0, time.UTC))
	if got, ok := p.parse([]byte(text)); !ok || p.format(time.Unix(0, got).UTC()) != text {
		return nil, fmt.Errorf("it cannot read back a date it writes (%q)", text)
	}
	return p, nil
}

// javaTokens reads a SimpleDateFormat pattern: runs of pattern letters, 'quoted text' (” is
// a quote), anything else literal. Letters it does not know are an error, as in Java.
func javaTokens(f string) ([]token, error) {
	var toks []token
	lit := func(s string) {
		if n := len(toks); n > 0 && toks[n-1].kind == tokLiteral {
			toks[n-1].lit += s
			return
		}
		toks = append(toks, token{kind: tokLiteral, lit: s})
	}
	for i := 0; i < len(f); {
		c := f[i]
		switch {
		case c == '\'':
			if i+1 < len(f) && f[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("a quote ' is not closed")
			}
			lit(f[i+1 : i+1+j])
			i += j + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(f) && f[i+n] == c {
				n++
			}
			t, err := javaLetter(c, n)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += n
		default:
			lit(string(c))
			i++
		}
	}
	return toks, nil
}

func javaLetter(c byte, n int) (token, error) {
	switch c {
	case 'y', 'u':
		if n == 2 {
			return token{kind: tokYear2}, nil
		}
		return token{kind: tokYear}, nil
	case 'M', 'L':
		if n >= 3 {
			return token{kind: tokMonthName}, nil
		}
		return token{kind: tokMonth}, nil
	case 'd':
		return token{kind: tokDay}, nil
	case 'H', 'k':
		return token{kind: tokHour24}, nil
	case 'h', 'K':
		return token{kind: tokHour12}, nil
	case 'm':
		return token{kind: tokMinute}, nil
	case 's':
		return token{kind: tokSecond}, nil
	case 'S':
		return token{kind: tokFraction}, nil
	case 'a':
		return token{kind: tokAMPM}, nil
	case 'X', 'Z', 'x':
		return token{kind: tokOffset}, nil
	case 'z':
		return token{kind: tokZone}, nil
	case 'E':
		return token{kind: tokWeekday}, nil
	}
	return token{}, fmt.Errorf("%q is not a date pattern letter (letters: yyyy MM dd HH hh mm ss SSS a XXX; quote text as 'T')", string(c))
}

// goElements are the Go reference layout elements, longest first.
var goElements = []struct {
	s string
	k tokenKind
}{
	{"January", tokMonthName}, {"Monday", tokWeekday}, {"Z07:00", tokOffset}, {"-07:00", tokOffset},
	{"Z0700", tokOffset}, {"-0700", tokOffset}, {"2006", tokYear}, {"Jan", tokMonthName}, {"Mon", tokWeekday},
	{"MST", tokZone}, {"-07", tokOffset}, {"_2", tokDay}, {"06", tokYear2}, {"01", tokMonth}, {"02", tokDay},
	{"15", tokHour24}, {"03", tokHour12}, {"04", tokMinute}, {"05", tokSecond}, {"PM", tokAMPM}, {"pm", tokAMPM},
	{".000000000", tokFraction}, {".000000", tokFraction}, {".000", tokFraction}, {".999999999", tokFraction},
	{".999999", tokFraction}, {".999", tokFraction}, {"1", tokMonth}, {"2", tokDay}, {"3", tokHour12},
	{"4", tokMinute}, {"5", tokSecond},
}

// goTokens reads a Go reference layout.
func goTokens(f string) []token {
	var toks []token
	for i := 0; i < len(f); {
		matched := false
		for _, e := range goElements {
			if strings.HasPrefix(f[i:], e.s) {
				if e.k == tokFraction {
					toks = append(toks, token{kind: tokLiteral, lit: "."})
				}
				toks = append(toks, token{kind: e.k})
				i += len(e.s)
				matched = true
				break
			}
		}
		if !matched {
			if n := len(toks); n > 0 && toks[n-1].kind == tokLiteral {
				toks[n-1].lit += f[i : i+1]
			} else {
				toks = append(toks, token{kind: tokLiteral, lit: f[i : i+1]})
			}
			i++
		}
	}
	return toks
}

// parsed is what a pattern read from a value.
type parsed struct {
	y, mo, d, h, mi, s, ns, off int
	pm, hasAMPM                 bool
}

// parse reads b with the pattern.
func (p *pattern) parse(b []byte) (int64, bool) {
	var v parsed
	v.mo, v.d = 1, 1
	i := 0
	for _, t := range p.toks {
		n, ok := v.read(t, b[i:])
		if !ok {
			return 0, false
		}
		i += n
	}
	if i != len(b) {
		return 0, false
	}
	if v.hasAMPM {
		if v.h < 1 || v.h > 12 {
			return 0, false
		}
		switch {
		case v.pm && v.h != 12:
			v.h += 12
		case !v.pm && v.h == 12:
			v.h = 0
		}
	}
	return civil(v.y, v.mo, v.d, v.h, v.mi, v.s, v.ns, v.off)
}

// read reads one token from the start of b and returns the bytes it used.
func (v *parsed) read(t token, b []byte) (int, bool) {
	num := func(min, max int, dst *int) (int, bool) {
		n, j, ok := number(b, 0, max)
		if !ok || j < min {
			return 0, false
		}
		*dst = n
		return j, true
	}
	switch t.kind {
	case tokLiteral:
		if len(b) < len(t.lit) || !strings.EqualFold(string(b[:len(t.lit)]), t.lit) {
			return 0, false
		}
		return len(t.lit), true
	case tokYear:
		return num(4, 4, &v.y)
	case tokYear2:
		n, ok := num(2, 2, &v.y)
		v.y += 2000
		return n, ok
	case tokMonth:
		return num(1, 2, &v.mo)
	case tokDay:
		return num(1, 2, &v.d)
	case tokHour24, tokHour12:
		return num(1, 2, &v.h)
	case tokMinute:
		return num(1, 2, &v.mi)
	case tokSecond:
		return num(1, 2, &v.s)
	case tokFraction:
		j, scale := 0, 100000000
		for j < len(b) && j < 9 && b[j] >= '0' && b[j] <= '9' {
			v.ns += int(b[j]-'0') * scale
			scale /= 10
			j++
		}
		return j, j > 0
	case tokAMPM:
		if len(b) < 2 {
			return 0, false
		}
		switch strings.ToUpper(string(b[:2])) {
		case "AM":
			v.hasAMPM = true
			return 2, true
		case "PM":
			v.hasAMPM, v.pm = true, true
			return 2, true
		}
		return 0, false
	case tokMonthName:
		return v.monthName(b)
	}
	return v.readZone(t, b)
}

// monthName reads a month's English name, whole or its first three letters.
func (v *parsed) monthName(b []byte) (int, bool) {
	for m := time.January; m <= time.December; m++ {
		name := m.String()
		if len(b) >= len(name) && strings.EqualFold(string(b[:len(name)]), name) {
			v.mo = int(m)
			return len(name), true
		}
		if len(b) >= 3 && strings.EqualFold(string(b[:3]), name[:3]) {
			v.mo = int(m)
			return 3, true
		}
	}
	return 0, false
}

// readZone reads an offset, a zone name (UTC or GMT) or a weekday name.
func (v *parsed) readZone(t token, b []byte) (int, bool) {
	j := 0
	for j < len(b) && (b[j] >= 'A' && b[j] <= 'Z' || b[j] >= 'a' && b[j] <= 'z') {
		j++
	}
	switch t.kind {
	case tokWeekday:
		return j, j >= 3
	case tokZone:
		name := strings.ToUpper(string(b[:j]))
		return j, name == "UTC" || name == "GMT" || name == "Z"
	}
	// tokOffset: Z, or a sign and digits with an optional colon.
	if len(b) > 0 && (b[0] == 'Z' || b[0] == 'z') {
		return 1, true
	}
	j = 1
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == ':') {
		j++
	}
	off, ok := offset(b[:j])
	v.off = off
	return j, ok && j > 1
}

// format writes t with the pattern (in UTC), for checking that it reads back.
func (p *pattern) format(t time.Time) string {
	var b strings.Builder
	for _, k := range p.toks {
		switch k.kind {
		case tokLiteral:
			b.WriteString(k.lit)
		case tokYear:
			fmt.Fprintf(&b, "%04d", t.Year())
		case tokYear2:
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case tokMonth:
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case tokMonthName:
			b.WriteString(t.Month().String())
		case tokDay:
			fmt.Fprintf(&b, "%02d", t.Day())
		case tokHour24:
			fmt.Fprintf(&b, "%02d", t.Hour())
		case tokHour12:
			fmt.Fprintf(&b, "%02d", (t.Hour()+11)%12+1)
		case tokMinute:
			fmt.Fprintf(&b, "%02d", t.Minute())
		case tokSecond:
			fmt.Fprintf(&b, "%02d", t.Second())
		case tokFraction:
			fmt.Fprintf(&b, "%03d", t.Nanosecond()/1e6)
		case tokAMPM:
			b.WriteString(t.Format("PM"))
		case tokOffset:
			b.WriteString("Z")
		case tokZone:
			b.WriteString("UTC")
		case tokWeekday:
			b.WriteString(t.Weekday().String())
		}
	}
	return b.String()
}
