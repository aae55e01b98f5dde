package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	var cmds []string
	for _, c := range commands() {
		cmds = append(cmds, c.name)
	}
	flags := []string{"export", "since", "date-column", "existing", "existing-key-column", "existing-id-column", "object", "sobject", "yes"}
	tests := []struct {
		name       string
		typed      string
		candidates []string
		want       []string
	}{
		{"command, a letter missing", "clen", cmds, []string{"clean"}},
		{"command, a letter too many", "plann", cmds, []string{"plan"}},
		{"command, two letters swapped", "improt", cmds, []string{"import"}},
		{"command, swapped in a short word", "ogr", cmds, []string{"org"}},
		{"command, two edits in a long word", "prefligth", cmds, []string{"preflight"}},
		{"command, capitals", "VERIFY", cmds, []string{"verify"}},
		{"command, a beginning", "pre", cmds, []string{"preflight"}},
		{"command, nothing close", "frobnicate", cmds, nil},
		{"command, two edits in a short word", "clxxn", cmds, nil},
		{"command, one letter", "x", cmds, nil},
		{"flag, a letter wrong", "sinse", flags, []string{"since"}},
		{"flag, a letter missing", "date-colum", flags, []string{"date-column"}},
		{"flag, an alias", "sobjcet", flags, []string{"sobject"}},
		{"flag, several beginning alike", "exist", flags, []string{"existing", "existing-key-column", "existing-id-column"}},
		{"flag, nothing close", "zzz", flags, nil},
		{"flag, short", "ye", flags, []string{"yes"}},
		{"flag, one letter", "x", flags, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.typed, tt.candidates); !slices.Equal(got, tt.want) {
				t.Errorf("suggest(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

// TestFlagAliases: --sobject, --external-id, --file and -f set the field of the flag they
// stand for, and count as that flag (import --plan refuses them as it refuses it).
func TestFlagAliases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		flag  string
		field func(*backfill.PlanOptions) string
	}{
		{[]string{"--sobject", "Enrollment__c"}, "object", func(o *backfill.PlanOptions) string { return o.Target.Object }},
		{[]string{"--external-id", "Key__c"}, "external-id-field", func(o *backfill.PlanOptions) string { return o.Target.ExternalIDField }},
		{[]string{"--file", "export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
		{[]string{"-f", "export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
		{[]string{"--file=export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			parse := func(args []string) (*backfill.PlanOptions, *pflag.FlagSet) {
				var o backfill.PlanOptions
				fs := newFlagSet("plan", "", "")
				addExportFlags(fs, &o.Export, &o.Out)
				addTargetFlags(fs, &o.Target)
				e := &env{stdout: io.Discard, stderr: io.Discard}
				if err := parseFlags(fs, e, args); err != nil {
					t.Fatalf("parse %q: %v", args, err)
				}
				return &o, fs
			}
			viaAlias, fs := parse(tt.args)
			viaFlag, _ := parse([]string{"--" + tt.flag, strings.TrimPrefix(tt.args[len(tt.args)-1], "--file=")})
			if got, want := tt.field(viaAlias), tt.field(viaFlag); got != want || got == "" {
				t.Errorf("%q sets %q, --%s sets %q", tt.args, got, tt.flag, want)
			}
			if !fs.Lookup(tt.flag).Changed {
				t.Errorf("%q does not count as --%s given", tt.args, tt.flag)
			}
		})
	}
}
