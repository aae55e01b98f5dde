package ui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
)

// Words is how the page names the job's options and commands ([backfill.Words]): an option
// is the setting or choice on the page that sets it, a command the button that runs it. No
// sentence the page shows names a flag or a shell command.
type Words struct{}

var _ backfill.Words = Words{}

// settingNames are the page's labels of the options it offers, and where the others are.
var settingNames = map[backfill.Option]string{
	backfill.OptExport:              "the export file (step 2)",
	backfill.OptSince:               "the Cutoff setting",
	backfill.OptDateColumn:          "the Date columns setting",
	backfill.OptKeyColumn:           "the Key column setting",
	backfill.OptUpdatedColumn:       "the Updated column setting",
	backfill.OptDateFormat:          "the Date format setting",
	backfill.OptEncoding:            "the Encoding setting",
	backfill.OptMaxRejected:         "the Max rejected setting",
	backfill.OptSkippedBeforeCutoff: "the Copy before-cutoff rows setting",
	backfill.OptObject:              "the Object setting",
	backfill.OptExternalIDField:     "the External id field setting",
	backfill.OptOrderBy:             "the Order by setting",
	backfill.OptUpdateStale:         "the Update stale records setting",
	backfill.OptForce:               "the Also undo changed records choice of the Undo step",
	backfill.OptKeepUpdatedAt:       "the Keep Updated At choice of the Undo step",
	backfill.OptSandbox:             "the org's kind (sandbox or production) in step 1",
	backfill.OptTargetOrg:           "the Salesforce CLI login chosen in step 1",
	backfill.OptInstanceURL:         "the org's address in step 1",
	backfill.OptPlan:                "the run",
	backfill.OptOut:                 "the run's folder",
	backfill.OptYes:                 "the confirmation",
	backfill.OptSkipPreflight:       "skipping the checks (the page always runs them)",
	backfill.OptMapping:             "a Data Loader mapping (.sdl) file, which only the command line takes",
	backfill.OptExisting:            "a file of the existing records, which only the command line's clean takes",
}

// Option implements [backfill.Words].
func (Words) Option(o backfill.Option, value string) string {
	name, ok := settingNames[o]
	if !ok {
		name, ok = approvalSettings[o]
	}
	if !ok {
		name = "the " + strings.ReplaceAll(string(o), "_", " ") + " setting"
	}
	switch {
	case value == "":
		return name
	case o == backfill.OptExport:
		return "the export " + filepath.Base(value)
	}
	return fmt.Sprintf("%s (%s)", name, value)
}

// buttonNames are the page's buttons that run each job. Their visible names begin with
// these words.
var buttonNames = map[backfill.Command]string{
	backfill.CmdPreflight:  "Check",
	backfill.CmdPlan:       "Plan",
	backfill.CmdImport:     "Import",
	backfill.CmdImportPlan: "Import",
	backfill.CmdResume:     "Resume",
	backfill.CmdVerify:     "Verify",
	backfill.CmdUndo:       "Undo",
	backfill.CmdApprove:    "Approve",
}

// Command implements [backfill.Words].
func (Words) Command(c backfill.Command, dir string) string {
	switch c {
	case backfill.CmdOrg:
		return "the practice org"
	case backfill.CmdClean:
		return "the command line's clean"
	}
	name, ok := buttonNames[c]
	if !ok {
		name = string(c)
	}
	if dir == "" {
		return "the " + name + " button"
	}
	return fmt.Sprintf("the %s button of run %s", name, baseName(dir))
}

// Help implements [backfill.Words].
func (Words) Help(c backfill.Command) string {
	if c == backfill.CmdPreflight || c == backfill.CmdPlan || c == backfill.CmdImport {
		return "the settings of step 2"
	}
	return "the steps of the run"
}

// Login implements [backfill.Words].
func (Words) Login() string { return "the org chosen in step 1" }

// flagPattern finds a command-line flag in a sentence from a layer below the job's words
// (csvdiff's hints, sfclient's fixes), with its value when one follows.
var flagPattern = regexp.MustCompile(`--([a-z][a-z-]*)(?: ([^\s,;()]+))?`)

// unflag rewrites the command-line flags in s as the page's settings: "pass --encoding
// windows-1252" becomes "pass the Encoding setting (windows-1252)". A word after a flag is
// its value only when it looks like one (it holds a digit or one of / . : - _).
func unflag(s string) string {
	return flagPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := flagPattern.FindStringSubmatch(m)
		o := backfill.Option(strings.ReplaceAll(sub[1], "-", "_"))
		value, rest := sub[2], ""
		if value != "" && !strings.ContainsAny(value, "0123456789/.:-_") {
			value, rest = "", " "+sub[2]
		}
		return Words{}.Option(o, value) + rest
	})
}

// commandPhrases are the command lines a run folder's sentences may name (written by the
// command line, or by a layer below the job's words), and the page's buttons for them.
var commandPhrases = strings.NewReplacer(
	"backfill import --plan", "Import", "import --plan", "Import", "backfill resume", "Resume",
	"backfill verify", "Verify", "backfill undo", "Undo", "backfill preflight", "Check",
	"backfill approve", "Approve")

// pageText rewrites a sentence of a run folder (summary.json's warnings, fixes and
// descriptions) in the page's words: command lines as buttons, flags as settings.
func pageText(s string) string { return unflag(commandPhrases.Replace(s)) }

// pageSummary rewrites the sentences of sum that the report shows in the page's words: a
// folder the command line made says "--encoding windows-1252", the page "the Encoding
// setting (windows-1252)".
func pageSummary(sum *backfill.Summary) {
	for i := range sum.Warnings {
		w := &sum.Warnings[i]
		w.Message, w.Fix = pageText(w.Message), pageText(w.Fix)
		for j := range w.Reasons {
			w.Reasons[j] = pageText(w.Reasons[j])
		}
	}
	for i := range sum.DateLayouts {
		sum.DateLayouts[i].Layout = pageText(sum.DateLayouts[i].Layout)
	}
	for i := range sum.Preflight {
		sum.Preflight[i].Fix = pageText(sum.Preflight[i].Fix)
	}
	for i := range sum.Files {
		sum.Files[i].Desc = pageText(sum.Files[i].Desc)
	}
}
