// Exports the SDK's spans (sdk-spans.mjs) to a running trace-server with the SDK's own OTLP
// exporter, over http/protobuf or http/json:
//   node server-export.mjs http://127.0.0.1:4318 http/protobuf|http/json
// Exits 0 once the server acknowledged them.
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { sdkSpans } from './sdk-spans.mjs';

const [base, protocol] = process.argv.slice(2);
if (!base || !['http/protobuf', 'http/json'].includes(protocol)) {
  console.error('usage: node server-export.mjs URL http/protobuf|http/json');
  process.exit(2);
}
const Exporter = protocol === 'http/json' ? JsonExporter : ProtobufExporter;
const exporter = new Exporter({ url: `${base}/v1/traces`, timeoutMillis: 10000 });
const spans = sdkSpans();
exporter.export(spans, async (result) => {
  await exporter.shutdown();
  if (result.code !== 0) {
    console.error(`export over ${protocol} failed:`, result.error);
    process.exit(1);
  }
  console.log(`${spans.length} spans acknowledged over ${protocol}`);
});
