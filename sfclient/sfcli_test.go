package sfclient_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// The instance URL and the (emulator) token in the sf fixtures captured from Salesforce CLI
// 2.150.6 (testdata/fixtures/README.md); sfFixture replaces them with a test's own.
const (
	capturedURL   = "https://yourInstance.my.salesforce.com"
	capturedToken = "00D5g0000000001!6969962b954fca92e8bb9e2d444aff252de6d8698eee27c7"
	redacted      = "[REDACTED] Use 'sf org auth show-access-token' to view"
)

// The sf commands of one --target-org login, as the fake sf records them.
var (
	argsDisplay = "org display --target-org prod --json"
	argsShow    = "org auth show-access-token --target-org prod --json"
)

// sfAnswer is what the fake sf prints for one command, and its exit status.
type sfAnswer struct {
	stdout, stderr string
	exit           int
}

// fakeSF is a Salesforce CLI stand-in: a shell script in a temporary folder that answers
// `sf org display` and `sf org auth show-access-token` from files a test can rewrite
// between logins, and appends each command line to a file.
type fakeSF struct {
	t    *testing.T
	dir  string
	path string // the script, for Config.SFCommand
}

func newFakeSF(t *testing.T, display, show sfAnswer) *fakeSF {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake sf is a POSIX shell script; Windows runs sf.cmd through cmd.exe, which this stand-in does not imitate")
	}
	f := &fakeSF{t: t, dir: t.TempDir()}
	f.path = filepath.Join(f.dir, "sf")
	script := fmt.Sprintf(`#!/bin/sh
d=%q
echo "$*" >> "$d/args"
case "$1 $2" in
"org display") c=display ;;
"org auth") c=show ;;
*) echo "fake sf: unexpected command: $*" >&2; exit 99 ;;
esac
cat "$d/$c.out"
cat "$d/$c.err" >&2
exit "$(cat "$d/$c.exit")"
`, f.dir)
	if err := os.WriteFile(f.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	f.answer("display", display)
	f.answer("show", show)
	return f
}

