// DuckDB, the analytics peer of trace-bench (bench/duckdb_peer.hpp starts this script).
//
//   node duckdb_peer.mjs --csv SPANS.csv --ids IDS.txt --reps R --load-reps L --threads T
//                        --operation OP --service S --tenant T --limit K --quantiles 0.5,0.95,0.99
//                        [--cpu-time]
//
// Loads the spans trace-bench wrote (SPANS.csv) into an in-memory DuckDB table twice: by
// read_csv (INSERT ... SELECT, DuckDB's own parallel reader) and by its Appender, one row at a
// time from JavaScript values, as an application embedding DuckDB in Node would; then asks the
// benchmark's questions R times each, every query timed alone with performance.now() (and, with
// --cpu-time, by the process's CPU time too, all of DuckDB's threads included) around the call
// and the reading of its rows into JavaScript. Prints tab-separated lines on stdout:
//   version <duckdb version> <threads>
//   load appender|csv|index <ms>
//   time <question> <ms, or us for lookups> <the same on the wall clock>
//   answer <question> <fields...>
// trace-bench compares the answers with its own; this script checks nothing itself.
//
// @duckdb/node-api comes from tests/interop/node_modules (`npm ci` there, or
// .ci/lib/node-packages.sh): one pinned copy of the package serves the interop checks and this
// benchmark, installed once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const interop = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'interop');
let duckdb;
try {
  const resolved = createRequire(join(interop, 'package.json')).resolve('@duckdb/node-api');
  duckdb = await import(pathToFileURL(resolved).href);
} catch (e) {
  console.error(`duckdb peer: @duckdb/node-api is not installed under ${interop}/node_modules` +
    ` (${e.code ?? e.message}): run \`npm ci\` in tests/interop, or .ci/lib/node-packages.sh`);
  process.exit(3);
}

function parse(argv) {
  const o = {};
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    if (!key.startsWith('--')) throw new Error(`unexpected argument ${key}`);
    if (key === '--cpu-time') o.cpuTime = true;
    else if (i + 1 < argv.length) o[key.slice(2)] = argv[++i];
    else throw new Error(`${key} needs a value`);
  }
  for (const key of ['csv', 'ids', 'reps', 'load-reps', 'threads', 'operation', 'service', 'tenant', 'limit', 'quantiles'])
    if (o[key] === undefined) throw new Error(`--${key} is missing`);
  return o;
}
const o = parse(process.argv.slice(2));
const reps = Number(o.reps), loadReps = Number(o['load-reps']), limit = Number(o.limit);
const quantiles = o.quantiles.split(',').map(Number);
const sqlText = (s) => `'${s.replaceAll("'", "''")}'`;

// Both clocks at once: the one trace-bench uses (wall, or with --cpu-time this process's CPU
// time, every thread's) and the wall clock, which shows what DuckDB's threads buy.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const stamp = () => [performance.now(), cpuMs()];
// [ms on trace-bench's clock, ms on the wall clock] since `began`.
const since = (began) => {
  const wall = performance.now() - began[0];
  return [o.cpuTime ? cpuMs() - began[1] : wall, wall];
};
const out = [];
const emit = (...fields) => out.push(fields.join('\t'));
const emitTime = (question, [clock, wall]) => emit('time', question, clock, wall);

const db = await duckdb.DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run(`SET threads = ${Number(o.threads)}`);
const [[version]] = (await conn.runAndReadAll('SELECT version()')).getRows();
emit('version', version, o.threads);

// The columns trace-bench writes, and the table both loads fill: the workload's five
// attributes as typed columns, the trace id as one 128-bit integer.
const csvColumns = `{'trace_high': 'UBIGINT', 'trace_low': 'UBIGINT', 'span_id': 'UBIGINT', 'parent_span_id': 'UBIGINT',
  'name': 'VARCHAR', 'service': 'VARCHAR', 'kind': 'UTINYINT', 'start_ns': 'BIGINT', 'duration_ns': 'BIGINT',
  'status': 'VARCHAR', 'status_message': 'VARCHAR', 'http_method': 'VARCHAR', 'http_status_code': 'BIGINT',
  'tenant': 'VARCHAR', 'region': 'VARCHAR', 'payload_bytes': 'BIGINT'}`;
