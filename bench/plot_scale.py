#!/usr/bin/env python3
"""Plots scale-bench's JSON (--json FILE) as one SVG: a panel per figure against the store
size, both axes logarithmic, so a cost that stays flat as the store grows is a flat line.

    python3 bench/plot_scale.py scale.json docs/scale.svg

Standard library only: the SVG is written by hand.
"""

import json
import math
import sys

FIGURES = [
    ("ingest_spans_per_s", "ingest (spans/s, wall)"),
    ("ingest_cpu_spans_per_s", "ingest (spans per CPU s)"),
    ("bytes_per_span", "bytes per span"),
    ("reopen_ms", "reopen (ms, wall)"),
    ("reopen_cpu_ms", "reopen (CPU ms)"),
    ("reopen_deferred_cpu_ms", "reopen, checks deferred (CPU ms)"),
    ("find_trace_median_us", "find_trace median (µs)"),
    ("find_trace_p99_us", "find_trace p99 (µs)"),
    ("absent_median_us", "absent id median (µs)"),
    ("window_cpu_ms", "one-hour window (CPU ms)"),
    ("tag_scan_cpu_ms", "tag equality, scan (CPU ms)"),
    ("tag_index_cpu_ms", "tag equality, index (CPU ms)"),
    ("query_rss_mib", "query peak RSS (MiB)"),
]
PANEL_W, PANEL_H, COLUMNS = 300, 200, 3
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 56, 14, 28, 34


def log_ticks(lo, hi):
    """Powers of ten covering [lo, hi] (at least two)."""
    first = math.floor(math.log10(lo))
    last = max(math.ceil(math.log10(hi)), first + 1)
    return [10.0 ** e for e in range(first, last + 1)]


def label(value):
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def panel(points, title, x0, y0):
    xs = [p[0] for p in points]
    ys = [max(p[1], 1e-3) for p in points]
    xt, yt = log_ticks(min(xs), max(xs)), log_ticks(min(ys), max(ys))
    w = PANEL_W - MARGIN_L - MARGIN_R
    h = PANEL_H - MARGIN_T - MARGIN_B

    def px(x):
        return x0 + MARGIN_L + w * (math.log10(x) - math.log10(xt[0])) / (math.log10(xt[-1]) - math.log10(xt[0]))

    def py(y):
        return y0 + MARGIN_T + h - h * (math.log10(y) - math.log10(yt[0])) / (math.log10(yt[-1]) - math.log10(yt[0]))

    out = [f'<text x="{x0 + PANEL_W / 2}" y="{y0 + 16}" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<rect x="{x0 + MARGIN_L}" y="{y0 + MARGIN_T}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    for t in xt:
        out.append(f'<line x1="{px(t):.1f}" y1="{y0 + MARGIN_T}" x2="{px(t):.1f}" y2="{y0 + MARGIN_T + h}" stroke="#eee"/>')
        out.append(f'<text x="{px(t):.1f}" y="{y0 + MARGIN_T + h + 14}" text-anchor="middle">{label(t)}</text>')
    for t in yt:
        out.append(f'<line x1="{x0 + MARGIN_L}" y1="{py(t):.1f}" x2="{x0 + MARGIN_L + w}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + MARGIN_L - 4}" y="{py(t) + 4:.1f}" text-anchor="end">{label(t)}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(zip(xs, ys)))
    out.append(f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for x, y, raw in zip(xs, ys, (p[1] for p in points)):
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#1f77b4"><title>{label(x)} spans: {raw:g}</title></circle>')
    out.append(f'<text x="{x0 + MARGIN_L + w / 2}" y="{y0 + PANEL_H - 4}" text-anchor="middle" fill="#555">spans in the store</text>')
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_scale.py SCALE.json OUT.svg")
    with open(argv[1]) as f:
        checkpoints = json.load(f)["checkpoints"]
    if not checkpoints:
        sys.exit(f"{argv[1]}: no checkpoints")
    # Figures an older run did not record are left out, not drawn empty.
    shown = [(title, [(c["spans"], c[key]) for c in checkpoints if key in c]) for key, title in FIGURES]
    shown = [(title, points) for title, points in shown if points]
    rows = math.ceil(len(shown) / COLUMNS)
    width, height = PANEL_W * COLUMNS, PANEL_H * rows
    body = []
    for i, (title, points) in enumerate(shown):
        body += panel(points, title, PANEL_W * (i % COLUMNS), PANEL_H * (i // COLUMNS))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n'
           + "\n".join(body) + "\n</svg>\n")
    with open(argv[2], "w") as f:
        f.write(svg)


if __name__ == "__main__":
    main(sys.argv)
