package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
)

// newFlagSet returns a ContinueOnError flag set whose --help prints usage and description.
func newFlagSet(name, usage, description string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n\nFlags:\n%s", usage, strings.TrimSpace(description), fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args into fs. Help goes to stdout and returns errHelp; a bad flag is a
// usage error (exit 2) whose message names the flag.
func parseFlags(fs *pflag.FlagSet, e *env, args []string) error {
	// pflag prints the error and the whole usage on a bad flag; keep the output and show it
	// only for --help, so a typo gives one clear line instead of a screenful.
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		e.stdout.Write(out.Bytes())
		return errHelp
	}
	if err != nil {
		return backfill.UsageError(fmt.Sprintf("run 'backfill %s --help' for its flags", fs.Name()), "%s: %v", fs.Name(), err)
	}
	return nil
}

// addLogFlags binds the logging flags every command shares.
func addLogFlags(fs *pflag.FlagSet, o *logOptions) {
	fs.StringVar(&o.format, "log-format", "", "log format on stderr: console or json (default console on a terminal, json otherwise)")
	fs.CountVarP(&o.verbose, "verbose", "v", "log more (debug level)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "log only warnings and errors; no progress")
}
