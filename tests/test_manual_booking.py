from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form

from ..exceptions import SlotUnavailableError
from .common import MONDAY
from .common import NOW
from .common import BookingCommon


class TestManualBooking(BookingCommon):
    """Phone and walk-in bookings by staff go through the same engine and constraint."""

    def _wizard(self, **vals):
        return self.env["booking.assistant"].with_user(self.user_staff).create({
            "page_id": self.page.id,
            "service_id": self.service.id,
            "date": MONDAY,
            "partner_id": self.customer.id,
            **vals,
        })

    @freeze_time(NOW)
    def test_assistant_lists_free_times_and_books_one(self):
        self._book(self.at(9), provider=self.provider_a)
        self._book(self.at(9), provider=self.provider_b)
        wizard = self._wizard()
        wizard.action_search()
        labels = wizard.slot_ids.mapped("label")
        self.assertEqual(labels[0], "10:00 – 11:00", "9:00 is taken by both providers")
        self.assertEqual(len(labels), len(set(labels)), "one line per start")
        action = wizard.slot_ids[0].action_book()
        appointment = self.env["booking.appointment"].browse(action["res_id"])
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((appointment.source, appointment.channel), ("backend", "phone"))
        self.assertEqual(appointment.start, self.at(10))

    @freeze_time(NOW)
    def test_assistant_refuses_a_slot_taken_meanwhile(self):
        wizard = self._wizard(provider_id=self.provider_a.id)
        wizard.action_search()
        line = wizard.slot_ids[0]
        self._book(line.start, provider=self.provider_a, partner_id=self.env["res.partner"].create({"name": "X"}).id)
        with self.assertRaises(SlotUnavailableError):
            line.action_book()
        self.assertEqual(self.env["booking.appointment"].search_count([("start", "=", line.start)]), 1)

    @freeze_time(NOW)
    def test_assistant_needs_a_customer(self):
        wizard = self._wizard(partner_id=False)
        wizard.action_search()
        with self.assertRaisesRegex(UserError, "customer"):
            wizard.slot_ids[0].action_book()

    @freeze_time("2025-06-02 08:10:00")  # Monday 10:10 in Paris
    def test_walk_in_starts_now_with_whoever_is_free(self):
        self._book(self.at(10), provider=self.provider_b)  # Bob busy until 11:00
        action = self._wizard(channel="walk_in").action_book_walk_in()
        appointment = self.env["booking.appointment"].browse(action["res_id"])
        self.assertEqual(appointment.provider_id, self.provider_a)
        self.assertEqual(appointment.start, self.at(10, 10))
        self.assertEqual(appointment.channel, "walk_in")
        self.assertEqual((appointment.state, appointment.checked_in_at, appointment.check_in_method),
                         ("checked_in", fields.Datetime.now(), "staff"), "the customer is at the desk: checked in")
        with self.assertRaisesRegex(UserError, "right now"):
            self._wizard().action_book_walk_in()  # both are busy now

    @freeze_time(NOW)
    def test_form_booking_refused_on_a_taken_slot_outside_hours_or_on_time_off(self):
        self._book(self.at(10))
        with self.assertRaises(SlotUnavailableError):
            self._book(self.at(10, 30))
        with self.assertRaisesRegex(ValidationError, "not working"):
            self._book(self.at(12))  # lunch break
        with self.assertRaisesRegex(ValidationError, "not working"):
            self._book(self.at(16, 30))  # ends after 17:00
        self.env["resource.calendar.leaves"].create({
            "name": "Off",
            "resource_id": self.provider_b.resource_id.id,
            "calendar_id": self.calendar.id,
            "date_from": self.at(13),
            "date_to": self.at(17),
        })
        with self.assertRaisesRegex(ValidationError, "time off"):
            self._book(self.at(14), provider=self.provider_b)

    @freeze_time(NOW)
    def test_service_provider_and_page_must_match(self):
        stranger = self.env["booking.service"].create({"name": "Not here", "duration_minutes": 30})
        with self.assertRaisesRegex(ValidationError, "does not deliver"):
            self._book(self.at(10), service=stranger)
        self.provider_a.service_ids |= stranger
        with self.assertRaisesRegex(ValidationError, "not offered on the page"):
            self._book(self.at(10), service=stranger)

    @freeze_time(NOW)
    def test_block_time_from_the_provider_form(self):
        action = self.provider_a.with_user(self.user_staff).action_block_time()
        self.assertEqual(action["res_model"], "booking.time.off")
        self.env["booking.time.off"].with_user(self.user_staff).with_context(**action["context"]).create(
            {"date_from": self.at(13), "date_to": self.at(17)}).action_confirm()
        leave = self.env["resource.calendar.leaves"].search([("resource_id", "=", self.provider_a.resource_id.id)])
        self.assertEqual((leave.date_from, leave.date_to), (self.at(13), self.at(17)))
        self.assertEqual(self.provider_a.time_off_count, 1)
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["09:00", "10:00", "11:00"])

    @freeze_time(NOW)
    def test_waitlist_entry_booked_by_staff(self):
        entry = self.env["booking.waitlist"].create({
            "page_id": self.page.id,
            "service_id": self.service.id,
            "partner_id": self.customer.id,
            "date": MONDAY,
            "time_from": 13,
            "time_to": 17,
        })
        self.assertRegex(entry.name, r"^WL\d{2}-\d{5}$")
        matching = entry._find_matching_slots(now=NOW)
        self.assertEqual(self.local_times(matching[:1]), ["13:00"])
        action = entry.action_find_slot()
        wizard = self.env["booking.assistant"].with_context(**action["context"]).create({})
        self.assertEqual(wizard.waitlist_id, entry)
        wizard.action_search()
        wizard.slot_ids.filtered(lambda s: s.start == self.at(13))[:1].action_book()
        self.assertEqual(entry.state, "booked")
        self.assertEqual(entry.appointment_id.source, "waitlist")
        self.assertEqual(entry.appointment_id.state, "confirmed")
        with self.assertRaises(UserError):
            entry.action_cancel()

    def test_waitlist_window_is_validated(self):
        with self.assertRaisesRegex(ValidationError, "after its start"):
            self.env["booking.waitlist"].create({
                "page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
                "date": MONDAY, "time_from": 15, "time_to": 14,
            })


class TestAssistantForm(BookingCommon):
    """The assistant through its form, as staff use it (onchanges included)."""

    @freeze_time(NOW)
    def test_form_books_a_phone_call(self):
        form = Form(self.env["booking.assistant"].with_user(self.user_staff))
        form.page_id = self.page
        form.service_id = self.service
        self.assertEqual(form.service_id, self.service, "choosing a service keeps it")
        form.provider_id = self.provider_b
        self.assertEqual(form.provider_id, self.provider_b)
        form.date = MONDAY
        form.partner_id = self.customer
        wizard = form.save()
        self.assertEqual((wizard.service_id, wizard.provider_id), (self.service, self.provider_b))
