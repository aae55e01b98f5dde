package sfclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// getJSON performs a retried GET of an absolute URL and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, kind string, u func(s session) string, v any) error {
	return c.do(ctx, kind, true, func(ctx context.Context, s session) error {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		req, err := newRequest(ctx, s, http.MethodGet, u(s), nil)
		if err != nil {
			return err
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return cleanErr(err)
		}
		if err := checkResponse(resp); err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			return fmt.Errorf("decode %s answer: %w", kind, err)
		}
		return nil
	})
}

// SObjectSummary is one entry of describe global.
type SObjectSummary struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	LabelPlural string `json:"labelPlural"`
	KeyPrefix   string `json:"keyPrefix"`
	Custom      bool   `json:"custom"`
	Createable  bool   `json:"createable"`
	Updateable  bool   `json:"updateable"`
	Deletable   bool   `json:"deletable"`
	Queryable   bool   `json:"queryable"`
}

// GlobalDescribe is the answer of GET /sobjects (describe global).
type GlobalDescribe struct {
	Encoding     string           `json:"encoding"`
	MaxBatchSize int              `json:"maxBatchSize"`
	SObjects     []SObjectSummary `json:"sobjects"`
}

// DescribeGlobal lists the org's sObjects (GET /services/data/vNN.N/sobjects).
func (c *Client) DescribeGlobal(ctx context.Context) (*GlobalDescribe, error) {
	var g GlobalDescribe
	err := c.getJSON(ctx, CallDescribe, func(s session) string { return s.dataURL(c.apiVersion, "sobjects") }, &g)
	if err != nil {
		return nil, fmt.Errorf("describe global: %w", err)
	}
	return &g, nil
}

// PicklistValue is one allowed value of a picklist field.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// Field is the describe metadata of one field: the keys a loader needs (docs/SALESFORCE.md
// section 6).
type Field struct {
	Name                  string          `json:"name"`
	Label                 string          `json:"label"`
	Type                  string          `json:"type"` // string, date, datetime, double, reference, ...
	Length                int             `json:"length"`
	Precision             int             `json:"precision"`
	Scale                 int             `json:"scale"`
	Digits                int             `json:"digits"`
	Createable            bool            `json:"createable"`
	Updateable            bool            `json:"updateable"`
	Nillable              bool            `json:"nillable"`
	DefaultedOnCreate     bool            `json:"defaultedOnCreate"`
	ExternalID            bool            `json:"externalId"`
	IDLookup              bool            `json:"idLookup"`
	Unique                bool            `json:"unique"`
	CaseSensitive         bool            `json:"caseSensitive"`
	Calculated            bool            `json:"calculated"`
	AutoNumber            bool            `json:"autoNumber"`
	ReferenceTo           []string        `json:"referenceTo"`
	RelationshipName      string          `json:"relationshipName"` // "" when null
	PolymorphicForeignKey bool            `json:"polymorphicForeignKey"`
	NamePointing          bool            `json:"namePointing"`
	RestrictedPicklist    bool            `json:"restrictedPicklist"`
	PicklistValues        []PicklistValue `json:"picklistValues"`
}

// Required reports whether an insert must supply the field:
// createable && !nillable && !defaultedOnCreate.
func (f Field) Required() bool {
	return f.Createable && !f.Nillable && !f.DefaultedOnCreate
}

// SObjectDescribe is the answer of GET /sobjects/{name}/describe.
type SObjectDescribe struct {
	Name        string  `json:"name"`
	Label       string  `json:"label"`
	LabelPlural string  `json:"labelPlural"`
	KeyPrefix   string  `json:"keyPrefix"`
	Custom      bool    `json:"custom"`
	Createable  bool    `json:"createable"`
	Updateable  bool    `json:"updateable"`
	Deletable   bool    `json:"deletable"`
	Queryable   bool    `json:"queryable"`
	Fields      []Field `json:"fields"`
}

// Field returns the field with the given API name (case-insensitive).
func (d *SObjectDescribe) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// Describe describes one sObject. An unknown object gives an *[APIError] with StatusCode 404
// and Code NOT_FOUND.
func (c *Client) Describe(ctx context.Context, object string) (*SObjectDescribe, error) {
	var d SObjectDescribe
	err := c.getJSON(ctx, CallDescribe, func(s session) string {
		return s.dataURL(c.apiVersion, "sobjects/"+url.PathEscape(object)+"/describe")
	}, &d)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", object, err)
	}
	return &d, nil
}

