package sftest

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// seedFiles holds the built-in seeds, seeds/demo.json and seeds/other-names.json.
//
//go:embed seeds/*.json
var seedFiles embed.FS

// Seed is the initial state of an emulated org, read from a JSON file (see the built-in
// ones in sfclient/sftest/seeds) with [LoadSeed] or [ReadSeedFile]. It is a plain Go value
// so tests can tweak it before passing it to [WithSeed]: change a package version, pick
// another API user, add records.
//
// The server materialises the standard objects User, Profile, PermissionSet,
// PermissionSetAssignment, Organization and OauthToken from Users, Organization and
// OAuthTokens, and the Tooling
// objects InstalledSubscriberPackage, SubscriberPackage and SubscriberPackageVersion from
// Packages. Every other queryable object (Contact, the package's custom objects) is listed
// in Objects with its describe metadata and records. System fields (Id, CreatedDate,
// CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, IsDeleted) are added to
// every object and maintained by the server.
type Seed struct {
	// Organization is the single Organization record.
	Organization Organization `json:"organization"`
	// APIUser is the Username of the user [Server.AccessToken] logs in as; empty means the
	// first user.
	APIUser string `json:"apiUser"`
	// Users are the org's users, each with a profile and permission sets.
	Users []User `json:"users"`
	// ConnectedApps are the OAuth clients the token endpoint accepts.
	ConnectedApps []ConnectedApp `json:"connectedApps"`
	// Packages are the installed managed packages (Tooling InstalledSubscriberPackage rows).
	Packages []Package `json:"packages"`
	// Objects are the sObjects besides the standard user/org objects.
	Objects []Object `json:"objects"`
	// OAuthTokens are the org's OauthToken records: the connected apps users authorized
	// (Setup > Connected Apps OAuth Usage), such as the Northpass connection's.
	OAuthTokens []OAuthToken `json:"oauthTokens,omitempty"`
	// Limits are the /limits entries; DailyApiRequests is decremented on every REST call.
	Limits map[string]Limit `json:"limits"`
	// APIVersions are the versions /services/data/ lists, ascending ("62.0"); empty means
	// 31.0 through 66.0.
	APIVersions []string `json:"apiVersions,omitempty"`
	// JWTAudience is an Experience Cloud site URL that JWT bearer assertions may name as
	// aud, besides https://login.salesforce.com (https://test.salesforce.com in a sandbox).
	JWTAudience string `json:"jwtAudience,omitempty"`
	// TrustedIPRanges, when set, are the CIDR ranges token requests must come from; others
	// are refused with invalid_grant "ip restricted" (Login IP Ranges).
	TrustedIPRanges []string `json:"trustedIpRanges,omitempty"`
}

// Organization is the org's Organization record.
type Organization struct {
	ID               string `json:"Id"`
	Name             string `json:"Name"`
	IsSandbox        bool   `json:"IsSandbox"`
	InstanceName     string `json:"InstanceName"`
	OrganizationType string `json:"OrganizationType"`
}

// User is a user of the org with its profile, permission sets and login credentials.
type User struct {
	ID             string          `json:"Id"`
	Username       string          `json:"Username"`
	Name           string          `json:"Name"`
	Email          string          `json:"Email"`
	IsActive       bool            `json:"IsActive"`
	UserType       string          `json:"UserType"`
	Profile        Profile         `json:"Profile"`
	PermissionSets []PermissionSet `json:"PermissionSets,omitempty"`
	// Password is accepted by the password grant and SOAP login, followed by SecurityToken
	// when that is set (Salesforce appends the token to the password).
	Password      string `json:"password,omitempty"`
	SecurityToken string `json:"securityToken,omitempty"`
}

// Profile is a user's profile. The server also creates the profile's owned permission set
// (IsOwnedByProfile = true) with the same permissions.
type Profile struct {
	ID                       string `json:"Id"`
	Name                     string `json:"Name"`
	PermissionsModifyAllData bool   `json:"PermissionsModifyAllData"`
	PermissionsViewAllData   bool   `json:"PermissionsViewAllData"`
	// PermissionsCustomizeApplication lets the user see every user's OauthToken records.
	PermissionsCustomizeApplication bool `json:"PermissionsCustomizeApplication,omitempty"`
}

// PermissionSet is a permission set assigned to a user.
type PermissionSet struct {
	ID                              string `json:"Id"`
	Name                            string `json:"Name"`
	Label                           string `json:"Label"`
	PermissionsModifyAllData        bool   `json:"PermissionsModifyAllData"`
	PermissionsViewAllData          bool   `json:"PermissionsViewAllData"`
	PermissionsCustomizeApplication bool   `json:"PermissionsCustomizeApplication,omitempty"`
}

