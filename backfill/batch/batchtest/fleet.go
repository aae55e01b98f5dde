// Package batchtest gives tests of a batch a fleet of emulated orgs, each reached through
// a Salesforce CLI alias as a support engineer's laptop reaches its customers' orgs: a fake
// sf (a shell script named sf) answers `sf org display` and `sf org auth show-access-token`
// for the aliases added to it, in the shapes of Salesforce CLI 2.150 (the access token
// hidden from org display), and refuses any other alias as the real CLI does
// (NamedOrgNotFoundError).
package batchtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Fleet is the fake sf of a test and the aliases it knows.
type Fleet struct {
	dir string
}

// ErrNoShell is NewFleet's error on Windows: the fake sf is a POSIX shell script, and
// Windows runs sf.cmd through cmd.exe, which it does not imitate. Tests skip on it.
var ErrNoShell = errors.New("the fake sf is a POSIX shell script; Windows runs sf.cmd through cmd.exe, which it does not imitate")

// NewFleet writes the fake sf into dir (created when missing).
func NewFleet(dir string) (*Fleet, error) {
	if runtime.GOOS == "windows" {
		return nil, ErrNoShell
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	script := fmt.Sprintf(`#!/bin/sh
# args: org display|org auth show-access-token ... --target-org ALIAS --json
d=%q
alias=$(eval echo \${$(($#-1))})
if [ ! -f "$d/aliases/$alias.url" ]; then
  echo '{"name":"NamedOrgNotFoundError","message":"Parsing --target-org \n\tNo authorization information found for '"$alias"'.\nSee more help with --help","exitCode":2,"status":2,"code":"NamedOrgNotFoundError"}'
  exit 2
fi
url=$(cat "$d/aliases/$alias.url")
if [ "$1 $2" = "org display" ]; then
  echo '{"status":0,"result":{"id":"'"$(cat "$d/aliases/$alias.id")"'","apiVersion":"66.0","accessToken":"[REDACTED] Use '"'"'sf org auth show-access-token'"'"' to view","instanceUrl":"'"$url"'","username":"northpass.integration@'"$alias"'.example.com","connectedStatus":"Connected","alias":"'"$alias"'"},"warnings":["Secrets are now hidden from '"'"'sf org display'"'"' command output."]}'
  exit 0
fi
echo '{"status":0,"result":{"accessToken":"'"$(cat "$d/aliases/$alias.token")"'"},"warnings":[]}'
`, dir)
	if err := os.MkdirAll(filepath.Join(dir, "aliases"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "sf"), []byte(script), 0o755); err != nil {
		return nil, err
	}
	return &Fleet{dir: dir}, nil
}

// SF is the fake sf's path (sfclient.Config.SFCommand); Dir is its folder, to put first on
// PATH for a child process.
func (f *Fleet) SF() string  { return filepath.Join(f.dir, "sf") }
func (f *Fleet) Dir() string { return f.dir }

// Add makes alias log in to the org at instanceURL with token (orgID is what org display
// reports); adding an alias again changes its login.
func (f *Fleet) Add(alias, instanceURL, token, orgID string) error {
	if strings.ContainsAny(alias, "/\\'\" ") {
		return fmt.Errorf("alias %q: keep test aliases plain", alias)
	}
	for ext, v := range map[string]string{".url": instanceURL, ".token": token, ".id": orgID} {
		if err := os.WriteFile(filepath.Join(f.dir, "aliases", alias+ext), []byte(v), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Remove forgets alias, as `sf org logout` does.
func (f *Fleet) Remove(alias string) {
	for _, ext := range []string{".url", ".token", ".id"} {
		os.Remove(filepath.Join(f.dir, "aliases", alias+ext))
	}
}
