package sftest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func TestQueryWireShape(t *testing.T) {
	s := sftest.NewServer(t)
	r := query(t, s, "SELECT Id, Username, Profile.Name, Profile.PermissionsModifyAllData FROM User WHERE Username = 'admin@demo.example.com'")
	want := `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/0055g0000000102AAA"},` +
		`"Id":"0055g0000000102AAA","Username":"admin@demo.example.com","Profile":{"attributes":{"type":"Profile",` +
		`"url":"/services/data/v62.0/sobjects/Profile/00e5g0000000012AAA"},"Name":"System Administrator","PermissionsModifyAllData":true}}]}`
	if string(r.body) != want {
		t.Errorf("body:\ngot  %s\nwant %s", r.body, want)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type = %q", got)
	}

	// Datetimes, numbers, null lookups.
	r = query(t, s, "SELECT nplms__Updated_At__c, nplms__Progress_Percentage__c, nplms__Contact__r.Email FROM nplms__Enrollment__c WHERE nplms__External_Id__c = '9fe9ebe4-3f7d-4806-88f2-960be71d9e03'")
	for _, frag := range []string{`"nplms__Updated_At__c":"2026-01-10T03:03:00.000+0000"`, `"nplms__Progress_Percentage__c":100`, `"nplms__Contact__r":null`} {
		if !strings.Contains(string(r.body), frag) {
			t.Errorf("body %s lacks %s", r.body, frag)
		}
	}
	// COUNT()
	r = query(t, s, "SELECT COUNT() FROM nplms__Enrollment__c")
	if string(r.body) != `{"totalSize":12,"done":true,"records":[]}` {
		t.Errorf("count: %s", r.body)
	}
}

func TestQueryWhere(t *testing.T) {
	s := sftest.NewServer(t)
	tests := []struct {
		where string
		want  int
	}{
		{`Email = 'AVA.PARK@example.com'`, 1}, // case-insensitive text
		{`LastName = 'O\'Brien'`, 1},
		{`LastName = 'O\u0027Brien'`, 1},
		{`LastName != 'O\'Brien'`, 9},
		{`Email IN ('ava.park@example.com', 'noah.park@example.com', 'nobody@x.com')`, 2},
		{`Email NOT IN ('ava.park@example.com')`, 9},
		{`Email LIKE 'ava%'`, 1},
		{`Email LIKE '%.park@%'`, 2},
		{`Email LIKE 'ava.par_@example.com'`, 1},
		{`NOT Email LIKE '%park%'`, 8},
		{`(FirstName = 'Ava' OR FirstName = 'Noah') AND Email LIKE '%park%'`, 2},
		{`(FirstName = 'Ava' OR FirstName = 'Priya') AND Email LIKE '%park%'`, 1},
		{`FirstName = 'Ava' OR (FirstName = 'Noah' AND LastName = 'Park')`, 2},
		{`Email = null`, 0},
		{`Email != null`, 10},
		{`CreatedDate >= 2025-01-15T09:00:00Z`, 10},
		{`CreatedDate > 2025-01-15T09:00:00.000+0000`, 0},
		{`CreatedDate < 2025-01-15T10:00:00+01:00`, 0},
		{`Id = '0035g0000000201'`, 1}, // 15-character id
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			qr := mustQuery(t, s, "SELECT Id FROM Contact WHERE "+tt.where)
			if qr.TotalSize != tt.want || len(qr.Records) != tt.want {
				t.Errorf("totalSize = %d (%d records), want %d", qr.TotalSize, len(qr.Records), tt.want)
			}
		})
	}
}

func TestQueryEscapesRoundTrip(t *testing.T) {
	s := sftest.NewServer(t)
	name := "Tab\tQuote\"Back\\slash'New\nline"
	if _, err := s.AddRecord("Contact", map[string]any{"LastName": name}); err != nil {
		t.Fatal(err)
	}
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`, `"`, `\"`).Replace(name)
	qr := mustQuery(t, s, "SELECT LastName FROM Contact WHERE LastName = '"+esc+"'")
	if qr.TotalSize != 1 || qr.Records[0]["LastName"] != name {
		t.Fatalf("got %+v", qr)
	}
}

