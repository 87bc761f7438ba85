// Reads the library's Parquet export with two independent readers and checks it against the
// library's own answers; then has DuckDB write a Parquet file for the library to read.
//
//   node parquet.mjs check  SPANS.parquet SPANS.otlp.json STATS.json
//     SPANS.otlp.json: the same spans as the library's OTLP JSON (tracectl export --to otlp);
//     STATS.json: `tracectl stats --by service --json` of the same store.
//     hyparquet (pure JS) reads every row and compares every column with the OTLP JSON;
//     DuckDB counts the rows, reads a sample of every column, groups by service and computes
//     p50/p95/p99 with the library's definition (nearest rank, index round((n-1)p)).
//   node parquet.mjs rewrite SPANS.parquet OUT.parquet
//     DuckDB reads SPANS.parquet and writes it again (COPY ... TO, its own writer: SNAPPY,
//     dictionary pages, optional columns, ids as BLOB) for the library to read back.
//   node parquet.mjs query SPANS.parquet
//     times DuckDB's GROUP BY service with p50/p99 (bench/parquet_bench.cpp --keep writes the file).
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
let failures = 0;
function expect(condition, message) {
  if (!condition) {
    failures += 1;
    if (failures <= 20) console.error(`parquet interop: ${message}`);
  }
}
const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const statuses = ['unset', 'ok', 'error'];
const hex = (bytes) => Buffer.from(bytes).toString('hex');

// OTLP JSON spans by trace id + span id, with their resource and scope.
function expectedSpans(path) {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const out = new Map();
  for (const rs of doc.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) out.set(`${s.traceId}/${s.spanId}`, { span: s, resource: rs.resource ?? {}, scope: ss.scope ?? {} });
  return out;
}

// An OTLP AnyValue as the Parquet layout's (type, value) pair.
function otlpValue(v) {
  if ('boolValue' in v) return ['bool', v.boolValue];
  if ('intValue' in v) return ['int', BigInt(v.intValue)];
  if ('doubleValue' in v) return ['double', v.doubleValue];
  if ('stringValue' in v) return ['string', v.stringValue];
  const values = v.arrayValue?.values ?? [];
  const first = values[0] ?? {};
  const type = 'boolValue' in first ? 'bool[]' : 'intValue' in first ? 'int[]' : 'doubleValue' in first ? 'double[]' : 'string[]';
  return [type, values.map((x) => otlpValue(x)[1])];
}

// hyparquet gives a MAP as an object {key: value}; DuckDB's JSON rows likewise.
function compareAttributes(where, map, list) {
  const got = map ?? {};
  const keys = Object.keys(got);
  expect(keys.length === (list ?? []).length, `${where}: ${keys.length} attributes, expected ${(list ?? []).length}`);
  for (const { key, value } of list ?? []) {
    const cell = got[key];
    if (!cell) {
      expect(false, `${where}: attribute ${key} missing`);
      continue;
    }
    const [type, want] = otlpValue(value);
    expect(cell.type === type, `${where}: attribute ${key} has type ${cell.type}, expected ${type}`);
    let have;
    if (type === 'bool') have = cell.bool_value;
    else if (type === 'int') have = BigInt(cell.int_value);
    else if (type === 'double') have = cell.double_value;
    else if (type === 'string') have = cell.string_value;
    else {
      const parsed = typeof cell.array_value === 'string' ? JSON.parse(cell.array_value) : cell.array_value;
      have = type === 'int[]' ? parsed.map(BigInt) : parsed;
    }
    const same = (a, b) => (typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a) === BigInt(b) : a === b);
    const equal = Array.isArray(want) ? Array.isArray(have) && want.length === have.length && want.every((w, i) => same(w, have[i])) : same(want, have);
    expect(equal, `${where}: attribute ${key} = ${String(have)}, expected ${String(want)}`);
  }
}

function nanos(value) {
  // hyparquet: TIMESTAMP(NANOS) as a Date would lose nanoseconds, so the raw INT64 is asked for.
  return typeof value === 'bigint' ? value : BigInt(value);
}

