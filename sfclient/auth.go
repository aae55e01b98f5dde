package sfclient

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/simpleforce/simpleforce"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"
)

// Flow names an authentication flow.
type Flow string

// The authentication flows, in the order [Config.Flow] prefers them (docs/CONTRACT.md §14.1).
const (
	FlowSFCLI             Flow = "sf-cli"             // --target-org: reuse a Salesforce CLI login
	FlowAccessToken       Flow = "access-token"       // SF_ACCESS_TOKEN + --instance-url; cannot re-login
	FlowJWT               Flow = "jwt"                // OAuth JWT bearer
	FlowRefreshToken      Flow = "refresh-token"      // OAuth refresh token
	FlowClientCredentials Flow = "client-credentials" // OAuth client credentials
	FlowPassword          Flow = "password"           // OAuth username-password
	FlowSOAP              Flow = "soap"               // SOAP login() via simpleforce; API <= 64.0 only
)

// Credentials are the secrets a login needs. They come from the environment
// ([CredentialsFromEnv]), never from flags, and never appear in errors or logs.
type Credentials struct {
	AccessToken   string // SF_ACCESS_TOKEN
	ClientID      string // SF_CLIENT_ID (connected app consumer key)
	ClientSecret  string // SF_CLIENT_SECRET
	Username      string // SF_USERNAME
	Password      string // SF_PASSWORD
	SecurityToken string // SF_SECURITY_TOKEN, appended to the password
	JWTKeyFile    string // SF_JWT_KEY_FILE: PEM RSA private key (PKCS#1 or PKCS#8)
	RefreshToken  string // SF_REFRESH_TOKEN
	// JWTKey is the PEM private key itself; when set, JWTKeyFile is not read.
	JWTKey []byte
}

// CredentialsFromEnv reads the SF_* variables of docs/CONTRACT.md §14 through getenv
// (os.Getenv in main, a map lookup in tests). Surrounding spaces are trimmed.
func CredentialsFromEnv(getenv func(string) string) Credentials {
	g := func(k string) string { return strings.TrimSpace(getenv(k)) }
	return Credentials{
		AccessToken:   g("SF_ACCESS_TOKEN"),
		ClientID:      g("SF_CLIENT_ID"),
		ClientSecret:  g("SF_CLIENT_SECRET"),
		Username:      g("SF_USERNAME"),
		Password:      getenv("SF_PASSWORD"), // a password may legitimately have spaces
		SecurityToken: g("SF_SECURITY_TOKEN"),
		JWTKeyFile:    g("SF_JWT_KEY_FILE"),
		RefreshToken:  g("SF_REFRESH_TOKEN"),
	}
}

// Flow picks the authentication flow, in the order of preference of docs/CONTRACT.md §14.1:
//
//  1. TargetOrg set: [FlowSFCLI];
//  2. SF_ACCESS_TOKEN: [FlowAccessToken] (needs InstanceURL);
//  3. SF_JWT_KEY_FILE: [FlowJWT] (needs SF_CLIENT_ID and SF_USERNAME);
//  4. SF_REFRESH_TOKEN: [FlowRefreshToken] (needs SF_CLIENT_ID);
//  5. SF_CLIENT_ID and SF_CLIENT_SECRET without SF_PASSWORD: [FlowClientCredentials];
//  6. SF_USERNAME and SF_PASSWORD with SF_CLIENT_ID: [FlowPassword];
//  7. SF_USERNAME and SF_PASSWORD without SF_CLIENT_ID: [FlowSOAP], refused for API >= 65.0.
//
// A password marks the username-password flow, which needs the client secret too, so
// client credentials are only chosen when no password is set.
func (cfg Config) Flow() (Flow, error) {
	cr := cfg.Credentials
	switch {
	case cfg.TargetOrg != "":
		return FlowSFCLI, nil
	case cr.AccessToken != "":
		if cfg.InstanceURL == "" {
			return "", errors.New("SF_ACCESS_TOKEN needs --instance-url (the org's https://….my.salesforce.com URL)")
		}
		return FlowAccessToken, nil
	case cr.JWTKeyFile != "" || len(cr.JWTKey) > 0:
		if cr.ClientID == "" || cr.Username == "" {
			return "", errors.New("the JWT bearer flow (SF_JWT_KEY_FILE) also needs SF_CLIENT_ID and SF_USERNAME")
		}
		return FlowJWT, nil
	case cr.RefreshToken != "":
		if cr.ClientID == "" {
			return "", errors.New("the refresh token flow (SF_REFRESH_TOKEN) also needs SF_CLIENT_ID")
		}
		return FlowRefreshToken, nil
	case cr.ClientID != "" && cr.ClientSecret != "" && cr.Password == "":
		return FlowClientCredentials, nil
	case cr.Username != "" && cr.Password != "":
		if cr.ClientID == "" {
			return FlowSOAP, nil
		}
		if cr.ClientSecret == "" {
			return "", errors.New("the username-password flow needs SF_CLIENT_SECRET with SF_CLIENT_ID")
		}
		return FlowPassword, nil
	}
	return "", errors.New("no Salesforce credentials: use --target-org ALIAS, or set SF_ACCESS_TOKEN (with --instance-url), " +
		"SF_CLIENT_ID+SF_USERNAME+SF_JWT_KEY_FILE, SF_CLIENT_ID+SF_CLIENT_SECRET, or SF_CLIENT_ID+SF_CLIENT_SECRET+SF_USERNAME+SF_PASSWORD")
}

