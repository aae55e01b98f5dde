package backfill_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	pfObject      = "nplms__Enrollment__c"
	pfExport      = "../backfill/demo/sample/export.csv"
	pfAdmin       = "admin@demo.example.com"
	pfIntegration = "northpass.integration@demo.example.com"
)

// preflightConfig is a preflight of srv logged in with token (the API user's when empty).
func preflightConfig(t *testing.T, srv *sftest.Server, token string) backfill.PreflightOptions {
	t.Helper()
	if token == "" {
		token = srv.AccessToken()
	}
	cfg := backfill.PreflightOptions{Front: cli(t), Export: backfill.NewExportOptions()}
	cfg.Org = sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: token},
		Retry: sfclient.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}
	return cfg
}

// enrollmentField returns the demo Enrollment object's field name in seed s.
func enrollmentField(t *testing.T, s *sftest.Seed, name string) *sftest.Field {
	t.Helper()
	o := s.Object(pfObject)
	for i := range o.Fields {
		if o.Fields[i].Name == name {
			return &o.Fields[i]
		}
	}
	t.Fatalf("seed has no field %s.%s", pfObject, name)
	return nil
}

// want is what one check must report: its status and substrings of its message and fix.
type want struct {
	status backfill.CheckStatus
	msg    []string
	fix    []string
}

func pass(msg ...string) want { return want{status: backfill.CheckPass, msg: msg} }

