package sfclient_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient"
)

func TestTokenResponses(t *testing.T) {
	for _, file := range []string{"token.json", "token_jwt.json"} {
		t.Run(file, func(t *testing.T) {
			f := newFake(t)
			f.mux.HandleFunc("POST /services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				if r.Form.Get("grant_type") != "password" || r.Form.Get("password") != "pw"+"TOK" || r.Form.Get("client_id") != "cid" {
					t.Errorf("token form = %v", r.Form)
				}
				f.serve(200, "application/json;charset=UTF-8", file)(w, r)
			})
			cfg := f.config()
			cfg.InstanceURL = ""
			cfg.Credentials = sfclient.Credentials{ClientID: "cid", ClientSecret: "sec", Username: "u@example.com", Password: "pw", SecurityToken: "TOK"}
			c := f.client(cfg)
			if got, want := c.InstanceURL(), f.srv.URL; got != want {
				t.Errorf("InstanceURL() = %q, want %q (trailing slash trimmed)", got, want)
			}
			if c.AuthFlow() != sfclient.FlowPassword {
				t.Errorf("flow = %s", c.AuthFlow())
			}
			id, err := c.CurrentUserID(t.Context())
			if err != nil || id != "005x00000012Q9P" {
				t.Errorf("CurrentUserID = %q, %v", id, err)
			}
			if got := c.CallCounts(); got[sfclient.CallAuth] != 1 || got[sfclient.CallIdentity] != 0 {
				t.Errorf("CallCounts = %v, want one auth call and no identity call", got)
			}
		})
	}
}

func TestOAuthError(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("POST /services/oauth2/token", f.serve(400, "application/json", "oauth_error.json"))
	cfg := f.config()
	cfg.Credentials = sfclient.Credentials{ClientID: "cid", ClientSecret: "topsecret", Username: "u", Password: "hunter2"}
	_, err := sfclient.New(t.Context(), cfg, nil)
	var ae *sfclient.APIError
	if !errors.As(err, &ae) || ae.Code != "invalid_grant" || ae.Message != "authentication failure" || ae.StatusCode != 400 {
		t.Fatalf("New = %v, want APIError invalid_grant", err)
	}
	for _, secret := range []string{"topsecret", "hunter2"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q: %v", secret, err)
		}
	}
}

