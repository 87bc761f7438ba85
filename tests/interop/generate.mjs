// Creates spans with the OpenTelemetry JS SDK — nesting, attributes of every type, events,
// links, error status, several services, dropped events, deterministic ids and times — and
// prints them as the SDK's own OTLP JSON serializer writes an ExportTraceServiceRequest.
// tests/data/otel-js-sdk.json is this script's output; CI regenerates it and compares.
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { sdkSpans } from './sdk-spans.mjs';

const bytes = JsonTraceSerializer.serializeRequest(sdkSpans());
const document = JSON.parse(new TextDecoder().decode(bytes));
process.stdout.write(JSON.stringify(document, null, 1) + '\n');
