"""Shared harness for the benchmarks that need a database or a running Odoo server.

It creates a fresh database with the addon installed, loads a DESIGN.md
section 9 scenario through the ORM (by default 20 providers, 31 days of
working hours, 3,000 busy ranges; ``--scenario large`` is 40 providers and
6,000 busy ranges), and starts an Odoo server with several workers in proxy
mode, as in production. Nothing here installs Odoo itself: it must be
importable by this Python.

Besides the database and the server, the scripts share from here:

- their command line (:func:`bench_parser`) and set-up (:func:`bench_server`);
- an HTTP client (:class:`Client`) that sends each simulated customer's
  requests from an address of its own, the way a reverse proxy reports it;
- the server's request log (:meth:`BenchDatabase.request_log`): one entry
  per request with the client address Odoo saw and the SQL queries it ran;
- percentiles, a burst of simultaneous requests, and the closing
  ``figures:`` and ``result:`` lines.

Client addresses: Odoo 18 applies werkzeug's ProxyFix (``--proxy-mode``)
only to requests that carry ``X-Forwarded-Host``
(``odoo.http.Application.__call__``); ``X-Forwarded-For`` alone is ignored
and every request comes from 127.0.0.1. nginx and the other proxies Odoo
documents send both, so the client sends both (``--legacy-proxy-headers``
sends only ``X-Forwarded-For``, to show the difference).
"""

import argparse
import collections
import contextlib
import copy
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "self_serve_booking"
API = "/booking/api/v1"
SLUG = "bench-spa"
HALF_SLUG = "bench-spa-half"  # the same data, the first half of the providers: queries must not change
TZ = "Europe/Paris"
# DESIGN.md section 9 scenarios
SCENARIOS = {
    "base": {"providers": 20, "days": 31, "busy": 3000},
    "large": {"providers": 40, "days": 31, "busy": 6000},
}
PROVIDERS = SCENARIOS["base"]["providers"]
DAYS = SCENARIOS["base"]["days"]
BUSY = SCENARIOS["base"]["busy"]
# working hours of every provider, Monday to Saturday, local time (minutes)
WORK_HOURS = ((9 * 60, 12 * 60 + 30), (13 * 60 + 30, 19 * 60))
WORK_DAYS = range(6)
# the scenario's appointments: these lengths, no buffers, on a 15-minute grid within working hours
BUSY_LENGTHS = (30, 45, 60, 90)
MAX_BUSY_PER_DAY = 8  # per provider and working day, at most (they average 56 minutes of a 9-hour day)
# HTTP ports these benchmarks may use (the server and Odoo's gevent process take one each)
PORTS = range(int(os.environ.get("BENCH_PORT_MIN", "8190")), int(os.environ.get("BENCH_PORT_MAX", "8199")) + 1)


def odoo_paths():
    code = "import os, odoo; print(os.path.dirname(os.path.abspath(odoo.__file__)))"
    try:
        odoo_pkg = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError:
        sys.exit(f"`import odoo` fails for {sys.executable}: these benchmarks need Odoo 18.")
    odoo_pkg = odoo_pkg.strip()
    return [p for p in (os.path.join(os.path.dirname(odoo_pkg), "addons"), os.path.join(odoo_pkg, "addons"))
            if os.path.isdir(p)]


_claimed_ports = set()


def free_port():
    """A free port of ``PORTS`` (BENCH_PORT_MIN..BENCH_PORT_MAX), not handed out before by this process."""
    for port in PORTS:
        if port in _claimed_ports:
            continue
        with contextlib.closing(socket.socket()) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _claimed_ports.add(port)
        return port
    sys.exit(f"no free port in {PORTS.start}-{PORTS.stop - 1} (set BENCH_PORT_MIN / BENCH_PORT_MAX)")


# === COMMAND LINE === #


