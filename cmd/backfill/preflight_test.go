package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// preflightCLI runs `backfill preflight args...` against srv, logged in with token through
// SF_ACCESS_TOKEN as a user would, and returns stdout, stderr and main's exit code.
func preflightCLI(t *testing.T, srv *sftest.Server, token string, args ...string) (string, string, int) {
	t.Helper()
	args = append([]string{"preflight", "--instance-url", srv.URL, "--log-format", "json"}, args...)
	return runCLIEnv(t, []string{"SF_ACCESS_TOKEN=" + token}, args...)
}

func TestPreflightCommand(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	admin, err := srv.NewAccessToken("admin@demo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		args  []string
		code  int
		want  []string // substrings of stdout
	}{
		{
			name: "DemoOrgPasses",
			code: 0,
			want: []string{
				"✓ PASS  1. Login and org: logged in to Acme Learning (demo)",
				"✓ PASS  2. Installed packages: Northpass 2.1.0.3 (namespace nplms)",
				"✓ PASS  3. Integration user: running as northpass.integration@demo.example.com",
				"✓ PASS  4. Enrollment object and fields: nplms__Enrollment__c (Enrollment) with upsert key nplms__External_Id__c; 11 export columns",
				"✓ PASS  5. API limits: DailyApiRequests",
				"✓ PASS  6. Live sync: the newest nplms__Enrollment__c written by northpass.integration@demo.example.com is a0E5g0000000309EAA",
				"6 passed, 0 warnings, 0 failed, 0 skipped: ready for backfill plan and import",
			},
			args: []string{"--export", sampleExport},
		},
		{
			name: "SandboxMismatchFails",
			args: []string{"--sandbox"},
			code: exitPreflight,
			want: []string{"✗ FAIL  1. Login and org: ", "it is a production org but --sandbox was given", "fix: drop --sandbox", "5 passed, 0 warnings, 1 failed"},
		},
		{
			name:  "SystemAdministratorFails",
			token: admin,
			code:  exitPreflight,
			want: []string{"✗ FAIL  3. Integration user: running as admin@demo.example.com (profile System Administrator)",
				"! WARN  6. Live sync: no nplms__Enrollment__c record was written by admin@demo.example.com",
				"fix: verify the data sync: enroll a test learner in a Northpass course, wait up to 30 minutes"},
		},
		{
			name: "CutoffAfterNewestWarns",
			args: []string{"--since", "2026-02-01"},
			code: 0,
			want: []string{"! WARN  6. Live sync: ", "before the cutoff 2026-02-01T00:00:00Z", "5 passed, 1 warning, 0 failed, 0 skipped: ready, but read the warnings"},
		},
		{
			name: "MissingObjectFails",
			args: []string{"--object", "nplms__Nope__c"},
			code: exitPreflight,
			want: []string{"✗ FAIL  4. Enrollment object and fields: object nplms__Nope__c does not exist or is not visible to this user",
				"- SKIP  6. Live sync: not run: the Enrollment object is unknown (check 4)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token
			if token == "" {
				token = srv.AccessToken()
			}
			stdout, stderr, code := preflightCLI(t, srv, token, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			if strings.Contains(stdout+stderr, token) {
				t.Errorf("the access token appears in the output")
			}
			// Logs are JSON lines on stderr (then main's "backfill:" and "hint:" lines); the
			// checklist is on stdout only.
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if line != "" && !json.Valid([]byte(line)) && !strings.HasPrefix(line, "backfill: ") && !strings.HasPrefix(line, "hint: ") {
					t.Errorf("stderr line is not JSON: %q", line)
				}
			}
		})
	}
}

func TestPreflightCommandJSON(t *testing.T) {
	t.Parallel()
	seed := sftest.OtherNamesSeed()
	seed.Packages = seed.Packages[1:] // no Northpass package
	srv := sftest.NewServer(t, sftest.WithSeed(seed))
	stdout, _, code := preflightCLI(t, srv, srv.AccessToken(), "--json", "-q")
	if code != exitPreflight {
		t.Fatalf("exit %d, want %d\n%s", code, exitPreflight, stdout)
	}
	var rep backfill.PreflightReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if rep.Passed || len(rep.Checks) != 6 || rep.Org.Name != "Acme Learning (demo)" || rep.Org.InstanceURL != srv.URL ||
		rep.User.Username != "northpass.integration@demo.example.com" || rep.User.Profile != "Northpass Integration" {
		t.Fatalf("report = %+v", rep)
	}
	want := []backfill.CheckStatus{"pass", "fail", "pass", "skip", "pass", "skip"}
	for i, c := range rep.Checks {
		if c.Status != want[i] {
			t.Errorf("check %d status = %s, want %s: %s", c.ID, c.Status, want[i], c.Message)
		}
	}
	if c := rep.Checks[1]; c.Message != "the Northpass package is not installed" || !strings.Contains(c.Fix, "upgrade the Northpass package to 2.1 from AppExchange") {
		t.Errorf("check 2 = %+v", c)
	}

	// --object names the other-names org's object: check 4 and 6 run.
	stdout, _, _ = preflightCLI(t, srv, srv.AccessToken(), "--json", "-q", "--object", "np2__Course_Enrollment__c")
	rep = backfill.PreflightReport{}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Object != "np2__Course_Enrollment__c" || rep.ExternalIDField != "np2__ExtId__c" || rep.Checks[3].Status != "pass" || rep.Checks[5].Status != "pass" {
		t.Errorf("with --object: %+v", rep)
	}
}

func TestPreflightCommandUsage(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	stdout, _, code := preflightCLI(t, srv, srv.AccessToken(), "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, s := range []string{"backfill preflight [--export FILE] [flags]", "Northpass 2.1", "System Administrator", "Verify Data", "--json", "--sandbox", "--object", "SF_ACCESS_TOKEN"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("help lacks %q", s)
		}
	}
	if strings.Contains(stdout, "--out") {
		t.Errorf("help lists --out, which preflight does not use")
	}
	for _, args := range [][]string{{"extra"}, {"--export", "no-such.csv"}, {"--since", "yesterday"}} {
		if _, stderr, code := preflightCLI(t, srv, srv.AccessToken(), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}
