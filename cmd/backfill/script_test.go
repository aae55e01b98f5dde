package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestMain lets the test binary act as backfill (see backfillMain).
func TestMain(m *testing.M) {
	// A binary built with -race sleeps a second before it exits (GORACE atexit_sleep_ms,
	// default 1000) to catch races at exit: a second for every child process the tests
	// start. The children still report races, and exit 66 on one.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
	}
	cmds := map[string]func(){"backfill": backfillMain, "backfill-test-orgs": orgsMain}
	if _, child := cmds[strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")]; !child {
		moreParallel()
	}
	testscript.Main(m, cmds)
}

// moreParallel runs twice GOMAXPROCS parallel tests at once, unless -test.parallel says
// otherwise: most of this package's tests wait on child processes and the emulator's job
// delays, not on a CPU (on 2 cores, this package alone: 16.8 s at 2, 15.3 s at 4).
func moreParallel() {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
	}
}

var update = flag.Bool("update", false, "rewrite the golden files and the scripts' expected output")

// TestScripts pins the CLI contract (exit codes, stdout, stderr and the files a command
// writes) in the txtar scripts of testdata/script, run by testscript against the real
// binary (the test binary acting as `backfill`, see TestMain; under -race, backfill built
// without it, see plainBinaryDir), as age's cmd/age does. Go
// tests keep what is not the command line's contract or not a script's to say: the flag
// parser's internals, the help's golden files and layout, the leak checks (secrets in the
// environment, the standard logger captured), processes killed at a step, the soak.
//
// Scripts get these commands besides testscript's own:
//
//	org [--sandbox] [--seed other-names] [--without-package NAME] [--user USERNAME] [--sync-user USERNAME] [--fail-row KEY]...
//	    start an emulated org (the demo org, or the one of sfclient/sftest/seeds) for the
//	    rest of the script and set INSTANCE_URL, and SF_ACCESS_TOKEN (the integration
//	    user's, or USERNAME's; --sync-user makes USERNAME the live sync's, Seed.SyncAs); a
//	    second org replaces the first
//	exits CODE PROGRAM ARGS...
//	    run PROGRAM like exec and check its exact exit status
//	json FILE [PATH=VALUE]...
//	    FILE (stdout, stderr or a file) is one JSON value, and each PATH (keys and indexes
//	    joined by dots, # for a length: checks.1.status, 'checks.#=6' quoted, as # starts
//	    a comment) holds VALUE (a string, or a number, true, false or null as JSON
//	    writes it)
//	jsonlines FILE
//	    every line of FILE is a JSON value, but for the "backfill: " and "hint: " lines a
//	    failing command ends with
//	mask FILE DEST
//	    copy FILE to DEST with every RFC 3339 time written TIME, and $INSTANCE_URL and
//	    $WORK by their names, so that two runs compare with cmp
//	sparse FILE SIZE
//	    make FILE SIZE bytes long (zeros after its content; a hole on most file systems)
//	private DIR
//	    every folder under DIR (DIR too) has mode 0700 and every file 0600, and there
//	    are eight entries at least
//	snapshot DIR DEST
//	    write to DEST each entry under DIR: its name, mode, size, modification time and
//	    contents (two snapshots compare with cmp)
//	calls ENDPOINT N
//	    the org has had N calls to ENDPOINT (an sftest call-count key: ingest-create)
//	runhint CODE REGEXP
//	    run the command line a hint printed: REGEXP's first group in the last command's
//	    output, split as a shell would, checking its exit status is CODE (hint_test.go)
//
// and these variables: SAMPLE, the folder of the sample export (backfill/demo/sample), and
// BACKFILL_ONLY_PATH, a PATH holding backfill alone.
//
// testscript (github.com/rogpeppe/go-internal) is a test-only dependency: scripts read like
// the shell sessions the README shows, which Go tables of sentence substrings did not.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts child processes")
	}
	t.Parallel()
	sample, err := filepath.Abs("../../backfill/demo/sample")
	if err != nil {
		t.Fatal(err)
	}
	plain := plainBinaryDir(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"org": scriptOrg, "exits": scriptExits, "json": scriptJSON, "jsonlines": scriptJSONLines,
			"mask": scriptMask, "sparse": scriptSparse, "private": scriptPrivate, "snapshot": scriptSnapshot,
			"calls": scriptCalls, "runhint": scriptRunHint,
		},
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			if plain != "" {
				env.Setenv("PATH", plain+string(os.PathListSeparator)+env.Getenv("PATH"))
			}
			// BACKFILL_ONLY_PATH is a PATH holding the backfill command and nothing else
			// (no sf CLI), the first entry on PATH.
			path := env.Getenv("PATH")
			if i := strings.IndexByte(path, os.PathListSeparator); i >= 0 {
				path = path[:i]
			}
			env.Setenv("BACKFILL_ONLY_PATH", path)
			env.Setenv("SAMPLE", sample)
			env.Values[scriptOrgKey{}] = new(*sftest.Server)
			return nil
		},
	})
}