func TestURLsMustBeHTTPS(t *testing.T) {
	for _, u := range []string{"http://example.com", "ftp://x", "http://10.0.0.1:8080"} {
		_, err := sfclient.New(t.Context(), sfclient.Config{InstanceURL: u, Credentials: sfclient.Credentials{AccessToken: "x"}}, nil)
		if err == nil || !strings.Contains(err.Error(), "instance URL") {
			t.Errorf("New(instance %s) = %v, want refusal", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.2:1", "http://[::1]:1", "http://localhost:1", "https://acme.my.salesforce.com"} {
		_, err := sfclient.New(t.Context(), sfclient.Config{InstanceURL: u, Credentials: sfclient.Credentials{AccessToken: "x"}}, nil)
		if err != nil {
			t.Errorf("New(instance %s) = %v, want accepted", u, err)
		}
	}
	if _, err := sfclient.New(t.Context(), sfclient.Config{LoginURL: "http://login.example.com", Credentials: sfclient.Credentials{ClientID: "a", ClientSecret: "b"}}, nil); err == nil {
		t.Error("plain-http login URL accepted")
	}
}

func TestQueryPaging(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"query", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("q"); got != "SELECT Id, Email, Account.External_Id__c FROM Contact" {
			t.Errorf("q = %q", got)
		}
		if r.Header.Get("Authorization") != "Bearer 00Dx0000000BV7z!TESTTOKEN" {
			t.Errorf("Authorization header wrong")
		}
		f.serve(200, "application/json", "query_page1.json")(w, r)
	})
	f.mux.HandleFunc("GET "+v+"query/01gD0000002HU6KIAW-2000", f.serve(200, "application/json", "query_page2.json"))
	c := f.client(f.config())
	var recs []sfclient.Record
	err := c.Query(t.Context(), "SELECT Id, Email, Account.External_Id__c FROM Contact", func(r sfclient.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if got := recs[0].String("Account.External_Id__c"); got != "ACME-1" {
		t.Errorf("Account.External_Id__c = %q", got)
	}
	if got := recs[0].String("account.external_id__c"); got != "ACME-1" {
		t.Errorf("case-insensitive path = %q", got)
	}
	if v, ok := recs[0].Get("Owner"); !ok || v != nil {
		t.Errorf("Owner = %v, %v; want null present", v, ok)
	}
	if got := recs[1].String("Account.External_Id__c"); got != "" {
		t.Errorf("null lookup path = %q", got)
	}
	if recs[2].Type() != "Contact" || recs[2].String("Email") != "c@example.com" {
		t.Errorf("third record = %v", recs[2])
	}
	if _, ok := recs[0]["__client__"]; ok {
		t.Error("simpleforce's __client__ back-pointer left in the record")
	}
	if got := c.CallCounts()[sfclient.CallQuery]; got != 2 {
		t.Errorf("query calls = %d, want 2 pages", got)
	}
	if li, ok := c.LastLimitInfo(); !ok || li != (sfclient.LimitInfo{Used: 18, Max: 5000}) {
		t.Errorf("LastLimitInfo = %v, %v", li, ok)
	}
	// fn's error stops paging and comes back as is.
	stop := errors.New("stop")
	if err := c.Query(t.Context(), "SELECT Id, Email, Account.External_Id__c FROM Contact", func(sfclient.Record) error { return stop }); err != stop {
		t.Errorf("Query with failing fn = %v", err)
	}
}

func TestQueryErrorBodies(t *testing.T) {
	tests := []struct {
		name, file, contentType string
		status                  int
		code                    string
		calls                   int
	}{
		{"EmptyArray", "error_empty.json", "application/json", 400, "ERROR_HTTP_400", 1},
		{"Null", "error_null.json", "application/json", 400, "ERROR_HTTP_400", 1},
		{"Malformed", "error_malformed.json", "application/json", 400, "MALFORMED_QUERY", 1},
		{"HTML503", "error_503.html", "text/html", 503, "ERROR_HTTP_503", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.mux.HandleFunc("GET "+v+"query", f.serve(tt.status, tt.contentType, tt.file))
			c := f.client(f.config())
			err := c.Query(t.Context(), "SELECT Id FORM Account", func(sfclient.Record) error { return nil })
			var ae *sfclient.APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.StatusCode != tt.status {
				t.Fatalf("Query = %v, want APIError %s", err, tt.code)
			}
			if got := f.calls1("GET " + v + "query"); got != tt.calls {
				t.Errorf("calls = %d, want %d", got, tt.calls)
			}
			if strings.Contains(err.Error(), "FORM Account") && tt.code != "MALFORMED_QUERY" {
				t.Errorf("error leaks the SOQL: %v", err)
			}
		})
	}
}

func TestToolingPackages(t *testing.T) {
	for _, variant := range []string{"numbers", "strings"} {
		t.Run(variant, func(t *testing.T) {
			f := newFake(t)
			f.mux.HandleFunc("GET "+v+"tooling/query", func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.URL.Query().Get("q"), "FROM InstalledSubscriberPackage") {
					t.Errorf("q = %q", r.URL.Query().Get("q"))
				}
				b := f.fixture("tooling_packages.json")
				if variant == "strings" { // some typings declare the numbers as strings
					b = bytes.Replace(b, []byte(`"MinorVersion": 230`), []byte(`"MinorVersion": "230"`), 1)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			})
			c := f.client(f.config())
			pkgs, err := c.InstalledPackages(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := sfclient.InstalledPackage{ID: "0A38Z000000XXXXSAA", PackageID: "033A0000000XXXXIAA", Namespace: "npsp",
				Name: "Nonprofit Success Pack", VersionID: "04t1K000000XXXXQAA", VersionName: "Spring 2025",
				Version: sfclient.PackageVersion{Major: 3, Minor: 230, Patch: 0, Build: 4}}
			if len(pkgs) != 1 || pkgs[0] != want {
				t.Errorf("got  %+v\nwant %+v", pkgs, want)
			}
			if c.CallCounts()[sfclient.CallTooling] != 1 {
				t.Errorf("CallCounts = %v", c.CallCounts())
			}
		})
	}
}

func TestDescribeAndLimits(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"sobjects", f.serve(200, "application/json", "describe_global.json"))
	f.mux.HandleFunc("GET "+v+"sobjects/Contact/describe", f.serve(200, "application/json", "describe_contact.json"))
	f.mux.HandleFunc("GET "+v+"limits", f.serve(200, "application/json", "limits.json"))
	c := f.client(f.config())
	g, err := c.DescribeGlobal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.SObjects) != 2 || g.SObjects[1].Name != "nplms__Enrollment__c" || g.SObjects[1].Label != "Enrollment" || !g.SObjects[1].Custom {
		t.Errorf("DescribeGlobal = %+v", g)
	}
	d, err := c.Describe(t.Context(), "Contact")
	if err != nil {
		t.Fatal(err)
	}
	ext, ok := d.Field("external_id__c")
	if !ok || !ext.ExternalID || !ext.IDLookup || ext.Length != 255 || ext.Label != "External id" {
		t.Errorf("External_Id__c = %+v", ext)
	}
	if ln, _ := d.Field("LastName"); !ln.Required() {
		t.Error("LastName not required")
	}
	if acc, _ := d.Field("AccountId"); acc.RelationshipName != "Account" || len(acc.ReferenceTo) != 1 {
		t.Errorf("AccountId = %+v", acc)
	}
	if lvl, _ := d.Field("Level__c"); !lvl.RestrictedPicklist || len(lvl.PicklistValues) != 1 || lvl.PicklistValues[0].Value != "Gold" {
		t.Errorf("Level__c = %+v", lvl)
	}
	if sc, _ := d.Field("Score__c"); sc.Precision != 18 || sc.Scale != 2 || sc.Type != "double" {
		t.Errorf("Score__c = %+v", sc)
	}
	lim, err := c.Limits(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := lim["DailyApiRequests"]; got != (sfclient.Limit{Max: 15000, Remaining: 14998}) {
		t.Errorf("DailyApiRequests = %+v", got)
	}
	if got := lim["DailyBulkV2QueryFileStorageMB"]; got.Max != 976562 {
		t.Errorf("DailyBulkV2QueryFileStorageMB = %+v", got)
	}
	want := map[string]int{sfclient.CallDescribe: 2, sfclient.CallLimits: 1}
	for k, n := range want {
		if c.CallCounts()[k] != n {
			t.Errorf("CallCounts = %v, want %v", c.CallCounts(), want)
		}
	}
}

