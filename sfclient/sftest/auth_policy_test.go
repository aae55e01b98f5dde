package sftest_test

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const adminUser = "admin@demo.example.com"

func jwtForm(t *testing.T, sub, aud string) url.Values {
	t.Helper()
	a := assertion(t, demoKey(t), jwt.MapClaims{"iss": clientID, "sub": sub, "aud": aud, "exp": time.Now().Add(3 * time.Minute).Unix()})
	return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}}
}

func passwordForm(user, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"username": {user}, "password": {password}}
}

// TestJWTAudience: aud is login (production) or test (sandbox) or the configured site URL,
// never the URL the assertion is posted to.
func TestJWTAudience(t *testing.T) {
	sandbox := sftest.DemoSeed()
	sandbox.Organization.IsSandbox = true
	site := sftest.DemoSeed()
	site.JWTAudience = "https://acme.my.site.com/learners"
	tests := []struct {
		name string
		opts []sftest.Option
		aud  string
		ok   bool
	}{
		{"production login", nil, "https://login.salesforce.com", true},
		{"production test", nil, "https://test.salesforce.com", false},
		{"sandbox test", []sftest.Option{sftest.WithSeed(sandbox)}, "https://test.salesforce.com/", true},
		{"sandbox login", []sftest.Option{sftest.WithSeed(sandbox)}, "https://login.salesforce.com", false},
		{"site option", []sftest.Option{sftest.WithJWTAudience("https://acme.my.site.com/learners")}, "https://acme.my.site.com/learners", true},
		{"site seed", []sftest.Option{sftest.WithSeed(site)}, "https://acme.my.site.com/learners", true},
		{"my domain", nil, "https://acme.my.salesforce.com", false},
		{"loopback", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sftest.NewServer(t, tt.opts...)
			aud := tt.aud
			if aud == "" {
				aud = s.URL
			}
			r := postForm(t, s, jwtForm(t, apiUser, aud))
			if tt.ok && r.status != 200 {
				t.Fatalf("aud %s: %d %s", aud, r.status, r.body)
			}
			if !tt.ok && (r.status != 400 || string(r.body) != `{"error":"invalid_grant","error_description":"audience is invalid"}`) {
				t.Fatalf("aud %s: %d %s, want 400 audience is invalid", aud, r.status, r.body)
			}
		})
	}
}

