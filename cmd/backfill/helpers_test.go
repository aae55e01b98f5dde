package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
)

// The sample export (the demo's) and its existing records.
const (
	sampleExport   = "../../backfill/demo/sample/export.csv"
	sampleExisting = "../../backfill/demo/sample/existing.csv"
)

// run runs the program in process, as main does, with vars ("NAME=value") as its whole
// environment: tests never touch the process's own, so they can run in parallel.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, vars ...string) error {
	e := &env{stdout: stdout, stderr: stderr, getenv: envOf(vars)}
	return e.main(ctx, args)
}

// envOf is a getenv over "NAME=value" pairs; the last one of a name wins.
func envOf(vars []string) func(string) string {
	m := map[string]string{}
	for _, v := range vars {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return func(k string) string { return m[k] }
}

// runCLI runs the program with args and an empty environment, and returns stdout, stderr
// and the exit code main would use.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv is runCLI with vars as the environment. stderr ends with what main prints of
// the error.
func runCLIEnv(t *testing.T, vars []string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr, vars...)
	printError(&stderr, err)
	return stdout.String(), stderr.String(), exitCode(err)
}

// token is the environment of a bare access-token login.
func token(tok string) []string { return []string{"SF_ACCESS_TOKEN=" + tok} }

// syncBuffer is a bytes.Buffer safe for concurrent use: a command's output read while it
// runs, a child's stderr, the standard logger's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
