"""Jobs at the customer's address: the address asked and checked, the drive reserved before each job."""

import json
from datetime import date, timedelta

from freezegun import freeze_time

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