const schema = `(trace_id UHUGEINT, span_id UBIGINT, parent_span_id UBIGINT, name VARCHAR, service VARCHAR,
  kind UTINYINT, start_ns BIGINT, duration_ns BIGINT, status VARCHAR, status_message VARCHAR, http_method VARCHAR,
  http_status_code BIGINT, tenant VARCHAR, region VARCHAR, payload_bytes BIGINT)`;
const fromCsv = `SELECT (trace_high::UHUGEINT << 64) | trace_low::UHUGEINT, span_id, parent_span_id, name, service, kind,
  start_ns, duration_ns, status, status_message, http_method, http_status_code, tenant, region, payload_bytes
  FROM read_csv(${sqlText(o.csv)}, header = true, columns = ${csvColumns})`;

// ---- load: read_csv, then the Appender from the same rows held in JavaScript ----
let columns;
for (let rep = 0; rep < loadReps; ++rep) {
  await conn.run('DROP TABLE IF EXISTS spans_csv');
  await conn.run(`CREATE TABLE spans_csv ${schema}`);
  const began = stamp();
  await conn.run(`INSERT INTO spans_csv ${fromCsv}`);
  emit('load', 'csv', since(began)[0]);
}
columns = (await conn.runAndReadAll('SELECT * FROM spans_csv')).getColumns();
await conn.run('DROP TABLE spans_csv');
const rows = columns[0].length;
// One appender call per column, typed as the table is; null where the span has no value.
const writers = [
  (a, v) => a.appendUHugeInt(v), (a, v) => a.appendUBigInt(v), (a, v) => a.appendUBigInt(v),
  (a, v) => a.appendVarchar(v), (a, v) => a.appendVarchar(v), (a, v) => a.appendUTinyInt(v),
  (a, v) => a.appendBigInt(v), (a, v) => a.appendBigInt(v), (a, v) => a.appendVarchar(v),
  (a, v) => a.appendVarchar(v), (a, v) => a.appendVarchar(v), (a, v) => a.appendBigInt(v),
  (a, v) => a.appendVarchar(v), (a, v) => a.appendVarchar(v), (a, v) => a.appendBigInt(v)];
for (let rep = 0; rep < loadReps; ++rep) {
  await conn.run('DROP TABLE IF EXISTS spans');
  await conn.run(`CREATE TABLE spans ${schema}`);
  const began = stamp();
  const appender = await conn.createAppender('spans');
  for (let r = 0; r < rows; ++r) {
    for (let c = 0; c < writers.length; ++c) {
      const v = columns[c][r];
      if (v === null) appender.appendNull();
      else writers[c](appender, v);
    }
    appender.endRow();
  }
  appender.closeSync();
  emit('load', 'appender', since(began)[0]);
  // The trace id index: our stores build theirs while they ingest.
  const indexed = stamp();
  await conn.run('CREATE INDEX spans_trace_id ON spans (trace_id)');
  emit('load', 'index', since(indexed)[0]);
}
columns = null;

// ---- the questions ----
const timed = async (sql, values) => {
  const began = stamp();
  const reader = await conn.runAndReadAll(sql, values);
  const result = reader.getRows();
  return [since(began), result];
};
const median = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const nearestRank = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(q * s.length) - 1)]; };

const ids = readFileSync(o.ids, 'utf8').split('\n').filter(Boolean).map((hex) => BigInt(`0x${hex}`));
const lookup = await conn.prepare(
  'SELECT span_id, parent_span_id, name, start_ns, duration_ns, status FROM spans WHERE trace_id = $1');
const countSql = 'SELECT count(*) FROM spans WHERE status = \'error\' AND name = $1';
const searchSql = `WITH hits AS (
    SELECT trace_id, max(start_ns) AS newest FROM spans WHERE service = $1 AND tenant = $2
    GROUP BY trace_id ORDER BY newest DESC LIMIT $3)
  SELECT s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_ns, s.duration_ns, s.status, h.newest
  FROM spans s JOIN hits h ON s.trace_id = h.trace_id ORDER BY h.newest DESC, s.trace_id, s.start_ns`;
