package backfill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Discovery (docs/CONTRACT.md §8) answers one question, for plan, import and preflight
// alike: where does the export go? Nothing about the Northpass package's API names is
// assumed: the namespace comes from the installed package, the object and the external id
// field from their labels, the mapping from the export's headers.

// TargetError says why the target cannot be found or used, and what to do (Fix, in the
// front end's [Words]); Option is the option that names the target by hand, when one does.
// Nothing was written to Salesforce; preflight shows it as a failing check.
type TargetError struct {
	Msg, Fix string
	Option   Option
}

func (e *TargetError) Error() string { return e.Msg }

func targetErr(fix, format string, args ...any) *TargetError {
	return &TargetError{Msg: fmt.Sprintf(format, args...), Fix: fix}
}

// by says which option fixes e.
func (e *TargetError) by(o Option) *TargetError { e.Option = o; return e }

// Package names the reconnection guide requires (docs/NORTHPASS.md §1.2).
const (
	northpassPackage = "northpass"
	connectorPackage = "data connector"
)

// Fix for objects and fields this user cannot see or write.
const fixAccess = "assign the Northpass Standard User permission set to the integration user and check field-level security " +
	"(Setup > Object Manager > Enrollment > Fields & Relationships)"

// northpassPackageOf returns the installed Northpass package (the one named "Northpass",
// not the Data Connector).
func northpassPackageOf(pkgs []sfclient.InstalledPackage) (sfclient.InstalledPackage, bool) {
	for _, p := range pkgs {
		n := strings.ToLower(p.Name)
		if strings.Contains(n, northpassPackage) && !strings.Contains(n, connectorPackage) {
			return p, true
		}
	}
	return sfclient.InstalledPackage{}, false
}

// dataConnectorOf finds the Gainsight Northpass Data Connector (case-insensitive).
func dataConnectorOf(pkgs []sfclient.InstalledPackage) (sfclient.InstalledPackage, bool) {
	for _, p := range pkgs {
		n := strings.ToLower(p.Name)
		if strings.Contains(n, northpassPackage) && strings.Contains(n, connectorPackage) {
			return p, true
		}
	}
	return sfclient.InstalledPackage{}, false
}

// discover finds the target: the object (to.Object, or the object labelled "Enrollment" in
// the Northpass namespace), its external id field (to.ExternalIDField, or the External ID
// field labelled "External id") and, when h is not nil, the mapping of the export's columns
// (the .sdl of to.Mapping, else API names, else labels; chosenDates says the cutoff columns
// were chosen, not detected). pkgs are the installed packages when the caller already
// listed them, else nil. Problems the user can fix are a *[TargetError]. Once the object is
// described the target is returned even with an error, so that preflight can go on checking
// the object.
func discover(ctx context.Context, sf Salesforce, w Words, to TargetOptions, chosenDates bool, h *csvdiff.Header, pkgs []sfclient.InstalledPackage) (*Target, error) {
	object, ns := to.Object, ""
	if object == "" {
		var err error
		if object, ns, err = findObject(ctx, sf, w, pkgs); err != nil {
			return nil, err
		}
	}
	d, err := sf.Describe(ctx, object)
	if err != nil {
		var ae *sfclient.APIError
		if errors.As(err, &ae) && ae.StatusCode == 404 {
			return nil, targetErr(fixAccess+"; or check "+w.Option(OptObject, ""), "object %s does not exist or is not visible to this user", object).by(OptObject)
		}
		return nil, err
	}
	t := targetFromDescribe(d)
	t.Namespace = ns
	if err := t.chooseExternalID(w, to.ExternalIDField); err != nil {
		return t, err
	}
	if h == nil {
		return t, nil
	}
	return t, t.mapExport(w, to.Mapping, chosenDates, h)
}

// mapExport maps the export's columns (header h) to the target's fields, through the .sdl
// file mapping when given; chosenDates says the cutoff columns were chosen, not detected.
func (t *Target) mapExport(w Words, mapping string, chosenDates bool, h *csvdiff.Header) error {
	var sdl *Mapping
	if mapping != "" {
		var err error
		if sdl, err = readMapping(w, mapping); err != nil {
			return err
		}
	}
	t.header = h
	return t.mapColumns(w, h, columnRoles(h, chosenDates), sdl, mapping)
}

// findObject finds the object labelled "Enrollment" in the installed Northpass package's
// namespace. pkgs may be nil: then the packages are listed.
func findObject(ctx context.Context, sf Salesforce, w Words, pkgs []sfclient.InstalledPackage) (object, ns string, err error) {
	if pkgs == nil {
		if pkgs, err = sf.InstalledPackages(ctx); err != nil {
			return "", "", fmt.Errorf("list installed packages: %w", err)
		}
	}
	pkg, ok := northpassPackageOf(pkgs)
	if !ok || pkg.Namespace == "" {
		return "", "", targetErr(fmt.Sprintf("install or upgrade the Northpass package (run %s), or name the object with %s",
			w.Command(CmdPreflight, ""), w.Option(OptObject, "")), "the Northpass package is not installed in this org").by(OptObject)
	}
	g, err := sf.DescribeGlobal(ctx)
	if err != nil {
		return "", "", fmt.Errorf("list the org's objects: %w", err)
	}
	matches, inNS := enrollmentObjects(g, pkg.Namespace)
	switch len(matches) {
	case 1:
		return matches[0], pkg.Namespace, nil
	case 0:
		list := "none visible"
		if len(inNS) > 0 {
			list = strings.Join(inNS, ", ")
		}
		return "", "", targetErr(fixAccess+"; or name the object with "+w.Option(OptObject, ""),
			"no object labelled \"Enrollment\" in namespace %s (objects there: %s)", pkg.Namespace, list).by(OptObject)
	}
	return "", "", targetErr("choose one with "+w.Option(OptObject, ""), "several objects labelled \"Enrollment\" in namespace %s: %s",
		pkg.Namespace, strings.Join(matches, ", ")).by(OptObject)
}

