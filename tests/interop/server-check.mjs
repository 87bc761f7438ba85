// Compares two OTLP JSON exports span by span, whatever their order or grouping: every span
// of EXPECTED must be in ACTUAL with the same fields, resource and scope, and nothing more.
//   node server-check.mjs EXPECTED.json ACTUAL.json
//   node server-check.mjs EXPECTED.json --server URL
// With --server, ACTUAL is what a running trace-server answers for each trace of EXPECTED on
// Tempo's /tempo/api/v2/traces/{id} (OTLP JSON, compared whole), and its Jaeger shape on
// /api/traces/{id} must hold the same spans: ids, operation names, µs times, every attribute
// as a tag.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

function addSpans(document, out) {
  for (const rs of document.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.set(`${span.traceId}/${span.spanId}`, { span, resource: rs.resource ?? {}, scope: ss.scope ?? {} });
      }
    }
  }
}

function spansOf(file) {
  const out = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim()) addSpans(JSON.parse(line), out);
  }
  return out;
}

async function getJson(url) {
  const answer = await fetch(url);
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${await answer.text()}`);
  return answer.json();
}

let problems = 0;
function problem(text) {
  console.error(text);
  problems++;
}

// The Jaeger shape of one trace against the expected spans of that trace.
function checkJaeger(traceId, jaeger, expected) {
  const spans = jaeger.data?.[0]?.spans ?? [];
  if (spans.length !== expected.length) problem(`Jaeger ${traceId}: ${spans.length} spans, ${expected.length} expected`);
  for (const { span } of expected) {
    const got = spans.find((s) => s.spanID === span.spanId);
    if (!got) {
      problem(`Jaeger ${traceId}: span ${span.spanId} missing`);
      continue;
    }
    const start = BigInt(span.startTimeUnixNano), end = BigInt(span.endTimeUnixNano);
    if (got.operationName !== span.name) problem(`Jaeger ${span.spanId}: operationName ${got.operationName}, expected ${span.name}`);
    if (BigInt(got.startTime) !== start / 1000n) problem(`Jaeger ${span.spanId}: startTime ${got.startTime}`);
    if (BigInt(got.duration) !== (end - start) / 1000n) problem(`Jaeger ${span.spanId}: duration ${got.duration}`);
    for (const { key } of span.attributes ?? []) {
      if (!got.tags.some((t) => t.key === key)) problem(`Jaeger ${span.spanId}: no tag ${key}`);
    }
  }
}

const [expectedFile, actualArg, serverUrl] = process.argv.slice(2);
const expected = spansOf(expectedFile);
let actual;
if (actualArg === '--server') {
  actual = new Map();
  const traces = new Map();
  for (const entry of expected.values()) {
    if (!traces.has(entry.span.traceId)) traces.set(entry.span.traceId, []);
    traces.get(entry.span.traceId).push(entry);
  }
  for (const [traceId, spans] of traces) {
    addSpans((await getJson(`${serverUrl}/tempo/api/v2/traces/${traceId}`)).trace, actual);
    checkJaeger(traceId, await getJson(`${serverUrl}/api/traces/${traceId}`), spans);
  }
} else {
  actual = spansOf(actualArg);
}
for (const [id, want] of expected) {
  const got = actual.get(id);
  if (!got) {
    problem(`missing span ${id}`);
  } else if (!isDeepStrictEqual(got, want)) {
    problem(`span ${id} differs:\n  expected ${JSON.stringify(want)}\n  actual   ${JSON.stringify(got)}`);
  }
}
if (actual.size !== expected.size) problem(`${actual.size} spans stored, ${expected.size} expected`);
if (problems) process.exit(1);
console.log(`${expected.size} spans equal field for field`);
