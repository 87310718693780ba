"""Trust, issue 22, over HTTP: each attack as the attacker sent it, refused (see ``test_trust_issue22.py``)."""

import json

from freezegun import freeze_time

from odoo import http
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from ..booking_api import openapi
from ..booking_api.schemas import API_PREFIX as API
from ..exceptions import BookingInputError
from .common import MONDAY
from .common import NOW
from .common import BookingPaymentHttpCommon
from .common import local_to_utc
from .test_http_trust import TrustMixin
from .test_twilio import BOSS
from .test_twilio import CUSTOMER
from .test_twilio import SALON
from .test_twilio import TOKEN
from .test_twilio import TwilioCase


@tagged("post_install", "-at_install")
class TestHttpMoney(BookingPaymentHttpCommon):
    """Critical #1: ``is_validation`` on the deposit route made a 0.00 "payment" that confirmed the booking."""

    def _post_transaction(self, appointment, kind="deposit", **changes):
        params = {
            "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id, "token_id": None,
            "amount": 40.0, "flow": "direct", "tokenization_requested": False,
            "landing_route": appointment.get_portal_url(), "is_validation": False,
            "access_token": appointment._portal_ensure_token(), **changes,
        }
        response = self.url_open(f"/my/bookings/{appointment.id}/transaction/{kind}", data=json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"})
        return response.json()

    @mute_logger("odoo.http")
    def test_a_validation_transaction_is_refused_at_the_route(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        for value in (True, 1, "true"):
            with self.subTest(is_validation=value):
                answer = self._post_transaction(appointment, is_validation=value)
                self.assertIn("error", answer)
                self.assertIn("paid, not checked", answer["error"]["data"]["message"])
        self.assertFalse(appointment.contract_id.transaction_ids, "no transaction created")
        self.assertEqual(appointment.state, "pending_payment")
        # the real payment goes through
        answer = self._post_transaction(appointment)
        self.assertNotIn("error", answer, answer)
        self.assertEqual(appointment.contract_id.transaction_ids.operation, "online_direct")


@tagged("post_install", "-at_install")
class TestHttpTwilio(TwilioCase):
    """Twilio: control characters in signed requests; opt-out as Twilio and the carriers read it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # another merchant with a Twilio number of its own, texting the same customer
        cls.other_company = cls.env["res.company"].create({"name": "Other Salon Co"})
        cls.other_page = cls.env["booking.page"].create({
            "name": "Other Salon", "slug": "other-salon", "company_id": cls.other_company.id,
            "sms_gateway": "twilio", "twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": TOKEN,
            "twilio_number": "+15005550007",
        })
        cls.other_sms_url = f"{cls.page.get_base_url()}/booking/twilio/other-salon/sms"

    @mute_logger("odoo.addons.self_serve_booking.controllers.twilio", "werkzeug", "odoo.http")
    def test_control_characters_in_a_signed_request_are_a_400(self):
        base = {"MessageSid": "SM" + "4" * 32, "AccountSid": "AC" + "0" * 32, "From": CUSTOMER, "To": SALON,
                "Body": "Hello", "NumMedia": "0"}
        for field, value in (("Body", "Hi\x00there"), ("From", CUSTOMER + "\x00"), ("MessageSid", "SM\x00" + "4" * 30),
                             ("Body", "bell\x07"), ("From", "+3369\n9999999"), ("To", SALON + "\x1b")):
            with self.subTest(field=field, value=value):
                response = self._post(self.sms_url, {**base, field: value})
                self.assertEqual(response.status_code, 400, response.text[:200])
        self.assertFalse(self._received(), "nothing written")
        report = {"MessageSid": "SM\x00" + "5" * 30, "MessageStatus": "delivered", "To": CUSTOMER}
        self.assertEqual(self._post(self.status_url, report).status_code, 400)
        self.assertEqual(self._post(self.status_url, {**report, "MessageSid": "SM" + "5" * 32,
                                                      "ErrorCode": "3\x00"}).status_code, 400)
        # a body's line breaks are text
        response = self._post(self.sms_url, {**base, "Body": "Running late\r\nsorry"})
        self.assertEqual(response.status_code, 200)

    def test_sms_keywords_act_only_for_the_contact_verified_for_that_phone(self):
        """A stranger typed the customer's number when booking: her R must not offer to move his booking."""
        with freeze_time(NOW):
            stranger = self.env["res.partner"]._booking_create_guest(self.page, {"name": "Stan", "phone": CUSTOMER})
            planted = self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, 11), partner=stranger)
            self.assertEqual(stranger.phone_sanitized, CUSTOMER)
            for keyword in ("R", "C"):
                with self.subTest(keyword=keyword):
                    self.assertIn("no upcoming booking", self.text(keyword))
        self.assertEqual(planted.state, "confirmed")
        self.assertFalse(self.env["booking.sms"].search([("awaiting", "!=", False)]), "nothing asked about it")

    def test_staff_yes_needs_the_reference_and_the_requests_code(self):
        """Whoever forges the owner's number as sender approves nothing without the code of the request's SMS."""
        self.page.auto_confirm = False
        request = self._book(service=self.service_approval)
        for text in ("YES", f"YES {request.name}", f"YES {request.name} 000000", f"Y {request.name} 12345"):
            with self.subTest(text=text):
                self.text(text, sender=BOSS)
        self.assertEqual(request.state, "pending")
        RateLimit = self.env["booking.rate.limit"].sudo()
        key = f"sms-approval:{self.page.id}:{BOSS}"
        while RateLimit._hit(key, 30, 60)[0]:
            pass  # a guesser's tries for the hour, used up
        self.assertIn("Too many answers", self.text(f"YES {request.name} {request._approval_sms_code()}", sender=BOSS))
        self.assertEqual(request.state, "pending", "even the right code, once the number guessed too often")

    @freeze_time(NOW)
    def test_only_the_whole_message_opts_out(self):
        for text in ("End of the day works for me", "stop by at 5?", "Quit smoking helps", "cancel my 10:00 please"):
            with self.subTest(text=text):
                self.assertNotIn("no more text messages", self.text(text))
        self.assertFalse(self.env["booking.sms.opt.out"].search([]))
        self.assertFalse(self.env["phone.blacklist"].search([("number", "=", CUSTOMER)]))
        for text in (" stop ", "End", "CANCEL", "Unsubscribe.".rstrip(".")):
            with self.subTest(text=text):
                self.assertIn("no more text messages", self.text(text))
                self.assertIn("on again", self.text("start"))

    def _text_other(self, body):
        self.sid += 1
        params = {"MessageSid": f"SMot{self.sid:030d}", "AccountSid": "AC" + "1" * 32, "From": CUSTOMER,
                  "To": "+15005550007", "Body": body, "NumMedia": "0"}
        return self._post(self.other_sms_url, params).text

    @freeze_time(NOW)
    def test_an_opt_out_belongs_to_the_page_that_received_it(self):
        self.assertIn("no more text messages", self.text("STOP"))
        Sms = self.env["booking.sms"]
        self.assertTrue(Sms._is_opted_out(self.page, CUSTOMER))
        self.assertFalse(Sms._is_opted_out(self.other_page, CUSTOMER), "another merchant may still text")
        before = len(self.sent)
        Sms._send(self.other_page, CUSTOMER, "Your visit is tomorrow")
        self.assertEqual(len(self.sent), before + 1)
        Sms._send(self.page, CUSTOMER, "Your visit is tomorrow")
        self.assertEqual(len(self.sent), before + 1, "the page it said STOP to sends nothing")
        # START to the other merchant does not undo this page's STOP; YES without a STOP opts nothing in
        self.assertNotIn("on again", self._text_other("YES"))
        self.assertIn("on again", self._text_other("START"))
        self.assertTrue(Sms._is_opted_out(self.page, CUSTOMER))
        self.assertIn("on again", self.text("yes"))
        self.assertFalse(Sms._is_opted_out(self.page, CUSTOMER))


