package sfclient_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/northpass-tools/backfill/sfclient"
)

// tokenIssuer serves the OAuth token endpoint: every grant gets a new token "00D…!tokN".
// check validates the form of each request.
func (f *fake) tokenIssuer(check func(r *http.Request)) *atomic.Int32 {
	var n atomic.Int32
	f.mux.HandleFunc("POST /services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			f.t.Error(err)
		}
		if check != nil {
			check(r)
		}
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"access_token": fmt.Sprintf("00Dx0000000BV7z!tok%d", i), "instance_url": f.srv.URL + "/",
			"id": f.srv.URL + "/id/00Dx0000000BV7z/005x00000012Q9P", "token_type": "Bearer", "refresh_token": fmt.Sprintf("rt%d", i),
		})
	})
	return &n
}

// expiringLimits serves /limits, answering 401 INVALID_SESSION_ID to the listed tokens.
func (f *fake) expiringLimits(expired ...string) {
	f.mux.HandleFunc("GET "+v+"limits", func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		for _, e := range expired {
			if tok == e {
				f.serve(401, "application/json", "error_session.json")(w, r)
				return
			}
		}
		f.serve(200, "application/json", "limits.json")(w, r)
	})
}

func rsaKeyPEM(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func TestReauthReplayOnce(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		creds sfclient.Credentials
		flow  sfclient.Flow
		check func(t *testing.T, f *fake, r *http.Request)
	}{
		{"JWT", sfclient.Credentials{ClientID: "cid", Username: "u@example.com", JWTKeyFile: keyFile}, sfclient.FlowJWT,
			func(t *testing.T, f *fake, r *http.Request) {
				if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
					t.Errorf("grant_type = %q", r.Form.Get("grant_type"))
				}
				tok, err := jwt.Parse(r.Form.Get("assertion"), func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
					jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("cid"), jwt.WithSubject("u@example.com"),
					jwt.WithAudience(sfclient.DefaultLoginURL), jwt.WithExpirationRequired()) // never the URL posted to
				if err != nil {
					t.Fatalf("assertion: %v", err)
				}
				exp, _ := tok.Claims.GetExpirationTime()
				if d := time.Until(exp.Time); d <= 0 || d > 3*time.Minute+5*time.Second {
					t.Errorf("exp %v from now, want within 3 minutes", d)
				}
			}},
		{"Password", sfclient.Credentials{ClientID: "cid", ClientSecret: "sec", Username: "u", Password: "pw", SecurityToken: "ST"}, sfclient.FlowPassword,
			func(t *testing.T, f *fake, r *http.Request) {
				if r.Form.Get("grant_type") != "password" || r.Form.Get("password") != "pwST" || r.Form.Get("client_secret") != "sec" {
					t.Errorf("form = %v", r.Form)
				}
			}},
		{"ClientCredentials", sfclient.Credentials{ClientID: "cid", ClientSecret: "sec"}, sfclient.FlowClientCredentials,
			func(t *testing.T, f *fake, r *http.Request) {
				if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "cid" || r.Form.Get("client_secret") != "sec" {
					t.Errorf("form = %v", r.Form)
				}
			}},
		{"RefreshToken", sfclient.Credentials{ClientID: "cid", RefreshToken: "rt0"}, sfclient.FlowRefreshToken,
			func(t *testing.T, f *fake, r *http.Request) {
				if r.Form.Get("grant_type") != "refresh_token" || !strings.HasPrefix(r.Form.Get("refresh_token"), "rt") {
					t.Errorf("form = %v", r.Form)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			issued := f.tokenIssuer(func(r *http.Request) { tt.check(t, f, r) })
			f.expiringLimits("00Dx0000000BV7z!tok1")
			cfg := f.config()
			cfg.InstanceURL = ""
			cfg.Credentials = tt.creds
			c := f.client(cfg)
			if c.AuthFlow() != tt.flow {
				t.Errorf("flow = %s, want %s", c.AuthFlow(), tt.flow)
			}
			if _, err := c.Limits(t.Context()); err != nil {
				t.Fatalf("Limits after expiry: %v", err)
			}
			if got := issued.Load(); got != 2 {
				t.Errorf("token requests = %d, want 2 (login + one re-login)", got)
			}
			if got := f.calls1("GET " + v + "limits"); got != 2 {
				t.Errorf("limits requests = %d, want 2 (expired + replay)", got)
			}
			if got := c.CallCounts(); got[sfclient.CallAuth] != 2 || got[sfclient.CallLimits] != 2 {
				t.Errorf("CallCounts = %v", got)
			}
		})
	}
}

