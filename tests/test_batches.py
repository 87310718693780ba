"""A scheduled batch survives any one record (DESIGN.md invariant 12): each job, with one poisoned record.

The poisoned record is realistic where the data can make it so (a waitlist
entry for a job at the customer's address without an address); elsewhere
the per-record method of our model raises for that one record. Each test
shows the others handled, the poisoned one skipped with one activity for
staff, not taken again in the same run, and handled (its activity done)
once it can be.
"""

from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import BookingInputError
from ..models.booking_calendar_sync import MAX_ATTEMPTS
from .common import MONDAY
from .common import NOW
from .test_notifications import NotificationCase

SCHEDULER_LOG = "odoo.addons.self_serve_booking.models.booking_scheduler"
ADDRESS = "12 Rue des Lilas, 75019 Paris"


class BatchCase(NotificationCase):

    @contextmanager
    def poisoned(self, record, method, mute=True):
        """``record.method`` raises, for that record alone: a record its job cannot handle."""
        model_class = type(record)
        healthy = getattr(model_class, method)

        def sick(records, *args, **kwargs):
            if record.id in records.ids:
                raise RuntimeError(f"{record._name} {record.id} is corrupt")
            return healthy(records, *args, **kwargs)

        with patch.object(model_class, method, sick):
            if mute:
                with mute_logger(SCHEDULER_LOG):
                    yield
            else:
                yield

    def activities(self, record):
        return self.env["mail.activity"].search([("res_model", "=", record._name), ("res_id", "=", record.id)])

    def failure(self, record, job):
        return self.env["booking.scheduler.failure"].search([
            ("job", "=", job), ("res_model", "=", record._name), ("res_id", "=", record.id)])

    def assertToldOnce(self, record, text, job_name):
        """Staff have exactly one activity on ``record``, for the page's responsible, saying ``text``."""
        activity = self.activities(record)
        self.assertEqual(len(activity), 1, f"one activity on {record.display_name}")
        self.assertEqual(activity.user_id, self.page.responsible_user_id)
        self.assertIn(job_name, activity.summary)
        self.assertIn(text, str(activity.note))
        return activity