func TestJobInfoDecoding(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("POST "+v+"jobs/ingest", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		for _, want := range []string{`"externalIdFieldName":"External_Id__c"`, `"lineEnding":"LF"`, `"operation":"upsert"`, `"object":"Contact"`} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("create body %s lacks %s", b.String(), want)
			}
		}
		f.serve(200, "application/json", "job_create.json")(w, r)
	})
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750Dp0000090ZSUIA2", f.serve(200, "application/json", "job_failed.json"))
	c := f.client(f.config())
	j, err := c.CreateIngestJob(t.Context(), sfclient.JobSpec{Object: "Contact", Operation: "upsert", ExternalIDFieldName: "External_Id__c"})
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != "7505fEXAMPLE4C2AAM" || j.State != sfclient.StateOpen || j.APIVersion != "62.0" ||
		!j.CreatedDate.Equal(time.Date(2024, 3, 20, 21, 42, 13, 0, time.UTC)) || j.ContentURL == "" {
		t.Errorf("created job = %+v", j)
	}
	j, err = c.WaitJob(t.Context(), "750Dp0000090ZSUIA2", nil)
	var je *sfclient.JobError
	if !errors.As(err, &je) || !errors.Is(err, sfclient.ErrJobFailed) {
		t.Fatalf("WaitJob = %v, want JobError", err)
	}
	if j.APIVersion != "59.0" || j.JobType != "V2Ingest" || !strings.Contains(err.Error(), "Field name not found : ContactId__c") ||
		!j.SystemModstamp.Equal(time.Date(2024, 3, 20, 21, 42, 15, 0, time.UTC)) {
		t.Errorf("failed job = %+v, err %v", j, err)
	}
}

func TestResultsCSV(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750X/successfulResults/", f.serve(200, "text/csv", "results_success.csv"))
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750X/failedResults/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/csv" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		w.Write(append(f.fixture("results_failed.csv"), 0)) // a stray NUL is dropped
	})
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750X/unprocessedrecords/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("\"Custom_Id__c\",\"LastName\"\n"))
	})
	c := f.client(f.config())
	for _, tt := range []struct {
		get  func() (int64, error)
		want string
	}{
		{func() (int64, error) {
			var b bytes.Buffer
			n, err := c.JobResults(t.Context(), "750X", sfclient.ResultsSuccessful, &b)
			checkOut(t, &b, f.fixture("results_success.csv"))
			return n, err
		}, ""},
		{func() (int64, error) {
			var b bytes.Buffer
			n, err := c.JobResults(t.Context(), "750X", sfclient.ResultsFailed, &b)
			checkOut(t, &b, f.fixture("results_failed.csv"))
			return n, err
		}, ""},
		{func() (int64, error) {
			var b bytes.Buffer
			n, err := c.JobResults(t.Context(), "750X", sfclient.ResultsUnprocessed, &b)
			checkOut(t, &b, []byte("\"Custom_Id__c\",\"LastName\"\n"))
			return n, err
		}, ""},
	} {
		if _, err := tt.get(); err != nil {
			t.Error(err)
		}
	}
	if got := c.CallCounts()[sfclient.CallBulkResults]; got != 3 {
		t.Errorf("bulk-results calls = %d", got)
	}
}

func checkOut(t *testing.T, got *bytes.Buffer, want []byte) {
	t.Helper()
	if got.String() != string(want) {
		t.Errorf("got  %q\nwant %q", got.String(), want)
	}
}