func TestReauthDoesNotLoop(t *testing.T) {
	f := newFake(t)
	issued := f.tokenIssuer(nil)
	f.expiringLimits("00Dx0000000BV7z!tok1", "00Dx0000000BV7z!tok2", "00Dx0000000BV7z!tok3")
	cfg := f.config()
	cfg.Credentials = sfclient.Credentials{ClientID: "cid", ClientSecret: "sec"}
	c := f.client(cfg)
	_, err := c.Limits(t.Context())
	if !errors.Is(err, sfclient.ErrSessionExpired) {
		t.Fatalf("Limits = %v, want ErrSessionExpired", err)
	}
	if issued.Load() != 2 || f.calls1("GET "+v+"limits") != 2 {
		t.Errorf("token requests %d, limits requests %d; want 2 and 2", issued.Load(), f.calls1("GET "+v+"limits"))
	}
}

func TestBareAccessTokenExpiry(t *testing.T) {
	f := newFake(t)
	f.expiringLimits("00Dx0000000BV7z!TESTTOKEN")
	c := f.client(f.config())
	_, err := c.Limits(t.Context())
	if !errors.Is(err, sfclient.ErrSessionExpired) {
		t.Fatalf("Limits = %v, want ErrSessionExpired", err)
	}
	for _, want := range []string{"SF_ACCESS_TOKEN", "sf org auth show-access-token", "--target-org"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "TESTTOKEN") {
		t.Errorf("error leaks the token: %v", err)
	}
	if f.calls1("GET "+v+"limits") != 1 {
		t.Errorf("limits calls = %d, want 1", f.calls1("GET "+v+"limits"))
	}
}

// flaky answers the first n requests with status (and optional Retry-After), then 200.
func (f *fake) flaky(pattern string, n int32, status int, retryAfter string, ok http.HandlerFunc) {
	var seen atomic.Int32
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			w.Write(f.fixture("error_503.html"))
			return
		}
		ok(w, r)
	})
}

func TestRetryTransient(t *testing.T) {
	for _, status := range []int{502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFake(t)
			f.flaky("GET "+v+"limits", 2, status, "", f.serve(200, "application/json", "limits.json"))
			c := f.client(f.config())
			if _, err := c.Limits(t.Context()); err != nil {
				t.Fatalf("Limits = %v", err)
			}
			if got := c.CallCounts()[sfclient.CallLimits]; got != 3 {
				t.Errorf("limits calls = %d, want 3", got)
			}
			if len(f.sleeps) != 2 {
				t.Errorf("sleeps = %v, want 2", f.sleeps)
			}
		})
	}
}

func TestRetryExhausted(t *testing.T) {
	f := newFake(t)
	f.flaky("GET "+v+"limits", 100, 503, "", nil)
	c := f.client(f.config())
	_, err := c.Limits(t.Context())
	var ae *sfclient.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("Limits = %v, want 503 after 3 attempts", err)
	}
	if got := f.calls1("GET " + v + "limits"); got != 3 {
		t.Errorf("calls = %d, want MaxAttempts = 3", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFake(t)
	f.flaky("GET "+v+"limits", 1, 503, "7", f.serve(200, "application/json", "limits.json"))
	c := f.client(f.config())
	if _, err := c.Limits(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(f.sleeps) != 1 || f.sleeps[0] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s]", f.sleeps)
	}
}

