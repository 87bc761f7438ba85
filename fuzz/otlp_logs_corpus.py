#!/usr/bin/env python3
"""Writes fuzz/corpus/otlp_logs/: the sample logs of the shop trace (examples/tracectl/sample,
OTLP JSON and JSON Lines) as ExportLogsServiceRequest protobuf, encoded by protoc from the
text format, plus requests reaching the decoder's other branches (a resource after its records,
an observed time only, non-text bodies, unknown fields). Run from the repository root:

    python3 fuzz/otlp_logs_corpus.py
"""
import datetime
import json
import pathlib
import subprocess

SAMPLE = pathlib.Path("examples/tracectl/sample")
OUT = pathlib.Path("fuzz/corpus/otlp_logs")
PROTO_ROOT = pathlib.Path("../shared/conformance/otlp-proto")
MESSAGE = "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest"
SEVERITIES = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}


def quoted(text):
    return json.dumps(text)


def id_bytes(hex_id):
    return '"' + "".join("\\x" + hex_id[i:i + 2] for i in range(0, len(hex_id), 2)) + '"'


def any_value(v):
    if isinstance(v, bool):
        return "bool_value: %s" % ("true" if v else "false")
    if isinstance(v, int):
        return "int_value: %d" % v
    if isinstance(v, float):
        return "double_value: %r" % v
    return "string_value: " + quoted(str(v))


def attributes(pairs):
    return "".join("attributes { key: %s value { %s } } " % (quoted(k), any_value(v)) for k, v in pairs.items())


def unix_ns(rfc3339):
    t = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return int(t.timestamp()) * 10**9 + t.microsecond * 1000


def from_json_lines(line):
    r = json.loads(line)
    record = "time_unix_nano: %d severity_number: %d severity_text: %s body { string_value: %s } " % (
        unix_ns(r["timestamp"]), SEVERITIES[r["severity"]], quoted(r["severity"]), quoted(r["body"]))
    if "trace_id" in r:
        record += "trace_id: %s span_id: %s " % (id_bytes(r["trace_id"]), id_bytes(r["span_id"]))
    record += attributes(r.get("attributes", {}))
    return ('resource_logs { resource { attributes { key: "service.name" value { string_value: %s } } } '
            'scope_logs { scope { name: "shop" } log_records { %s } } }' % (quoted(r["service"]), record))


def from_otlp_json(document):
    out = ""
    for resource in document["resourceLogs"]:
        service = {a["key"]: a["value"]["stringValue"] for a in resource["resource"]["attributes"]}
        records = ""
        for scope in resource["scopeLogs"]:
            for r in scope["logRecords"]:
                records += "log_records { time_unix_nano: %s severity_number: %d severity_text: %s body { string_value: %s } " % (
                    r["timeUnixNano"], r["severityNumber"], quoted(r["severityText"]), quoted(r["body"]["stringValue"]))
                records += "trace_id: %s span_id: %s " % (id_bytes(r["traceId"]), id_bytes(r["spanId"]))
                records += attributes({a["key"]: a["value"]["stringValue"] for a in r["attributes"]}) + "} "
        out += "resource_logs { resource { %s} scope_logs { scope { name: \"auth-server\" } %s} } " % (attributes(service), records)
    return out


# Branches the samples do not reach.
EXTRA = {
    "resource_after_records": 'resource_logs { scope_logs { log_records { time_unix_nano: 1714564685005000000 '
                              'body { string_value: "card declined" } } } resource { attributes { key: "service.name" '
                              'value { string_value: "payments" } } } }',
    "observed_time_only": 'resource_logs { scope_logs { log_records { observed_time_unix_nano: 1714564685005000000 '
                          'severity_number: 17 event_name: "charge.failed" flags: 1 '
                          'body { kvlist_value { values { key: "code" value { int_value: 51 } } } } } } }',
    "array_body": 'resource_logs { scope_logs { log_records { time_unix_nano: 1 body { array_value { values { '
                  'string_value: "a" } values { double_value: 1.5 } values { bytes_value: "\\x00\\xff" } } } '
                  'dropped_attributes_count: 3 } } }',
}


def encode(name, text):
    encoded = subprocess.run(
        ["protoc", "--encode=" + MESSAGE, "-I", str(PROTO_ROOT), "opentelemetry/proto/collector/logs/v1/logs_service.proto"],
        input=text.encode(), capture_output=True, check=True).stdout
    (OUT / (name + ".pb")).write_bytes(encoded)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    lines = (SAMPLE / "shop.logs.jsonl").read_text().splitlines()
    for i, line in enumerate(lines):
        encode("shop_jsonl_%d" % i, from_json_lines(line))
    encode("shop_jsonl_all", " ".join(from_json_lines(line) for line in lines))
    encode("shop_otlp", from_otlp_json(json.loads((SAMPLE / "shop.logs.otlp.json").read_text())))
    for name, text in EXTRA.items():
        encode(name, text)


main()
