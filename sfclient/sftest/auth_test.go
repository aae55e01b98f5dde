package sftest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/simpleforce/simpleforce"
	"golang.org/x/oauth2"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	clientID     = "3MVG9backfill.demo.client.id"
	clientSecret = "demo-client-secret"
	apiUser      = "northpass.integration@demo.example.com"
)

func postForm(t *testing.T, s *sftest.Server, form url.Values, basic ...string) response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func demoKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("../../testdata/orgs/demo-jwt-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwt.ParseRSAPrivateKeyFromPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func assertion(t *testing.T, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTokenGrants is long because it is one table (a case per grant and per refusal) plus the refresh flow.
func TestTokenGrants(t *testing.T) {
	s := sftest.NewServer(t)
	key := demoKey(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	exp := time.Now().Add(3 * time.Minute).Unix()
	claims := func(aud string, exp any) jwt.MapClaims {
		return jwt.MapClaims{"iss": clientID, "sub": apiUser, "aud": aud, "exp": exp}
	}
	pw := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"username": {apiUser}, "password": {"demo-passwordDEMOTOKEN"}}
	with := func(v url.Values, k, val string) url.Values {
		c := url.Values{}
		for kk, vv := range v {
			c[kk] = vv
		}
		c.Set(k, val)
		return c
	}
	tests := []struct {
		name      string
		form      url.Values
		basic     []string
		wantErr   string // "" = success
		wantKeys  []string
		wantNoKey []string
	}{
		{name: "password", form: pw, wantKeys: []string{"access_token", "refresh_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}},
		{name: "password without token", form: with(pw, "password", "demo-password"), wantErr: "invalid_grant"},
		{name: "password bad secret", form: with(pw, "client_secret", "x"), wantErr: "invalid_client"},
		{name: "password bad client", form: with(pw, "client_id", "x"), wantErr: "invalid_client_id"},
		{name: "missing grant", form: url.Values{}, wantErr: "invalid_request"},
		{name: "unsupported grant", form: url.Values{"grant_type": {"authorization_code"}}, wantErr: "unsupported_grant_type"},
		{name: "client credentials form", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}},
			wantKeys: []string{"access_token", "instance_url", "api_instance_url"}, wantNoKey: []string{"refresh_token"}},
		{name: "client credentials basic", form: url.Values{"grant_type": {"client_credentials"}}, basic: []string{clientID, clientSecret},
			wantKeys: []string{"access_token"}},
		{name: "client credentials bad secret", form: url.Values{"grant_type": {"client_credentials"}}, basic: []string{clientID, "nope"}, wantErr: "invalid_client"},
		{name: "jwt number exp", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims("https://login.salesforce.com", exp))}},
			wantKeys: []string{"access_token", "instance_url", "id", "token_type", "scope"}, wantNoKey: []string{"refresh_token", "signature"}},
		{name: "jwt string exp", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims("https://login.salesforce.com/", "1"+strings.Repeat("9", 10)))}}, wantKeys: []string{"access_token"}},
		{name: "jwt sandbox aud in production", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims("https://test.salesforce.com", exp))}}, wantErr: "invalid_grant"},
		{name: "jwt server aud", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims(s.URL, exp))}}, wantErr: "invalid_grant"},
		{name: "jwt bad aud", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims("https://acme.my.salesforce.com", exp))}}, wantErr: "invalid_grant"},
		{name: "jwt expired", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, claims("https://login.salesforce.com", time.Now().Add(-time.Minute).Unix()))}}, wantErr: "invalid_grant"},
		{name: "jwt wrong key", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, other, claims("https://login.salesforce.com", exp))}}, wantErr: "invalid_grant"},
		{name: "jwt unknown user", form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {assertion(t, key, jwt.MapClaims{"iss": clientID, "sub": "nobody@x", "aud": "https://login.salesforce.com", "exp": exp})}}, wantErr: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(t, s, tt.form, tt.basic...)
			var m map[string]any
			r.json(t, &m)
			if tt.wantErr != "" {
				if r.status != 400 || m["error"] != tt.wantErr || m["error_description"] == "" {
					t.Fatalf("got %d %s, want 400 error %s", r.status, r.body, tt.wantErr)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			for _, k := range tt.wantKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("token response lacks %q: %s", k, r.body)
				}
			}
			for _, k := range tt.wantNoKey {
				if _, ok := m[k]; ok {
					t.Errorf("token response has %q: %s", k, r.body)
				}
			}
			if m["instance_url"] != s.URL || m["token_type"] != "Bearer" {
				t.Errorf("instance_url/token_type = %v/%v", m["instance_url"], m["token_type"])
			}
			if ia, ok := m["issued_at"]; ok {
				if _, isStr := ia.(string); !isStr {
					t.Errorf("issued_at is %T, want string", ia)
				}
			}
			tok := m["access_token"].(string)
			ui := do(t, s, "GET", "/services/oauth2/userinfo", "", "Authorization", "Bearer "+tok)
			if ui.status != 200 {
				t.Fatalf("userinfo with new token: %d %s", ui.status, ui.body)
			}
			id := do(t, s, "GET", strings.TrimPrefix(m["id"].(string), s.URL), "", "Authorization", "Bearer "+tok)
			var idm map[string]any
			id.json(t, &idm)
			if id.status != 200 || idm["username"] != apiUser {
				t.Errorf("identity: %d %s", id.status, id.body)
			}
		})
	}

	t.Run("refresh", func(t *testing.T) {
		var m map[string]string
		postForm(t, s, pw).json(t, &m)
		r := postForm(t, s, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {m["refresh_token"]}})
		var rm map[string]any
		r.json(t, &rm)
		if r.status != 200 || rm["access_token"] == "" || rm["refresh_token"] != nil {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		r = postForm(t, s, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {"bogus"}})
		if r.status != 400 {
			t.Fatalf("bogus refresh: %d %s", r.status, r.body)
		}
	})
}

