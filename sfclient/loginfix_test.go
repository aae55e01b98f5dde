package sfclient_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// The secrets of the logins below; no error or fix may contain them.
const (
	demoPassword      = "demo-password"
	demoSecurityToken = "DEMOTOKEN"
)

// TestLoginFixEmulator: each refusal the emulator's access policies produce, through New,
// gets its fix. It is long because it is one table, a case per refusal.
func TestLoginFixEmulator(t *testing.T) {
	key := demoJWTKey(t)
	password := sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret, Username: demoUser,
		Password: demoPassword, SecurityToken: demoSecurityToken}
	jwt := sfclient.Credentials{ClientID: demoClientID, Username: demoUser, JWTKey: key}
	with := func(cr sfclient.Credentials, change func(*sfclient.Credentials)) sfclient.Credentials {
		change(&cr)
		return cr
	}
	app := func(change func(*sftest.ConnectedApp)) func(*sftest.Seed) {
		return func(sd *sftest.Seed) { change(&sd.ConnectedApps[0]) }
	}
	tests := []struct {
		name     string
		seed     func(*sftest.Seed)
		creds    sfclient.Credentials
		cfg      func(*sfclient.Config)
		wantCode string
		wantFix  string
	}{
		{name: "AppBlocked", seed: app(func(a *sftest.ConnectedApp) { a.Blocked = true }), creds: password,
			wantCode: "OAUTH_APP_BLOCKED", wantFix: "unblock the app in Setup > Connected Apps OAuth Usage, or use an External Client App"},
		{name: "NotAdminApproved", seed: app(func(a *sftest.ConnectedApp) { a.AdminApprovedOnly = true }), creds: password,
			wantCode: "invalid_app_access", wantFix: `set Permitted Users to "Admin approved users are pre-authorized" and assign the integration user's profile`},
		{name: "JWTNotPreauthorized", seed: app(func(a *sftest.ConnectedApp) { a.AdminApprovedOnly = true }), creds: jwt,
			wantCode: "invalid_grant", wantFix: "pre-authorize the user for the JWT flow"},
		{name: "ExternalClientAppNotInstalled", seed: app(func(a *sftest.ConnectedApp) { a.ExternalClientApp = true }), creds: jwt,
			wantCode: "OAUTH_EC_APP_NOT_FOUND", wantFix: "install the External Client App in this org (Setup > External Client App Manager)"},
		{name: "UnknownClientID", creds: with(password, func(c *sfclient.Credentials) { c.ClientID = "3MVG9unknown" }),
			wantCode: "invalid_client_id", wantFix: "SF_CLIENT_ID is not the consumer key of an External Client App in this org, or the app is not active yet"},
		{name: "WrongSecret", creds: with(password, func(c *sfclient.Credentials) { c.ClientSecret = "wrong-secret" }),
			wantCode: "invalid_client", wantFix: "SF_CLIENT_SECRET does not match the consumer key in SF_CLIENT_ID"},
		{name: "WrongPassword", creds: with(password, func(c *sfclient.Credentials) { c.Password = "wrong-password" }),
			wantCode: "invalid_grant", wantFix: "check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN"},
		{name: "SOAPWrongPassword", creds: sfclient.Credentials{Username: demoUser, Password: "wrong-password"},
			cfg: func(c *sfclient.Config) { c.APIVersion = "62.0" }, wantCode: "INVALID_LOGIN", wantFix: "check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN"},
		{name: "InactiveUser", seed: func(sd *sftest.Seed) { sd.User(demoUser).IsActive = false }, creds: jwt,
			wantCode: "invalid_grant", wantFix: "reactivate the integration user"},
		{name: "IPRestricted", seed: func(sd *sftest.Seed) { sd.TrustedIPRanges = []string{"10.0.0.0/8"} }, creds: password,
			wantCode: "invalid_grant", wantFix: "Login IP Ranges"},
		{name: "SandboxAudienceInProduction", creds: jwt, cfg: func(c *sfclient.Config) { c.Sandbox = true },
			wantCode: "invalid_grant", wantFix: "for a sandbox use --sandbox or --login-url https://test.salesforce.com; for an Experience Cloud site"},
		{name: "JWTWrongKey", creds: with(jwt, func(c *sfclient.Credentials) { c.JWTKey = otherKey(t) }),
			wantCode: "invalid_grant", wantFix: "check SF_JWT_KEY_FILE against the app's digital certificate"},
		{name: "NoRunAsUser", seed: app(func(a *sftest.ConnectedApp) { a.RunAs = "" }),
			creds:    sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret},
			wantCode: "invalid_grant", wantFix: "enable the Client Credentials Flow and set its Run As user"},
		{name: "RefreshTokenExpired", creds: sfclient.Credentials{ClientID: demoClientID, ClientSecret: demoClientSecret, RefreshToken: "5Aep861revoked"},
			wantCode: "invalid_grant", wantFix: "SF_REFRESH_TOKEN has expired or was revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := sftest.DemoSeed()
			if tt.seed != nil {
				tt.seed(seed)
			}
			s := sftest.NewServer(t, sftest.WithSeed(seed))
			cfg := emuConfig(s, tt.creds)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := sfclient.New(t.Context(), cfg, nil)
			checkLoginFix(t, err, tt.wantCode, tt.wantFix,
				"wrong-secret", "wrong-password", demoClientSecret, demoPassword, demoSecurityToken, "5Aep861revoked")
		})
	}
}

