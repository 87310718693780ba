"""Slots answers sized to the screen (issue 26): format=days, gzip, and what a hostile client gets."""

import gzip
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import BookingHttpCommon
from .test_http_portal import PortalCase

API = "/booking/api/v1"
HOURS = [9, 10, 11, 13, 14, 15, 16]  # the test calendar's starts of a 60-minute service, Monday to Friday


def starts_of(data):
    """The instants of a format=days answer, as the slots format writes them."""
    return [
        (datetime.strptime(day["midnight"], "%Y-%m-%dT%H:%M:%SZ") + timedelta(minutes=m)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        for day in data["days"] for m in day["starts"]
    ]


class SlotAnswersCase(BookingHttpCommon):

    def raw_get(self, path, params=None, accept_encoding="identity"):
        """GET with the Accept-Encoding given; the answer's body bytes as they came over the wire."""
        query = f"?{urlencode(params)}" if params else ""
        response = self.opener.get(f"{self.base_url()}{API}{path}{query}", timeout=30, stream=True,
                                   headers={"Accept-Encoding": accept_encoding} if accept_encoding is not None else {})
        wire = response.raw.read(decode_content=False)
        response.close()
        return response, wire

    def get(self, path, accept_encoding="identity", **params):
        response, wire = self.raw_get(path, params, accept_encoding)
        body = gzip.decompress(wire) if response.headers.get("Content-Encoding") == "gzip" else wire
        return response, json.loads(body)

    def slots(self, accept_encoding="identity", **params):
        return self.get("/pages/test-salon/slots", accept_encoding, service_id=self.service.id, **params)


@tagged("post_install", "-at_install")
class TestSlotDays(SlotAnswersCase):
    """format=days: each free time once, by local day, in minutes; the provider is assigned at booking."""

    @freeze_time(NOW)
    def test_any_available_lists_each_time_once_by_day(self):
        response, data = self.slots(date_from="2025-06-02", date_to="2025-06-08", format="days")
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual((data["format"], data["timezone"], data["provider_id"], data["duration_minutes"]),
                         ("days", "Europe/Paris", None, 60))
        self.assertEqual([day["date"] for day in data["days"]],
                         ["2025-06-02", "2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06"], "no weekend")
        monday = data["days"][0]
        self.assertEqual(monday["midnight"], "2025-06-01T22:00:00Z", "midnight in Paris (UTC+2)")
        self.assertEqual(monday["starts"], [h * 60 for h in HOURS], "two providers, each time once")
        self.assertEqual(data["open_dates"], [day["date"] for day in data["days"]])
        # the very same times as the slots format, and the same open dates
        _response, listed = self.slots(date_from="2025-06-02", date_to="2025-06-08")
        self.assertEqual(listed["format"], "slots")
        self.assertEqual(len(listed["slots"]), 2 * len(starts_of(data)))
        self.assertEqual(starts_of(data), sorted({slot["start"] for slot in listed["slots"]}))
        self.assertEqual(listed["open_dates"], data["open_dates"])

    @freeze_time(NOW)
    def test_a_time_is_free_while_anyone_is(self):
        self._book(self.at(10), provider=self.provider_a)
        self._book(self.at(11), provider=self.provider_a)
        self._book(self.at(11), provider=self.provider_b)
        _response, data = self.slots(date_from="2025-06-02", format="days")
        self.assertEqual(data["days"][0]["starts"], [h * 60 for h in HOURS if h != 11], "10:00: Bob is free")
        _response, data = self.slots(date_from="2025-06-02", format="days", provider_id=self.provider_a.id)
        self.assertEqual(data["provider_id"], self.provider_a.id)
        self.assertEqual(data["days"][0]["starts"], [h * 60 for h in HOURS if h not in (10, 11)])

    @freeze_time(NOW)
    def test_booking_a_time_of_the_days_answer_assigns_the_least_loaded_provider(self):
        self._book(self.at(9), provider=self.provider_a)
        _response, data = self.slots(date_from="2025-06-02", format="days")
        start = starts_of(data)[1]  # 10:00, both free: Bob, who has nothing that day, gets it
        self.assertEqual(start, "2025-06-02T08:00:00Z")
        _response, listed = self.slots(date_from="2025-06-02")
        first_listed = next(slot for slot in listed["slots"] if slot["start"] == start)
        self.page.rate_limit_count = 0
        response = self.url_open(f"{API}/pages/test-salon/bookings", data=json.dumps({
            "service_id": self.service.id, "provider_id": None, "start": start,
            "customer": {"name": "Dora Days", "email": "dora@example.com"},
        }), headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["booking"]["provider_id"], self.provider_b.id)
        self.assertEqual(first_listed["provider_id"], self.provider_b.id, "as the slots format said")

    @freeze_time(NOW)
    def test_dependants_lengthen_the_duration(self):
        _response, data = self.slots(date_from="2025-06-02", format="days", dependant_count=2)
        self.assertEqual(data["duration_minutes"], 120)
        self.assertEqual(data["days"][0]["starts"], [9 * 60, 10 * 60, 13 * 60, 14 * 60, 15 * 60],
                         "two hours fit before lunch from 9 and 10, and until 17:00 from 13 to 15")

    @freeze_time(NOW)
    def test_full_and_closed_days(self):
        for hour in HOURS:
            for provider in (self.provider_a, self.provider_b):
                self._book(self.at(hour, day=MONDAY + self.days(1)), provider=provider)
        _response, data = self.slots(date_from="2025-06-02", date_to="2025-06-08", format="days")
        self.assertNotIn("2025-06-03", [day["date"] for day in data["days"]], "Tuesday is full")
        self.assertIn("2025-06-03", data["open_dates"], "but open: the waitlist's business")
        self.assertNotIn("2025-06-07", data["open_dates"], "Saturday is closed")

    @freeze_time(NOW)
    def test_a_start_off_the_minute_grid_is_left_to_the_slots_format(self):
        """Time off ending on an odd second puts Bob's grid on it: minutes cannot say 10:00:30, seconds can."""
        self.env["resource.calendar.leaves"].create({
            "name": "Bob's dentist", "resource_id": self.provider_b.resource_id.id, "calendar_id": self.calendar.id,
            "date_from": datetime(2025, 6, 2, 6, 0), "date_to": datetime(2025, 6, 2, 8, 0, 30)})
        _response, listed = self.slots(date_from="2025-06-02", provider_id=self.provider_b.id)
        self.assertEqual(listed["slots"][0]["start"], "2025-06-02T08:00:30Z", "10:00:30 in Paris")
        _response, data = self.slots(date_from="2025-06-02", provider_id=self.provider_b.id, format="days")
        self.assertEqual(data["days"][0]["starts"], [h * 60 for h in (13, 14, 15, 16)])
        _response, data = self.slots(date_from="2025-06-02", format="days")
        self.assertEqual(data["days"][0]["starts"], [h * 60 for h in HOURS], "Alice's times, each once")

    @freeze_time(NOW)
    def test_query_count_is_constant_in_days_and_providers(self):
        def count(days):
            path = "/pages/test-salon/slots"
            params = {"service_id": self.service.id, "date_from": "2025-06-02", "format": "days",
                      "date_to": (MONDAY + self.days(days - 1)).isoformat()}
            self.env.registry.clear_all_caches()
            self.raw_get(path, params)  # warm the registry caches a running server keeps between requests
            start = self.cr.sql_log_count
            response, wire = self.raw_get(path, params)
            self.assertEqual(response.status_code, 200)
            self.assertTrue(json.loads(wire)["days"])
            return self.cr.sql_log_count - start

        seven = count(7)
        self.assertEqual(count(31), seven, "7 vs 31 days")
        more = self.env["booking.provider"].create([
            {"name": f"Extra {i}", "resource_calendar_id": self.calendar.id, "tz": "Europe/Paris",
             "service_ids": [Command.set(self.service.ids)]}
            for i in range(18)
        ])
        self.page.provider_ids = [Command.link(p.id) for p in more]
        self.assertEqual(count(7), seven, "2 vs 20 providers")

    @freeze_time(NOW)
    def test_a_long_range_of_many_providers_stays_small(self):
        """62 days of "any of 20": the days answer holds each time once, whatever the providers."""
        self.page.max_advance_days = 90
        more = self.env["booking.provider"].create([
            {"name": f"Extra {i}", "resource_calendar_id": self.calendar.id, "tz": "Europe/Paris",
             "service_ids": [Command.set(self.service.ids)]}
            for i in range(18)
        ])
        self.page.provider_ids = [Command.link(p.id) for p in more]
        params = {"date_from": "2025-06-02", "date_to": "2025-08-02"}
        _listed, listed_wire = self.raw_get("/pages/test-salon/slots", {"service_id": self.service.id, **params})
        _days, days_wire = self.raw_get("/pages/test-salon/slots",
                                        {"service_id": self.service.id, "format": "days", **params})
        self.assertEqual(len(json.loads(days_wire)["days"]), 45, "the weekdays of 2 June - 2 August")
        self.assertEqual(len(json.loads(listed_wire)["slots"]), 20 * 45 * 7)
        self.assertLess(len(days_wire), len(listed_wire) / 50, (len(days_wire), len(listed_wire)))
        self.assertLess(len(days_wire), 6000, "some 110 bytes a day")


@tagged("post_install", "-at_install")
class TestSlotAnswersGzip(SlotAnswersCase):
    """gzip when the client's Accept-Encoding takes it, and only then."""

    @freeze_time(NOW)
    def test_gzip_when_accepted(self):
        _response, plain = self.raw_get("/pages/test-salon/slots", {"service_id": self.service.id,
                                                                    "date_from": "2025-06-02", "date_to": "2025-06-30"})
        # werkzeug reads an unreadable quality as 1: the client named gzip
        for accepted in ("gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*", "x-gzip", "GZIP", "gzip;q=abc",
                         "gzip;;;q="):
            with self.subTest(accept_encoding=accepted):
                response, wire = self.raw_get("/pages/test-salon/slots", {
                    "service_id": self.service.id, "date_from": "2025-06-02", "date_to": "2025-06-30"}, accepted)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Encoding"], "gzip")
                self.assertIn("Accept-Encoding", response.headers["Vary"])
                self.assertEqual(int(response.headers["Content-Length"]), len(wire))
                self.assertEqual(gzip.decompress(wire), plain, "the same answer, compressed")
                self.assertLess(len(wire), len(plain) / 5)
                self.assertEqual(response.headers["Cache-Control"], "no-store")

    @freeze_time(NOW)
    def test_no_gzip_unless_accepted(self):
        params = {"service_id": self.service.id, "date_from": "2025-06-02", "date_to": "2025-06-30"}
        for refused in ("identity", "", "br", "deflate", "gzip;q=0", "*;q=0", "identity, *;q=0",
                        ";" * 500, "x" * 4000, "gzip;q=0, x-gzip;q=0"):
            with self.subTest(accept_encoding=refused):
                response, wire = self.raw_get("/pages/test-salon/slots", params, refused)
                self.assertEqual(response.status_code, 200, wire[:200])
                self.assertNotIn("Content-Encoding", response.headers)
                self.assertIn("Accept-Encoding", response.headers["Vary"])
                self.assertEqual(int(response.headers["Content-Length"]), len(wire))
                self.assertTrue(json.loads(wire)["slots"])

    @freeze_time(NOW)
    def test_small_answers_and_errors_are_not_compressed(self):
        response, wire = self.raw_get("/pages/test-salon/slots", {
            "service_id": self.service.id, "date_from": "2025-06-07", "format": "days"}, "gzip")
        self.assertEqual(json.loads(wire)["days"], [], "a Saturday: a few bytes, sent as they are")
        self.assertNotIn("Content-Encoding", response.headers)
        response, wire = self.raw_get("/pages/test-salon/slots", {"service_id": "x", "date_from": "2025-06-02"},
                                      "gzip")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(json.loads(wire)["error"], "validation")

    @freeze_time(NOW)
    def test_days_answer_compressed(self):
        response, data = self.slots("gzip", date_from="2025-06-02", date_to="2025-07-31", format="days")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        self.assertEqual(len(data["days"]), 44)


@tagged("post_install", "-at_install")
class TestSlotFormatHostile(SlotAnswersCase):
    """What an attacker sends as format: a 400 with a JSON reason naming it, never a 5xx, nothing written."""

    @freeze_time(NOW)
    def test_bad_formats_are_refused(self):
        before = self.env["booking.appointment"].search_count([])
        for value in ("DAYS", "Days", "day", "days ", " days", "slots,days", "list", "json", "0", "1", "null",
                      "[]", "{}", "d\u0430ys", "x" * 5000, "%00", "days;slots", "../days", "true"):
            with self.subTest(format=value[:20]):
                response, data = self.slots(date_from="2025-06-02", format=value)
                self.assertEqual(response.status_code, 400, data)
                self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
                self.assertEqual(data["error"], "validation")
                self.assertEqual(list(data["fields"]), ["format"])
                self.assertTrue(data["message"])
        # a NUL is refused for the whole query before any parameter is read
        response, data = self.slots(date_from="2025-06-02", format="days\x00")
        self.assertEqual((response.status_code, data["error"]), (400, "validation"))
        self.assertEqual(self.env["booking.appointment"].search_count([]), before)

    @freeze_time(NOW)
    def test_format_with_other_bad_parameters(self):
        response, data = self.slots(date_from="2025-06-02", date_to="2025-09-30", format="days")
        self.assertEqual((response.status_code, data["error"]), (400, "validation"))
        self.assertEqual(list(data["fields"]), ["date_to"], "the range, not the format")
        response, data = self.slots(date_from="2025-06-02", format="days", provider_id=2**31)
        self.assertEqual((response.status_code, list(data["fields"])), (400, ["provider_id"]))
        response, wire = self.raw_get("/pages/test-salon/slots?format=bogus&format=days", None)
        self.assertEqual(response.status_code, 400, wire[:300])
        response, data = self.get("/pages/hidden-or-not/slots", service_id=self.service.id,
                                  date_from="2025-06-02", format="days")
        self.assertEqual((response.status_code, data["error"]), (404, "not_found"))

    @freeze_time(NOW)
    def test_empty_format_is_the_default(self):
        response, data = self.slots(date_from="2025-06-02", format="")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["format"], "slots")


