"""Two-way SMS through Twilio: signed webhooks, reply keywords, delivery reports, opt-out.

Twilio's HTTP layer is patched (``TwilioHttpClient.request``), as Odoo's
payment_stripe tests patch Stripe's requests: no network. The webhook
signatures are computed by Twilio's own ``RequestValidator``.
"""

import json
from unittest.mock import patch

from freezegun import freeze_time
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MONDAY
from .common import NOW
from .common import BookingPaymentHttpCommon
from .common import local_to_utc

TOKEN = "twilio-auth-token-of-the-salon"
SALON = "+15005550006"
BOSS = "+33611111111"
CUSTOMER = "+33699999999"


class TwilioCase(BookingPaymentHttpCommon):
    """The salon with a Twilio number, Twilio's REST API patched, and a customer who texts (no tests here)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({
            "sms_gateway": "twilio", "twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": TOKEN,
            "twilio_number": SALON, "responsible_user_id": cls.user_manager.id,
        })
        cls.user_manager.partner_id.mobile = BOSS
        cls.customer.mobile = CUSTOMER
        cls.customer.action_booking_mark_verified()  # a phone added later is verified by staff (issue 22)
        cls.sms_url = f"{cls.page.get_base_url()}/booking/twilio/{cls.page.slug}/sms"
        cls.status_url = f"{cls.page.get_base_url()}/booking/twilio/{cls.page.slug}/status"

    def setUp(self):
        super().setUp()
        self.sent = []  # what reached Twilio's REST API
        patcher = patch.object(TwilioHttpClient, "request", autospec=True, side_effect=self._twilio_api)
        self.startPatcher(patcher)
        self.sid = 0

    def _twilio_api(self, client, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
        self.sent.append(dict(data or {}))
        return Response(201, json.dumps({"sid": f"SMout{len(self.sent):030d}", "status": "queued",
                                         "to": (data or {}).get("To"), "body": (data or {}).get("Body")}))

    def _post(self, url, params, signature=True, sign_params=None):
        headers = {}
        if signature:
            headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, sign_params or params)
        return self.url_open(url, data=params, headers=headers)

    def text(self, body, sender=CUSTOMER, **kwargs):
        """The salon's number receives ``body`` from ``sender``: the reply text, or the response if refused."""
        self.sid += 1
        params = {"MessageSid": f"SMin{self.sid:030d}", "AccountSid": "AC" + "0" * 32, "From": sender,
                  "To": SALON, "Body": body, "NumMedia": "0"}
        response = self._post(self.sms_url, params, **kwargs)
        if response.status_code != 200:
            return response
        self.assertEqual(response.headers["Content-Type"], "text/xml; charset=utf-8")
        return response.text

    def _book(self, hour=10, service=None, **vals):
        with freeze_time(NOW):
            return self.env["booking.appointment"]._book_online(
                self.page, service or self.service, self.provider_a, local_to_utc(MONDAY, hour),
                partner=self.customer)

    def _received(self):
        return self.env["booking.sms"].search([("direction", "=", "in")])



