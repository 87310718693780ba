"""Shared harness for the benchmarks that need a running Odoo server.

It creates a fresh database with the addon installed, loads the DESIGN.md
section 9 scenario through the ORM (20 providers, 31 days of working hours,
3,000 busy ranges), and starts an Odoo server on a free port with several
workers, as in production. Nothing here installs Odoo itself: it must be
importable by this Python.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "self_serve_booking"
SLUG = "bench-spa"
TZ = "Europe/Paris"
PROVIDERS = 20
DAYS = 31
BUSY = 3000


def odoo_paths():
    code = "import os, odoo; print(os.path.dirname(os.path.abspath(odoo.__file__)))"
    try:
        odoo_pkg = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError:
        sys.exit(f"`import odoo` fails for {sys.executable}: these benchmarks need Odoo 18.")
    odoo_pkg = odoo_pkg.strip()
    return [p for p in (os.path.join(os.path.dirname(odoo_pkg), "addons"), os.path.join(odoo_pkg, "addons"))
            if os.path.isdir(p)]


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchDatabase:
    """A throw-away database with the addon and the scenario, and a server on it."""

    def __init__(self, name=None, keep=False):
        self.name = name or f"ssb_bench_{os.getpid()}"
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="ssb-bench-")
        addons = os.path.join(self.tmp, "addons")
        os.makedirs(addons)
        os.symlink(ROOT, os.path.join(addons, MODULE))
        self.addons_path = ",".join([addons, *odoo_paths()])
        self.server = None
        self.port = None

    def odoo(self, *args, log=None):
        cmd = [sys.executable, "-c", "import sys, odoo.cli; sys.exit(odoo.cli.main())", "-d", self.name,
               f"--addons-path={self.addons_path}", *args]
        with open(log or os.devnull, "w", encoding="utf-8") as out:
            return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

    def create(self):
        subprocess.run(["dropdb", "--if-exists", self.name], check=False, capture_output=True)
        proc = self.odoo("-i", MODULE, "--without-demo=all", "--stop-after-init", "--max-cron-threads=0",
                         f"--http-port={free_port()}", "--log-level=warn",
                         log=os.path.join(self.tmp, "install.log"))
        if proc.wait():
            sys.exit(f"installing the addon failed; see {self.tmp}/install.log")
        self.populate()

    def populate(self, seed=7):
        """The section 9 scenario, through the ORM, in one committed transaction."""
        import odoo  # noqa: PLC0415
        from odoo import Command, api  # noqa: PLC0415

        odoo.tools.config.parse_config(["-d", self.name, f"--addons-path={self.addons_path}", "--log-level=warn"])
        registry = odoo.modules.registry.Registry(self.name)
        rng = random.Random(seed)
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True,
                                                           "mail_create_nosubscribe": True,
                                                           "booking_skip_working_time": True})
            calendar = env["resource.calendar"].create({
                "name": "Bench hours",
                "tz": TZ,
                "attendance_ids": [Command.clear()] + [
                    Command.create({"name": f"{day}-{h}", "dayofweek": str(day), "hour_from": h_from,
                                    "hour_to": h_to, "day_period": "morning" if h_from < 12 else "afternoon"})
                    for day in range(6)
                    for h, (h_from, h_to) in enumerate(((9, 12.5), (13.5, 19)))
                ],
            })
            service = env["booking.service"].create({
                "name": "Bench massage", "duration_minutes": 60, "buffer_before_minutes": 10,
                "buffer_after_minutes": 15, "price": 100, "is_published": True,
            })
            providers = env["booking.provider"].create([
                {"name": f"Bench provider {i + 1}", "resource_calendar_id": calendar.id, "tz": TZ,
                 "service_ids": [Command.set(service.ids)]}
                for i in range(PROVIDERS)
            ])
            page = env["booking.page"].create({
                "name": "Bench Spa", "slug": SLUG, "tz": TZ, "is_published": True, "auto_confirm": True,
                "min_notice_hours": 0, "max_advance_days": 60, "slot_step_minutes": 15, "rate_limit_count": 0,
                "service_ids": [Command.set(service.ids)], "provider_ids": [Command.set(providers.ids)],
            })
            customer = env["res.partner"].create({"name": "Bench customer", "email": "bench@example.com"})
            first_day = datetime.utcnow().date() + timedelta(days=1)
            vals, taken = [], set()
            while len(vals) < BUSY:
                provider = providers[len(vals) % PROVIDERS]
                day = first_day + timedelta(days=rng.randrange(DAYS))
                # starts 90 minutes apart: with the buffers (85 minutes busy) they never overlap
                minutes = rng.choice((9 * 60, 10 * 60 + 30, 12 * 60, 13 * 60 + 30, 15 * 60, 16 * 60 + 30, 18 * 60))
                if (provider.id, day, minutes) in taken:
                    continue
                taken.add((provider.id, day, minutes))
                vals.append({
                    "page_id": page.id, "service_id": service.id, "provider_id": provider.id,
                    "partner_id": customer.id,
                    "start": datetime(day.year, day.month, day.day) + timedelta(minutes=minutes - 60),
                    "source": "backend",
                })
            env["booking.appointment"].create(vals)
            cr.commit()
            self.service_id = service.id
            self.page_id = page.id
        return self

    def start(self, workers=4):
        self.port = free_port()
        self.server = self.odoo(f"--http-port={self.port}", f"--workers={workers}", "--max-cron-threads=0",
                                "--proxy-mode", f"--db-filter=^{self.name}$", "--log-level=warn",
                                "--limit-time-real=600", "--limit-time-cpu=600",
                                f"--gevent-port={free_port()}", "--db_maxconn=64",
                                log=os.path.join(self.tmp, "server.log"))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        sys.exit(f"the server did not start; see {self.tmp}/server.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def server_errors(self):
        path = os.path.join(self.tmp, "server.log")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip() for line in fh if " ERROR " in line or " CRITICAL " in line]

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
        self.server = None

    def drop(self):
        self.stop()
        if not self.keep:
            subprocess.run(["dropdb", "--if-exists", self.name], check=False, capture_output=True)
            shutil.rmtree(self.tmp, ignore_errors=True)