@tagged("post_install", "-at_install")
class TestHttpVerificationPerValue(TrustMixin, BookingPaymentHttpCommon):
    """Critical #2 and #3: a contact is verified for one e-mail and/or one phone, not as a whole."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        france = cls.env.ref("base.fr")
        cls.company.country_id = france
        cls.victim = cls.env["res.partner"].create({
            "name": "Vera Victim", "email": "vera@example.com", "phone": "+33 6 11 22 33 44", "country_id": france.id,
        })
        cls.victim_booking = cls.env["booking.appointment"].create({
            "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_b.id,
            "partner_id": cls.victim.id, "start": cls.at(15, day=MONDAY + cls.days(1)),
        })
        # the attacker's own account, his address proved
        cls.attacker = mail_new_test_user(cls.env, login="mallory", name="Mallory", email="mallory@example.com",
                                          groups="base.group_portal", password="mallory-password-1")
        cls.attacker.partner_id.country_id = france
        cls.france = france

    def _set_my_email(self, email):
        """The attacker's /my/account form, as his browser posts it."""
        self.authenticate("mallory", "mallory-password-1")
        response = self.url_open("/my/account", data={
            "name": "Mallory", "email": email, "phone": "+33 6 55 55 55 55", "street": "1 rue X", "city": "Paris",
            "country_id": self.france.id, "csrf_token": http.Request.csrf_token(self)}, allow_redirects=False)
        self.assertEqual(response.status_code, 303, "the account page took it")
        self.authenticate(None, None)

    @freeze_time(NOW)
    def test_a_guest_signs_in_with_a_code_sent_to_the_address_they_booked_with(self):
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Gina Guest", "email": "gina@example.com"}))
        self.assertEqual(response.status_code, 201, data)
        guest = self.env["booking.appointment"].browse(data["booking"]["id"]).partner_id
        response, session = self.sign_in({"email": "gina@example.com"}, mail_to="gina@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(guest.booking_verified_email, "gina@example.com", "the code proved the address")
        response, mine = self.api("GET", "/me/bookings", headers={"Authorization": f"Bearer {session['token']}"})
        self.assertEqual([b["id"] for b in mine["bookings"]], [data["booking"]["id"]])

    @freeze_time(NOW)
    def test_attack_2_an_account_page_change_drops_the_verification(self):
        attacker = self.attacker.partner_id
        self.assertEqual(attacker.booking_verified_email, "mallory@example.com")
        # a newcomer's address on the attacker's account proves nothing: the newcomer's code is not his
        self._set_my_email("newcomer@example.com")
        self.assertEqual((attacker.email, attacker.booking_verified_email), ("newcomer@example.com", False))
        response, _data = self.api("POST", "/pages/test-salon/session", {"email": "newcomer@example.com"})
        self.assertEqual(response.status_code, 202)
        self.assertFalse(self.env["booking.customer.session"].sudo().search([("partner_id", "=", attacker.id)]))
        # the newcomer books as a guest, then signs in with the code: to their own contact
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            hour=11, customer={"name": "Nina Newcomer", "email": "newcomer@example.com"}))
        self.assertEqual(response.status_code, 201, data)
        response, session = self.sign_in({"email": "newcomer@example.com"}, mail_to="newcomer@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(session["customer"]["name"], "Nina Newcomer")
        self.assertFalse(attacker.with_context(active_test=False).booking_appointment_ids)
        # an existing customer's address: she is not locked out ("several customers share this e-mail")
        self._set_my_email("vera@example.com")
        response, session = self.sign_in({"email": "vera@example.com"}, mail_to="vera@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(session["customer"]["name"], "Vera Victim")
        # changing it back does not bring the verification back: a code must prove it again
        self._set_my_email("mallory@example.com")
        self.assertFalse(attacker.booking_verified_email)

    @mute_logger("odoo.http")
    def test_attack_3_a_portal_user_cannot_mark_a_contact_verified(self):
        guest = self.env["res.partner"].with_user(self.env.ref("base.public_user")).sudo().create({
            "name": "Typed", "email": "newcomer@example.com", "company_id": self.company.id,
            "booking_unverified": True})
        self.authenticate("mallory", "mallory-password-1")
        for target in (guest, self.attacker.partner_id):
            with self.subTest(target=target.name):
                response = self.url_open(
                    "/web/dataset/call_kw/res.partner/action_booking_mark_verified", data=json.dumps({
                        "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                            "model": "res.partner", "method": "action_booking_mark_verified",
                            "args": [target.ids], "kwargs": {}}}),
                    headers={"Content-Type": "application/json"})
                self.assertIn("error", response.json())
        guest.invalidate_recordset()
        self.assertEqual((guest.booking_unverified, guest.booking_verified_email), (True, False))
        self._set_my_email("newcomer@example.com")
        response, _data = self.api("POST", "/pages/test-salon/session", {"email": "newcomer@example.com"})
        self.assertFalse(self.env["booking.customer.session"].sudo().search(
            [("partner_id", "=", self.attacker.partner_id.id)]))


@tagged("post_install", "-at_install")
class TestHttpInputAtTheEdge(TrustMixin, BookingPaymentHttpCommon):
    """Unicode digits, bidi controls, control characters, ids past PostgreSQL's integer, forged hosts."""

    def _done_booking(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
        return appointment

    def test_unicode_digits_are_no_amount_nor_weight(self):
        appointment = self._done_booking()
        self.authenticate(None, None)
        for amount in ("١٠", "१०", "１０", "1e1", "nan"):
            with self.subTest(amount=amount):
                response = self.url_open(f"/my/bookings/{appointment.id}/tip", data={
                    "access_token": appointment.access_token, "amount": amount, "confirm": "1",
                    "csrf_token": http.Request.csrf_token(self)}, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                self.assertNotIn("tip=", response.headers["Location"], "no tip was read from it")
        self.assertFalse(appointment.contract_id.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "tip"))
        self.authenticate("portal_one", "portal_one")
        response = self.url_open("/my/dependants/new", data={
            "name": "Rex", "kind": "pet", "weight": "٥", "csrf_token": http.Request.csrf_token(self)},
            allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["booking.dependant"].search([("name", "=", "Rex")]))

    @freeze_time(NOW)
    def test_bidi_controls_are_refused_in_names(self):
        for name in ("Eve\u202egnp.exe", "\u2066Bob\u2069", "Ann\u200f"):
            with self.subTest(name=name):
                response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
                    customer={"name": name, "email": "eve@example.com"}))
                self.assertEqual((response.status_code, data["error"]), (400, "validation"), data)
                self.assertIn("customer.name", data["fields"])
        with self.assertRaises(BookingInputError):
            self.env["res.partner"]._booking_read_guest(self.page, {"name": "Eve\u202e", "email": "e@example.com"})
        self.assertFalse(self.env["res.partner"].search([("email", "=", "eve@example.com")]))

    @mute_logger("odoo.http", "werkzeug")
    def test_control_characters_are_a_400_on_every_route(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        token = appointment._portal_ensure_token()
        self.authenticate(None, None)
        csrf = http.Request.csrf_token(self)
        cases = [
            ("GET", f"/my/bookings/{appointment.id}?access_token={token}%00", None),
            ("GET", f"/my/bookings/{appointment.id}?access_token={token}&x%01=1", None),
            ("POST", f"/my/bookings/{appointment.id}/cancel?reason=bye%00",
             {"access_token": token, "confirm": "1", "csrf_token": csrf}),
            ("POST", f"/my/bookings/{appointment.id}/reschedule?start=2025-06-03%2009:00:00%00",
             {"access_token": token, "csrf_token": csrf}),
            ("GET", "/p/test-salon?service=1%00", None),
            ("POST", "/booking/twilio/test-salon/sms", {"Body": "\x00", "From": "+33600000000"}),
        ]
        for method, url, data in cases:
            with self.subTest(url=url, data=data):
                response = self.url_open(url, data=data, allow_redirects=False) if method == "POST" else \
                    self.url_open(url, allow_redirects=False)
                self.assertEqual(response.status_code, 400, response.text[:300])
        response, data = self.api("GET", "/pages/test-salon/slots?service_id=1%00&date_from=2025-06-02")
        self.assertEqual((response.status_code, data["error"]), (400, "validation"))
        answer = self.url_open(f"/my/bookings/{appointment.id}/transaction/deposit", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "access_token": token, "landing_route": "/x\x00", "provider_id": self.demo_provider.id,
                "payment_method_id": self.demo_method.id, "flow": "direct", "amount": 40.0}}),
            headers={"Content-Type": "application/json"}).json()
        self.assertIn("error", answer)
        self.assertFalse(appointment.contract_id.transaction_ids)
        self.assertEqual(appointment.state, "pending_payment")

    def test_every_json_route_answers_json_for_any_id(self):
        for path in ("/me/bookings/2147483648", "/me/bookings/9999999999/slots", "/me/bookings/4294967296",
                     "/merchant/appointments/2147483648", "/merchant/appointments/9999999999/approve"):
            with self.subTest(path=path):
                response, data = self.api("POST" if path.endswith("approve") else "GET", path)
                self.assertIn(response.status_code, (401, 404))
                self.assertIsNotNone(data, f"{path}: {response.text[:200]}")
                self.assertIn("error", data)
        answer = self.url_open("/my/bookings/2147483648/transaction/deposit", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {"access_token": "x"}}),
            headers={"Content-Type": "application/json"})
        self.assertIn("error", answer.json())
        # a website page keeps its HTML 404
        self.assertEqual(self.url_open("/my/bookings/2147483648").status_code, 404)

    def test_openapi_servers_ignore_a_forged_host(self):
        base = self.env["website"].get_current_website().get_base_url()
        response = self.url_open(f"{API}/openapi.json", headers={
            "X-Forwarded-Host": "evil.example", "Host": "evil.example"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["servers"], [{"url": f"{base}{API}"}])

    def test_series_plan_documents_its_415(self):
        response = self.url_open(f"{API}/pages/test-salon/series/plan", data="{}",
                                 headers={"Content-Type": "text/plain"})
        self.assertEqual((response.status_code, response.json()["error"]), (415, "unsupported_media_type"))
        responses = openapi.build_document()["paths"]["/pages/{slug}/series/plan"]["post"]["responses"]
        self.assertIn("415", responses)