async function check(parquetPath, jsonPath, statsPath) {
  const expected = expectedSpans(jsonPath);
  const stats = JSON.parse(readFileSync(statsPath, 'utf8'));

  // ---- hyparquet: every row, every column ----
  const file = await asyncBufferFromFile(parquetPath);
  const rows = await parquetReadObjects({ file, utf8: true, parsers: { timestampFromNanoseconds: (n) => n } });
  expect(rows.length === expected.size, `hyparquet reads ${rows.length} rows, the library wrote ${expected.size}`);
  for (const row of rows) {
    const key = `${hex(row.trace_id)}/${hex(row.span_id)}`;
    const want = expected.get(key);
    if (!want) {
      expect(false, `hyparquet: row ${key} is not among the library's spans`);
      continue;
    }
    const { span: s, resource, scope } = want;
    const where = `hyparquet row ${key}`;
    expect((row.parent_span_id ? hex(row.parent_span_id) : '') === (s.parentSpanId ?? ''), `${where}: parent`);
    expect(row.name === s.name, `${where}: name ${row.name}, expected ${s.name}`);
    expect(row.kind === kinds[s.kind ?? 0], `${where}: kind ${row.kind}`);
    expect(row.trace_state === (s.traceState ?? ''), `${where}: trace_state`);
    expect(nanos(row.start_time) === BigInt(s.startTimeUnixNano), `${where}: start_time ${row.start_time}, expected ${s.startTimeUnixNano}`);
    expect(nanos(row.end_time) === BigInt(s.endTimeUnixNano), `${where}: end_time`);
    expect(BigInt(row.duration_ns) === BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano), `${where}: duration_ns`);
    expect(row.status_code === statuses[s.status?.code ?? 0], `${where}: status_code ${row.status_code}`);
    expect(row.status_message === (s.status?.message ?? ''), `${where}: status_message`);
    expect(Number(row.flags) === (s.flags ?? 0), `${where}: flags`);
    expect(Number(row.dropped_attributes_count) === (s.droppedAttributesCount ?? 0), `${where}: dropped_attributes_count`);
    expect(Number(row.dropped_events_count) === (s.droppedEventsCount ?? 0), `${where}: dropped_events_count`);
    expect(Number(row.dropped_links_count) === (s.droppedLinksCount ?? 0), `${where}: dropped_links_count`);
    const serviceAttribute = (resource.attributes ?? []).find((a) => a.key === 'service.name');
    expect(row.service_name === (serviceAttribute?.value.stringValue ?? ''), `${where}: service_name ${row.service_name}`);
    compareAttributes(`${where} attributes`, row.attributes, s.attributes);
    compareAttributes(`${where} resource_attributes`, row.resource_attributes, (resource.attributes ?? []).filter((a) => a.key !== 'service.name'));
    expect(row.scope_name === (scope.name ?? ''), `${where}: scope_name`);
    expect(row.scope_version === (scope.version ?? ''), `${where}: scope_version`);
    compareAttributes(`${where} scope_attributes`, row.scope_attributes, scope.attributes);
    const events = s.events ?? [];
    expect(row.events.length === events.length, `${where}: ${row.events.length} events, expected ${events.length}`);
    events.forEach((e, i) => {
      const got = row.events[i] ?? {};
      expect(got.name === e.name && nanos(got.time) === BigInt(e.timeUnixNano), `${where}: event ${i}`);
      // OTLP carries the library's event level as the attribute event.level; Parquet has a column.
      const level = (e.attributes ?? []).find((a) => a.key === 'event.level');
      expect((got.level ?? null) === (level?.value.stringValue ?? null), `${where}: event ${i} level ${got.level}`);
      compareAttributes(`${where} event ${i}`, got.attributes, (e.attributes ?? []).filter((a) => a.key !== 'event.level'));
    });
    const links = s.links ?? [];
    expect(row.links.length === links.length, `${where}: ${row.links.length} links, expected ${links.length}`);
    links.forEach((l, i) => {
      const got = row.links[i] ?? {};
      expect(hex(got.trace_id ?? []) === l.traceId && hex(got.span_id ?? []) === l.spanId, `${where}: link ${i}`);
      compareAttributes(`${where} link ${i}`, got.attributes, l.attributes);
    });
  }
  console.log(`hyparquet: ${rows.length} rows, every column compared with the library's OTLP JSON`);

  // ---- DuckDB: count, a sample, GROUP BY service, percentiles ----
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const query = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  const source = `read_parquet('${parquetPath.replaceAll("'", "''")}')`;
  const [{ n }] = await query(`SELECT count(*) AS n FROM ${source}`);
  expect(Number(n) === expected.size, `DuckDB counts ${n} rows, the library wrote ${expected.size}`);
  const sample = await query(`SELECT hex(trace_id) AS t, hex(span_id) AS s, hex(parent_span_id) AS p, name, kind,
      epoch_ns(start_time) AS start_ns, duration_ns, status_code, service_name, attributes, len(events) AS events, len(links) AS links
    FROM ${source} USING SAMPLE 10 ROWS (reservoir, 42)`);
  for (const row of sample) {
    const key = `${row.t.toLowerCase()}/${row.s.toLowerCase()}`;
    const want = expected.get(key);
    if (!want) {
      expect(false, `DuckDB: row ${key} is not among the library's spans`);
      continue;
    }
    const { span: s } = want;
    const where = `DuckDB row ${key}`;
    expect((row.p ?? '').toLowerCase() === (s.parentSpanId ?? ''), `${where}: parent`);
    expect(row.name === s.name && row.kind === kinds[s.kind ?? 0], `${where}: name/kind`);
    expect(BigInt(row.start_ns) === BigInt(s.startTimeUnixNano), `${where}: start ${row.start_ns}, expected ${s.startTimeUnixNano}`);
    expect(BigInt(row.duration_ns) === BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano), `${where}: duration`);
    expect(row.status_code === statuses[s.status?.code ?? 0], `${where}: status`);
    expect(Number(row.events) === (s.events ?? []).length && Number(row.links) === (s.links ?? []).length, `${where}: events/links`);
    // DuckDB's JSON form of a MAP is a list of {key, value}.
    const entries = Array.isArray(row.attributes) ? row.attributes : Object.entries(row.attributes ?? {}).map(([key, value]) => ({ key, value }));
    compareAttributes(`${where} attributes`, Object.fromEntries(entries.map((e) => [e.key, e.value])), s.attributes);
  }
  const groups = await query(`SELECT service_name AS service, count(*) AS count, count(*) FILTER (status_code = 'error') AS errors,
      list_sort(list(duration_ns)) AS d FROM ${source} GROUP BY service_name ORDER BY service_name`);
  const ours = new Map(stats.map((g) => [g.key[0], g]));  // [{key: [service], count, errors, p50, ...}]
  expect(groups.length === ours.size, `DuckDB finds ${groups.length} services, the library ${ours.size}`);
  for (const g of groups) {
    const mine = ours.get(g.service);
    if (!mine) {
      expect(false, `DuckDB's service ${g.service} is not in the library's stats`);
      continue;
    }
    const d = g.d.map(BigInt);
    const at = (p) => d[Math.floor((d.length - 1) * p + 0.5)];
    expect(Number(g.count) === mine.count, `${g.service}: DuckDB counts ${g.count}, the library ${mine.count}`);
    expect(Number(g.errors) === mine.errors, `${g.service}: DuckDB counts ${g.errors} errors, the library ${mine.errors}`);
    for (const [p, name] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']])
      expect(at(p) === BigInt(mine[name]), `${g.service}: DuckDB's ${name} ${at(p)}, the library's ${mine[name]}`);
  }
  // DuckDB's own quantile_disc beside: the same nearest-rank family, reported, not required.
  const [{ q }] = await query(`SELECT quantile_disc(duration_ns, 0.5) AS q FROM ${source}`);
  console.log(`DuckDB: ${n} rows; sample of 10 rows compared; ${groups.length} services grouped, counts, errors, p50/p95/p99 equal to the library's (quantile_disc p50 of all: ${q})`);
}

