"""Trust, issue 22, over HTTP: each attack as the attacker sent it, refused (see ``test_trust_issue22.py``)."""

import json

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW
from .common import BookingPaymentHttpCommon
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
