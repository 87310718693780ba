#!/usr/bin/env python3
"""Where a public API request spends its time: SQL and Python, in-process.

The request goes through Odoo's whole WSGI application (``odoo.http.root``:
routing, ``ir.http``, the controller, the JSON answer) in this process, on a
bench database, so it can be counted and profiled without a server:

- the SQL queries of one request, with their time (``--sql`` prints them);
- a cProfile of ``--repeat`` requests, the functions that dominate
  (``--profile``), by own time and by cumulative time;
- the wall time split into SQL and Python.

    python3 bench/profile_route.py --scenario large --what slots --range 31 --sql --profile
    python3 bench/profile_route.py --db ssb_bench_1234 --what page     # a database kept with --keep
    python3 bench/profile_route.py --what book --profile               # bookings (each its own address)

``--what``: ``page`` (GET /pages/<slug>), ``slots`` (the slots request of
``--range`` days), ``slots-half`` (the same on the page with half the
providers) or ``book`` (POST /pages/<slug>/bookings of free slots, one per
request).
"""

import traceback
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import threading
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import API
from odoo_server import HALF_SLUG
from odoo_server import SLUG
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import client_address
from odoo_server import parse_args
from odoo_server import spread_slots


class InProcess:
    """Requests through ``odoo.http.root`` in this process, with their SQL recorded."""

    def __init__(self, bench):
        from werkzeug.test import Client as WerkzeugClient  # noqa: PLC0415

        import odoo.http  # noqa: PLC0415

        bench.registry()  # configures this process for the database
        self.bench = bench
        self.client = WerkzeugClient(odoo.http.root)
        self.queries = []

    def _hook(self, cr, query, params, start, delay):
        q = query if isinstance(query, str) else query.decode(errors="replace")
        if os.environ.get("TRACE") and os.environ["TRACE"] in q:
            print("=== TRACE", q[:120]); traceback.print_stack(limit=int(os.environ.get("DEPTH", "30")))
        self.queries.append((delay * 1000, q))

    def request(self, method, path, json=None, client=1):
        thread = threading.current_thread()
        self.queries = []
        thread.query_hooks = [self._hook]
        start = time.perf_counter()
        try:
            response = self.client.open(path, method=method, json=json,
                                        environ_base={"REMOTE_ADDR": client_address(client)})
            body = response.get_data()
        finally:
            del thread.query_hooks
        ms = (time.perf_counter() - start) * 1000
        return response.status_code, body, ms, list(self.queries)

def _patch():
    import odoo.api
    orig = odoo.api.Environment.add_to_compute
    def add_to_compute(self, field, records):
        if field.name == os.environ.get("FIELD") and any(isinstance(i, int) for i in records._ids):
            print("=== ADD", field, records); traceback.print_stack(limit=14)
        return orig(self, field, records)
    odoo.api.Environment.add_to_compute = add_to_compute


def main():
    _patch()
    parser = bench_parser(__doc__, server=False)
    parser.add_argument("--what", choices=("page", "slots", "slots-half", "book"), default="slots")
    parser.add_argument("--range", type=int, dest="range_days", default=7, help="days in the slots request")
    parser.add_argument("--repeat", type=int, default=30, help="requests timed and profiled")
    parser.add_argument("--sql", action="store_true", help="print the SQL queries of one request")
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the timed requests")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = parse_args(parser)

    with bench_server(args, server=False) as bench:
        http = InProcess(bench)
        first = date.today() + timedelta(days=1)

        def slots_path(days, slug=SLUG):
            service = bench.half_service_id if slug == HALF_SLUG else bench.service_id
            return (f"{API}/pages/{slug}/slots?service_id={service}"
                    f"&date_from={first}&date_to={first + timedelta(days=days - 1)}")

        if args.what == "book":
            status, body, _ms, _q = http.request("GET", slots_path(31))

            free = spread_slots(json.loads(body)["slots"], 2 * args.repeat + 5)
            counter = iter(range(10**6))

            def call():
                n = next(counter)
                slot = free[n]
                return http.request("POST", f"{API}/pages/{SLUG}/bookings", json={
                    "service_id": bench.service_id, "provider_id": slot["provider_id"], "start": slot["start"],
                    "customer": {"name": f"Profiled client {n}", "email": f"profiled{n}@example.com"},
                }, client=5000 + n)
        else:
            path = {"page": f"{API}/pages/{SLUG}", "slots": slots_path(args.range_days),
                    "slots-half": slots_path(args.range_days, HALF_SLUG)}[args.what]

            def call():
                return http.request("GET", path)

        for _ in range(5):  # warm the registry's caches, as a running worker has them
            status, body, _ms, queries = call()
        print(f"{args.what}: status {status}, {len(body):,} bytes, {len(queries)} SQL queries")
        if args.sql:
            for ms, query in queries:
                print(f"  [{ms:6.2f} ms] {' '.join(query.split())[:300]}")

        times, sql_times, counts = [], [], []
        for _ in range(args.repeat):
            status, body, ms, queries = call()
            times.append(ms)
            sql_times.append(sum(q_ms for q_ms, _q in queries))
            counts.append(len(queries))
        median, sql = statistics.median(times), statistics.median(sql_times)
        print(f"{args.repeat} requests in-process: median {median:.1f} ms, of which SQL {sql:.1f} ms "
              f"({sql / median:.0%}), Python and the rest {median - sql:.1f} ms; "
              f"queries per request {min(counts)}-{max(counts)}")
        if args.profile:
            profiler = cProfile.Profile()
            for _ in range(args.repeat):
                profiler.enable()
                call()
                profiler.disable()
            for key in ("tottime", "cumulative"):
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(key).print_stats(args.top)
                print(f"--- cProfile, {args.repeat} requests, sorted by {key} ---")
                print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        print("figures:", f"what={args.what} days={args.range_days} providers={bench.providers} "
              f"median_ms={median:.2f} sql_ms={sql:.2f} queries={counts[-1]}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
