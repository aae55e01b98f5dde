package sfclient

import (
	"errors"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simpleforce/simpleforce"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckResponse(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		file        string
		wantCode    string
		wantMsg     string
		session     bool
		limit       bool
		retryable   bool
	}{
		{"SessionExpired", 401, "application/json", "error_session.json", "INVALID_SESSION_ID", "Session expired or invalid", true, false, false},
		{"RequestLimit", 403, "application/json", "error_request_limit.json", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", false, true, false},
		{"Malformed", 400, "application/json;charset=UTF-8", "error_malformed.json", "MALFORMED_QUERY", "unexpected token: FORM", false, false, false},
		{"EmptyArray", 500, "application/json", "error_empty.json", "ERROR_HTTP_500", "Internal Server Error", false, false, false},
		{"Null", 503, "application/json", "error_null.json", "ERROR_HTTP_503", "Service Unavailable", false, false, true},
		{"OAuth", 400, "application/json", "oauth_error.json", "invalid_grant", "authentication failure", false, false, false},
		{"HTML503", 503, "text/html", "error_503.html", "ERROR_HTTP_503", "Service Unavailable", false, false, true},
		{"HTMLWithoutContentType", 502, "", "error_503.html", "ERROR_HTTP_502", "HTML error page", false, false, true},
		{"SOAPFault", 500, "text/xml", "soap_fault.xml", "INVALID_LOGIN", "Invalid username, password", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://x.my.salesforce.com/services/data/v62.0/query?q=SELECT+Secret", nil)
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.contentType},
				"Sforce-Limit-Info": {"api-usage=15000/15000"}}, Body: nopBody(fixture(t, tt.file)), Request: req}
			err := checkResponse(resp)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("checkResponse = %v, want *APIError", err)
			}
			if ae.Code != tt.wantCode || !strings.Contains(ae.Message, tt.wantMsg) {
				t.Errorf("got  code %q message %q\nwant code %q message containing %q", ae.Code, ae.Message, tt.wantCode, tt.wantMsg)
			}
			if got := errors.Is(err, ErrSessionExpired); got != tt.session {
				t.Errorf("Is(ErrSessionExpired) = %v, want %v", got, tt.session)
			}
			if got := errors.Is(err, ErrRequestLimit); got != tt.limit {
				t.Errorf("Is(ErrRequestLimit) = %v, want %v", got, tt.limit)
			}
			if got := ae.retryable(); got != tt.retryable {
				t.Errorf("retryable = %v, want %v", got, tt.retryable)
			}
			if strings.Contains(err.Error(), "Secret") {
				t.Errorf("error leaks the query string: %v", err)
			}
			if tt.limit && !strings.Contains(err.Error(), "15000/15000") {
				t.Errorf("request-limit error lacks the usage figures: %v", err)
			}
		})
	}
}

func TestCheckResponseJSONNotAttemptedOnHTML(t *testing.T) {
	// The HTML page contains a JSON-looking fragment; it must not be decoded.
	e := parseErrorBody(503, "text/html; charset=utf-8", fixture(t, "error_503.html"))
	if strings.Contains(e.Message, "not") {
		t.Errorf("message %q came from the page body", e.Message)
	}
}

func TestSessionExpiredSkipList(t *testing.T) {
	e := &APIError{StatusCode: 401, Code: "INVALID_SESSION_ID", Message: "This session is not valid for use with the REST API"}
	if errors.Is(e, ErrSessionExpired) {
		t.Error("jsforce's skip-list message counted as session expiry")
	}
}

func TestRedactToken(t *testing.T) {
	e := parseErrorBody(400, "application/json", []byte(`[{"errorCode":"X","message":"bad token 00Dx0000000BV7z!AR8AQAxo9UfVkh8AlV0Gomt9"}]`))
	if strings.Contains(e.Error(), "AR8AQ") {
		t.Errorf("token leaked: %v", e)
	}
}

// simpleforce indexes jsonError[0] without a length check (simpleforce errorHelpers.go ParseSalesforceError; docs/SALESFORCE.md).
func TestSafeCallRecoversSimpleforcePanic(t *testing.T) {
	for _, body := range []string{"[]", "null"} {
		err := safeCall(func() error { return simpleforce.ParseSalesforceError(500, []byte(body)) })
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("body %s: safeCall = %v, want recovered panic", body, err)
		}
	}
}