// setupAuth prepares c.authFn for the chosen flow (nil for a bare access token).
func (c *Client) setupAuth() error {
	cr := c.cfg.Credentials
	tokenURL := c.loginURL + "/services/oauth2/token"
	switch c.flow {
	case FlowSFCLI:
		c.authFn = c.loginSFCLI
	case FlowAccessToken:
		c.authFn = nil
	case FlowJWT:
		key := cr.JWTKey
		if len(key) == 0 {
			b, err := os.ReadFile(cr.JWTKeyFile)
			if err != nil {
				return fmt.Errorf("read SF_JWT_KEY_FILE: %w", err)
			}
			key = b
		}
		conf := &jwt.Config{
			Email:      cr.ClientID,
			Subject:    cr.Username,
			PrivateKey: key,
			TokenURL:   tokenURL,
			Audience:   c.jwtAudience(),
			Expires:    3 * time.Minute,
		}
		c.authFn = func(ctx context.Context) (session, error) {
			return c.oauthLogin(ctx, func(ctx context.Context) (*oauth2.Token, error) { return conf.TokenSource(ctx).Token() })
		}
	case FlowRefreshToken:
		conf := &oauth2.Config{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		refresh := cr.RefreshToken
		c.authFn = func(ctx context.Context) (session, error) {
			return c.oauthLogin(ctx, func(ctx context.Context) (*oauth2.Token, error) {
				tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
				if err == nil && tok.RefreshToken != "" {
					refresh = tok.RefreshToken // rotation; reauth is serialised by authMu
				}
				return tok, err
			})
		}
	case FlowClientCredentials:
		host := c.loginURL
		if c.cfg.InstanceURL != "" {
			host = c.cfg.InstanceURL // client credentials must go to the My Domain host
		}
		conf := &clientcredentials.Config{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret,
			TokenURL: host + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
		c.authFn = func(ctx context.Context) (session, error) {
			return c.oauthLogin(ctx, func(ctx context.Context) (*oauth2.Token, error) { return conf.Token(ctx) })
		}
	case FlowPassword:
		conf := &oauth2.Config{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		c.authFn = func(ctx context.Context) (session, error) {
			return c.oauthLogin(ctx, func(ctx context.Context) (*oauth2.Token, error) {
				return conf.PasswordCredentialsToken(ctx, cr.Username, cr.Password+cr.SecurityToken)
			})
		}
	case FlowSOAP:
		if f, _ := strconv.ParseFloat(c.apiVersion, 64); f >= 65 {
			return fmt.Errorf("API version %s: Salesforce removed the SOAP login() used when SF_CLIENT_ID is not set "+
				"(API 65.0 and later); set SF_CLIENT_ID and SF_CLIENT_SECRET for the OAuth username-password flow, "+
				"use another flow, or pass --api-version 64.0", c.apiVersion)
		}
		c.authFn = c.loginSOAP
	default:
		return fmt.Errorf("unknown authentication flow %q", c.flow)
	}
	return nil
}

// login runs the flow's login (or, for a bare access token, builds the session).
func (c *Client) login(ctx context.Context) (session, error) {
	if c.flow == FlowAccessToken {
		return session{token: c.cfg.Credentials.AccessToken, instanceURL: c.cfg.InstanceURL}, nil
	}
	s, err := c.authFn(withKind(ctx, CallAuth))
	if err != nil {
		return session{}, fmt.Errorf("log in to Salesforce (%s flow): %w", c.flow, err)
	}
	if s.instanceURL == "" {
		s.instanceURL = c.cfg.InstanceURL
	}
	s.instanceURL = strings.TrimRight(s.instanceURL, "/")
	if s.instanceURL == "" {
		return session{}, fmt.Errorf("log in to Salesforce (%s flow): no instance URL in the answer; pass --instance-url", c.flow)
	}
	if err := checkURL("instance URL", s.instanceURL); err != nil {
		return session{}, err
	}
	if s.token == "" {
		return session{}, fmt.Errorf("log in to Salesforce (%s flow): no access token in the answer", c.flow)
	}
	return s, nil
}

// jwtAudience is the JWT bearer assertion's aud claim. Salesforce accepts only
// https://login.salesforce.com (production), https://test.salesforce.com (sandboxes) or an
// Experience Cloud site URL (--jwt-audience), whatever URL the token request is posted to:
// a My Domain or loopback login URL never becomes the audience.
func (c *Client) jwtAudience() string {
	if c.cfg.JWTAudience != "" {
		return c.cfg.JWTAudience
	}
	if c.cfg.Sandbox {
		return DefaultSandboxLoginURL
	}
	if u, err := url.Parse(c.loginURL); err == nil {
		h := strings.ToLower(u.Hostname())
		if h == "test.salesforce.com" || strings.Contains(h, ".sandbox.") || strings.HasSuffix(h, "--sandbox.my.salesforce.com") {
			return DefaultSandboxLoginURL
		}
	}
	return DefaultLoginURL
}

// oauthLogin runs one golang.org/x/oauth2 token request through the client's HTTP stack and
// turns the token (and its instance_url / id extras) into a session.
func (c *Client) oauthLogin(ctx context.Context, fetch func(context.Context) (*oauth2.Token, error)) (session, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// Some oauth2 paths (jwt) send requests without a context; ctxTransport gives them ours,
	// which carries the call kind and the timeout.
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: ctxTransport{ctx: ctx, rt: c.hc.Transport}})
	tok, err := fetch(ctx)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			ae := parseErrorBody(re.Response.StatusCode, re.Response.Header.Get("Content-Type"), re.Body)
			ae.Method, ae.Path = http.MethodPost, "/services/oauth2/token"
			return session{}, ae
		}
		return session{}, errors.New(redact(cleanErr(err).Error()))
	}
	s := session{token: tok.AccessToken}
	if v, ok := tok.Extra("instance_url").(string); ok {
		s.instanceURL = v
	}
	if v, ok := tok.Extra("id").(string); ok {
		s.identityURL = v
		s.orgID, s.userID = parseIdentityURL(v)
	}
	return s, nil
}

// parseIdentityURL takes the org and user ids from .../id/{org}/{user}.
func parseIdentityURL(v string) (org, user string) {
	u, err := url.Parse(v)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 3 && parts[len(parts)-3] == "id" {
		return parts[len(parts)-2], parts[len(parts)-1]
	}
	return "", ""
}

// loginSOAP uses simpleforce's SOAP partner login(). simpleforce escapes only the password;
// the username and security token are escaped here so a '&' or '<' cannot break the envelope.
func (c *Client) loginSOAP(ctx context.Context) (session, error) {
	cr := c.cfg.Credentials
	sf := simpleforce.NewClient(c.loginURL, simpleforce.DefaultClientID, c.apiVersion)
	sf.SetHttpClient(c.simpleforceHTTP(ctx))
	if err := safeCall(func() error {
		return sf.LoginPassword(html.EscapeString(cr.Username), cr.Password, html.EscapeString(cr.SecurityToken))
	}); err != nil {
		return session{}, cleanErr(err)
	}
	if sf.GetSid() == "" {
		return session{}, errors.New("SOAP login answered without a session id")
	}
	return session{token: sf.GetSid(), instanceURL: sf.GetLoc(), username: cr.Username}, nil
}
