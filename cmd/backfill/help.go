package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// Help is rendered here rather than by pflag's FlagUsages, which prints plain booleans as
// "--yes[=true|false]" (it appends that to every bool flag, whose NoOptDefVal is "true"),
// takes the first backticked word of a usage string as the placeholder, and names the
// Go type otherwise ("string", "stringArray", "float").

// helpWidth is the width help text is wrapped to.
const helpWidth = 100

// placeholders names the value of each flag that takes one, as the help shows it
// ("--export FILE"). Every such flag has one (TestHelpPlaceholders checks).
var placeholders = map[string]string{
	"addr":                "HOST:PORT",
	"api-version":         "VERSION",
	"by":                  "NAME",
	"date-column":         "COLUMN",
	"date-format":         "PATTERN",
	"encoding":            "ENCODING",
	"existing":            "FILE",
	"existing-id-column":  "COLUMN",
	"existing-key-column": "COLUMN",
	"expire-after":        "N",
	"export":              "FILE",
	"external-id-field":   "FIELD",
	"extra-contacts":      "N",
	"fail-503":            "N",
	"file":                "FILE",
	"format":              "FORMAT",
	"idle":                "DURATION",
	"instance-url":        "URL",
	"job-delay":           "DURATION",
	"jwt-audience":        "URL",
	"key-column":          "COLUMN",
	"latency":             "DURATION",
	"log-format":          "FORMAT",
	"login-url":           "URL",
	"mapping":             "FILE",
	"note":                "TEXT",
	"max-rejected":        "PERCENT",
	"max-upload-bytes":    "BYTES",
	"object":              "OBJECT",
	"only":                "NAMES",
	"order-by":            "COLUMN",
	"out":                 "DIR",
	"parallel":            "N",
	"plan":                "DIR",
	"runs":                "DIR",
	"seed":                "FILE",
	"since":               "DATE",
	"sync-user":           "USERNAME",
	"target-org":          "ALIAS",
	"updated-column":      "COLUMN",
}

// flagAliases are other names of flags, as the Salesforce CLI spells them (sf data upsert
// bulk --sobject --file --external-id). An alias works wherever its flag exists, sets the
// same field, counts as the same flag (given twice with both names is an error) and is
// shown in help on its flag's line, not as a flag of its own.
var flagAliases = map[string]string{
	"sobject":     "object",
	"external-id": "external-id-field",
	"file":        "export",
}

// requiredKey is the pflag annotation that marks a flag required in help; its value is the
// note shown first in the flag's usage ("(required)").
const requiredKey = "backfill-required"

// markRequired lists name among the required flags in help, with note in front of its
// usage. The command itself checks that the flag is given.
func markRequired(fs *pflag.FlagSet, name, note string) {
	if err := fs.SetAnnotation(name, requiredKey, []string{note}); err != nil {
		panic(err) // a flag name misspelt in this package
	}
}

// aliasesOf returns the aliases that apply in fs, alias to flag name: those whose flag fs
// has and that are not flags of fs themselves.
func aliasesOf(fs *pflag.FlagSet) map[string]string {
	has := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { has[f.Name] = true })
	m := map[string]string{}
	for alias, name := range flagAliases {
		if has[name] && !has[alias] {
			m[alias] = name
		}
	}
	return m
}

// aliasNames returns the other names of f in fs: its shorthand and its aliases.
func aliasNames(f *pflag.Flag, aliases map[string]string) []string {
	var names []string
	if f.Shorthand != "" {
		names = append(names, "-"+f.Shorthand)
	}
	for _, alias := range slices.Sorted(maps.Keys(aliases)) {
		if aliases[alias] == f.Name {
			names = append(names, "--"+alias)
		}
	}
	return names
}

// takesValue reports whether f needs a value: bool and count flags do not.
func takesValue(f *pflag.Flag) bool { return f.NoOptDefVal == "" }

// placeholder is the name of f's value in help, "" for a flag that takes none.
func placeholder(f *pflag.Flag) string {
	if !takesValue(f) {
		return ""
	}
	if p, ok := placeholders[f.Name]; ok {
		return p
	}
	return "VALUE"
}

