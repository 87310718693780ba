from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .test_notifications import NotificationCase

TUESDAY = MONDAY + timedelta(days=1)
SECOND = timedelta(seconds=1)


@tagged("post_install", "-at_install")
class TestReminders(NotificationCase):
    """24 h e-mail and 2 h SMS by default, once per start time, at their boundaries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+33 6 12 34 56 78"

    def run_reminders(self, when):
        return self.run_job("_cron_send_reminders", when)

    def test_each_reminder_goes_at_its_offset_once(self):
        with freeze_time(NOW):
            appointment = self.book_online(10, day=TUESDAY)  # Tuesday 10:00 Paris = 08:00 UTC
        start = appointment.start
        self.assertEqual(start, datetime(2025, 6, 3, 8, 0))
        self.assertEqual(self.run_reminders(start - timedelta(hours=24) - SECOND), 0)
        self.assertEqual(self.run_reminders(start - timedelta(hours=24)), 1)
        self.assertEqual(self.run_reminders(start - timedelta(hours=24)), 0, "a second run queues nothing")
        self.assertEqual(self.run_reminders(start - timedelta(hours=3)), 0)
        [mail] = self.sent_messages(appointment, "Reminder")
        self.assertIn(appointment._check_in_qr_url(), str(mail.body), "the check-in QR code")
        self.assertFalse(self.sent_sms(self.customer))
        self.assertEqual(self.run_reminders(start - timedelta(hours=2) - SECOND), 0)
        self.assertEqual(self.run_reminders(start - timedelta(hours=2)), 1)
        self.assertEqual(self.run_reminders(start - timedelta(minutes=30)), 0)
        [sms] = self.sent_sms(self.customer)
        self.assertIn(appointment._check_in_url(), sms.body, "the SMS carries the check-in link")
        self.assertEqual(len(self.sent_messages(appointment, "Reminder")), 1)

    def test_no_reminder_after_the_start_nor_for_cancelled_bookings(self):
        with freeze_time(NOW):
            appointment = self.book_online(10, day=TUESDAY)
            cancelled = self.book_online(11, day=TUESDAY)
            cancelled.action_cancel()
        self.assertEqual(self.run_reminders(appointment.start), 0, "the start has come: too late")
        # a run that comes late (the server was down) still reminds, before the start
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=1)), 2)
        self.assertFalse(self.outbox(cancelled, "reminder"))

    def test_a_booking_made_inside_a_window_skips_that_reminder(self):
        late = datetime(2025, 6, 2, 12, 0)  # Monday 14:00 Paris, 20 h before Tuesday 10:00
        with freeze_time(late):
            appointment = self.book_online(10, day=TUESDAY)
        self.assertEqual(self.run_reminders(late + timedelta(minutes=5)), 0, "the confirmation just said it all")
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=2)), 1)
        self.assertEqual(self.outbox(appointment, "reminder").channel, "sms")

    def test_a_booking_no_reminder_reaches_in_time_gets_its_check_in_link_with_the_confirmation(self):
        self.page.min_notice_hours = 1
        start = datetime(2025, 6, 3, 8, 0)  # Tuesday 10:00 Paris; check-in opens an hour before
        cases = [
            # (booked at, the customer's phone, the link with the confirmation)
            (NOW, "+33 6 12 34 56 78", False),  # both reminders to come: they bring it
            (start - timedelta(hours=3), "+33 6 12 34 56 78", False),  # the 2 h SMS brings it
            (start - timedelta(minutes=90), "+33 6 12 34 56 78", True),  # on the day: no reminder left
            (start - timedelta(hours=5), False, True),  # no phone: the 2 h SMS cannot reach them
        ]
        for booked_at, phone, with_link in cases:
            with self.subTest(booked_at=booked_at, phone=phone):
                self.customer.phone = phone
                with freeze_time(booked_at):
                    appointment = self.book_online(10, day=TUESDAY)
                    self.dispatch()
                [mail] = self.sent_messages(appointment, "Confirmed")
                self.assertEqual(appointment._check_in_url() in str(mail.body), with_link)
                self.assertEqual(appointment._check_in_qr_url() in str(mail.body), with_link)
                if with_link and phone:
                    self.assertEqual(self.run_reminders(start - timedelta(minutes=30)), 0, "no reminder follows")
                appointment.action_cancel()
                self.dispatch()

    def test_a_job_at_the_customers_place_gets_no_check_in_link(self):
        lawn = self.env["booking.service"].create({
            "name": "Lawn mowing", "duration_minutes": 60, "price": 60, "location": "customer", "is_published": True,
        })
        self.page.service_ids = [Command.link(lawn.id)]
        self.provider_a.service_ids = [Command.link(lawn.id)]
        start = datetime(2025, 6, 3, 8, 0)
        with freeze_time(start - timedelta(minutes=90)):
            job = self._book(start, service=lawn, address="12 Rue des Lilas, 75019 Paris")
            self.dispatch()
        self.assertFalse(job._check_in_link_with_confirmation(), "the provider checks the customer in on arrival")
        [mail] = self.sent_messages(job, "Confirmed")
        self.assertNotIn(job._check_in_url(), str(mail.body))

    def test_the_confirmation_sms_carries_the_check_in_link_when_no_reminder_will(self):
        self.rule("confirmed").channel = "email_sms"
        self.page.min_notice_hours = 1
        start = datetime(2025, 6, 3, 8, 0)
        with freeze_time(start - timedelta(minutes=90)):
            appointment = self.book_online(10, day=TUESDAY)
            self.dispatch()
        [sms] = self.sent_sms(self.customer)
        self.assertIn(appointment._check_in_url(), sms.body)

    def test_a_moved_booking_is_reminded_of_its_new_time(self):
        with freeze_time(NOW):
            appointment = self.book_online(10, day=TUESDAY)
        self.run_reminders(appointment.start - timedelta(hours=24))
        with freeze_time(appointment.start - timedelta(hours=23)):
            appointment._reschedule(appointment.start + timedelta(hours=4), "customer")
        # moved inside the 24 h window of its new time, by the customer long after confirming
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=23)), 1)
        self.assertEqual(len(self.outbox(appointment, "reminder", channel="email")), 2)

    def test_a_queued_reminder_that_stopped_being_true_is_not_sent(self):
        with freeze_time(NOW):
            cancelled = self.book_online(10, day=TUESDAY)
            moved = self.book_online(11, day=TUESDAY)
        day_before = moved.start - timedelta(hours=24)  # inside both 24 h windows
        with freeze_time(day_before):
            # queued, but the dispatcher does not get to them yet (a mail outage, a busy worker)
            self.assertEqual(self.env["booking.scheduler"]._cron_send_reminders(), 2)
            cancelled.action_cancel()
            moved._reschedule(moved.start + timedelta(hours=4), "customer")
        with freeze_time(day_before + timedelta(minutes=2)):
            self.dispatch()
        self.assertEqual(self.outbox(cancelled, "reminder").state, "cancelled")
        self.assertEqual(self.outbox(moved, "reminder").state, "cancelled", "it gave the old time")
        self.assertFalse(self.sent_messages(cancelled | moved, "Reminder"))
        self.assertEqual(len(self.sent_messages(moved, "New time")), 1, "the move itself was told")
        # the moved booking is reminded of its new time, when that one comes
        self.assertEqual(self.run_reminders(moved.start - timedelta(hours=24)), 1)
        self.assertEqual(len(self.sent_messages(moved, "Reminder")), 1)

    def test_reminder_offsets_are_configurable(self):
        self.rule("reminder", "email").offset_hours = 48
        self.rule("reminder", "sms").active = False
        with freeze_time(NOW):
            appointment = self.book_online(10, day=TUESDAY + timedelta(days=2))
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=48) - SECOND), 0)
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=48)), 1)
        self.assertEqual(self.run_reminders(appointment.start - timedelta(hours=1)), 0)


@tagged("post_install", "-at_install")
class TestRequestFollowUp(NotificationCase):
    """Unanswered requests: approvers reminded after 2 h, the request expires after 4 h."""

    def follow_up(self, when):
        return self.run_job("_cron_follow_up_requests", when)

    def test_nudge_then_expiry_at_their_boundaries(self):
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
        self.assertEqual(request.pending_since, NOW)
        self.assertEqual(self.follow_up(NOW + timedelta(hours=2) - SECOND), 0)
        self.assertEqual(self.follow_up(NOW + timedelta(hours=2)), 1)
        self.assertEqual(self.follow_up(NOW + timedelta(hours=2, minutes=5)), 0, "nudged once")
        [nudge] = self.sent_messages(request, "Still to approve")
        self.assertEqual(nudge.partner_ids, self.merchant)
        self.assertIn(f"/booking/approval/{request.id}/confirm/", str(nudge.body))
        self.assertEqual(self.follow_up(NOW + timedelta(hours=4) - SECOND), 0)
        self.assertEqual(request.state, "pending")
        self.assertEqual(self.follow_up(NOW + timedelta(hours=4)), 1)
        self.assertEqual((request.state, request.cancelled_by), ("expired", "system"))
        self.assertEqual(self.follow_up(NOW + timedelta(hours=4, minutes=5)), 0)
        [told] = self.sent_messages(request, "could not be confirmed")
        self.assertEqual(told.partner_ids, self.customer)
        self.assertIn("lapsed", str(told.body))
        self.assertIn(f"/p/test-salon?service={self.service_approval.id}", str(told.body), "invited to rebook")
        self.assertEqual(self.env["booking.availability"]._find_slot(
            self.page, self.service_approval, request.start, self.provider_a,
            now=NOW + timedelta(hours=4)).start, request.start, "its time is free again")

    def test_a_nudge_for_a_request_answered_meanwhile_is_not_sent(self):
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
        with freeze_time(NOW + timedelta(hours=2)):
            self.assertEqual(self.env["booking.scheduler"]._cron_follow_up_requests(), 1)
            request.action_approve()
            self.dispatch()
        self.assertEqual(self.outbox(request, "request_nudge").state, "cancelled")
        self.assertFalse(self.sent_messages(request, "Still to approve"))
        self.assertEqual(self.outbox(request, "confirmed").state, "sent")

    def test_answered_requests_are_left_alone(self):
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
            request.action_approve()
        self.assertEqual(self.follow_up(NOW + timedelta(hours=5)), 0)
        self.assertEqual(request.state, "confirmed")
        self.assertFalse(self.outbox(request, "request_nudge"))

    def test_delays_come_from_the_page_and_zero_means_never(self):
        self.page.write({"approval_nudge_hours": 0, "approval_expiry_hours": 0})
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
        self.assertEqual(self.follow_up(NOW + timedelta(hours=12)), 0)
        self.assertEqual(request.state, "pending")
        # ... but a request is never left pending past its start
        self.assertEqual(self.follow_up(request.start), 1)
        self.assertEqual(request.state, "expired")


@tagged("post_install", "-at_install")
class TestHoldExpiry(NotificationCase):

    def test_unpaid_hold_expires_after_its_deadline_once(self):
        with freeze_time(NOW):
            hold = self.book_online(10, service=self.service_deposit)
        self.assertEqual((hold.state, hold.hold_expires_at), ("pending_payment", NOW + timedelta(minutes=15)))
        Scheduler = self.env["booking.scheduler"]
        with freeze_time(hold.hold_expires_at):
            self.assertEqual(Scheduler._cron_expire_payment_holds(), 0)
        with freeze_time(hold.hold_expires_at + SECOND):
            self.assertEqual(Scheduler._cron_expire_payment_holds(), 1)
            self.assertEqual(Scheduler._cron_expire_payment_holds(), 0)
        self.assertEqual(hold.state, "expired")
        self.assertFalse(self.outbox(hold),
                         "an abandoned payment is not worth a message")


@tagged("post_install", "-at_install")
class TestNoShows(NotificationCase):

    def test_no_show_after_the_end_and_the_grace_period(self):
        with freeze_time(NOW):
            missed = self._book(self.at(10))
            came = self._book(self.at(10), provider=self.provider_b)
        with freeze_time(came.start):
            came.action_check_in()
        Scheduler = self.env["booking.scheduler"]
        self.assertEqual(self.policy.no_show_grace_minutes, 15)
        grace_end = missed.stop + timedelta(minutes=15)
        with freeze_time(grace_end - SECOND):
            self.assertEqual(Scheduler._cron_mark_no_shows(), 0)
        with freeze_time(grace_end):
            self.assertEqual(Scheduler._cron_mark_no_shows(), 1)
            self.assertEqual(Scheduler._cron_mark_no_shows(), 0)
        self.assertEqual((missed.state, came.state), ("no_show", "checked_in"))
        self.assertLastMessageContains(missed, "No-show")

    def test_grace_period_is_the_policys(self):
        self.policy.no_show_grace_minutes = 0
        with freeze_time(NOW):
            missed = self._book(self.at(10))
        with freeze_time(missed.stop):
            self.assertEqual(self.env["booking.scheduler"]._cron_mark_no_shows(), 1)