func TestQueryOrderLimit(t *testing.T) {
	s := sftest.NewServer(t)
	qr := mustQuery(t, s, "SELECT nplms__External_Id__c, nplms__Completion_Date__c FROM nplms__Enrollment__c ORDER BY nplms__Completion_Date__c DESC NULLS LAST, nplms__External_Id__c ASC LIMIT 3")
	if len(qr.Records) != 3 || qr.TotalSize != 3 {
		t.Fatalf("got %d records", len(qr.Records))
	}
	if qr.Records[0]["nplms__Completion_Date__c"] == nil || qr.Records[1]["nplms__Completion_Date__c"] != nil {
		t.Errorf("NULLS LAST order wrong: %v", qr.Records)
	}
	if a, b := qr.Records[1][extField].(string), qr.Records[2][extField].(string); a > b {
		t.Errorf("secondary order: %s > %s", a, b)
	}
	qr = mustQuery(t, s, "SELECT LastModifiedDate FROM nplms__Enrollment__c WHERE CreatedBy.Username = 'northpass.integration@demo.example.com' ORDER BY LastModifiedDate DESC LIMIT 1")
	if qr.Records[0]["LastModifiedDate"] != "2026-01-10T03:03:00.000+0000" {
		t.Errorf("newest = %v", qr.Records[0])
	}
}

func TestQueryErrors(t *testing.T) {
	s := sftest.NewServer(t)
	tests := []struct {
		name, soql, code, msg string
	}{
		{"typo", "SELECT Id FORM Contact", "MALFORMED_QUERY", "ERROR at Row:1:Column:11\nunexpected token: FORM"},
		{"mixed and or", "SELECT Id FROM Contact WHERE Email = 'a' AND LastName = 'b' OR FirstName = 'c'", "MALFORMED_QUERY", "unexpected token: OR"},
		{"bad escape", `SELECT Id FROM Contact WHERE Email = 'a\qb'`, "MALFORMED_QUERY", "Illegal character sequence"},
		{"unterminated", `SELECT Id FROM Contact WHERE Email = 'ab`, "MALFORMED_QUERY", ""},
		{"too long", "SELECT Id FROM Contact WHERE Email IN ('" + strings.Repeat("a", 100000) + "')", "MALFORMED_QUERY", "100000"},
		{"no field", "SELECT Foo__c FROM Contact", "INVALID_FIELD", "No such column 'Foo__c' on entity 'Contact'"},
		{"no relationship", "SELECT Foo__r.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Foo__r'"},
		{"quoted datetime", "SELECT Id FROM Contact WHERE CreatedDate > '2025-01-01T00:00:00Z'", "INVALID_FIELD", "must be of type dateTime and should not be enclosed in quotes"},
		{"unquoted text", "SELECT Id FROM Contact WHERE Email = 5", "INVALID_FIELD", "should be enclosed in quotes"},
		{"not an Id", "SELECT Id FROM Contact WHERE Id IN ('003000000000001AAA', 'k-new-1')", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: k-new-1"},
		{"not an Id in a reference", "SELECT Id FROM Contact WHERE CreatedById = 'nobody'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: nobody"},
		{"duplicate field", "SELECT Id, Id, Email FROM Contact", "MALFORMED_QUERY", "duplicate field selected: Id"},
		{"no object", "SELECT Id FROM Foo__c", "INVALID_TYPE", "sObject type 'Foo__c' is not supported"},
		{"tooling object via REST", "SELECT Id FROM InstalledSubscriberPackage", "INVALID_TYPE", ""},
		{"empty", " ", "MALFORMED_QUERY", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := query(t, s, tt.soql)
			var errs []struct{ ErrorCode, Message string }
			r.json(t, &errs)
			if r.status != 400 || len(errs) != 1 || errs[0].ErrorCode != tt.code || !strings.Contains(errs[0].Message, tt.msg) {
				t.Errorf("got %d %.300s, want 400 %s containing %q", r.status, r.body, tt.code, tt.msg)
			}
		})
	}
}