func TestBadToken(t *testing.T) {
	s := sftest.NewServer(t)
	for _, h := range []string{"", "Bearer nope", "Basic abc"} {
		r := do(t, s, "GET", v+"/limits", "", "Authorization", h)
		if r.status != 401 || r.errorCode(t) != "INVALID_SESSION_ID" {
			t.Errorf("Authorization %q: %d %s", h, r.status, r.body)
		}
	}
}

func TestVersions(t *testing.T) {
	s := sftest.NewServer(t)
	r := do(t, s, "GET", "/services/data/", "", "Authorization", "")
	var vs []map[string]string
	r.json(t, &vs)
	if r.status != 200 || len(vs) == 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	last := vs[len(vs)-1]
	if last["version"] != "66.0" || last["url"] != "/services/data/v66.0" || last["label"] != "Spring '26" {
		t.Errorf("last version = %v", last)
	}
	for _, x := range vs {
		if x["version"] == "62.0" && x["label"] != "Winter '25" {
			t.Errorf("62.0 label = %q", x["label"])
		}
	}
	if r := do(t, s, "GET", "/services/data/v70.0/limits", ""); r.status != 404 {
		t.Errorf("unsupported version: %d", r.status)
	}
	if r := do(t, s, "GET", "/services/data/latest/limits", ""); r.status != 200 {
		t.Errorf("latest: %d", r.status)
	}
}

func TestSimpleforce(t *testing.T) {
	s := sftest.NewServer(t)
	prev := log.Writer()
	log.SetOutput(io.Discard) // simpleforce logs to the std logger
	t.Cleanup(func() { log.SetOutput(prev) })
	c := simpleforce.NewClient(s.URL, simpleforce.DefaultClientID, "62.0")
	c.SetHttpClient(s.Client())
	if err := c.LoginPassword(apiUser, "demo-password", "DEMOTOKEN"); err != nil {
		t.Fatalf("LoginPassword: %v", err)
	}
	if c.GetLoc() != s.URL {
		t.Errorf("instance URL = %q, want %q", c.GetLoc(), s.URL)
	}
	res, err := c.Query("SELECT Id, Email FROM Contact WHERE Email LIKE '%@example.com' ORDER BY Email")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if !res.Done || res.TotalSize != len(res.Records) || res.TotalSize == 0 {
		t.Errorf("query result: %+v", res)
	}
	if got := res.Records[0].StringField("Email"); got != "alex.rivera@example.com" {
		t.Errorf("first email = %q", got)
	}
	if err := c.LoginPassword(apiUser, "wrong", ""); err == nil || !strings.Contains(err.Error(), "INVALID_LOGIN") {
		t.Errorf("bad password: %v", err)
	}
	c65 := simpleforce.NewClient(s.URL, simpleforce.DefaultClientID, "65.0")
	c65.SetHttpClient(s.Client())
	if err := c65.LoginPassword(apiUser, "demo-password", "DEMOTOKEN"); err == nil {
		t.Error("SOAP login at 65.0 succeeded, want a fault")
	}
}

func TestOAuth2Library(t *testing.T) {
	s := sftest.NewServer(t)
	cfg := &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: s.URL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, s.Client())
	tok, err := cfg.PasswordCredentialsToken(ctx, apiUser, "demo-passwordDEMOTOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Extra("instance_url") != s.URL || tok.RefreshToken == "" {
		t.Errorf("token = %+v", tok)
	}
	hc := cfg.Client(ctx, tok)
	resp, err := hc.Get(s.URL + v + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("limits with oauth2 client: %d", resp.StatusCode)
	}
}

func TestConnectedAppPublicKeyPEM(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	seed := sftest.DemoSeed()
	seed.ConnectedApps[0].Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	s := sftest.NewServer(t, sftest.WithSeed(seed))
	a := assertion(t, key, jwt.MapClaims{"iss": clientID, "sub": "admin@demo.example.com", "aud": "https://login.salesforce.com",
		"exp": time.Now().Add(time.Minute).Unix()})
	r := postForm(t, s, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
