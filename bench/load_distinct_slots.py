#!/usr/bin/env python3
"""50 simultaneous bookings of 50 different slots, rate limit on, one address each.

DESIGN.md section 9: all 50 are created, no 5xx, and the 95th percentile of
their latency is at most 5 times a single booking's latency measured on the
same server in the same run. The slots cannot collide (one per provider and
local date, spread at random); each client books from an address of its own
(X-Forwarded-For and X-Forwarded-Host, the server in proxy mode) under the
page's default rate limit, as in production.

Before the burst, bookings are sent one at a time: a few to warm the
workers, then ``--singles`` measured ones, whose median is "a single
booking's latency". Also printed: the queueing floor, the ratio no server
with ``--workers`` workers can beat (each worker serves one request at a
time, so the k-th answer of a burst comes after at least ceil(k / workers)
service times).

    python3 bench/load_distinct_slots.py [--clients 50] [--workers 4] [--singles 10] [--keep]
"""

import collections
import math
import os
import statistics
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import Client
from odoo_server import at_once
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import percentile
from odoo_server import print_errors
from odoo_server import spread_slots

TARGET_RATIO = 5.0
WARMUP = 8


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--singles", type=int, default=10, help="single bookings measured before the burst")
    parser.add_argument("--any", action="store_true", help='book "any available" (no provider) at each time')
    args = parse_args(parser)

    with bench_server(args) as bench:
        client = Client(bench, legacy_proxy_headers=args.legacy_proxy_headers)
        first = date.today() + timedelta(days=1)
        free = spread_slots(client.slots(first, first + timedelta(days=30)), WARMUP + args.singles + args.clients)
        warmup, singles, burst = free[:WARMUP], free[WARMUP: WARMUP + args.singles], free[WARMUP + args.singles:]

        def book(slot, number):
            return client.book(slot, number, provider=not args.any)

        for i, slot in enumerate(warmup):  # every worker books once or twice first
            assert book(slot, 20000 + i).status == 201
        single = [book(slot, 30000 + i) for i, slot in enumerate(singles)]
        assert all(answer.status == 201 for answer in single), [a.status for a in single]
        single_ms = statistics.median(answer.ms for answer in single)

        log_before, retries_before = len(bench.request_log()), bench.retries()
        results, elapsed = at_once([lambda i=i, slot=slot: book(slot, i) for i, slot in enumerate(burst)])
        burst_log = [entry for entry in bench.request_log()[log_before:] if entry.method == "POST"]
        addresses = len({entry.addr for entry in burst_log})
        retries = bench.retries() - retries_before
        statuses = collections.Counter(answer.status for answer in results)
        connection_errors = statuses.get(0, 0)  # status 0: no answer (refused, reset)
        codes = collections.Counter(answer.data.get("error", "created") for answer in results)
        created = statuses.get(201, 0)
        five_xx = sum(n for status, n in statuses.items() if status >= 500)
        times = [answer.ms for answer in results]
        p50, p95 = percentile(times, 50), percentile(times, 95)
        ratio = p95 / single_ms
        # the answer p95 sits on (interpolated, 1-based) cannot come before ceil(k / workers) service times
        k = math.floor(0.95 * (args.clients - 1)) + 1
        floor_ratio = math.ceil(k / args.workers)

        print(f"single bookings, one at a time ({args.singles} after {WARMUP} to warm up): "
              f"median {single_ms:.0f} ms, min {min(a.ms for a in single):.0f} ms, "
              f"max {max(a.ms for a in single):.0f} ms")
        print(f"{args.clients} clients booked {args.clients} different slots at once "
              f"({'any available' if args.any else 'provider chosen'}), from {addresses} addresses")
        print(f"statuses: {dict(sorted(statuses.items()))}; codes: {dict(codes)}"
              + (" (status 0: no answer, the connection was refused or reset)" if 0 in statuses else ""))
        print(f"latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms; wall time {elapsed:.2f} s "
              f"({args.clients / elapsed:.1f} bookings/s; one at a time: {1000 / single_ms:.1f}/s); "
              f"serialization retries: {retries}")
        print(f"p95 / single: {ratio:.1f} (target <= {TARGET_RATIO:g}); queueing floor with {args.workers} "
              f"workers: {floor_ratio} (answer {k} of {args.clients} comes after >= ceil({k}/{args.workers}) "
              f"service times); p95 / (floor x single): {ratio / floor_ratio:.2f}")
        errors = print_errors(bench)
        ok = (created == args.clients and five_xx == 0 and not connection_errors and addresses == args.clients
              and ratio <= TARGET_RATIO)
        return finish(ok, clients=args.clients, workers=args.workers, created=created, five_xx=five_xx,
                      connection_errors=connection_errors,
                      rate_limited=statuses.get(429, 0), addresses=addresses, single_ms=single_ms, p50_ms=p50,
                      p95_ms=p95, ratio=ratio, target=TARGET_RATIO, floor=floor_ratio, wall_s=elapsed,
                      retries=retries, error_lines=len(errors))


if __name__ == "__main__":
    sys.exit(main())
