from datetime import datetime, timedelta

import pytz

from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

ZONE = "Europe/Brussels"


@tagged("post_install", "-at_install")
class TestBackendTours(HttpCase):
    """The merchant's backend by hand, in Chromium, as a Booking user (real clock)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calendar = cls.env["resource.calendar"].create({
            "name": "Desk hours", "tz": ZONE,
            "attendance_ids": [Command.clear()] + [
                Command.create({"name": f"{day}-{half}", "dayofweek": str(day), "hour_from": start, "hour_to": stop,
                                "day_period": half})
                for day in range(7) for half, start, stop in (("morning", 0, 12), ("afternoon", 12, 24))
            ],
        })
        cls.service = cls.env["booking.service"].create({
            "name": "Desk Massage", "duration_minutes": 30, "price": 50, "is_published": True})
        cls.anna, cls.ben = cls.env["booking.provider"].create([
            {"name": name, "resource_calendar_id": calendar.id, "tz": ZONE,
             "service_ids": [Command.set(cls.service.ids)]}
            for name in ("Desk Anna", "Desk Ben")
        ])
        cls.page = cls.env["booking.page"].create({
            "name": "Desk Spa", "slug": "desk-spa", "tz": ZONE, "is_published": True, "min_notice_hours": 0,
            "service_ids": [Command.set(cls.service.ids)], "provider_ids": [Command.set((cls.anna | cls.ben).ids)],
        })
        cls.customer = cls.env["res.partner"].create({"name": "Rita Regular", "email": "rita@example.com"})
        cls.staff = mail_new_test_user(cls.env, login="desk_staff", name="Dana Desk",
                                       groups="base.group_user,self_serve_booking.group_booking_user")

    def _tomorrow_at(self, hour):
        zone = pytz.timezone(ZONE)
        day = datetime.now(zone).date() + timedelta(days=1)
        return zone.localize(datetime.combine(day, datetime.min.time()).replace(hour=hour)).astimezone(
            pytz.utc).replace(tzinfo=None)

    def test_assistant_books_a_phone_call(self):
        self.start_tour("/odoo", "self_serve_booking_assistant_phone_call", login="desk_staff")
        appointment = self.env["booking.appointment"].search([("page_id", "=", self.page.id)])
        self.assertEqual(len(appointment), 1)
        self.assertEqual((appointment.provider_id, appointment.partner_id), (self.ben, self.customer))
        self.assertEqual((appointment.state, appointment.channel, appointment.source),
                         ("confirmed", "phone", "backend"))

    def test_assistant_books_a_walk_in(self):
        self.staff.groups_id |= self.env.ref("base.group_partner_manager")  # staff who may add contacts
        self.start_tour("/odoo", "self_serve_booking_assistant_walk_in", login="desk_staff")
        appointment = self.env["booking.appointment"].search([("page_id", "=", self.page.id)])
        self.assertEqual((appointment.channel, appointment.partner_id.name), ("walk_in", "Nina New"))
        self.assertTrue(appointment.partner_id.phone, "the new customer has a phone")
        self.assertEqual(appointment.state, "checked_in", "the walk-in is at the desk")
        self.assertLess(abs((appointment.start - datetime.now()).total_seconds()), 600, "it starts now")

    def test_time_off_lists_the_bookings_in_it(self):
        # on the half-hour grid of the 30-minute service (Ben must have a slot at that very time), 30-60 min ahead
        now = datetime.now().replace(second=0, microsecond=0)
        start = now + timedelta(minutes=60 - now.minute % 30)
        ritas = self.env["booking.appointment"].create({
            "page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
            "provider_id": self.anna.id, "start": start})
        self.start_tour(f"/odoo/action-self_serve_booking.booking_provider_action/{self.anna.id}",
                        "self_serve_booking_time_off_conflicts", login="desk_staff")
        self.assertEqual((ritas.provider_id, ritas.start, ritas.state), (self.ben, start, "confirmed"),
                         "given to the provider free at the same time")
        self.assertTrue(self.env["booking.notification"].search([
            ("appointment_id", "=", ritas.id), ("event", "=", "rescheduled")]), "the customer is told")
        leave = self.env["resource.calendar.leaves"].search([("resource_id", "=", self.anna.resource_id.id)])
        self.assertEqual(len(leave), 1)
        self.assertLessEqual(leave.date_from, start)
        self.assertGreater(leave.date_to, start + timedelta(hours=2))

    def test_conflicting_move_shows_the_clean_dialog(self):
        vals = {"page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
                "start": self._tomorrow_at(10)}
        self.env["booking.appointment"].create(dict(vals, provider_id=self.anna.id))
        bens = self.env["booking.appointment"].create(dict(vals, provider_id=self.ben.id))
        self.start_tour("/odoo", "self_serve_booking_backend_conflict", login="desk_staff")
        self.assertEqual(bens.provider_id, self.ben, "the refused move changed nothing")

    def test_checkout_at_the_desk(self):
        self.env["product.product"].create({"name": "Hair mask", "type": "service", "list_price": 15,
                                            "taxes_id": [Command.clear()]})
        appointment = self.env["booking.appointment"].create({
            "page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
            "provider_id": self.anna.id, "start": self._tomorrow_at(10)})
        appointment.action_check_in()
        self.start_tour(f"/odoo/action-self_serve_booking.booking_appointment_action/{appointment.id}",
                        "self_serve_booking_checkout_at_the_desk", login="desk_staff")
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "done")
        self.assertEqual(appointment.line_ids.mapped("name"), ["Desk Massage", "Hair mask"])
        self.assertEqual((contract.amount_total, contract.amount_balance_paid, contract.state), (65, 65, "paid"))
        payment = contract.counter_payment_ids
        self.assertEqual((payment.journal_id.type, payment.amount), ("cash", 65))
        self.assertIn(contract.final_invoice_id.payment_state, ("paid", "in_payment"))
        self.assertTrue(self.env["booking.notification"].search([
            ("appointment_id", "=", appointment.id), ("event", "=", "receipt"), ("channel", "=", "email")]))

    def test_a_page_made_in_the_form_confirms_by_email_and_sms(self):
        """Issue 24: the form sent the rules empty, so a page made there told nobody anything."""
        manager = mail_new_test_user(self.env, login="desk_manager", name="Mia Manager",
                                     groups="base.group_user,self_serve_booking.group_booking_manager")
        self.env["iap.account"].create({"service_id": self.env.ref("sms.iap_service_sms").id,
                                        "state": "registered"})  # Odoo's SMS set up (credits bought)
        self.start_tour("/odoo", "self_serve_booking_new_page_has_its_notifications", login="desk_manager")
        page = self.env["booking.page"].search([("name", "=", "Fresh Cuts")])
        self.assertEqual(page.create_uid, manager)
        page.write({"service_ids": [Command.set(self.service.ids)], "provider_ids": [Command.set(self.anna.ids)],
                    "tz": ZONE, "min_notice_hours": 0, "is_published": True})
        self.customer.mobile = "+32 470 98 76 54"
        appointment = self.env["booking.appointment"]._book_online(
            page, self.service, self.anna, self._tomorrow_at(10), partner=self.customer)
        self.assertEqual(appointment.state, "confirmed")
        self.env["booking.notification"]._cron_dispatch()
        outbox = self.env["booking.notification"].search([("appointment_id", "=", appointment.id),
                                                           ("event", "=", "confirmed")])
        self.assertEqual(sorted(outbox.mapped(lambda message: (message.channel, message.state))),
                         [("email", "sent"), ("sms", "sent")])
        self.assertTrue(self.env["mail.mail"].search([("model", "=", "booking.appointment"),
                                                      ("res_id", "=", appointment.id),
                                                      ("recipient_ids", "in", self.customer.ids)]))
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("confirmed", sms.body)