// plainBinaryDir is, under -race, a folder holding backfill built without it (go build of
// this package), for the scripts to run as their backfill; "" otherwise, and the scripts run
// this test binary acting as backfill (TestMain). The scripts are the command line's
// contract, not a race test: a child built with -race costs about 75 ms of CPU to start
// (the race runtime maps the shadow of a 50 MB data segment) and runs each command five to
// ten times slower, which made their 200 processes a third of make test. The races of the
// code they run are the Go tests' to find: runCLI runs every command in this process, and
// the processes killed at a step (startChild) are still this binary, built with -race.
func plainBinaryDir(t *testing.T) string {
	t.Helper()
	if !raceDetector {
		return ""
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Logf("no go command on PATH to build backfill without -race: the scripts run the test binary: %v", err)
		return ""
	}
	dir := t.TempDir()
	name := "backfill"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	cmd := exec.Command(gocmd, "build", "-o", filepath.Join(dir, name), ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of backfill for the scripts: %v\n%s", err, out)
	}
	return dir
}

// scriptOrgKey holds, in a script's values, the org its last `org` started.
type scriptOrgKey struct{}

const orgUsage = "usage: org [--sandbox] [--seed other-names] [--without-package NAME] [--user USERNAME] [--sync-user USERNAME] [--fail-row KEY]..."

// scriptOrg is the scripts' `org` command.
func scriptOrg(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! org")
	}
	seed := sftest.DemoSeed()
	var failRows []string
	user := ""
	value := func(i *int) string {
		if *i+1 == len(args) {
			ts.Fatalf(orgUsage)
		}
		*i++
		return args[*i]
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--sandbox":
			seed.Organization.IsSandbox = true
		case "--seed":
			if v := value(&i); v != "other-names" {
				ts.Fatalf("org --seed %s: the scripts know other-names", v)
			}
			seed = sftest.OtherNamesSeed()
		case "--without-package":
			name := value(&i)
			n := len(seed.Packages)
			seed.Packages = slices.DeleteFunc(seed.Packages, func(p sftest.Package) bool { return p.Name == name })
			if len(seed.Packages) == n {
				ts.Fatalf("org --without-package %s: the seed has no such package", name)
			}
		case "--user":
			user = value(&i)
		case "--sync-user":
			ts.Check(seed.SyncAs(value(&i)))
		case "--fail-row":
			failRows = append(failRows, value(&i))
		default:
			ts.Fatalf(orgUsage)
		}
	}
	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(seed))
	ts.Check(err)
	ts.Defer(srv.Close)
	for _, k := range failRows {
		srv.FailRow(k, "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--")
	}
	*ts.Value(scriptOrgKey{}).(**sftest.Server) = srv
	tok := srv.AccessToken()
	if user != "" {
		tok, err = srv.NewAccessToken(user)
		ts.Check(err)
	}
	ts.Setenv("INSTANCE_URL", srv.URL)
	ts.Setenv("SF_ACCESS_TOKEN", tok)
}

