#!/usr/bin/env python3
"""50 simultaneous bookings of one slot against a running Odoo server.

DESIGN.md section 9: exactly one booking is created, the 49 others get a 409
``slot_unavailable``, and no request ends in a 5xx. Each request comes from a
different client address (X-Forwarded-For, the server runs in proxy mode), as
50 customers would, so the per-address rate limit does not interfere.

    python3 bench/load_bookings.py [--clients 50] [--workers 4] [--keep]
"""

import argparse
import collections
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import SLUG
from odoo_server import BenchDatabase

API = "/booking/api/v1"


def post(url, body, client):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Forwarded-For": f"10.0.{client // 250}.{client % 250 + 1}"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), time.perf_counter() - start
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            data = json.loads(payload)
        except ValueError:
            data = {"error": payload[:200].decode(errors="replace")}
        return error.code, data, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    bench = BenchDatabase(keep=args.keep)
    try:
        print(f"creating {bench.name} with the section 9 scenario ...", flush=True)
        bench.create()
        bench.start(workers=args.workers)
        day = date.today() + timedelta(days=1)
        with urllib.request.urlopen(f"{bench.url}{API}/pages/{SLUG}/slots?service_id={bench.service_id}"
                                    f"&date_from={day}&date_to={day + timedelta(days=6)}") as response:
            slot = json.loads(response.read())["slots"][0]
        url = f"{bench.url}{API}/pages/{SLUG}/bookings"
        results = [None] * args.clients
        barrier = threading.Barrier(args.clients)

        def client(i):
            body = {"service_id": bench.service_id, "provider_id": slot["provider_id"], "start": slot["start"],
                    "customer": {"name": f"Racer {i}", "email": f"racer{i}@example.com"}}
            barrier.wait()
            results[i] = post(url, body, i)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        statuses = collections.Counter(status for status, _data, _t in results)
        codes = collections.Counter(data.get("error", "created") for _status, data, _t in results)
        with_alternatives = sum(1 for status, data, _t in results if status == 409 and data.get("alternatives"))
        created = statuses.get(201, 0)
        print(f"server: {bench.url}, {args.workers} workers; {args.clients} clients booked "
              f"{slot['start']} with provider {slot['provider_id']} at once ({datetime.now():%H:%M:%S})")
        print(f"statuses: {dict(sorted(statuses.items()))}; codes: {dict(codes)}")
        print(f"409 answers with alternatives: {with_alternatives}")
        print(f"wall time {elapsed:.2f} s; slowest answer {max(t for *_x, t in results):.2f} s")
        five_xx = sum(n for status, n in statuses.items() if status >= 500)
        errors = bench.server_errors()
        print(f"created: {created}, 409: {statuses.get(409, 0)}, 5xx: {five_xx}, server ERROR lines: {len(errors)}")
        for line in errors[:5]:
            print("  ", line[:200])
        ok = created == 1 and statuses.get(409, 0) == args.clients - 1 and five_xx == 0
        print("result:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        bench.drop()


if __name__ == "__main__":
    sys.exit(main())
