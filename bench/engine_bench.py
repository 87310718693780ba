#!/usr/bin/env python3
"""Benchmark of the pure slot engine on the DESIGN.md section 9 scenario.

20 providers x 31 days of working hours (with a lunch break), 3,000 busy
ranges, a 60-minute service on a 15-minute grid with buffers, "any
available" ordering. Prints the time of ``compute_slots`` and checks that its
answer is identical to a brute-force reference built from the definition.

    python3 bench/engine_bench.py [--runs 50] [--seed 7]
"""

import argparse
import os
import random
import statistics
import sys
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.slots import ProviderInput
from engine.slots import Rules
from engine.slots import compute_slots
from engine.slots import epoch
from engine.tests.helpers import brute_force_starts
from engine.tests.helpers import local_date
from engine.tests.helpers import weekly_work_intervals

TZ = ZoneInfo("Europe/Paris")
PROVIDERS = 20
DAYS = 31
BUSY = 3000
TARGET_MS = 20.0


def scenario(seed):
    rng = random.Random(seed)
    first = date(2025, 10, 1)  # the range crosses the October DST change
    last = first + timedelta(days=DAYS - 1)
    schedule = {d: [(time(9), time(12, 30)), (time(13, 30), time(19))] for d in range(6)}
    providers = []
    per_provider = [BUSY // PROVIDERS] * PROVIDERS
    for i in range(BUSY - sum(per_provider)):
        per_provider[i] += 1
    for pid in range(1, PROVIDERS + 1):
        work = weekly_work_intervals(schedule, TZ, first, last)
        busy = []
        # non-overlapping appointments of 30-120 min on a 5-minute grid,
        # spread over the month, with buffers already applied
        taken = set()
        while len(busy) < per_provider[pid - 1]:
            day = first + timedelta(days=rng.randrange(DAYS))
            start = datetime.combine(day, time(8), tzinfo=TZ) + timedelta(minutes=5 * rng.randrange(140))
            length = rng.choice((30, 45, 60, 90, 120))
            s = epoch(start)
            key = (day, start.hour)
            if key in taken:
                continue
            taken.add(key)
            busy.append((s, s + length * 60))
        providers.append(ProviderInput(pid, work, sorted(busy), last_booked=rng.randrange(10**9)))
    now = epoch(datetime.combine(first, time(7), tzinfo=TZ))
    rules = Rules(
        duration=3600,
        step=900,
        buffer_before=600,
        buffer_after=900,
        earliest=now + 2 * 3600,
        latest=now + 60 * 86400,
    )
    return providers, rules, first, last


def reference(providers, rules, first, last):
    """Slots straight from the definition: brute force, then naive ranking."""
    rows = []
    for p in providers:
        load = {}
        for bs, be in p.busy:
            d = local_date(bs, TZ)
            load[d] = load.get(d, 0) + (be - bs)
        for s in brute_force_starts(p.work, p.busy, rules):
            d = local_date(s, TZ)
            if first <= d <= last:
                last_booked = p.last_booked if p.last_booked is not None else -1
                rows.append(((s, load.get(d, 0), last_booked, p.provider_id), p.provider_id))
    rows.sort()
    return [(key[0], key[0] + rules.duration, pid) for key, pid in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    providers, rules, first, last = scenario(args.seed)
    busy = sum(len(p.busy) for p in providers)
    result = compute_slots(providers, rules, TZ, first, last)
    times = []
    for _ in range(args.runs):
        t0 = clock.perf_counter()
        compute_slots(providers, rules, TZ, first, last)
        times.append((clock.perf_counter() - t0) * 1000)
    t0 = clock.perf_counter()
    expected = reference(providers, rules, first, last)
    brute_ms = (clock.perf_counter() - t0) * 1000
    identical = result == expected

    median = statistics.median(times)
    print(f"scenario: {len(providers)} providers x {DAYS} days, {busy} busy ranges, "
          f"60 min service on a 15 min grid, buffers 10/15 min, tz {TZ.key}")
    print(f"slots: {len(result)}")
    print(f"compute_slots: median {median:.2f} ms, min {min(times):.2f} ms, "
          f"max {max(times):.2f} ms over {args.runs} runs (target <= {TARGET_MS:.0f} ms)")
    print(f"brute-force reference: {brute_ms:.0f} ms; identical output: {'yes' if identical else 'NO'}")
    ok = identical and median <= TARGET_MS
    print("result:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
