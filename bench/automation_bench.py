#!/usr/bin/env python3
"""What the scheduled actions cost, on the DESIGN.md section 9 scenario, committing as production does.

The scenario (20 providers, 31 days, 3,000 confirmed appointments) is
created through the ORM, which queues 3,000 confirmations in the outbox.
Everything below is relative to the moment the bench runs (not to the day the
database was built), and each step commits where the cron worker commits, so
the figures include the commit (its triggers, NOTIFYs and flushes):

- the outbox dispatcher sends ``--sample`` of the confirmations (rendered
  e-mails handed to Odoo's mail queue), in the cron's batches, each committed:
  milliseconds per message;
- reminders: ``--reminders`` appointments due a reminder are made on a page
  of their own (providers working round the clock, so that any moment of the
  day has them in the next 24 hours; e-mail reminders only), the reminder job
  queues them (committed), then the dispatcher sends them (each batch
  committed): milliseconds per message; then the job runs again with nothing
  to do (its cost every five minutes);
- the waitlist job with 300 waiting entries and nothing free, then with one
  freed time;
- the request follow-up and no-show jobs with nothing to do.

The database is altered (messages sent, appointments added): it is a
throw-away one unless ``--db``/``--keep``.

    python3 bench/automation_bench.py [--sample 300] [--reminders 1000] [--scenario large] [--keep]
    python3 bench/automation_bench.py --ref main      # the same bench on the addon as committed on main
"""

import os
import random
import sys
import threading
import time
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_server import bench_parser
from odoo_server import bench_server
from odoo_server import parse_args


def timed(function, env=None):
    if env is not None:
        env.flush_all()  # time the job, not the writes that set it up
    start = time.perf_counter()
    result = function()
    return result, (time.perf_counter() - start) * 1000


def dispatch_all(cr, Outbox, limit, batch_size=100):
    """Dispatch up to ``limit`` due messages as the cron worker does: batches, each committed.

    :return: ``(sent, ms, queries)``, commits included.
    """
    sent, elapsed, queries = 0, 0.0, []
    thread = threading.current_thread()
    thread.query_hooks = [lambda *args: queries.append(1)]
    try:
        while sent < limit:
            start = time.perf_counter()
            count = Outbox._cron_dispatch(batch_size=min(batch_size, limit - sent))
            cr.commit()
            elapsed += (time.perf_counter() - start) * 1000
            sent += count
            if not count:
                break
    finally:
        del thread.query_hooks
    return sent, elapsed, len(queries)