// enrollmentObjects returns the objects of namespace ns labelled "Enrollment", and every
// object of the namespace as "Name (Label)" for messages.
func enrollmentObjects(g *sfclient.GlobalDescribe, ns string) (matches, inNS []string) {
	prefix := strings.ToLower(ns) + "__"
	for _, o := range g.SObjects {
		if !strings.HasPrefix(strings.ToLower(o.Name), prefix) {
			continue
		}
		inNS = append(inNS, fmt.Sprintf("%s (%q)", o.Name, o.Label))
		if csvdiff.FoldName(o.Label) == "enrollment" {
			matches = append(matches, o.Name)
		}
	}
	return matches, inNS
}

// targetFromDescribe builds a [Target] with the object's fields and no mapping.
func targetFromDescribe(d *sfclient.SObjectDescribe) *Target {
	t := &Target{Object: d.Name, ObjectLabel: d.Label, Createable: d.Createable, Updateable: d.Updateable,
		Fields: make(map[string]*sfclient.Field, len(d.Fields))}
	for i := range d.Fields {
		f := &d.Fields[i]
		t.Fields[strings.ToLower(f.Name)] = f
		t.order = append(t.order, f)
	}
	return t
}

// chooseExternalID picks the upsert key: the override, else the field with externalId=true
// labelled "External id". Several candidates and no override stop with the list.
func (t *Target) chooseExternalID(w Words, override string) error {
	if override != "" {
		f := t.Field(override)
		if f == nil {
			return targetErr("check "+w.Option(OptExternalIDField, ""), "%s has no field %s", t.Object, override).by(OptExternalIDField)
		}
		if !f.ExternalID && !strings.EqualFold(f.Name, "Id") {
			return targetErr("choose a field marked External ID", "%s.%s is not an External ID field", t.Object, f.Name).by(OptExternalIDField)
		}
		t.ExternalIDField = f.Name
		return nil
	}
	var labelled, all []string
	for _, f := range t.Fields {
		if !f.ExternalID {
			continue
		}
		all = append(all, f.Name)
		if csvdiff.FoldName(f.Label) == "externalid" {
			labelled = append(labelled, f.Name)
		}
	}
	sort.Strings(labelled)
	sort.Strings(all)
	switch {
	case len(labelled) == 1:
		t.ExternalIDField = labelled[0]
		return nil
	case len(labelled) > 1:
		return targetErr("choose one with "+w.Option(OptExternalIDField, ""), "several External ID fields labelled \"External id\" on %s: %s",
			t.Object, strings.Join(labelled, ", ")).by(OptExternalIDField)
	}
	if len(all) == 0 {
		return targetErr("check "+w.Option(OptObject, "")+": the Northpass Enrollment object has an External ID field; an upsert needs one",
			"%s has no External ID field: it cannot be upserted", t.Object).by(OptObject)
	}
	return targetErr("name it with "+w.Option(OptExternalIDField, "")+"; External ID fields: "+strings.Join(all, ", "),
		"no External ID field labelled \"External id\" on %s", t.Object).by(OptExternalIDField)
}

// readMapping reads a Data Loader .sdl mapping file.
func readMapping(w Words, path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, targetErr("check "+w.Option(OptMapping, ""), "read the mapping file: %v", err).by(OptMapping)
	}
	defer f.Close()
	m, err := ParseSDL(f, path)
	if err != nil {
		return nil, targetErr("fix the mapping file (Data Loader .sdl: CSV Header=Field__c lines)", "%v", err).by(OptMapping)
	}
	return m, nil
}

// logTarget logs what discovery chose, at debug level: the summary prints it for people.
func logTarget(log *zap.Logger, t *Target) {
	for _, c := range t.Columns {
		log.Debug("column mapped", zap.String("column", c.Column), zap.String("field", c.Field.Name), zap.String("by", c.Source))
	}
	for _, u := range t.Unmapped {
		log.Debug("column left out", zap.String("column", u.Column), zap.String("why", u.Why))
	}
	if miss := t.missingRequired(); len(miss) > 0 {
		log.Warn("required fields are not mapped: new records will fail", zap.Strings("fields", miss))
	}
	log.Info("target", zap.String("object", t.Object), zap.String("external_id_field", t.ExternalIDField),
		zap.Int("mapped_columns", len(t.Columns)), zap.Int("left_out", len(t.Unmapped)))
}
