package backfill

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/sfclient"
)

// Check 3 follows the reconnection guide: its integration-user rule is about the user the
// live sync (the CE connection) writes as, not about who loads a backfill. The sync's user
// is the user who authorized the Northpass connection (its OauthToken, where the org shows
// it: every token to a user with Customize Application, their own to the others), else the
// user who created or last modified most of the newest Enrollment records. That user must be
// a dedicated user who is not a System Administrator (FAIL otherwise); Modify All Data
// elsewhere is a warning (least privilege). The user running backfill may be any user with
// the object and field permissions check 4 tests; an administrator gets a note that the
// records it loads show it as Created By.

// userRights is what check 3 knows of one user.
type userRights struct {
	u      *sfclient.User
	sets   []string // permission sets' labels, not the profile's own
	grants []string // where Modify All Data comes from ("profile X", "permission set Y")
}

func (r *userRights) sysAdmin() bool {
	return strings.EqualFold(strings.TrimSpace(r.u.ProfileName), "System Administrator")
}

func (r *userRights) admin() bool { return r.sysAdmin() || len(r.grants) > 0 }

// describe is "NAME (profile P), permission sets: A, B".
func (r *userRights) describe() string {
	s := fmt.Sprintf("%s (profile %s)", r.u.Username, r.u.ProfileName)
	if len(r.sets) > 0 {
		s += ", permission sets: " + strings.Join(r.sets, ", ")
	}
	return s
}

