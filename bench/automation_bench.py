#!/usr/bin/env python3
"""What the scheduled actions cost, on the DESIGN.md section 9 scenario.

The scenario (20 providers, 31 days, 3,000 confirmed appointments) is
created through the ORM, which queues 3,000 confirmations in the outbox.
Then, in one transaction that is rolled back:

- the outbox dispatcher sends a sample of them (rendered e-mails handed to
  Odoo's mail queue): milliseconds per message;
- the reminder job queues what is due now, then runs again with nothing to do
  (its cost every five minutes);
- the waitlist job with 300 waiting entries and nothing free, then with one
  freed time;
- the request follow-up and no-show jobs with nothing to do.

    python3 bench/automation_bench.py [--sample 300] [--scenario large] [--keep]
"""

import os
import random
import sys
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


def main():
    parser = bench_parser(__doc__, server=False)
    parser.add_argument("--sample", type=int, default=300, help="messages to dispatch")
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

            sent, elapsed = 0, 0.0
            while sent < args.sample:
                batch = min(100, args.sample - sent)
                count, ms = timed(lambda batch=batch: Outbox._cron_dispatch(batch_size=batch))
                sent, elapsed = sent + count, elapsed + ms
                if not count:
                    break
            print(f"dispatch: {sent} e-mails rendered and queued in {elapsed:.0f} ms, "
                  f"{elapsed / max(sent, 1):.1f} ms per message")

            # as if booked a month ago, so the coming day's appointments are all due a reminder
            cr.execute("UPDATE booking_appointment SET confirmed_at = confirmed_at - interval '30 days'")
            due = Appointment.search_count([("start", ">", datetime.utcnow()),
                                            ("start", "<=", datetime.utcnow() + timedelta(hours=24))])
            reminders, ms = timed(Scheduler._cron_send_reminders, env)
            print(f"reminders: {reminders} queued for {due} appointments in the next 24 hours, in {ms:.0f} ms")
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