// otherKey returns a PEM RSA key that is not the demo app's.
func otherKey(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// checkLoginFix checks that New refused with an *APIError of wantCode, that LoginFix
// gives a fix containing wantFix, and that neither contains a secret.
func checkLoginFix(t *testing.T, err error, wantCode, wantFix string, secrets ...string) {
	t.Helper()
	var ae *sfclient.APIError
	if !errors.As(err, &ae) || ae.Code != wantCode {
		t.Fatalf("New = %v, want an APIError %s", err, wantCode)
	}
	fix := sfclient.LoginFix(err)
	if !strings.Contains(fix, wantFix) {
		t.Errorf("LoginFix(%v)\n = %q\nwant it to contain %q", err, fix, wantFix)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) || strings.Contains(fix, s) {
			t.Errorf("error or fix contains the secret %q:\n%v\n%s", s, err, fix)
		}
	}
}

// TestLoginFixDocumented: the token endpoint's documented refusal bodies
// (testdata/fixtures/README.md cites each), served to the username-password flow.
func TestLoginFixDocumented(t *testing.T) {
	tests := []struct {
		file, wantCode, wantFix string
	}{
		{"oauth_app_blocked.json", "OAUTH_APP_BLOCKED", "Connected Apps OAuth Usage"},
		{"oauth_invalid_app_access.json", "invalid_app_access", `"Admin approved users are pre-authorized"`},
		{"oauth_ec_app_not_found.json", "OAUTH_EC_APP_NOT_FOUND", "install the External Client App in this org"},
		{"oauth_invalid_client_id.json", "invalid_client_id", "new apps take up to 10 minutes"},
		{"oauth_invalid_client.json", "invalid_client", "SF_CLIENT_SECRET does not match"},
		{"oauth_not_approved.json", "invalid_grant", "pre-authorize the user for the JWT flow"},
		{"oauth_expired_code.json", "invalid_grant", "check this machine's clock"},
		{"oauth_audience_invalid.json", "invalid_grant", "--jwt-audience"},
		{"oauth_ip_restricted.json", "invalid_grant", `IP Relaxation to "Relax IP restrictions"`},
		{"oauth_error.json", "invalid_grant", "not locked out"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			f := newFake(t)
			f.mux.HandleFunc("POST /services/oauth2/token", f.serve(400, "application/json", tt.file))
			cfg := f.config()
			cfg.Credentials = sfclient.Credentials{ClientID: "cid", ClientSecret: "topsecret", Username: "u", Password: "hunter2"}
			_, err := sfclient.New(t.Context(), cfg, nil)
			checkLoginFix(t, err, tt.wantCode, tt.wantFix, "topsecret", "hunter2")
		})
	}
}

// TestLoginFixUnknown: errors LoginFix knows no fix for.
func TestLoginFixUnknown(t *testing.T) {
	_, noCredentials := sfclient.New(t.Context(), sfclient.Config{}, nil)
	for name, err := range map[string]error{
		"nil":            nil,
		"plain":          errors.New("something else"),
		"no credentials": noCredentials,
		"request limit":  &sfclient.APIError{StatusCode: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."},
		"unsupported":    &sfclient.APIError{StatusCode: 400, Code: "unsupported_grant_type", Message: "grant type not supported"},
		"session":        sfclient.ErrSessionExpired,
	} {
		if name == "no credentials" && err == nil {
			t.Fatal("New without credentials succeeded")
		}
		if fix := sfclient.LoginFix(err); fix != "" {
			t.Errorf("%s: LoginFix(%v) = %q, want \"\"", name, err, fix)
		}
	}
}