func TestQueryPaging(t *testing.T) {
	s := sftest.NewServer(t)
	for i := 0; i < 2500; i++ {
		if _, err := s.AddRecord("Contact", map[string]any{"LastName": fmt.Sprintf("P%04d", i), "Email": fmt.Sprintf("p%04d@paging.example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		header    string
		wantPages []int
	}{
		{"", []int{2000, 500}},
		{"batchSize=1000", []int{1000, 1000, 500}},
		{"batchSize=50", []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 100}},
		{"batchSize=99999", []int{2000, 500}},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			r := query(t, s, "SELECT Email FROM Contact WHERE Email LIKE '%@paging.example.com' ORDER BY Email", "Sforce-Query-Options", tt.header)
			var pages []int
			seen := map[string]bool{}
			for {
				var qr queryResult
				r.json(t, &qr)
				if qr.TotalSize != 2500 {
					t.Fatalf("totalSize = %d", qr.TotalSize)
				}
				pages = append(pages, len(qr.Records))
				for _, rec := range qr.Records {
					seen[rec["Email"].(string)] = true
				}
				if qr.Done {
					if strings.Contains(string(r.body), "nextRecordsUrl") {
						t.Errorf("last page has nextRecordsUrl")
					}
					break
				}
				if !strings.HasPrefix(qr.NextRecordsURL, "/services/data/v62.0/query/01g") {
					t.Fatalf("nextRecordsUrl = %q", qr.NextRecordsURL)
				}
				r = do(t, s, "GET", qr.NextRecordsURL, "")
			}
			if fmt.Sprint(pages) != fmt.Sprint(tt.wantPages) || len(seen) != 2500 {
				t.Errorf("pages = %v (%d distinct), want %v", pages, len(seen), tt.wantPages)
			}
		})
	}
	if r := do(t, s, "GET", v+"/query/01gBOGUS-2000", ""); r.status != 400 || r.errorCode(t) != "INVALID_QUERY_LOCATOR" {
		t.Errorf("bogus locator: %d %s", r.status, r.body)
	}
	if c := s.Calls(); c["query"] != 4 || c["query-more"] < 16 {
		t.Errorf("calls = %v", c)
	}
}

func TestQueryAll(t *testing.T) {
	s := sftest.NewServer(t)
	// Delete a Contact through Bulk, then compare query and queryAll.
	id := mustQuery(t, s, "SELECT Id FROM Contact WHERE Email = 'ava.park@example.com'").Records[0]["Id"].(string)
	job := runJob(t, s, `{"object":"Contact","operation":"delete"}`, "Id\n"+id+"\n")
	if job["numberRecordsFailed"].(float64) != 0 {
		t.Fatalf("delete job: %v", job)
	}
	q := "SELECT Id, IsDeleted FROM Contact WHERE Email = 'ava.park@example.com'"
	if n := mustQuery(t, s, q).TotalSize; n != 0 {
		t.Errorf("query sees deleted: %d", n)
	}
	r := do(t, s, "GET", v+"/queryAll?q="+url.QueryEscape(q), "")
	var qr queryResult
	r.json(t, &qr)
	if qr.TotalSize != 1 || qr.Records[0]["IsDeleted"] != true {
		t.Errorf("queryAll: %s", r.body)
	}
}

