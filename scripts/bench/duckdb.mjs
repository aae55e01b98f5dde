// The reference job as SQL in DuckDB, for make bench to compare backfill clean with:
// read the export, drop the rows enrolled before the cutoff (and those without a key or a
// readable date, which backfill rejects), keep the row with the latest "Updated At" per key,
// anti-join the existing keys, write OUT_DIR/to_import.csv and print the counts and DuckDB's
// version as JSON. Values are read as text and written back as they were.
//
//   node duckdb.mjs EXPORT EXISTING OUT_DIR CUTOFF(RFC 3339)
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';

const [exportPath, existingPath, outDir, cutoff] = process.argv.slice(2);
if (!cutoff) {
  console.error('usage: node duckdb.mjs EXPORT EXISTING OUT_DIR CUTOFF');
  process.exit(2);
}
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const csv = (p) => `read_csv(${lit(p)}, header = true, all_varchar = true)`;
const enrolled = `TRY_CAST("Enrollment Date" AS TIMESTAMPTZ)`;
const usable = `"External Id" IS NOT NULL AND ${enrolled} IS NOT NULL`;

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const one = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson()[0];

// Two scans of the export, as backfill makes two passes: the rows to consider, then the counts
// (DuckDB reads only the two columns the counts need). One scan into a table of every row
// was slower and took twice the memory.
await con.run(`CREATE TEMP TABLE cand AS SELECT * FROM ${csv(exportPath)}
  WHERE ${usable} AND ${enrolled} >= TIMESTAMPTZ ${lit(cutoff)}`);
const all = await one(`SELECT count(*)::BIGINT AS rows, count(*) FILTER (WHERE NOT (${usable}))::BIGINT AS rejected
  FROM ${csv(exportPath)}`);
await con.run(`CREATE TEMP TABLE win AS SELECT * FROM cand
  QUALIFY row_number() OVER (PARTITION BY "External Id" ORDER BY TRY_CAST("Updated At" AS TIMESTAMPTZ) DESC NULLS LAST) = 1`);
await con.run(`CREATE TEMP TABLE hit AS SELECT "External Id" FROM win
  SEMI JOIN ${csv(existingPath)} AS e ON win."External Id" = e."External Id"`);
await con.run(`COPY (SELECT * FROM win ANTI JOIN hit ON win."External Id" = hit."External Id")
  TO ${lit(path.join(outDir, 'to_import.csv'))} (HEADER)`);
const n = await one(`SELECT (SELECT count(*) FROM cand)::BIGINT AS cand, (SELECT count(*) FROM win)::BIGINT AS win,
  (SELECT count(*) FROM hit)::BIGINT AS hit, version() AS version`);

const rows = Number(all.rows), rejected = Number(all.rejected), cand = Number(n.cand), win = Number(n.win), hit = Number(n.hit);
console.log(JSON.stringify({
  duckdb: n.version,
  counts: {
    rows, rejected, before_cutoff: rows - rejected - cand, duplicate: cand - win, exists: hit, to_import: win - hit,
  },
}));
con.closeSync();
db.closeSync();
