#!/usr/bin/env python3
"""50 simultaneous bookings of one slot against a running Odoo server, rate limit on.

DESIGN.md section 9: exactly one booking is created, the 49 others get a 409
``slot_unavailable``, and no request ends in a 5xx. The page keeps its
default rate limit (5 bookings per address per 10 minutes), as in
production, and each request comes from an address of its own, as 50
customers' would: the client sends X-Forwarded-For with X-Forwarded-Host,
without which Odoo 18's proxy mode ignores the header. The script checks
that Odoo saw 50 addresses (its request log), and probes the limiter: one
address booking 6 free slots gets a 429 for the 6th, 6 addresses booking one
each get none.

    python3 bench/load_bookings.py [--clients 50] [--workers 4] [--keep]
    python3 bench/load_bookings.py --legacy-proxy-headers   # the old headers: one address for all, 429s
"""

import collections
import os
import sys
from datetime import date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import Client
from odoo_server import at_once
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors
from odoo_server import probe_rate_limit
from odoo_server import spread_slots


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--clients", type=int, default=50)
    args = parse_args(parser)

    with bench_server(args) as bench:
        client = Client(bench, legacy_proxy_headers=args.legacy_proxy_headers)
        day = date.today() + timedelta(days=1)
        # the race's slot, and free slots of other providers or days for the limiter's probe
        probe_size = 2 * (bench.page_rate_limit + 1)
        slot, *probe_slots = spread_slots(client.slots(day, day + timedelta(days=6)), 1 + probe_size)
        log_before = len(bench.request_log())
        results, elapsed = at_once([lambda i=i: client.book(slot, i) for i in range(args.clients)])
        race_log = [entry for entry in bench.request_log()[log_before:] if entry.method == "POST"]
        addresses = len({entry.addr for entry in race_log})
        statuses = collections.Counter(answer.status for answer in results)
        connection_errors = statuses.get(0, 0)  # status 0: no answer (refused, reset)
        codes = collections.Counter(answer.data.get("error", "created") for answer in results)
        with_alternatives = sum(1 for answer in results if answer.status == 409 and answer.data.get("alternatives"))
        created = statuses.get(201, 0)
        print(f"{args.clients} clients booked {slot['start']} with provider {slot['provider_id']} at once "
              f"({datetime.now():%H:%M:%S})")
        print(f"statuses: {dict(sorted(statuses.items()))}; codes: {dict(codes)}"
              + (" (status 0: no answer, the connection was refused or reset)" if 0 in statuses else ""))
        print(f"409 answers with alternatives: {with_alternatives}")
        print(f"client addresses Odoo saw: {addresses} for {len(race_log)} requests "
              f"({', '.join(sorted({e.addr for e in race_log})[:3])}, ...)")
        print(f"wall time {elapsed:.2f} s; slowest answer {max(a.ms for a in results) / 1000:.2f} s; "
              f"serialization retries: {bench.retries()}")
        probe_ok, probe = probe_rate_limit(client, probe_slots, first_client=10000)
        print(f"rate limit probe ({bench.rate_limit_label()}): {probe} -> {'ok' if probe_ok else 'NOT OK'}")
        five_xx = sum(n for status, n in statuses.items() if status >= 500)
        errors = print_errors(bench)
        ok = (created == 1 and statuses.get(409, 0) == args.clients - 1 and five_xx == 0
              and addresses == args.clients and probe_ok)
        return finish(ok, clients=args.clients, workers=args.workers, created=created,
                      conflicts=statuses.get(409, 0), rate_limited=statuses.get(429, 0), five_xx=five_xx,
                      connection_errors=connection_errors,
                      addresses=addresses, wall_s=elapsed, error_lines=len(errors), retries=bench.retries(),
                      probe="ok" if probe_ok else "failed")


if __name__ == "__main__":
    sys.exit(main())
