package sftest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// org is the in-memory state; every access happens with Server.mu held.
type org struct {
	seed      *Seed
	now       func() time.Time
	apiUser   *User
	tables    map[string]*table // REST objects, lower-case name
	names     []string          // REST object names in describe-global order
	tooling   map[string]*table
	limits    map[string]*Limit
	versions  []string
	cursors   map[string]*cursor
	jobs      []*ingestJob
	queryJobs []*queryJob
	seq       int
	intern    interner      // the records' repeated values (record.go)
	retention time.Duration // SetJobRetention
}

type restSchema struct{ o *org }

func (s restSchema) table(name string) *table { return s.o.tables[strings.ToLower(name)] }

type toolingSchema struct{ o *org }

func (s toolingSchema) table(name string) *table { return s.o.tooling[strings.ToLower(name)] }

func (o *org) table(name string) *table {
	if t := o.tables[strings.ToLower(name)]; t != nil {
		return t
	}
	return o.tooling[strings.ToLower(name)]
}

func (o *org) userByID(id string) *User {
	for i := range o.seed.Users {
		if id15(o.seed.Users[i].ID) == id15(id) {
			return &o.seed.Users[i]
		}
	}
	return nil
}

func (o *org) nextSeq() int { o.seq++; return o.seq }

// version maps a path version ("v62.0", "latest") to "62.0" when the org serves it.
func (o *org) version(pathVer string) (string, bool) {
	if pathVer == "latest" {
		return o.versions[len(o.versions)-1], true
	}
	v, ok := strings.CutPrefix(pathVer, "v")
	if !ok {
		return "", false
	}
	for _, have := range o.versions {
		if have == v {
			return v, true
		}
	}
	return "", false
}

func boolField(name, label string) Field {
	return Field{Name: name, Label: label, Type: "boolean", Createable: true, Updateable: true, DefaultedOnCreate: true}
}

func textField(name, label string, length int) Field {
	return Field{Name: name, Label: label, Type: "string", Length: length, Createable: true, Updateable: true, Nillable: true}
}

func refField(name, label, to, rel string) Field {
	return Field{Name: name, Label: label, Type: "reference", Length: 18, Createable: true, Updateable: true, Nillable: true,
		ReferenceTo: []string{to}, RelationshipName: rel}
}

func stdObject(name, label, plural, prefix string, fields ...Field) Object {
	return Object{Name: name, Label: label, LabelPlural: plural, KeyPrefix: prefix, Queryable: true, Fields: fields}
}

func newOrg(seed *Seed, now func() time.Time) (*org, error) {
	o := &org{seed: seed, now: now, tables: map[string]*table{}, tooling: map[string]*table{}, limits: map[string]*Limit{},
		cursors: map[string]*cursor{}, intern: interner{}, retention: defaultJobRetention}
	o.apiUser = &seed.Users[0]
	if seed.APIUser != "" {
		o.apiUser = seed.User(seed.APIUser)
	}
	o.versions = seed.APIVersions
	if len(o.versions) == 0 {
		for v := 31; v <= 66; v++ {
			o.versions = append(o.versions, fmt.Sprintf("%d.0", v))
		}
	}
	for k, v := range seed.Limits {
		l := v
		o.limits[k] = &l
	}
	for name, max := range map[string]int{"DailyApiRequests": 15000, bulkBatchesLimit: 15000} {
		if o.limits[name] == nil {
			o.limits[name] = &Limit{Max: max, Remaining: max}
		}
	}
	objects := append(append([]Object{}, seed.Objects...), organizationObject(seed.Organization), oauthTokenObject(seed))
	for _, obj := range append(objects, userObjects(seed.Users)...) {
		if err := o.addTable(obj, false); err != nil {
			return nil, err
		}
	}
	for _, obj := range toolingObjects(seed.Packages) {
		if err := o.addTable(obj, true); err != nil {
			return nil, err
		}
	}
	// Users are the tooling API's too (CreatedBy in relationship paths).
	o.tooling["user"] = o.tables["user"]

	// Fill missing system fields of seeded records.
	created := now().UTC()
	for _, t := range o.tables {
		for _, rec := range t.records {
			t.fillSystem(rec, o.apiUser.ID, created)
		}
	}
	for _, t := range o.tooling {
		for _, rec := range t.records {
			t.fillSystem(rec, o.apiUser.ID, created)
		}
	}
	sort.SliceStable(o.names, func(i, j int) bool { return o.names[i] < o.names[j] })
	for i := range seed.Objects {
		seed.Objects[i].Records = nil // the server's copy: the tables hold them now
	}
	return o, nil
}

