#!/usr/bin/env python3
"""Latency of the slots route against GET /pages/<slug>, same server, same run.

DESIGN.md section 9: the slots request (7 days, "any available", 20
providers, 3,000 busy ranges in the database) should cost at most 3 times a
page request. Both are measured alternately on a real Odoo server with
workers, after a warm-up, and the medians are compared.

    python3 bench/http_latency.py [--requests 200] [--workers 4] [--keep]
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import SLUG
from odoo_server import BenchDatabase

API = "/booking/api/v1"
TARGET_RATIO = 3.0


def timed_get(url):
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        status = response.status
    return (time.perf_counter() - start) * 1000, status, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    bench = BenchDatabase(keep=args.keep)
    try:
        print(f"creating {bench.name}: addon installed, 20 providers x 31 days, 3,000 busy ranges ...", flush=True)
        bench.create()
        bench.start(workers=args.workers)
        first = date.today() + timedelta(days=1)
        page_url = f"{bench.url}{API}/pages/{SLUG}"
        slots_url = (f"{bench.url}{API}/pages/{SLUG}/slots?service_id={bench.service_id}"
                     f"&date_from={first}&date_to={first + timedelta(days=6)}")
        for _ in range(20):  # warm every worker's caches
            timed_get(page_url)
            timed_get(slots_url)
        _ms, status, body = timed_get(slots_url)
        slots = json.loads(body)["slots"]
        page_times, slot_times = [], []
        for _ in range(args.requests):
            ms, status, _body = timed_get(page_url)
            assert status == 200
            page_times.append(ms)
            ms, status, _body = timed_get(slots_url)
            assert status == 200
            slot_times.append(ms)
        page_median = statistics.median(page_times)
        slots_median = statistics.median(slot_times)
        ratio = slots_median / page_median
        print(f"server: {bench.url}, {args.workers} workers; {args.requests} requests of each kind, alternating")
        print(f"slots answer: {len(slots)} slots (7 days, any available, 20 providers)")
        print(f"GET /pages/{SLUG}: median {page_median:.1f} ms, p90 {statistics.quantiles(page_times, n=10)[8]:.1f} ms")
        print(f"GET /pages/{SLUG}/slots: median {slots_median:.1f} ms, "
              f"p90 {statistics.quantiles(slot_times, n=10)[8]:.1f} ms")
        print(f"ratio slots / page: {ratio:.2f} (target <= {TARGET_RATIO:.0f})")
        errors = bench.server_errors()
        if errors:
            print("server errors:", *errors[:5], sep="\n  ")
        ok = ratio <= TARGET_RATIO and not errors
        print("result:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        bench.drop()


if __name__ == "__main__":
    sys.exit(main())