// TestParseLimitInfo: the documented examples of the REST API Developer Guide, "Limit Info
// Header" (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm),
// the emulator's form, the comma form, extra spaces, garbage and missing parts.
func TestParseLimitInfo(t *testing.T) {
	tests := []struct {
		in     string
		want   LimitInfo
		wantOK bool
	}{
		{"api-usage=25/5000", LimitInfo{Used: 25, Max: 5000}, true}, // the guide
		{"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", // the guide
			LimitInfo{Used: 25, Max: 5000, AppName: "sample-connected-app", AppUsed: 17, AppMax: 250}, true},
		{"api-usage=18/5000", LimitInfo{Used: 18, Max: 5000}, true}, // the REST API guide's Limit Info Header example
		{"api-usage=3/15000; per-app-api-usage=2/15000(appName=Backfill Demo)", // sftest
			LimitInfo{Used: 3, Max: 15000, AppName: "Backfill Demo", AppUsed: 2, AppMax: 15000}, true},
		{"per-app-api-usage=1/10(appName=x), api-usage=10018/100000",
			LimitInfo{Used: 10018, Max: 100000, AppName: "x", AppUsed: 1, AppMax: 10}, true},
		{"  api-usage = 25 / 5000 ;per-app-api-usage= 17/250 (appName=sample-connected-app) ;",
			LimitInfo{Used: 25, Max: 5000, AppName: "sample-connected-app", AppUsed: 17, AppMax: 250}, true},
		{"API-Usage=5000/5000", LimitInfo{Used: 5000, Max: 5000}, true},
		{"api-usage=25/5000; per-app-api-usage=17(appName=x)", LimitInfo{Used: 25, Max: 5000}, true},
		{"api-usage=25/5000; per-app-api-usage=17/250", LimitInfo{Used: 25, Max: 5000}, true},
		{"api-usage=25/5000; per-app-api-usage=x/250(appName=x)", LimitInfo{Used: 25, Max: 5000}, true},
		{"garbage", LimitInfo{}, false},
		{"", LimitInfo{}, false},
		{"api-usage=", LimitInfo{}, false},
		{"api-usage=25", LimitInfo{}, false},
		{"api-usage=x/5000", LimitInfo{}, false},
		{"api-usage=25/5000x", LimitInfo{}, false},
		{"api-usage=25/0", LimitInfo{}, false},
		{"api-usage=-1/5000", LimitInfo{}, false},
		{"per-app-api-usage=17/250(appName=sample-connected-app)", LimitInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := parseLimitInfo(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseLimitInfo(%q)\n got  %+v, %v\n want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestRequestLimitMessage: REQUEST_LIMIT_EXCEEDED keeps its figures whichever separator the
// header uses.
func TestRequestLimitMessage(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"api-usage=5000/5000", []string{"(api-usage 5000/5000 in the last 24 hours;"}},
		{"api-usage=5000/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
			[]string{"(api-usage 5000/5000, per-app-api-usage 17/250 for sample-connected-app in the last 24 hours;"}},
		{"per-app-api-usage=250/250(appName=x), api-usage=120/5000", []string{"api-usage 120/5000, per-app-api-usage 250/250 for x"}},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", "https://x.my.salesforce.com/services/data/v62.0/limits", nil)
		resp := &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"},
			"Sforce-Limit-Info": {tt.header}}, Body: nopBody(fixture(t, "error_request_limit.json")), Request: req}
		err := checkResponse(resp)
		if !errors.Is(err, ErrRequestLimit) {
			t.Fatalf("%s: checkResponse = %v, want ErrRequestLimit", tt.header, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%v\nlacks %q", tt.header, err, w)
			}
		}
	}
}