// answer sets what command ("display" or "show") prints from now on.
func (f *fakeSF) answer(command string, a sfAnswer) {
	f.t.Helper()
	for ext, content := range map[string]string{".out": a.stdout, ".err": a.stderr, ".exit": strconv.Itoa(a.exit)} {
		if err := os.WriteFile(filepath.Join(f.dir, command+ext), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

// calls returns the command lines sf was run with, in order.
func (f *fakeSF) calls() []string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "args"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// sfFixture reads an sf fixture with the captured instance URL and token replaced by s's.
func sfFixture(t *testing.T, name string, s *sftest.Server) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(capturedURL, s.URL, capturedToken, s.AccessToken()).Replace(string(b))
}

// sfConfig is a --target-org prod login through sf against s.
func sfConfig(s *sftest.Server, sf string) sfclient.Config {
	cfg := emuConfig(s, sfclient.Credentials{})
	cfg.InstanceURL, cfg.TargetOrg, cfg.SFCommand = "", "prod", sf
	return cfg
}

// TestSFCLILogin: the --target-org login with old and new Salesforce CLIs against the
// emulator. The token used must be the real one (the emulator refuses anything else), and
// when sf gives no usable token, New fails before any request (the emulator counts none).
func TestSFCLILogin(t *testing.T) {
	fail := func(name string, exit int) func(*testing.T, *sftest.Server) sfAnswer {
		return func(t *testing.T, s *sftest.Server) sfAnswer {
			return sfAnswer{stdout: sfFixture(t, name, s), exit: exit}
		}
	}
	out := func(name string) func(*testing.T, *sftest.Server) sfAnswer { return fail(name, 0) }
	text := func(stdout string, exit int) func(*testing.T, *sftest.Server) sfAnswer {
		return func(*testing.T, *sftest.Server) sfAnswer { return sfAnswer{stdout: stdout, exit: exit} }
	}
	// A CLI without show-access-token: exit 127 and a warning, no JSON (captured).
	unknownCommand := func(t *testing.T, _ *sftest.Server) sfAnswer {
		b, err := os.ReadFile(filepath.Join("testdata", "fixtures", "sf_unknown_command.txt"))
		if err != nil {
			t.Fatal(err)
		}
		return sfAnswer{stderr: string(b), exit: 127}
	}
	const (
		upgrade    = "upgrade the Salesforce CLI (npm install --global @salesforce/cli@latest) or run 'sf org login web --alias prod' again"
		loginAgain = "run 'sf org login web --alias prod' to log in again"
		loginNew   = "run 'sf org login web --alias prod' (add --instance-url https://test.salesforce.com for a sandbox), or pass an alias 'sf org list' shows"
	)
	tests := []struct {
		name          string
		display, show func(*testing.T, *sftest.Server) sfAnswer
		wantCalls     []string
		wantErr       string // "" = logged in; else the error's text and LoginFix
		wantFix       string
	}{
		{name: "NewCLI", display: out("sf_org_display.json"), show: out("sf_org_auth_show_access_token.json"),
			wantCalls: []string{argsDisplay, argsShow}},
		{name: "NewCLIWithInstanceURL", display: out("sf_org_display.json"),
			// The shape issue 12 gives for CLI 2.146.3+; the instance URL still comes from org display.
			show: func(_ *testing.T, s *sftest.Server) sfAnswer {
				return sfAnswer{stdout: `{"status":0,"result":{"accessToken":"` + s.AccessToken() +
					`","instanceUrl":"https://elsewhere.example.com","username":"someone@example.com"},"warnings":[]}`}
			},
			wantCalls: []string{argsDisplay, argsShow}},
		{name: "OldCLI", display: out("sf_org_display_old.json"), show: unknownCommand,
			wantCalls: []string{argsDisplay, argsShow}},
		{name: "OldCLIJSONError", display: out("sf_org_display_old.json"),
			// The error issue 12 describes for CLIs that do not know the command.
			show:      text(`{"status":1,"name":"CommandNotFoundError","message":"command org:auth:show-access-token not found"}`, 1),
			wantCalls: []string{argsDisplay, argsShow}},
		{name: "ShowFails", display: out("sf_org_display.json"),
			// plugin-org messages/org.auth.show-access-token.md error.noAccessToken.
			show:      text(`{"status":1,"name":"NoAccessTokenError","message":"No access token found for \"northpass.integration@demo.example.com\". The org may need to be re-authenticated."}`, 1),
			wantCalls: []string{argsDisplay, argsShow},
			wantErr:   "sf org auth show-access-token --target-org prod: NoAccessTokenError: No access token found", wantFix: upgrade},
		{name: "ShowUnknownDisplayRedacted", display: out("sf_org_display.json"), show: unknownCommand,
			wantCalls: []string{argsDisplay, argsShow}, wantErr: "is not a sf command", wantFix: upgrade},
		{name: "ShowRedacted", display: out("sf_org_display.json"),
			show:      text(`{"status":0,"result":{"accessToken":"`+redacted+`"}}`, 0),
			wantCalls: []string{argsDisplay, argsShow}, wantErr: "answered without a usable token", wantFix: upgrade},
		{name: "ShowEmpty", display: out("sf_org_display.json"), show: text(`{"status":0,"result":{}}`, 0),
			wantCalls: []string{argsDisplay, argsShow}, wantErr: "answered without a usable token", wantFix: upgrade},
		{name: "ShowExpired", display: out("sf_org_display.json"), show: fail("sf_error_refresh_token_auth.json", 1),
			wantCalls: []string{argsDisplay, argsShow},
			wantErr:   "RefreshTokenAuthError: Error authenticating with the refresh token due to: expired access/refresh token", wantFix: loginAgain},
		{name: "ShowExpiredDisplayInClear", display: out("sf_org_display_old.json"), show: fail("sf_error_refresh_token_auth.json", 1),
			wantCalls: []string{argsDisplay, argsShow}, wantErr: "sf org auth show-access-token --target-org prod: RefreshTokenAuthError", wantFix: loginAgain},
		{name: "UnknownAlias", display: fail("sf_error_named_org_not_found.json", 2), show: out("sf_org_auth_show_access_token.json"),
			wantCalls: []string{argsDisplay},
			wantErr:   "sf org display --target-org prod: NamedOrgNotFoundError: Parsing --target-org No authorization information found for nope", wantFix: loginNew},
		{name: "ExpiredStatus", display: out("sf_org_display_expired.json"), show: out("sf_org_auth_show_access_token.json"),
			wantCalls: []string{argsDisplay}, wantErr: "could not refresh this login (connectedStatus: Session expired or invalid)", wantFix: loginAgain},
		{name: "ExpiredError", display: fail("sf_error_refresh_token_auth.json", 1), show: out("sf_org_auth_show_access_token.json"),
			wantCalls: []string{argsDisplay}, wantErr: "sf org display --target-org prod: RefreshTokenAuthError", wantFix: loginAgain},
		{name: "DisplayText", display: text("ERROR running org display: the keychain is locked", 1), show: out("sf_org_auth_show_access_token.json"),
			wantCalls: []string{argsDisplay}, wantErr: "exit status 1: ERROR running org display: the keychain is locked",
			wantFix: "run 'sf org login web --alias prod' to log in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sftest.NewServer(t)
			sf := newFakeSF(t, tt.display(t, s), tt.show(t, s))
			c, err := sfclient.New(t.Context(), sfConfig(s, sf.path), zaptest.NewLogger(t))
			if got := sf.calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("sf ran\n%q\nwant\n%q", got, tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil {
					t.Fatal("New succeeded, want an error")
				}
				checkLoginError(t, err, tt.wantErr, tt.wantFix, s.AccessToken(), redacted)
				if n := s.TotalCalls(); n != 0 {
					t.Errorf("the emulator got %d requests, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.AuthFlow() != sfclient.FlowSFCLI || c.InstanceURL() != s.URL {
				t.Errorf("flow %s, instance %s; want %s, %s", c.AuthFlow(), c.InstanceURL(), sfclient.FlowSFCLI, s.URL)
			}
			ui, err := c.UserInfo(t.Context())
			if err != nil || ui.PreferredUsername != demoUser {
				t.Fatalf("UserInfo = %+v, %v", ui, err)
			}
			if got := c.CallCounts()[sfclient.CallAuth]; got != 2 {
				t.Errorf("auth calls = %d, want 2 (org display, show-access-token)", got)
			}
		})
	}
}

// checkLoginError checks a refused login's error: one line containing want and ending with
// the fix LoginFix returns, and none of the secrets.
func checkLoginError(t *testing.T, err error, want, fix string, secrets ...string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, want) || !strings.HasSuffix(msg, "; "+fix) {
		t.Errorf("error\n%s\nwant it to contain\n%s\nand end with\n; %s", msg, want, fix)
	}
	if got := sfclient.LoginFix(err); got != fix {
		t.Errorf("LoginFix =\n%s\nwant\n%s", got, fix)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error contains %q: %s", s, msg)
		}
	}
}

// TestSFCLIReauth: running sf again is how this flow logs in again. Once sf hands out a
// new token (after it refreshed its login) the replay works; while it hands out the stale
// one, the error says to log in again.
func TestSFCLIReauth(t *testing.T) {
	s := sftest.NewServer(t)
	sf := newFakeSF(t, sfAnswer{stdout: sfFixture(t, "sf_org_display.json", s)},
		sfAnswer{stdout: sfFixture(t, "sf_org_auth_show_access_token.json", s)})
	c, err := sfclient.New(t.Context(), sfConfig(s, sf.path), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	fresh, err := s.NewAccessToken(demoUser)
	if err != nil {
		t.Fatal(err)
	}
	show := strings.ReplaceAll(sfFixture(t, "sf_org_auth_show_access_token.json", s), s.AccessToken(), fresh)
	sf.answer("show", sfAnswer{stdout: show})
	if _, err := c.Limits(t.Context()); err != nil {
		t.Fatalf("Limits after expiry: %v", err)
	}
	want := []string{argsDisplay, argsShow, argsDisplay, argsShow}
	if got := sf.calls(); !slices.Equal(got, want) {
		t.Errorf("sf ran\n%q\nwant\n%q", got, want)
	}
	if got := c.CallCounts()[sfclient.CallAuth]; got != 4 {
		t.Errorf("auth calls = %d, want 4", got)
	}

	s.ExpireSessions() // and sf keeps handing out the token just expired
	_, err = c.Limits(t.Context())
	if !errors.Is(err, sfclient.ErrSessionExpired) {
		t.Fatalf("Limits = %v, want ErrSessionExpired", err)
	}
	checkLoginError(t, err, "the Salesforce CLI login for --target-org prod has expired or was revoked",
		"run 'sf org login web --alias prod' to log in again", fresh)
}

// TestSFCLIMissing: no Salesforce CLI, whether Validate finds it missing or it cannot be
// started, is ErrNoSFCLI with the install fix.
func TestSFCLIMissing(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "sf-broken") // executable, but its interpreter does not exist
	if err := os.WriteFile(broken, []byte("#!"+filepath.Join(dir, "no-such-shell")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, command := range map[string]string{
		"NoSuchFile":  filepath.Join(dir, "no-such-sf"),
		"NotOnPath":   "backfill-test-no-such-sf",
		"CannotStart": broken,
	} {
		t.Run(name, func(t *testing.T) {
			s := sftest.NewServer(t)
			_, err := sfclient.New(t.Context(), sfConfig(s, command), nil)
			if !errors.Is(err, sfclient.ErrNoSFCLI) {
				t.Fatalf("New = %v, want ErrNoSFCLI", err)
			}
			if fix := sfclient.LoginFix(err); !strings.Contains(fix, "npm install --global @salesforce/cli") {
				t.Errorf("LoginFix = %q", fix)
			}
			// The error says what is wrong; the fix (above) says what to do.
			if !strings.Contains(err.Error(), "the Salesforce CLI (sf) is not installed") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q", err)
			}
		})
	}
}
