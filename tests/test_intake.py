import json
import logging
import select
import time
from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.booking_scheduler import CronWaker
from .common import MONDAY
from .common import NOW
from .common import BookingHttpCommon
from .common import TwoTransactionCase
from .common import local_to_utc

_logger = logging.getLogger(__name__)
API = "/booking/api/v1"
COMPLETE_CRON = "self_serve_booking.ir_cron_complete_bookings"


@tagged("post_install", "-at_install")
class TestBookingAnsweredFirst(BookingHttpCommon):
    """An online booking is answered once its time is taken; the rest follows in a scheduled action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({"auto_confirm": True, "rate_limit_count": 0, "responsible_user_id": cls.user_staff.id})

    def setUp(self):
        super().setUp()
        self.Appointment = self.env["booking.appointment"]
        self.Scheduler = self.env["booking.scheduler"]

    def _api_book(self, hour=10, email="gina@example.com", service=None):
        with freeze_time(NOW):
            response = self.url_open(f"{API}/pages/{self.page.slug}/bookings", data=json.dumps({
                "service_id": (service or self.service).id,
                "provider_id": self.provider_a.id,
                "start": self.at(hour).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "customer": {"name": "Gina Guest", "email": email},
            }), headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 201, response.text)
        return self.Appointment.browse(response.json()["booking"]["id"])

    def _complete(self):
        with freeze_time(NOW):
            return self.Scheduler._cron_complete_bookings()

    def _creation_lines(self, appointment):
        return appointment.message_ids.filtered(lambda m: "Booked (API)" in str(m.body))

    def test_answer_holds_the_time_the_rest_follows(self):
        appointment = self._api_book()
        # the answer: the time is held (the exclusion constraint has the row), the customer and reference exist
        self.assertEqual(appointment.state, "confirmed")
        self.assertTrue(appointment.name and appointment.partner_id and appointment.creation_pending)
        # what the answer did not wait for is not there yet, and the scheduled action is woken for it
        self.assertFalse(appointment.line_ids or appointment.contract_id)
        self.assertFalse(appointment.message_follower_ids)
        self.assertFalse(appointment.notification_ids)
        self.assertFalse(self._creation_lines(appointment))
        cron = self.env.ref(COMPLETE_CRON)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))

        self.assertEqual(self._complete(), 1)
        appointment.invalidate_recordset()  # the outbox's rows were inserted in SQL
        self.assertFalse(appointment.creation_pending)
        self.assertEqual(appointment.line_ids.product_id, self.service._get_product())
        self.assertEqual(appointment.price, 100)
        self.assertEqual(appointment.contract_id.appointment_id, appointment)
        self.assertEqual(appointment.message_partner_ids,
                         appointment.partner_id | self.user_staff.partner_id)
        self.assertEqual(set(appointment.notification_ids.mapped("event")), {"confirmed", "new_booking"})
        line = self._creation_lines(appointment)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.date, appointment.create_date, "the chatter line is dated when the booking was made")
        self.assertEqual(line.author_id, appointment.create_uid.partner_id)

        # completed once: a second run finds nothing, writes nothing twice
        self.assertEqual(self._complete(), 0)
        self.assertEqual(len(self._creation_lines(appointment)), 1)
        self.assertEqual(len(appointment.line_ids), 1)

    def test_one_booking_costs_at_most_30_queries(self):
        """Issue 26 / DESIGN.md section 9: the answer of a booking, once a worker's caches are warm."""
        self._api_book(9, "warm@example.com")
        start = self.cr.sql_log_count
        self._api_book(11, "counted@example.com")
        count = self.cr.sql_log_count - start
        _logger.info("one API booking: %s queries", count)
        self.assertLessEqual(count, 30)

    def test_the_customer_a_visitor_repeats_is_found_after_the_answer(self):
        """Invariant 8: the visitor's contact is a new one; whom it may repeat is staff's hint, found a moment
        later (one query less while the visitor waits)."""
        known = self.env["res.partner"].create({"name": "Gina Known", "email": "gina@example.com",
                                                "booking_verified_email": "gina@example.com"})
        appointment = self._api_book()
        guest = appointment.partner_id
        self.assertNotEqual(guest, known)
        self.assertFalse(guest.booking_same_as_id)
        self._complete()
        self.assertEqual(guest.booking_same_as_id, known)
        self.assertEqual((known.name, known.email), ("Gina Known", "gina@example.com"), "the known one untouched")

    def test_a_change_first_completes_the_booking(self):
        """Cancelled a second after booking, before the scheduled action: confirmed, then cancelled, in order."""
        appointment = self._api_book()
        with freeze_time(NOW):
            appointment.with_user(self.user_staff).action_cancel()
        self.assertFalse(appointment.creation_pending)
        self.assertEqual(appointment.state, "cancelled")
        self.assertTrue(appointment.line_ids and appointment.contract_id)
        events = appointment.notification_ids.mapped("event")
        self.assertIn("confirmed", events)
        self.assertIn("cancelled", events)
        self.assertEqual(len(self._creation_lines(appointment)), 1)
        self.assertEqual(self._complete(), 0, "nothing left for the scheduled action")

    def test_opening_the_booking_completes_it(self):
        appointment = self._api_book()
        response = self.url_open(appointment._get_confirmation_url())
        self.assertEqual(response.status_code, 200)
        self.assertFalse(appointment.creation_pending)
        self.assertIn("100", response.text, "the confirmation page shows the bill")
        appointment.invalidate_recordset()
        self.assertTrue(appointment.contract_id)

    def test_staff_and_callers_cannot_set_or_clear_the_mark(self):
        appointment = self._api_book()
        for value in (False, True):
            with self.assertRaises(AccessError):
                appointment.with_user(self.user_staff).write({"creation_pending": value})
        self.assertTrue(appointment.creation_pending, "still waiting: its bill and messages will come")
        with self.assertRaises(AccessError):
            self.Appointment.with_user(self.user_staff).create({
                "page_id": self.page.id, "service_id": self.service.id, "provider_id": self.provider_a.id,
                "partner_id": self.customer.id, "start": self.at(15), "creation_pending": True,
            })

    def test_backend_bookings_are_complete_at_once(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(11))
        self.assertFalse(appointment.creation_pending)
        self.assertTrue(appointment.line_ids and appointment.message_follower_ids)

    def test_a_batch_survives_one_booking(self):
        """Invariant 12: one booking that cannot complete is skipped, told, retried later; the others complete."""
        broken = self._api_book(10, "one@example.com", service=self.service_buffered)
        fine = self._api_book(14, "two@example.com")
        # its service line cannot be made: the service's price went past what a bill may hold (as old data may)
        self.env.cr.execute("UPDATE booking_service SET price = 1e10 WHERE id = %s", [self.service_buffered.id])
        self.service_buffered.invalidate_recordset()
        with self.assertLogs("odoo.addons.self_serve_booking.models.booking_scheduler", level="WARNING") as logs:
            self._complete()
        self.assertIn("skipped", logs.output[0])
        self.assertFalse(fine.creation_pending)
        self.assertTrue(fine.line_ids)
        self.assertTrue(broken.creation_pending, "left for its next try")
        self.assertFalse(broken.line_ids, "nothing half-written: its savepoint was rolled back")
        self.assertIn("too large", broken.activity_ids.note, "staff are told what to fix")
        # fixed, it completes on the next try (the job waits for it: not before)
        self.service_buffered.price = 80
        with freeze_time(NOW + timedelta(hours=1)):
            self.Scheduler._cron_complete_bookings()
        self.assertFalse(broken.creation_pending)
        self.assertEqual(broken.price, 80)