// addTable adds obj to the REST objects or, with tooling, to the Tooling objects.
func (o *org) addTable(obj Object, tooling bool) error {
	t, err := newTable(obj, tooling, o.intern)
	if err != nil {
		return err
	}
	if tooling {
		o.tooling[strings.ToLower(obj.Name)] = t
	} else {
		o.tables[strings.ToLower(obj.Name)] = t
		o.names = append(o.names, obj.Name)
	}
	return nil
}

// organizationObject is the Organization object with its single record.
func organizationObject(org Organization) Object {
	obj := stdObject("Organization", "Organization", "Organizations", "00D",
		textField("Name", "Name", 80), boolField("IsSandbox", "Is Sandbox"), textField("InstanceName", "Instance Name", 5),
		textField("OrganizationType", "Edition", 40), Field{Name: "TrialExpirationDate", Label: "Trial Expiration Date", Type: "datetime", Nillable: true})
	obj.Records = []map[string]any{{"Id": org.ID, "Name": org.Name, "IsSandbox": org.IsSandbox, "InstanceName": org.InstanceName, "OrganizationType": org.OrganizationType}}
	return obj
}

// oauthTokenObject is the OauthToken object with the seed's tokens: the connected app's
// name, the user who authorized it, when, and how often it was used since. Who may see
// which rows is decided at query time (tokenVisible).
func oauthTokenObject(seed *Seed) Object {
	obj := stdObject("OauthToken", "OAuth Token", "OAuth Tokens", "0CQ", textField("AppName", "Application Name", 255),
		refField("UserId", "User ID", "User", "User"), Field{Name: "LastUsedDate", Label: "Last Used Date", Type: "datetime", Nillable: true},
		Field{Name: "UseCount", Label: "Use Count", Type: "int", Nillable: true})
	for i, t := range seed.OAuthTokens {
		u := seed.User(t.User)
		rec := map[string]any{"Id": makeID("0CQ", i+1), "AppName": t.AppName, "UserId": u.ID, "UseCount": float64(t.UseCount),
			"CreatedDate": t.CreatedDate, "CreatedById": u.ID}
		if t.LastUsedDate != "" {
			rec["LastUsedDate"] = t.LastUsedDate
		}
		obj.Records = append(obj.Records, rec)
	}
	return obj
}

// tokenVisible reports whether user may see the OauthToken record rec of t: users with
// Customize Application (through the profile or a permission set) see every user's tokens,
// the others only their own (Object Reference, OauthToken, "Special Access Rules").
func tokenVisible(user *User, t *table, rec record) bool {
	if user == nil {
		return false
	}
	if user.Profile.PermissionsCustomizeApplication {
		return true
	}
	for _, ps := range user.PermissionSets {
		if ps.PermissionsCustomizeApplication {
			return true
		}
	}
	v, _ := rec.str(t.field("UserId"))
	return id15(v) == id15(user.ID)
}