const groupSql = `SELECT service, name, count(*), avg(duration_ns), avg(CASE WHEN status = 'error' THEN 1.0 ELSE 0.0 END)
  FROM spans GROUP BY service, name`;
// Our rank, round((n - 1) q) of the ascending values, through DuckDB's quantile_disc, which
// takes the first value whose cumulative share reaches its argument (index ceil(n q) - 1):
// asking for (k + 0.5) / n gives index k exactly, so n is counted first.
const overallSql = (n) => {
  const at = quantiles.map((q) => (Math.floor((n - 1) * q + 0.5) + 0.5) / n);
  return `SELECT quantile_disc(duration_ns, [${at.join(', ')}]) FROM spans`;
};
// Per service the count differs by group, and quantile_disc takes one constant: each
// service's durations sorted once (list_sort), then the rank read from the list. (A window
// with row_number() was 8x slower here, one filtered quantile_disc per service 1.4x.)
const perServiceSql = `SELECT service, ${quantiles.map((q) => `d[CAST(floor((n - 1) * ${q} + 0.5) AS BIGINT) + 1]`).join(', ')}
  FROM (SELECT service, count(*) AS n, list_sort(list(duration_ns)) AS d FROM spans GROUP BY service)`;
// DuckDB's fastest form, its own rank (index ceil(n q) - 1, up to one rank from ours): timed
// beside, its answers checked against that rank.
const nativeSql = `SELECT service, quantile_disc(duration_ns, [${quantiles.join(', ')}]) FROM spans GROUP BY service`;

for (let rep = 0; rep < reps; ++rep) {
  const latencies = [[], []];  // us, on each clock
  let lookupRows = 0;
  for (const id of ids) {
    const began = stamp();
    lookup.bindUHugeInt(1, id);
    const found = (await lookup.runAndReadAll()).getRows();
    since(began).forEach((ms, clock) => latencies[clock].push(ms * 1e3));
    lookupRows += found.length;
  }
  emitTime('lookup_median', latencies.map(median));
  emitTime('lookup_p99', latencies.map((v) => nearestRank(v, 0.99)));
  // What any query costs here, whatever it reads: the floor under every figure above.
  const floor = [[], []];
  for (let i = 0; i < 100; ++i) {
    const began = stamp();
    (await conn.runAndReadAll('SELECT 1')).getRows();
    since(began).forEach((ms, clock) => floor[clock].push(ms * 1e3));
  }
  emitTime('query_floor', floor.map(median));

  const [countMs, countRows] = await timed(countSql, [o.operation]);
  emitTime('count', countMs);
  const [searchMs, searchRows] = await timed(searchSql, [o.service, o.tenant, limit]);
  emitTime('search', searchMs);
  const [groupMs, groupRows] = await timed(groupSql);
  emitTime('group', groupMs);
  const began = stamp();
  const [[n]] = (await conn.runAndReadAll('SELECT count(*) FROM spans')).getRows();
  const [[overall]] = (await conn.runAndReadAll(overallSql(Number(n)))).getRows();
  emitTime('percentiles', since(began));
  const [serviceMs, serviceRows] = await timed(perServiceSql);
  emitTime('service_percentiles', serviceMs);
  const [nativeMs, nativeRows] = await timed(nativeSql);
  emitTime('service_percentiles_native', nativeMs);

  if (rep !== 0) continue;
  emit('answer', 'lookup_rows', lookupRows);
  emit('answer', 'count', countRows[0][0]);
  const traces = [];
  for (const row of searchRows) {
    const hex = row[0].toString(16).padStart(32, '0');
    if (traces.length === 0 || traces[traces.length - 1][0] !== hex) traces.push([hex, 0]);
    traces[traces.length - 1][1] += 1;
  }
  for (const [hex, spans] of traces) emit('answer', 'search', hex, spans);
  for (const [service, name, count, average, errorRate] of groupRows)
    emit('answer', 'group', service, name, count, average, errorRate);
  emit('answer', 'percentiles', ...overall.items);
  for (const [service, ...values] of serviceRows) emit('answer', 'service_percentiles', service, ...values);
  for (const [service, values] of nativeRows) emit('answer', 'service_percentiles_native', service, ...values.items);
}
process.stdout.write(`${out.join('\n')}\n`);
