package report

import (
	"strings"

	"github.com/northpass-tools/backfill/backfill"
)

// Shell is how the command line names the job's options and commands ([backfill.Words]):
// an option is its flag ("--date-format d/M/yyyy"), a command the command line that runs it
// ("backfill verify DIR"), each argument quoted for the shell it is typed into when it needs
// quoting.
type Shell struct{}

var _ backfill.Words = Shell{}

// Flag is the flag of option o: "--" and its name, with "-" for "_".
func Flag(o backfill.Option) string { return "--" + strings.ReplaceAll(string(o), "_", "-") }

// Option implements [backfill.Words].
func (Shell) Option(o backfill.Option, value string) string {
	if value == "" {
		return Flag(o)
	}
	return Flag(o) + " " + Quote(value)
}

// Command implements [backfill.Words]: a command's words are its name's, "_" a space
// ("batch_import" is backfill batch import).
func (Shell) Command(c backfill.Command, dir string) string {
	line := "backfill " + strings.ReplaceAll(string(c), "_", " ")
	if c == backfill.CmdImportPlan {
		line = "backfill import " + Flag(backfill.OptPlan)
	}
	if dir != "" {
		line += " " + Quote(dir)
	}
	return line
}

// Help implements [backfill.Words].
func (Shell) Help(c backfill.Command) string { return "backfill " + string(c) + " --help" }

// Login implements [backfill.Words].
func (Shell) Login() string {
	return Flag(backfill.OptTargetOrg) + " / " + Flag(backfill.OptInstanceURL) + " and the SF_* environment variables"
}

// Quote returns s as one word of a command line of the shell people use where backfill
// runs (PowerShell on Windows, a POSIX shell elsewhere; see quoteArg).
func Quote(s string) string { return quoteArg(hostShell(), s) }