// userObjects materialises Profile, PermissionSet, PermissionSetAssignment and User from
// the seed's users: each profile also owns a permission set (IsOwnedByProfile), assigned
// to its users like the other permission sets.
func userObjects(users []User) []Object {
	profObj := stdObject("Profile", "Profile", "Profiles", "00e", textField("Name", "Name", 255),
		boolField("PermissionsModifyAllData", "Modify All Data"), boolField("PermissionsViewAllData", "View All Data"),
		boolField("PermissionsCustomizeApplication", "Customize Application"))
	psObj := stdObject("PermissionSet", "Permission Set", "Permission Sets", "0PS", textField("Name", "Name", 80), textField("Label", "Label", 80),
		boolField("IsOwnedByProfile", "Is Owned By Profile"), refField("ProfileId", "Profile ID", "Profile", "Profile"),
		boolField("PermissionsModifyAllData", "Modify All Data"), boolField("PermissionsViewAllData", "View All Data"),
		boolField("PermissionsCustomizeApplication", "Customize Application"))
	psaObj := stdObject("PermissionSetAssignment", "Permission Set Assignment", "Permission Set Assignments", "0Pa",
		refField("AssigneeId", "Assignee ID", "User", "Assignee"), refField("PermissionSetId", "Permission Set ID", "PermissionSet", "PermissionSet"))
	userObj := stdObject("User", "User", "Users", "005", textField("Username", "Username", 80), textField("Name", "Full Name", 121),
		textField("FirstName", "First Name", 40), textField("LastName", "Last Name", 80),
		Field{Name: "Email", Label: "Email", Type: "email", Length: 128, Createable: true, Updateable: true},
		boolField("IsActive", "Active"), textField("UserType", "User Type", 40), refField("ProfileId", "Profile ID", "Profile", "Profile"))
	userObj.Fields[0].IDLookup = true
	seenProfile := map[string]bool{}
	seenPS := map[string]bool{}
	assign := func(userID, psID string) {
		psaObj.Records = append(psaObj.Records, map[string]any{"Id": makeID("0Pa", len(psaObj.Records)+1), "AssigneeId": userID, "PermissionSetId": psID})
	}
	for i, u := range users {
		userObj.Records = append(userObj.Records, userRecord(u))
		p := u.Profile
		ownedID := makeID("0PS", 900+i)
		if !seenProfile[p.ID] {
			seenProfile[p.ID] = true
			profObj.Records = append(profObj.Records, map[string]any{"Id": p.ID, "Name": p.Name,
				"PermissionsModifyAllData": p.PermissionsModifyAllData, "PermissionsViewAllData": p.PermissionsViewAllData,
				"PermissionsCustomizeApplication": p.PermissionsCustomizeApplication})
		}
		psObj.Records = append(psObj.Records, map[string]any{"Id": ownedID, "Name": "X00e" + strconv.Itoa(i) + "_profile", "Label": p.Name,
			"IsOwnedByProfile": true, "ProfileId": p.ID, "PermissionsModifyAllData": p.PermissionsModifyAllData,
			"PermissionsViewAllData": p.PermissionsViewAllData, "PermissionsCustomizeApplication": p.PermissionsCustomizeApplication})
		assign(u.ID, ownedID)
		for _, ps := range u.PermissionSets {
			if !seenPS[ps.ID] {
				seenPS[ps.ID] = true
				psObj.Records = append(psObj.Records, map[string]any{"Id": ps.ID, "Name": ps.Name, "Label": ps.Label, "IsOwnedByProfile": false,
					"PermissionsModifyAllData": ps.PermissionsModifyAllData, "PermissionsViewAllData": ps.PermissionsViewAllData,
					"PermissionsCustomizeApplication": ps.PermissionsCustomizeApplication})
			}
			assign(u.ID, ps.ID)
		}
	}
	return []Object{profObj, psObj, psaObj, userObj}
}

// userRecord is u's User record; FirstName is the part of Name before the first space.
func userRecord(u User) map[string]any {
	first, last, _ := strings.Cut(u.Name, " ")
	if last == "" {
		first, last = "", u.Name
	}
	userType := u.UserType
	if userType == "" {
		userType = "Standard"
	}
	return map[string]any{"Id": u.ID, "Username": u.Username, "Name": u.Name, "FirstName": first,
		"LastName": last, "Email": u.Email, "IsActive": u.IsActive, "UserType": userType, "ProfileId": u.Profile.ID}
}