// TestAuthRefusals: each access policy knob answers its exact body. It is long because it
// is one table, a case per refusal and per way through.
func TestAuthRefusals(t *testing.T) {
	apiPassword := "demo-passwordDEMOTOKEN"
	tests := []struct {
		name string
		seed func(*sftest.Seed)
		form func(t *testing.T, s *sftest.Server) url.Values
		want string // "" = a token
	}{
		{"ip restricted", func(sd *sftest.Seed) { sd.TrustedIPRanges = []string{"10.0.0.0/8"} },
			func(*testing.T, *sftest.Server) url.Values { return passwordForm(apiUser, apiPassword) },
			`{"error":"invalid_grant","error_description":"ip restricted"}`},
		{"ip trusted", func(sd *sftest.Seed) { sd.TrustedIPRanges = []string{"10.0.0.0/8", "127.0.0.0/8"} },
			func(*testing.T, *sftest.Server) url.Values { return passwordForm(apiUser, apiPassword) }, ""},
		{"inactive user jwt", func(sd *sftest.Seed) { sd.User(apiUser).IsActive = false },
			func(t *testing.T, _ *sftest.Server) url.Values {
				return jwtForm(t, apiUser, "https://login.salesforce.com")
			},
			`{"error":"invalid_grant","error_description":"inactive user"}`},
		{"inactive user password", func(sd *sftest.Seed) { sd.User(apiUser).IsActive = false },
			func(*testing.T, *sftest.Server) url.Values { return passwordForm(apiUser, apiPassword) },
			`{"error":"invalid_grant","error_description":"authentication failure"}`},
		{"eca not installed", func(sd *sftest.Seed) { sd.ConnectedApps[0].ExternalClientApp = true },
			func(t *testing.T, _ *sftest.Server) url.Values {
				return jwtForm(t, apiUser, "https://login.salesforce.com")
			},
			`{"error":"OAUTH_EC_APP_NOT_FOUND","error_description":"External client app is not installed in this org"}`},
		{"eca installed", func(sd *sftest.Seed) {
			sd.ConnectedApps[0].ExternalClientApp, sd.ConnectedApps[0].Installed = true, true
		},
			func(t *testing.T, _ *sftest.Server) url.Values {
				return jwtForm(t, apiUser, "https://login.salesforce.com")
			}, ""},
		{"blocked", func(sd *sftest.Seed) { sd.ConnectedApps[0].Blocked = true },
			func(*testing.T, *sftest.Server) url.Values { return passwordForm(apiUser, apiPassword) },
			`{"error":"OAUTH_APP_BLOCKED","error_description":"this app is blocked by admin"}`},
		{"blocked admin passes", func(sd *sftest.Seed) { sd.ConnectedApps[0].Blocked = true },
			func(t *testing.T, _ *sftest.Server) url.Values {
				return jwtForm(t, adminUser, "https://login.salesforce.com")
			}, ""},
		{"not admin approved", func(sd *sftest.Seed) { sd.ConnectedApps[0].AdminApprovedOnly = true },
			func(*testing.T, *sftest.Server) url.Values { return passwordForm(apiUser, apiPassword) },
			`{"error":"invalid_app_access","error_description":"user is not admin approved to access this app"}`},
		{"jwt not pre-authorized", func(sd *sftest.Seed) { sd.ConnectedApps[0].AdminApprovedOnly = true },
			func(t *testing.T, _ *sftest.Server) url.Values {
				return jwtForm(t, apiUser, "https://login.salesforce.com")
			},
			`{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`},
		{"admin approved", func(sd *sftest.Seed) {
			sd.ConnectedApps[0].AdminApprovedOnly, sd.ConnectedApps[0].AdminApprovedUsers = true, []string{apiUser}
		}, func(t *testing.T, _ *sftest.Server) url.Values {
			return jwtForm(t, apiUser, "https://login.salesforce.com")
		}, ""},
		{"expired assertion", nil, func(t *testing.T, _ *sftest.Server) url.Values {
			a := assertion(t, demoKey(t), jwt.MapClaims{"iss": clientID, "sub": apiUser, "aud": "https://login.salesforce.com", "exp": time.Now().Add(-time.Minute).Unix()})
			return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}}
		}, `{"error":"invalid_grant","error_description":"expired authorization code"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := sftest.DemoSeed()
			if tt.seed != nil {
				tt.seed(seed)
			}
			s := sftest.NewServer(t, sftest.WithSeed(seed))
			r := postForm(t, s, tt.form(t, s))
			switch {
			case tt.want == "" && r.status != 200:
				t.Fatalf("got %d %s, want a token", r.status, r.body)
			case tt.want != "" && (r.status != 400 || string(r.body) != tt.want):
				t.Fatalf("got %d %s, want 400 %s", r.status, r.body, tt.want)
			}
		})
	}
}

// TestLimitInfoHeader: Sforce-Limit-Info in the documented semicolon form, with the
// per-app usage for a token of a connected app.
func TestLimitInfoHeader(t *testing.T) {
	s := sftest.NewServer(t)
	r := do(t, s, "GET", v+"/limits", "")
	if got := r.header.Get("Sforce-Limit-Info"); !regexp.MustCompile(`^api-usage=\d+/15000$`).MatchString(got) {
		t.Errorf("Sforce-Limit-Info = %q", got)
	}
	var tok map[string]any
	postForm(t, s, jwtForm(t, apiUser, "https://login.salesforce.com")).json(t, &tok)
	do(t, s, "GET", v+"/limits", "", "Authorization", "Bearer "+tok["access_token"].(string))
	r = do(t, s, "GET", v+"/limits", "", "Authorization", "Bearer "+tok["access_token"].(string))
	want := regexp.MustCompile(`^api-usage=\d+/15000; per-app-api-usage=2/15000\(appName=Backfill Demo\)$`)
	if got := r.header.Get("Sforce-Limit-Info"); !want.MatchString(got) {
		t.Errorf("Sforce-Limit-Info = %q, want %s", got, want)
	}
}