// TestLoginFixesShape: every fix is one line of at most 200 characters, and the table's
// entries each match on something.
func TestLoginFixesShape(t *testing.T) {
	fixes := []string{sfFix(sfOther, "prod"), sfFix(sfUnknownAlias, "prod"), sfFix(sfExpired, "prod"), LoginFix(ErrNoSFCLI)}
	for _, f := range loginFixes {
		if f.code == "" && f.desc == "" {
			t.Errorf("fix %q matches nothing", f.fix)
		}
		if f.desc != strings.ToLower(f.desc) {
			t.Errorf("description %q must be lower case", f.desc)
		}
		fixes = append(fixes, f.fix)
	}
	for _, f := range fixes {
		if f == "" || len(f) > 200 || strings.ContainsAny(f, "\r\n") {
			t.Errorf("fix (%d bytes) is empty, too long or not one line: %q", len(f), f)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := parseRetryAfter("7", now); got != 7*time.Second {
		t.Errorf("seconds: %v", got)
	}
	if got := parseRetryAfter(now.Add(3*time.Second).Format(http.TimeFormat), now); got != 3*time.Second {
		t.Errorf("date: %v", got)
	}
}

func TestQuoteString(t *testing.T) {
	for in, want := range map[string]string{
		`O'Brien`:     `'O\'Brien'`,
		`back\slash`:  `'back\\slash'`,
		"a\nb\r\tc":   `'a\nb\r\tc'`,
		`"q"`:         `'\"q\"'`,
		`\'`:          `'\\\''`,
		"plain-key_1": `'plain-key_1'`,
	} {
		if got := QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteLike("50%_x"); got != `'50\%\_x'` {
		t.Errorf("QuoteLike = %s", got)
	}
}

// unquoteList parses "('a','b\'c')" back into keys, inverting QuoteString.
func unquoteList(t *testing.T, list string) []string {
	t.Helper()
	if !strings.HasPrefix(list, "(") || !strings.HasSuffix(list, ")") {
		t.Fatalf("not a list: %q", list)
	}
	s := list[1 : len(list)-1]
	var keys []string
	for i := 0; i < len(s); {
		if s[i] != '\'' {
			t.Fatalf("expected quote at %d in %q", i, s)
		}
		i++
		var b strings.Builder
		for ; s[i] != '\''; i++ {
			if s[i] == '\\' {
				i++
				c := s[i]
				switch c {
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				case 'b':
					c = '\b'
				case 'f':
					c = '\f'
				}
				b.WriteByte(c)
				continue
			}
			b.WriteByte(s[i])
		}
		keys = append(keys, b.String())
		i++
		if i < len(s) {
			if s[i] != ',' {
				t.Fatalf("expected comma at %d in %q", i, s)
			}
			i++
		}
	}
	return keys
}

func TestInBatchesProperty(t *testing.T) {
	const prefix, suffix = "SELECT Id, Ext__c FROM X WHERE Ext__c IN ", " AND IsDeleted = false"
	alphabet := []rune("abcXYZ019-_ '\\\"\n\r\t,()é✓")
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200; iter++ {
		n := r.IntN(400)
		keys := make([]string, n)
		for i := range keys {
			k := make([]rune, 1+r.IntN(30))
			for j := range k {
				k[j] = alphabet[r.IntN(len(alphabet))]
			}
			keys[i] = string(k)
		}
		maxLen, maxURL := 300+r.IntN(2000), 400+r.IntN(3000)
		if iter%50 == 0 {
			maxLen, maxURL = MaxSOQLLength, MaxQueryURLLength
		}
		var got []string
		err := inBatches(prefix, suffix, keys, maxLen, maxURL, func(soql string, count int) error {
			if len(soql) > maxLen {
				t.Fatalf("statement of %d chars > %d", len(soql), maxLen)
			}
			if u := len(url.QueryEscape(soql)); u > maxURL {
				t.Fatalf("encoded statement of %d bytes > %d", u, maxURL)
			}
			if !strings.HasPrefix(soql, prefix) || !strings.HasSuffix(soql, suffix) {
				t.Fatalf("bad statement %q", soql)
			}
			in := unquoteList(t, strings.TrimSuffix(strings.TrimPrefix(soql, prefix), suffix))
			if count != len(in) {
				t.Fatalf("told %d keys, the statement holds %d", count, len(in))
			}
			got = append(got, in...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\x00") != strings.Join(keys, "\x00") || len(got) != len(keys) {
			t.Fatalf("iteration %d: keys lost, repeated or reordered: got %d keys, want %d", iter, len(got), len(keys))
		}
	}
	if err := inBatches(prefix, "", []string{strings.Repeat("x", 500)}, 300, 1000, func(string, int) error { return nil }); err == nil {
		t.Error("an oversized key was accepted")
	}
}

func TestRedirectStdLog(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	restore := RedirectStdLog(zap.New(core))
	log.Println("[simpleforce]", "Failed resp.body: ", `[{"message":"secret customer data"}]`)
	log.Println("[simpleforce]", "HTTP GET request failed:", "https://x.my.salesforce.com/services/data/v62.0/query?q=SELECT+Email+FROM+Contact")
	log.Println("[simpleforce] User", "bob@example.com", "token 00Dx0000000BV7z!AR8AQAxo9UfVkh8AlV0Gomt9", strings.Repeat("x", 500))
	restore()
	entries := logs.All()
	if len(entries) != 3 {
		t.Fatalf("got %d entries, want 3", len(entries))
	}
	for _, e := range entries {
		if e.Level != zap.DebugLevel || e.LoggerName != "simpleforce" {
			t.Errorf("entry %+v: want debug from logger simpleforce", e.Entry)
		}
		if strings.Contains(e.Message, "secret") || strings.Contains(e.Message, "SELECT") || strings.Contains(e.Message, "AR8AQ") || len(e.Message) > 210 {
			t.Errorf("unsanitised line: %q", e.Message)
		}
	}
}

type body struct{ *strings.Reader }

func (body) Close() error { return nil }

func nopBody(b []byte) body { return body{strings.NewReader(string(b))} }