// toolingObjects are the Tooling objects InstalledSubscriberPackage, SubscriberPackage and
// SubscriberPackageVersion, one record each per installed package.
func toolingObjects(packages []Package) []Object {
	isp := stdObject("InstalledSubscriberPackage", "Installed Subscriber Package", "Installed Subscriber Packages", "0A3",
		refField("SubscriberPackageId", "Subscriber Package ID", "SubscriberPackage", "SubscriberPackage"),
		refField("SubscriberPackageVersionId", "Subscriber Package Version ID", "SubscriberPackageVersion", "SubscriberPackageVersion"))
	sp := stdObject("SubscriberPackage", "Subscriber Package", "Subscriber Packages", "033",
		textField("Name", "Name", 255), textField("NamespacePrefix", "Namespace Prefix", 15), textField("Description", "Description", 255))
	num := func(name, label string) Field { return Field{Name: name, Label: label, Type: "int", Nillable: true} }
	spv := stdObject("SubscriberPackageVersion", "Subscriber Package Version", "Subscriber Package Versions", "04t",
		textField("Name", "Name", 255), num("MajorVersion", "Major Version"), num("MinorVersion", "Minor Version"),
		num("PatchVersion", "Patch Version"), num("BuildNumber", "Build Number"), boolField("IsOrgDependent", "Is Org Dependent"),
		textField("Package2ContainerOptions", "Package Container Options", 40))
	for _, p := range packages {
		var ns any
		if p.Namespace != "" {
			ns = p.Namespace
		}
		isp.Records = append(isp.Records, map[string]any{"Id": p.ID, "SubscriberPackageId": p.PackageID, "SubscriberPackageVersionId": p.VersionID})
		sp.Records = append(sp.Records, map[string]any{"Id": p.PackageID, "Name": p.Name, "NamespacePrefix": ns})
		spv.Records = append(spv.Records, map[string]any{"Id": p.VersionID, "Name": p.VersionName, "MajorVersion": float64(p.Major),
			"MinorVersion": float64(p.Minor), "PatchVersion": float64(p.Patch), "BuildNumber": float64(p.Build),
			"IsOrgDependent": false, "Package2ContainerOptions": "Managed"})
	}
	return []Object{isp, sp, spv}
}

// fillSystem sets the system fields of a seeded record that the seed left out.
func (t *table) fillSystem(rec record, userID string, at time.Time) {
	y := t.sys
	fill := func(f *Field, v any) {
		if rec.isNull(f) {
			t.set(rec, f, v)
		}
	}
	fill(y.createdBy, userID)
	fill(y.modBy, rec.get(y.createdBy))
	fill(y.createdDate, at)
	fill(y.modDate, rec.get(y.createdDate))
	fill(y.modstamp, rec.get(y.modDate))
}

// insert adds rec to t as a new record created by userID now.
func (o *org) insert(t *table, rec record, userID string) {
	now := o.now().UTC().Truncate(time.Millisecond)
	y := t.sys
	t.set(rec, y.id, makeID(t.obj.KeyPrefix, 100000+o.nextSeq()))
	t.set(rec, y.createdBy, userID)
	t.set(rec, y.modBy, userID)
	for _, f := range []*Field{y.createdDate, y.modDate, y.modstamp} {
		t.set(rec, f, now)
	}
	t.add(rec)
}

// touch marks rec of t modified by userID now.
func (o *org) touch(t *table, rec record, userID string) {
	now := o.now().UTC().Truncate(time.Millisecond)
	t.set(rec, t.sys.modBy, userID)
	t.set(rec, t.sys.modDate, now)
	t.set(rec, t.sys.modstamp, now)
}