@tagged("post_install", "-at_install")
class TestTwilio(TwilioCase):
    # === WHO MAY CALL === #

    @mute_logger("odoo.addons.self_serve_booking.controllers.twilio", "werkzeug")
    def test_only_the_pages_own_twilio_signature_is_heard(self):
        appointment = self._book()
        params = {"MessageSid": "SM" + "1" * 32, "From": CUSTOMER, "To": SALON, "Body": "C"}
        for label, response in (
            ("missing", self._post(self.sms_url, params, signature=False)),
            ("tampered", self._post(self.sms_url, {**params, "Body": "R"}, sign_params=params)),
            ("another URL", self._post(self.sms_url.replace(self.page.slug, "other-page"), params)),
            ("forged", self._post(self.sms_url, {**params, "From": BOSS}, sign_params=params)),
        ):
            with self.subTest(label):
                self.assertEqual(response.status_code, 403)
        self.assertFalse(self._received(), "refused requests write nothing")
        self.page.sms_gateway = "odoo"
        self.assertEqual(self._post(self.sms_url, params).status_code, 403, "a page without Twilio has no webhook")
        self.assertEqual(appointment.state, "confirmed")

    @freeze_time(NOW)
    def test_a_replayed_message_acts_once(self):
        appointment = self._book()
        params = {"MessageSid": "SM" + "2" * 32, "From": CUSTOMER, "To": SALON, "Body": "C"}
        first = self._post(self.sms_url, params)
        self.assertIn("Reply C to confirm", first.text)
        self._post(self.sms_url, {**params, "MessageSid": "SM" + "3" * 32})  # the confirmation
        self.assertEqual(appointment.state, "cancelled")
        replay = self._post(self.sms_url, {**params, "MessageSid": "SM" + "3" * 32})
        self.assertEqual(replay.status_code, 200)
        self.assertNotIn("<Message>", replay.text, "a replay is answered with nothing")
        self.assertEqual(len(self._received()), 2)

    # === THE MERCHANT ANSWERS === #

    def test_merchant_yes_and_no(self):
        """YES / NO with the reference and the request's code (issue 22: the sender's number proves nothing)."""
        self.page.auto_confirm = False
        first = self._book(hour=10, service=self.service_approval)
        self.assertEqual(first.state, "pending")
        self.assertIn("reference and the code", self.text("yes", sender=BOSS))
        self.assertIn("reference and the code", self.text(f"YES {first.name}", sender=BOSS))
        self.assertEqual(first.state, "pending")
        reply = self.text(f"yes {first.name} {first._approval_sms_code()}", sender=BOSS)
        self.assertIn(f"Approved: {first.name}", reply)
        self.assertEqual(first.state, "confirmed")
        second = self._book(hour=14, service=self.service_approval)
        third = self._book(hour=15, service=self.service_approval)
        reply = self.text(f"NO {third.name} {second._approval_sms_code()}", sender=BOSS)
        self.assertIn("No request", reply, "another request's code")
        reply = self.text(f"NO {third._approval_sms_code()} {third.name}", sender=BOSS)
        self.assertIn(f"Declined: {third.name}", reply)
        self.assertEqual((second.state, third.state), ("pending", "rejected"))
        self.assertIn("No request", self.text(f"YES {third.name} {third._approval_sms_code()}", sender=BOSS),
                      "answered already")
        self.assertIn("No request", self.text("YES BK99-00001 123456", sender=BOSS))

    def test_a_customer_cannot_answer_for_the_merchant(self):
        self.page.auto_confirm = False
        request = self._book(service=self.service_approval)
        reply = self.text(f"YES {request.name}", sender=CUSTOMER)
        self.assertEqual(request.state, "pending")
        self.assertIn("passed your message", reply, "a customer's YES is a message for a person")
        # (the booking is in the past on the real clock: nothing upcoming to hang it on)
        self.assertTrue(self._received().filtered(lambda sms: sms.activity_ids),
                        "no upcoming booking: the to-do is on the message itself")

    # === THE CUSTOMER ANSWERS === #

    def test_cancel_states_the_refund_then_needs_a_second_reply(self):
        with freeze_time(NOW):
            appointment = self._book_deposit(partner=self.customer)
            self._pay(appointment)
        self.assertEqual(appointment.state, "confirmed")
        with freeze_time("2025-06-01 20:00:00"):  # 12 hours' notice: 50 % of the 40.00 deposit
            reply = self.text("C")
            self.assertIn("20.00 will be refunded", reply)
            self.assertIn("Reply C to confirm", reply)
            self.assertEqual(appointment.state, "confirmed")
            reply = self.text("c")
        self.assertEqual((appointment.state, appointment.cancelled_by), ("cancelled", "customer"))
        self.assertEqual(appointment.contract_id.amount_refunded, 20.0)
        self.assertIn("is cancelled", reply)

    def test_reschedule_offers_three_times_and_a_number_picks_one(self):
        appointment = self._book(hour=10)
        with freeze_time(NOW):
            reply = self.text("R")
            self.assertIn("1)", reply)
            self.assertIn("3)", reply)
            # what a stranger's phone could send instead of a number: never a 5xx, nothing moved
            for odd in ("²", "9" * 40, "7"):
                answer = self.text(odd)
                self.assertIsInstance(answer, str, f"{odd!r} is answered, not refused with an error")
            self.assertEqual(appointment.start, local_to_utc(MONDAY, 10))
            reply = self.text("R")
            question = self.env["booking.sms"].search([("awaiting", "=", "reschedule")])
            second = json.loads(question.awaiting_data)["starts"][1]
            reply = self.text("2")
        self.assertEqual(appointment.start.strftime("%Y-%m-%d %H:%M:%S"), second)
        self.assertIn("Done", reply)
        self.assertEqual(appointment.state, "confirmed")
        with freeze_time(NOW):
            self.assertIn("passed your message", self.text("2"), "answered: a number is a message now")

    @freeze_time(NOW)
    def test_stop_and_start(self):
        appointment = self._book()
        self.assertIn("no more text messages", self.text("STOP"))
        self.assertTrue(self.env["booking.sms.opt.out"].search([("number", "=", CUSTOMER)]))
        self.page.notification_rule_ids.filtered(lambda r: r.event == "cancelled").channel = "email_sms"
        before = len(self.sent)
        appointment.action_cancel(cancelled_by="merchant")
        self.dispatch()
        self.assertEqual(len(self.sent), before, "nothing goes to a number that said STOP")
        refused = self.env["booking.sms"].search([("direction", "=", "out"), ("number", "=", CUSTOMER),
                                                  ("status", "=", "failed")])
        self.assertTrue(refused)  # the confirmation (e-mail and SMS on a page with Twilio) and the cancellation
        self.assertEqual(set(refused.mapped("error")), {"opted out (STOP)"})
        self.assertIn("on again", self.text("START"))
        self.assertFalse(self.env["booking.sms.opt.out"].search([("number", "=", CUSTOMER)]))

    @freeze_time(NOW)
    def test_anything_else_goes_to_a_person(self):
        appointment = self._book()
        reply = self.text("Can I bring my dog?")
        self.assertIn("passed your message", reply)
        activity = appointment.activity_ids
        self.assertEqual(activity.summary, f"SMS from {CUSTOMER}")
        self.assertIn("bring my dog", str(activity.note))
        to_boss = [sms for sms in self.sent if sms.get("To") == BOSS]
        self.assertEqual(len(to_boss), 1)
        self.assertIn("wants to talk to someone", to_boss[0]["Body"])

    # === SENDING AND DELIVERY REPORTS === #

    def test_outbound_through_twilio_with_delivery_reports(self):
        self.page.notification_rule_ids.filtered(lambda r: r.event == "confirmed").channel = "email_sms"
        appointment = self._book()
        self.dispatch()
        to_customer = [sms for sms in self.sent if sms.get("To") == CUSTOMER]
        self.assertEqual(len(to_customer), 1)
        self.assertEqual(to_customer[0]["From"], SALON)
        self.assertEqual(to_customer[0]["StatusCallback"], self.status_url)
        message = self.env["booking.sms"].search([("appointment_id", "=", appointment.id), ("direction", "=", "out")])
        self.assertEqual(message.status, "queued")
        report = {"MessageSid": message.twilio_sid, "MessageStatus": "delivered", "To": CUSTOMER}
        self.assertEqual(self._post(self.status_url, report).status_code, 204)
        self.assertEqual(message.status, "delivered")
        with mute_logger("odoo.addons.self_serve_booking.controllers.twilio", "werkzeug"):
            forged = self._post(self.status_url, {**report, "MessageStatus": "failed"}, sign_params=report)
        self.assertEqual(forged.status_code, 403)
        self.assertEqual(message.status, "delivered")
        unknown = self._post(self.status_url, {**report, "MessageSid": "SM" + "9" * 32})
        self.assertEqual(unknown.status_code, 204)
