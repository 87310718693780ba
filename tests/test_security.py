from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import NOW
from .common import PARIS
from .common import BookingCommon


@tagged("at_install")
class TestSecurity(BookingCommon):
    """Staff see their company's bookings, customers their own, the public nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon Ltd"})
        cls.user_staff_b = mail_new_test_user(
            cls.env, login="booking_staff_b", name="Berta Staff", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user",
        )
        Env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company_b.ids))
        calendar_b = Env["resource.calendar"].create({"name": "B hours", "company_id": cls.company_b.id, "tz": PARIS})
        cls.service_b = Env["booking.service"].create({
            "name": "B service", "duration_minutes": 60, "company_id": cls.company_b.id,
        })
        cls.provider_b_company = Env["booking.provider"].create({
            "name": "B provider", "company_id": cls.company_b.id, "resource_calendar_id": calendar_b.id,
            "tz": PARIS, "service_ids": [Command.set(cls.service_b.ids)],
        })
        cls.page_b = Env["booking.page"].create({
            "name": "B page", "slug": "b-page", "company_id": cls.company_b.id, "tz": PARIS,
            "service_ids": [Command.set(cls.service_b.ids)],
            "provider_ids": [Command.set(cls.provider_b_company.ids)],
        })
        with freeze_time(NOW):
            cls.appointment_b = Env["booking.appointment"].create({
                "page_id": cls.page_b.id, "service_id": cls.service_b.id,
                "provider_id": cls.provider_b_company.id, "partner_id": cls.user_staff_b.partner_id.id,
                "start": cls.at(10),
            })
            cls.appointment_p1 = cls._book_cls(cls.at(9), cls.user_portal_1.partner_id)
            cls.appointment_p2 = cls._book_cls(cls.at(11), cls.user_portal_2.partner_id)

    @classmethod
    def _book_cls(cls, start, partner):
        return cls.env["booking.appointment"].create({
            "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_a.id,
            "partner_id": partner.id, "start": start,
        })

    def test_staff_see_only_their_company(self):
        Appointment = self.env["booking.appointment"]
        seen_a = Appointment.with_user(self.user_staff).search([])
        seen_b = Appointment.with_user(self.user_staff_b).search([])
        self.assertIn(self.appointment_p1, seen_a)
        self.assertNotIn(self.appointment_b, seen_a)
        self.assertEqual(seen_b, self.appointment_b)
        with self.assertRaises(AccessError):
            self.appointment_b.with_user(self.user_staff).read(["start"])
        with self.assertRaises(AccessError):
            self.appointment_p1.with_user(self.user_staff_b).read(["start"])
        for model in ("booking.page", "booking.service", "booking.provider"):
            with self.subTest(model=model):
                seen = self.env[model].with_user(self.user_staff).search([])
                self.assertNotIn(self.page_b.company_id, seen.company_id)

    def test_bills_and_counter_payments_stay_in_their_company(self):
        Line = self.env["booking.appointment.line"]
        line_a = self.appointment_p1.line_ids
        self.assertTrue(line_a, "every booking has its service line")
        self.assertNotIn(line_a, Line.with_user(self.user_staff_b).search([]))
        self.assertEqual(Line.with_user(self.user_staff_b).search([]).appointment_id, self.appointment_b)
        with self.assertRaises(AccessError):
            line_a.with_user(self.user_staff_b).read(["price_unit"])
        with self.assertRaises(AccessError):
            Line.with_user(self.user_staff_b).create({"appointment_id": self.appointment_p1.id,
                                                      "line_type": "discount", "price_unit": -50})
        with self.assertRaises(AccessError):
            self.env["booking.counter.payment"].with_user(self.user_staff_b).create({
                "appointment_id": self.appointment_p1.id, "kind": "balance", "amount": 1}).action_confirm()
        # customers read their own bill (the receipt), never write it, never another's
        self.assertEqual(Line.with_user(self.user_portal_1).search([]), line_a)
        with self.assertRaises(AccessError):
            line_a.with_user(self.user_portal_1).write({"price_unit": 1})
        with self.assertRaises(AccessError):
            self.appointment_p2.line_ids.with_user(self.user_portal_1).read(["price_unit"])
        self.assertEqual(line_a.price_unit, self.appointment_p1.service_id.price, "nothing changed")

    def test_report_follows_company_rules(self):
        rows = self.env["booking.report"].with_user(self.user_staff_b).search([])
        self.assertEqual(rows.mapped("name"), [self.appointment_b.name])

    def test_portal_customers_see_only_their_own(self):
        Appointment = self.env["booking.appointment"]
        self.assertEqual(Appointment.with_user(self.user_portal_1).search([]), self.appointment_p1)
        self.assertEqual(Appointment.with_user(self.user_portal_2).search([]), self.appointment_p2)
        with self.assertRaises(AccessError):
            self.appointment_p2.with_user(self.user_portal_1).read(["start"])
        with self.assertRaises(AccessError):
            self.appointment_p1.with_user(self.user_portal_1).write({"note": "hacked"})
        with self.assertRaises(AccessError):
            self.appointment_p1.with_user(self.user_portal_1).action_cancel()

    def test_public_user_reads_nothing(self):
        public = self.env.ref("base.public_user")
        for model in ("booking.appointment", "booking.page", "booking.service", "booking.provider",
                      "booking.waitlist", "booking.cancellation.policy", "booking.report"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(public).search([])

    def test_portal_reads_no_configuration(self):
        for model in ("booking.page", "booking.service", "booking.provider", "booking.waitlist"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.user_portal_1).search([])

    def test_staff_run_the_day_managers_configure(self):
        with self.assertRaises(AccessError):
            self.env["booking.page"].with_user(self.user_staff).create({"name": "Mine", "slug": "mine"})
        with self.assertRaises(AccessError):
            self.service.with_user(self.user_staff).write({"price": 1})
        with self.assertRaises(AccessError):
            self.appointment_p1.with_user(self.user_staff).unlink()
        page = self.env["booking.page"].with_user(self.user_manager).create({"name": "Second Salon"})
        self.assertEqual(page.slug, "second-salon")
        provider = self.env["booking.provider"].with_user(self.user_manager).create({
            "name": "New hire", "resource_calendar_id": self.calendar.id,
        })
        self.assertTrue(provider.resource_id)
        with freeze_time(NOW):
            appointment = self._book(self.at(14)).with_user(self.user_staff)
            appointment.action_check_in()
            self.assertEqual(appointment.state, "checked_in")
