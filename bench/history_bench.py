#!/usr/bin/env python3
"""History stays flat: slots, a booking, the portal list and every job, small database against a big one.

DESIGN.md section 9, last row: with 100,000 past appointments, 1,000,000
messages in the outbox and 100,000 customers, the slots route, one booking
through the API, the portal's list of a customer with many past bookings and
each scheduled job's run stay within 1.5 x of the small database. The portal
customer has more than a page (80) of past bookings in both, so the lists
render the same number of rows and only the history differs.

One database, measured twice on the same server settings in the same run:

1. small: the section 9 scenario (through the ORM, as the other benches),
   plus a portal customer with a few past bookings;
2. big: the same database after the history is added in SQL (``INSERT ...
   SELECT generate_series``, a few seconds to a minute): past appointments
   spread over the providers and the past days (never overlapping for one
   provider, so the exclusion constraints hold), mostly done, some cancelled
   and no-shows, 1 in 100 of them the portal customer's; messages, mostly
   sent, about them; customers with e-mails and phones. Then ``VACUUM
   ANALYZE``, as production's autovacuum would.

Everything is relative to the moment the bench runs (the history ends
yesterday, the scenario starts tomorrow). Each phase prints median
latencies, then the ratios big / small (target <= 1.5), and for the big
database ``EXPLAIN (ANALYZE, BUFFERS)`` of the availability's busy-range
query and of every job's selection queries (the queries on appointments,
messages, the waitlist and conversations each job runs). The jobs run in
this process, each run rolled back (nothing is sent), as the cron worker
would run them. ``GET /pages/<slug>`` is measured too, as a load reference:
it reads no history, so its ratio shows how much the machine's load moved
between the phases.

    python3 bench/history_bench.py [--appointments 100000] [--messages 1000000] [--customers 100000]
    python3 bench/history_bench.py --ref main      # the same bench on the addon as committed on main
"""

import http.cookiejar
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import API
from odoo_server import SLUG
from odoo_server import Client
from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import finish
from odoo_server import parse_args
from odoo_server import print_errors
from odoo_server import spread_slots

TARGET = 1.5
PORTAL_LOGIN = "history-customer@example.com"
PORTAL_PASSWORD = "history-bench-password"
SMALL_DAYS = 60  # the small database's history: two months of visits (the jobs read the last weeks of it)
SMALL_PORTAL_EVERY = 80  # 1 in 80 of them the portal customer's: 120, more than a portal page (80)
JOBS = (
    ("booking.notification", "_cron_dispatch"),
    ("booking.scheduler", "_cron_expire_payment_holds"),
    ("booking.scheduler", "_cron_send_reminders"),
    ("booking.scheduler", "_cron_send_rebook_reminders"),
    ("booking.scheduler", "_cron_send_agendas"),
    ("booking.scheduler", "_cron_follow_up_requests"),
    ("booking.scheduler", "_cron_close_quiet_conversations"),
    ("booking.scheduler", "_cron_mark_no_shows"),
    ("booking.scheduler", "_cron_offer_freed_slots"),
    ("booking.scheduler", "_cron_sync_provider_calendars"),
)
SELECTION_TABLES = ("booking_appointment", "booking_notification", "booking_waitlist", "booking_conversation")


# === THE HISTORY, IN SQL === #


def columns(cr, table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'"
               " ORDER BY ordinal_position", [table])
    return [row[0] for row in cr.fetchall()]


def insert_copies(cr, table, template_id, count, overrides, series="g"):
    """``count`` rows of ``table``: copies of row ``template_id``, columns in ``overrides`` computed from ``g``
    (0 .. count - 1). Every NOT NULL column the template fills is filled."""
    names = columns(cr, table)
    select = ", ".join(f"({overrides[name]})" if name in overrides else f"t.{name}" for name in names)
    select = select.replace("%", "%%")  # modulo, not a parameter
    cr.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}"
               f" FROM {table} t, generate_series(0, %s - 1) {series} WHERE t.id = %s", [count, template_id])
    return cr.rowcount


