// Command backfill repairs a broken Northpass to Salesforce sync: it diffs the CE Data Export
// against the Enrollment records Salesforce already holds and loads the difference through the
// Bulk API 2.0, accounting for every input row.
//
// Output rules: results and summaries go to stdout; logs, progress and errors go to stderr.
// Only main calls os.Exit.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/northpass-tools/backfill/backfill"
)

func main() {
	ctx := interruptible(os.Stderr, os.Args[1:])
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinTerminal: isTerminal(os.Stdin), stderrTerminal: isTerminal(os.Stderr)}
	err := e.main(ctx, os.Args[1:])
	if err != nil {
		printError(os.Stderr, err)
		os.Exit(backfill.ExitCode(err))
	}
}

// interruptible returns the context of a command: the first Ctrl-C (or SIGTERM) cancels it,
// and the command stops cleanly: it finishes the step in flight, journals it and exits 130.
// A second one ends the process at once, which is as safe as kill -9. `backfill org` is
// meant to be stopped that way, so it is not told about.
func interruptible(stderr io.Writer, args []string) context.Context {
	serving := len(args) > 0 && args[0] == "org"
	ctx, stop := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if !serving {
			fmt.Fprintln(stderr, "backfill: interrupted; stopping after the current step (Ctrl-C again to quit at once)")
		}
		stop()
	}()
	return ctx
}

// printError writes err as the last lines on stderr: "backfill: what went wrong" and, when
// there is one, "hint: what to do".
func printError(w io.Writer, err error) {
	if err == nil || errors.Is(err, errHelp) {
		return
	}
	fmt.Fprintf(w, "backfill: %v\n", err)
	if hint := backfill.Hint(err); hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
}

// errHelp is returned after --help was printed: exit 0, print nothing more.
var errHelp = errors.New("help requested")

// command is one subcommand of backfill.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// env is what a command may touch of the outside world: main builds it from the process,
// tests build their own (so no test needs t.Setenv and tests can run in parallel).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdinTerminal says a person can answer questions on stdin; stderrTerminal that
	// progress bars can be drawn on stderr.
	stdinTerminal, stderrTerminal bool
}

func commands() map[string]command {
	return map[string]command{
		"clean":     {"offline: diff the export against a CSV of existing records", runClean},
		"org":       {"serve a local Salesforce-compatible org (the emulator) on loopback", runOrg},
		"plan":      {"dry run: diff the export against the org and write the run folder and report", runPlan},
		"preflight": {"check the org is ready (packages, integration user, object, limits, live sync); reads only", runPreflight},
		"import":    {"plan, confirm, then upsert through the Bulk API 2.0 (or --plan DIR: load a reviewed plan)", runImport},
		"demo":      {"run preflight, plan and import on the sample export against a local demo org", runDemo},
		"resume":    {"finish an interrupted import (or undo) from its run folder", runResume},
		"verify":    {"prove an import: read back every record it loaded and compare it with the upload", runVerify},
		"undo":      {"take an import back: delete what it created, restore what it updated (dry run without --yes)", runUndo},
		"version":   {"print version and build info", runVersion},
	}
}

// main is the whole program behind main, testable: it parses args, runs one command and
// returns its error (nil, or one that backfill.ExitCode maps to the exit status).
func (e *env) main(ctx context.Context, args []string) error {
	defer startProfile(e.getenv)()
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) error {
	cmds := commands()
	if len(args) == 0 {
		e.usage(e.stderr, cmds)
		return backfill.UsageError("run 'backfill help' for the list of commands", "no command given")
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		e.usage(e.stdout, cmds)
		return nil
	case "--version":
		name = "version"
	}
	c, ok := cmds[name]
	if !ok {
		return backfill.UsageError("run 'backfill help' for the list of commands", "unknown command %q", name)
	}
	err := c.run(ctx, e, args[1:])
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func (e *env) usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("backfill loads Northpass learning data that never reached Salesforce.\n\n")
	b.WriteString("Usage:\n  backfill <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun 'backfill <command> --help' for the flags of a command.\n")
	b.WriteString("Exit codes: 0 done; 1 runtime error; 2 usage or unusable input; 3 some rows failed or\n")
	b.WriteString("were left unprocessed; 4 preflight failed; 130 interrupted (Ctrl-C; resume finishes an import).\n")
	io.WriteString(w, b.String())
}