func TestToolingQuery(t *testing.T) {
	s := sftest.NewServer(t)
	q := "SELECT Id, SubscriberPackageId, SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersion.Id, SubscriberPackageVersion.Name, SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion, SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage ORDER BY SubscriberPackageId"
	r := do(t, s, "GET", v+"/tooling/query?q="+url.QueryEscape(q), "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, frag := range []string{
		`{"size":3,"totalSize":3,"done":true,"queryLocator":null,"entityTypeName":"InstalledSubscriberPackage","records":[`,
		`"attributes":{"type":"InstalledSubscriberPackage","url":"/services/data/v62.0/tooling/sobjects/InstalledSubscriberPackage/0A35g0000000031CAA"}`,
		`"SubscriberPackage":{"attributes":{"type":"SubscriberPackage","url":"/services/data/v62.0/tooling/sobjects/SubscriberPackage/0335g0000000031AAA"},"NamespacePrefix":"nplms","Name":"Northpass"}`,
		`"MajorVersion":2,"MinorVersion":1,"PatchVersion":0,"BuildNumber":3}`,
		`"NamespacePrefix":"gsnpdc","Name":"Gainsight Northpass Data Connector"`,
	} {
		if !strings.Contains(string(r.body), frag) {
			t.Errorf("tooling body lacks %s\n%s", frag, r.body)
		}
	}
	if c := s.Calls(); c["tooling-query"] != 1 {
		t.Errorf("calls = %v", c)
	}
	// Tweaked seed: package version 2.0.
	seed := sftest.DemoSeed()
	seed.Packages[0].Minor = 0
	s2 := sftest.NewServer(t, sftest.WithSeed(seed))
	r = do(t, s2, "GET", v+"/tooling/query?q="+url.QueryEscape("SELECT SubscriberPackageVersion.MinorVersion FROM InstalledSubscriberPackage WHERE SubscriberPackage.NamespacePrefix = 'nplms'"), "")
	if !strings.Contains(string(r.body), `"MinorVersion":0`) {
		t.Errorf("tweaked seed: %s", r.body)
	}
}

func TestDescribe(t *testing.T) {
	s := sftest.NewServer(t)
	var g struct {
		Encoding string
		Sobjects []map[string]any
	}
	do(t, s, "GET", v+"/sobjects", "").json(t, &g)
	found := false
	for _, o := range g.Sobjects {
		if o["name"] == enrollObj && o["label"] == "Enrollment" && o["custom"] == true && o["keyPrefix"] == "a0E" {
			found = true
		}
	}
	if !found || g.Encoding != "UTF-8" {
		t.Errorf("describe global lacks %s: %+v", enrollObj, g)
	}
	var d struct {
		Name   string
		Fields []map[string]any
	}
	r := do(t, s, "GET", v+"/sobjects/"+enrollObj+"/describe", "")
	r.json(t, &d)
	byLabel := map[string]map[string]any{}
	for _, f := range d.Fields {
		byLabel[f["label"].(string)] = f
		for _, k := range []string{"name", "label", "type", "length", "createable", "updateable", "nillable", "defaultedOnCreate", "externalId",
			"unique", "idLookup", "caseSensitive", "referenceTo", "relationshipName", "picklistValues", "restrictedPicklist", "calculated",
			"autoNumber", "precision", "scale", "soapType"} {
			if _, ok := f[k]; !ok {
				t.Errorf("field %s lacks key %s", f["name"], k)
			}
		}
	}
	ext := byLabel["External id"]
	if ext["name"] != extField || ext["externalId"] != true || ext["unique"] != true || ext["type"] != "string" {
		t.Errorf("External id field = %v", ext)
	}
	if st := byLabel["Status"]; st["restrictedPicklist"] != true || len(st["picklistValues"].([]any)) != 3 {
		t.Errorf("Status = %v", st)
	}
	if c := byLabel["Contact"]; c["type"] != "reference" || c["relationshipName"] != "nplms__Contact__r" || c["referenceTo"].([]any)[0] != "Contact" {
		t.Errorf("Contact = %v", c)
	}
	if e := byLabel["Learner Email"]; e["nillable"] != false || e["type"] != "email" {
		t.Errorf("Learner Email = %v", e)
	}
	if r := do(t, s, "GET", v+"/sobjects/Nope__c/describe", ""); r.status != 404 || r.errorCode(t) != "NOT_FOUND" {
		t.Errorf("unknown object: %d %s", r.status, r.body)
	}
}

