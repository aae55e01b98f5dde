#!/usr/bin/env bash
# Runs the real Salesforce CLI (sf, installed by npm in this folder's node_modules with the
# Node 22 of the npm package "node") against a running `backfill org` and checks what it
# prints. Usage: INSTANCE_URL=... ACCESS_TOKEN=... scripts/sf-check/check.sh
# (`make sf-check` installs the CLI, starts the emulator and calls this.)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${INSTANCE_URL:?set INSTANCE_URL}" "${ACCESS_TOKEN:?set ACCESS_TOKEN}"
node="$here/node_modules/node/bin/node"
sf_js="$here/node_modules/@salesforce/cli/bin/run.js"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Nothing may touch the user's sf config, keychain or telemetry; the CLI must not update.
export HOME="$work/home" SF_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true SF_USE_GENERIC_UNIX_KEYCHAIN=true
export SF_ACCESS_TOKEN="$ACCESS_TOKEN" PATH="$here/node_modules/node/bin:$here/node_modules/.bin:$PATH"
mkdir -p "$HOME"
cd "$work"

sf() { "$node" "$sf_js" "$@" --json 2>"$work/stderr" || true; }
ok() { echo "ok   $*"; }
# check FILE JS: runs JS with r = the JSON in FILE; JS throws (assert) to fail.
check() {
	"$node" -e "const assert=require('node:assert/strict'); const r=JSON.parse(require('fs').readFileSync('$1','utf8')); $2" ||
		{ echo "sf-check: unexpected output of $1:"; cat "$1"; cat "$work/stderr"; exit 1; }
}

echo "sf-check: $("$node" "$sf_js" --version) against $INSTANCE_URL"

sf org login access-token --instance-url "$INSTANCE_URL" --no-prompt --alias emu > login.json
check login.json "assert.equal(r.status, 0); assert.equal(r.result.username, 'northpass.integration@demo.example.com'); assert.equal(r.result.orgId, '00D5g0000000001EAA')"
ok "org login access-token: $("$node" -p "JSON.parse(require('fs').readFileSync('login.json')).result.username")"

sf data query --query "SELECT Id, Email, CreatedBy.Name FROM Contact ORDER BY Email" --target-org emu > query.json
check query.json "assert.equal(r.status, 0); assert.ok(r.result.totalSize > 2000, 'paged query: ' + r.result.totalSize); assert.equal(r.result.records.length, r.result.totalSize); assert.equal(typeof r.result.records[0].CreatedBy.Name, 'string')"
"$node" "$sf_js" data query --query "SELECT Id, Email, CreatedBy.Name FROM Contact ORDER BY Email LIMIT 2" --target-org emu > table.txt 2>"$work/stderr"
grep -q 'CREATEDBY.NAME' table.txt || { echo "sf-check: data query table lacks the CreatedBy.Name column (columns=true):"; cat table.txt; exit 1; }
ok "data query: $("$node" -p "JSON.parse(require('fs').readFileSync('query.json')).result.totalSize") Contacts, table columns from columns=true"

cat > upsert.csv <<'CSV'
nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c,nplms__Status__c,nplms__Updated_At__c
sf-new-1,new.learner@example.com,course-101,enrolled,2026-02-01T00:00:00Z
CA3018CC-52FA-4DB6-966D-D3BF303D804C,ava.park@example.com,course-101,completed,2026-02-01T00:00:00Z
8763d5b1-52f1-406c-8106-3304fafa8342,kenji.muller@example.com,course-101,completed,2025-01-01T00:00:00Z
CSV
# (Course ID is required on insert, as the package's Enrollment has it.)
sf data upsert bulk --sobject nplms__Enrollment__c --file upsert.csv --external-id nplms__External_Id__c --wait 5 --target-org emu > upsert.json
# One row fails (old timestamp): sf exits 1 with FailedRecordDetailsError and the job id.
check upsert.json "assert.equal(r.name, 'FailedRecordDetailsError'); assert.equal(r.data.state, 'JobComplete'); assert.match(r.data.jobId, /^750/)"
job=$("$node" -p "JSON.parse(require('fs').readFileSync('upsert.json')).data.jobId")
ok "data upsert bulk: job $job complete, 1 row refused"

sf data bulk results --job-id "$job" --target-org emu > results.json
check results.json "assert.equal(r.status, 0); assert.equal(r.result.processedRecords, 3); assert.equal(r.result.successfulRecords, 2); assert.equal(r.result.failedRecords, 1)"
grep -q '"CA3018CC-52FA-4DB6-966D-D3BF303D804C"' "$job-success-records.csv" || { echo "sf-check: success file:"; cat "$job-success-records.csv"; exit 1; }
grep -q '"false"' "$job-success-records.csv" || { echo "sf-check: the upper-case key did not update the stored record"; cat "$job-success-records.csv"; exit 1; }
grep -q 'FIELD_CUSTOM_VALIDATION_EXCEPTION:Cannot update record due to old timestamp' "$job-failed-records.csv" ||
	{ echo "sf-check: failed file:"; cat "$job-failed-records.csv"; exit 1; }
ok "data bulk results: 2 successful (the upper-case key updated), 1 failed (old timestamp)"

sf data export bulk --query "SELECT Id, nplms__External_Id__c FROM nplms__Enrollment__c" --output-file export.csv --wait 5 --target-org emu > export.json
check export.json "assert.equal(r.status, 0); assert.equal(r.result.totalSize, 13)"
[ "$(head -n 1 export.csv)" = '"Id","nplms__External_Id__c"' ] && [ "$(wc -l < export.csv)" -eq 14 ] ||
	{ echo "sf-check: export.csv:"; cat export.csv; exit 1; }
ok "data export bulk: 13 Enrollments to CSV"
echo "sf-check: ok"
