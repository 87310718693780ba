import base64

from odoo import Command
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tools import file_open

from .common import BookingCommon
from .common import BookingHttpCommon


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

