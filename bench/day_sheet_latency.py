#!/usr/bin/env python3
"""Latency of the day sheet's one call (booking.day.sheet.get_day_sheet) on a busy day, through a real server.

The large scenario of DESIGN.md section 9 (40 providers, 6,000 bookings over
31 days: about 220 bookings on a working day), a Booking user signed in: the
day sheet of the busiest day is read as the web client reads it
(``/web/dataset/call_kw``), alternately with a list view's read of 80
appointments (``web_search_read``, what *All Appointments* opens on) as a
familiar reference. Also the SQL queries per call, as the server counted
them: the page of 40 providers against the page of 20 (the same bookings):
they must be equal.

    python3 bench/day_sheet_latency.py [--requests 100] [--workers 2] [--keep] [--name DB]

``--name`` names the fresh database (default: ssb_bench_<pid>), for machines where
databases follow a naming rule.
"""

import collections
import contextlib
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import BenchDatabase
from odoo_server import Client
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import describe_times
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors

LOGIN = "bench_desk"
QUERY_SAMPLES = 5
SHEET_PATH = "/web/dataset/call_kw/booking.day.sheet/get_day_sheet"
LIST_PATH = "/web/dataset/call_kw/booking.appointment/web_search_read"
LIST_SPEC = {"name": {}, "start": {}, "stop": {}, "state": {}, "partner_id": {"fields": {"display_name": {}}},
             "service_id": {"fields": {"display_name": {}}}, "provider_id": {"fields": {"display_name": {}}}}


def add_desk_user(bench):
    """A Booking user of the bench company (the day sheet is for staff), with a password."""
    import odoo  # noqa: PLC0415
    from odoo import Command, api  # noqa: PLC0415

    with bench.registry().cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        if not env["res.users"].search([("login", "=", LOGIN)]):
            env["res.users"].create({
                "name": "Bench Desk", "login": LOGIN, "password": LOGIN,
                "groups_id": [Command.set([env.ref("base.group_user").id,
                                           env.ref("self_serve_booking.group_booking_user").id])],
            })
        # the busiest day of the scenario (local dates in the page's zone)
        cr.execute("""
            SELECT (a.start AT TIME ZONE 'UTC' AT TIME ZONE p.tz)::date, count(*)
              FROM booking_appointment a JOIN booking_page p ON p.id = a.page_id
             WHERE p.id = %s
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1
        """, [bench.page_id])
        return cr.fetchone()


@contextlib.contextmanager
def named_bench_server(args):
    """``odoo_server.bench_server``, in a fresh database of the name given (dropped at the end unless kept)."""
    if not args.name:
        with bench_server(args) as bench:
            yield bench
        return
    bench = BenchDatabase(name=args.name, keep=args.keep, providers=args.providers, days=args.days,
                          busy=args.busy, seed=args.seed, rate_limit=args.rate_limit, ref=args.ref)
    try:
        print(f"creating {bench.name}: addon installed, {bench.describe()} ...", flush=True)
        started = time.perf_counter()
        bench.create()
        print(f"  database ready in {time.perf_counter() - started:.0f} s", flush=True)
        bench.start(workers=args.workers)
        yield bench
    finally:
        bench.drop()


def rpc(client, path, params, cookie):
    answer = client.request("POST", path, body={"jsonrpc": "2.0", "method": "call", "params": params},
                            headers={"Cookie": cookie})
    assert answer.status == 200 and "result" in answer.data, answer
    return answer


def main():
    parser = bench_parser(__doc__, scenario="large", workers=2)
    parser.add_argument("--requests", type=int, default=100, help="requests of each kind")
    parser.add_argument("--name", help="the name of the fresh database (not with --db)")
    args = parse_args(parser)

    with named_bench_server(args) as bench:
        day, bookings = add_desk_user(bench)
        client = Client(bench)
        answer = client.request("POST", "/web/session/authenticate", body={
            "jsonrpc": "2.0", "method": "call", "params": {"db": bench.name, "login": LOGIN, "password": LOGIN}})
        assert answer.status == 200 and answer.data.get("result"), answer
        cookie = answer.headers["Set-Cookie"].split(";")[0]

        def sheet(page_id=bench.page_id):
            return rpc(client, SHEET_PATH, {
                "model": "booking.day.sheet", "method": "get_day_sheet", "args": [],
                "kwargs": {"page_id": page_id, "day": day.isoformat()}}, cookie)

        def appointments_list():
            return rpc(client, LIST_PATH, {
                "model": "booking.appointment", "method": "web_search_read", "args": [],
                "kwargs": {"domain": [], "specification": LIST_SPEC, "limit": 80, "order": "start desc"}}, cookie)

        for _ in range(20):  # warm every worker's caches
            sheet()
            appointments_list()
        answer = sheet()
        data = answer.data["result"]
        shown = sum(len(column["appointments"]) for column in data["columns"])
        gaps = sum(len(column["gaps"]) for column in data["columns"])
        body_bytes = len(str(answer.data).encode())
        sheet_times, list_times = [], []
        for _ in range(args.requests):
            sheet_times.append(sheet().ms)
            list_times.append(appointments_list().ms)

        # queries: all 40 providers against the page of 20, after a warm-up of each
        for page_id in (bench.page_id, bench.half_page_id):
            for _ in range(10 + QUERY_SAMPLES):
                sheet(page_id)
        logged = collections.defaultdict(list)
        for entry in bench.request_log():
            logged[entry.path].append(entry.queries)
        # the last samples of the path: first the full page's, then the half page's
        samples = logged[SHEET_PATH]
        full = samples[-2 * QUERY_SAMPLES:-QUERY_SAMPLES]
        half = samples[-QUERY_SAMPLES:]
        constant = len(set(full) | set(half)) == 1 and None not in full

        sheet_median, list_median = statistics.median(sheet_times), statistics.median(list_times)
        print(f"day sheet of {day} (page {bench.page_id}): {len(data['columns'])} columns, {shown} bookings "
              f"({bookings} on the page that day), {gaps} gaps, about {body_bytes:,} bytes of JSON")
        print(f"{args.requests} requests of each kind, alternating, after a warm-up of 20 each")
        print(f"get_day_sheet: {describe_times(sheet_times)}")
        print(f"web_search_read, 80 appointments: {describe_times(list_times)}")
        print(f"ratio day sheet / list read: {sheet_median / list_median:.2f}")
        print(f"SQL queries, {bench.providers} providers: {full}; {max(1, bench.providers // 2)} providers: {half}")
        print(f"SQL queries constant in providers: {'yes' if constant else 'NO'}")
        errors = print_errors(bench)
        return finish(constant and not errors, scenario=args.scenario, providers=bench.providers, day=day,
                      bookings=shown, sheet_ms=sheet_median, list_ms=list_median,
                      ratio=sheet_median / list_median, sheet_queries=full[-1] if full else None,
                      queries_constant="yes" if constant else "no")


if __name__ == "__main__":
    sys.exit(main())
