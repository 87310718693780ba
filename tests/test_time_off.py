"""Time off over bookings: listed before saving, each moved or cancelled, customers told; never saved silently."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import NOW
from .common import BookingCommon


@tagged("post_install", "-at_install")
class TestTimeOffOverBookings(BookingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.auto_confirm = True
        cls.other = cls.env["res.partner"].create({"name": "Olga Other", "email": "olga@example.com"})
        cls.third = cls.env["res.partner"].create({"name": "Theo Third", "email": "theo@example.com"})

    def _block(self, start, stop, user=None, provider=None):
        provider = provider or self.provider_a
        action = provider.with_user(user or self.user_staff).action_block_time()
        self.assertEqual(action["res_model"], "booking.time.off")
        return self.env["booking.time.off"].with_user(user or self.user_staff).with_context(
            **action["context"]).create({"name": "Dentist", "date_from": start, "date_to": stop})

    @freeze_time(NOW)
    def test_bookings_are_listed_then_moved_or_cancelled_and_their_customers_told(self):
        nine = self._book(self.at(9))
        ten = self._book(self.at(10), partner_id=self.other.id)
        eleven = self._book(self.at(11), partner_id=self.third.id)
        afternoon = self._book(self.at(14))
        self._book(self.at(9), provider=self.provider_b, partner_id=self.third.id)  # Bob is busy at 9:00 only
        wizard = self._block(self.at(9), self.at(12))
        lines = wizard.conflict_ids
        self.assertEqual(lines.appointment_id, nine | ten | eleven, "the morning's bookings, not the afternoon's")
        by_booking = {line.appointment_id: line for line in lines}
        self.assertEqual((by_booking[nine].decision, by_booking[nine].new_start), ("move", self.at(13)),
                         "nobody else is free at 9:00: the provider's next free time after the time off")
        self.assertEqual((by_booking[ten].decision, by_booking[ten].new_provider_id), ("provider", self.provider_b),
                         "Bob is free at 10:00: the customer keeps their time")
        self.assertEqual(by_booking[eleven].new_start, self.at(15),
                         "the next free time after the one proposed to the 9:00 (13:00) and 14:00 (taken)")
        by_booking[eleven].decision = "cancel"
        wizard.action_confirm()

        self.assertEqual((nine.start, nine.provider_id, nine.state), (self.at(13), self.provider_a, "confirmed"))
        self.assertEqual((ten.start, ten.provider_id), (self.at(10), self.provider_b))
        self.assertEqual((eleven.state, eleven.cancelled_by), ("cancelled", "merchant"))
        self.assertIn("Dentist", eleven.cancel_reason)
        self.assertEqual(afternoon.start, self.at(14))
        self.assertTrue(self.outbox(nine, "rescheduled"), "moved: the customer is told")
        self.assertTrue(self.outbox(ten, "rescheduled"))
        self.assertTrue(self.outbox(eleven, "cancelled"), "cancelled: the customer is told")
        leave = self.env["resource.calendar.leaves"].search([("resource_id", "=", self.provider_a.resource_id.id)])
        self.assertEqual((leave.name, leave.date_from, leave.date_to), ("Dentist", self.at(9), self.at(12)))
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["15:00", "16:00"],
                         "the time off holds: the morning is no longer offered")

    @freeze_time(NOW)
    def test_time_off_over_a_booking_is_never_saved_silently(self):
        booking = self._book(self.at(10))
        Leave = self.env["resource.calendar.leaves"].with_user(self.user_staff)
        values = {"name": "Off", "resource_id": self.provider_a.resource_id.id, "calendar_id": self.calendar.id,
                  "date_from": self.at(9), "date_to": self.at(12)}
        with self.assertRaisesRegex(ValidationError, "Block Time"), self.cr.savepoint():
            Leave.create(values)
        afternoon = Leave.create(dict(values, date_from=self.at(13), date_to=self.at(17)))
        with self.assertRaisesRegex(ValidationError, "Block Time"), self.cr.savepoint():
            afternoon.date_from = self.at(9)  # stretched over the booking
        Leave.create(dict(values, resource_id=self.provider_b.resource_id.id))  # Bob has nothing booked
        booking.action_cancel()
        Leave.create(values)  # nothing left in it

    @freeze_time(NOW)
    def test_a_booking_made_meanwhile_stops_the_saving(self):
        wizard = self._block(self.at(9), self.at(12))
        self.assertFalse(wizard.conflict_ids)
        self._book(self.at(10))
        with self.assertRaisesRegex(UserError, "changed while you were choosing"):
            wizard.action_confirm()
        self.assertFalse(self.env["resource.calendar.leaves"].search(
            [("resource_id", "=", self.provider_a.resource_id.id)]))

    @freeze_time(NOW)
    def test_a_choice_that_cannot_be_made_changes_nothing(self):
        nine = self._book(self.at(9))
        self._book(self.at(9), provider=self.provider_b, partner_id=self.other.id)
        wizard = self._block(self.at(9), self.at(12))
        wizard.conflict_ids.decision = "provider"  # nobody else is free at 9:00
        with self.assertRaisesRegex(UserError, "Nobody else is free"):
            wizard.action_confirm()
        self.assertEqual((nine.start, nine.state), (self.at(9), "confirmed"))

    @freeze_time(NOW)
    def test_the_form_lists_the_bookings_as_the_dates_change(self):
        self._book(self.at(10))
        form = Form(self.env["booking.time.off"].with_user(self.user_staff).with_context(
            default_provider_id=self.provider_a.id))
        self.assertEqual(form.date_from, NOW, "from now")
        form.date_from = self.at(13)
        form.date_to = self.at(17)
        self.assertEqual(len(form.conflict_ids), 0)
        form.date_from = self.at(9)
        self.assertEqual(len(form.conflict_ids), 1, "listed before anything is saved")
        with form.conflict_ids.edit(0) as line:
            line.decision = "cancel"
        form.save().action_confirm()
        self.assertEqual(self.env["booking.appointment"].search([("provider_id", "=", self.provider_a.id)]).state,
                         "cancelled")

    @freeze_time(NOW)
    def test_staff_of_another_company_see_and_change_nothing(self):
        booking = self._book(self.at(10))
        company = self.env["res.company"].create({"name": "Other Salon"})
        stranger = mail_new_test_user(
            self.env, login="other_staff", name="Oscar Other", company_id=company.id,
            company_ids=[Command.set(company.ids)], groups="base.group_user,self_serve_booking.group_booking_user")
        with self.assertRaises(AccessError):
            self.env["booking.time.off"].with_user(stranger).create({
                "provider_id": self.provider_a.id, "date_from": self.at(9), "date_to": self.at(12),
                "name": "Hijack"}).action_confirm()
        self.assertEqual(booking.state, "confirmed")
        self.assertFalse(self.env["resource.calendar.leaves"].search(
            [("resource_id", "=", self.provider_a.resource_id.id)]))
