import json
from datetime import datetime
from urllib.parse import urlencode

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import BookingHttpCommon
from .common import local_to_utc

API = "/booking/api/v1"


@tagged("post_install", "-at_install")
class TestBookingApi(BookingHttpCommon):
    """Every route and every error code of the DESIGN.md section 6 table."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({
            "rate_limit_count": 0,
            "partner_id": cls.env["res.partner"].create({
                "name": "Salon Paris", "street": "1 rue de la Paix", "city": "Paris",
                "country_id": cls.env.ref("base.fr").id, "phone": "+33 1 23 45 67 89",
            }).id,
        })
        cls.unpublished = cls.env["booking.page"].create({
            "name": "Hidden", "slug": "hidden", "tz": "Europe/Paris", "is_published": False,
            "service_ids": [Command.set(cls.service.ids)],
            "provider_ids": [Command.set(cls.provider_a.ids)],
        })

    # === HELPERS === #

    def get(self, path, **params):
        query = f"?{urlencode(params)}" if params else ""
        response = self.url_open(f"{API}{path}{query}", allow_redirects=False)
        return response, self._json(response)

    def post(self, path, body, headers=None, raw=None):
        response = self.url_open(
            f"{API}{path}",
            data=raw if raw is not None else json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
            allow_redirects=False,
        )
        return response, self._json(response)

    @staticmethod
    def _json(response):
        try:
            return response.json()
        except ValueError:
            return None

    def booking_body(self, hour=10, minute=0, **changes):
        body = {
            "service_id": self.service.id,
            "provider_id": None,
            "start": self.at(hour, minute).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer": {"name": "Gina Guest", "email": "gina@example.com", "phone": "06 12 34 56 78"},
            "note": "Window seat",
        }
        body.update(changes)
        return body

    def counts(self):
        return (
            self.env["booking.appointment"].search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            self.env["booking.waitlist"].search_count([]),
        )

    def assertError(self, response, data, status, code, field=None):
        self.assertEqual(response.status_code, status, data)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(data["error"], code, data)
        self.assertTrue(data["message"])
        if field:
            self.assertIn(field, data.get("fields", {}), data)

    def assertNothingWritten(self, before):
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before, "a refused request wrote nothing")

    # === DOCUMENT AND PAGE === #

    def test_openapi_document(self):
        response, data = self.get("/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["openapi"], "3.1.0")
        self.assertIn("/pages/{slug}/bookings", data["paths"])
        self.assertTrue(data["servers"][0]["url"].endswith(API))

    def test_page(self):
        response, data = self.get("/pages/test-salon")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["page"]["slug"], "test-salon")
        self.assertEqual(data["page"]["timezone"], "Europe/Paris")
        self.assertEqual(data["page"]["address"], "1 rue de la Paix, Paris, France")
        services = {s["name"]: s for s in data["services"]}
        self.assertEqual(set(services), {"Cut", "Colour", "Massage", "Consultation"})
        self.assertEqual(services["Massage"]["deposit"], {"type": "percent", "value": 40.0, "amount": 40.0})
        self.assertTrue(services["Consultation"]["requires_approval"])
        self.assertEqual({p["name"] for p in data["providers"]}, {"Alice", "Bob"})
        self.page.show_providers = False
        _response, data = self.get("/pages/test-salon")
        self.assertEqual(data["providers"], [])

    def test_page_not_found(self):
        for slug in ("nope", "hidden", "Test-Salon", "x" * 80):
            with self.subTest(slug=slug):
                response, data = self.get(f"/pages/{slug}")
                self.assertError(response, data, 404, "not_found")
        response, data = self.get("/pages/test-salon/unknown")
        self.assertError(response, data, 404, "not_found")

    # === SLOTS === #

    @freeze_time(NOW)
    def test_slots(self):
        response, data = self.get("/pages/test-salon/slots", service_id=self.service.id, date_from="2025-06-02")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["timezone"], "Europe/Paris")
        starts = [slot["start"] for slot in data["slots"]]
        self.assertEqual(starts, sorted(starts))
        self.assertEqual(starts[0], "2025-06-02T07:00:00Z", "9:00 in Paris, with a Z")
        self.assertEqual(len(data["slots"]), 14, "7 starts x 2 providers")
        self.assertEqual(data["slots"][0]["end"], "2025-06-02T08:00:00Z")
        _response, data = self.get("/pages/test-salon/slots", service_id=self.service.id, date_from="2025-06-02",
                                   date_to="2025-06-06", provider_id=self.provider_b.id)
        self.assertEqual({slot["provider_id"] for slot in data["slots"]}, {self.provider_b.id})
        self.assertEqual(len(data["slots"]), 35)

    @freeze_time(NOW)
    def test_open_dates_tell_closed_days_from_full_ones(self):
        """A day nobody works is closed; a working day with every time taken is full (waitlist)."""
        tuesday, thursday = MONDAY + self.days(1), MONDAY + self.days(3)
        for hour in (9, 10, 11, 13, 14, 15, 16):
            self._book(self.at(hour, day=tuesday), provider=self.provider_b)
        self.env["resource.calendar.leaves"].create({
            "name": "Bob's day off", "resource_id": self.provider_b.resource_id.id,
            "calendar_id": self.calendar.id,
            "date_from": local_to_utc(thursday, 0), "date_to": local_to_utc(thursday, 23, 59)})
        _response, data = self.get("/pages/test-salon/slots", service_id=self.service.id, date_from="2025-06-02",
                                   date_to="2025-06-08", provider_id=self.provider_b.id)
        self.assertEqual(data["open_dates"], ["2025-06-02", "2025-06-03", "2025-06-04", "2025-06-06"],
                         "Thursday off, the weekend closed")
        days_with_slots = {self.env["booking.availability"]._local_date(self.page, datetime.strptime(
            slot["start"], "%Y-%m-%dT%H:%M:%SZ")).isoformat() for slot in data["slots"]}
        self.assertNotIn("2025-06-03", days_with_slots, "Tuesday is open but full")

    @freeze_time(NOW)
    def test_slots_errors(self):
        stranger = self.env["booking.service"].create({"name": "Elsewhere", "duration_minutes": 30})
        outsider = self.env["booking.provider"].create({"name": "Out", "resource_calendar_id": self.calendar.id})
        self.provider_b.service_ids = [Command.unlink(self.service_buffered.id)]
        cases = [
            ({"date_from": "2025-06-02"}, "service_id"),
            ({"service_id": "abc", "date_from": "2025-06-02"}, "service_id"),
            ({"service_id": self.service.id}, "date_from"),
            ({"service_id": self.service.id, "date_from": "02/06/2025"}, "date_from"),
            ({"service_id": stranger.id, "date_from": "2025-06-02"}, "service_id"),
            ({"service_id": self.service.id, "provider_id": outsider.id, "date_from": "2025-06-02"}, "provider_id"),
            ({"service_id": self.service_buffered.id, "provider_id": self.provider_b.id, "date_from": "2025-06-02"},
             "provider_id"),
            ({"service_id": self.service.id, "date_from": "2025-06-05", "date_to": "2025-06-02"}, "date_to"),
            ({"service_id": self.service.id, "date_from": "2025-06-02", "date_to": "2025-08-30"}, "date_to"),
            ({"service_id": self.service.id, "date_from": "2025-09-01"}, "date_from"),
            ({"service_id": self.service.id, "date_from": "2025-07-01", "date_to": "2025-08-01"}, "date_to"),
        ]
        for params, field in cases:
            with self.subTest(params=params):
                response, data = self.get("/pages/test-salon/slots", **params)
                self.assertError(response, data, 400, "validation", field)
        # a parameter the contract does not know: a client of another version of it
        response, data = self.get("/pages/test-salon/slots", service_id=self.service.id, date_from="2025-06-02",
                                  colour="red")
        self.assertError(response, data, 400, "contract_mismatch", "colour")
        self.assertEqual(list(data["fields"]), ["colour"])
        response, data = self.get("/pages/hidden/slots", service_id=self.service.id, date_from="2025-06-02")
        self.assertError(response, data, 404, "not_found")

    # === BOOKINGS === #

    @freeze_time(NOW)
    def test_guest_books_any_available(self):
        response, data = self.post("/pages/test-salon/bookings", self.booking_body())
        self.assertEqual(response.status_code, 201, data)
        booking = data["booking"]
        appointment = self.env["booking.appointment"].browse(booking["id"])
        self.assertEqual(booking["reference"], appointment.name)
        self.assertEqual(booking["state"], "confirmed")
        self.assertEqual(booking["start"], "2025-06-02T08:00:00Z")
        self.assertEqual(booking["end"], "2025-06-02T09:00:00Z")
        self.assertIn(booking["provider_id"], (self.provider_a | self.provider_b).ids)
        self.assertEqual(booking["manage_url"],
                         f"/my/bookings/{appointment.id}?access_token={appointment.access_token}")
        self.assertEqual(response.headers["Location"], booking["confirmation_url"])
        self.assertEqual((appointment.source, appointment.note), ("api", "Window seat"))
        partner = appointment.partner_id
        self.assertEqual((partner.name, partner.email, partner.phone),
                         ("Gina Guest", "gina@example.com", "+33612345678"))

    @freeze_time(NOW)
    def test_states_follow_the_service(self):
        _r, pending = self.post("/pages/test-salon/bookings", self.booking_body(service_id=self.service_approval.id))
        _r, deposit = self.post("/pages/test-salon/bookings", self.booking_body(14, service_id=self.service_deposit.id))
        self.assertEqual(pending["booking"]["state"], "pending")
        self.assertEqual(deposit["booking"]["state"], "pending_payment")
        _r, widget = self.post("/pages/test-salon/bookings", self.booking_body(15), headers={"X-Booking-Widget": "1"})
        self.assertEqual(self.env["booking.appointment"].browse(widget["booking"]["id"]).source, "website")

    @freeze_time(NOW)
    def test_known_email_or_phone_makes_a_contact_of_its_own(self):
        """A visitor typing a known e-mail or phone is not that customer (invariant 8): a new contact,
        marked as possibly the same, the known one untouched."""
        by_email = self.env["res.partner"].create({"name": "Known", "email": "Known@Example.com"})
        by_phone = self.env["res.partner"].create({"name": "Caller", "phone": "+33 6 99 88 77 66",
                                                   "country_id": self.env.ref("base.fr").id})
        body = self.booking_body(9, customer={"name": "Known again", "email": "known@example.com",
                                              "phone": "06 11 11 11 11"})
        _r, data = self.post("/pages/test-salon/bookings", body)
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        guest = self.env["booking.appointment"].browse(data["booking"]["id"]).partner_id
        self.assertNotEqual(guest, by_email)
        self.assertEqual((guest.name, guest.booking_same_as_id), ("Known again", by_email))
        self.assertFalse(by_email.phone, "nothing filled in on the known contact")
        body = self.booking_body(11, customer={"name": "Caller again", "phone": "06 99 88 77 66"})
        _r, data = self.post("/pages/test-salon/bookings", body)
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        guest = self.env["booking.appointment"].browse(data["booking"]["id"]).partner_id
        self.assertNotEqual(guest, by_phone)
        self.assertEqual(guest.booking_same_as_id, by_phone)
        self.assertEqual(guest.company_id, self.page.company_id)

    @freeze_time(NOW)
    def test_signed_in_customer_books_as_themselves(self):
        self.authenticate("portal_one", "portal_one")
        body = self.booking_body()
        del body["customer"]
        response, data = self.post("/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertEqual(appointment.partner_id, self.user_portal_1.partner_id)

    @freeze_time(NOW)
    def test_booking_validation_errors_write_nothing(self):
        stranger = self.env["booking.service"].create({"name": "Elsewhere", "duration_minutes": 30})
        cases = [
            (self.booking_body(service_id=stranger.id), "service_id"),
            (self.booking_body(provider_id=self.env["booking.provider"].create({"name": "Out"}).id), "provider_id"),
            (self.booking_body(start="2025-06-02T10:00:00"), "start"),  # naive
            (self.booking_body(start="next monday"), "start"),
            (self.booking_body(10, 15), "start"),  # not on the grid
            (self.booking_body(12), "start"),  # lunch break
            (self.booking_body(start="2025-05-30T08:00:00Z"), "start"),  # in the past
            (self.booking_body(start="2025-06-01T11:00:00Z"), "start"),  # Sunday, within notice anyway
            (self.booking_body(start="2025-09-01T08:00:00Z"), "start"),  # beyond the horizon
            (self.booking_body(customer={"name": "Al", "email": "not-an-email"}), "customer.email"),
            (self.booking_body(customer={"name": "Al", "phone": "12"}), "customer.phone"),
            (self.booking_body(customer={"name": "Al"}), "customer.email"),
            (self.booking_body(customer={"email": "a@example.com"}), "customer.name"),
            (self.booking_body(customer=None), "customer"),
            (self.booking_body(note="x" * 2001), "note"),
        ]
        # not bad values but another shape than the contract's: what a client of another version sends
        mismatches = [
            (self.booking_body(service_id="1"), "service_id"),
            (self.booking_body(colour="red"), "colour"),
            (self.booking_body(customer={"name": "Al", "email": "al@example.com", "mobile": "06"}), "customer.mobile"),
            (self.booking_body(customer="Al"), "customer"),
            ([], "body"),
        ]
        before = self.counts()
        for body, field in cases:
            with self.subTest(field=field, body=body):
                response, data = self.post("/pages/test-salon/bookings", body)
                self.assertError(response, data, 400, "validation", field)
        for body, field in mismatches:
            with self.subTest(field=field, body=body):
                response, data = self.post("/pages/test-salon/bookings", body)
                self.assertError(response, data, 400, "contract_mismatch", field)
                self.assertEqual(data["contract_version"], "1.1.0")
        # a mismatch wins over bad values, and names only the fields at odds with the contract
        response, data = self.post("/pages/test-salon/bookings", self.booking_body(note="x" * 2001, colour="red"))
        self.assertError(response, data, 400, "contract_mismatch")
        self.assertEqual(list(data["fields"]), ["colour"])
        self.assertNothingWritten(before)

    @freeze_time(NOW)
    def test_transport_errors(self):
        before = self.counts()
        response, data = self.post("/pages/test-salon/bookings", None, raw="{not json")
        self.assertError(response, data, 400, "malformed_json")
        response, data = self.post("/pages/test-salon/bookings", None, raw=json.dumps(self.booking_body()),
                                   headers={"Content-Type": "text/plain"})
        self.assertError(response, data, 415, "unsupported_media_type")
        response, data = self.post("/pages/test-salon/bookings", self.booking_body(note="x" * 17000))
        self.assertError(response, data, 413, "payload_too_large")
        response = self.url_open(f"{API}/pages/test-salon/bookings", allow_redirects=False)  # GET
        self.assertError(response, response.json(), 405, "method_not_allowed")
        response, data = self.post("/pages/hidden/bookings", self.booking_body())
        self.assertError(response, data, 404, "not_found")
        response, data = self.post("/pages/nope/waitlist", {})
        self.assertError(response, data, 404, "not_found")
        self.assertNothingWritten(before)

    @freeze_time(NOW)
    def test_taken_slot_is_409_with_alternatives(self):
        self._book(self.at(10), provider=self.provider_a)
        self._book(self.at(10), provider=self.provider_b)
        before = self.counts()
        response, data = self.post("/pages/test-salon/bookings", self.booking_body(
            10, customer={"name": "New Person", "email": "new.person@example.com"}))
        self.assertError(response, data, 409, "slot_unavailable")
        alternatives = [slot["start"] for slot in data["alternatives"]]
        self.assertEqual(alternatives, ["2025-06-02T07:00:00Z", "2025-06-02T09:00:00Z", "2025-06-02T11:00:00Z"])
        self.assertNothingWritten(before)
        # asking for Alice only: her nearest free times
        response, data = self.post("/pages/test-salon/bookings", self.booking_body(10, provider_id=self.provider_a.id))
        self.assertEqual(response.status_code, 409)
        self.assertEqual({slot["provider_id"] for slot in data["alternatives"]}, {self.provider_a.id})

    @freeze_time(NOW)
    def test_rate_limit(self):
        self.page.write({"rate_limit_count": 2, "rate_limit_minutes": 10})
        for hour in (9, 10):
            response, _data = self.post("/pages/test-salon/bookings", self.booking_body(hour))
            self.assertEqual(response.status_code, 201)
        before = self.counts()
        response, data = self.post("/pages/test-salon/bookings", self.booking_body(11))
        self.assertError(response, data, 429, "rate_limited")
        self.assertGreater(int(response.headers["Retry-After"]), 0)
        self.assertLessEqual(int(response.headers["Retry-After"]), 600)
        self.assertEqual(data["retry_after"], int(response.headers["Retry-After"]))
        response, data = self.post("/pages/test-salon/waitlist", {"service_id": self.service.id, "date": "2025-06-02"})
        self.assertError(response, data, 429, "rate_limited")
        self.assertNothingWritten(before)

    @freeze_time(NOW)
    def test_form_errors_do_not_use_up_the_limit(self):
        """An honest customer correcting a form never meets the limit; a script sending bad requests does."""
        self.page.write({"rate_limit_count": 3, "rate_limit_minutes": 10})
        self.authenticate("portal_one", "portal_one")
        body = self.booking_body(9)
        del body["customer"]
        for bad in ({**body, "start": "2025-06-02T09:07:00Z"}, {**body, "note": "x" * 2001},
                    {**body, "start": "tomorrow"}, {**body, "service_id": 99999}):
            response, _data = self.post("/pages/test-salon/bookings", bad)
            self.assertEqual(response.status_code, 400)
        for hour in (9, 11, 14):
            response, data = self.post("/pages/test-salon/bookings", dict(body, start=self.at(hour).strftime(
                "%Y-%m-%dT%H:%M:%SZ")))
            self.assertEqual(response.status_code, 201, data)
        response, data = self.post("/pages/test-salon/bookings", dict(body, start=self.at(15).strftime(
            "%Y-%m-%dT%H:%M:%SZ")))
        self.assertError(response, data, 429, "rate_limited")
        # anonymous scripts: every attempt counts within six times the limit
        self.authenticate(None, None)
        statuses = [self.post("/pages/test-salon/bookings", {"service_id": "x"})[0].status_code for _i in range(19)]
        self.assertEqual(statuses[:18], [400] * 18)
        self.assertEqual(statuses[18], 429)

    @freeze_time(NOW)
    def test_guests_need_an_account_when_the_page_says_so(self):
        self.page.allow_guest_booking = False
        before = self.counts()
        response, data = self.post("/pages/test-salon/bookings", self.booking_body())
        self.assertError(response, data, 403, "login_required")
        self.assertNothingWritten(before)

    @freeze_time(NOW)
    def test_booking_announces_the_day_on_the_bus(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        self.post("/pages/test-salon/bookings", self.booking_body())
        channel = f"self_serve_booking.page.{self.page.id}"
        # the answer did not wait for it: the scheduled action the booking woke tells open pages right after
        self.assertFalse(self.env["bus.bus"].sudo().search([("channel", "like", channel)]))
        self.env["booking.scheduler"]._cron_complete_bookings()
        notifications = self.env["bus.bus"].sudo().search([("channel", "like", channel)])
        self.assertEqual(len(notifications), 1)
        message = json.loads(notifications.message)
        self.assertEqual(message["type"], "self_serve_booking/availability")
        self.assertEqual(message["payload"], {"page_id": self.page.id, "dates": ["2025-06-02"]})

    # === WAITLIST === #

    @freeze_time(NOW)
    def test_waitlist(self):
        body = {
            "service_id": self.service.id, "provider_id": self.provider_a.id, "date": "2025-06-03",
            "time_from": "09:00", "time_to": "12:30",
            "customer": {"name": "Walt Waiting", "email": "walt@example.com"},
        }
        response, data = self.post("/pages/test-salon/waitlist", body)
        self.assertEqual(response.status_code, 201, data)
        entry = self.env["booking.waitlist"].browse(data["waitlist"]["id"])
        self.assertEqual((data["waitlist"]["state"], entry.time_from, entry.time_to), ("waiting", 9.0, 12.5))
        self.assertEqual(entry.provider_id, self.provider_a)
        self.assertEqual(entry.source, "api")
        _response, again = self.post("/pages/test-salon/waitlist", body)
        self.assertEqual(again["waitlist"]["id"], entry.id, "joining twice keeps one entry")

    @freeze_time(NOW)
    def test_waitlist_for_a_job_at_the_customers_address_takes_the_address(self):
        house_call = self.env["booking.service"].create({
            "name": "House call", "duration_minutes": 60, "price": 90, "location": "customer", "is_published": True})
        self.page.service_ids = [Command.link(house_call.id)]
        self.provider_a.service_ids = [Command.link(house_call.id)]
        body = {**self.waitlist_body(), "service_id": house_call.id}
        before = self.counts()
        response, data = self.post("/pages/test-salon/waitlist", body)
        self.assertError(response, data, 400, "validation", "address")
        self.assertNothingWritten(before)
        response, data = self.post("/pages/test-salon/waitlist", {**body, "address": " 12 Rue des Lilas,  Paris "})
        self.assertEqual(response.status_code, 201, data)
        self.assertEqual(self.env["booking.waitlist"].browse(data["waitlist"]["id"]).address, "12 Rue des Lilas, Paris")

    @freeze_time(NOW)
    def test_waitlist_errors_write_nothing(self):
        good = self.waitlist_body()
        cases = [
            ({**good, "date": "2025-05-01"}, "date"),
            ({**good, "date": "2025-12-01"}, "date"),
            ({**good, "date": "tomorrow"}, "date"),
            ({**good, "time_from": "14:00", "time_to": "10:00"}, "time_to"),
            ({**good, "time_from": "9am"}, "time_from"),
            ({**good, "service_id": 99999}, "service_id"),
            ({**good, "customer": {"name": "Walt"}}, "customer.email"),
        ]
        before = self.counts()
        for body, field in cases:
            with self.subTest(field=field):
                response, data = self.post("/pages/test-salon/waitlist", body)
                self.assertError(response, data, 400, "validation", field)
        self.assertNothingWritten(before)

    # === PERFORMANCE === #

    @freeze_time(NOW)
    def test_slots_route_query_count_is_constant(self):
        def url(days):
            date_to = (MONDAY + self.days(days - 1)).isoformat()
            return f"{API}/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02&date_to={date_to}"

        def count(days):
            self.env.registry.clear_all_caches()
            self.url_open(url(days))  # warm the registry caches a running server keeps between requests
            start = self.cr.sql_log_count
            response = self.url_open(url(days))
            self.assertEqual(response.status_code, 200)
            self.assertTrue(response.json()["slots"])
            return self.cr.sql_log_count - start

        two_providers_7_days = count(7)
        self.assertEqual(count(31), two_providers_7_days, "7 vs 31 days")
        more = self.env["booking.provider"].create([
            {"name": f"Extra {i}", "resource_calendar_id": self.calendar.id, "tz": "Europe/Paris",
             "service_ids": [Command.set(self.service.ids)]}
            for i in range(18)
        ])
        self.page.provider_ids = [Command.link(p.id) for p in more]
        self.assertEqual(count(7), two_providers_7_days, "2 vs 20 providers")
        with self.assertQueryCount(two_providers_7_days):
            self.url_open(url(31))
