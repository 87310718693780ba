"""What an attacker tries against the returning customer's features (dependants, reviews, series, loyalty).

Each test is an attack a review of issue 16 found to work, now refused.
"""

import json

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import BookingHttpCommon
from .common import BookingPaymentHttpCommon
from .common import local_to_utc
from .test_dependants import DependantDataMixin
from .test_loyalty import LoyaltyMixin

API = "/booking/api/v1"


@tagged("post_install", "-at_install")
class TestReturningTrust(DependantDataMixin, BookingHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dependant_data()
        cls.page.write({"rate_limit_count": 0, "show_providers": True})
        cls.service.allow_series = True

    def post_json(self, path, body):
        with freeze_time(NOW):
            response = self.url_open(path, data=json.dumps(body), headers={"Content-Type": "application/json"},
                                     allow_redirects=False)
        return response

    def test_a_chatter_message_cannot_carry_a_review(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
        appointment._portal_ensure_token()
        self.authenticate(None, None)
        self.post_json("/mail/message/post", {"jsonrpc": "2.0", "method": "call", "params": {
            "thread_model": "booking.appointment", "thread_id": appointment.id,
            "post_data": {"body": "FAKE review", "rating_value": 1, "message_type": "comment"},
            "token": appointment.access_token}})
        ratings = self.env["rating.rating"].search([("res_model", "=", "booking.appointment"),
                                                    ("res_id", "=", appointment.id), ("consumed", "=", True)])
        self.assertFalse(ratings, "a review comes through its signed link only")
        self.assertFalse(self.page._get_recent_reviews())
        with freeze_time(NOW):
            answer = self.url_open(f"{API}/pages/{self.page.slug}/reviews").json()
        self.assertNotIn("FAKE", json.dumps(answer))

    def test_a_guest_cannot_book_a_series(self):
        body = {"service_id": self.service.id, "provider_id": self.provider_a.id,
                "start": self.at(10, day=MONDAY).strftime("%Y-%m-%dT%H:%M:%SZ"), "interval_weeks": 1, "count": 2,
                "customer": {"name": "Gina Guest", "email": "gina@example.com"}}
        response = self.post_json(f"{API}/pages/{self.page.slug}/series", body)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "login_required")
        self.assertFalse(self.env["booking.series"].search([]))

    def test_a_customer_cannot_put_their_pet_on_someone_elses_booking(self):
        with freeze_time(NOW):
            paulas = self._book(self.at(10), service=self.grooming, partner_id=self.paula.id,
                                dependant_ids=[Command.set(self.bella.ids)])
        Dependant = self.env["booking.dependant"].with_user(self.user_portal_2)
        with self.assertRaises(AccessError):
            self.tom.with_user(self.user_portal_2).write({"appointment_ids": [Command.link(paulas.id)]})
        with self.assertRaises(AccessError):
            Dependant.create({"name": "Spy", "kind": "pet", "company_id": self.company.id})
        with self.assertRaises(AccessError):
            Dependant.create({"name": "Spy", "kind": "pet", "appointment_ids": [Command.link(paulas.id)]})
        with self.assertRaises(AccessError):
            Dependant.create({"name": "Spy", "kind": "pet", "partner_id": self.paula.id})
        own = Dependant.create({"name": "Kitty", "kind": "pet", "species": "cat"})
        self.assertEqual((own.partner_id, own.company_id.id), (self.pete, False))
        self.assertEqual(paulas.dependant_ids, self.bella)

    def test_another_business_cannot_book_a_dependant_it_does_not_know(self):
        other = self.env["res.company"].create({"name": "Other salon"})
        recorded_elsewhere = self.env["booking.dependant"].create(
            {"name": "Rex", "kind": "pet", "partner_id": self.paula.id, "company_id": other.id})
        with freeze_time(NOW), self.assertRaises(ValidationError):
            self._book(self.at(10), service=self.grooming, partner_id=self.paula.id,
                       dependant_ids=[Command.set(recorded_elsewhere.ids)])

    def test_control_characters_in_the_pet_form_are_a_400(self):
        self.authenticate("portal_one", "portal_one")
        for field, value in (("name", "Lu\x00na"), ("medical_notes", "x\x00y"), ("breed", "\x07")):
            with self.subTest(field=field):
                data = {"name": "Luna", "kind": "pet", field: value, "csrf_token": http.Request.csrf_token(self)}
                response = self.url_open("/my/dependants/new", data=data, allow_redirects=False)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["booking.dependant"].search([("partner_id", "=", self.paula.id),
                                                               ("name", "ilike", "Lu")]))


@tagged("post_install", "-at_install")
class TestReturningTrustLoyalty(LoyaltyMixin, BookingPaymentHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()
        cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.customer.id, "points": 500})

    def test_a_booking_link_neither_shows_nor_spends_the_customers_points(self):
        with freeze_time(NOW):
            appointment = self._book(local_to_utc(MONDAY, 11), service=self.service, partner_id=self.customer.id)
        appointment._portal_ensure_token()
        self.authenticate(None, None)
        with freeze_time(NOW):
            page = self.url_open(f"/my/bookings/{appointment.id}?access_token={appointment.access_token}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_booking_loyalty_points", page.text)
        data = {"reward_id": str(self.reward_10.id), "csrf_token": http.Request.csrf_token(self),
                "access_token": appointment.access_token}
        with freeze_time(NOW):
            response = self.url_open(f"/my/bookings/{appointment.id}/loyalty", data=data, allow_redirects=False)
        self.assertLess(response.status_code, 500)
        self.assertEqual(self.card(self.customer).points, 500.0)
        self.assertFalse(appointment.line_ids.filtered("loyalty_reward_id"))
