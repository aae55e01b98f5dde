package sfclient_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient"
)

// fakeSFList is a Salesforce CLI that answers `sf org list --json` with out and exit.
func fakeSFList(t *testing.T, out string, exit int) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake sf is a shell script")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "out.json"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sf")
	script := "#!/bin/sh\n[ \"$*\" = \"org list --json\" ] || { echo \"unexpected: $*\" >&2; exit 99; }\ncat " + filepath.Join(dir, "out.json") + "\nexit " + strconv.Itoa(exit) + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestListSFOrgs reads the captured listings of Salesforce CLI 2.150.6: the login listed in
// two groups comes once, and its access token, redacted or in clear, is never kept.
func TestListSFOrgs(t *testing.T) {
	for _, name := range []string{"sf_org_list.json", "sf_org_list_old.json"} {
		t.Run(name, func(t *testing.T) {
			orgs, err := sfclient.ListSFOrgs(t.Context(), fakeSFList(t, fixture(t, name), 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != 1 {
				t.Fatalf("got %d logins, want 1: %+v", len(orgs), orgs)
			}
			o := orgs[0]
			if o.Name() != "emu" || o.Username != "northpass.integration@demo.example.com" || o.OrgID != "00D5g0000000001EAA" ||
				o.InstanceURL != "https://yourInstance.my.salesforce.com" || !o.Connected() || o.Sandbox || o.Scratch {
				t.Fatalf("login %+v", o)
			}
			b, _ := json.Marshal(orgs)
			if strings.Contains(string(b), "00D5g0000000001!") || strings.Contains(string(b), "REDACTED") {
				t.Fatalf("a token was kept: %s", b)
			}
		})
	}
}

// TestListSFOrgsGroups: sandboxes and scratch orgs are told apart, expired scratch orgs and
// logins without a username are left out, the default comes first.
func TestListSFOrgsGroups(t *testing.T) {
	out := `{"status":0,"result":{
	"nonScratchOrgs":[{"alias":"prod","username":"a@x.com","orgId":"00D1","instanceUrl":"https://x.my.salesforce.com/","connectedStatus":"Connected"},
		{"alias":"uat","username":"a@x.com.uat","orgId":"00D2","instanceUrl":"https://x--uat.sandbox.my.salesforce.com","connectedStatus":"RefreshTokenAuthError","isSandbox":true},
		{"alias":"zdefault","username":"z@x.com","orgId":"00D3","instanceUrl":"https://z.my.salesforce.com","connectedStatus":"Connected","isDefaultUsername":true},
		{"alias":"nobody","orgId":"00D9"}],
	"sandboxes":[{"alias":"uat","username":"a@x.com.uat","orgId":"00D2","isSandbox":true}],
	"scratchOrgs":[{"alias":"s1","username":"s1@x.com","orgId":"00D4","status":"Active","isExpired":false},
		{"alias":"s2","username":"s2@x.com","orgId":"00D5","status":"Expired","isExpired":true}]}}`
	orgs, err := sfclient.ListSFOrgs(t.Context(), fakeSFList(t, out, 0))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range orgs {
		names = append(names, o.Name())
	}
	if got, want := strings.Join(names, ","), "zdefault,prod,s1,uat"; got != want {
		t.Fatalf("logins %s, want %s", got, want)
	}
	uat := orgs[3]
	if !uat.Sandbox || uat.Connected() || uat.ConnectedStatus != "RefreshTokenAuthError" {
		t.Fatalf("uat %+v", uat)
	}
	if !orgs[2].Scratch || !orgs[2].Connected() {
		t.Fatalf("scratch %+v", orgs[2])
	}
}

// TestListSFOrgsFailures: sf's own error (on one line), and no sf at all.
func TestListSFOrgsFailures(t *testing.T) {
	_, err := sfclient.ListSFOrgs(t.Context(), fakeSFList(t, fixture(t, "sf_error_named_org_not_found.json"), 2))
	if err == nil || !strings.Contains(err.Error(), "NamedOrgNotFoundError") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("sf's error: %v", err)
	}
	_, err = sfclient.ListSFOrgs(t.Context(), filepath.Join(t.TempDir(), "no-sf"))
	if !errors.Is(err, sfclient.ErrNoSFCLI) {
		t.Fatalf("no sf: %v, want ErrNoSFCLI", err)
	}
}
