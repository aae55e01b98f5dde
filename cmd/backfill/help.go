package main

import (
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
	"format":              "FORMAT",
	"instance-url":        "URL",
	"job-delay":           "DURATION",
	"jwt-audience":        "URL",
	"key-column":          "COLUMN",
	"latency":             "DURATION",
	"log-format":          "FORMAT",
	"login-url":           "URL",
	"mapping":             "FILE",
	"max-rejected":        "PERCENT",
	"max-upload-bytes":    "BYTES",
	"object":              "OBJECT",
	"order-by":            "COLUMN",
	"out":                 "DIR",
	"plan":                "DIR",
	"seed":                "FILE",
	"since":               "DATE",
	"target-org":          "ALIAS",
	"updated-column":      "COLUMN",
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
// then the usage, with the required note in front and the default after it,
// wrapped to helpWidth. It returns "" when fs has no visible flag.
func flagUsages(fs *pflag.FlagSet) string {
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
