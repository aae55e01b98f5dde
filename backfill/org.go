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

// connect logs in to the org named by cfg.Org.
func connect(ctx context.Context, cfg *Config) (*sfclient.Client, error) {
	c, err := sfclient.New(ctx, cfg.Org, cfg.logger())
	if err != nil {
		return nil, &ExitError{Code: ExitRuntime, Err: fmt.Errorf("log in to Salesforce: %w", err),
			Hint: "check --target-org / --instance-url and the SF_* environment variables (backfill plan --help lists them)"}
	}
	return c, nil
}

// Package names the reconnection guide requires (DOMAIN.md section 2).
const (
	northpassPackage = "northpass"
	connectorPackage = "data connector"
)

// northpassNamespace returns the namespace of the installed Northpass package (the one
// named "Northpass", not the Data Connector), or "".
func northpassNamespace(pkgs []sfclient.InstalledPackage) (sfclient.InstalledPackage, bool) {
	for _, p := range pkgs {
		n := strings.ToLower(p.Name)
		if strings.Contains(n, northpassPackage) && !strings.Contains(n, connectorPackage) {
			return p, true
		}
	}
	return sfclient.InstalledPackage{}, false
}

// discover finds the object, its external id field and the column mapping (DESIGN.md
// section 4). Nothing about the package's API names is assumed: the namespace comes from the
// installed package, the object and the field from their labels.
func discover(ctx context.Context, c *sfclient.Client, h *csvdiff.Header, cfg *Config, log *zap.Logger) (*Target, error) {
	t := &Target{Object: cfg.Object}
	if t.Object == "" {
		pkgs, err := c.InstalledPackages(ctx)
		if err != nil {
			return nil, fmt.Errorf("list installed packages: %w", err)
		}
		pkg, ok := northpassNamespace(pkgs)
		if !ok || pkg.Namespace == "" {
			return nil, UsageError("install or upgrade the Northpass package (run backfill preflight), or name the object with --object",
				"the Northpass package is not installed in this org")
		}
		t.Namespace = pkg.Namespace
		g, err := c.DescribeGlobal(ctx)
		if err != nil {
			return nil, err
		}
		matches, inNS := enrollmentObjects(g, pkg.Namespace)
		switch len(matches) {
		case 1:
			t.Object = matches[0]
		case 0:
			return nil, UsageError("name the object with --object; objects in the namespace: "+strings.Join(inNS, ", "),
				"no object labelled \"Enrollment\" in namespace %s", pkg.Namespace)
		default:
			return nil, UsageError("choose one with --object", "several objects labelled \"Enrollment\" in namespace %s: %s", pkg.Namespace, strings.Join(matches, ", "))
		}
	}
	d, err := c.Describe(ctx, t.Object)
	if err != nil {
		var ae *sfclient.APIError
		if errors.As(err, &ae) && ae.StatusCode == 404 {
			return nil, UsageError("check --object, and that the integration user has the Northpass permission set", "object %s does not exist or is not visible to this user", t.Object)
		}
		return nil, err
	}
	described := targetFromDescribe(d)
	t.Object, t.ObjectLabel, t.Fields = described.Object, described.ObjectLabel, described.Fields
	if err := t.chooseExternalID(cfg.ExternalIDField); err != nil {
		return nil, err
	}
	var sdl *Mapping
	if cfg.MappingFile != "" {
		f, err := os.Open(cfg.MappingFile)
		if err != nil {
			return nil, inputError(err)
		}
		sdl, err = ParseSDL(f, cfg.MappingFile)
		f.Close()
		if err != nil {
			return nil, UsageError("fix the mapping file (Data Loader .sdl: CSV Header=Field__c lines)", "%v", err)
		}
	}
	if err := t.mapColumns(h, sdl, cfg.MappingFile); err != nil {
		return nil, err
	}
	for _, c := range t.Columns {
		log.Info("column mapped", zap.String("column", c.Column), zap.String("field", c.Field.Name), zap.String("by", c.Source))
	}
	for _, u := range t.Unmapped {
		log.Info("column left out", zap.String("column", u.Column), zap.String("why", u.Why))
	}
	if miss := t.missingRequired(); len(miss) > 0 {
		log.Warn("required fields are not mapped: new records will fail", zap.Strings("fields", miss))
	}
	log.Info("target", zap.String("object", t.Object), zap.String("external_id_field", t.ExternalIDField))
	return t, nil
}

