package sfclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// SFOrg is one login of the Salesforce CLI, as `sf org list --json` lists it: what a person
// needs to choose it (never its tokens, which the listing may hold and which are dropped
// here).
type SFOrg struct {
	Alias       string `json:"alias,omitempty"`
	Username    string `json:"username"`
	OrgID       string `json:"org_id"`
	InstanceURL string `json:"instance_url"`
	// ConnectedStatus is what sf found when it checked the login: "Connected", or why not
	// (an expired or revoked login, "Unknown" when not checked).
	ConnectedStatus string `json:"connected_status,omitempty"`
	Sandbox         bool   `json:"sandbox,omitempty"`
	Scratch         bool   `json:"scratch,omitempty"`
	Default         bool   `json:"default,omitempty"` // the CLI's default org (target-org)
}

// Name is how --target-org names the login: its alias, or its username.
func (o SFOrg) Name() string {
	if o.Alias != "" {
		return o.Alias
	}
	return o.Username
}

// Connected reports whether sf found the login working ("Connected"); scratch orgs, whose
// status sf does not check, count as connected unless expired.
func (o SFOrg) Connected() bool {
	return o.ConnectedStatus == "" || o.ConnectedStatus == "Connected" || o.ConnectedStatus == "Active"
}

// sfListed is one entry of sf org list's result; only the fields SFOrg keeps are decoded.
type sfListed struct {
	Alias             string `json:"alias"`
	Username          string `json:"username"`
	OrgID             string `json:"orgId"`
	InstanceURL       string `json:"instanceUrl"`
	ConnectedStatus   string `json:"connectedStatus"`
	Status            string `json:"status"` // scratch orgs: Active, Expired, Deleted
	IsSandbox         bool   `json:"isSandbox"`
	IsScratch         bool   `json:"isScratch"`
	IsExpired         bool   `json:"isExpired"`
	IsDefaultUsername bool   `json:"isDefaultUsername"`
}

// ListSFOrgs runs `sf org list --json` (sfCommand, "" for "sf") and returns the CLI's logins,
// defaults first, then by name; expired scratch orgs are left out. The listing's groups
// (nonScratchOrgs, and since 2024 other, sandboxes, devHubs, which repeat them;
// scratchOrgs) are merged by username. A CLI that cannot be started gives an error wrapping
// [ErrNoSFCLI]; a failure sf reports, its message on one line without secrets.
func ListSFOrgs(ctx context.Context, sfCommand string) ([]SFOrg, error) {
	if sfCommand == "" {
		sfCommand = "sf"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // sf checks every login's connection
	defer cancel()
	cmd := exec.CommandContext(ctx, sfCommand, "org", "list", "--json")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if runErr != nil && cmd.ProcessState == nil && ctx.Err() == nil {
		return nil, fmt.Errorf("%w: run %s: %w", ErrNoSFCLI, sfCommand, runErr)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("sf org list: %w", ctx.Err())
	}
	env, err := decodeSF(stdout.Bytes())
	switch {
	case err == nil && env.Status != 0:
		return nil, fmt.Errorf("sf org list: %s", truncate(oneLine(redact(strings.TrimSpace(env.Name+": "+env.Message))), 300))
	case err != nil && runErr != nil:
		return nil, fmt.Errorf("sf org list: %v: %s", runErr, truncate(oneLine(redact(strings.TrimSpace(stderr.String()))), 300))
	case err != nil:
		return nil, fmt.Errorf("sf org list: unexpected output: %w", err)
	}
	var groups map[string]json.RawMessage
	if err := json.Unmarshal(env.Result, &groups); err != nil {
		return nil, fmt.Errorf("sf org list: unexpected result: %w", err)
	}
	seen := map[string]int{}
	var out []SFOrg
	for _, g := range []string{"nonScratchOrgs", "other", "sandboxes", "devHubs", "scratchOrgs"} {
		var list []sfListed
		if raw, ok := groups[g]; !ok || json.Unmarshal(raw, &list) != nil {
			continue
		}
		for _, l := range list {
			if l.Username == "" || l.IsExpired || strings.EqualFold(l.Status, "Expired") || strings.EqualFold(l.Status, "Deleted") {
				continue
			}
			o := SFOrg{Alias: l.Alias, Username: l.Username, OrgID: l.OrgID, InstanceURL: strings.TrimRight(l.InstanceURL, "/"),
				ConnectedStatus: oneLine(redact(l.ConnectedStatus)), Sandbox: l.IsSandbox || g == "sandboxes",
				Scratch: l.IsScratch || g == "scratchOrgs", Default: l.IsDefaultUsername}
			if i, dup := seen[o.Username]; dup {
				out[i].Sandbox = out[i].Sandbox || o.Sandbox
				out[i].Default = out[i].Default || o.Default
				continue
			}
			seen[o.Username] = len(out)
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Default != out[j].Default {
			return out[i].Default
		}
		return strings.ToLower(out[i].Name()) < strings.ToLower(out[j].Name())
	})
	return out, nil
}

// IsSFCLIError reports whether err is a Salesforce CLI login that failed as sf reported it
// (an unknown alias, an expired or revoked login, no usable token), for a front end that
// words it itself.
func IsSFCLIError(err error) bool {
	var ce *cliError
	return errors.As(err, &ce)
}
