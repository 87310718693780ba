from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar.models.calendar_event import Meeting
from odoo.addons.mail.tests.common import mail_new_test_user

from ..exceptions import SlotUnavailableError
from ..models.booking_calendar_sync import MAX_ATTEMPTS
from .common import MONDAY
from .common import NOW
from .test_notifications import NotificationCase


@tagged("post_install", "-at_install")
class TestProviderCalendars(NotificationCase):
    """Appointments mirror into the provider's Odoo Calendar; the provider's busy events block slots."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice_user = mail_new_test_user(cls.env, login="alice_provider", name="Alice Provider",
                                            groups="base.group_user")
        cls.bob_user = mail_new_test_user(cls.env, login="bob_provider", name="Bob Provider",
                                          groups="base.group_user")
        cls.provider_a.user_id = cls.alice_user

    def sync(self):
        return self.env["booking.scheduler"]._cron_sync_provider_calendars()

    def mirror(self, appointment):
        with freeze_time(NOW):
            self.sync()
        return self.env["calendar.event"].search([
            ("res_model", "=", "booking.appointment"), ("res_id", "=", appointment.id)])

    def provider_event(self, start, stop, user=None, **vals):
        user = user or self.alice_user
        return self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Dentist", "start": start, "stop": stop, "user_id": user.id,
            "partner_ids": [(6, 0, user.partner_id.ids)], **vals,
        })

    def test_create_move_and_cancel_are_mirrored(self):
        with freeze_time(NOW):
            appointment = self.book_online(10)
        self.assertFalse(appointment.calendar_event_id, "queued, not done inside the booking")
        event = self.mirror(appointment)
        self.assertEqual(appointment.calendar_event_id, event)
        self.assertEqual((event.start, event.stop, event.user_id, event.show_as),
                         (self.at(10), self.at(11), self.alice_user, "busy"))
        self.assertEqual(event.partner_ids, self.alice_user.partner_id, "the customer gets no invitation")
        self.assertIn(self.customer.name, event.name)
        self.assertFalse(self.env["mail.mail"].sudo().search([("model", "=", "calendar.event"),
                                                              ("res_id", "=", event.id)]),
                         "no invitation e-mail either")
        with freeze_time(NOW):
            appointment._reschedule(self.at(14), "customer")
        self.assertEqual(self.mirror(appointment), event, "the same event moves")
        self.assertEqual((event.start, event.stop), (self.at(14), self.at(15)))
        with freeze_time(NOW):
            appointment.action_cancel()
        self.assertFalse(self.mirror(appointment))
        self.assertFalse(event.exists(), "removed on cancel")
        self.assertFalse(appointment.calendar_event_id)

    def test_staff_cannot_point_a_booking_at_someone_elses_event(self):
        """The mirror rewrites and deletes its event as superuser: a Booking User who could set the link would
        have the scheduler delete anyone's meeting (the CEO's, a colleague's private appointment)."""
        with freeze_time(NOW):
            appointment = self.book_online(10)
        meeting = self.provider_event(self.at(16, day=MONDAY + timedelta(days=3)),
                                      self.at(17, day=MONDAY + timedelta(days=3)), name="Board meeting")
        with self.assertRaises(AccessError):
            appointment.with_user(self.user_staff).write({"calendar_event_id": meeting.id})
        with freeze_time(NOW):
            appointment.with_user(self.user_staff).action_cancel()
            self.mirror(appointment)
        self.assertTrue(meeting.exists(), "the meeting is not the booking's to remove")

    def test_requests_show_as_such_and_declines_remove_them(self):
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
        event = self.mirror(request)
        self.assertIn("to approve", event.name)
        with freeze_time(NOW):
            request.action_approve()
        self.mirror(request)
        self.assertNotIn("to approve", event.name)
        with freeze_time(NOW):
            other = self.book_online(14, service=self.service_approval)
        self.assertTrue(self.mirror(other))
        with freeze_time(NOW):
            other.action_decline()
        self.assertFalse(self.mirror(other))

    def test_a_move_to_another_provider_moves_the_event_to_their_calendar(self):
        with freeze_time(NOW):
            appointment = self.book_online(10)
        first = self.mirror(appointment)
        with freeze_time(NOW):
            appointment.write({"provider_id": self.provider_b.id})  # Bob has no user: no calendar
        self.assertFalse(self.mirror(appointment))
        self.assertFalse(first.exists())
        self.provider_b.user_id = self.bob_user
        with freeze_time(NOW):
            appointment.write({"start": self.at(11)})
        event = self.mirror(appointment)
        self.assertEqual((event.user_id, event.start), (self.bob_user, self.at(11)))

    def test_mirroring_twice_is_harmless(self):
        with freeze_time(NOW):
            appointment = self.book_online(10)
            appointment._calendar_mark_to_sync()  # marked again: still one update to make
        self.assertEqual(appointment.calendar_sync_state, "pending")
        event = self.mirror(appointment)
        self.assertFalse(appointment.calendar_sync_state, "done")
        self.assertEqual(appointment._sync_calendar_event(), "unchanged")
        self.assertEqual(appointment.calendar_event_id, event)
        self.assertEqual(self.env["calendar.event"].search_count([("res_id", "=", appointment.id),
                                                                  ("res_model", "=", "booking.appointment")]), 1)

    def test_a_busy_event_blocks_the_slot_engine_and_a_free_one_does_not(self):
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_a)))
        busy = self.provider_event(self.at(10), self.at(10, 30))
        self.assertNotIn("10:00", self.local_times(self.slots(providers=self.provider_a)))
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_b)), "Bob is not Alice")
        busy.show_as = "free"
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_a)))
        busy.show_as = "busy"
        # what a customer is shown is what the front desk enforces
        with freeze_time(NOW), self.assertRaises(SlotUnavailableError):
            self.book_online(10)

    def test_invitations_count_unless_declined(self):
        invite = self.provider_event(self.at(14), self.at(15), user=self.bob_user,
                                     partner_ids=[(6, 0, (self.bob_user | self.alice_user).partner_id.ids)])
        self.assertNotIn("14:00", self.local_times(self.slots(providers=self.provider_a)))
        invite.attendee_ids.filtered(lambda a: a.partner_id == self.alice_user.partner_id).do_decline()
        self.assertIn("14:00", self.local_times(self.slots(providers=self.provider_a)))
        archived = self.provider_event(self.at(15), self.at(16))
        archived.active = False
        self.assertIn("15:00", self.local_times(self.slots(providers=self.provider_a)))

    def test_all_day_events_block_the_providers_whole_local_day(self):
        self.provider_event(datetime(2025, 6, 2, 8), datetime(2025, 6, 2, 18), allday=True,
                            start_date=MONDAY, stop_date=MONDAY)
        self.assertEqual(self.slots(providers=self.provider_a), [])
        tuesday = self.slots(providers=self.provider_a, day=MONDAY + timedelta(days=1))
        self.assertEqual(self.local_times(tuesday)[0], "09:00")

    def test_mirrors_of_appointments_are_not_counted_twice(self):
        with freeze_time(NOW):
            appointment = self.book_online(10)
        self.mirror(appointment)
        with freeze_time(NOW):
            appointment.action_cancel()
        # the event is still there until the queue runs; its time is free already
        self.assertTrue(appointment.calendar_event_id)
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_a)))

    def test_pages_can_leave_calendars_alone(self):
        self.page.sync_provider_calendars = False
        self.provider_event(self.at(10), self.at(11))
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_a)))
        with freeze_time(NOW):
            appointment = self.book_online(10)
        self.assertFalse(appointment.calendar_sync_state, "nothing to update")

    @mute_logger("odoo.addons.self_serve_booking.models.booking_scheduler")
    def test_a_failing_calendar_neither_blocks_nor_loses_the_booking(self):
        with freeze_time(NOW):
            appointment = self.book_online(10)
        self.assertEqual(appointment.calendar_sync_state, "pending")
        when = NOW
        with patch.object(Meeting, "create", side_effect=ConnectionError("calendar unavailable")):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                with freeze_time(when):
                    self.sync()
                self.assertEqual(appointment.calendar_sync_attempts, attempt)
                when = appointment.calendar_sync_next_at or when
                with freeze_time(when - timedelta(seconds=1)):
                    self.assertEqual(self.sync(), 0, "not before the next attempt is due")
        self.assertEqual((appointment.state, appointment.calendar_sync_state), ("confirmed", "failed"))
        self.assertFalse(appointment.calendar_event_id)
        self.assertLastMessageContains(appointment, "calendar could not be updated")
        with freeze_time(when):
            appointment.action_retry_calendar_sync()
            self.sync()
        self.assertFalse(appointment.calendar_sync_state)
        self.assertTrue(appointment.calendar_event_id)
