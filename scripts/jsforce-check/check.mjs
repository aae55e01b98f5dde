// Runs jsforce against a backfill org emulator and asserts the results.
// Usage: INSTANCE_URL=... ACCESS_TOKEN=... node check.mjs
// The emulator must be started with --extra-contacts 2500 (or more) so the query pages.
import assert from 'node:assert/strict';
import jsforce from 'jsforce';

const instanceUrl = process.env.INSTANCE_URL;
const accessToken = process.env.ACCESS_TOKEN;
if (!instanceUrl || !accessToken) {
  console.error('set INSTANCE_URL and ACCESS_TOKEN');
  process.exit(2);
}
const conn = new jsforce.Connection({ instanceUrl, accessToken, version: '62.0' });
const object = 'nplms__Enrollment__c';
const ok = (msg) => console.log(`ok   ${msg}`);

// 1. Paged SOQL query with autoFetch (> 2000 records: follows nextRecordsUrl).
const count = await conn.query('SELECT COUNT() FROM Contact');
assert.ok(count.totalSize > 2000, `need > 2000 Contacts, have ${count.totalSize}`);
const records = [];
const res = await conn
  .query('SELECT Id, Email, CreatedBy.Name FROM Contact ORDER BY Email')
  .on('record', (r) => records.push(r))
  .run({ autoFetch: true, maxFetch: 100000 });
assert.equal(records.length, count.totalSize);
assert.equal(new Set(records.map((r) => r.Id)).size, count.totalSize);
assert.equal(records[0].attributes.type, 'Contact');
assert.equal(typeof records[0].CreatedBy.Name, 'string');
ok(`query autoFetch: ${records.length} Contacts over ${Math.ceil(records.length / 2000)} pages (totalSize ${res.totalSize ?? count.totalSize})`);

// 2. Tooling query of installed packages.
const pk = await conn.tooling.query(
  'SELECT Id, SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersion.MajorVersion, ' +
    'SubscriberPackageVersion.MinorVersion FROM InstalledSubscriberPackage',
);
const np = pk.records.find((r) => r.SubscriberPackage.Name === 'Northpass');
assert.ok(np, 'Northpass package installed');
assert.equal(np.SubscriberPackage.NamespacePrefix, 'nplms');
assert.equal(`${np.SubscriberPackageVersion.MajorVersion}.${np.SubscriberPackageVersion.MinorVersion}`, '2.1');
ok(`tooling query: ${pk.totalSize} packages, Northpass ${np.SubscriberPackageVersion.MajorVersion}.${np.SubscriberPackageVersion.MinorVersion} (nplms)`);

// 3. Describe global and the Enrollment object.
const global = await conn.describeGlobal();
assert.ok(global.sobjects.some((o) => o.name === object && o.label === 'Enrollment'));
const desc = await conn.sobject(object).describe();
const ext = desc.fields.find((f) => f.label === 'External id');
assert.equal(ext.name, 'nplms__External_Id__c');
assert.equal(ext.externalId, true);
const status = desc.fields.find((f) => f.label === 'Status');
assert.equal(status.restrictedPicklist, true);
ok(`describe: ${desc.fields.length} fields, external id ${ext.name}`);

// 4. Bulk API 2.0 upsert with results.
// Course ID is required on insert (the package's Enrollment needs it).
const header = 'nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c,nplms__Status__c,nplms__Updated_At__c';
const csv = [
  header,
  'jsforce-new-1,new.learner@example.com,course-101,enrolled,2026-02-01T00:00:00Z', // created
  'ca3018cc-52fa-4db6-966d-d3bf303d804c,ava.park@example.com,course-101,completed,2026-02-01T00:00:00Z', // updated
  '8763d5b1-52f1-406c-8106-3304fafa8342,kenji.muller@example.com,course-101,completed,2025-01-01T00:00:00Z', // old timestamp
  'jsforce-new-2,second@example.com,course-101,not_a_status,2026-02-01T00:00:00Z', // restricted picklist
].join('\n') + '\n';
const out = await conn.bulk2.loadAndWaitForResults({
  object,
  operation: 'upsert',
  externalIdFieldName: 'nplms__External_Id__c',
  input: csv,
  pollInterval: 100,
  pollTimeout: 30000,
});
const byKey = (rows) => Object.fromEntries(rows.map((r) => [r.nplms__External_Id__c, r]));
const succ = byKey(out.successfulResults);
const fail = byKey(out.failedResults);
assert.equal(out.successfulResults.length, 2);
assert.equal(out.failedResults.length, 2);
assert.equal(String(succ['jsforce-new-1'].sf__Created), 'true');
assert.equal(String(succ['ca3018cc-52fa-4db6-966d-d3bf303d804c'].sf__Created), 'false');
assert.match(succ['jsforce-new-1'].sf__Id, /^a0E/);
assert.match(fail['8763d5b1-52f1-406c-8106-3304fafa8342'].sf__Error, /^FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp/);
assert.match(fail['jsforce-new-2'].sf__Error, /^INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:/);
assert.equal(out.unprocessedRecords.length, 0);
ok('bulk2 upsert: 1 created, 1 updated, 2 failed (old timestamp, restricted picklist)');

const after = await conn.query(`SELECT nplms__Status__c FROM ${object} WHERE nplms__External_Id__c = 'ca3018cc-52fa-4db6-966d-d3bf303d804c'`);
assert.equal(after.records[0].nplms__Status__c, 'completed');
ok('query after upsert sees the update');
console.log('jsforce-check: all checks passed');