func TestPreflight(t *testing.T) {
	t.Parallel()
	allPass := map[int]want{
		1: pass("logged in to Acme Learning (demo) (00D5g0000000001EAA)", "over plain http on loopback", "a production org, as expected"),
		2: pass("Northpass 2.1.0.3 (namespace nplms) and Gainsight Northpass Data Connector 1.0.0.1 are installed"),
		3: pass("the live sync's user is "+pfIntegration+" (profile Northpass Integration), permission sets: Northpass Standard User: it authorized the Gainsight Northpass Data Connector connection",
			"a dedicated user without Modify All Data; backfill runs as the same user"),
		4: pass(pfObject + " (Enrollment) with upsert key nplms__External_Id__c, both writable for this user; pass --export"),
		5: pass("DailyApiRequests ", " of 15,000 remaining, needs about 25;", "DailyBulkApiBatches 15,000 of 15,000 remaining, needs about 1 (estimate without --export"),
		6: pass("the newest " + pfObject + " written by " + pfIntegration + " is a0E5g0000000309EAA at 2026-01-10T03:03:00Z, on or after the cutoff 2025-11-20T00:00:00Z"),
	}
	with := func(m map[int]want) map[int]want {
		out := map[int]want{}
		for k, v := range allPass {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		seed   func(t *testing.T, s *sftest.Seed)
		config func(cfg *backfill.PreflightOptions)
		user   string // log in as this user instead of the seed's API user
		want   map[int]want
	}{
		{name: "DemoOrg", want: allPass},
		{
			name:   "DemoOrgWithExport",
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.File = pfExport },
			want: with(map[int]want{
				4: pass(pfObject + " (Enrollment) with upsert key nplms__External_Id__c; 11 export columns map to fields this user can write, every required field is mapped"),
				5: pass("needs about 16;", "DailyBulkApiBatches 15,000 of 15,000 remaining, needs about 2 (30 candidate rows in 1 Bulk job(s); batches: 1 per 10,000 rows, plus 1 per job for a follow-up)"),
			}),
		},
		{
			name: "OtherNamesOrg",
			seed: func(t *testing.T, s *sftest.Seed) {
				*s = *sftest.OtherNamesSeed()
			},
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.File = pfExport },
			want: with(map[int]want{
				2: pass("Northpass 2.1.0.3 (namespace np2)"),
				4: pass("np2__Course_Enrollment__c (Enrollment) with upsert key np2__ExtId__c; 11 export columns map to fields this user can write"),
				5: pass("30 candidate rows"),
				6: pass("the newest np2__Course_Enrollment__c written by " + pfIntegration + " is a0E5g0000000309EAA at 2026-01-10T03:03:00Z"),
			}),
		},
		{
			name:   "SandboxFlagOnProduction",
			config: func(cfg *backfill.PreflightOptions) { cfg.Org.Sandbox = true },
			want: with(map[int]want{1: {status: backfill.CheckFail,
				msg: []string{"it is a production org but --sandbox was given"}, fix: []string{"drop --sandbox"}}}),
		},
		{
			name: "SandboxWithoutFlag",
			seed: func(t *testing.T, s *sftest.Seed) { s.Organization.IsSandbox = true },
			want: with(map[int]want{1: {status: backfill.CheckFail,
				msg: []string{"it is a sandbox but --sandbox was not given"}, fix: []string{"add --sandbox"}}}),
		},
		{
			name:   "SandboxWithFlag",
			seed:   func(t *testing.T, s *sftest.Seed) { s.Organization.IsSandbox = true },
			config: func(cfg *backfill.PreflightOptions) { cfg.Org.Sandbox = true },
			want:   with(map[int]want{1: pass("; a sandbox, as expected")}),
		},
		{
			name: "Northpass20",
			seed: func(t *testing.T, s *sftest.Seed) { s.Packages[0].Minor = 0 },
			want: with(map[int]want{2: {status: backfill.CheckFail,
				msg: []string{"Northpass 2.0.0.3 is installed; 2.1 or later is required"},
				fix: []string{"upgrade the Northpass package to 2.1 from AppExchange", "Setup > Installed Packages should list Northpass 2.1 and Gainsight Northpass Data Connector 1.0"}}}),
		},
		{
			name: "NoDataConnector",
			seed: func(t *testing.T, s *sftest.Seed) { s.Packages = append(s.Packages[:1], s.Packages[2:]...) },
			want: with(map[int]want{2: {status: backfill.CheckFail,
				msg: []string{"Gainsight Northpass Data Connector is not installed"},
				fix: []string{"install Gainsight Northpass Data Connector 1.0 from AppExchange", "Setup > Installed Packages should list"}}}),
		},
		{
			name: "NoNorthpassPackage",
			seed: func(t *testing.T, s *sftest.Seed) { s.Packages = s.Packages[1:] },
			want: with(map[int]want{
				2: {status: backfill.CheckFail, msg: []string{"the Northpass package is not installed"}, fix: []string{"upgrade the Northpass package to 2.1"}},
				4: {status: backfill.CheckSkip, msg: []string{"not run: the Northpass package is not installed (check 2)", "--object"}},
				6: {status: backfill.CheckSkip, msg: []string{"not run: the Enrollment object is unknown (check 4)"}},
			}),
		},
		{
			// An admin may run backfill (the guide's Data Import Wizard or Data Loader, as
			// oneself): it sees every OAuth token, so it tells the sync's user.
			name: "AdminRunsBackfill",
			user: pfAdmin,
			want: with(map[int]want{
				3: pass("the live sync's user is "+pfIntegration+" (profile Northpass Integration)", "a dedicated user without Modify All Data",
					"backfill runs as "+pfAdmin+" (profile System Administrator), an administrator: allowed, and the records it loads will show "+pfAdmin+" as Created By"),
			}),
		},
		{
			// The connection was authorized by an admin: the records it wrote say so to a
			// user who cannot see the admin's token.
			name: "SyncRunsAsAdmin",
			seed: syncAsAdmin,
			want: with(map[int]want{
				3: {status: backfill.CheckFail, msg: []string{"the live sync's user is " + pfAdmin + " (profile System Administrator): it wrote 10 of the 10 newest " + pfObject + " records (the newest: a0E5g0000000309EAA at 2026-01-10T03:03:00Z)",
					"not a System Administrator", "backfill runs as " + pfIntegration + " (profile Northpass Integration), permission sets: Northpass Standard User: the records it loads will show it as Created By"},
					fix: []string{"dedicated integration user who is not a System Administrator", "authorize the Northpass connection as it"}},
				6: pass("the newest " + pfObject + " written by " + pfAdmin + " is a0E5g0000000309EAA at 2026-01-10T03:03:00Z"),
			}),
		},
		{
			name: "SyncRunsAsAdminSeenByAdmin",
			seed: syncAsAdmin,
			user: pfAdmin,
			want: with(map[int]want{
				3: {status: backfill.CheckFail, msg: []string{"the live sync's user is " + pfAdmin + " (profile System Administrator): it authorized the Gainsight Northpass Data Connector connection",
					"not a System Administrator", "backfill runs as the same user"}, fix: []string{"not a System Administrator"}},
				6: pass("the newest " + pfObject + " written by " + pfAdmin),
			}),
		},
		{
			// Without a token to see, the records tell: an admin's hand edit of the newest
			// record does not make it the sync's user.
			name: "HandEditNoToken",
			seed: func(t *testing.T, s *sftest.Seed) {
				s.OAuthTokens = nil
				r := s.Object(pfObject).Records[0]
				r["LastModifiedById"], r["LastModifiedDate"] = s.User(pfAdmin).ID, "2026-02-01T00:00:00Z"
			},
			want: with(map[int]want{
				3: pass("the live sync's user is "+pfIntegration+" (profile Northpass Integration), permission sets: Northpass Standard User: it wrote 10 of the 10 newest "+pfObject+" records (the newest: a0E5g0000000301EAA at 2026-02-01T00:00:00Z)",
					"backfill runs as the same user"),
				6: pass("the newest " + pfObject + " written by " + pfIntegration + " is a0E5g0000000309EAA"),
			}),
		},
		{
			// No token and only the admin's own records: the sync's user cannot be told.
			name: "SyncUserUnknown",
			seed: func(t *testing.T, s *sftest.Seed) { syncAsAdmin(t, s); s.OAuthTokens = nil },
			user: pfAdmin,
			want: with(map[int]want{
				3: {status: backfill.CheckWarn, msg: []string{"the live sync's user cannot be told: no Northpass connection token is visible and no " + pfObject + " record was written by another user"},
					fix: []string{"authorized by a dedicated integration user"}},
				6: pass("the newest " + pfObject + " written by " + pfAdmin),
			}),
		},
		{
			name: "ModifyAllDataPermissionSet",
			seed: func(t *testing.T, s *sftest.Seed) {
				u := s.User(pfIntegration)
				u.PermissionSets = append(u.PermissionSets, sftest.PermissionSet{ID: "0PS5g0000000777AAA", Name: "Data_Admin", Label: "Data Admin", PermissionsModifyAllData: true})
			},
			want: with(map[int]want{3: {status: backfill.CheckWarn,
				msg: []string{"permission sets: Data Admin, Northpass Standard User", "it has Modify All Data through permission set Data Admin"},
				fix: []string{"remove Modify All Data"}}}),
		},
		{
			name: "ModifyAllDataProfile",
			seed: func(t *testing.T, s *sftest.Seed) { s.User(pfIntegration).Profile.PermissionsModifyAllData = true },
			want: with(map[int]want{3: {status: backfill.CheckWarn,
				msg: []string{"it has Modify All Data through profile Northpass Integration"}, fix: []string{"least privilege"}}}),
		},
		{
			name:   "NoSuchObject",
			config: func(cfg *backfill.PreflightOptions) { cfg.Target.Object = "nplms__Nope__c" },
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{"object nplms__Nope__c does not exist or is not visible to this user"},
					fix: []string{"assign the Northpass Standard User permission set", "field-level security"}},
				6: {status: backfill.CheckSkip, msg: []string{"not run"}},
			}),
		},
		{
			name: "NoEnrollmentLabel",
			seed: func(t *testing.T, s *sftest.Seed) { s.Object(pfObject).Label = "Registration" },
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{`no object labelled "Enrollment" in namespace nplms (objects there: `, `nplms__Enrollment__c ("Registration")`},
					fix: []string{"Northpass Standard User", "--object"}},
				6: {status: backfill.CheckSkip, msg: []string{"not run: the Enrollment object is unknown (check 4)"}},
			}),
		},
		{
			name:   "NoSuchExternalIDField",
			config: func(cfg *backfill.PreflightOptions) { cfg.Target.ExternalIDField = "nplms__Key__c" },
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{pfObject + " has no field nplms__Key__c"}, fix: []string{"--external-id-field"}},
			}),
		},
		{
			name: "NoExternalIDLabel",
			seed: func(t *testing.T, s *sftest.Seed) {
				enrollmentField(t, s, "nplms__External_Id__c").Label = "Legacy key"
			},
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{`no External ID field labelled "External id" on ` + pfObject},
					fix: []string{"--external-id-field; External ID fields: nplms__External_Id__c"}},
			}),
		},
		{
			name: "ReadOnlyExternalIDWithoutExport",
			seed: func(t *testing.T, s *sftest.Seed) {
				f := enrollmentField(t, s, "nplms__External_Id__c")
				f.Createable, f.Updateable = false, false
			},
			want: with(map[int]want{4: {status: backfill.CheckFail,
				msg: []string{"the upsert key is not writable: nplms__External_Id__c (read-only)"}, fix: []string{"field-level security"}}}),
		},
		{
			name: "ReadOnlyMappedField",
			seed: func(t *testing.T, s *sftest.Seed) {
				f := enrollmentField(t, s, "nplms__Status__c")
				f.Createable, f.Updateable = false, false
			},
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.File = pfExport },
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{`mapped fields this user cannot write: nplms__Status__c (column "Status": read-only)`},
					fix: []string{"assign the Northpass Standard User permission set to the integration user and check field-level security"}},
				5: pass("30 candidate rows"),
			}),
		},
		{
			name: "NotUpdateableMappedField",
			seed: func(t *testing.T, s *sftest.Seed) {
				enrollmentField(t, s, "nplms__Progress_Percentage__c").Updateable = false
			},
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.File = pfExport },
			want: with(map[int]want{
				4: {status: backfill.CheckWarn, msg: []string{`nplms__Progress_Percentage__c (column "Progress Percentage": not updateable)`}, fix: []string{"field-level security"}},
				5: pass("30 candidate rows"),
			}),
		},
		{
			name: "NotUpdateableMappedFieldUpdateStale",
			seed: func(t *testing.T, s *sftest.Seed) {
				enrollmentField(t, s, "nplms__Progress_Percentage__c").Updateable = false
			},
			config: func(cfg *backfill.PreflightOptions) {
				cfg.Export.File = pfExport
				cfg.UpdateStale = true
			},
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{`nplms__Progress_Percentage__c (column "Progress Percentage": not updateable)`}},
				5: pass("30 candidate rows"),
			}),
		},
		{
			name: "RequiredFieldNotMapped",
			seed: func(t *testing.T, s *sftest.Seed) {
				o := s.Object(pfObject)
				o.Fields = append(o.Fields, sftest.Field{Name: "nplms__Region__c", Label: "Region", Type: "string", Length: 20, Createable: true, Updateable: true})
			},
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.File = pfExport },
			want: with(map[int]want{
				4: {status: backfill.CheckFail, msg: []string{"required fields no column sets (new records would fail): nplms__Region__c"}, fix: []string{"--mapping"}},
				5: pass("30 candidate rows"),
			}),
		},
		{
			name: "NoBulkBatchesLeft",
			seed: func(t *testing.T, s *sftest.Seed) {
				s.Limits["DailyBulkApiBatches"] = sftest.Limit{Max: 15000, Remaining: 0}
			},
			want: with(map[int]want{5: {status: backfill.CheckFail,
				msg: []string{"DailyBulkApiBatches 0 of 15,000 remaining, needs about 1 (not enough)"}, fix: []string{"rolling 24-hour usage"}}}),
		},
		{
			name: "FewAPIRequestsLeft",
			seed: func(t *testing.T, s *sftest.Seed) {
				s.Limits["DailyApiRequests"] = sftest.Limit{Max: 15000, Remaining: 20}
			},
			want: with(map[int]want{5: {status: backfill.CheckFail,
				msg: []string{" of 15,000 remaining, needs about 25 (not enough)"}, fix: []string{"a later --since"}}}),
		},
		{
			name: "APIRequestsUnderTenPercent",
			seed: func(t *testing.T, s *sftest.Seed) {
				s.Limits["DailyApiRequests"] = sftest.Limit{Max: 15000, Remaining: 1000}
			},
			want: with(map[int]want{5: {status: backfill.CheckWarn,
				msg: []string{" of 15,000 remaining, needs about 25 (under 10% left)"}, fix: []string{"less than 10%"}}}),
		},
		{
			name:   "NoEnrollmentSinceCutoff",
			config: func(cfg *backfill.PreflightOptions) { cfg.Export.Since = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) },
			want: with(map[int]want{6: {status: backfill.CheckWarn,
				msg: []string{"the newest " + pfObject + " written by " + pfIntegration + " is a0E5g0000000309EAA at 2026-01-10T03:03:00Z, before the cutoff 2026-02-01T00:00:00Z"},
				fix: []string{"enroll a test learner in a Northpass course, wait up to 30 minutes, then check the Enrollments tab"}}}),
		},
		{
			name: "NoEnrollmentAtAll",
			seed: func(t *testing.T, s *sftest.Seed) { s.Object(pfObject).Records = nil },
			want: with(map[int]want{6: {status: backfill.CheckWarn,
				msg: []string{"no " + pfObject + " record was written by " + pfIntegration}, fix: []string{"Verify the data sync", "wait up to 30 minutes"}}}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := sftest.DemoSeed()
			if tt.seed != nil {
				tt.seed(t, seed)
			}
			srv := sftest.NewServer(t, sftest.WithSeed(seed))
			token := ""
			if tt.user != "" {
				var err error
				if token, err = srv.NewAccessToken(tt.user); err != nil {
					t.Fatal(err)
				}
			}
			cfg := preflightConfig(t, srv, token)
			if tt.config != nil {
				tt.config(&cfg)
			}
			rep, stdout, err := runPreflight(t, cfg, "table")
			if rep == nil {
				t.Fatalf("Preflight returned no report: %v", err)
			}
			checkPreflightReport(t, rep, tt.want)
			failed := false
			for _, w := range tt.want {
				failed = failed || w.status == backfill.CheckFail
			}
			if err != nil {
				t.Errorf("Preflight: %v", err)
			}
			if rep.Passed == failed {
				t.Errorf("Passed = %v, want %v", rep.Passed, !failed)
			}
			for _, c := range rep.Checks {
				line := c.Message
				if !strings.Contains(stdout, line) {
					t.Errorf("stdout lacks check %d's message %q:\n%s", c.ID, line, stdout)
				}
				if c.Fix != "" && !strings.Contains(stdout, "fix: "+c.Fix) {
					t.Errorf("stdout lacks check %d's fix line:\n%s", c.ID, stdout)
				}
			}
		})
	}
}

