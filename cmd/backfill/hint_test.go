package main

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptRunHint is the scripts' `runhint CODE REGEXP` command: it finds REGEXP in the last
// command's stdout and stderr, takes its first group as the command line the output
// printed (a hint, a "to undo:" line), splits it as a POSIX shell would (single quotes),
// and runs it exactly, checking its exit status is CODE: every printed hint runs as
// printed (issue 23 case 16).
func scriptRunHint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: runhint CODE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	m := re.FindStringSubmatch(out)
	if len(m) < 2 {
		ts.Fatalf("no match for %s in the last output", args[1])
	}
	words, err := shellWords(m[1])
	ts.Check(err)
	if len(words) == 0 || words[0] != "backfill" {
		ts.Fatalf("the hint %q is not a backfill command line", m[1])
	}
	ts.Logf("running the printed hint: %s", m[1])
	scriptExits(ts, false, append([]string{args[0]}, words...))
}

// shellWords splits a command line as a POSIX shell does for the quoting report.Quote
// writes: words separated by spaces, single-quoted runs, and a backslash that escapes the
// next byte (a quote inside a quoted word is written close, backslash-quote, open).
func shellWords(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, in = true, true
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			in = true
		case c == ' ':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, strconv.ErrSyntax
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}
