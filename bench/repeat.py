#!/usr/bin/env python3
"""Run a benchmark several times, one after the other, and summarize its figures.

Each benchmark ends with a ``figures: key=value ...`` line and a
``result:`` line; this prints every run's output, then for each figure the
median and the range over the runs (or the distinct values, for words), and
how many runs passed. Timings on a shared machine vary: compare ratios
measured within one run, and report the median of several.

    python3 bench/repeat.py 3 bench/http_latency.py --scenario large
    python3 bench/repeat.py 3 bench/load_distinct_slots.py
"""

import statistics
import subprocess
import sys


def parse_figures(output):
    for line in output.splitlines():
        if line.startswith("figures:"):
            return dict(item.split("=", 1) for item in line.split()[1:])
    return {}


def number(value):
    try:
        return float(value)
    except ValueError:
        return None


def main(argv):
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit(__doc__)
    runs, command = int(argv[0]), [sys.executable, *argv[1:]]
    figures, results = [], []
    for run in range(1, runs + 1):
        print(f"=== run {run}/{runs}: {' '.join(argv[1:])}", flush=True)
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        print(proc.stdout, end="")
        if proc.returncode not in (0, 1) or "figures:" not in proc.stdout:
            print(proc.stderr[-3000:], end="")
        figures.append(parse_figures(proc.stdout))
        results.append("PASS" if proc.returncode == 0 else "FAIL")
    print(f"=== {runs} runs of {' '.join(argv[1:])}: {results.count('PASS')} PASS, {results.count('FAIL')} FAIL")
    keys = list(dict.fromkeys(key for run in figures for key in run))
    for key in keys:
        values = [run[key] for run in figures if key in run]
        numbers = [number(value) for value in values]
        if values and None not in numbers:
            print(f"  {key}: median {statistics.median(numbers):g}, range {min(numbers):g}-{max(numbers):g} "
                  f"(runs: {', '.join(values)})")
        else:
            print(f"  {key}: {', '.join(values)}")
    return 0 if results.count("PASS") == runs else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
