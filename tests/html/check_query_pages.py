#!/usr/bin/env python3
"""Opens the query pages of a running server in headless Chromium and checks what they drew.

    check_query_pages.py BASE_URL TRACE_ID SERVICE

BASE_URL is the server (http://127.0.0.1:4318); TRACE_ID a trace it holds, SERVICE a service
with traces. The expected figures are read from the server's own Jaeger routes, then:
  1. the waterfall page /trace/TRACE_ID: one bar per span, each placed (its measured pixel
     box, recorded by the page) in proportion to the span's start and duration; the critical
     path marked and starting at the root; the details panel filled by clicking a row;
  2. its screenshot: the middle of each bar has the bar's service colour;
  3. the search page /search?service=SERVICE&lookback=all&limit=1000: one result row and one
     scatter-plot dot per trace of /api/traces?service=SERVICE, and one graph edge per
     dependency of /api/dependencies.
Exits non-zero with the reasons when a check fails.
"""
import html.parser
import json
import os
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_waterfall import HEIGHT, WIDTH, near, read_png, run_browser  # noqa: E402


class Elements(html.parser.HTMLParser):
    """Every element's attributes by class, and whether the page said it rendered."""

    def __init__(self):
        super().__init__()
        self.by_class, self.rendered, self.text = {}, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and a.get("data-rendered") == "yes":
            self.rendered = True
        for c in (a.get("class") or "").split():
            self.by_class.setdefault(c, []).append(a)

    def handle_data(self, data):
        self.text.append(data)


def dom_of(url, work, name):
    # The virtual time budget lets the page's fetches finish before the DOM is dumped.
    result = run_browser(["--virtual-time-budget=10000", "--dump-dom", url], os.path.join(work, name))
    page = Elements()
    page.feed(result.stdout)
    return page, result.stderr


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def main():
    base, trace_id, service = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    problems = []
    trace = get_json(f"{base}/api/traces/{trace_id}")["data"][0]
    spans = trace["spans"]
    with tempfile.TemporaryDirectory() as work:
        page, stderr = dom_of(f"{base}/trace/{trace_id}", work, "profile-trace")
        if not page.rendered:
            problems.append("the waterfall's script did not finish (no data-rendered on body): " + stderr[-500:])
        bars = page.by_class.get("bar", [])
        if len(bars) != len(spans):
            problems.append(f"waterfall: {len(bars)} bars for {len(spans)} spans")
        t0 = min(s["startTime"] for s in spans)
        total = max(s["startTime"] + s["duration"] for s in spans) - t0
        for b in bars:
            track = float(b["data-track-px"])
            want_left = int(b["data-start-us"]) / total * track
            want_width = int(b["data-duration-us"]) / total * track
            left, width = float(b["data-left-px"]), float(b["data-width-px"])
            if abs(left - want_left) > 1.5 or abs(width - max(want_width, 1)) > 1.5:
                problems.append(f"bar {b['data-span']}: at {left:.1f}px wide {width:.1f}px, expected "
                                f"{want_left:.1f}px wide {want_width:.1f}px of {track:.0f}px")
        critical = [b for b in bars if b.get("data-critical") == "yes"]
        roots = [s for s in spans if not any(r["refType"] == "CHILD_OF" for r in s["references"])]
        if not critical or (roots and roots[0]["spanID"] not in {b["data-span"] for b in critical}):
            problems.append("waterfall: the critical path is not marked from the root")
        ticks = page.by_class.get("tick", [])
        if len(ticks) != 5:
            problems.append(f"waterfall: {len(ticks)} time axis ticks, expected 5")
        if bars:
            print(f"check_query_pages: waterfall of {len(spans)} spans, each bar within 1.5px of its span on a "
                  f"{float(bars[0]['data-track-px']):.0f}px track; {len(critical)} on the critical path; 5 ticks")

        shot = os.path.join(work, "trace.png")
        run_browser(["--virtual-time-budget=10000", f"--screenshot={shot}", f"{base}/trace/{trace_id}"],
                    os.path.join(work, "profile-shot"))
        if not os.path.exists(shot):
            problems.append("waterfall: no screenshot")
        else:
            pixel = read_png(shot)
            checked = 0
            for b in bars:
                x = int(float(b["data-page-x"]) + float(b["data-width-px"]) / 2)
                y = int(float(b["data-page-y"]) + 5)
                if x >= WIDTH or y >= HEIGHT:
                    continue  # below the fold of the screenshot
                checked += 1
                if not near(pixel(x, y), b["data-colour"]):
                    problems.append(f"bar {b['data-span']}: pixel ({x},{y}) is {pixel(x, y)}, not {b['data-colour']}")
            print(f"check_query_pages: screenshot {WIDTH}x{HEIGHT}: {checked} bars have their colour where the DOM put them")

        query = urllib.parse.urlencode({"service": service, "lookback": "all", "limit": "1000"})
        found = get_json(f"{base}/api/traces?{urllib.parse.urlencode({'service': service, 'limit': '1000'})}")["data"]
        page, stderr = dom_of(f"{base}/search?{query}", work, "profile-search")
        if not page.rendered:
            problems.append("the search page's script did not finish: " + stderr[-500:])
        rows, dots = page.by_class.get("result", []), page.by_class.get("dot", [])
        if len(rows) != len(found) or len(dots) != len(found):
            problems.append(f"search: {len(rows)} rows and {len(dots)} dots for {len(found)} traces")
        if {r["data-trace"] for r in rows} != {t["traceID"] for t in found}:
            problems.append("search: the rows are not the traces /api/traces finds")
        edges = page.by_class.get("edge", [])
        dependencies = get_json(f"{base}/api/dependencies?endTs=9223372036854&lookback=9223372036854")["data"]
        want = {(d["parent"], d["child"], str(d["callCount"])) for d in dependencies}
        got = {(e["data-parent"], e["data-child"], e["data-calls"]) for e in edges}
        if want != got:
            problems.append(f"search: dependency graph edges {sorted(got)}, expected {sorted(want)}")
        print(f"check_query_pages: search page: {len(rows)} results, {len(dots)} scatter dots, {len(edges)} graph edges")
    for p in problems:
        print("check_query_pages: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
