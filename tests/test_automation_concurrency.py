from datetime import timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import TwoTransactionCase
from .common import local_to_utc

TUESDAY = MONDAY + timedelta(days=1)


@tagged("-at_install", "post_install")
class TestOverlappingRuns(TwoTransactionCase):
    """Two runs of each scheduled action at once, through two database cursors.

    The second run neither waits for the first nor repeats its work: rows
    the first has locked are skipped, jobs that only queue messages step
    aside while another run holds their lock, and a run that starts after
    the first committed finds nothing left to do.
    """

    def _commit_scenario(self, env):
        with freeze_time(NOW):
            page, ids = self._create_race_page(env, "Overlap", "overlap-runs", range(5), ["Overlapper"],
                                               service_vals={"is_published": True}, page_vals={"auto_confirm": True})
            partner = env["res.partner"].create({"name": "Olga Overlap", "email": "olga@example.com"})
            waiting = env["res.partner"].create({"name": "Walter Waiting", "email": "walter@example.com"})
            Appointment = env["booking.appointment"]
            vals = {"page_id": page.id, "service_id": ids["service"], "provider_id": ids["provider"],
                    "partner_id": partner.id, "source": "website"}
            reminded = Appointment.create(dict(vals, start=local_to_utc(TUESDAY, 10)))
            freed = Appointment.create(dict(vals, start=local_to_utc(MONDAY, 10)))
            missed = Appointment.create(dict(vals, start=local_to_utc(MONDAY, 14)))
            hold = Appointment.create(dict(vals, start=local_to_utc(MONDAY, 16), state="pending_payment"))
            request = Appointment.create(dict(vals, start=local_to_utc(TUESDAY, 15), state="pending"))
            entry = env["booking.waitlist"].create({
                "page_id": page.id, "service_id": ids["service"], "partner_id": waiting.id, "date": MONDAY,
                "time_from": 10, "time_to": 11,
            })
            freed.action_cancel()
        return dict(ids, partners=(partner | waiting).ids, reminded=reminded.id, missed=missed.id, hold=hold.id,
                    entry=entry.id, request=request.id)

    def overlap(self, when, run):
        """``run(env)`` in transaction A, then in B while A is open, then in B again once A committed.

        :return: the three results.
        """
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
            with freeze_time(when):
                first = run(api.Environment(cr_a, SUPERUSER_ID, {}))
                during = run(api.Environment(cr_b, SUPERUSER_ID, {}))
                cr_a.commit()
                cr_b.rollback()  # each run of a scheduled action is a transaction of its own
                after = run(api.Environment(cr_b, SUPERUSER_ID, {}))
                cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        return first, during, after

    def count(self, query, params):
        with self.registry.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone()[0]

    def test_dispatchers_send_each_message_once(self):
        queued = self.count("SELECT count(*) FROM booking_notification WHERE page_id = %s AND state = 'pending'",
                            [self.ids["page"]])
        self.assertGreaterEqual(queued, 4, "confirmations and a cancellation are waiting")
        first, during, after = self.overlap(NOW, lambda env: env["booking.notification"]._cron_dispatch())
        self.assertEqual((first, during, after), (queued, 0, 0))
        self.assertEqual(self.count(
            "SELECT count(*) FROM mail_message WHERE model = 'booking.appointment' AND res_id = %s "
            "AND subject LIKE 'Confirmed%%'", [self.ids["reminded"]]), 1)

    def test_reminder_runs_queue_each_reminder_once(self):
        with self.registry.cursor() as cr:
            start = api.Environment(cr, SUPERUSER_ID, {})["booking.appointment"].browse(self.ids["reminded"]).start
        results = self.overlap(start - timedelta(hours=24),
                               lambda env: env["booking.scheduler"]._cron_send_reminders())
        self.assertEqual(results, (2, 0, 0), "Tuesday 10:00 and Monday 14:00 are within 24 hours")
        self.assertEqual(self.count(
            "SELECT count(*) FROM booking_notification WHERE appointment_id = %s AND event = 'reminder'",
            [self.ids["reminded"]]), 1)

    def test_waitlist_runs_offer_a_time_once(self):
        results = self.overlap(NOW, lambda env: env["booking.scheduler"]._cron_offer_freed_slots())
        self.assertEqual(results, (1, 0, 0))
        self.assertEqual(self.count(
            "SELECT count(*) FROM booking_appointment WHERE waitlist_id = %s", [self.ids["entry"]]), 1)
        self.assertEqual(self.count(
            "SELECT count(*) FROM booking_notification WHERE waitlist_id = %s AND event = 'waitlist_offer'",
            [self.ids["entry"]]), 2, "one e-mail, one SMS")

    def test_hold_expiry_runs_expire_once(self):
        results = self.overlap(NOW + timedelta(hours=1),
                               lambda env: env["booking.scheduler"]._cron_expire_payment_holds())
        self.assertEqual(results, (1, 0, 0))
        self.assertEqual(self.count("SELECT state FROM booking_appointment WHERE id = %s", [self.ids["hold"]]),
                         "expired")

    def test_no_show_runs_mark_once(self):
        with self.registry.cursor() as cr:
            stop = api.Environment(cr, SUPERUSER_ID, {})["booking.appointment"].browse(self.ids["missed"]).stop
        results = self.overlap(stop + timedelta(minutes=30),
                               lambda env: env["booking.scheduler"]._cron_mark_no_shows())
        self.assertEqual(results, (1, 0, 0), "Monday 14:00 only: 10:00 was cancelled, 16:00 is a hold")
        self.assertEqual(self.count("SELECT state FROM booking_appointment WHERE id = %s", [self.ids["missed"]]),
                         "no_show")

    def test_request_follow_up_runs_nudge_and_expire_once(self):
        def follow_up(env):
            return env["booking.scheduler"]._cron_follow_up_requests()

        self.assertEqual(self.overlap(NOW + timedelta(hours=2), follow_up), (1, 0, 0), "one nudge")
        self.assertEqual(self.count(
            "SELECT count(*) FROM booking_notification WHERE appointment_id = %s AND event = 'request_nudge'",
            [self.ids["request"]]), 1)
        self.assertEqual(self.overlap(NOW + timedelta(hours=4), follow_up), (1, 0, 0), "one expiry")
        self.assertEqual(self.count("SELECT state FROM booking_appointment WHERE id = %s", [self.ids["request"]]),
                         "expired")
        self.assertEqual(self.count(
            "SELECT count(*) FROM booking_notification WHERE appointment_id = %s AND event = 'declined'",
            [self.ids["request"]]), 1, "the customer is told once")

    def test_a_double_tap_on_the_check_in_button_checks_in_once(self):
        def tap(env):
            appointment = env["booking.appointment"].browse(self.ids["reminded"])
            return appointment._check_in_by_link(appointment._check_in_signature(), env.user, act=True)[0]

        with self.registry.cursor() as cr:
            start = api.Environment(cr, SUPERUSER_ID, {})["booking.appointment"].browse(self.ids["reminded"]).start
        self.assertEqual(self.overlap(start - timedelta(minutes=30), tap), ("checked_in", "busy", "already"),
                         "the second tap neither waits nor checks in again")
        self.assertEqual(self.count("SELECT state FROM booking_appointment WHERE id = %s", [self.ids["reminded"]]),
                         "checked_in")