// checkPreflightReport compares the six checks with want (every check must be listed in want).
func checkPreflightReport(t *testing.T, rep *backfill.PreflightReport, want map[int]want) {
	t.Helper()
	if len(rep.Checks) != 6 {
		t.Fatalf("got %d checks, want 6: %+v", len(rep.Checks), rep.Checks)
	}
	for i, c := range rep.Checks {
		w, ok := want[c.ID]
		if c.ID != i+1 || !ok {
			t.Fatalf("check %d has id %d", i+1, c.ID)
		}
		if c.Status != w.status {
			t.Errorf("check %d (%s) status = %s, want %s\nmessage: %s\nfix: %s", c.ID, c.Name, c.Status, w.status, c.Message, c.Fix)
			continue
		}
		for _, s := range w.msg {
			if !strings.Contains(c.Message, s) {
				t.Errorf("check %d message = %q\nwant it to contain %q", c.ID, c.Message, s)
			}
		}
		for _, s := range w.fix {
			if !strings.Contains(strings.ToLower(c.Fix), strings.ToLower(s)) {
				t.Errorf("check %d fix = %q\nwant it to contain %q", c.ID, c.Fix, s)
			}
		}
		if (c.Status == backfill.CheckPass || c.Status == backfill.CheckSkip) != (c.Fix == "") {
			t.Errorf("check %d (%s) has fix %q", c.ID, c.Status, c.Fix)
		}
	}
}

