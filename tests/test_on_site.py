"""Jobs at the customer's address: the address asked and checked, the drive reserved before each job."""

import json
from datetime import date, timedelta
from urllib.parse import parse_qs
from urllib.parse import urlparse

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..exceptions import BookingInputError
from ..exceptions import SlotUnavailableError
from .common import NOW
from .common import BookingCommon
from .common import BookingHttpCommon
from .common import local_to_utc

API = "/booking/api/v1"
ADDRESS = "12 Rue des Lilas, 75019 Paris"
SHOP = "1 rue de la Paix"


class OnSiteMixin:
    @classmethod
    def _setup_on_site(cls):
        cls.page.slot_step_minutes = 30
        cls.lawn = cls.env["booking.service"].create({
            "name": "Lawn mowing", "duration_minutes": 60, "price": 60, "location": "customer",
            "is_published": True,
        })
        cls.page.service_ids = [Command.link(cls.lawn.id)]
        cls.provider_a.write({"service_ids": [Command.link(cls.lawn.id)], "travel_minutes": 30})
        cls.provider_b.write({"service_ids": [Command.link(cls.lawn.id)]})  # travels 0


@tagged("post_install", "-at_install")
class TestOnSiteJobs(OnSiteMixin, BookingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_on_site()

    def _job(self, hour, minute=0, provider=None, **vals):
        return self._book(self.at(hour, minute), provider=provider, service=self.lawn,
                          **{"address": ADDRESS, **vals})

    def test_the_drive_is_reserved_before_each_job(self):
        with freeze_time(NOW):
            job = self._job(14)
            self.assertEqual((job.travel_minutes, job.busy_start, job.busy_stop),
                             (30, self.at(13, 30), self.at(15)))
            times = self.local_times(self.slots(service=self.lawn, providers=self.provider_a))
        self.assertNotIn("15:00", times)
        self.assertIn("15:30", times, "after 14:00-15:00 and 30 minutes' drive, 15:30 at the earliest")
        self.assertNotIn("13:00", times, "a 13:00 job would end in the drive to the 14:00 one")
        with freeze_time(NOW):  # services at the business have no drive: 15:00 is free for them
            self.assertIn("15:00", self.local_times(self.slots(providers=self.provider_a)))
            # a provider who lives next door (no travel time) is free at 15:00
            self.assertIn("15:00", self.local_times(self.slots(service=self.lawn, providers=self.provider_b)))

    def test_the_constraint_covers_the_drive(self):
        with freeze_time(NOW):
            self._job(14)
            with self.assertRaises(SlotUnavailableError):
                self._job(15)  # its drive, 14:30-15:00, is the 14:00 job
            with self.assertRaises(SlotUnavailableError):
                self._book(self.at(13), service=self.service)  # 13:00-14:00 runs into the drive
            self._job(15, 30)

    def test_the_address_is_required_and_checked(self):
        with freeze_time(NOW):
            Appointment = self.env["booking.appointment"]
            for address in (None, "", "   ", "x", "\x00 12 rue"):
                with self.subTest(address=address), self.assertRaises(BookingInputError) as caught:
                    Appointment._book_online(self.page, self.lawn, self.provider_a, self.at(10),
                                             partner=self.customer, address=address)
                self.assertIn("address", caught.exception.fields)
            booked = Appointment._book_online(self.page, self.lawn, self.provider_a, self.at(10),
                                              partner=self.customer, address="  12  Rue des Lilas,\n Paris ")
            self.assertEqual(booked.address, "12 Rue des Lilas, Paris")
            at_the_salon = Appointment._book_online(self.page, self.service, self.provider_b, self.at(10),
                                                    partner=self.env["res.partner"].create({"name": "Other"}),
                                                    address="ignored for a service at the business")
            self.assertFalse(at_the_salon.address)
        with self.assertRaises(ValidationError):
            booked.address = False

    def test_the_address_reaches_the_merchant_and_the_calendar(self):
        self.page.auto_confirm = True
        with freeze_time(NOW):
            job = self._job(10)
        self.assertEqual(job._get_agenda_address(), ADDRESS)
        self.assertIn("openstreetmap.org/search?query=12%20Rue%20des%20Lilas", job._map_url())
        self.assertEqual(job._calendar_event_values()["location"], ADDRESS)

    def test_the_provider_checks_the_customer_in_on_arrival(self):
        self.provider_a.user_id = self.user_staff
        self.page.check_in_opens_minutes = 15  # the customer from 9:45, the provider from 9:15 (30 minutes' drive)
        with freeze_time(NOW):
            job = self._job(10)
            salon = self._book(self.at(14), provider=self.provider_b)
        self.assertEqual((job.checked_in_by_provider, salon.checked_in_by_provider), (True, False))
        self.assertIn(job._provider_check_in_url(), str(job._calendar_event_values()["description"]),
                      "the provider's calendar holds the way to check in")
        self.assertNotIn("check-in", str(salon._calendar_event_values()["description"]))
        template = self.env.ref("self_serve_booking.mail_template_booking_agenda")
        _subject, agenda = self.provider_a._render_template(
            template.with_context(booking_notification={"date": "2025-06-02"}))
        self.assertIn(job._provider_check_in_url(), agenda, "and their agenda")
        _subject, reminder = job._render_template(self.env.ref("self_serve_booking.mail_template_booking_reminder"))
        self.assertIn("checks you in on arrival", reminder)
        self.assertNotIn("show this code", reminder, "nothing to show at home")
        self.assertIn("show this code", salon._render_template(
            self.env.ref("self_serve_booking.mail_template_booking_reminder"))[1])
        customer_link = job._check_in_signature()
        provider_link = job._provider_check_in_signature()
        public = self.env.ref("base.public_user")
        Appointment = self.env["booking.appointment"]
        with freeze_time("2025-06-02 07:55:00"):  # 9:55 in Paris: the customer's check-in window
            self.assertEqual(Appointment.browse(job.id)._check_in_by_link(customer_link, public)[0], "by_provider",
                             "at home there is no desk: the customer's link explains, and changes nothing")
            self.assertEqual(Appointment.browse(salon.id)._check_in_by_link(provider_link, public)[0], "invalid",
                             "a provider's link grants its own booking only")
        with freeze_time("2025-06-02 07:00:00"):  # 9:00, before the 30 minutes' drive
            self.assertEqual(Appointment.browse(job.id)._check_in_by_link(provider_link, public)[0], "too_early")
        with freeze_time("2025-06-02 07:25:00"):  # 9:25: on the road, the provider may arrive early
            self.assertEqual(Appointment.browse(job.id)._check_in_by_link(provider_link, public, act=False)[0],
                             "ready")
            self.assertEqual(Appointment.browse(job.id)._check_in_by_link(provider_link, public)[0], "checked_in")
        self.assertEqual((job.state, job.check_in_method), ("checked_in", "provider"))
        with freeze_time(NOW):
            other = self._job(15)
        moved_link = other._provider_check_in_signature()
        other.provider_id = self.provider_b
        self.assertEqual(Appointment.browse(other.id)._check_in_by_link(moved_link, public)[0], "invalid",
                         "moved to another provider: the first one's link is void")
        with freeze_time("2025-06-02 13:00:00"):
            other.provider_id = self.provider_a
            other.with_user(self.user_staff).action_check_in()
        self.assertEqual(other.check_in_method, "provider", "the provider's own Arrived button in the backend")


@tagged("post_install", "-at_install")
class TestOnSiteApi(OnSiteMixin, BookingHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_on_site()
        cls.page.rate_limit_count = 0
        today = date.today()
        cls.day = today + timedelta(days=7 + (7 - today.weekday()) % 7)  # a Monday, a week or more ahead

    def _post_booking(self, hour, minute=0, **body):
        payload = {"service_id": self.lawn.id, "provider_id": self.provider_a.id,
                   "start": local_to_utc(self.day, hour, minute).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "customer": {"name": "Gary Garden", "email": f"gary{hour}{minute}@example.com"}, **body}
        response = self.url_open(f"{API}/pages/test-salon/bookings", data=json.dumps(payload),
                                 headers={"Content-Type": "application/json"})
        return response.status_code, response.json()

    def test_api_asks_the_address_and_offers_only_times_that_leave_the_drive(self):
        page = self.url_open(f"{API}/pages/test-salon").json()
        lawn = next(service for service in page["services"] if service["id"] == self.lawn.id)
        self.assertEqual(lawn["location"], "customer")
        status, answer = self._post_booking(10)
        self.assertEqual((status, answer["error"]), (400, "validation"))
        self.assertIn("address", answer["fields"])
        status, answer = self._post_booking(14, address=ADDRESS)
        self.assertEqual(status, 201, answer)
        query = (f"service_id={self.lawn.id}&provider_id={self.provider_a.id}"
                 f"&date_from={self.day.isoformat()}&date_to={self.day.isoformat()}")
        slots = self.url_open(f"{API}/pages/test-salon/slots?{query}").json()["slots"]
        starts = [slot["start"] for slot in slots]
        three_pm = local_to_utc(self.day, 15).strftime("%Y-%m-%dT%H:%M:%SZ")
        half_past = local_to_utc(self.day, 15, 30).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertNotIn(three_pm, starts)
        self.assertIn(half_past, starts)
        status, answer = self._post_booking(15, address=ADDRESS)
        self.assertEqual((status, answer["error"]), (409, "slot_unavailable"))
        self.assertEqual(self._post_booking(15, 30, address=ADDRESS)[0], 201)

    def test_the_customer_sees_their_address_not_the_shops(self):
        self.page.partner_id = self.env["res.partner"].create({
            "name": "Garden Co", "street": SHOP, "city": "Paris", "country_id": self.env.ref("base.fr").id})
        self.page.auto_confirm = True
        customer = self.env["res.partner"].create({"name": "Gary Garden", "email": "gary@example.com"})
        start = local_to_utc(self.day, 10)
        job = self.env["booking.appointment"]._book_online(
            self.page, self.lawn, self.provider_a, start, partner=customer, address=ADDRESS, source="website")
        token = job._portal_ensure_token()
        confirmation = self.url_open(f"/p/test-salon/booking/{job.id}?access_token={token}")
        self.assertEqual(confirmation.status_code, 200)
        tree = html.fromstring(confirmation.content)
        self.assertEqual(tree.xpath("//*[hasclass('o_booking_where')]/text()"), [ADDRESS])
        self.assertEqual(tree.xpath("//a[hasclass('o_booking_where_link')]/text()"), [ADDRESS])
        self.assertNotIn(SHOP, confirmation.text)
        for link in tree.xpath("//a[hasclass('o_booking_google_link') or hasclass('o_booking_outlook_link')]/@href"):
            self.assertEqual(parse_qs(urlparse(link).query)["location"], [ADDRESS])
        ics = self.url_open(f"/p/test-salon/booking/{job.id}/ics?access_token={token}").text
        self.assertIn("LOCATION:12 Rue des Lilas\\, 75019 Paris", ics)
        self.assertNotIn(SHOP, ics)
        portal = self.url_open(f"{job.get_portal_url()}")
        self.assertEqual(portal.status_code, 200)
        tree = html.fromstring(portal.content)
        self.assertEqual(tree.xpath("//a[hasclass('o_booking_where_link')]/text()"), [ADDRESS])
        self.assertNotIn("at the desk", portal.text)
        self.assertTrue(tree.xpath("//*[hasclass('o_booking_check_in_by_provider')]"))
        self.assertFalse(tree.xpath("//img[hasclass('o_booking_qr')]"), "nothing to scan at home")
        check_in = self.url_open(urlparse(job._check_in_url()).path)
        self.assertIn("checks you in on arrival", check_in.text)
        self.assertNotIn("front desk", check_in.text)
        self.assertEqual(job.state, "confirmed")
        provider_page = self.url_open(urlparse(job._provider_check_in_url()).path)
        self.assertEqual(provider_page.status_code, 200, "the provider's link is a valid one")
        self.assertEqual(html.fromstring(provider_page.content).xpath(
            "//*[hasclass('o_booking_check_in_result')]/@data-result"), ["too_early"], "a week ahead")
        # a service at the business still shows the shop, and its QR code
        salon = self.env["booking.appointment"]._book_online(
            self.page, self.service, self.provider_b, local_to_utc(self.day, 14), partner=customer, source="website")
        portal = self.url_open(salon.get_portal_url())
        self.assertIn(SHOP, portal.text)
        self.assertTrue(html.fromstring(portal.content).xpath("//img[hasclass('o_booking_qr')]"))
