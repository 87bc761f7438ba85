// The OpenTelemetry JS SDK's protobuf serializer (@opentelemetry/otlp-transformer, whose
// generated protobufjs root is the SDK's own OTLP decoder) against the library's codec.
//   node protobuf.mjs encode > sdk.pb          the SDK's spans (sdk-spans.mjs) as the SDK encodes them
//   node protobuf.mjs check ours.pb ours.json  the SDK decodes the library's bytes: every field
//                                              equals the library's OTLP JSON export of the same
//                                              spans, and the SDK re-encodes them to the same bytes
//   node protobuf.mjs bench file.pb            one figure: the SDK's decode throughput
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const idFields = new Set(['traceId', 'spanId', 'parentSpanId']);
const base64ToHex = (b64) => Buffer.from(b64, 'base64').toString('hex');

// Drops proto3 defaults (an encoder leaves them out) and turns ids into hex, so the SDK's
// decoded object and the library's JSON compare as trees. `value` objects stay even when
// empty: an AnyValue that is set to nothing is still an attribute.
function normalise(value, convert) {
  if (Array.isArray(value)) return value.map((item) => normalise(item, convert));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    const v = idFields.has(key) && typeof item === 'string' ? convert(item) : normalise(item, convert);
    if (v === '' || v === 0 || v === '0' || v === false) {
      if (key !== 'boolValue' && key !== 'intValue' && key !== 'doubleValue' && key !== 'stringValue') continue;
    }
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && key !== 'value' && key !== 'status') continue;
    out[key] = v;
  }
  return out;
}

let compared = 0;
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
  if (String(a) !== String(b)) throw new Error(`${path}: ${JSON.stringify(a)} (SDK) != ${JSON.stringify(b)} (library)`);
  compared += 1;
}

const [mode, file, json] = process.argv.slice(2);
if (mode === 'encode') {
  const { sdkSpans } = await import('./sdk-spans.mjs');
  process.stdout.write(ProtobufTraceSerializer.serializeRequest(sdkSpans()));
} else if (mode === 'check') {
  const ours = readFileSync(file);
  const message = Request.decode(ours);
  const decoded = Request.toObject(message, { longs: String, bytes: String, enums: Number });
  sameTree(normalise(decoded, base64ToHex), normalise(JSON.parse(readFileSync(json, 'utf8')), (hex) => hex));
  const again = Buffer.from(Request.encode(message).finish());
  if (!again.equals(ours)) throw new Error(`the SDK re-encodes the library's ${ours.length} bytes to ${again.length} different bytes`);
  console.log(`SDK decoded the library's protobuf: ${compared} values equal to its JSON export; re-encoded byte for byte (${ours.length} bytes)`);
} else if (mode === 'bench') {
  const bytes = readFileSync(file);
  let spans = 0;
  for (const rs of Request.decode(bytes).resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
  Request.decode(bytes); // warm up
  const rounds = Math.max(1, Math.min(1000, Math.ceil(50e6 / bytes.length)));
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < rounds; ++i) Request.decode(bytes);
  const cpuUsed = process.cpuUsage(cpuStart);
  const wall = Number(process.hrtime.bigint() - start) / 1e9 / rounds;
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6 / rounds;  // includes the garbage collector's threads
  const mb = bytes.length / 1e6;
  console.log(`JS SDK (protobufjs) decode: ${(mb / wall).toFixed(1)} MB/s wall ${(mb / cpu).toFixed(1)} MB/s cpu ` +
              `${Math.round(spans / cpu)} spans/s cpu (${spans} spans, ${bytes.length} bytes, ${rounds} rounds)`);
} else {
  console.error('usage: node protobuf.mjs encode | check ours.pb ours.json | bench file.pb');
  process.exit(2);
}
