package sftest

import (
	"fmt"
	"strings"
)

// DeletedRecords returns copies of object's records in the Recycle Bin (soft-deleted by a
// Bulk delete job or [Server.DeleteRecord]; IsDeleted true), in insertion order, in the
// form of [Server.Records]. query leaves them out; queryAll returns them.
func (s *Server) DeletedRecords(object string) []map[string]any { return s.recordMaps(object, true) }

// EditRecord changes the record id of object as a person would in the Salesforce UI: it
// sets values (field API name to value, typed as for [Server.AddRecord]; nil sets null),
// and stamps LastModifiedDate and SystemModstamp with the server clock and
// LastModifiedById with an admin of the seed other than the API user. No validation rule
// runs (the old-timestamp rule is the package's, for API loads).
func (s *Server) EditRecord(object, id string, values map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, rec, err := s.liveRecord(object, id)
	if err != nil {
		return err
	}
	conv := map[*Field]any{}
	for k, v := range values {
		f := t.field(k)
		if f == nil {
			return fmt.Errorf("sftest: EditRecord: object %s has no field %s", t.obj.Name, k)
		}
		cv, err := storedValue(f, v)
		if err != nil {
			return fmt.Errorf("sftest: EditRecord: field %s: %w", f.Name, err)
		}
		conv[f] = cv
	}
	for f, v := range conv {
		t.set(rec, f, v)
	}
	s.org.touch(t, rec, s.org.uiUser().ID)
	return nil
}

// DeleteRecord deletes the record id of object as a person would in the UI: it goes to
// the Recycle Bin (see [Server.DeletedRecords]), modified by the same admin as
// [Server.EditRecord].
func (s *Server) DeleteRecord(object, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, rec, err := s.liveRecord(object, id)
	if err != nil {
		return err
	}
	rec.deleted = true
	s.org.touch(t, rec, s.org.uiUser().ID)
	return nil
}

// liveRecord finds a record that is not in the Recycle Bin; s.mu is held.
func (s *Server) liveRecord(object, id string) (*table, record, error) {
	t := s.currentTable(object)
	if t == nil {
		return nil, nil, fmt.Errorf("sftest: no object %s", object)
	}
	rec := t.get(id)
	switch {
	case rec == nil:
		return nil, nil, fmt.Errorf("sftest: object %s has no record %s", t.obj.Name, id)
	case rec.deleted:
		return nil, nil, fmt.Errorf("sftest: record %s of %s is deleted", id, t.obj.Name)
	}
	return t, rec, nil
}

// uiUser is the person who edits records in the UI: the first active user with Modify All
// Data other than the API user, else the first other user, else the API user.
func (o *org) uiUser() *User {
	var other *User
	for i := range o.seed.Users {
		u := &o.seed.Users[i]
		if strings.EqualFold(u.ID, o.apiUser.ID) {
			continue
		}
		if u.IsActive && u.Profile.PermissionsModifyAllData {
			return u
		}
		if other == nil {
			other = u
		}
	}
	if other != nil {
		return other
	}
	return o.apiUser
}
