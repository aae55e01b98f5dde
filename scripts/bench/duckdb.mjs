// DuckDB through Node, for make bench: runs each argument as one SQL statement, in order,
// in an in-memory database (@duckdb/node-api, pinned in package.json), and prints as JSON
// what duckdb-native/run.c prints: DuckDB's version, each statement's rows changed, the
// first row of the last statement's result (a SELECT), the time from before the database is opened
// to after it is closed (in_process_s) and the time Node took to load the module before
// that (load_s). The statements are the job's formulations in DuckDB, written by
// scripts/bench (duckdb.go).
//
//   node duckdb.mjs STATEMENT...
const t0 = performance.now();
const { DuckDBInstance } = await import('@duckdb/node-api');
const t1 = performance.now();
const statements = process.argv.slice(2);
if (statements.length === 0) {
  console.error('usage: node duckdb.mjs STATEMENT...');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const changed = [];
let last = {};
for (const [i, sql] of statements.entries()) {
  if (i < statements.length - 1) {
    changed.push((await con.run(sql)).rowsChanged);
    continue;
  }
  const reader = await con.runAndReadAll(sql); // a SELECT: it changes no rows
  changed.push(0);
  const rows = reader.getRowObjectsJson();
  if (rows.length > 0) {
    last = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, String(v)]));
  }
}
const version = (await con.runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0].v;
con.closeSync();
db.closeSync();
const t2 = performance.now();
console.log(JSON.stringify({ duckdb: version, changed, last, in_process_s: (t2 - t1) / 1000, load_s: (t1 - t0) / 1000 }));
