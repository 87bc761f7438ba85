#!/usr/bin/env python3
"""Opens tracectl's waterfall page in headless Chromium and checks what it drew.

    check_waterfall.py TRACECTL SAMPLE.json TRACE_ID

Imports the sample into a temporary store, writes the page for TRACE_ID, then:
  1. dumps the DOM after the page's script ran: one bar per span, each bar's measured pixel
     box (recorded by the page) placed in proportion to the span's start and duration;
  2. takes a screenshot and reads its pixels (PNG decoded here, standard library only): the
     middle of each bar has the bar's service colour, and the track left of a bar that
     starts late does not.
Exits non-zero with the reasons when a check fails.
"""
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

WIDTH, HEIGHT = 1200, 700


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_waterfall: no chromium on PATH")


def run_browser(args, profile):
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
               f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={profile}"] + args
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Bars(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars, self.rendered = [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and a.get("data-rendered") == "yes":
            self.rendered = True
        if tag == "div" and "bar" in (a.get("class") or "").split():
            self.bars.append(a)


def read_png(path):
    """RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG layout"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return lambda x, y: tuple(rows[y][x * channels:x * channels + 3])


def near(pixel, hex_colour, tolerance=12):
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, want))


def main():
    tracectl, sample, trace_id = sys.argv[1:4]
    problems = []
    with tempfile.TemporaryDirectory() as work:
        store = os.path.join(work, "store")
        page = os.path.join(work, "trace.html")
        subprocess.run([tracectl, "import", sample, "--store", store, "--quiet"], check=True, capture_output=True)
        subprocess.run([tracectl, "html", trace_id, "--store", store, "-o", page], check=True)

        dom = run_browser(["--dump-dom", "file://" + page], os.path.join(work, "profile-dom"))
        parser = Bars()
        parser.feed(dom.stdout)
        if not parser.rendered:
            problems.append("the page's script did not run (no data-rendered on body); chromium said: " + dom.stderr[-500:])
        bars = parser.bars
        if len(bars) != 4:
            problems.append(f"expected 4 bars, found {len(bars)}")
        total = max(int(b["data-start-ns"]) + int(b["data-duration-ns"]) for b in bars) if bars else 1
        for b in bars:
            if "data-left-px" not in b:
                continue
            track = float(b["data-track-px"])
            want_left = int(b["data-start-ns"]) / total * track
            want_width = int(b["data-duration-ns"]) / total * track
            left, width = float(b["data-left-px"]), float(b["data-width-px"])
            if abs(left - want_left) > 1.5 or abs(width - max(want_width, 1)) > 1.5:
                problems.append(f"bar {b['data-span']}: drawn at {left:.1f}px wide {width:.1f}px, "
                                f"expected {want_left:.1f}px wide {want_width:.1f}px of {track:.0f}px")
        if bars and "data-left-px" in bars[0]:
            print(f"check_waterfall: {len(bars)} bars on a {float(bars[0]['data-track-px']):.0f}px track, "
                  "each within 1.5px of its span's start and duration")

        shot = os.path.join(work, "shot.png")
        result = run_browser([f"--screenshot={shot}", "file://" + page], os.path.join(work, "profile-shot"))
        if not os.path.exists(shot):
            problems.append("no screenshot; chromium said: " + result.stderr[-500:])
        else:
            pixel = read_png(shot)
            for b in bars:
                if "data-page-x" not in b:
                    continue
                x = int(float(b["data-page-x"]) + float(b["data-width-px"]) / 2)
                y = int(float(b["data-page-y"]) + 6)
                if not near(pixel(x, y), b["data-colour"]):
                    problems.append(f"bar {b['data-span']}: pixel ({x},{y}) is {pixel(x, y)}, not {b['data-colour']}")
                before = int(float(b["data-page-x"])) - 4
                if float(b["data-left-px"]) > 8 and near(pixel(before, y), b["data-colour"]):
                    problems.append(f"bar {b['data-span']}: colour already at ({before},{y}), left of where it starts")
            print(f"check_waterfall: screenshot {WIDTH}x{HEIGHT}: every bar's colour where the DOM put it")
    for p in problems:
        print("check_waterfall: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