// scriptExits is the scripts' `exits CODE PROGRAM ARGS...` command.
func scriptExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if code != want {
		ts.Fatalf("%s exited %d, want %d", args[1], code, want)
	}
}

// scriptJSON is the scripts' `json FILE [PATH=VALUE]...` command.
func scriptJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: json FILE [PATH=VALUE]...")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v); err != nil {
		ts.Fatalf("%s is not JSON: %v", args[0], err)
	}
	for _, a := range args[1:] {
		path, want, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("json: %q is not PATH=VALUE", a)
		}
		got, err := jsonAt(v, path)
		if err != nil {
			ts.Fatalf("%s: %s: %v", args[0], path, err)
		}
		if got != want {
			ts.Fatalf("%s: %s is %s, want %s", args[0], path, got, want)
		}
	}
}

// jsonAt is the value at path in v: a string as it is, anything else as JSON writes it.
func jsonAt(v any, path string) (string, error) {
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			if key == "#" {
				v = float64(len(x))
				continue
			}
			var ok bool
			if v, ok = x[key]; !ok {
				return "", fmt.Errorf("no key %q", key)
			}
		case []any:
			if key == "#" {
				v = float64(len(x))
				continue
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("no element %q of %d", key, len(x))
			}
			v = x[i]
		default:
			return "", fmt.Errorf("%q under a %T", key, v)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// scriptJSONLines is the scripts' `jsonlines FILE` command.
func scriptJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonlines FILE")
	}
	for i, line := range strings.Split(strings.TrimSuffix(ts.ReadFile(args[0]), "\n"), "\n") {
		if line != "" && !json.Valid([]byte(line)) && !strings.HasPrefix(line, "backfill: ") && !strings.HasPrefix(line, "hint: ") {
			ts.Fatalf("%s line %d is not JSON: %q", args[0], i+1, line)
		}
	}
}

// rfc3339 matches the times of a run's output (started_at, at...).
var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// scriptMask is the scripts' `mask FILE DEST` command.
func scriptMask(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mask FILE DEST")
	}
	s := ts.ReadFile(args[0])
	for _, name := range []string{"INSTANCE_URL", "WORK"} {
		if v := ts.Getenv(name); v != "" {
			s = strings.ReplaceAll(s, v, "$"+name)
		}
	}
	s = rfc3339.ReplaceAllString(s, "TIME")
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(s), 0o600))
}

// scriptSparse is the scripts' `sparse FILE SIZE` command.
func scriptSparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sparse FILE SIZE")
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), size))
}

// scriptPrivate is the scripts' `private DIR` command.
func scriptPrivate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: private DIR")
	}
	n := 0
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if info.Mode() != want {
			ts.Fatalf("%s: mode %v, want %v", path, info.Mode(), want)
		}
		n++
		return nil
	})
	ts.Check(err)
	if n < 8 {
		ts.Fatalf("%s: %d entries, want 8 at least", args[0], n)
	}
}

// scriptSnapshot is the scripts' `snapshot DIR DEST` command.
func scriptSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: snapshot DIR DEST")
	}
	var b strings.Builder
	dir := ts.MkAbs(args[0])
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(&b, "%s %v %d %d", filepath.ToSlash(rel), info.Mode(), info.Size(), info.ModTime().UnixNano())
		if !d.IsDir() {
			c, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(c))
		}
		b.WriteByte('\n')
		return nil
	})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o600))
}

// scriptCalls is the scripts' `calls ENDPOINT N` command.
func scriptCalls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: calls ENDPOINT N")
	}
	srv := *ts.Value(scriptOrgKey{}).(**sftest.Server)
	if srv == nil {
		ts.Fatalf("calls: no org started")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if got := srv.Calls()[args[0]]; got != want {
		ts.Fatalf("%d calls to %s, want %d", got, args[0], want)
	}
}
