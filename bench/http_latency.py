#!/usr/bin/env python3
"""Latency of the slots route against GET /pages/<slug>, same server, same run.

DESIGN.md section 9, two rows:

- base scenario (20 providers, 3,000 busy ranges): a 7-day "any available"
  slots request costs at most 3 times a page request;
- large scenario (40 providers, 6,000 busy ranges): a 31-day "any
  available" slots request costs at most 2 times a page request;

and in both, the slots request runs the same number of SQL queries whatever
the providers (the page's, or a page with half of them) and the days (7 or
31). Latencies are measured alternately on a real Odoo server with workers,
after a warm-up, and the medians compared; query counts are the server's
own, per request (odoo.netsvc.PerfFilter on werkzeug's request log).

    python3 bench/http_latency.py [--requests 200] [--workers 4] [--keep]
    python3 bench/http_latency.py --scenario large     # 40 providers, 6,000 busy ranges, 31 days, <= 2x
"""

import collections
import os
import statistics
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import API
from odoo_server import HALF_SLUG
from odoo_server import SLUG
from odoo_server import Client
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import describe_times
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors

# scenario: (days in the slots request, target ratio slots / page)
TARGETS = {"base": (7, 3.0), "large": (31, 2.0)}
QUERY_SAMPLES = 5
PROBE_WARM_UP = 40


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    parser.add_argument("--range", type=int, dest="range_days",
                        help="days in the slots request (default: 7 for base, 31 for large)")
    parser.add_argument("--target", type=float, help="target ratio (default: 3 for base, 2 for large)")
    args = parse_args(parser)
    default_days, default_target = TARGETS[args.scenario]
    range_days = args.range_days or default_days
    target = args.target or default_target

    with bench_server(args) as bench:
        client = Client(bench)
        first = date.today() + timedelta(days=1)
        page_path = f"{API}/pages/{SLUG}"

        def slots_path(days, slug=SLUG):
            return client.slots_path(first, first + timedelta(days=days - 1), slug)

        for _ in range(20):  # warm every worker's caches
            client.get(page_path)
            client.get(slots_path(range_days))
        answer = client.get(slots_path(range_days))
        slots = answer.data["slots"]
        body_bytes = int(answer.headers.get("Content-Length") or 0)
        page_times, slot_times = [], []
        for _ in range(args.requests):
            answer = client.get(page_path)
            assert answer.status == 200, answer
            page_times.append(answer.ms)
            answer = client.get(slots_path(range_days))
            assert answer.status == 200, answer
            slot_times.append(answer.ms)
        page_median = statistics.median(page_times)
        slots_median = statistics.median(slot_times)
        ratio = slots_median / page_median

        # SQL queries per request, as the server counted them: 7 vs 31 days, all providers vs half of them
        probes = {(slug, days): slots_path(days, slug) for slug in (SLUG, HALF_SLUG) for days in (7, 31)}
        for path in probes.values():
            # the first ones warm every worker's caches (weekly hours are cached per worker and date range:
            # a worker's first request of a range makes Odoo's two attendance queries)
            for _ in range(PROBE_WARM_UP + QUERY_SAMPLES):
                assert client.get(path).status == 200
        for _ in range(QUERY_SAMPLES):
            client.get(page_path)
        logged = collections.defaultdict(list)
        for entry in bench.request_log():
            logged[entry.path].append(entry.queries)
        counts = {key: logged[path][-QUERY_SAMPLES:] for key, path in probes.items()}
        page_counts = logged[page_path][-QUERY_SAMPLES:]
        distinct = {n for values in counts.values() for n in values}
        constant = len(distinct) == 1 and None not in distinct

        print(f"{args.requests} requests of each kind, alternating, after a warm-up of 20 each")
        print(f"slots answer: {len(slots)} slots, {body_bytes:,} bytes ({range_days} days, any available, "
              f"{bench.providers} providers)")
        print(f"GET /pages/{SLUG}: {describe_times(page_times)}")
        print(f"GET /pages/{SLUG}/slots ({range_days} days): {describe_times(slot_times)}")
        print(f"ratio slots / page: {ratio:.2f} (target <= {target:g})")
        half = max(1, bench.providers // 2)
        for (slug, days), values in counts.items():
            providers = bench.providers if slug == SLUG else half
            print(f"SQL queries, slots, {providers:>2} providers, {days:>2} days: {values}")
        print(f"SQL queries, GET /pages/{SLUG}: {page_counts}")
        print(f"SQL queries constant in providers and days: {'yes' if constant else 'NO'}")
        errors = print_errors(bench)
        ok = ratio <= target and constant and not errors
        return finish(ok, scenario=args.scenario, providers=bench.providers, busy=bench.busy, days=range_days,
                      slots=len(slots), page_ms=page_median, slots_ms=slots_median, ratio=ratio, target=target,
                      slots_queries=max(distinct, key=lambda n: n or 0), page_queries=page_counts[-1],
                      queries_constant="yes" if constant else "no")


if __name__ == "__main__":
    sys.exit(main())