@tagged("post_install", "-at_install")
class TestCompletedOnceAcrossTransactions(TwoTransactionCase):
    """Two transactions completing one booking: exactly one does (the claim takes the row)."""

    def _commit_scenario(self, env):
        with freeze_time(NOW):
            page, ids = self._create_race_page(env, "Intake", "intake-race", range(5), ["Ida"],
                                               service_vals={"is_published": True, "price": 40},
                                               page_vals={"auto_confirm": True})
            appointment = env["booking.appointment"]._book_online(
                page, env["booking.service"].browse(ids["service"]), env["booking.provider"],
                local_to_utc(MONDAY, 10), customer={"name": "Gina Guest", "email": "gina@example.com"},
                source="api", answer_first=True)
        return dict(ids, partners=appointment.partner_id.ids, appointment=appointment.id)

    def _count(self, query):
        with self.registry.cursor() as cr:
            cr.execute(query, [self.ids["appointment"]])
            return cr.fetchone()[0]

    def _counts(self):
        return (
            self._count("SELECT count(*) FROM mail_message WHERE model = 'booking.appointment' AND res_id = %s"
                        " AND body::text LIKE '%%Booked (API)%%'"),
            self._count("SELECT count(*) FROM booking_appointment_line WHERE appointment_id = %s"),
            # queued once each (its confirmation, the merchant's news...): no message twice
            self._count("SELECT count(*) > 0 AND count(*) = count(DISTINCT (event, channel))"
                        " FROM booking_notification WHERE appointment_id = %s"),
        )

    def test_two_runs_complete_it_once(self):
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
            with freeze_time(NOW):
                first = api.Environment(cr_a, SUPERUSER_ID, {})["booking.scheduler"]._cron_complete_bookings()
                # the second run skips the row the first holds, and after its commit finds nothing left
                during = api.Environment(cr_b, SUPERUSER_ID, {})["booking.scheduler"]._cron_complete_bookings()
                cr_a.commit()
                cr_b.rollback()
                after = api.Environment(cr_b, SUPERUSER_ID, {})["booking.scheduler"]._cron_complete_bookings()
                cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self.assertEqual((first, during, after), (1, 0, 0))
        self.assertEqual(self._counts(), (1, 1, True), "one chatter line, one service line, each message once")

    def test_a_request_that_read_it_waiting_cannot_complete_it_again(self):
        """A request saw the booking waiting, the scheduled action completed it meanwhile: the request's claim
        fails (Odoo retries the request, which then finds it complete) instead of completing it twice."""
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
            with freeze_time(NOW):
                seen = api.Environment(cr_b, SUPERUSER_ID, {})["booking.appointment"].browse(self.ids["appointment"])
                self.assertTrue(seen.creation_pending)  # the request's snapshot: still waiting
                api.Environment(cr_a, SUPERUSER_ID, {})["booking.scheduler"]._cron_complete_bookings()
                cr_a.commit()
                with self.assertRaises(psycopg2.errors.SerializationFailure), mute_logger("odoo.sql_db"):
                    seen._ensure_complete()
                cr_b.rollback()
                seen.invalidate_recordset()
                self.assertFalse(seen.creation_pending, "the retried request finds it complete")
                seen._ensure_complete()
                cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self.assertEqual(self._counts(), (1, 1, True))