// chooseExternalID picks the upsert key: the override, else the field with externalId=true
// labelled "External id". Several candidates and no override stop with the list.
func (t *Target) chooseExternalID(override string) error {
	if override != "" {
		f := t.Field(override)
		if f == nil {
			return UsageError("check --external-id-field", "%s has no field %s", t.Object, override)
		}
		if !f.ExternalID && !strings.EqualFold(f.Name, "Id") {
			return UsageError("choose a field marked External ID", "%s.%s is not an External ID field", t.Object, f.Name)
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
		if labelKey(f.Label) == "externalid" {
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
		return UsageError("choose one with --external-id-field", "several External ID fields labelled \"External id\" on %s: %s", t.Object, strings.Join(labelled, ", "))
	}
	return UsageError("name it with --external-id-field; External ID fields: "+strings.Join(all, ", "),
		"no External ID field labelled \"External id\" on %s", t.Object)
}

// queryPageSize is the REST query batch size (Salesforce's default and maximum).
const queryPageSize = 2000

// keyChunk bounds how many candidate keys are held as strings at once while building IN
// queries.
const keyChunk = 20000

// lookupExisting asks Salesforce which candidate keys exist, with the Id and the compared
// fields of each. It uses batched IN queries on the external id, or one full scan of the
// object when that costs fewer API calls.
func lookupExisting(ctx context.Context, c *sfclient.Client, t *Target, idx *csvdiff.Index, log *zap.Logger) (*existingSet, error) {
	ex := newExistingSet(t, idx.NumCandidates()/4)
	if idx.NumCandidates() == 0 {
		return ex, nil
	}
	fields := []string{"Id", t.ExternalIDField}
	for _, cf := range ex.compared {
		fields = append(fields, cf.field)
	}
	sel := "SELECT " + strings.Join(fields, ", ") + " FROM " + t.Object
	prefix := sel + " WHERE " + t.ExternalIDField + " IN "

	inCalls := 0
	err := eachKeyChunk(idx, func(keys []string) error {
		return sfclient.InBatches(prefix, "", keys, func(string) error { inCalls++; return nil })
	})
	if err != nil {
		return nil, err
	}
	total, err := c.Count(ctx, "SELECT COUNT() FROM "+t.Object)
	if err != nil {
		return nil, fmt.Errorf("count %s: %w", t.Object, err)
	}
	scanCalls := (total + queryPageSize - 1) / queryPageSize
	add := func(r sfclient.Record) error {
		key := r.String(t.ExternalIDField)
		if key == "" {
			return nil
		}
		if !idx.IsCandidate([]byte(key)) {
			return nil
		}
		return ex.add(key, r.String("Id"), func(field string) any { v, _ := r.Get(field); return v })
	}
	if scanCalls < inCalls {
		log.Info("existence check: full scan", zap.Int("records", total), zap.Int("calls", scanCalls), zap.Int("in_query_calls", inCalls))
		if err := c.Query(ctx, sel, add); err != nil {
			return nil, fmt.Errorf("scan %s: %w", t.Object, err)
		}
	} else {
		log.Info("existence check: IN queries", zap.Int("candidates", idx.NumCandidates()), zap.Int("calls", inCalls), zap.Int("full_scan_calls", scanCalls))
		err := eachKeyChunk(idx, func(keys []string) error {
			return sfclient.InBatches(prefix, "", keys, func(soql string) error { return c.Query(ctx, soql, add) })
		})
		if err != nil {
			return nil, fmt.Errorf("look up existing %s: %w", t.Object, err)
		}
	}
	log.Info("existing records found", zap.Int("count", ex.set.Len()))
	return ex, nil
}

// eachKeyChunk calls fn with the candidate keys, keyChunk at a time.
func eachKeyChunk(idx *csvdiff.Index, fn func(keys []string) error) error {
	keys := make([]string, 0, min(keyChunk, idx.NumCandidates()))
	var err error
	idx.Candidates(func(k []byte) bool {
		keys = append(keys, string(k))
		if len(keys) == keyChunk {
			err = fn(keys)
			keys = keys[:0]
		}
		return err == nil
	})
	if err == nil && len(keys) > 0 {
		err = fn(keys)
	}
	return err
}

// enrollmentObjects returns the objects of namespace ns labelled "Enrollment", and every
// object of the namespace as "Name (Label)" for messages (DESIGN.md section 4).
func enrollmentObjects(g *sfclient.GlobalDescribe, ns string) (matches, inNS []string) {
	prefix := strings.ToLower(ns) + "__"
	for _, o := range g.SObjects {
		if !strings.HasPrefix(strings.ToLower(o.Name), prefix) {
			continue
		}
		inNS = append(inNS, fmt.Sprintf("%s (%q)", o.Name, o.Label))
		if labelKey(o.Label) == "enrollment" {
			matches = append(matches, o.Name)
		}
	}
	return matches, inNS
}

// targetFromDescribe builds a [Target] with the object's fields and no mapping.
func targetFromDescribe(d *sfclient.SObjectDescribe) *Target {
	t := &Target{Object: d.Name, ObjectLabel: d.Label, Fields: make(map[string]*Field, len(d.Fields))}
	for _, f := range d.Fields {
		fd := &Field{Name: f.Name, Label: f.Label, Type: f.Type, Length: f.Length, Createable: f.Createable,
			Updateable: f.Updateable, Nillable: f.Nillable, DefaultedOnCreate: f.DefaultedOnCreate,
			ExternalID: f.ExternalID, Restricted: f.RestrictedPicklist}
		for _, v := range f.PicklistValues {
			if v.Active {
				fd.Picklist = append(fd.Picklist, v.Value)
			}
		}
		t.Fields[strings.ToLower(f.Name)] = fd
	}
	return t
}
