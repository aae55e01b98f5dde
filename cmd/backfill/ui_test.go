package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestUIServes: backfill ui prints the page's address with its token as the first line on
// stdout, serves the page to that token, offers the command line's login, and stops when
// its context ends.
func TestUIServes(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	runs := filepath.Join(t.TempDir(), "runs")
	go func() {
		done <- run(ctx, []string{"ui", "--no-browser", "--runs", runs, "--instance-url", srv.URL, "--log-format", "json"}, &stdout, &stderr,
			token(srv.AccessToken())...)
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if line, _, ok := strings.Cut(stdout.String(), "\n"); ok {
			url = line
			break
		}
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/?token=") {
		t.Fatalf("first line %q, want the page's address with its token (stderr %s)", url, stderr.String())
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the address: %d", res.StatusCode)
	}
	res, err = hc.Get(strings.SplitN(url, "/?", 2)[0] + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	res.Body.Close()
	if !strings.Contains(b.String(), `"command_line":{"kind":"command_line","instance_url":"`+srv.URL) || strings.Contains(b.String(), srv.AccessToken()) {
		t.Fatalf("state %s: want the command line's login, without its token", b.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ui: %v", err)
		}
		_, tok, _ := strings.Cut(url, "token=")
		if log := stderr.String(); strings.Contains(log, srv.AccessToken()) || strings.Contains(log, tok) {
			t.Fatalf("the log holds the access token or the page's token: %s", log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ui did not stop")
	}
}

// TestUIRefuses: a listen address other than loopback and an unusable login are usage
// errors (exit 2) before anything is served.
func TestUIRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		vars []string
		want string
	}{
		{[]string{"ui", "--no-browser", "--addr", "0.0.0.0:0"}, nil, "is not a loopback address"},
		{[]string{"ui", "--no-browser", "--instance-url", "https://x.my.salesforce.com"}, nil, "ui: the login"},
		{[]string{"ui", "--no-browser", "--idle", "0s"}, nil, "--idle must be positive"},
		{[]string{"ui", "--no-browser", "--runs", "ui_test.go"}, nil, "--runs ui_test.go is a file"},
	} {
		stdout, stderr, code := runCLIEnv(t, tc.vars, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// TestBrowserCommand opens the default browser without a shell on each platform.
func TestBrowserCommand(t *testing.T) {
	const url = "http://127.0.0.1:1/?token=a&b"
	for goos, want := range map[string][]string{
		"windows": {"rundll32", "url.dll,FileProtocolHandler", url},
		"darwin":  {"open", url},
		"linux":   {"xdg-open", url},
		"freebsd": {"xdg-open", url},
	} {
		name, args := browserCommand(goos, url)
		if got := append([]string{name}, args...); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", goos, got, want)
		}
	}
}
