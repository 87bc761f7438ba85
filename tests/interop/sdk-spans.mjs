// Spans made with the OpenTelemetry JS SDK — nesting, attributes of every type, events,
// links, error status, several services, dropped events, deterministic ids and times — for
// the SDK's own serializers: generate.mjs (OTLP JSON) and protobuf.mjs (OTLP protobuf).
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

// The finished spans; every call makes the same ones.
export function sdkSpans() {
  // Ids count up, so every run gives the same ones.
  let nextTrace = 0x10;
  let nextSpan = 0x100;
  const idGenerator = {
    generateTraceId: () => (nextTrace++).toString(16).padStart(32, 'a'),
    generateSpanId: () => (nextSpan++).toString(16).padStart(16, '0'),
  };

  const exporter = new InMemorySpanExporter();
  function provider(service, extra = {}, limits = {}) {
    return new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, ...extra }),
      idGenerator,
      spanLimits: limits,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  }

  const base = 1700000000; // seconds
  const at = (ms, ns = 0) => [base + Math.floor(ms / 1000), (ms % 1000) * 1e6 + ns];

  const frontend = provider('frontend', { 'host.name': 'web-1', 'process.pid': 4242 });
  const backend = provider('backend', { 'deployment.environment': 'test' }, { eventCountLimit: 3 });
  const web = frontend.getTracer('web-instrumentation', '1.4.0');
  const db = backend.getTracer('db-client');

  const root = web.startSpan('GET /checkout', {
    kind: SpanKind.SERVER,
    startTime: at(0),
    attributes: {
      'http.method': 'GET',
      'http.status_code': 500,
      'http.ratio': 0.75,
      'http.secure': true,
      'tags': ['a', 'b', 'c'],
      'ports': [80, 443],
      'weights': [0.5, 1.25],
      'flags': [true, false],
    },
  });
  const rootContext = trace.setSpan(context.active(), root);

  const child = db.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    startTime: at(10, 123),
    attributes: { 'db.system': 'postgresql', 'db.rows': 12 },
    links: [{
      context: { traceId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', spanId: 'cccccccccccccccc', traceFlags: 1,
                 traceState: new TraceState('vendor=abc,other=1') },
      attributes: { 'link.reason': 'batch', 'link.index': 2 },
    }],
  }, rootContext);
  child.addEvent('query.start', { 'db.statement': 'SELECT * FROM orders' }, at(11));
  child.addEvent('retry', { attempt: 1, 'event.level': 'warn' }, at(20));
  child.addEvent('retry', { attempt: 2, 'event.level': 'error' }, at(30));
  child.addEvent('dropped', {}, at(31)); // the fourth event goes over the limit of 3
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  child.end(at(40, 456));

  const sibling = web.startSpan('render', { kind: SpanKind.INTERNAL, startTime: at(45) }, rootContext);
  sibling.setStatus({ code: SpanStatusCode.OK });
  sibling.end(at(60));

  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  root.end(at(100));

  // A second trace: a producer and its consumer in another service, linked.
  const producer = web.startSpan('publish order', { kind: SpanKind.PRODUCER, startTime: at(200) });
  producer.end(at(205));
  const consumer = db.startSpan('consume order', {
    kind: SpanKind.CONSUMER,
    startTime: at(210),
    links: [{ context: producer.spanContext() }],
  }, trace.setSpan(context.active(), producer));
  consumer.end(at(250));
  return exporter.getFinishedSpans();
}
