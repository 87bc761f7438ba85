// Loads an OTLP JSON file written by the library into the protobuf definitions generated for
// @opentelemetry/otlp-transformer (after turning hex ids into bytes, as the OTLP/JSON mapping
// prescribes), encodes it to protobuf binary, decodes it back and requires the same values.
//   node verify.mjs <export.json>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const idFields = new Set(['traceId', 'spanId', 'parentSpanId']);
const hexToBase64 = (hex) => Buffer.from(hex, 'hex').toString('base64');
const base64ToHex = (b64) => Buffer.from(b64, 'base64').toString('hex');

// Walks a JSON tree, mapping id fields with `convert` and dropping proto3 default values
// (which an encoder leaves out), so two trees with the same content compare equal. A field
// the generated message does not know is lost by fromObject, so the comparison catches it.
function normalise(value, convert) {
  if (Array.isArray(value)) return value.map((item) => normalise(item, convert));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    let v = idFields.has(key) && typeof item === 'string' ? convert(item) : normalise(item, convert);
    if (v === '' || v === 0 || v === '0' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && key !== 'value') continue;
    out[key] = v;
  }
  return out;
}

function sameTree(a, b, path = '') {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) throw new Error(`${path}: arrays differ`);
    a.forEach((item, i) => sameTree(item, b[i], `${path}[${i}]`));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) sameTree(a[key], b[key], `${path}.${key}`);
    return;
  }
  if (String(a) !== String(b)) throw new Error(`${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}

const exported = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const message = Request.fromObject(normalise(exported, hexToBase64));
const binary = Request.encode(message).finish();
const decoded = Request.toObject(Request.decode(binary), { longs: String, bytes: String, enums: Number });
const back = normalise(decoded, base64ToHex);
sameTree(normalise(exported, (hex) => hex), back);

let spans = 0, attributes = 0, events = 0, links = 0;
for (const rs of back.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) {
  spans += 1;
  attributes += (s.attributes ?? []).length;
  events += (s.events ?? []).length;
  links += (s.links ?? []).length;
}
if (spans === 0) throw new Error('no spans in the export');
console.log(`protobuf round trip equal: ${spans} spans, ${attributes} attributes, ${events} events, ${links} links, ${binary.length} bytes`);
