#!/usr/bin/env python3
"""Writes shop.otlp.json, the sample store content of tracectl's demo and tests.

A small shop: api -> auth, api -> payments -> db. One trace per 30 minutes for the 24 hours
before 2024-05-01T12:00:00Z (the baseline), then one a minute in the last 15 minutes, when
payments slows down and fails more often (the anomaly the demo finds). Deterministic.
"""
import json
import random

END_NS = 1714564800 * 10**9  # 2024-05-01T12:00:00Z
MS = 10**6
rng = random.Random(7)


def attr(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def span(trace, sid, parent, name, kind, start, dur, attrs=(), error=None, events=()):
    s = {"traceId": trace, "spanId": sid, "name": name, "kind": kind,
         "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + dur),
         "attributes": [attr(k, v) for k, v in attrs], "status": {}}
    if parent:
        s["parentSpanId"] = parent
    if error:
        s["status"] = {"code": 2, "message": error}
    if events:
        s["events"] = [{"timeUnixNano": str(t), "name": n, "attributes": [attr(k, v) for k, v in a]}
                       for t, n, a in events]
    return s


by_service = {"api": [], "auth": [], "payments": [], "db": []}
starts = [END_NS - 24 * 3600 * 10**9 + i * 1800 * 10**9 for i in range(47)]
starts += [END_NS - 15 * 60 * 10**9 + i * 60 * 10**9 + 5 * 10**9 for i in range(15)]
for n, start in enumerate(starts):
    trace = "%032x" % (0x5a0000000000000000000000000000 + n + 1)
    ids = ["%016x" % ((n + 1) * 16 + k) for k in range(4)]
    current = start >= END_NS - 15 * 60 * 10**9
    auth = rng.randint(4, 9) * MS
    db = rng.randint(8, 20) * MS
    pay = db + rng.randint(10, 30) * MS + (rng.randint(150, 250) * MS if current else 0)
    failed = current and n % 3 == 0
    total = auth + pay + rng.randint(3, 8) * MS
    status = 502 if failed else 200
    by_service["api"].append(span(trace, ids[0], None, "POST /checkout", 2, start, total,
                                  [("http.method", "POST"), ("http.route", "/checkout"), ("http.status_code", status)],
                                  "payment failed" if failed else None))
    by_service["auth"].append(span(trace, ids[1], ids[0], "authorize", 3, start + 1 * MS, auth,
                                   [("user.tier", "gold" if n % 2 else "basic")]))
    pay_start = start + 2 * MS + auth
    by_service["payments"].append(span(trace, ids[2], ids[0], "charge", 2, pay_start, pay,
                                       [("payment.amount", 1000 + n), ("payment.retry", failed)],
                                       "card declined" if failed else None,
                                       [(pay_start + pay - MS, "declined", [("reason", "insufficient funds")])] if failed else []))
    by_service["db"].append(span(trace, ids[3], ids[2], "SELECT accounts", 3, pay_start + 2 * MS, db,
                                 [("db.system", "postgresql"), ("db.rows", rng.randint(1, 40))]))

doc = {"resourceSpans": [
    {"resource": {"attributes": [attr("service.name", service), attr("deployment.environment", "demo")]},
     "scopeSpans": [{"scope": {"name": "shop", "version": "1.0"}, "spans": spans}]}
    for service, spans in by_service.items()]}
with open("shop.otlp.json", "w") as out:
    json.dump(doc, out, separators=(",", ":"))
    out.write("\n")
