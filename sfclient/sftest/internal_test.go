package sftest

import (
	"fmt"
	"net/http"
	"testing"
)

// TB must stay a subset of testing.TB, so that NewServer(t) compiles for every test.
var _ TB = testing.TB(nil)

// recordingTB captures Errorf calls so the unknown-path trap can be tested.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Helper() {}

func TestUnknownPathFailsTest(t *testing.T) {
	rec := &recordingTB{TB: t}
	s, err := newServer(rec, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{"/v62.0/query", "/services/data/62.0/query", "/services/data/v62.0/./query", "/services/data/v62.0/nope"} {
		req, _ := http.NewRequest("GET", s.URL+p, nil)
		req.Header.Set("Authorization", "Bearer "+s.AccessToken())
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	if len(rec.errs) != 4 {
		t.Errorf("Errorf calls = %q, want 4", rec.errs)
	}
	if s.Calls()["unknown"] != 3 {
		t.Errorf("unknown calls = %v", s.Calls())
	}
}

func TestParseSOQL(t *testing.T) {
	tests := []struct {
		src     string
		wantErr bool
	}{
		{"SELECT Id FROM Contact", false},
		{"select id, Account.Name from Contact where Name like 'a\\%b%' and (x = 1 or y != null) order by Name desc nulls first limit 5 offset 2", false},
		{"SELECT COUNT() FROM Contact WHERE Email IN ('a','b')", false},
		{"SELECT Id FROM Contact WHERE Email NOT IN ('a')", false},
		{"SELECT Id FROM Contact WHERE CreatedDate > 2024-01-01T00:00:00.000+0000 AND CloseDate = 2024-01-31", false},
		{"SELECT Id, Id FROM Contact", true},
		{"SELECT FROM Contact", true},
		{"SELECT Id FROM Contact WHERE", true},
		{"SELECT Id FROM Contact LIMIT x", true},
		{"SELECT Id FROM Contact WHERE Email IN (SELECT Email FROM Lead)", true},
		{"SELECT Id FROM Contact WHERE Email = 'a' trailing", true},
		{"SELECT Id FROM Contact WHERE Email = 'bad\\u12'", true},
		{"SELECT MAX(Amount) FROM Opportunity", true},
	}
	for _, tt := range tests {
		_, err := parseSOQL(tt.src)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSOQL(%q) error = %v, want error %v", tt.src, err, tt.wantErr)
		}
	}
}

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a%", "ABC", true},
		{"%b%", "abc", true},
		{"a_c", "abc", true},
		{"a_c", "abbc", false},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := likeMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMakeID(t *testing.T) {
	id := makeID("a0E", 42)
	if len(id) != 18 || id[:3] != "a0E" || idSuffix(id[:15]) != id[15:] {
		t.Errorf("makeID = %q", id)
	}
	if got := idSuffix("0055g0000000101"); got != "AAA" {
		t.Errorf("idSuffix = %q", got)
	}
	if got := idSuffix("a0E5g0000000301"); got != "EAA" {
		t.Errorf("idSuffix = %q", got)
	}
}