func TestRequestLimitNotRetried(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"query", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Sforce-Limit-Info", "api-usage=15000/15000")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		w.Write(f.fixture("error_request_limit.json"))
	})
	c := f.client(f.config())
	err := c.Query(t.Context(), "SELECT Id FROM Contact", func(sfclient.Record) error { return nil })
	if !errors.Is(err, sfclient.ErrRequestLimit) {
		t.Fatalf("Query = %v, want ErrRequestLimit", err)
	}
	if !strings.Contains(err.Error(), "15000/15000") {
		t.Errorf("error lacks api-usage figures: %v", err)
	}
	if f.calls1("GET "+v+"query") != 1 || len(f.sleeps) != 0 {
		t.Errorf("calls %d, sleeps %v: want 1 call and no backoff", f.calls1("GET "+v+"query"), f.sleeps)
	}
}

// uploadDropper accepts the whole upload, then kills the connection without answering.
func (f *fake) uploadDropper(jobState string) {
	f.mux.HandleFunc("PUT "+v+"jobs/ingest/750J/batches", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			f.t.Error(err)
			return
		}
		conn.Close()
	})
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750J", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":"750J","state":%q,"apiVersion":62.0}`, jobState)
	})
	f.mux.HandleFunc("PATCH "+v+"jobs/ingest/750J", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), `"Aborted"`) {
			f.t.Errorf("PATCH %s, want Aborted", b)
		}
		fmt.Fprint(w, `{"id":"750J","state":"Aborted","apiVersion":62.0}`)
	})
}

func TestConnectionResetMidUpload(t *testing.T) {
	t.Run("JobStillOpen", func(t *testing.T) {
		f := newFake(t)
		f.uploadDropper("Open")
		c := f.client(f.config())
		err := c.UploadJobData(t.Context(), "750J", strings.NewReader("Name\nx\n"))
		var ue *sfclient.UploadError
		if !errors.As(err, &ue) || !errors.Is(err, sfclient.ErrUploadInterrupted) || ue.State != sfclient.StateAborted {
			t.Fatalf("UploadJobData = %v, want UploadError(ErrUploadInterrupted), job aborted", err)
		}
		if got := f.calls1("PUT " + v + "jobs/ingest/750J/batches"); got != 1 {
			t.Errorf("uploads = %d, want exactly 1", got)
		}
		if f.calls1("GET "+v+"jobs/ingest/750J") != 1 || f.calls1("PATCH "+v+"jobs/ingest/750J") != 1 {
			t.Errorf("calls = %v, want one state read and one abort", f.calls)
		}
	})
	t.Run("JobLeftOpen", func(t *testing.T) {
		f := newFake(t)
		f.uploadDropper("UploadComplete")
		c := f.client(f.config())
		if err := c.UploadJobData(t.Context(), "750J", strings.NewReader("Name\nx\n")); err != nil {
			t.Fatalf("UploadJobData = %v, want nil (job left Open: upload happened)", err)
		}
		if got := f.calls1("PUT " + v + "jobs/ingest/750J/batches"); got != 1 {
			t.Errorf("uploads = %d, want exactly 1", got)
		}
	})
}

func TestUploadRefusedBeforeBodyIsReplayed(t *testing.T) {
	// A 503 answered before the body was read (Expect: 100-continue) consumed nothing, so
	// the upload is retried with the same reader.
	f := newFake(t)
	var n atomic.Int32
	var got string
	f.mux.HandleFunc("PUT "+v+"jobs/ingest/750J/batches", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			f.serve(503, "application/json", "error_null.json")(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.WriteHeader(http.StatusCreated)
	})
	c := f.client(f.config())
	if err := c.UploadJobData(t.Context(), "750J", io.MultiReader(strings.NewReader("Name\n"), strings.NewReader("x\n"))); err != nil {
		t.Fatal(err)
	}
	if got != "Name\nx\n" || n.Load() != 2 {
		t.Errorf("uploads %d, body %q", n.Load(), got)
	}
}

func TestWaitJobCancelled(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750J", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"750J","state":"InProgress","apiVersion":62.0}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	cfg := f.config()
	polls := 0
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		if polls++; polls == 2 {
			cancel()
		}
		return ctx.Err()
	}
	c := f.client(cfg)
	_, err := c.WaitJob(ctx, "750J", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitJob = %v, want context.Canceled", err)
	}
	if got := f.calls1("GET " + v + "jobs/ingest/750J"); got != 2 {
		t.Errorf("polls = %d, want 2", got)
	}
}

func TestWaitJobRealTimer(t *testing.T) {
	// The default sleep selects on ctx.Done and a timer.
	f := newFake(t)
	f.mux.HandleFunc("GET "+v+"jobs/ingest/750J", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"750J","state":"InProgress"}`)
	})
	cfg := f.config()
	cfg.Sleep = nil
	cfg.PollInterval = time.Hour
	c := f.client(cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.WaitJob(ctx, "750J", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitJob = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("WaitJob did not stop at the deadline")
	}
}