def bench_parser(doc, server=True, **defaults):
    """The arguments every benchmark takes; ``defaults`` override the scenario's and others."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                     epilog="\n".join(doc.strip().splitlines()[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_argument_group("scenario (DESIGN.md section 9)")
    group.add_argument("--scenario", choices=sorted(SCENARIOS), default="base",
                       help="base: 20 providers, 3,000 busy ranges; large: 40 providers, 6,000 (both 31 days)")
    group.add_argument("--providers", type=int, help="override the scenario's providers")
    group.add_argument("--days", type=int, help="override the scenario's days with working hours and busy ranges")
    group.add_argument("--busy", type=int, help="override the scenario's busy ranges (booked appointments)")
    group.add_argument("--seed", type=int, default=7)
    if server:
        group = parser.add_argument_group("server")
        group.add_argument("--workers", type=int, default=4)
        group.add_argument("--rate-limit", type=int, default=None, metavar="N",
                           help="bookings per client address per 10 minutes on the page "
                                "(default: the page's default, 5, as in production; 0: off)")
        group.add_argument("--legacy-proxy-headers", action="store_true",
                           help="send X-Forwarded-For without X-Forwarded-Host, which Odoo ignores: "
                                "every client is then 127.0.0.1 (the bug this harness fixed)")
    parser.add_argument("--ref", metavar="COMMIT",
                        help="benchmark the addon as committed at COMMIT (a git archive snapshot) rather than "
                             "the working tree, which may be in the middle of an edit")
    parser.add_argument("--keep", action="store_true", help="keep the database (and the server log)")
    parser.add_argument("--db", metavar="NAME",
                        help="use this bench database (one made with --keep) instead of creating one; "
                             "it is kept, and whatever the benchmark books stays booked")
    parser.set_defaults(**defaults)
    return parser


def parse_args(parser, argv=None):
    """Parsed arguments, the scenario resolved into ``providers``, ``days`` and ``busy``."""
    args = parser.parse_args(argv)
    for key, value in SCENARIOS[args.scenario].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


@contextlib.contextmanager
def bench_server(args, server=True):
    """A database with the scenario of ``args`` (and a server on it), dropped at the end."""
    bench = BenchDatabase(name=args.db, keep=args.keep, providers=args.providers, days=args.days, busy=args.busy,
                          seed=args.seed, rate_limit=getattr(args, "rate_limit", None), ref=args.ref)
    print(f"addon: {bench.source}", flush=True)
    try:
        if args.db:
            bench.attach()
            print(f"using {bench.name}: {bench.describe()}", flush=True)
        else:
            print(f"creating {bench.name}: addon installed, {bench.describe()} ...", flush=True)
            started = time.perf_counter()
            bench.create()
            print(f"  database ready in {time.perf_counter() - started:.0f} s", flush=True)
        if server:
            bench.start(workers=args.workers)
            print(f"server: {bench.url}, {args.workers} workers, proxy mode, page rate limit: "
                  f"{bench.rate_limit_label()}", flush=True)
        yield bench
    finally:
        if args.keep:
            print(f"kept: database {bench.name}, files in {bench.tmp}")
        bench.drop()


# === DATABASE AND SERVER === #


class BenchDatabase:
    """A throw-away database with the addon and a scenario, and a server on it."""

    def __init__(self, name=None, keep=False, providers=PROVIDERS, days=DAYS, busy=BUSY, seed=7, rate_limit=None,
                 ref=None):
        self.name = name or f"ssb_bench_{os.getpid()}"
        self.keep = keep
        self.providers, self.days, self.busy, self.seed = providers, days, busy, seed
        self.rate_limit = rate_limit  # None: the page's default
        if busy > MAX_BUSY_PER_DAY * providers * days * len(WORK_DAYS) // 7:
            sys.exit(f"{busy} busy ranges do not fit {providers} providers x {days} days")
        self.tmp = tempfile.mkdtemp(prefix="ssb-bench-")
        addons = os.path.join(self.tmp, "addons")
        os.makedirs(addons)
        if ref:  # a snapshot of a commit: the measurements do not depend on edits in progress
            commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", f"{ref}^{{commit}}"],
                                    capture_output=True, text=True, check=False).stdout.strip()
            if not commit:
                sys.exit(f"{ref} is not a commit of {ROOT}")
            os.makedirs(os.path.join(addons, MODULE))
            archive = subprocess.Popen(["git", "-C", ROOT, "archive", "--format=tar", commit], stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", os.path.join(addons, MODULE)], stdin=archive.stdout, check=True)
            if archive.wait():
                sys.exit(f"git archive {commit} failed")
            self.source = f"commit {commit} of {ROOT}"
        else:
            os.symlink(ROOT, os.path.join(addons, MODULE))
            self.source = f"working tree of {ROOT}"
        self.addons_path = ",".join([addons, *odoo_paths()])
        self.server = None
        self.port = None
        self.workers = None
        self.log_path = os.path.join(self.tmp, "server.log")
        self.attached = False

    def describe(self):
        return f"{self.providers} providers x {self.days} days, {self.busy:,} busy ranges"

    def rate_limit_label(self):
        count = self.page_rate_limit if hasattr(self, "page_rate_limit") else self.rate_limit
        return "off" if count == 0 else f"{count} per {getattr(self, 'page_rate_minutes', 10)} minutes"

    def odoo(self, *args, log=None):
        cmd = [sys.executable, "-c", "import sys, odoo.cli; sys.exit(odoo.cli.main())", "-d", self.name,
               f"--addons-path={self.addons_path}", *args]
        with open(log or os.devnull, "w", encoding="utf-8") as out:
            return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

    def create(self):
        subprocess.run(["dropdb", "--if-exists", self.name], check=False, capture_output=True)
        proc = self.odoo("-i", MODULE, "--without-demo=all", "--stop-after-init", "--max-cron-threads=0",
                         "--no-http", "--log-level=warn", log=os.path.join(self.tmp, "install.log"))
        if proc.wait():
            with open(os.path.join(self.tmp, "install.log"), encoding="utf-8", errors="replace") as fh:
                tail = fh.read()[-3000:]
            sys.exit(f"installing the addon failed:\n{tail}")
        self.populate()
        # fresh statistics and no dead rows: stable plans, and no autovacuum running during the measurements
        subprocess.run(["psql", "-q", "-d", self.name, "-c", "VACUUM ANALYZE"], check=True, capture_output=True)

    def registry(self):
        """This database's registry in this process (for in-process measurements)."""
        import odoo  # noqa: PLC0415

        if not getattr(self, "_configured", False):  # Odoo's configuration can be parsed once per process
            odoo.tools.config.parse_config(["-d", self.name, f"--addons-path={self.addons_path}",
                                            "--log-level=warn", f"--db-filter=^{self.name}$"])
            self._configured = True
        return odoo.modules.registry.Registry(self.name)

    def populate(self):
        """The section 9 scenario, through the ORM, in one committed transaction."""
        import odoo  # noqa: PLC0415
        from odoo import Command, api  # noqa: PLC0415

        registry = self.registry()
        rng = random.Random(self.seed)
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True,
                                                           "mail_create_nosubscribe": True,
                                                           "booking_skip_working_time": True})
            calendar = env["resource.calendar"].create({
                "name": "Bench hours",
                "tz": TZ,
                "attendance_ids": [Command.clear()] + [
                    Command.create({"name": f"{day}-{h}", "dayofweek": str(day), "hour_from": h_from / 60,
                                    "hour_to": h_to / 60, "day_period": "morning" if h_from < 12 * 60 else "afternoon"})
                    for day in WORK_DAYS
                    for h, (h_from, h_to) in enumerate(WORK_HOURS)
                ],
            })
            service = env["booking.service"].create({
                "name": "Bench massage", "duration_minutes": 60, "buffer_before_minutes": 10,
                "buffer_after_minutes": 15, "price": 100, "is_published": True,
            })
            providers = env["booking.provider"].create([
                {"name": f"Bench provider {i + 1}", "resource_calendar_id": calendar.id, "tz": TZ,
                 "service_ids": [Command.set(service.ids)]}
                for i in range(self.providers)
            ])
            page_vals = {"tz": TZ, "is_published": True, "auto_confirm": True, "min_notice_hours": 0,
                         "max_advance_days": 60, "slot_step_minutes": 15, "service_ids": [Command.set(service.ids)]}
            if self.rate_limit is not None:
                page_vals["rate_limit_count"] = self.rate_limit
            # the half page: the same service and calendar (a copy of the service, delivered by half the
            # providers only, as the page's service is by all of them), the same busy ranges
            half = providers[: max(1, self.providers // 2)]
            half_service = env["booking.service"].create({
                "name": "Bench massage (half)", "duration_minutes": 60, "buffer_before_minutes": 10,
                "buffer_after_minutes": 15, "price": 100, "is_published": True,
            })
            half.service_ids = [Command.link(half_service.id)]
            page, half_page = env["booking.page"].create([
                {**page_vals, "name": "Bench Spa", "slug": SLUG, "provider_ids": [Command.set(providers.ids)]},
                {**page_vals, "name": "Bench Spa (half the providers)", "slug": HALF_SLUG,
                 "service_ids": [Command.set(half_service.ids)], "provider_ids": [Command.set(half.ids)]},
            ])
            customer = env["res.partner"].create({"name": "Bench customer", "email": "bench@example.com"})
            vals = [
                {"page_id": page.id, "service_id": service.id, "provider_id": provider_id, "partner_id": customer.id,
                 "start": start, "duration_minutes": minutes, "buffer_before_minutes": 0,
                 "buffer_after_minutes": 0, "source": "backend"}
                for provider_id, start, minutes in self._busy_ranges(providers.ids, rng)
            ]
            env["booking.appointment"].create(vals)
            cr.commit()
            self.service_id = service.id
            self.page_id = page.id
            self.half_page_id = half_page.id
            self.half_service_id = half_service.id
            self.provider_ids = providers.ids
            self.page_rate_limit = page.rate_limit_count
            self.page_rate_minutes = page.rate_limit_minutes
        return self

    def attach(self):
        """Take the ids and sizes of an existing bench database (``--db``)."""
        import odoo  # noqa: PLC0415
        from odoo import api  # noqa: PLC0415

        with self.registry().cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            page = env["booking.page"].search([("slug", "=", SLUG)])
            if not page:
                sys.exit(f"{self.name} holds no page {SLUG}: not a bench database")
            self.page_id = page.id
            half_page = env["booking.page"].search([("slug", "=", HALF_SLUG)])
            self.half_page_id = half_page.id
            self.half_service_id = half_page.service_ids[:1].id
            self.service_id = page.service_ids[:1].id
            self.provider_ids = page.provider_ids.ids
            self.providers = len(self.provider_ids)
            self.busy = env["booking.appointment"].search_count([("source", "=", "backend")])
            self.page_rate_limit = page.rate_limit_count
            self.page_rate_minutes = page.rate_limit_minutes
        self.attached = True
        return self

    def _busy_ranges(self, provider_ids, rng):
        """``(provider id, naive UTC start, minutes)`` of the scenario's appointments.

        Within working hours (the addon refuses anything else), never
        overlapping for one provider, spread at random over the providers
        (in turn) and the days from tomorrow on.
        """
        zone = ZoneInfo(TZ)
        first_day = datetime.now(zone).date() + timedelta(days=1)
        days = [first_day + timedelta(days=i) for i in range(self.days)
                if (first_day + timedelta(days=i)).weekday() in WORK_DAYS]
        taken = collections.defaultdict(list)  # (provider, day) -> [(from, to)] local minutes
        result, attempts = [], 0
        while len(result) < self.busy:
            attempts += 1
            if attempts > 200 * self.busy:
                sys.exit(f"could not place {self.busy} busy ranges")
            provider_id = provider_ids[len(result) % len(provider_ids)]
            day = rng.choice(days)
            minutes = rng.choice(BUSY_LENGTHS)
            begin, end = rng.choice(WORK_HOURS)
            if end - begin < minutes:
                continue
            start = begin + 15 * rng.randrange((end - begin - minutes) // 15 + 1)
            stop = start + minutes
            if len(taken[provider_id, day]) >= MAX_BUSY_PER_DAY or any(
                    s < stop and start < e for s, e in taken[provider_id, day]):
                continue
            taken[provider_id, day].append((start, stop))
            local = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(minutes=start)  # wall clock
            result.append((provider_id, local.astimezone(UTC).replace(tzinfo=None), minutes))
        return result

    def start(self, workers=4):
        self.port = free_port()
        self.workers = workers
        # werkzeug:INFO logs one line per request, with the client address Odoo saw and the request's SQL
        # query count (odoo.netsvc.PerfFilter); odoo.service.model:INFO logs the retries of serialization failures
        self.server = self.odoo(f"--http-port={self.port}", f"--workers={workers}", "--max-cron-threads=0",
                                "--proxy-mode", f"--db-filter=^{self.name}$", "--log-level=warn",
                                "--log-handler=werkzeug:INFO", "--log-handler=odoo.service.model:INFO",
                                "--limit-time-real=600", "--limit-time-cpu=600",
                                f"--gevent-port={free_port()}", "--db_maxconn=64",
                                log=self.log_path)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        sys.exit(f"the server did not start; see {self.log_path}")

    def start_another(self, workers=4):
        """A second Odoo server on the same database (its own port, log and workers), as a second node would be:
        stop it with ``stop()``."""
        other = copy.copy(self)
        other.server = None
        other.log_path = os.path.join(self.tmp, f"server-{free_port()}.log")
        return other.start(workers=workers)

    def worker_rss(self):
        """Resident memory of the server's processes (the main one and each worker), in MB."""
        import psutil  # noqa: PLC0415 - Odoo's own requirement

        if not self.server:
            return []
        main = psutil.Process(self.server.pid)
        processes = [main, *main.children(recursive=True)]
        sizes = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                sizes.append(process.memory_info().rss / 2**20)
        return sizes

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def _log_lines(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in fh]

    def server_errors(self):
        return [line for line in self._log_lines() if " ERROR " in line or " CRITICAL " in line]

    def retries(self):
        """Requests Odoo ran again after a serialization failure (odoo.service.model)."""
        return sum(1 for line in self._log_lines() if "odoo.service.model:" in line and "try again in" in line)

    def request_log(self):
        """One :class:`LoggedRequest` per request the server answered so far, in order."""
        entries = []
        for line in self._log_lines():
            match = REQUEST_LINE.search(line)
            if match:
                addr, method, path, status, queries = match.groups()
                entries.append(LoggedRequest(addr, method, path, int(status),
                                             int(queries) if queries.isdigit() else None))
        return entries

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def drop(self):
        """Stop the server; drop the database and the files unless kept (an attached database is always kept)."""
        self.stop()
        if self.attached:  # --db: the database is not ours to drop
            if not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
        elif not self.keep:
            import odoo  # noqa: PLC0415

            if "odoo.modules.registry" in sys.modules:  # close this process's connections first
                odoo.modules.registry.Registry.delete(self.name)
                odoo.sql_db.close_db(self.name)
            subprocess.run(["dropdb", "--if-exists", self.name], check=False, capture_output=True)
            shutil.rmtree(self.tmp, ignore_errors=True)


# werkzeug's request line, followed by odoo.netsvc.PerfFilter's "queries query_time other_time" ("- - -" when
# another log line of the request took them)
REQUEST_LINE = re.compile(r' werkzeug: (\S+) - - \[[^\]]*\] "(\w+) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+|-) ')
LoggedRequest = collections.namedtuple("LoggedRequest", "addr method path status queries")


# === HTTP === #

Answer = collections.namedtuple("Answer", "status data ms headers")


def client_address(client):
    """A distinct IPv4 address for each client number (10.x.y.z)."""
    return f"10.{client // 62500 % 250}.{client // 250 % 250}.{client % 250 + 1}"


class Client:
    """HTTP requests to the bench server, each from the client address of its choice.

    As a reverse proxy in front of Odoo would: ``X-Forwarded-For`` (the
    address), ``X-Forwarded-Host`` (the host the client asked for, which is
    what makes Odoo 18 apply ProxyFix) and ``X-Forwarded-Proto``.
    """

    def __init__(self, bench, legacy_proxy_headers=False):
        self.bench = bench
        self.legacy = legacy_proxy_headers
        # client and customer numbers of this run: another run on the same database (--db) does not meet
        # this run's customers (one booking at a time each) nor its addresses (rate limit)
        self.run = os.getpid()
        self.offset = self.run % 20 * 50000 if bench.attached else 0

    def headers(self, client):
        if client is None:
            return {}
        headers = {"X-Forwarded-For": client_address(self.offset + client)}
        if not self.legacy:
            headers.update({"X-Forwarded-Host": self.bench.host, "X-Forwarded-Proto": "http"})
        return headers

    def request(self, method, path, body=None, client=None, headers=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        all_headers = {**self.headers(client), **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.bench.url}{path}", data=data, method=method, headers=all_headers)
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            payload, status, got = error.read(), error.code, dict(error.headers)
        except OSError as error:  # refused, reset, timed out: what the customer would see too
            payload, status, got = json.dumps({"error": f"connection: {error}"}).encode(), 0, {}
        ms = (time.perf_counter() - start) * 1000
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {"error": payload[:200].decode(errors="replace")}
        return Answer(status, data, ms, got)

    def get(self, path, client=None):
        return self.request("GET", path, client=client)

    def post(self, path, body, client=None):
        return self.request("POST", path, body=body, client=client)

    def slots_path(self, date_from, date_to, slug=SLUG):
        service = self.bench.half_service_id if slug == HALF_SLUG else self.bench.service_id
        return f"{API}/pages/{slug}/slots?service_id={service}&date_from={date_from}&date_to={date_to}"

    def slots(self, date_from, date_to, slug=SLUG):
        answer = self.get(self.slots_path(date_from, date_to, slug))
        assert answer.status == 200, answer
        return answer.data["slots"]

    def book(self, slot, client, customer=None, provider=True):
        """Book ``slot`` from client number ``client``'s address, as customer number ``customer`` (default:
        the same number; each number has a name and e-mail of its own)."""
        customer = client if customer is None else customer
        body = {"service_id": self.bench.service_id, "provider_id": slot["provider_id"] if provider else None,
                "start": slot["start"],
                "customer": {"name": f"Bench client {customer} ({self.run})",
                             "email": f"client{customer}-{self.run}@example.com"}}
        return self.post(f"{API}/pages/{SLUG}/bookings", body, client=client)


def spread_slots(slots, count, seed=11):
    """``count`` slots that cannot collide: one per provider and local date, spread over both at random."""
    by_group = {}
    for slot in slots:
        by_group.setdefault((slot["provider_id"], slot["start"][:10]), slot)
    groups = sorted(by_group)
    random.Random(seed).shuffle(groups)
    if len(groups) < count:
        sys.exit(f"only {len(groups)} independent slots, {count} needed")
    return [by_group[group] for group in groups[:count]]


def at_once(calls):
    """Run the callables simultaneously (released by one barrier), return their results in order."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i):
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def probe_rate_limit(client, slots, first_client):
    """One address books ``limit + 1`` free slots (different customers): the last one must be a 429.

    Then ``limit + 1`` other addresses book one each: no 429. Proves that
    the page's limit is on and that each client number is an address of its
    own for Odoo. Returns ``(ok, description)``.
    """
    limit = client.bench.page_rate_limit
    if not limit:
        return True, "rate limit off: nothing to probe"
    # the same address for all; the customers differ (one customer holds one booking at a time)
    same = [client.book(slot, first_client, customer=first_client + i).status
            for i, slot in enumerate(slots[: limit + 1])]
    others = [client.book(slot, first_client + 1000 + i).status
              for i, slot in enumerate(slots[limit + 1: 2 * (limit + 1)])]
    ok = same == [201] * limit + [429] and others == [201] * (limit + 1)
    seen = {entry.addr for entry in client.bench.request_log() if entry.method == "POST"}
    return ok, (f"one address, {limit + 1} bookings: {same}; {limit + 1} addresses, one each: {others}; "
                f"addresses Odoo saw on POSTs so far: {len(seen)}")


# === FIGURES === #


def percentile(values, p):
    """The p-th percentile (0-100), linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def describe_times(values):
    return (f"median {statistics.median(values):.1f} ms, p90 {percentile(values, 90):.1f} ms, "
            f"min {min(values):.1f} ms, max {max(values):.1f} ms")


def print_errors(bench, limit=5):
    errors = bench.server_errors()
    print(f"server ERROR lines: {len(errors)}")
    for line in errors[:limit]:
        print("  ", line[:240])
    return errors


def finish(ok, **figures):
    """The closing lines: ``figures: key=value ...`` (one line, for collecting runs) and the result."""
    def fmt(value):
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    figures["load1"] = os.getloadavg()[0]  # the machine's load at the end: how much others competed for the CPUs
    print("figures:", " ".join(f"{key}={fmt(value)}" for key, value in figures.items()))
    print("result:", "PASS" if ok else "FAIL")
    return 0 if ok else 1