async function rewrite(input, output) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run('SET threads = 1');  // keeps the rows in the file's order
  await conn.run(`COPY (SELECT * FROM read_parquet('${input.replaceAll("'", "''")}')) TO '${output.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION snappy)`);
  const [{ n }] = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${output.replaceAll("'", "''")}')`)).getRowObjectsJson();
  console.log(`DuckDB wrote ${output} (${n} rows)`);
}

// GROUP BY service with p50/p99 (the library's nearest rank) over a file, timed: the DuckDB
// side of parquet-bench (bench/parquet_bench.cpp prints the store's answer beside it).
async function query(path) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const sql = `SELECT service_name, n, d[CAST(floor((n - 1) * 0.5 + 0.5) AS BIGINT) + 1] AS p50,
      d[CAST(floor((n - 1) * 0.99 + 0.5) AS BIGINT) + 1] AS p99
    FROM (SELECT service_name, count(*) AS n, list_sort(list(duration_ns)) AS d FROM read_parquet('${path.replaceAll("'", "''")}') GROUP BY 1)
    ORDER BY 1`;
  let best = Infinity;
  let rows;
  for (let i = 0; i < 3; ++i) {
    const began = process.hrtime.bigint();
    rows = (await conn.runAndReadAll(sql)).getRowObjectsJson();
    best = Math.min(best, Number(process.hrtime.bigint() - began) / 1e6);
  }
  console.log(`DuckDB GROUP BY service, p50/p99 over ${path}: ${best.toFixed(3)} ms wall, best of 3`);
  for (const r of rows) console.log(`  ${r.service_name.padEnd(12)} count ${String(r.n).padStart(8)}  p50 ${String(r.p50).padStart(10)}  p99 ${String(r.p99).padStart(10)}`);
}

if (mode === 'check' && args.length === 3) await check(...args);
else if (mode === 'query' && args.length === 1) await query(...args);
else if (mode === 'rewrite' && args.length === 2) await rewrite(...args);
else {
  console.error('usage: node parquet.mjs check SPANS.parquet SPANS.otlp.json STATS.json | rewrite IN.parquet OUT.parquet | query SPANS.parquet');
  process.exit(2);
}
if (failures) {
  console.error(`parquet interop: ${failures} differences`);
  process.exit(1);
}