@tagged("post_install", "-at_install")
class TestCronWakeUp(TransactionCase):
    """The cron workers are woken through one connection kept per process, not a new one per booking."""

    def _listener(self):
        _dbname, info = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**info)
        listener.autocommit = True
        self.addCleanup(listener.close)
        with listener.cursor() as cr:
            cr.execute("LISTEN cron_trigger")
        return listener

    def _heard(self, listener):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if select.select([listener], [], [], 0.1)[0]:
                listener.poll()
                payloads = [notify.payload for notify in listener.notifies]
                listener.notifies.clear()
                return payloads
        return []

    def test_one_kept_connection_wakes_the_workers(self):
        listener = self._listener()
        dbname = self.env.cr.dbname
        self.assertTrue(CronWaker.notify(dbname))
        self.assertEqual(self._heard(listener), [dbname])
        with CronWaker._cnx.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            first = cr.fetchone()[0]
        self.assertTrue(CronWaker.notify(dbname))
        self.assertEqual(self._heard(listener), [dbname])
        with CronWaker._cnx.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            self.assertEqual(cr.fetchone()[0], first, "the same connection, not a new one per wake-up")
        # lost (a restart of PostgreSQL, an idle timeout): the next wake-up opens another and is heard
        with listener.cursor() as cr:
            cr.execute("SELECT pg_terminate_backend(%s)", [first])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # the backend ends asynchronously
                cr.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [first])
                if not cr.fetchone()[0]:
                    break
                time.sleep(0.05)
        self.assertTrue(CronWaker.notify(dbname))
        self.assertEqual(self._heard(listener), [dbname])
        with CronWaker._cnx.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            self.assertNotEqual(cr.fetchone()[0], first, "a new connection replaced the lost one")

    def test_one_wake_up_per_transaction_whatever_the_actions(self):
        Scheduler = self.env["booking.scheduler"]
        Scheduler._wake("self_serve_booking.ir_cron_complete_bookings")
        Scheduler._wake("self_serve_booking.ir_cron_dispatch_notifications")
        self.env.cr.flush()  # the commit's precommit hooks: the trigger rows
        hooks = [hook for hook in self.env.cr.postcommit._funcs
                 if getattr(hook, "__func__", None) is type(Scheduler)._notify_cron_workers]
        self.assertEqual(len(hooks), 1)
