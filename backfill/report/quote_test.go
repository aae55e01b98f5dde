package report

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

var quoteCases = []struct {
	in, posix, pwsh string
}{
	{"run", "run", "run"},
	{"backfill-runs/20260110T030300Z", "backfill-runs/20260110T030300Z", "backfill-runs/20260110T030300Z"},
	{"--out=dir", "--out=dir", "--out=dir"},
	{`C:\Users\Ana\run 1`, `'C:\Users\Ana\run 1'`, `'C:\Users\Ana\run 1'`},
	{`C:\Users\Ana\run1`, `'C:\Users\Ana\run1'`, `C:\Users\Ana\run1`},
	{"/home/ana/My Runs/r 1", "'/home/ana/My Runs/r 1'", "'/home/ana/My Runs/r 1'"},
	{"it's", `'it'\''s'`, "'it''s'"},
	{"O’Brien", "'O’Brien'", "'O’’Brien'"},
	{`say "hi"`, `'say "hi"'`, `'say "hi"'`},
	{"$HOME", "'$HOME'", "'$HOME'"},
	{"$(rm -rf x)", "'$(rm -rf x)'", "'$(rm -rf x)'"},
	{"a`b", "'a`b'", "'a`b'"},
	{"María José", "'María José'", "'María José'"},
	{"日本", "'日本'", "'日本'"},
	{"", "''", "''"},
	{"=x", "'=x'", "=x"},
	{"a,b", "a,b", "'a,b'"},
	{"@file", "@file", "'@file'"},
	{"--%", "--%", "'--%'"},
	{"a;b|c&d", "'a;b|c&d'", "'a;b|c&d'"},
	{"~/runs", "'~/runs'", "'~/runs'"},
	{"line\nbreak", "'line\nbreak'", "'line\nbreak'"},
	{`back\slash`, `'back\slash'`, `back\slash`},
}

func TestQuoteArg(t *testing.T) {
	for _, c := range quoteCases {
		if got := quoteArg(posixShell, c.in); got != c.posix {
			t.Errorf("posix %q: %s, want %s", c.in, got, c.posix)
		}
		if got := quoteArg(powerShell, c.in); got != c.pwsh {
			t.Errorf("powershell %q: %s, want %s", c.in, got, c.pwsh)
		}
		if got := unquotePowerShell(t, quoteArg(powerShell, c.in)); got != c.in {
			t.Errorf("powershell %q reads back as %q", c.in, got)
		}
	}
}

func TestQuoteLine(t *testing.T) {
	if got, want := quoteLine(posixShell, "backfill", "undo", "/tmp/My Runs/r 1", "--yes"), "backfill undo '/tmp/My Runs/r 1' --yes"; got != want {
		t.Errorf("posix: %s, want %s", got, want)
	}
	if got, want := quoteLine(powerShell, `.\backfill.exe`, "undo", `C:\Users\Ana\run 1`), `.\backfill.exe undo 'C:\Users\Ana\run 1'`; got != want {
		t.Errorf("powershell: %s, want %s", got, want)
	}
	if got, want := quoteLine(powerShell, `C:\Program Files\backfill\backfill.exe`, "version"), `& 'C:\Program Files\backfill\backfill.exe' version`; got != want {
		t.Errorf("powershell, a quoted program: %s, want %s", got, want)
	}
}

// The POSIX quoting is checked against a real sh: each case is one argument, unchanged.
func TestQuoteArgThroughSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	var words []string
	for _, c := range quoteCases {
		words = append(words, quoteArg(posixShell, c.in))
	}
	out, err := exec.Command(sh, "-c", `printf '%s\0' `+strings.Join(words, " ")).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(quoteCases) {
		t.Fatalf("sh read %d words, want %d: %q", len(got), len(quoteCases), got)
	}
	for i, c := range quoteCases {
		if got[i] != c.in {
			t.Errorf("sh read %q as %q", c.in, got[i])
		}
	}
}

// unquotePowerShell reads one PowerShell word as PowerShell's parser does for the two
// forms quoteArg writes: a bare word, or a single-quoted string in which a doubled quote
// (any of ' ‘ ’ ‚ ‛) is one. (No PowerShell here to ask.)
func unquotePowerShell(t *testing.T, w string) string {
	t.Helper()
	r := []rune(w)
	if len(r) == 0 || !isPowerShellQuote(r[0]) {
		return w
	}
	var b strings.Builder
	for i := 1; i < len(r); i++ {
		if isPowerShellQuote(r[i]) {
			if i+1 < len(r) && isPowerShellQuote(r[i+1]) {
				b.WriteRune(r[i])
				i++
				continue
			}
			if i != len(r)-1 {
				t.Fatalf("%s: the string ends before the word does", w)
			}
			return b.String()
		}
		b.WriteRune(r[i])
	}
	t.Fatalf("%s: unterminated", w)
	return ""
}

func TestHostShell(t *testing.T) {
	if want := map[bool]shell{true: powerShell, false: posixShell}[runtime.GOOS == "windows"]; hostShell() != want {
		t.Errorf("hostShell() = %v on %s", hostShell(), runtime.GOOS)
	}
}
