package report

import (
	"runtime"
	"strings"
)

// The commands backfill prints for people to run (hints such as `backfill undo DIR`) are
// quoted for the shell they will be pasted into, so a path with spaces, quotes, $ or
// non-ASCII letters (C:\Users\Ana María\Downloads\run 1) arrives as one argument, unchanged.
//
// On Windows that shell is PowerShell, not cmd.exe: PowerShell is what Windows 10 and 11
// open (Windows Terminal, the Win+X menu), what the README shows for Windows, and its
// single-quoted strings are literal (only ' is doubled), whereas cmd.exe expands %VAR% on
// the command line with no way to escape it there. On Linux and macOS it is a POSIX shell
// (sh, bash, zsh).

// shell is the kind of shell a printed command is quoted for.
type shell int

const (
	posixShell shell = iota // sh, bash, zsh (Linux, macOS)
	powerShell              // Windows PowerShell 5.1 and PowerShell 7
)

// hostShell is the shell people use where backfill runs: PowerShell on Windows, a POSIX
// shell elsewhere.
func hostShell() shell {
	if runtime.GOOS == "windows" {
		return powerShell
	}
	return posixShell
}

// quoteArg returns s as one word of sh's command line: s itself when it is made only of
// characters no shell treats specially (ASCII letters, digits and, by shell, a few marks
// such as - . / _ and, for PowerShell, \ and :), otherwise a single-quoted string:
//
//	POSIX:       it's  ->  'it'\''s'
//	PowerShell:  it's  ->  'it''s'
//	both:        (empty)  ->  ''
//
// A POSIX single-quoted string cannot hold a single quote, so each one closes the string,
// is escaped with a backslash and reopens it; everything else in it is literal ($, the
// backtick, the backslash, spaces, newlines, non-ASCII). PowerShell doubles the quote, and
// takes the typographic quotes U+2018 to U+201B as single quotes too, so they are doubled
// as well; $ and the backtick are literal in its single-quoted strings.
//
// Two PowerShell limits no quoting can lift: Windows PowerShell 5.1 drops an empty
// argument, and mangles one holding a double quote, when it starts a native program
// (PowerShell 7.3 and later do not); a Windows path never holds a double quote.
func quoteArg(sh shell, s string) string {
	if s != "" && bare(sh, s) {
		return s
	}
	if sh == powerShell {
		var b strings.Builder
		b.WriteByte('\'')
		for _, r := range s {
			if isPowerShellQuote(r) {
				b.WriteRune(r)
			}
			b.WriteRune(r)
		}
		b.WriteByte('\'')
		return b.String()
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteLine returns the command line that runs args (the program first) in sh, each
// word quoted by quoteArg. In PowerShell a quoted program needs the call operator:
// & 'C:\Program Files\backfill\backfill.exe' version.
func quoteLine(sh shell, args ...string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = quoteArg(sh, a)
	}
	line := strings.Join(words, " ")
	if sh == powerShell && len(args) > 0 && words[0] != args[0] {
		line = "& " + line
	}
	return line
}

// bare reports whether s can stand unquoted in sh: only ASCII letters, digits and marks
// that sh gives no meaning to.
func bare(sh shell, s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._/", c) >= 0:
		case sh == posixShell && strings.IndexByte("+,:@%", c) >= 0:
		case sh == posixShell && c == '=' && i > 0: // zsh expands a leading =
		case sh == powerShell && strings.IndexByte(`\:+=`, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isPowerShellQuote reports whether PowerShell takes r as a single quote.
func isPowerShellQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}