func TestCredentialsFromEnvAndFlow(t *testing.T) {
	tests := []struct {
		env       map[string]string
		targetOrg string
		want      sfclient.Flow
		wantErr   string
	}{
		{map[string]string{"SF_ACCESS_TOKEN": "t", "SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s"}, "prod", sfclient.FlowSFCLI, ""},
		{map[string]string{"SF_ACCESS_TOKEN": "t", "SF_CLIENT_ID": "c", "SF_JWT_KEY_FILE": "k", "SF_USERNAME": "u"}, "", sfclient.FlowAccessToken, ""},
		{map[string]string{"SF_CLIENT_ID": "c", "SF_JWT_KEY_FILE": "k", "SF_USERNAME": "u", "SF_CLIENT_SECRET": "s"}, "", sfclient.FlowJWT, ""},
		{map[string]string{"SF_CLIENT_ID": "c", "SF_REFRESH_TOKEN": "r", "SF_CLIENT_SECRET": "s"}, "", sfclient.FlowRefreshToken, ""},
		{map[string]string{"SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s"}, "", sfclient.FlowClientCredentials, ""},
		{map[string]string{"SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s", "SF_USERNAME": "u", "SF_PASSWORD": "p", "SF_SECURITY_TOKEN": "x"}, "", sfclient.FlowPassword, ""},
		{map[string]string{"SF_USERNAME": "u", "SF_PASSWORD": "p"}, "", sfclient.FlowSOAP, ""},
		{map[string]string{"SF_JWT_KEY_FILE": "k"}, "", "", "SF_CLIENT_ID"},
		{map[string]string{}, "", "", "no Salesforce credentials"},
	}
	for i, tt := range tests {
		cfg := sfclient.Config{InstanceURL: "https://x.my.salesforce.com", TargetOrg: tt.targetOrg,
			Credentials: sfclient.CredentialsFromEnv(func(k string) string { return tt.env[k] })}
		got, err := cfg.Flow()
		if got != tt.want || (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("case %d: Flow() = %q, %v; want %q, error containing %q", i, got, err, tt.want, tt.wantErr)
		}
	}
	if cr := sfclient.CredentialsFromEnv(func(k string) string { return map[string]string{"SF_USERNAME": " u ", "SF_PASSWORD": " p "}[k] }); cr.Username != "u" || cr.Password != " p " {
		t.Errorf("CredentialsFromEnv trimming: %+v", cr)
	}
}

func TestSOAPRefusedFrom65(t *testing.T) {
	_, err := sfclient.New(t.Context(), sfclient.Config{APIVersion: "65.0",
		Credentials: sfclient.Credentials{Username: "u", Password: "p"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "65.0") || !strings.Contains(err.Error(), "SF_CLIENT_ID") {
		t.Errorf("New = %v, want a clear SOAP-retired error", err)
	}
}