def add_customers(cr, count, tag):
    """``count`` contacts with an e-mail and a phone, as a merchant's customers are."""
    cr.execute("SELECT id FROM res_partner WHERE email = 'bench@example.com' LIMIT 1")
    template = cr.fetchone()[0]
    added = insert_copies(cr, "res_partner", template, count, {
        "name": f"'History customer {tag}-' || g",
        "complete_name": f"'History customer {tag}-' || g",
        "email": f"'history-{tag}-' || g || '@example.com'",
        "email_normalized": f"'history-{tag}-' || g || '@example.com'",
        "phone": "'+3361' || lpad(g::text, 7, '0')",
        "phone_sanitized": "'+3361' || lpad(g::text, 7, '0')",
        "create_date": "now() at time zone 'UTC' - (g % 700) * interval '1 day'",
        "write_date": "now() at time zone 'UTC' - (g % 700) * interval '1 day'",
        "commercial_partner_id": "NULL",
    })
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    return added


def add_history(cr, page_id, provider_ids, portal_partner_id, count, first_day_back, partner_tag, portal_every=100):
    """``count`` past appointments from ``first_day_back`` days ago backwards, 8 a day per provider, one hour
    each, on the providers in turn; the customers of ``partner_tag`` in turn, 1 in ``portal_every`` the portal
    customer (at most 1 in 20: never two of theirs at one time).

    Returns the id range of the new appointments."""
    cr.execute("SELECT id FROM booking_appointment WHERE page_id = %s ORDER BY id LIMIT 1", [page_id])
    template = cr.fetchone()[0]
    cr.execute("SELECT min(id), count(*) FROM res_partner WHERE name LIKE %s", [f"History customer {partner_tag}-%"])
    first_partner, partners = cr.fetchone()
    cr.execute("SELECT coalesce(max(id), 0) FROM booking_appointment")
    before = cr.fetchone()[0]
    providers = len(provider_ids)
    # g -> provider g % P; its k-th slot (k = g / P): day back first_day_back + k / 8, hour 8 + k % 8 (UTC)
    start = (f"(date_trunc('day', now() at time zone 'UTC') - ({first_day_back} + (g / {providers}) / 8)"
             f" * interval '1 day' + (8 + (g / {providers}) % 8) * interval '1 hour')")
    stop = f"({start} + interval '1 hour')"
    state = "CASE WHEN g % 20 = 3 THEN 'cancelled' WHEN g % 50 = 7 THEN 'no_show' ELSE 'done' END"
    insert_copies(cr, "booking_appointment", template, count, {
        "name": f"'HIST/{partner_tag}/' || g",
        "provider_id": f"(ARRAY{list(provider_ids)})[g % {providers} + 1]",
        "partner_id": f"CASE WHEN g % {portal_every} = 0 THEN {portal_partner_id}"
                      f" ELSE {first_partner} + g % {partners} END",
        "start": start, "stop": stop, "busy_start": start, "busy_stop": stop,
        "state": state,
        "access_token": "md5(random()::text || g)",
        "create_date": f"{start} - interval '10 days'",
        "write_date": stop,
        "confirmed_at": f"{start} - interval '10 days'",
        "duration_minutes": "60", "buffer_before_minutes": "0", "buffer_after_minutes": "0",
        "contract_id": "NULL",
    })
    cr.execute("SELECT max(id) FROM booking_appointment")
    return before + 1, cr.fetchone()[0]


