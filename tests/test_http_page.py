import json

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.tests import tagged

from .common import NOW
from .common import BookingHttpCommon


@tagged("post_install", "-at_install")
class TestBookingPage(BookingHttpCommon):
    """The public page /p/<slug> and the pages around a booking."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({
            "description": "<p>Cuts and colours in the Marais.</p>",
            "website_meta_description": "Book a cut in the Marais",
            "partner_id": cls.env["res.partner"].create({
                "name": "Salon Paris", "street": "1 rue de la Paix", "city": "Paris",
                "country_id": cls.env.ref("base.fr").id, "phone": "+33 1 23 45 67 89",
            }).id,
        })
        cls.provider_a.write({"job_title": "Colourist", "bio": "<p>Twenty years of colour.</p>"})

    def test_page_shows_services_providers_hours_address_and_seo(self):
        response = self.url_open("/p/test-salon")
        self.assertEqual(response.status_code, 200)
        tree = html.fromstring(response.content)
        services = tree.xpath("//div[hasclass('o_booking_service')]")
        self.assertEqual(len(services), 4)
        text = tree.text_content()
        for expected in ("Cut", "Massage", "Deposit", "Colourist", "Twenty years of colour",
                         "1 rue de la Paix", "Opening hours", "09:00–12:00, 13:00–17:00", "Closed",
                         "100% refunded with at least 24 hours' notice"):
            self.assertIn(expected, text)
        self.assertTrue(tree.xpath("//a[hasclass('o_booking_map_link')][contains(@href, 'google.com/maps')]"))
        self.assertEqual(tree.xpath("//meta[@property='og:title']/@content"), ["Test Salon"])
        self.assertEqual(tree.xpath("//meta[@name='description']/@content"), ["Book a cut in the Marais"])
        self.assertIn("Test Salon", tree.xpath("//title/text()")[0])
        widget = tree.xpath("//owl-component[@name='self_serve_booking.booking_widget']")
        self.assertEqual(len(widget), 1)
        self.assertIn('"slug": "test-salon"', widget[0].get("props"))

    def test_hidden_providers_and_preselected_service(self):
        self.page.show_providers = False
        response = self.url_open(f"/p/test-salon?service={self.service_deposit.id}")
        self.assertNotIn("Colourist", response.text)
        props = json.loads(html.fromstring(response.content).xpath("//owl-component/@props")[0])
        self.assertEqual(props["serviceId"], self.service_deposit.id)
        self.assertFalse(props["showProviders"])

    def test_unknown_or_unpublished_page_is_404(self):
        self.assertEqual(self.url_open("/p/nope").status_code, 404)
        self.page.is_published = False
        self.assertEqual(self.url_open("/p/test-salon").status_code, 404)
        self.authenticate("booking_staff", "booking_staff")
        self.assertEqual(self.url_open("/p/test-salon").status_code, 404)
        self.authenticate("booking_manager", "booking_manager")
        response = self.url_open("/p/test-salon")
        self.assertEqual(response.status_code, 200, "managers preview their unpublished page")
        self.assertIn("Not published", response.text)

    def test_page_of_another_website_is_404(self):
        other = self.env["website"].create({"name": "Other site", "domain": "other.example.com"})
        self.page.website_id = other
        self.assertEqual(self.url_open("/p/test-salon").status_code, 404)

    def test_page_of_another_company_is_not_on_this_website(self):
        other_company = self.env["res.company"].create({"name": "Other Merchant"})
        elsewhere = self.env["booking.page"].create({
            "name": "Elsewhere", "slug": "elsewhere", "company_id": other_company.id, "is_published": True,
            "cancellation_policy_id": False})
        self.assertEqual(self.url_open("/p/elsewhere").status_code, 404)
        self.assertEqual(self.url_open("/booking/api/v1/pages/elsewhere").status_code, 404)
        self.env["ir.attachment"].search([("url", "=like", "/sitemap%")]).unlink()
        self.assertNotIn(f"/p/{elsewhere.slug}", self.url_open("/sitemap.xml").text)

    def test_sitemap_lists_published_pages(self):
        hidden = self.env["booking.page"].create({"name": "Hidden", "slug": "hidden-one"})
        self.env["ir.attachment"].search([("url", "=like", "/sitemap%")]).unlink()
        text = self.url_open("/sitemap.xml").text
        self.assertIn("/p/test-salon", text)
        self.assertNotIn(f"/p/{hidden.slug}", text)

    def test_provider_avatar_and_service_image(self):
        response = self.url_open(f"/p/test-salon/image/provider/{self.provider_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("image/"))
        outsider = self.env["booking.provider"].create({"name": "Not listed"})
        self.assertEqual(self.url_open(f"/p/test-salon/image/provider/{outsider.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/p/test-salon/image/partner/{self.customer.id}").status_code, 404)

    @freeze_time(NOW)
    def test_confirmation_page_and_ics_need_the_token(self):
        self.env.ref("website.default_website").auth_signup_uninvited = "b2c"
        visitor = self.env["res.partner"]._booking_create_guest(
            self.page, {"name": "Gina Guest", "email": "gina@example.com"})
        appointment = self._book(self.at(10), state="confirmed", source="website", partner_id=visitor.id)
        token = appointment._portal_ensure_token()
        url = f"/p/test-salon/booking/{appointment.id}"
        response = self.url_open(f"{url}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        tree = html.fromstring(response.content)
        self.assertEqual(tree.xpath("//*[hasclass('o_booking_reference')]/text()"), [appointment.name])
        self.assertEqual(tree.xpath("//*[hasclass('o_booking_state')]/@data-state"), ["confirmed"])
        self.assertIn("Monday, June 2, 2025, 10:00 AM CEST", response.text)
        self.assertEqual(tree.xpath("//a[hasclass('o_booking_manage_link')]/@href"), [appointment.get_portal_url()])
        self.assertTrue(tree.xpath("//*[hasclass('o_booking_signup_invite')]"))
        for bad in ("", "?access_token=wrong", f"?access_token={token}x"):
            with self.subTest(query=bad):
                self.assertEqual(self.url_open(f"{url}{bad}").status_code, 404)
        self.assertEqual(self.url_open(f"/p/test-salon/booking/999999?access_token={token}").status_code, 404)

        ics = self.url_open(f"{url}/ics?access_token={token}")
        self.assertEqual(ics.status_code, 200)
        self.assertEqual(ics.headers["Content-Type"], "text/calendar; charset=utf-8")
        body = ics.text
        self.assertIn("BEGIN:VEVENT", body)
        self.assertIn("DTSTART:20250602T080000Z", body)
        self.assertIn("DTEND:20250602T090000Z", body)
        self.assertIn("LOCATION:1 rue de la Paix\\, Paris\\, France", body)
        self.assertTrue(all(len(line.encode()) <= 75 for line in body.split("\r\n")), "lines folded at 75 octets")
        self.assertEqual(self.url_open(f"{url}/ics").status_code, 404)

    @freeze_time(NOW)
    def test_customer_signed_in_sees_own_booking_without_token(self):
        appointment = self._book(self.at(10), partner_id=self.user_portal_1.partner_id.id)
        self.authenticate("portal_one", "portal_one")
        self.assertEqual(self.url_open(f"/p/test-salon/booking/{appointment.id}").status_code, 200)
        self.authenticate("portal_two", "portal_two")
        self.assertEqual(self.url_open(f"/p/test-salon/booking/{appointment.id}").status_code, 404)

    def test_signed_in_customer_gets_prefilled_widget(self):
        self.user_portal_1.partner_id.write({"email": "paula@example.com", "phone": "+33 6 00 00 00 01"})
        self.authenticate("portal_one", "portal_one")
        props = json.loads(html.fromstring(self.url_open("/p/test-salon").content).xpath("//owl-component/@props")[0])
        self.assertEqual(props["customer"]["email"], "paula@example.com")
        self.page.provider_ids = [Command.clear()]
        response = self.url_open("/p/test-salon")
        self.assertIn("No service can be booked online", response.text)