// flagUsages renders the visible flags of fs, one entry each: required flags first (in
// the order they were defined), then the rest. An entry is "-s, --name PLACEHOLDER" and
// then the usage, with the required note in front, the aliases and the default after it,
// wrapped to helpWidth. It returns "" when fs has no visible flag.
func flagUsages(fs *pflag.FlagSet, aliases map[string]string) string {
	var required, rest []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		switch {
		case f.Hidden:
		case f.Annotations[requiredKey] != nil:
			required = append(required, f)
		default:
			rest = append(rest, f)
		}
	})
	flags := append(required, rest...)
	lefts := make([]string, len(flags))
	col := 0
	for i, f := range flags {
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if p := placeholder(f); p != "" {
			left += " " + p
		}
		lefts[i] = left
		col = max(col, len(left))
	}
	col += 3
	var b strings.Builder
	for i, f := range flags {
		text := f.Usage
		if note := f.Annotations[requiredKey]; note != nil {
			text = note[0] + " " + text
		}
		var long []string
		for _, a := range aliasNames(f, aliases) {
			if strings.HasPrefix(a, "--") {
				long = append(long, a)
			}
		}
		if len(long) > 0 {
			text += " (alias: " + strings.Join(long, ", ") + ")"
		}
		if d := shownDefault(f); d != "" {
			text += " (default " + d + ")"
		}
		b.WriteString(lefts[i])
		b.WriteString(strings.Repeat(" ", col-len(lefts[i])))
		b.WriteString(wrapText(text, col, helpWidth))
		b.WriteByte('\n')
	}
	return b.String()
}

// shownDefault is f's default as help shows it, "" when it is the zero value (false, 0,
// empty): the usage text then says what happens without the flag.
func shownDefault(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return ""
	}
	return f.DefValue
}

// wrapText wraps s into lines of at most width columns, every line after the first
// indented by indent spaces (the first starts there already). A word longer than a line
// stands alone.
func wrapText(s string, indent, width int) string {
	room := max(width-indent, 30)
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		wl := utf8.RuneCountInString(w)
		switch {
		case i == 0:
		case n+1+wl > room:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += wl
	}
	return b.String()
}

// suggest returns the candidates typed was probably meant to be, for a "did you mean"
// hint: those nearest to it by edit distance (a transposed pair counts as one edit),
// ignoring case, when they are within 1 edit for a word of up to 5 letters and within 2
// for a longer one; failing that, those that typed (3 letters or more) begins. At most
// three, in the order of candidates; none when nothing is close.
func suggest(typed string, candidates []string) []string {
	t := strings.ToLower(typed)
	limit := 1
	if len(t) > 5 {
		limit = 2
	}
	var near, prefixed []string
	best := limit + 1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(t, lc)
		switch {
		case d > limit:
		case d < best:
			near, best = []string{c}, d
		case d == best:
			near = append(near, c)
		}
		if len(t) >= 3 && strings.HasPrefix(lc, t) {
			prefixed = append(prefixed, c)
		}
	}
	if len(near) == 0 {
		near = prefixed
	}
	return near[:min(len(near), 3)]
}

// didYouMean phrases names for a hint: `did you mean "a"?`, `did you mean "a" or "b"?`;
// "" for none. quote formats each name.
func didYouMean(names []string, quote func(string) string) string {
	if len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return "did you mean " + joinList(q, "or") + "?"
}

// joinList joins items as a sentence does: "a", "a or b", "a, b or c" (conj "or").
func joinList(items []string, conj string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

// editDistance is the optimal string alignment distance of a and b: insertions, deletions,
// substitutions and transpositions of two adjacent bytes each count one edit, so the
// typos of a hurried hand ("clena", "--sinse") are one edit away.
func editDistance(a, b string) int {
	// d[i][j] is the distance of a[:i] and b[:j]; three rows are enough.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	row := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		row[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			row[j] = min(prev[j]+1, row[j-1]+1, sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				row[j] = min(row[j], prev2[j-2]+1)
			}
		}
		prev2, prev, row = prev, row, prev2
	}
	return prev[len(b)]
}

// quoteFlag formats a flag name for a hint: --name.
func quoteFlag(name string) string { return "--" + name }

// quoteCommand formats a command name for a hint: "name".
func quoteCommand(name string) string { return fmt.Sprintf("%q", name) }