// OAuthToken is one OauthToken record: a user's authorization of a connected app. The
// emulator keeps no token value (the real object's AccessToken, DeleteToken and
// RequestToken are not served).
type OAuthToken struct {
	AppName      string `json:"appName"`
	User         string `json:"user"` // Username of the user who authorized the app
	CreatedDate  string `json:"createdDate"`
	LastUsedDate string `json:"lastUsedDate,omitempty"`
	UseCount     int    `json:"useCount,omitempty"`
}

// ConnectedApp is an OAuth client. Certificate (a PEM CERTIFICATE or PUBLIC KEY block)
// verifies JWT bearer assertions; RunAs is the Username the client-credentials grant runs as.
type ConnectedApp struct {
	Name         string `json:"name"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Certificate  string `json:"certificate,omitempty"`
	RunAs        string `json:"runAs,omitempty"`
	// DailyAPIRequests is the app's own API allocation, reported as per-app-api-usage in
	// Sforce-Limit-Info; 0 reports the org's.
	DailyAPIRequests int `json:"dailyApiRequests,omitempty"`

	// The access policies of 2026 (auth_policy.go has each refusal's wording and source).
	// Blocked: an uninstalled connected app, blocked since September 2025 for users
	// without "Approve Uninstalled Connected Apps" (the emulator lets users with Modify
	// All Data through): OAUTH_APP_BLOCKED.
	Blocked bool `json:"blocked,omitempty"`
	// AdminApprovedOnly: "Admin approved users are pre-authorized"; only the users named
	// (Username) in AdminApprovedUsers get a token, the others invalid_app_access (or, for
	// JWT, invalid_grant "user hasn't approved this consumer").
	AdminApprovedOnly  bool     `json:"adminApprovedOnly,omitempty"`
	AdminApprovedUsers []string `json:"adminApprovedUsers,omitempty"`
	// ExternalClientApp marks an External Client App, which works only when Installed in
	// the org (else OAUTH_EC_APP_NOT_FOUND "External client app is not installed in this
	// org").
	ExternalClientApp bool `json:"externalClientApp,omitempty"`
	Installed         bool `json:"installed,omitempty"`
}

// Package is an installed managed package: one InstalledSubscriberPackage row with its
// SubscriberPackage and SubscriberPackageVersion.
type Package struct {
	ID          string `json:"id"`        // 0A3...
	PackageID   string `json:"packageId"` // 033...
	VersionID   string `json:"versionId"` // 04t...
	Namespace   string `json:"namespace"` // "" is returned as null
	Name        string `json:"name"`
	VersionName string `json:"versionName"`
	Major       int    `json:"major"`
	Minor       int    `json:"minor"`
	Patch       int    `json:"patch"`
	Build       int    `json:"build"`
}

// Object is an sObject: its describe metadata, the package behaviour and its records.
type Object struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	LabelPlural string `json:"labelPlural"`
	KeyPrefix   string `json:"keyPrefix"`
	Custom      bool   `json:"custom"`
	Createable  bool   `json:"createable"`
	Updateable  bool   `json:"updateable"`
	Deletable   bool   `json:"deletable"`
	Queryable   bool   `json:"queryable"`
	// OldTimestampField, when set, names a datetime field: an update whose value in it is
	// older than the stored one fails with FIELD_CUSTOM_VALIDATION_EXCEPTION "Cannot update
	// record due to old timestamp" (the Northpass package's behaviour).
	OldTimestampField string  `json:"oldTimestampField,omitempty"`
	Fields            []Field `json:"fields"`
	// Records are field API name to value; datetimes as ISO 8601 strings, dates as
	// yyyy-MM-dd, numbers as JSON numbers. Id and system fields may be given or are filled in.
	Records []map[string]any `json:"records,omitempty"`
}

// Field is the describe metadata of one field (the describe keys sfclient.Field decodes; docs/SALESFORCE.md).
type Field struct {
	Name               string          `json:"name"`
	Label              string          `json:"label"`
	Type               string          `json:"type"`
	Length             int             `json:"length,omitempty"`
	Createable         bool            `json:"createable"`
	Updateable         bool            `json:"updateable"`
	Nillable           bool            `json:"nillable"`
	DefaultedOnCreate  bool            `json:"defaultedOnCreate,omitempty"`
	ExternalID         bool            `json:"externalId,omitempty"`
	Unique             bool            `json:"unique,omitempty"`
	IDLookup           bool            `json:"idLookup,omitempty"`
	CaseSensitive      bool            `json:"caseSensitive,omitempty"`
	ReferenceTo        []string        `json:"referenceTo,omitempty"`
	RelationshipName   string          `json:"relationshipName,omitempty"`
	PicklistValues     []PicklistValue `json:"picklistValues,omitempty"`
	RestrictedPicklist bool            `json:"restrictedPicklist,omitempty"`
	Calculated         bool            `json:"calculated,omitempty"`
	AutoNumber         bool            `json:"autoNumber,omitempty"`
	Precision          int             `json:"precision,omitempty"`
	Scale              int             `json:"scale,omitempty"`

	// Set by the server for its own copy (record.go): the field's position in its object
	// and where its value is kept in a stored row.
	pos, slot int
	kind      slotKind
}

// PicklistValue is one value of a picklist field.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// Limit is one entry of the /limits resource.
type Limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// LoadSeed decodes a seed from JSON. Unknown keys are errors, so a typo in a seed file
// does not silently drop data.
func LoadSeed(r io.Reader) (*Seed, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode seed: %w", err)
	}
	for i := range s.Objects {
		for _, rec := range s.Objects[i].Records {
			for k, v := range rec {
				if n, ok := v.(json.Number); ok {
					f, err := n.Float64()
					if err != nil {
						return nil, fmt.Errorf("seed object %s field %s: %w", s.Objects[i].Name, k, err)
					}
					rec[k] = f
				}
			}
		}
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// ReadSeedFile reads a seed from a JSON file.
func ReadSeedFile(path string) (*Seed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	defer f.Close()
	s, err := LoadSeed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// DemoSeed returns a fresh copy of the demo Northpass org (sfclient/sftest/seeds/demo.json,
// embedded in the binary). It panics only if the embedded file is broken, which the
// package's tests rule out.
func DemoSeed() *Seed {
	return mustEmbeddedSeed("seeds/demo.json")
}

// OtherNamesSeed returns a fresh copy of sfclient/sftest/seeds/other-names.json (embedded
// too): the same org with namespace np2 and different field API names behind the same
// labels.
func OtherNamesSeed() *Seed {
	return mustEmbeddedSeed("seeds/other-names.json")
}

func mustEmbeddedSeed(name string) *Seed {
	f, err := seedFiles.Open(name)
	if err != nil {
		panic(fmt.Sprintf("sftest: embedded seed: %v", err))
	}
	defer f.Close()
	s, err := LoadSeed(f)
	if err != nil {
		panic(fmt.Sprintf("sftest: embedded seed %s: %v", name, err))
	}
	return s
}

// Clone returns a deep copy of s.
func (s *Seed) Clone() *Seed {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("sftest: clone seed: %v", err))
	}
	c, err := LoadSeed(strings.NewReader(string(b)))
	if err != nil {
		panic(fmt.Sprintf("sftest: clone seed: %v", err))
	}
	return c
}

// User returns the user with the given Username (case-insensitive), or nil.
func (s *Seed) User(username string) *User {
	for i := range s.Users {
		if strings.EqualFold(s.Users[i].Username, username) {
			return &s.Users[i]
		}
	}
	return nil
}

// SyncAs makes username the live sync's user: the Northpass connection's OauthToken
// records become that user's, and every seeded record of the objects is created and last
// modified by it (as records the connection wrote). It is how a seed says "the
// connection was authorized by this user" (an admin, say) for preflight's check 3.
func (s *Seed) SyncAs(username string) error {
	u := s.User(username)
	if u == nil {
		return fmt.Errorf("sftest: SyncAs: the seed has no user %s", username)
	}
	for i := range s.OAuthTokens {
		if strings.Contains(strings.ToLower(s.OAuthTokens[i].AppName), "northpass") {
			s.OAuthTokens[i].User = u.Username
		}
	}
	for i := range s.Objects {
		for _, rec := range s.Objects[i].Records {
			rec["CreatedById"], rec["LastModifiedById"] = u.ID, u.ID
		}
	}
	return nil
}

// Object returns the object with the given API name (case-insensitive), or nil.
func (s *Seed) Object(name string) *Object {
	for i := range s.Objects {
		if strings.EqualFold(s.Objects[i].Name, name) {
			return &s.Objects[i]
		}
	}
	return nil
}

func (s *Seed) validate() error {
	if len(s.Users) == 0 {
		return fmt.Errorf("seed has no users")
	}
	if s.APIUser != "" && s.User(s.APIUser) == nil {
		return fmt.Errorf("seed apiUser %q is not a user", s.APIUser)
	}
	for _, a := range s.ConnectedApps {
		if a.RunAs != "" && s.User(a.RunAs) == nil {
			return fmt.Errorf("connected app %q runs as unknown user %q", a.Name, a.RunAs)
		}
	}
	for _, t := range s.OAuthTokens {
		if s.User(t.User) == nil {
			return fmt.Errorf("oauth token of app %q names unknown user %q", t.AppName, t.User)
		}
	}
	for _, o := range s.Objects {
		if _, ok := builtinObjects[strings.ToLower(o.Name)]; ok {
			return fmt.Errorf("seed object %s is built in; describe it through users and organization", o.Name)
		}
		if len(o.KeyPrefix) != 3 {
			return fmt.Errorf("seed object %s: keyPrefix must have 3 characters", o.Name)
		}
	}
	return nil
}

// builtinObjects are materialised from Seed.Users and Seed.Organization.
var builtinObjects = map[string]bool{
	"user": true, "profile": true, "permissionset": true, "permissionsetassignment": true, "organization": true,
	"oauthtoken": true,
}