@tagged("post_install", "-at_install")
class TestWaitlistBatch(BatchCase):
    """Issue 23: one entry without the address it needs stopped every page's waitlist offers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dora = cls.env["res.partner"].create({"name": "Dora Next", "email": "dora@example.com"})
        cls.house_call = cls.env["booking.service"].create({
            "name": "House call", "duration_minutes": 60, "price": 90, "is_published": True})
        cls.page.service_ids = [Command.link(cls.house_call.id)]
        (cls.provider_a | cls.provider_b).write({"service_ids": [Command.link(cls.house_call.id)]})

    def entry(self, partner, service, **vals):
        return self.env["booking.waitlist"].create({
            "page_id": self.page.id, "service_id": service.id, "provider_id": self.provider_a.id,
            "partner_id": partner.id, "date": MONDAY, "time_from": 9, "time_to": 12, **vals,
        })

    def offer_run(self, when=NOW):
        with freeze_time(when), mute_logger(SCHEDULER_LOG):
            return self.env["booking.scheduler"]._cron_offer_freed_slots()

    def test_an_entry_without_its_address_is_skipped_and_the_others_get_their_offers(self):
        with freeze_time(NOW - timedelta(hours=2)):
            homeless = self.entry(self.customer, self.house_call)
        # the merchant now goes to the customers' homes: the entry waiting for it has no address
        self.house_call.location = "customer"
        with freeze_time(NOW - timedelta(hours=1)):
            waiting = self.entry(self.dora, self.service)
        self.assertEqual(self.offer_run(), 1)
        self.assertEqual((homeless.state, waiting.state), ("waiting", "offered"))
        self.assertEqual(waiting.appointment_id.start, self.at(9))
        activity = self.assertToldOnce(homeless, "complete the address", "Offer freed time to the waitlist")
        self.assertEqual(self.failure(homeless, "waitlist_offers").attempts, 1)

        # the cron runs again at once while it reports work done: the entry is not tried again
        self.assertEqual(self.offer_run(NOW + timedelta(minutes=1)), 0)
        self.assertEqual(self.failure(homeless, "waitlist_offers").attempts, 1)
        # tried again later, still without its address: no second activity
        self.assertEqual(self.offer_run(NOW + timedelta(minutes=11)), 0)
        self.assertEqual(self.failure(homeless, "waitlist_offers").attempts, 2)
        self.assertEqual(self.activities(homeless), activity)

        # staff complete the address: the next run offers the time, booked at that address
        homeless.address = ADDRESS
        self.assertEqual(self.offer_run(NOW + timedelta(minutes=12)), 1)
        self.assertEqual(homeless.state, "offered")
        self.assertEqual(homeless.appointment_id.address, ADDRESS)
        self.assertFalse(self.activities(homeless), "the activity is done")
        self.assertFalse(self.failure(homeless, "waitlist_offers"))

    def test_joining_for_a_job_at_the_customers_address_takes_the_address(self):
        self.house_call.location = "customer"
        Waitlist = self.env["booking.waitlist"]
        with freeze_time(NOW):
            with self.assertRaises(BookingInputError) as caught:
                Waitlist._join(self.page, self.house_call, self.provider_a, MONDAY, partner=self.customer)
            self.assertIn("address", caught.exception.fields)
            entry = Waitlist._join(self.page, self.house_call, self.provider_a, MONDAY, partner=self.customer,
                                   address=f"  {ADDRESS}\n")
            self.assertEqual(entry.address, ADDRESS)
            at_the_salon = Waitlist._join(self.page, self.service, self.provider_a, MONDAY, partner=self.dora,
                                          address="not needed")
            self.assertFalse(at_the_salon.address)
            self.assertEqual(self.env["booking.scheduler"]._cron_offer_freed_slots(), 2)
        self.assertEqual(entry.appointment_id.address, ADDRESS, "the offer is booked at the customer's address")
        self.assertEqual(entry.appointment_id._get_agenda_address(), ADDRESS)


@tagged("post_install", "-at_install")
class TestAppointmentBatches(BatchCase):
    """Holds, requests and no-shows: one appointment that fails does not keep the others."""

    def test_unpaid_holds(self):
        with freeze_time(NOW):
            stuck = self.book_online(10, service=self.service_deposit)
            other = self.book_online(11, service=self.service_deposit)
        Scheduler = self.env["booking.scheduler"]
        late = stuck.hold_expires_at + timedelta(seconds=1)
        with self.poisoned(stuck, "_action_expire"):
            with freeze_time(late):
                self.assertEqual(Scheduler._cron_expire_payment_holds(), 1)
                self.assertEqual(Scheduler._cron_expire_payment_holds(), 0)
            self.assertEqual(self.failure(stuck, "payment_holds").attempts, 1, "not taken again in the same run")
            with freeze_time(late + timedelta(minutes=10)):
                self.assertEqual(Scheduler._cron_expire_payment_holds(), 0)
        self.assertEqual((stuck.state, other.state), ("pending_payment", "expired"))
        self.assertEqual(self.failure(stuck, "payment_holds").attempts, 2)
        self.assertToldOnce(stuck, "is corrupt", "Release unpaid holds")
        with freeze_time(late + timedelta(minutes=30)):
            self.assertEqual(Scheduler._cron_expire_payment_holds(), 1, "20 minutes after the second failure")
        self.assertEqual(stuck.state, "expired")
        self.assertFalse(self.activities(stuck))

    def test_requests_nobody_answered(self):
        with freeze_time(NOW):
            stuck, other = (self.book_online(hour, service=self.service_approval) for hour in (10, 11))
        with self.poisoned(stuck, "_notify"):
            self.assertEqual(self.follow_up(NOW + timedelta(hours=2)), 1, "the other's approvers are reminded")
        self.assertTrue(self.outbox(other, "request_nudge"))
        self.assertFalse(self.outbox(stuck, "request_nudge"))
        self.assertToldOnce(stuck, "is corrupt", "Remind approvers").action_feedback()
        with self.poisoned(stuck, "_action_expire"):
            self.assertEqual(self.follow_up(NOW + timedelta(hours=4)), 1, "the other expires")
            self.assertEqual(self.follow_up(NOW + timedelta(hours=4, minutes=1)), 0)
        self.assertEqual((stuck.state, other.state), ("pending", "expired"))
        self.assertToldOnce(stuck, "is corrupt", "Expire unanswered requests")

    def follow_up(self, when):
        return self.run_job("_cron_follow_up_requests", when)

    def test_no_shows(self):
        with freeze_time(NOW):
            stuck = self._book(self.at(10))
            other = self._book(self.at(10), provider=self.provider_b)
        when = stuck.stop + timedelta(minutes=15)
        with self.poisoned(stuck, "action_no_show"), freeze_time(when):
            self.assertEqual(self.env["booking.scheduler"]._cron_mark_no_shows(), 1)
            self.assertEqual(self.env["booking.scheduler"]._cron_mark_no_shows(), 0)
        self.assertEqual((stuck.state, other.state), ("confirmed", "no_show"))
        self.assertEqual(self.failure(stuck, "no_shows").attempts, 1)
        self.assertToldOnce(stuck, "is corrupt", "Mark no-shows")

    def test_the_log_names_the_job_the_record_and_the_error(self):
        with freeze_time(NOW):
            stuck = self._book(self.at(10))
        with self.poisoned(stuck, "action_no_show", mute=False), freeze_time(stuck.stop + timedelta(hours=1)), \
                self.assertLogs(SCHEDULER_LOG, "ERROR") as logged:
            self.env["booking.scheduler"]._cron_mark_no_shows()
        self.assertIn(f"Mark no-shows: booking.appointment({stuck.id},) skipped", logged.output[0])
        self.assertIn("is corrupt", logged.output[0])


@tagged("post_install", "-at_install")
class TestCalendarBatch(BatchCase):
    """The calendar keeps its own retries; staff get the activity when it gives up."""

    def test_one_appointment_that_cannot_be_mirrored(self):
        self.provider_a.user_id = self.user_staff
        with freeze_time(NOW):
            stuck, other = self.book_online(10), self.book_online(11)
        Scheduler = self.env["booking.scheduler"]
        when = NOW
        with self.poisoned(stuck, "_sync_calendar_event"):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                with freeze_time(when):
                    Scheduler._cron_sync_provider_calendars()
                self.assertEqual(stuck.calendar_sync_attempts, attempt)
                self.assertEqual(bool(self.activities(stuck)), attempt == MAX_ATTEMPTS, "told when it gives up")
                when = stuck.calendar_sync_next_at
        self.assertTrue(other.calendar_event_id)
        self.assertFalse(other.calendar_sync_state)
        self.assertEqual(stuck.calendar_sync_state, "failed")
        self.assertToldOnce(stuck, "is corrupt", "Update providers' calendars")
        with freeze_time(when):
            stuck.action_retry_calendar_sync()
            Scheduler._cron_sync_provider_calendars()
        self.assertTrue(stuck.calendar_event_id)
        self.assertFalse(self.activities(stuck), "mirrored after all: the activity is done")


@tagged("post_install", "-at_install")
class TestGarbageCollection(BatchCase):
    """Clean-ups delete all at once, else one by one: one record that cannot go does not keep the others."""

    def test_expired_sessions(self):
        Session = self.env["booking.customer.session"]
        stuck, other = Session.create([
            {"partner_id": self.customer.id, "page_id": self.page.id, "channel": "email", "state": "active",
             "expires_at": NOW - timedelta(days=2)} for _i in range(2)])
        with self.poisoned(stuck, "unlink"), freeze_time(NOW):
            Session._gc_sessions()
        self.assertEqual((stuck | other).exists(), stuck)
        self.assertToldOnce(self.page, "is corrupt", "Delete expired API sessions")

    def test_old_messages(self):
        with freeze_time(NOW):
            stuck, other = (self.outbox(self.book_online(hour), "confirmed")[:1] for hour in (9, 10))
        self.env.cr.execute("UPDATE booking_notification SET state = 'sent', write_date = %s WHERE id IN %s",
                            (NOW - timedelta(days=91), (stuck | other)._ids))
        self.env["booking.notification"].invalidate_model()
        with self.poisoned(stuck, "unlink"), freeze_time(NOW):
            self.env["booking.notification"]._gc_sent()
        self.assertEqual((stuck | other).exists(), stuck)
        activity = self.assertToldOnce(self.page, "is corrupt", "Delete old sent messages")
        self.assertIn(stuck.display_name, str(activity.note), "the page's activity names the record")

    def test_records_without_a_page_are_logged(self):
        self.env.cr.execute("INSERT INTO booking_rate_limit (key, hit_at) VALUES ('a', %s), ('b', %s) RETURNING id",
                            (NOW - timedelta(days=2), NOW - timedelta(days=2)))
        stuck, other = self.env["booking.rate.limit"].browse([row[0] for row in self.env.cr.fetchall()])
        with self.poisoned(stuck, "unlink", mute=False), freeze_time(NOW), \
                self.assertLogs(SCHEDULER_LOG, "ERROR") as logged:
            self.env["booking.rate.limit"]._gc_old_hits()
        self.assertEqual((stuck | other).exists(), stuck)
        self.assertIn("is corrupt", "\n".join(logged.output))
