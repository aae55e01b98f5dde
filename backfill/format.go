package backfill

import (
	"strconv"
	"strings"
)

// Numbers for people: every count the tool prints goes through these.

// Group formats n with thousands separators: 1,234,567.
func Group[T int | int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural is n and noun, in the plural unless n is 1: "1 row", "2,000 rows".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Group(n) + " " + noun + "s"
}
