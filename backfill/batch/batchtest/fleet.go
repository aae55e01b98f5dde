// Package batchtest gives tests of a batch a fleet of emulated orgs, each reached through
// a Salesforce CLI alias as a support engineer's laptop reaches its customers' orgs: a fake
// sf answers `sf org display` and `sf org auth show-access-token` for the aliases added to
// it, in the shapes of Salesforce CLI 2.150 (the access token hidden from org display), and
// refuses any other alias as the real CLI does (NamedOrgNotFoundError). The fake is a
// shell script named sf, and on Windows a batch file named sf.cmd (the CLI's own form
// there, which Windows runs through cmd.exe); both print answers Add wrote beforehand.
package batchtest

import (
	"encoding/json"
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

// The fake sf's two forms. Its arguments: org display --target-org ALIAS --json, or org
// auth show-access-token --target-org ALIAS --json.
const (
	shScript = `#!/bin/sh
d=%q
alias=$(eval echo \${$(($#-1))})
if [ ! -f "$d/aliases/$alias.display.json" ]; then
  echo '{"name":"NamedOrgNotFoundError","message":"Parsing --target-org \n\tNo authorization information found for '"$alias"'.\nSee more help with --help","exitCode":2,"status":2,"code":"NamedOrgNotFoundError"}'
  exit 2
fi
if [ "$1 $2" = "org display" ]; then cat "$d/aliases/$alias.display.json"; else cat "$d/aliases/$alias.token.json"; fi
`
	cmdScript = "@echo off\r\n" +
		"setlocal\r\n" +
		"set \"d=%s\"\r\n" +
		"if \"%%1 %%2\"==\"org display\" (set \"a=%%4\") else (set \"a=%%5\")\r\n" +
		"if not exist \"%%d%%\\aliases\\%%a%%.display.json\" goto unknown\r\n" +
		"if \"%%1 %%2\"==\"org display\" (type \"%%d%%\\aliases\\%%a%%.display.json\") else (type \"%%d%%\\aliases\\%%a%%.token.json\")\r\n" +
		"exit /b 0\r\n" +
		":unknown\r\n" +
		"echo {\"name\":\"NamedOrgNotFoundError\",\"message\":\"Parsing --target-org \\n\\tNo authorization information found for %%a%%.\\nSee more help with --help\",\"exitCode\":2,\"status\":2,\"code\":\"NamedOrgNotFoundError\"}\r\n" +
		"exit /b 2\r\n"
)

// NewFleet writes the fake sf into dir (created when missing).
func NewFleet(dir string) (*Fleet, error) {
	if err := os.MkdirAll(filepath.Join(dir, "aliases"), 0o700); err != nil {
		return nil, err
	}
	f := &Fleet{dir: dir}
	script := fmt.Sprintf(shScript, dir)
	if runtime.GOOS == "windows" {
		script = fmt.Sprintf(cmdScript, dir)
	}
	if err := os.WriteFile(f.SF(), []byte(script), 0o755); err != nil {
		return nil, err
	}
	return f, nil
}

// SF is the fake sf's path (sfclient.Config.SFCommand); Dir is its folder, to put first on
// PATH for a child process.
func (f *Fleet) SF() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(f.dir, "sf.cmd")
	}
	return filepath.Join(f.dir, "sf")
}

func (f *Fleet) Dir() string { return f.dir }

// Add makes alias log in to the org at instanceURL with token (orgID is what org display
// reports); adding an alias again changes its login.
func (f *Fleet) Add(alias, instanceURL, token, orgID string) error {
	if strings.ContainsAny(alias, "/\\'\" %!^&|<>()") {
		return fmt.Errorf("alias %q: keep test aliases plain", alias)
	}
	display, err := json.Marshal(map[string]any{"status": 0, "result": map[string]any{
		"id": orgID, "apiVersion": "66.0", "accessToken": "[REDACTED] Use 'sf org auth show-access-token' to view",
		"instanceUrl": instanceURL, "username": "northpass.integration@" + alias + ".example.com",
		"connectedStatus": "Connected", "alias": alias,
	}, "warnings": []string{"Secrets are now hidden from 'sf org display' command output."}})
	if err != nil {
		return err
	}
	tok, err := json.Marshal(map[string]any{"status": 0, "result": map[string]any{"accessToken": token}, "warnings": []string{}})
	if err != nil {
		return err
	}
	for ext, b := range map[string][]byte{".token.json": tok, ".display.json": display} {
		if err := os.WriteFile(filepath.Join(f.dir, "aliases", alias+ext), append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Remove forgets alias, as `sf org logout` does.
func (f *Fleet) Remove(alias string) {
	for _, ext := range []string{".display.json", ".token.json"} {
		os.Remove(filepath.Join(f.dir, "aliases", alias+ext))
	}
}