def add_messages(cr, first_id, last_id, count):
    """``count`` outbox rows about the appointments ``first_id .. last_id``: 96 % sent, 2 % cancelled, 2 %
    failed (given up), dated with their appointment's history."""
    cr.execute("SELECT id FROM booking_notification ORDER BY id LIMIT 1")
    template = cr.fetchone()[0]
    names = columns(cr, "booking_notification")
    span = last_id - first_id + 1
    overrides = {
        "appointment_id": f"{first_id} + g % {span}",
        "state": "CASE WHEN g % 50 = 1 THEN 'cancelled' WHEN g % 50 = 2 THEN 'failed' ELSE 'sent' END",
        # each appointment's ten messages: its confirmation, reminders, review request and "book again" sent
        "event": "(ARRAY['confirmation', 'reminder', 'reminder', 'review_request', 'rebook_reminder', 'reminder',"
                 " 'confirmation', 'reminder', 'review_request', 'cancellation'])[(g / " + str(span) + ") % 10 + 1]",
        "create_date": "now() at time zone 'UTC' - (1 + g % 600) * interval '1 day'",
        "write_date": "now() at time zone 'UTC' - (1 + g % 600) * interval '1 day'",
        "next_attempt_at": "now() at time zone 'UTC' - (1 + g % 600) * interval '1 day'",
    }
    for name in names:  # a unique key per message (sent once): made unique per row
        if name in ("key", "unique_key", "dedup_key", "idempotency_key"):
            overrides[name] = f"'history-{first_id}-' || g"
        if name == "sent_at":
            overrides[name] = "now() at time zone 'UTC' - (1 + g % 600) * interval '1 day'"
    return insert_copies(cr, "booking_notification", template, count, overrides)


# === MEASURES === #


class PortalSession:
    """The portal customer's browser: signed in once (a session cookie), then ``GET /my/bookings``."""

    def __init__(self, bench):
        self.bench = bench
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        body = json.dumps({"jsonrpc": "2.0", "params": {"db": bench.name, "login": PORTAL_LOGIN,
                                                        "password": PORTAL_PASSWORD}}).encode()
        request = urllib.request.Request(f"{bench.url}/web/session/authenticate", data=body,
                                         headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=60) as response:
            answer = json.loads(response.read())
        if not answer.get("result", {}).get("uid"):
            sys.exit(f"the portal customer could not sign in: {answer}")

    def get(self, path):
        start = time.perf_counter()
        with self.opener.open(f"{self.bench.url}{path}", timeout=120) as response:
            body = response.read()
            assert response.status == 200, response.status
        return (time.perf_counter() - start) * 1000, body


def measure_http(bench, requests, bookings, first_client):
    """Median milliseconds of the page, the slots, the portal list (past and upcoming) and one booking."""
    client = Client(bench)
    portal = PortalSession(bench)
    first = date.today() + timedelta(days=1)
    page_path = f"{API}/pages/{SLUG}"
    slots_path = client.slots_path(first, first + timedelta(days=6))
    past_path = "/my/bookings?filterby=past"
    all_path = "/my/bookings?filterby=all"
    for _ in range(10):  # warm every worker
        client.get(page_path)
        client.get(slots_path)
        portal.get(past_path)
    times = {"page": [], "slots": [], "portal_past": [], "portal_all": [], "booking": []}
    for _ in range(requests):
        times["page"].append(client.get(page_path).ms)
        answer = client.get(slots_path)
        assert answer.status == 200, answer
        times["slots"].append(answer.ms)
        times["portal_past"].append(portal.get(past_path)[0])
        times["portal_all"].append(portal.get(all_path)[0])
    # bookings one at a time, each from its own address and customer, on slots that cannot collide
    slots = client.slots(first, first + timedelta(days=20))
    for i, slot in enumerate(spread_slots(slots, bookings, seed=first_client)):
        answer = client.book(slot, first_client + i)
        assert answer.status == 201, answer
        times["booking"].append(answer.ms)
    return {key: statistics.median(values) for key, values in times.items()}