// Limit is one entry of the /limits resource.
type Limit struct {
	Max       int64
	Remaining int64
}

// Limits returns the org's limits keyed by name (DailyApiRequests, DailyBulkApiBatches,
// DailyBulkV2QueryJobs, ...). Nested per-app entries are ignored.
func (c *Client) Limits(ctx context.Context) (map[string]Limit, error) {
	var raw map[string]json.RawMessage
	err := c.getJSON(ctx, CallLimits, func(s session) string { return s.dataURL(c.apiVersion, "limits") }, &raw)
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	out := make(map[string]Limit, len(raw))
	for name, msg := range raw {
		var l struct {
			Max       json.Number `json:"Max"`
			Remaining json.Number `json:"Remaining"`
		}
		if json.Unmarshal(msg, &l) != nil {
			continue
		}
		mx, err1 := numberInt(l.Max)
		rem, err2 := numberInt(l.Remaining)
		if err1 != nil || err2 != nil {
			continue
		}
		out[name] = Limit{Max: mx, Remaining: rem}
	}
	return out, nil
}

func numberInt(n json.Number) (int64, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	return int64(f), err
}

// UserInfo is the OAuth userinfo answer (the keys backfill uses).
type UserInfo struct {
	Sub               string `json:"sub"` // identity URL
	UserID            string `json:"user_id"`
	OrganizationID    string `json:"organization_id"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	UserType          string `json:"user_type"`
	Active            bool   `json:"active"`
	Language          string `json:"language"`
	Locale            string `json:"locale"`
}

// UserInfo calls GET {instance}/services/oauth2/userinfo.
func (c *Client) UserInfo(ctx context.Context) (*UserInfo, error) {
	var ui UserInfo
	err := c.getJSON(ctx, CallIdentity, func(s session) string { return s.instanceURL + "/services/oauth2/userinfo" }, &ui)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	return &ui, nil
}

// CurrentUserID returns the logged-in user's id: from the token's identity URL when the
// login gave one (no API call), otherwise from [Client.UserInfo].
func (c *Client) CurrentUserID(ctx context.Context) (string, error) {
	if id := c.session().userID; id != "" {
		return id, nil
	}
	ui, err := c.UserInfo(ctx)
	if err != nil {
		return "", err
	}
	return ui.UserID, nil
}

// Organization is the org's Organization record.
type Organization struct {
	ID               string
	Name             string
	IsSandbox        bool
	InstanceName     string
	OrganizationType string // "Developer Edition", "Enterprise Edition", ...
	// TrialExpirationDate is set for trial and scratch orgs; "" otherwise.
	TrialExpirationDate string
}

// Organization queries the single Organization record.
func (c *Client) Organization(ctx context.Context) (*Organization, error) {
	var org *Organization
	err := c.Query(ctx, "SELECT Id, Name, IsSandbox, InstanceName, OrganizationType, TrialExpirationDate FROM Organization", func(r Record) error {
		sb, _ := r.Bool("IsSandbox")
		org = &Organization{ID: r.String("Id"), Name: r.String("Name"), IsSandbox: sb, InstanceName: r.String("InstanceName"),
			OrganizationType: r.String("OrganizationType"), TrialExpirationDate: r.String("TrialExpirationDate")}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query Organization: %w", err)
	}
	if org == nil {
		return nil, fmt.Errorf("query Organization: no record")
	}
	return org, nil
}

// User is a user with its profile's admin-relevant permissions.
type User struct {
	ID                              string
	Username                        string
	Name                            string
	IsActive                        bool
	UserType                        string
	ProfileName                     string
	ProfilePermissionsModifyAllData bool
	ProfilePermissionsViewAllData   bool
}

// User queries the user with the given id and its profile. A missing user is an error.
func (c *Client) User(ctx context.Context, id string) (*User, error) {
	var u *User
	soql := "SELECT Id, Username, Name, IsActive, UserType, Profile.Name, Profile.PermissionsModifyAllData, " +
		"Profile.PermissionsViewAllData FROM User WHERE Id = " + QuoteString(id)
	err := c.Query(ctx, soql, func(r Record) error {
		active, _ := r.Bool("IsActive")
		mad, _ := r.Bool("Profile.PermissionsModifyAllData")
		vad, _ := r.Bool("Profile.PermissionsViewAllData")
		u = &User{ID: r.String("Id"), Username: r.String("Username"), Name: r.String("Name"), IsActive: active,
			UserType: r.String("UserType"), ProfileName: r.String("Profile.Name"),
			ProfilePermissionsModifyAllData: mad, ProfilePermissionsViewAllData: vad}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query User %s: %w", id, err)
	}
	if u == nil {
		return nil, fmt.Errorf("query User %s: no such user", id)
	}
	return u, nil
}

// PermissionSetAssignment is one permission set assigned to a user (a profile's owned
// permission set included, with IsOwnedByProfile true).
type PermissionSetAssignment struct {
	PermissionSetID          string
	Name                     string
	Label                    string
	IsOwnedByProfile         bool
	PermissionsModifyAllData bool
	PermissionsViewAllData   bool
}

// PermissionSetAssignments lists every permission set assigned to the user.
func (c *Client) PermissionSetAssignments(ctx context.Context, userID string) ([]PermissionSetAssignment, error) {
	var out []PermissionSetAssignment
	soql := "SELECT PermissionSetId, PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile, " +
		"PermissionSet.PermissionsModifyAllData, PermissionSet.PermissionsViewAllData FROM PermissionSetAssignment " +
		"WHERE AssigneeId = " + QuoteString(userID)
	err := c.Query(ctx, soql, func(r Record) error {
		owned, _ := r.Bool("PermissionSet.IsOwnedByProfile")
		mad, _ := r.Bool("PermissionSet.PermissionsModifyAllData")
		vad, _ := r.Bool("PermissionSet.PermissionsViewAllData")
		out = append(out, PermissionSetAssignment{PermissionSetID: r.String("PermissionSetId"), Name: r.String("PermissionSet.Name"),
			Label: r.String("PermissionSet.Label"), IsOwnedByProfile: owned, PermissionsModifyAllData: mad, PermissionsViewAllData: vad})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query PermissionSetAssignment: %w", err)
	}
	return out, nil
}

// PackageVersion is a managed package version number.
type PackageVersion struct {
	Major, Minor, Patch, Build int
}

// String formats the version as "major.minor.patch.build".
func (v PackageVersion) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Patch, v.Build)
}

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w (major, minor,
// patch, then build).
func (v PackageVersion) Compare(w PackageVersion) int {
	for _, d := range [][2]int{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}, {v.Build, w.Build}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}

// InstalledPackage is one InstalledSubscriberPackage row.
type InstalledPackage struct {
	ID          string // 0A3…
	PackageID   string // 033…
	Namespace   string // "" when null
	Name        string
	VersionID   string // 04t…
	VersionName string
	Version     PackageVersion
}

// InstalledPackages lists the installed managed packages through the Tooling API. Version
// numbers are decoded leniently: JSON numbers or numeric strings; null counts as 0.
func (c *Client) InstalledPackages(ctx context.Context) ([]InstalledPackage, error) {
	const soql = "SELECT Id, SubscriberPackageId, SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, " +
		"SubscriberPackageVersion.Id, SubscriberPackageVersion.Name, SubscriberPackageVersion.MajorVersion, " +
		"SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion, " +
		"SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage"
	var out []InstalledPackage
	num := func(r Record, f string) int {
		n, _ := r.Int("SubscriberPackageVersion." + f)
		return int(n)
	}
	err := c.ToolingQuery(ctx, soql, func(r Record) error {
		out = append(out, InstalledPackage{
			ID: r.String("Id"), PackageID: r.String("SubscriberPackageId"),
			Namespace: r.String("SubscriberPackage.NamespacePrefix"), Name: r.String("SubscriberPackage.Name"),
			VersionID: r.String("SubscriberPackageVersion.Id"), VersionName: r.String("SubscriberPackageVersion.Name"),
			Version: PackageVersion{Major: num(r, "MajorVersion"), Minor: num(r, "MinorVersion"),
				Patch: num(r, "PatchVersion"), Build: num(r, "BuildNumber")},
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query installed packages: %w", err)
	}
	return out, nil
}

// ParsePackageVersion parses "2.1", "2.1.0" or "2.1.0.3" (missing parts are 0).
func ParsePackageVersion(s string) (PackageVersion, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) == 0 || len(parts) > 4 {
		return PackageVersion{}, fmt.Errorf("package version %q: want major[.minor[.patch[.build]]]", s)
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return PackageVersion{}, fmt.Errorf("package version %q: want major[.minor[.patch[.build]]]", s)
		}
		n[i] = v
	}
	return PackageVersion{n[0], n[1], n[2], n[3]}, nil
}

// drain discards what is left of a body so the connection can be reused, then closes it.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