def make_reminders(env, count, bench_service):
    """``count`` confirmed appointments starting in the next 24 hours, on a page of their own: ``page``.

    Their providers work round the clock (any moment of the day has them),
    each customer has one appointment (a customer is never in two places),
    they were booked a month ago (so they are due their 24-hour reminder),
    and the page's reminders go by e-mail only.
    """
    from odoo import Command, fields  # noqa: PLC0415

    # slots of 36 minutes from midnight UTC (none spans a midnight, where working days part), in the next day
    step, minutes = timedelta(minutes=36), 30
    now = fields.Datetime.now().replace(second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0)
    starts = [midnight + k * step for k in range(80)]
    starts = [t for t in starts if now + timedelta(minutes=20) < t and t + step <= now + timedelta(hours=24)]
    per_provider = len(starts)
    calendar = env["resource.calendar"].create({
        "name": "Round the clock", "tz": "UTC",
        "attendance_ids": [Command.clear()] + [
            Command.create({"name": f"{day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24,
                            "day_period": "morning"}) for day in range(7)],
    })
    service = env["booking.service"].create({
        "name": "Reminder bench visit", "duration_minutes": minutes,
        "price": bench_service.price, "is_published": True,
    })
    providers = env["booking.provider"].create([
        {"name": f"Reminder provider {i + 1}", "resource_calendar_id": calendar.id, "tz": "UTC",
         "service_ids": [Command.set(service.ids)]}
        for i in range(-(-count // per_provider))
    ])
    page = env["booking.page"].create({
        "name": "Reminder bench", "slug": f"reminder-bench-{int(time.time())}", "tz": "UTC", "is_published": True,
        "auto_confirm": True, "min_notice_hours": 0, "max_advance_days": 60,
        "service_ids": [Command.set(service.ids)], "provider_ids": [Command.set(providers.ids)],
    })
    page.notification_rule_ids.filtered(lambda r: r.event == "reminder" and r.channel != "email").active = False
    customers = env["res.partner"].create([
        {"name": f"Reminded {i}", "email": f"reminded{i}@example.com"} for i in range(count)])
    env["booking.appointment"].with_context(tracking_disable=True, mail_create_nolog=True,
                                            mail_create_nosubscribe=True).create([
        {"page_id": page.id, "service_id": service.id, "provider_id": providers[i // per_provider].id,
         "partner_id": customer.id, "start": starts[i % per_provider], "source": "backend"}
        for i, customer in enumerate(customers)
    ])
    env.flush_all()
    # as if booked a month ago: due their reminder; their confirmations were sent then
    env.cr.execute("UPDATE booking_appointment SET confirmed_at = confirmed_at - interval '30 days',"
                   " create_date = create_date - interval '30 days' WHERE page_id = %s", [page.id])
    env.cr.execute("UPDATE booking_notification SET state = 'sent' WHERE page_id = %s AND state = 'pending'",
                   [page.id])
    env.invalidate_all()
    return page


def main():
    parser = bench_parser(__doc__, server=False)
    parser.add_argument("--sample", type=int, default=300, help="confirmations to dispatch")
    parser.add_argument("--reminders", type=int, default=1000, help="appointments due a reminder")
    args = parse_args(parser)

    with bench_server(args, server=False) as bench:
        import odoo  # noqa: PLC0415
        from odoo import api  # noqa: PLC0415

        with bench.registry().cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            Outbox = env["booking.notification"]
            Appointment = env["booking.appointment"]
            Scheduler = env["booking.scheduler"]
            Waitlist = env["booking.waitlist"]
            queued = Outbox.search_count([("state", "=", "pending")])
            print(f"outbox: {queued} messages queued by the {bench.busy:,} bookings")

            sent, elapsed, queries = dispatch_all(cr, Outbox, args.sample)
            print(f"dispatch: {sent} e-mails rendered and queued in {elapsed:.0f} ms, "
                  f"{elapsed / max(sent, 1):.1f} ms and {queries / max(sent, 1):.1f} queries per message dispatched, "
                  "commits included")
            # the rest of the scenario's confirmations are not what the reminders measure
            cr.execute("UPDATE booking_notification SET state = 'cancelled' WHERE state = 'pending'")
            cr.commit()

            reminder_page = make_reminders(env, args.reminders, env["booking.service"].browse(bench.service_id))
            cr.commit()
            now = datetime.utcnow()
            due = Appointment.search_count([("page_id", "=", reminder_page.id), ("start", ">", now),
                                            ("start", "<=", now + timedelta(hours=24))])
            queued = 0
            start = time.perf_counter()
            while True:  # as the cron runs again while it reports work remaining
                done = Scheduler._cron_send_reminders()
                cr.commit()
                queued += done
                if not done:
                    break
            ms = (time.perf_counter() - start) * 1000
            print(f"reminders: {queued} queued for {due} appointments in the next 24 hours, in {ms:.0f} ms "
                  "(commits included)")
            pending = Outbox.search_count([("state", "=", "pending"), ("event", "=", "reminder")])
            sent, elapsed, queries = dispatch_all(cr, Outbox, pending)
            print(f"reminders dispatched: {sent} e-mails in {elapsed:.0f} ms, "
                  f"{elapsed / max(sent, 1):.1f} ms and {queries / max(sent, 1):.1f} queries per message dispatched, "
                  "commits included")
            again, ms = timed(Scheduler._cron_send_reminders, env)
            print(f"reminders again (nothing due): {again} queued in {ms:.1f} ms")

            page = env["booking.page"].browse(bench.page_id)
            service = env["booking.service"].browse(bench.service_id)
            partners = env["res.partner"].create([{"name": f"Waiting {i}", "email": f"w{i}@example.com"}
                                                  for i in range(300)])
            rng = random.Random(3)
            first_day = datetime.utcnow().date() + timedelta(days=1)
            # every provider's whole day is taken where entries wait: nothing free, nothing offered
            full_day = first_day + timedelta(days=40)
            provider = page.provider_ids[0]
            Waitlist.create([{
                "page_id": page.id, "service_id": service.id, "provider_id": provider.id,
                "partner_id": partner.id, "date": full_day, "time_from": 9, "time_to": rng.choice((10, 11, 12)),
            } for partner in partners])
            env["resource.calendar.leaves"].create({
                "name": "Closed", "resource_id": provider.resource_id.id,
                "calendar_id": provider.resource_calendar_id.id,
                "date_from": datetime.combine(full_day, datetime.min.time()) - timedelta(hours=2),
                "date_to": datetime.combine(full_day, datetime.min.time()) + timedelta(hours=22),
            })
            offers, ms = timed(Scheduler._cron_offer_freed_slots, env)
            print(f"waitlist, 300 entries, nothing free: {offers} offers in {ms:.0f} ms")
            env["resource.calendar.leaves"].search([("name", "=", "Closed")]).unlink()
            offers, ms = timed(Scheduler._cron_offer_freed_slots, env)
            print(f"waitlist, 300 entries, the day opens: {offers} offers in {ms:.0f} ms")

            done, ms = timed(Scheduler._cron_follow_up_requests, env)
            print(f"request follow-up (nothing due): {done} in {ms:.1f} ms")
            done, ms = timed(Scheduler._cron_mark_no_shows, env)
            print(f"no-shows (nothing due): {done} in {ms:.1f} ms")
            cr.rollback()


if __name__ == "__main__":
    main()
