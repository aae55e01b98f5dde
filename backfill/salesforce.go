package backfill

import (
	"context"
	"io"

	"github.com/northpass-tools/backfill/sfclient"
)

// Salesforce is everything the job asks of an org: one seam, declared here where it is used
// (as litestream declares ReplicaClient beside its users). *sfclient.Client implements it
// against a real org or the emulator of package sfclient/sftest; the job never speaks HTTP.
type Salesforce interface {
	// InstanceURL is the org's URL for this session; APIVersion the version in use.
	InstanceURL() string
	APIVersion() string
	// CallCounts reports the API calls made so far, by kind, for the summary.
	CallCounts() map[string]int

	// Query calls fn for every record of a SOQL query, page by page; Count returns the
	// totalSize of a query (SELECT COUNT() ...).
	Query(ctx context.Context, soql string, fn func(sfclient.Record) error) error
	Count(ctx context.Context, soql string) (int, error)

	// Discovery and preflight.
	InstalledPackages(ctx context.Context) ([]sfclient.InstalledPackage, error)
	DescribeGlobal(ctx context.Context) (*sfclient.GlobalDescribe, error)
	Describe(ctx context.Context, object string) (*sfclient.SObjectDescribe, error)
	Limits(ctx context.Context) (map[string]sfclient.Limit, error)
	Organization(ctx context.Context) (*sfclient.Organization, error)
	CurrentUserID(ctx context.Context) (string, error)
	User(ctx context.Context, id string) (*sfclient.User, error)
	PermissionSetAssignments(ctx context.Context, userID string) ([]sfclient.PermissionSetAssignment, error)

	// Bulk API 2.0 ingest.
	CreateIngestJob(ctx context.Context, spec sfclient.JobSpec) (*sfclient.Job, error)
	UploadJobData(ctx context.Context, jobID string, r io.Reader) error
	CloseJob(ctx context.Context, jobID string) (*sfclient.Job, error)
	AbortJob(ctx context.Context, jobID string) (*sfclient.Job, error)
	JobInfo(ctx context.Context, jobID string) (*sfclient.Job, error)
	WaitJob(ctx context.Context, jobID string, onPoll func(*sfclient.Job)) (*sfclient.Job, error)
	JobResults(ctx context.Context, jobID string, kind sfclient.ResultKind, w io.Writer) (int64, error)
}

var _ Salesforce = (*sfclient.Client)(nil)

// loginFix says, in one line, what to do about a failed login: the fix for Salesforce's
// reason when sfclient knows it (a blocked app, a user not admin approved, an External
// Client App not installed, a wrong audience, an IP restriction, a Salesforce CLI login to
// renew, ...), else where to look (the options of job c).
func loginFix(w Words, err error, c Command) string {
	if fix := sfclient.LoginFix(err); fix != "" {
		return fix
	}
	return "check " + w.Login() + " (" + w.Help(c) + " lists them)"
}
