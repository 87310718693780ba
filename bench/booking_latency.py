#!/usr/bin/env python3
"""One booking through the API against GET /pages/<slug>, same server, same run.

DESIGN.md section 9: one booking through the API on a quiet server costs at
most 2 times a page request, and its SQL queries are constant in the number
of existing appointments; issue 26 adds: at most 30 queries.

Bookings and page requests alternate on a real Odoo server with workers,
after a warm-up; each booking is a new visitor (their own address and
e-mail) taking a free slot of the section 9 scenario. Query counts are the
server's own (odoo.netsvc.PerfFilter on werkzeug's request log).

What a booking's answer does not wait for (its chatter line, followers,
bill, messages, news to open pages: ``booking_appointment_intake``) runs in
the scheduled action the booking wakes, in Odoo's cron worker. The server
here runs without cron threads, so that the alternation measures requests
only; that deferred part is then run in this process, as the cron worker
runs it, and its cost per booking printed too (time and queries): a booking
is cheap to answer, not free.

    python3 bench/booking_latency.py [--requests 60] [--workers 4] [--keep]
    python3 bench/booking_latency.py --phone        # visitors give a mobile number too
"""

import collections
import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import API
from odoo_server import SLUG
from odoo_server import Client
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import describe_times
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors
from odoo_server import spread_slots

TARGET_RATIO = 2.0
TARGET_QUERIES = 30
WARM_UP = 20


def complete_pending(bench):
    """Run the completing scheduled action as the cron worker does (batches, each committed): ms and queries
    per booking completed."""
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    registry = bench.registry()
    queries = []
    thread = threading.current_thread()
    thread.query_hooks = [lambda *args: queries.append(1)]
    done, start = 0, time.perf_counter()
    try:
        while True:
            with registry.cursor() as cr:
                scheduler = api.Environment(cr, SUPERUSER_ID, {})["booking.scheduler"]
                if not hasattr(scheduler, "_cron_complete_bookings"):  # --ref of a version that completes at once
                    break
                count = scheduler._cron_complete_bookings()
            if not count:
                break
            done += count
    finally:
        del thread.query_hooks
        odoo.modules.registry.Registry.delete(bench.name)
    elapsed = (time.perf_counter() - start) * 1000
    return done, elapsed / max(done, 1), len(queries) / max(done, 1)


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--requests", type=int, default=60, help="bookings (and page requests) measured")
    parser.add_argument("--phone", action="store_true", help="visitors give a mobile number too (e-mail only else)")
    args = parse_args(parser)

    with bench_server(args) as bench:
        client = Client(bench)
        first = date.today() + timedelta(days=1)
        page_path = f"{API}/pages/{SLUG}"
        free = spread_slots(client.slots(first, first + timedelta(days=30)), WARM_UP + args.requests)
        def book(slot, number):
            if not args.phone:
                return client.book(slot, number)
            return client.post(f"{API}/pages/{SLUG}/bookings", {
                "service_id": bench.service_id, "provider_id": slot["provider_id"], "start": slot["start"],
                "customer": {"name": f"Bench client {number} ({client.run})",
                             "email": f"client{number}-{client.run}@example.com",
                             "phone": f"+3361{(number * 10 + client.run % 10) % 10**7:07d}"},
            }, client=number)

        for i, slot in enumerate(free[:WARM_UP]):  # every worker books and serves the page first
            assert client.get(page_path).status == 200
            answer = book(slot, 40000 + i)
            assert answer.status == 201, answer
        page_times, booking_times = [], []
        for i, slot in enumerate(free[WARM_UP:]):
            answer = client.get(page_path)
            assert answer.status == 200, answer
            page_times.append(answer.ms)
            answer = book(slot, 41000 + i)
            assert answer.status == 201, answer
            booking_times.append(answer.ms)
        page_median = statistics.median(page_times)
        booking_median = statistics.median(booking_times)
        ratio = booking_median / page_median

        logged = collections.defaultdict(list)
        for entry in bench.request_log():
            logged[(entry.method, entry.path)].append(entry.queries)
        booking_counts = logged[("POST", f"{API}/pages/{SLUG}/bookings")][-args.requests:]
        page_counts = logged[("GET", page_path)][-args.requests:]
        most = max(n or 0 for n in booking_counts)
        errors = print_errors(bench)
        bench.stop()
        completed, complete_ms, complete_queries = complete_pending(bench)

        print(f"{args.requests} bookings and page requests, alternating, after a warm-up of {WARM_UP} each; "
              f"{bench.providers} providers, {bench.busy:,} busy ranges; visitors give an e-mail"
              f"{' and a mobile number' if args.phone else ''}")
        print(f"GET /pages/{SLUG}: {describe_times(page_times)}")
        print(f"POST /pages/{SLUG}/bookings: {describe_times(booking_times)}")
        print(f"ratio booking / page: {ratio:.2f} (target <= {TARGET_RATIO:g})")
        print(f"SQL queries per booking: {sorted(collections.Counter(booking_counts).items())} "
              f"(count: times; target <= {TARGET_QUERIES})")
        print(f"SQL queries per page request: {sorted(collections.Counter(page_counts).items())}")
        print(f"completed afterwards by the scheduled action (cron worker, in batches, committed): {completed} "
              f"bookings, {complete_ms:.1f} ms and {complete_queries:.1f} queries per booking")
        ok = ratio <= TARGET_RATIO and most <= TARGET_QUERIES and not errors
        return finish(ok, providers=bench.providers, busy=bench.busy, page_ms=page_median,
                      booking_ms=booking_median, ratio=ratio, target=TARGET_RATIO, booking_queries=most,
                      page_queries=max(n or 0 for n in page_counts), completed=completed,
                      complete_ms=complete_ms, complete_queries=complete_queries)


if __name__ == "__main__":
    sys.exit(main())