def capture_queries(cr, function):
    """Run ``function``; return its result, its milliseconds and the SQL it ran (query, params)."""
    queries = []
    thread = threading.current_thread()
    thread.query_hooks = [lambda cursor, query, params, *rest: queries.append((query, params))]
    start = time.perf_counter()
    try:
        result = function()
    finally:
        del thread.query_hooks
    return result, (time.perf_counter() - start) * 1000, queries


def is_selection(query):
    text = query.decode() if isinstance(query, bytes) else str(query)
    head = text.lstrip().upper()
    return head.startswith(("SELECT", "WITH")) and any(
        f" {table}" in text or f'"{table}"' in text for table in SELECTION_TABLES)


def explain(cr, query, params):
    cr.execute(b"EXPLAIN (ANALYZE, BUFFERS) " + (query if isinstance(query, bytes) else query.encode()), params)
    return [row[0] for row in cr.fetchall()]


def measure_jobs(registry, runs, show_plans):
    """Median milliseconds of each job's run (rolled back), and the plans of its selection queries."""
    import odoo  # noqa: PLC0415
    from odoo import api  # noqa: PLC0415

    figures, plans = {}, []
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        for model, method in JOBS:
            elapsed = []
            for run in range(runs + 1):  # the first run warms the caches
                _result, ms, queries = capture_queries(cr, getattr(env[model], method))
                if run:
                    elapsed.append(ms)
                if run == runs and show_plans:
                    seen = set()
                    for query, params in queries:
                        if is_selection(query) and query not in seen:
                            seen.add(query)
                            plans.append((f"{model}.{method}", query, params))
                cr.rollback()
                env.invalidate_all()
            figures[method] = statistics.median(elapsed)
        # the availability's busy ranges of a week, all the page's providers
        page = env["booking.page"].search([("slug", "=", SLUG)])
        now = odoo.fields.Datetime.now()
        elapsed = []
        for run in range(runs + 1):
            _result, ms, queries = capture_queries(cr, lambda: env["booking.availability"]._get_busy_ranges(
                page.provider_ids, now, now + timedelta(days=7)))
            if run:
                elapsed.append(ms)
            cr.rollback()
        figures["busy_ranges"] = statistics.median(elapsed)
        if show_plans:
            busy = [(q, p) for q, p in queries if b"busy_start" in (q if isinstance(q, bytes) else q.encode())]
            plans = [("availability busy ranges", *busy[0]), *plans] if busy else plans
            for what, query, params in plans:
                text = cr.mogrify(query, params).decode() if params else query
                lines = explain(cr, query, params)
                print(f"\n--- EXPLAIN (ANALYZE, BUFFERS) {what}:\n{' '.join(str(text).split())[:600]}")
                print("\n".join(f"    {line}" for line in lines))
                cr.rollback()
    return figures


# === THE RUN === #


