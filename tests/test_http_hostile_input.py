"""Bad input from outside (DESIGN.md invariant 9): always a 4xx with a reason, nothing written, no error logged.

Each case is what an attacker (or a fuzzer) sends to a public route; before
the trust issue each of them answered 500 with a traceback.
"""

import json
from urllib.parse import quote

from freezegun import freeze_time

from odoo import http
from odoo.tests import tagged

from .common import NOW
from .common import BookingHttpCommon

API = "/booking/api/v1"


@tagged("post_install", "-at_install")
class TestHostileInput(BookingHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.rate_limit_count = 0

    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.appointment = self._book(self.at(10))
            self.pending = self._book(self.at(14), service=self.service_approval, state="pending")

    # === HELPERS === #

    def counts(self):
        self.env.invalidate_all()
        return {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in ("booking.appointment", "res.partner", "booking.waitlist", "payment.transaction",
                          "booking.customer.session", "booking.idempotency.key", "mail.message")
        }

    def request(self, method, url, body=None, raw=None, headers=None, **kwargs):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.opener.request(method, f"{self.base_url()}{url}", data=data, timeout=30,
                                   headers={"Content-Type": "application/json", **(headers or {})}, **kwargs)

    def assertRefused(self, response, status=None, error=None):
        self.assertLess(response.status_code, 500, response.text[:500])
        self.assertGreaterEqual(response.status_code, 400, response.text[:500])
        if status:
            self.assertEqual(response.status_code, status, response.text[:500])
        if error:
            data = response.json()
            self.assertEqual(data["error"], error, data)
            self.assertTrue(data["message"])

    def token(self):
        """A valid bearer token of the booking's customer."""
        session = self.env["booking.customer.session"].sudo().create({
            "partner_id": self.customer.id, "page_id": self.page.id, "channel": "email", "state": "active",
            "expires_at": NOW + self.days(1)})
        return session._make_token()

    def booking_body(self, **changes):
        body = {"service_id": self.service.id, "provider_id": None, "start": "2025-06-02T09:00:00Z",
                "customer": {"name": "Fuzz Fuzzer", "email": "fuzz@example.com"}, "note": "hello"}
        body.update(changes)
        return body

    # === THE JSON API === #

    @freeze_time(NOW)
    def test_api_bodies(self):
        nul = "\u0000"
        deep = "[" * 5000 + "]" * 5000
        cases = [
            ("name with NUL", self.booking_body(customer={"name": f"Fu{nul}zz", "email": "f@example.com"}), None,
             400, "validation"),
            ("note with NUL", self.booking_body(note=f"a{nul}b"), None, 400, "validation"),
            ("e-mail with NUL", self.booking_body(customer={"name": "Fuzz", "email": f"f{nul}@example.com"}), None,
             400, "validation"),
            ("phone with escape", self.booking_body(customer={"name": "Fuzz", "phone": "06\u001b[31m"}), None,
             400, "validation"),
            ("year 1", self.booking_body(start="0001-01-01T00:00:00Z"), None, 400, "validation"),
            ("year 9999 west", self.booking_body(start="9999-12-31T23:59:59-14:00"), None, 400, "validation"),
            ("ISO week date", self.booking_body(start="2026-W49-1T17:00:00Z"), None, 400, "validation"),
            ("id beyond integer", self.booking_body(service_id=2**31), None, 400, "validation"),
            ("id of 40 digits", self.booking_body(service_id=10**40), None, 400, "validation"),
            ("5,000 levels deep", None, deep, 400, "malformed_json"),
            ("deep object", None, '{"a":' * 2000 + "1" + "}" * 2000, 400, "malformed_json"),
            ("NaN", None, '{"service_id": NaN}', 400, "malformed_json"),
            ("Infinity", None, '{"service_id": Infinity}', 400, "malformed_json"),
            # infinity where the contract has an integer: another type than the contract's
            ("1e999", None, '{"service_id": 1e999}', 400, "contract_mismatch"),
            ("lone surrogate key", None, '{"\\ud800": 1}', 400, "malformed_json"),
            ("lone surrogate value", None, json.dumps(self.booking_body(note="\ud800")), 400, "validation"),
            ("latin-1 bytes", None, b'{"note": "caf\xe9"}', 400, "malformed_json"),
        ]
        before = self.counts()
        for label, body, raw, status, error in cases:
            with self.subTest(label), self.assertNoLogs(level="ERROR"):
                response = self.request("POST", f"{API}/pages/test-salon/bookings", body=body, raw=raw)
                self.assertRefused(response, status, error)
        self.assertEqual(self.counts(), before)

    @freeze_time(NOW)
    def test_api_waitlist_windows(self):
        good = self.waitlist_body()
        cases = [
            ({**good, "time_from": "24:00"}, "time_from"),
            ({**good, "time_from": "24:00", "time_to": "24:00"}, "time_from"),
            ({**good, "time_to": "00:00"}, "time_to"),
            ({**good, "time_from": "10:00", "time_to": "10:00"}, "time_to"),
            ({**good, "time_from": "0٩:00"}, "time_from"),
            ({**good, "date": "0001-01-01"}, "date"),
            ({**good, "date": "2026-W49-1"}, "date"),
            ({**good, "date": "2025-06-03", "note": "\u0000"}, "note"),
        ]
        before = self.counts()
        for body, field in cases:
            with self.subTest(body=body), self.assertNoLogs(level="ERROR"):
                response = self.request("POST", f"{API}/pages/test-salon/waitlist", body=body)
                self.assertRefused(response, 400, "validation")
                self.assertIn(field, response.json()["fields"])
        self.assertEqual(self.counts(), before)

    @freeze_time(NOW)
    def test_api_urls_queries_and_headers(self):
        cases = [
            ("GET", f"{API}/pages/test%00salon", {}, 404),
            ("POST", f"{API}/pages/test%00salon/bookings", {}, 404),
            ("GET", f"{API}/pages/{quote('tést')}", {}, 404),
            ("GET", f"{API}/pages/test-salon/slots?service_id=%C2%B2&date_from=2025-06-02", {}, 400),  # ²
            ("GET", f"{API}/pages/test-salon/slots?service_id=%D9%A3&date_from=2025-06-02", {}, 400),  # Arabic 3
            ("GET", f"{API}/pages/test-salon/slots?service_id={self.service.id}&date_from=0001-01-01", {}, 400),
            ("GET", f"{API}/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02"
                    "&date_to=9999-12-31", {}, 400),
            ("GET", f"{API}/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02%00", {}, 400),
            ("GET", f"{API}/me/bookings/99999999999", {"Authorization": "Bearer x"}, 404),  # no such route
            ("GET", f"{API}/me/bookings/99999999999", {"Authorization": f"Bearer {self.token()}"}, 404),
            ("PATCH", f"{API}/me/bookings/{10**30}", {"Authorization": f"Bearer {self.token()}"}, 404),
            ("GET", f"{API}/me/bookings", {"Authorization": "Bearer ².1.1.sig"}, 401),
            ("GET", f"{API}/me/bookings", {"Authorization": "Bearer 99999999999.1.1.sig"}, 401),
            ("POST", f"{API}/pages/test-salon/session/verify", {}, 400),
        ]
        before = self.counts()
        for method, url, headers, status in cases:
            with self.subTest(url=url, headers=headers), self.assertNoLogs(level="ERROR"):
                body = {"email": "a@example.com", "code": "١٢٣٤٥٦"} if method != "GET" else None
                response = self.request(method, url, body=body, headers=headers)
                self.assertRefused(response, status)
                self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(self.counts(), before)

    # === THE WEBSITE AND THE PORTAL === #

    @freeze_time(NOW)
    def test_website_urls(self):
        token = self.appointment._portal_ensure_token()
        cases = [
            ("/p/test%00salon", 404),
            ("/p/test%00salon/booking/1", 404),
            ("/no-such-page%00", 404),  # Odoo's own 404 too
            ("/p/test-salon/booking/99999999999", 404),
            (f"/p/test-salon/booking/{self.appointment.id}/ics?access_token=%00", 400),  # issue 22: any NUL
            ("/p/test-salon/image/provider/99999999999", 404),
            ("/my/bookings/99999999999", 404),
            ("/my/bookings/99999999999/cancel", 404),
            ("/booking/check-in/99999999999/sig", 404),
            (f"/booking/approval/{self.pending.id}/reject/%C2%B2/sig", 403),
            (f"/booking/approval/{self.pending.id}/reject/99999999999999999999/sig", 403),
            ("/booking/waitlist/99999999999/1/sig", 404),
        ]
        before = self.counts()
        for url, status in cases:
            with self.subTest(url=url), self.assertNoLogs(level="ERROR"):
                self.assertRefused(self.url_open(url, allow_redirects=False), status)
        # a bad value in an optional parameter is ignored, not a crash
        for url in ("/p/test-salon?service=%C2%B2", "/p/test-salon?service=99999999999999"):
            with self.subTest(url=url), self.assertNoLogs(level="ERROR"):
                self.assertEqual(self.url_open(url).status_code, 200)
        # a control character anywhere is a 400 (issue 22), even in a parameter nobody reads
        url = f"/my/bookings/{self.appointment.id}?access_token={token}&message=%00"
        with self.assertNoLogs(level="ERROR"):
            self.assertEqual(self.url_open(url).status_code, 400)
        self.assertEqual(self.counts(), before)

    @freeze_time(NOW)
    def test_portal_forms(self):
        self.authenticate(None, None)
        csrf = http.Request.csrf_token(self)
        token = self.appointment._portal_ensure_token()
        before = self.counts()
        with self.assertNoLogs(level="ERROR"):
            response = self.url_open(f"/my/bookings/{self.appointment.id}/cancel", data={
                "access_token": token, "confirm": "1", "reason": "sick\x00", "csrf_token": csrf})
        self.assertLess(response.status_code, 500)
        self.assertIn("control characters", response.text)
        self.assertEqual(self.appointment.state, "confirmed", "nothing cancelled")
        for amount in ("nan", "inf", "-inf", "1e999", "NaN"):
            with self.subTest(amount=amount), self.assertNoLogs(level="ERROR"):
                response = self.url_open(f"/my/bookings/{self.appointment.id}/tip", data={
                    "access_token": token, "amount": amount, "csrf_token": csrf})
                self.assertLess(response.status_code, 500)
                response = self.url_open(f"/my/bookings/{self.appointment.id}?access_token={token}&tip={amount}")
                self.assertEqual(response.status_code, 200)
        with self.assertNoLogs(level="ERROR"):
            response = self.url_open(f"/my/bookings/{self.appointment.id}/reschedule", data={
                "access_token": token, "start": "0001-01-01 00:00:00\x00", "csrf_token": csrf})
        self.assertLess(response.status_code, 500)
        self.assertEqual(self.counts(), before)

    @freeze_time(NOW)
    def test_approval_decline_reason(self):
        url = self.pending._approval_url("reject")
        before = self.counts()
        with self.assertNoLogs(level="ERROR"):
            response = self.url_open(url, data={"reason": "no\x00"}, allow_redirects=False)
        self.assertRefused(response, 400)
        self.assertEqual(self.pending.state, "pending")
        self.assertEqual(self.counts(), before)
