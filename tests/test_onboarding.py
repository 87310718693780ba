import base64
import json

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tools import file_open

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import NOW
from .common import BookingCommon
from .common import BookingHttpCommon

API = "/booking/api/v1"


class TestApproval(BookingCommon):
    """What a service needs is what happens, unless the page says it skips approvals, and then its form says which."""

    def test_a_new_page_follows_its_services(self):
        page = self.env["booking.page"].create({"name": "New Salon", "service_ids": [Command.set(self.services.ids)]})
        self.assertFalse(page.auto_confirm, "approvals are not skipped by default")
        Appointment = self.env["booking.appointment"]
        self.assertEqual(Appointment._get_initial_state(page, self.service_approval, "website"), "pending")
        self.assertEqual(Appointment._get_initial_state(page, self.service, "website"), "confirmed")
        self.assertFalse(page.auto_confirmed_service_ids)

    def test_a_page_skipping_approvals_names_the_services_it_confirms(self):
        with Form(self.page.with_user(self.user_manager)) as form:
            form.auto_confirm = True
            self.assertEqual(form.auto_confirmed_service_ids.ids, self.service_approval.ids)
        self.assertEqual(
            self.env["booking.appointment"]._get_initial_state(self.page, self.service_approval, "website"),
            "confirmed")


@tagged("post_install", "-at_install")
class TestPreviewBooking(BookingHttpCommon):
    """An unpublished page: its managers try it for real (a test booking); nobody else sees it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({"is_published": False, "rate_limit_count": 0})
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon Ltd"})
        cls.manager_b = mail_new_test_user(
            cls.env, login="manager_b", name="Manu B", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_manager")

    def api(self, method, path, body=None):
        response = self.url_open(f"{API}{path}", data=json.dumps(body) if body is not None else None,
                                 headers={"Content-Type": "application/json"} if body is not None else None,
                                 allow_redirects=False)
        self.assertEqual(response.headers.get("Content-Type", "").split(";")[0], "application/json")
        return response, response.json()

    def booking_body(self):
        return {"service_id": self.service.id, "provider_id": None,
                "start": self.at(10).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "customer": {"name": "Ivy Intruder", "email": "ivy@example.com"}}

    @freeze_time(NOW)
    def test_strangers_and_other_companies_get_404(self):
        for login in (None, "portal_one", "booking_staff", "manager_b"):
            with self.subTest(login=login):
                self.authenticate(login, login) if login else self.authenticate(None, None)
                for method, path, body in (
                    ("GET", "/pages/test-salon", None),
                    ("GET", f"/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02", None),
                    ("POST", "/pages/test-salon/bookings", self.booking_body()),
                ):
                    response, data = self.api(method, path, body)
                    self.assertEqual((response.status_code, data["error"]), (404, "not_found"), path)
                self.assertEqual(self.url_open("/p/test-salon").status_code, 404)
        self.assertFalse(self.env["booking.appointment"].search([("page_id", "=", self.page.id)]))

    @freeze_time(NOW)
    def test_the_manager_books_on_the_preview_for_real(self):
        self.authenticate("booking_manager", "booking_manager")
        response = self.url_open("/p/test-salon")
        self.assertIn("o_booking_preview_notice", response.text)
        response, data = self.api("GET", "/pages/test-salon")
        self.assertEqual(response.status_code, 200, data)
        response, data = self.api("GET", f"/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02")
        self.assertEqual(response.status_code, 200, data)
        self.assertTrue(data["slots"])
        body = self.booking_body()
        body.pop("customer")  # signed in: the manager is the customer
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertEqual((appointment.state, appointment.partner_id), ("confirmed", self.user_manager.partner_id))
        self.assertIn("Test booking", appointment.message_ids.mapped("body")[0])
        confirmation = self.url_open(f"/p/test-salon/booking/{appointment.id}")
        self.assertIn("o_booking_test_notice", confirmation.text)
        self.assertIn("/odoo/booking-setup", confirmation.text)

    @freeze_time(NOW)
    def test_a_booking_on_a_published_page_is_no_test(self):
        self.page.is_published = True
        self.authenticate("booking_manager", "booking_manager")
        body = self.booking_body()
        body.pop("customer")
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertTrue(appointment)
        bodies = " ".join(appointment.message_ids.mapped("body"))
        self.assertNotIn("Test booking", bodies)


@tagged("post_install", "-at_install")
class TestShareImage(BookingHttpCommon):
    """A shared link to the page shows the page's picture, served to anyone, else the company's logo."""

    def test_open_graph_image(self):
        self.env.company.logo = False
        text = self.url_open("/p/test-salon").text
        self.assertNotIn("/image/page/", text)
        image = file_open("self_serve_booking/static/description/icon.png", "rb").read()
        self.page.image_1920 = base64.b64encode(image)
        self.page.flush_recordset()
        text = self.url_open("/p/test-salon").text
        url = f"/p/test-salon/image/page/{self.page.id}"
        self.assertIn(f'<meta property="og:image" content="{self.page.get_base_url()}{url}?unique=', text)
        self.assertIn('<meta name="twitter:image"', text)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, "anyone gets it")
        self.assertEqual(response.headers["Content-Type"], "image/png")
        self.assertEqual(self.url_open(f"/p/test-salon/image/page/{self.page.id + 1}").status_code, 404)
        self.page.is_published = False
        self.assertEqual(self.url_open(url).status_code, 404, "an unpublished page shows nothing")