// rights reads user id, its profile and its permission sets.
func (p *preflight) rights(ctx context.Context, id string) (*userRights, error) {
	u, err := p.sf.User(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &userRights{u: u}
	psas, err := p.sf.PermissionSetAssignments(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the permission sets of %s: %w", u.Username, err)
	}
	if u.ProfilePermissionsModifyAllData {
		r.grants = append(r.grants, "profile "+u.ProfileName)
	}
	for _, ps := range psas {
		if ps.IsOwnedByProfile {
			if ps.PermissionsModifyAllData && !u.ProfilePermissionsModifyAllData {
				r.grants = append(r.grants, "profile "+u.ProfileName)
			}
			continue
		}
		r.sets = append(r.sets, ps.Label)
		if ps.PermissionsModifyAllData {
			r.grants = append(r.grants, "permission set "+ps.Label)
		}
	}
	sort.Strings(r.sets)
	return r, nil
}

// syncEvidence is why a user is taken for the live sync's.
type syncEvidence struct {
	userID string
	why    string
}

// syncUsers finds the live sync's user: the Northpass connection's OauthToken the org
// shows, else the writer of most of the newest Enrollment records. The running user's own records
// are left out when it is an administrator (an earlier backfill run as it wrote them); a
// token says who authorized the connection whoever runs. notes say what could not be read.
func (p *preflight) syncUsers(ctx context.Context, running *userRights) (found []syncEvidence, notes []string) {
	err := p.sf.Query(ctx, "SELECT AppName, UserId, LastUsedDate FROM OauthToken ORDER BY LastUsedDate DESC", func(r sfclient.Record) error {
		app := r.String("AppName")
		if !strings.Contains(strings.ToLower(app), "northpass") {
			return nil
		}
		why := "authorized the " + app + " connection"
		if at, ok := r.Time("LastUsedDate"); ok {
			why += ", last used " + at.UTC().Format(time.RFC3339)
		}
		found = append(found, syncEvidence{userID: r.String("UserId"), why: why})
		return nil
	})
	if err != nil {
		notes = append(notes, "the OAuth tokens cannot be read ("+err.Error()+")")
	}
	if len(found) > 0 {
		return found, notes
	}
	if p.object == "" {
		return nil, append(notes, "the Enrollment object is unknown (check 4)")
	}
	soql := "SELECT Id, CreatedById, LastModifiedById, LastModifiedDate FROM " + p.object
	if running.admin() {
		soql += " WHERE LastModifiedById != " + sfclient.QuoteString(p.userID)
	}
	soql += fmt.Sprintf(" ORDER BY LastModifiedDate DESC LIMIT %d", syncSample)
	// The writer of most of the newest records is the sync's: one record edited by hand
	// does not make its editor the sync's user.
	wrote, records, newest := map[string]int{}, 0, ""
	var order []string
	err = p.sf.Query(ctx, soql, func(r sfclient.Record) error {
		records++
		if newest == "" {
			at, _ := r.Time("LastModifiedDate")
			newest = r.String("Id") + " at " + at.UTC().Format(time.RFC3339)
		}
		ids := []string{r.String("LastModifiedById")}
		if c := r.String("CreatedById"); c != ids[0] && !(running.admin() && c == p.userID) {
			ids = append(ids, c)
		}
		for _, id := range ids {
			if wrote[id] == 0 {
				order = append(order, id)
			}
			wrote[id]++
		}
		return nil
	})
	if err != nil {
		return nil, append(notes, "cannot query "+p.object+" ("+err.Error()+")")
	}
	if len(order) > 0 {
		top := order[0]
		for _, id := range order[1:] {
			if wrote[id] > wrote[top] {
				top = id
			}
		}
		found = append(found, syncEvidence{userID: top, why: fmt.Sprintf("wrote %d of the %d newest %s records (the newest: %s)",
			wrote[top], records, p.object, newest)})
	}
	return found, notes
}

// syncSample is how many of the newest records tell who the sync writes as.
const syncSample = 10

// user is check 3.
func (p *preflight) user(ctx context.Context) result {
	id, err := p.sf.CurrentUserID(ctx)
	if err != nil {
		return fail("cannot tell which user is logged in: "+err.Error(), p.fixLogin())
	}
	p.userID = id
	running, err := p.rights(ctx, id)
	if err != nil {
		return fail("cannot read the logged-in user: "+err.Error(), p.fixLogin())
	}
	p.rep.User = PreflightUser{Username: running.u.Username, Profile: running.u.ProfileName}
	found, notes := p.syncUsers(ctx, running)

	status, fixes := CheckPass, []string{}
	var parts []string
	seen := map[string]bool{}
	for _, ev := range found {
		if seen[ev.userID] {
			continue
		}
		seen[ev.userID] = true
		r := running
		if ev.userID != id {
			if r, err = p.rights(ctx, ev.userID); err != nil {
				parts = append(parts, fmt.Sprintf("the live sync's user %s (it %s) cannot be read: %v", ev.userID, ev.why, err))
				status = worse(status, CheckWarn)
				continue
			}
		}
		if p.syncUserID == "" {
			p.syncUserID = ev.userID
			p.rep.SyncUser = &PreflightUser{Username: r.u.Username, Profile: r.u.ProfileName}
		}
		who := "the live sync's user is " + r.describe() + ": it " + ev.why
		switch {
		case r.sysAdmin():
			parts = append(parts, who+"; the sync must use a dedicated integration user, not a System Administrator")
			status, fixes = CheckFail, append(fixes, fixAdmin)
		case len(r.grants) > 0:
			parts = append(parts, who+"; it has Modify All Data through "+strings.Join(r.grants, ", "))
			status, fixes = worse(status, CheckWarn), append(fixes, fixModifyAll)
		default:
			parts = append(parts, who+"; a dedicated user without Modify All Data")
		}
	}
	if len(found) == 0 {
		why := "no Northpass connection token is visible and no " + orDashObject(p.object) + " record was written by another user than the one running"
		if len(notes) > 0 {
			why = strings.Join(notes, "; ")
		}
		parts = append(parts, "the live sync's user cannot be told: "+why)
		status, fixes = worse(status, CheckWarn), append(fixes, fixSyncUser)
	}
	switch {
	case seen[id]:
		parts = append(parts, "backfill runs as the same user")
	case running.admin():
		parts = append(parts, fmt.Sprintf("backfill runs as %s, an administrator: allowed, and the records it loads will show %s as Created By and Last Modified By",
			running.describe(), running.u.Username))
	default:
		parts = append(parts, fmt.Sprintf("backfill runs as %s: the records it loads will show it as Created By", running.describe()))
	}
	return result{status, strings.Join(parts, "; "), strings.Join(fixes, "; ")}
}

// fixSyncUser is the fix when check 3 cannot tell the live sync's user.
const fixSyncUser = "make sure the Northpass connection is authorized by a dedicated integration user who is not a System Administrator " +
	"(Apps > Integrations > Salesforce > Salesforce Instance Setup > Authorize); run preflight as an administrator to see every OAuth token"

// orDashObject names the Enrollment object, or says it is unknown.
func orDashObject(o string) string {
	if o == "" {
		return "Enrollment"
	}
	return o
}