func TestOtherNamesSeed(t *testing.T) {
	s := sftest.NewServer(t, sftest.WithSeed(sftest.OtherNamesSeed()))
	var d struct{ Fields []map[string]any }
	do(t, s, "GET", v+"/sobjects/np2__Course_Enrollment__c/describe", "").json(t, &d)
	names := map[string]string{}
	for _, f := range d.Fields {
		names[f["label"].(string)] = f["name"].(string)
	}
	if names["External id"] != "np2__ExtId__c" || names["Updated At"] != "np2__LastUpdate__c" {
		t.Errorf("labels -> names = %v", names)
	}
	r := do(t, s, "GET", v+"/tooling/query?q="+url.QueryEscape("SELECT SubscriberPackage.NamespacePrefix FROM InstalledSubscriberPackage WHERE SubscriberPackage.Name = 'Northpass'"), "")
	if !strings.Contains(string(r.body), `"NamespacePrefix":"np2"`) {
		t.Errorf("namespace: %s", r.body)
	}
}

func TestLimits(t *testing.T) {
	s := sftest.NewServer(t)
	r := do(t, s, "GET", v+"/limits", "")
	var m map[string]struct{ Max, Remaining int }
	r.json(t, &m)
	if m["DailyApiRequests"].Max != 15000 || m["DailyApiRequests"].Remaining != 14999 || m["DailyBulkV2QueryJobs"].Max != 10000 {
		t.Errorf("limits = %v", m)
	}
	if got := r.header.Get("Sforce-Limit-Info"); got != "api-usage=1/15000" {
		t.Errorf("Sforce-Limit-Info = %q", got)
	}
	if got := query(t, s, "SELECT Id FROM Organization").header.Get("Sforce-Limit-Info"); got != "api-usage=2/15000" {
		t.Errorf("Sforce-Limit-Info = %q", got)
	}
	s.SetAPIRequestsRemaining(1)
	if r := do(t, s, "GET", v+"/limits", ""); r.status != 200 {
		t.Errorf("last request: %d", r.status)
	}
	r = do(t, s, "GET", v+"/limits", "")
	if r.status != 403 || r.errorCode(t) != "REQUEST_LIMIT_EXCEEDED" || r.header.Get("Sforce-Limit-Info") != "api-usage=15000/15000" {
		t.Errorf("exhausted: %d %s %v", r.status, r.body, r.header)
	}
}

// TestOauthTokenVisibility: the seed's OauthToken records are queryable; a user with
// Customize Application (the admin) sees every user's, another user only its own.
func TestOauthTokenVisibility(t *testing.T) {
	s := sftest.NewServer(t)
	const soql = "SELECT AppName, UserId, User.Username, LastUsedDate, UseCount FROM OauthToken ORDER BY LastUsedDate DESC"
	own := mustQuery(t, s, soql) // the API user: the integration user, who authorized the app
	if len(own.Records) != 1 || own.Records[0]["AppName"] != "Gainsight Northpass Data Connector" ||
		own.Records[0]["UserId"] != "0055g0000000101AAA" || own.Records[0]["UseCount"] != float64(412) {
		t.Fatalf("the integration user's tokens = %v", own.Records)
	}
	u, _ := own.Records[0]["User"].(map[string]any)
	if u["Username"] != "northpass.integration@demo.example.com" {
		t.Errorf("User.Username = %v", u)
	}
	seed := sftest.DemoSeed()
	seed.OAuthTokens = append(seed.OAuthTokens, sftest.OAuthToken{AppName: "Salesforce CLI", User: "admin@demo.example.com", CreatedDate: "2026-02-01T00:00:00Z"})
	s = sftest.NewServer(t, sftest.WithSeed(seed))
	tok, err := s.NewAccessToken("admin@demo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var all queryResult
	query(t, s, soql, "Authorization", "Bearer "+tok).json(t, &all)
	if len(all.Records) != 2 {
		t.Errorf("an admin sees %d tokens, want every user's 2", len(all.Records))
	}
	if n := len(mustQuery(t, s, soql).Records); n != 1 {
		t.Errorf("the integration user sees %d tokens, want its own 1", n)
	}
}
