from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

ZONE = "Europe/Brussels"


@tagged("post_install", "-at_install")
class TestCheckoutTour(HttpCase):
    """The usual visit checked out at the desk in Chromium, clicks counted (at most five, as on Square)."""

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
        cls.anna = cls.env["booking.provider"].create({
            "name": "Desk Anna", "resource_calendar_id": calendar.id, "tz": ZONE,
            "service_ids": [Command.set(cls.service.ids)]})
        cls.page = cls.env["booking.page"].create({
            "name": "Desk Spa", "slug": "desk-spa", "tz": ZONE, "is_published": True, "min_notice_hours": 0,
            "service_ids": [Command.set(cls.service.ids)], "provider_ids": [Command.set(cls.anna.ids)],
        })
        cls.customer = cls.env["res.partner"].create({"name": "Rita Regular", "email": "rita@example.com"})
        cls.mask = cls.env["product.product"].create({"name": "Hair mask", "type": "service", "list_price": 15,
                                                      "taxes_id": [Command.clear()]})
        cls.staff = mail_new_test_user(cls.env, login="desk_staff", name="Dana Desk",
                                       groups="base.group_user,self_serve_booking.group_booking_user")

    def test_the_usual_visit_in_five_clicks(self):
        start = datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=10)
        appointment = self.env["booking.appointment"].create({
            "page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
            "provider_id": self.anna.id, "start": start})
        appointment.action_check_in()
        self.start_tour(f"/odoo/action-self_serve_booking.booking_appointment_action/{appointment.id}",
                        "self_serve_booking_checkout_five_clicks", login="desk_staff")
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "done")
        self.assertEqual(appointment.line_ids.mapped("name"), ["Desk Massage", "Hair mask"])
        self.assertEqual((contract.amount_total, contract.amount_balance_paid, contract.amount_tip, contract.state),
                         (65, 65, 9.75, "paid"))
        self.assertEqual(set(contract.counter_payment_ids.journal_id.mapped("type")), {"cash"})
        self.assertTrue(self.env["booking.notification"].search([
            ("appointment_id", "=", appointment.id), ("event", "=", "receipt"), ("channel", "=", "email")]))