def setup_portal_customer(registry, page_id):
    """A portal user and the small history (SQL): ``SMALL_DAYS`` days of past visits, their messages sent;
    returns the contact's id."""
    import odoo  # noqa: PLC0415
    from odoo import api  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"no_reset_password": True})
        user = env["res.users"].create({
            "name": "History customer", "login": PORTAL_LOGIN, "email": PORTAL_LOGIN,
            "password": PORTAL_PASSWORD, "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        })
        partner_id = user.partner_id.id
        page = env["booking.page"].browse(page_id)
        # "book again" after four weeks, as a salon sets it: the follow-up job then reads the visits
        page.service_ids.rebook_after_days = 28
        env.flush_all()
        add_customers(cr, 2000, "small")
        providers = page.provider_ids.ids
        first_id, last_id = add_history(cr, page_id, providers, partner_id, SMALL_DAYS * 8 * len(providers), 1,
                                        "small", portal_every=SMALL_PORTAL_EVERY)
        add_messages(cr, first_id, last_id, 10 * (last_id - first_id + 1))
        cr.commit()
    return partner_id


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--appointments", type=int, default=100_000, help="past appointments added")
    parser.add_argument("--messages", type=int, default=1_000_000, help="outbox messages added (mostly sent)")
    parser.add_argument("--customers", type=int, default=100_000, help="customers (contacts) added")
    parser.add_argument("--requests", type=int, default=40, help="requests of each kind per phase")
    parser.add_argument("--bookings", type=int, default=15, help="bookings per phase")
    parser.add_argument("--runs", type=int, default=5, help="runs of each job per phase")
    args = parse_args(parser)

    with bench_server(args, server=False) as bench:
        registry = bench.registry()
        started = time.perf_counter()
        portal_partner = setup_portal_customer(registry, bench.page_id)
        subprocess_vacuum(bench)
        print(f"small: {SMALL_DAYS} days of past visits (1 in {SMALL_PORTAL_EVERY} the portal customer's), "
              f"10 sent messages each, 2,000 customers ({time.perf_counter() - started:.0f} s)", flush=True)
        results = {}
        for phase in ("small", "big"):
            if phase == "big":
                started = time.perf_counter()
                with registry.cursor() as cr:
                    add_customers(cr, args.customers, "big")
                    customers_s = time.perf_counter() - started
                    first_id, last_id = add_history(cr, bench.page_id, bench.provider_ids, portal_partner,
                                                    args.appointments, SMALL_DAYS + 2, "big")
                    history_s = time.perf_counter() - started - customers_s
                    add_messages(cr, first_id, last_id, args.messages)
                    messages_s = time.perf_counter() - started - customers_s - history_s
                    cr.commit()
                subprocess_vacuum(bench)
                print(f"big: +{args.customers:,} customers ({customers_s:.0f} s), +{args.appointments:,} past "
                      f"appointments ({history_s:.0f} s), +{args.messages:,} messages ({messages_s:.0f} s), "
                      f"VACUUM ANALYZE; {time.perf_counter() - started:.0f} s in all, load "
                      f"{os.getloadavg()[0]:.2f}", flush=True)
            counts = table_counts(registry)
            print(f"{phase}: {counts}", flush=True)
            jobs = measure_jobs(registry, args.runs, show_plans=phase == "big")
            bench.start(workers=args.workers)
            try:
                web = measure_http(bench, args.requests, args.bookings, 1000 if phase == "small" else 5000)
            finally:
                bench.stop()
            results[phase] = {**web, **jobs}
            print(f"{phase}: " + ", ".join(f"{key} {value:.1f} ms" for key, value in results[phase].items()),
                  flush=True)

        print(f"\ncores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'measure':<34} {'small ms':>10} {'big ms':>10} {'ratio':>7}")
        ratios, failing = {}, []
        for key in results["small"]:
            small, big = results["small"][key], results["big"][key]
            ratio = big / small if small else float("inf")
            ratios[key] = ratio
            reference = " (load reference)" if key == "page" else ""
            # a job of a few milliseconds is within the clock's noise: 2 ms of slack before a ratio counts
            ok = key == "page" or ratio <= TARGET or big - small < 2.0
            if not ok:
                failing.append(key)
            print(f"{key:<34} {small:>10.1f} {big:>10.1f} {ratio:>7.2f}{reference}{'' if ok else '  > 1.5'}")
        errors = print_errors(bench)
        return finish(not failing and not errors, failing=",".join(failing) or "none",
                      **{f"{key}_ratio": value for key, value in ratios.items()})


def subprocess_vacuum(bench):
    import subprocess  # noqa: PLC0415

    subprocess.run(["psql", "-q", "-d", bench.name, "-c", "VACUUM ANALYZE"], check=True, capture_output=True)


def table_counts(registry):
    with registry.cursor() as cr:
        figures = []
        for table in ("booking_appointment", "booking_notification", "res_partner"):
            cr.execute(f"SELECT count(*) FROM {table}")
            figures.append(f"{table} {cr.fetchone()[0]:,}")
        return ", ".join(figures)


if __name__ == "__main__":
    sys.exit(main())
