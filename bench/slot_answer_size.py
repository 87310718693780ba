#!/usr/bin/env python3
"""Slots answers against GET /pages/<slug>: bytes on the wire (raw and gzipped) and latency, same server, same run.

Issue 26, "answers sized to the screen": 62 days of "any of 40" (the large
scenario: 40 providers, 6,000 busy ranges) and 62 days of a single provider
must each be at most 2 x the page's answer in bytes, and under 100 KB, as a
browser gets them (Accept-Encoding: gzip). Printed for each answer, in both
formats the slots route speaks (``format=slots``, the default, one entry per
start and provider; ``format=days``, each free time once by local day):

- entries (slots, or distinct start times), raw bytes, bytes on the wire
  when the client accepts gzip, and what gzip would make of the raw answer;
- the median latency of ``--requests`` requests of each (gzip accepted, as
  a browser), alternated with page requests;
- the ratios to ``GET /pages/<slug>`` in bytes (raw to raw, on the wire to
  on the wire, and gzip to gzip, as if the page were compressed too) and in
  time.

The range starts tomorrow in the page's time zone and the busy ranges are
placed from then on, so the figures do not depend on the hour it runs (the
page's horizon is set to cover the range). Run it on another commit with
``--ref`` (e.g. ``--ref main`` for "before": a version without ``format=days``
answers that request with a 400, printed as such).

    python3 bench/slot_answer_size.py [--range 62] [--requests 30] [--workers 2] [--scenario large] [--ref main]
"""

import gzip
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import API
from odoo_server import SLUG
from odoo_server import TZ
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors

TARGET_PAGE_RATIO = 2.0  # bytes of the answer / bytes of GET /pages/<slug>, both as a browser gets them
TARGET_KB = 100
WARM_UP = 5


def fetch(url, gzip_ok):
    """``(status, wire bytes, body bytes, content-encoding, ms)`` of a GET, gzip accepted or not."""
    headers = {"Accept-Encoding": "gzip" if gzip_ok else "identity"}
    request = urllib.request.Request(url, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            wire, status, encoding = response.read(), response.status, response.headers.get("Content-Encoding")
    except urllib.error.HTTPError as error:
        wire, status, encoding = error.read(), error.code, error.headers.get("Content-Encoding")
    ms = (time.perf_counter() - start) * 1000
    body = gzip.decompress(wire) if encoding == "gzip" else wire
    return status, wire, body, encoding, ms


def count_entries(body):
    import json  # noqa: PLC0415

    data = json.loads(body)
    if "days" in data:
        return sum(len(day["starts"]) for day in data["days"]), "starts"
    if "slots" in data:
        return len(data["slots"]), "slots"
    return 0, data.get("error", "?")


def main():
    parser = bench_parser(__doc__, scenario="large", workers=2)
    parser.add_argument("--range", type=int, dest="range_days", default=62, help="days in the slots requests")
    parser.add_argument("--requests", type=int, default=30, help="latency samples of each answer")
    args = parse_args(parser)

    with bench_server(args, server=False) as bench:
        # the page's horizon covers the range (the scenario's default is 60 days)
        subprocess.run(["psql", "-q", "-d", bench.name, "-c",
                        f"UPDATE booking_page SET max_advance_days = {args.range_days + 7}"],
                       check=True, capture_output=True)
        bench.start(workers=args.workers)
        print(f"server: {bench.url}, {args.workers} workers; cores: {os.cpu_count()}", flush=True)
        first = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=1)
        last = first + timedelta(days=args.range_days - 1)
        base = f"{bench.url}{API}/pages/{SLUG}"
        slots = f"{base}/slots?service_id={bench.service_id}&date_from={first}&date_to={last}"
        single = bench.provider_ids[0]
        answers = {
            "page": base,
            f"any of {bench.providers}, format=slots": slots,
            f"any of {bench.providers}, format=days": f"{slots}&format=days",
            "one provider, format=slots": f"{slots}&provider_id={single}",
            "one provider, format=days": f"{slots}&provider_id={single}&format=days",
        }
        for _ in range(WARM_UP):
            for url in answers.values():
                fetch(url, True)
        sizes = {}
        for name, url in answers.items():
            status, raw, _body, _enc, _ms = fetch(url, False)
            _status, wire, body, encoding, _ms = fetch(url, True)
            entries, unit = count_entries(body) if name != "page" else (0, "")
            sizes[name] = {"status": status, "raw": len(raw), "wire": len(wire), "encoding": encoding or "none",
                           "gzip_local": len(gzip.compress(raw, 6)), "entries": entries, "unit": unit}
        times = {name: [] for name in answers}
        for _ in range(args.requests):
            for name, url in answers.items():
                status, _wire, _body, _enc, ms = fetch(url, True)
                times[name].append(ms if status == 200 else float("nan"))
        medians = {name: statistics.median(values) for name, values in times.items()}

        page = sizes["page"]
        print(f"range: {first} to {last} ({args.range_days} days, local dates in {TZ}), {bench.providers} providers, "
              f"{bench.busy} busy ranges; {args.requests} requests of each answer, alternated, gzip accepted")
        print(f"{'answer':<32} {'status':>6} {'entries':>15} {'raw B':>11} {'wire B (gzip ok)':>17} "
              f"{'gzip of raw':>12} {'raw/page':>9} {'wire/page':>10} {'gz/gz page':>10} {'median ms':>10} "
              f"{'ms/page':>8}")
        figures = {}
        for name, size in sizes.items():
            label = f"{size['entries']:,} {size['unit']}" if name != "page" else ""
            wire_ratio = size["wire"] / page["wire"]
            ms_ratio = medians[name] / medians["page"]
            gz_ratio = size["gzip_local"] / page["gzip_local"]
            print(f"{name:<32} {size['status']:>6} {label:>15} {size['raw']:>11,} "
                  f"{size['wire']:>11,} {size['encoding']:>5} {size['gzip_local']:>12,} "
                  f"{size['raw'] / page['raw']:>9.2f} {wire_ratio:>10.2f} {gz_ratio:>10.2f} "
                  f"{medians[name]:>10.1f} {ms_ratio:>8.2f}")
            key = name.replace(f"any of {bench.providers}", "any").replace("one provider", "one").replace(
                ", format=", "_")
            figures[f"{key}_raw"] = size["raw"]
            figures[f"{key}_wire"] = size["wire"]
            figures[f"{key}_ms"] = medians[name]
        ok = True
        for name in (f"any of {bench.providers}, format=days", "one provider, format=days"):
            size = sizes[name]
            if size["status"] != 200:
                print(f"{name}: {size['status']} (this version has no format=days): target not met")
                ok = False
                continue
            ratio = size["wire"] / page["wire"]
            met = ratio <= TARGET_PAGE_RATIO and size["wire"] < TARGET_KB * 1000
            ok = ok and met
            print(f"{name}: {size['wire']:,} bytes on the wire = {ratio:.2f} x the page (target <= "
                  f"{TARGET_PAGE_RATIO:g} x and < {TARGET_KB} KB): {'met' if met else 'NOT met'}; "
                  f"{medians[name] / medians['page']:.2f} x the page's latency")
        errors = print_errors(bench)
        ok = ok and not errors
        return finish(ok, providers=bench.providers, busy=bench.busy, days=args.range_days, workers=args.workers,
                      cores=os.cpu_count(), **figures)


if __name__ == "__main__":
    sys.exit(main())