@tagged("post_install", "-at_install")
class TestRescheduleSlotDays(PortalCase):
    """The customer's /me/bookings/<id>/slots takes the same format (its own time counts as free)."""

    def test_reschedule_days(self):
        petes = self._booking_for(self.pete)  # Monday 10:00
        token = self.sign_in(self.pete)
        with freeze_time(NOW):
            response, data = self.api("GET", f"/me/bookings/{petes.id}/slots?date_from=2025-06-02&format=days",
                                      token=token)
            self.assertEqual(response.status_code, 200, data)
            self.assertEqual((data["format"], data["provider_id"]), ("days", petes.provider_id.id))
            self.assertIn(10 * 60, data["days"][0]["starts"], "its own time counts as free")
            response, data = self.api(
                "GET", f"/me/bookings/{petes.id}/slots?date_from=2025-06-02&format=days&any_provider=1", token=token)
            self.assertEqual(data["provider_id"], None)
            self.assertEqual(data["days"][0]["starts"], [h * 60 for h in HOURS])
            for value in ("DAYS", "x" * 300, "1"):
                with self.subTest(format=value[:10]):
                    response, data = self.api(
                        "GET", f"/me/bookings/{petes.id}/slots?date_from=2025-06-02&format={value}", token=token)
                    self.assertEqual((response.status_code, data["error"], list(data["fields"])),
                                     (400, "validation", ["format"]))
            response, data = self.api("GET", f"/me/bookings/{petes.id}/slots?date_from=2025-06-02&format=days")
            self.assertEqual(response.status_code, 401, "no token, no times")
