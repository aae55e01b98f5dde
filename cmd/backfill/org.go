package main

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// orgOptions are the flags of backfill org.
type orgOptions struct {
	addr           string
	seed           string
	expireAfter    int
	fail503        int
	latency        time.Duration
	jobDelay       time.Duration
	extraContacts  int
	syncUser       string
	maxUploadBytes int64
	log            logOptions
}

const orgDescription = `
Serve an in-memory Salesforce-compatible org (the emulator of package sfclient/sftest) on a
loopback address until interrupted (Ctrl-C). It speaks OAuth (password, JWT bearer, client
credentials, refresh token), SOAP login, SOQL query with paging, the Tooling query of installed
packages, describe, limits and Bulk API 2.0 ingest and query jobs, and behaves like the
Northpass package (it refuses upserts with an old "Updated At").

The first line on stdout is

  instance_url=http://127.0.0.1:PORT access_token=TOKEN

so scripts can read it. The token belongs to the seed's API user. The default seed is the
demo Northpass org (sfclient/sftest/seeds/demo.json, built in); its users, passwords and
connected app are in that file.

Fault injection: --expire-after N makes every session expire after N calls (401
INVALID_SESSION_ID; a new token from the token endpoint works again), --fail-503 N fails the
first N calls with 503, --latency adds a delay to every call, --job-delay keeps Bulk jobs in
progress for that long.`

// emulatorMaxUpload is the emulator's upload limit when --max-upload-bytes is 0 (sftest's
// SetMaxUploadBytes(0): 100 MiB, Salesforce's "100 MB").
const emulatorMaxUpload = sftest.DefaultMaxUploadBytes

// runOrg serves the emulator until ctx is cancelled.
func runOrg(ctx context.Context, e *env, args []string) error {
	o := orgOptions{addr: "127.0.0.1:0"}
	fs := newFlagSet("org", "backfill org [flags]", orgDescription)
	fs.StringVar(&o.addr, "addr", o.addr, "listen address; must be loopback (127.0.0.1, ::1 or localhost); port 0 picks a free one")
	fs.StringVar(&o.seed, "seed", "", "seed JSON file (default: the built-in demo Northpass org)")
	fs.IntVar(&o.expireAfter, "expire-after", 0, "expire every session after N authenticated calls (0: never)")
	fs.IntVar(&o.fail503, "fail-503", 0, "answer the first N calls with 503 Server Unavailable")
	fs.DurationVar(&o.latency, "latency", 0, "delay every call by this much, e.g. 50ms")
	fs.DurationVar(&o.jobDelay, "job-delay", 0, "keep Bulk jobs in progress for this long after they are closed, e.g. 2s")
	fs.StringVar(&o.syncUser, "sync-user", "", "make this seed user the live sync's: it holds the Northpass connection's OAuth token and wrote every seeded record")
	fs.IntVar(&o.extraContacts, "extra-contacts", 0, "add N synthetic Contact records (to exercise query paging)")
	fs.Int64Var(&o.maxUploadBytes, "max-upload-bytes", 0, fmt.Sprintf("refuse Bulk uploads larger than this (0: %d, Salesforce's 100 MB)", emulatorMaxUpload))
	addLogFlags(fs, &o.log)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage("run 'backfill org --help' for its flags", "org: unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(o.addr); err != nil {
		return usage("use --addr 127.0.0.1:PORT", "org: --addr: %v", err)
	}
	if o.expireAfter < 0 || o.fail503 < 0 || o.extraContacts < 0 || o.latency < 0 || o.jobDelay < 0 || o.maxUploadBytes < 0 {
		return usage("run 'backfill org --help' for its flags", "org: numbers and durations must not be negative")
	}
	logger, err := newLogger(e.stderr, o.log, e.stderrTerminal)
	if err != nil {
		return usage("", "org: %v", err)
	}
	defer logger.Sync()

	seed := sftest.DemoSeed()
	if o.seed != "" {
		if seed, err = sftest.ReadSeedFile(o.seed); err != nil {
			return usage("check the seed file against sfclient/sftest/seeds/demo.json", "org: %v", err)
		}
	}
	if o.syncUser != "" {
		if err := seed.SyncAs(o.syncUser); err != nil {
			return usage("name a user of the seed (sfclient/sftest/seeds/demo.json lists them)", "org: --sync-user: %v", err)
		}
	}
	if o.extraContacts > 0 {
		addContacts(seed, o.extraContacts)
	}
	srv, err := sftest.New(sftest.WithAddr(o.addr), sftest.WithSeed(seed), sftest.WithExpireAfter(o.expireAfter),
		sftest.WithFail503(o.fail503), sftest.WithLatency(o.latency), sftest.WithJobDelay(o.jobDelay),
		sftest.WithMaxUploadBytes(o.maxUploadBytes))
	if err != nil {
		return fmt.Errorf("org: start: %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(e.stdout, "instance_url=%s access_token=%s\n", srv.URL, srv.AccessToken())
	logger.Info("serving emulated org", zap.String("instance_url", srv.URL), zap.String("org", seed.Organization.Name),
		zap.String("api_user", seed.APIUser))
	<-ctx.Done()
	calls := srv.TotalCalls()
	srv.Close()
	logger.Info("stopped emulated org", zap.Int("calls", calls))
	return nil
}

// checkLoopback refuses listen addresses other than loopback: the emulator has no real
// authentication and prints a token.
func checkLoopback(addr string) error { return ui.CheckLoopback(addr) }

// addContacts appends n synthetic Contacts to the seed.
func addContacts(seed *sftest.Seed, n int) {
	c := seed.Object("Contact")
	if c == nil {
		return
	}
	for i := 1; i <= n; i++ {
		c.Records = append(c.Records, map[string]any{
			"FirstName": "Learner",
			"LastName":  fmt.Sprintf("Synthetic %05d", i),
			"Name":      fmt.Sprintf("Learner Synthetic %05d", i),
			"Email":     fmt.Sprintf("learner%05d@synthetic.example.com", i),
		})
	}
}
