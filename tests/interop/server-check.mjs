// Compares two OTLP JSON exports span by span, whatever their order or grouping: every span
// of EXPECTED must be in ACTUAL with the same fields, resource and scope, and nothing more.
//   node server-check.mjs EXPECTED.json ACTUAL.json
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

function spansOf(file) {
  const out = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    for (const rs of JSON.parse(line).resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          out.set(`${span.traceId}/${span.spanId}`, { span, resource: rs.resource ?? {}, scope: ss.scope ?? {} });
        }
      }
    }
  }
  return out;
}

const [expectedFile, actualFile] = process.argv.slice(2);
const expected = spansOf(expectedFile);
const actual = spansOf(actualFile);
let problems = 0;
for (const [id, want] of expected) {
  const got = actual.get(id);
  if (!got) {
    console.error(`missing span ${id}`);
    problems++;
  } else if (!isDeepStrictEqual(got, want)) {
    console.error(`span ${id} differs:\n  expected ${JSON.stringify(want)}\n  actual   ${JSON.stringify(got)}`);
    problems++;
  }
}
if (actual.size !== expected.size) {
  console.error(`${actual.size} spans stored, ${expected.size} expected`);
  problems++;
}
if (problems) process.exit(1);
console.log(`${expected.size} spans equal field for field`);