func TestPreflightLoginFails(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := preflightConfig(t, srv, "00D5g0000000001!not-a-token")
	rep, stdout, err := runPreflight(t, cfg, "table")
	if err != nil || rep.Passed {
		t.Fatalf("Preflight: %v, passed %v; want a failed check", err, rep.Passed)
	}
	wants := map[int]want{1: {status: backfill.CheckFail, msg: []string{"cannot log in: ", "INVALID_SESSION_ID"}, fix: []string{"SF_* environment variables"}}}
	for id := 2; id <= 6; id++ {
		wants[id] = want{status: backfill.CheckSkip, msg: []string{"not run: no Salesforce session (check 1)"}}
	}
	checkPreflightReport(t, rep, wants)
	if strings.Contains(stdout, "not-a-token") {
		t.Errorf("the token leaked:\n%s", stdout)
	}
	if !strings.Contains(stdout, "- SKIP  6. Live sync: not run") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestPreflightChecklistText(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := preflightConfig(t, srv, "")
	cfg.Org.Sandbox = true
	rep, out, err := runPreflight(t, cfg, "table")
	if err != nil || rep.Passed || strings.Join(rep.FailedNames(), ", ") != "1 (login and org)" {
		t.Fatalf("Preflight: %v, failed %q; want check 1 (login and org) to fail", err, rep.FailedNames())
	}
	for _, s := range []string{
		"Preflight of Acme Learning (demo) (00D5g0000000001EAA, production) at " + srv.URL + " as " + pfIntegration + " (Northpass Integration)\n\n",
		"✗ FAIL  1. Login and org: logged in to ",
		"\n         fix: drop --sandbox",
		"\n✓ PASS  2. Installed packages: ",
		"\n✓ PASS  6. Live sync: ",
		"\n\n5 passed, 0 warnings, 1 failed, 0 skipped: not ready; follow the fix lines, then run backfill preflight again\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
}

func TestPreflightJSON(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := preflightConfig(t, srv, "")
	cfg.Export.File = pfExport
	rep, out, err := runPreflight(t, cfg, "json")
	if err != nil {
		t.Fatal(err)
	}
	stdout := bytes.NewBufferString(out)
	var got backfill.PreflightReport
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if !reflect.DeepEqual(&got, rep) {
		t.Errorf("JSON report = %+v\nreturned     %+v", got, *rep)
	}
	var raw map[string]any
	json.Unmarshal(stdout.Bytes(), &raw)
	wantOrg := map[string]any{"name": "Acme Learning (demo)", "id": "00D5g0000000001EAA", "is_sandbox": false, "instance_url": srv.URL}
	if !reflect.DeepEqual(raw["org"], wantOrg) || raw["object"] != pfObject || raw["external_id_field"] != "nplms__External_Id__c" || raw["passed"] != true {
		t.Errorf("JSON = %s", stdout.String())
	}
	if u := raw["user"].(map[string]any); u["username"] != pfIntegration || u["profile"] != "Northpass Integration" {
		t.Errorf("user = %v", u)
	}
	first := raw["checks"].([]any)[0].(map[string]any)
	if first["id"] != 1.0 || first["name"] != "Login and org" || first["status"] != "pass" || first["message"] == "" {
		t.Errorf("checks[0] = %v", first)
	}
	if _, ok := first["fix"]; ok {
		t.Errorf("a passing check has a fix key: %v", first)
	}
}

func TestRunPreflightWithClient(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := preflightConfig(t, srv, "")
	c, err := sfclient.New(t.Context(), cfg.Org, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	before := srv.TotalCalls()
	rep := backfill.RunPreflight(t.Context(), c, cfg, nil)
	if !rep.Passed || len(rep.Checks) != 6 || rep.Object != pfObject || rep.ExternalIDField != "nplms__External_Id__c" {
		t.Fatalf("report = %+v", rep)
	}
	for _, ch := range rep.Checks {
		if ch.Status != backfill.CheckPass {
			t.Errorf("check %d: %s %s", ch.ID, ch.Status, ch.Message)
		}
	}
	if c := rep.Check(6); c == nil || c.Name != "Live sync" || rep.Check(7) != nil {
		t.Errorf("Check(6) = %+v, Check(7) = %+v", c, rep.Check(7))
	}
	// Reads only, and few calls: organization, userinfo, user, permission sets, packages,
	// describe global, describe, limits, the sync query.
	if n := srv.TotalCalls() - before; n > 12 {
		t.Errorf("preflight made %d calls: %v", n, srv.Calls())
	}
	if len(srv.Jobs()) != 0 {
		t.Errorf("preflight created Bulk jobs: %+v", srv.Jobs())
	}
}

func TestPreflightUnusableExport(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := preflightConfig(t, srv, "")
	cfg.Export.File = "testdata/no-such-export.csv"
	rep, err := backfill.Preflight(t.Context(), cfg)
	var oe *backfill.OptionError
	if rep != nil || !errors.As(err, &oe) || oe.Option != backfill.OptExport {
		t.Fatalf("Preflight = %v, %v; want no report and the export refused", rep, err)
	}
}

// Check 1 explains Salesforce's 2026 login refusals with a one-line fix: an uninstalled or
// blocked app, a user not admin approved, an External Client App not installed.
func TestPreflightLoginRefusalsExplained(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		app  func(*sftest.ConnectedApp)
		msg  string
		fix  string
	}{
		{"blocked app", func(a *sftest.ConnectedApp) { a.Blocked = true }, "OAUTH_APP_BLOCKED", "use an External Client App installed in this org"},
		{"not admin approved", func(a *sftest.ConnectedApp) { a.AdminApprovedOnly = true }, "invalid_grant", "pre-authorize the user for the JWT flow"},
		{"ECA not installed", func(a *sftest.ConnectedApp) { a.ExternalClientApp = true }, "OAUTH_EC_APP_NOT_FOUND", "install the External Client App in this org"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			seed := sftest.DemoSeed()
			c.app(&seed.ConnectedApps[0])
			srv := sftest.NewServer(t, sftest.WithSeed(seed))
			cfg := backfill.PreflightOptions{Front: cli(t), Export: backfill.NewExportOptions()}
			cfg.Org = sfclient.Config{InstanceURL: srv.URL, LoginURL: srv.URL, Credentials: sfclient.Credentials{ClientID: "3MVG9backfill.demo.client.id",
				Username: "northpass.integration@demo.example.com", JWTKeyFile: "../testdata/orgs/demo-jwt-key.pem"}}
			rep, stdout, err := runPreflight(t, cfg, "table")
			if err != nil || rep.Passed {
				t.Fatalf("Preflight: %v, passed %v; want check 1 to fail", err, rep.Passed)
			}
			wants := map[int]want{1: {status: backfill.CheckFail, msg: []string{c.msg}, fix: []string{c.fix}}}
			for id := 2; id <= 6; id++ {
				wants[id] = want{status: backfill.CheckSkip}
			}
			checkPreflightReport(t, rep, wants)
			if !strings.Contains(stdout, "fix: ") {
				t.Errorf("stdout:\n%s", stdout)
			}
		})
	}
}

// syncAsAdmin makes the live sync run as the seed's System Administrator: the Northpass
// connection's token is the admin's and every Enrollment record was written by it.
func syncAsAdmin(t *testing.T, s *sftest.Seed) {
	t.Helper()
	if err := s.SyncAs(pfAdmin); err != nil {
		t.Fatal(err)
	}
}
