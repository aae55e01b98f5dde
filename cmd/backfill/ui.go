package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/sfclient"
)

const uiDescription = `
Serve the whole backfill as a page in the browser, on this computer only, and open it in
the default browser: the org (the login given here, a Salesforce CLI login chosen from sf org
list, or a built-in practice org), the export (chosen or dropped on the page), Check, Plan
with its report, Approve, Import with progress per Bulk job, Verify and Undo, and the list
of earlier run folders under --runs with their state and next action.

The first line on stdout is the address to open, http://127.0.0.1:PORT/?token=...: the
token works once, in one browser (it becomes the page's session cookie). The page answers
only on loopback, only to that session, and only to its own origin. Every state lives in
the run folders, so the command line and the page can take turns on one folder.

Jobs run in this process: closing the tab leaves them running; stopping backfill ui
(Ctrl-C, the page's Stop button, or --idle with no request and no job) interrupts an import
as Ctrl-C does, and Resume (on the page or backfill resume DIR) finishes it.`

func runUI(ctx context.Context, e *env, args []string) error {
	var (
		o         ui.Options
		lo        logOptions
		org       sfclient.Config
		noBrowser bool
	)
	fs := newFlagSet("ui", "backfill ui [flags]", uiDescription+orgHelp)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "listen address; must be loopback (127.0.0.1, ::1 or localhost); port 0 picks a free one")
	fs.StringVar(&o.Runs, "runs", "backfill-runs", "the folder run folders go in (uploaded exports go in its exports folder)")
	fs.BoolVar(&noBrowser, "no-browser", false, "only print the address; do not open a browser")
	fs.DurationVar(&o.IdleTimeout, "idle", ui.DefaultIdleTimeout, "exit after this long with no request and no job running")
	addOrgFlags(fs, &org)
	addLogFlags(fs, &lo)
	s, err := e.start(fs, args, 0, &lo, []*sfclient.Config{&org})
	if err != nil {
		return err
	}
	defer s.done()
	if err := checkLoopback(o.Addr); err != nil {
		return usage("use --addr 127.0.0.1:PORT", "ui: --addr: %v", err)
	}
	if st, err := os.Stat(o.Runs); err == nil && !st.IsDir() {
		return usage("give a folder (it is made when missing)", "ui: --runs %s is a file, not a folder", o.Runs)
	}
	if o.IdleTimeout <= 0 {
		return usage("give a duration such as 30m or 2h", "ui: --idle must be positive")
	}
	if given(org) {
		if err := org.Validate(); err != nil {
			return &cliError{msg: "ui: the login: " + err.Error(), hint: loginHint(err), code: exitUsage}
		}
		o.Org = &org
	}
	o.Front = backfill.Front{Logger: s.front.Logger, Version: s.front.Version}
	o.PracticeJobDelay = 300 * time.Millisecond
	srv, err := ui.New(o)
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	fmt.Fprintln(e.stdout, srv.URL())
	log := s.front.Logger
	log.Info("serving the page on loopback: open the address above (Ctrl-C stops)", zap.String("origin", srv.Origin()), zap.String("runs", o.Runs))
	if !noBrowser {
		if err := openBrowser(srv.URL()); err != nil {
			log.Warn("could not open a browser: open the address above yourself", zap.Error(err))
		}
	}
	why, err := srv.Serve(ctx)
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	log.Info("stopped", zap.String("why", why))
	return nil
}

// given reports whether the command line names a login (an alias, an instance URL or
// credentials in the environment): without one, the page offers a Salesforce CLI login
// and the practice org.
func given(org sfclient.Config) bool {
	if org.TargetOrg != "" || org.InstanceURL != "" {
		return true
	}
	c := org.Credentials
	return c.AccessToken != "" || c.ClientID != "" || c.ClientSecret != "" || c.Username != "" || c.Password != "" ||
		c.JWTKeyFile != "" || c.RefreshToken != "" || len(c.JWTKey) > 0
}

// openBrowser opens url in the default browser, without a shell.
func openBrowser(url string) error {
	name, args := browserCommand(runtime.GOOS, url)
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; the browser outlives it
	return nil
}

// browserCommand is the program that opens url in the default browser on goos, and its
// arguments: rundll32's URL handler on Windows (cmd /c start would have the shell parse
// the URL's &), open on macOS, xdg-open elsewhere.
func browserCommand(goos, url string) (string, []string) {
	switch goos {
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", url}
	case "darwin":
		return "open", []string{url}
	}
	return "xdg-open", []string{url}
}
