import json

from freezegun import freeze_time
from lxml import html

from odoo import http
from odoo.tests import tagged

from ..booking_api.schemas import API_PREFIX
from .common import MONDAY
from .common import NOW
from .common import BookingPaymentHttpCommon
from .common import local_to_utc


@tagged("post_install", "-at_install")
class TestPortalPayments(BookingPaymentHttpCommon):
    """The booking's portal page: what is due, paying it, tipping, the receipt."""

    def _route_params(self, appointment, **changes):
        params = {
            "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id, "token_id": None,
            "amount": 40.0, "flow": "direct", "tokenization_requested": False,
            "landing_route": appointment.get_portal_url(), "is_validation": False,
            "access_token": appointment._portal_ensure_token(),
        }
        params.update(changes)
        return params

    def _transaction(self, appointment, kind="deposit", **changes):
        return self.make_jsonrpc_request(f"/my/bookings/{appointment.id}/transaction/{kind}",
                                         self._route_params(appointment, **changes))

    def _transaction_error(self, appointment, kind="deposit", **changes):
        """The error message the route answers (the JSON-RPC error's data message)."""
        response = self.url_open(
            f"/my/bookings/{appointment.id}/transaction/{kind}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                             "params": self._route_params(appointment, **changes)}),
            headers={"Content-Type": "application/json"},
        )
        error = response.json().get("error")
        self.assertTrue(error, f"the route accepted {changes}")
        return error["data"]["message"]

    def test_portal_page_shows_the_deposit_form(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        response = self.url_open(appointment.get_portal_url())
        self.assertEqual(response.status_code, 200)
        tree = html.fromstring(response.content)
        self.assertEqual(tree.xpath("//*[hasclass('o_booking_payment_form')]/@data-kind"), ["deposit"])
        form = tree.xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(form.get("data-amount"), "40.0")
        self.assertEqual(form.get("data-transaction-route"), f"/my/bookings/{appointment.id}/transaction/deposit")
        self.assertIn("/web/login", self.url_open(f"/my/bookings/{appointment.id}?access_token=forged").url,
                      "a forged token gets nothing")

    def test_confirmation_page_carries_the_deposit_form(self):
        """A new booking's answer points to its confirmation page, which takes the deposit."""
        body = {"service_id": self.service_deposit.id, "start": f"{local_to_utc(MONDAY, 10):%Y-%m-%dT%H:%M:%SZ}",
                "customer": {"name": "Dee Deposit", "email": "dee@example.com"}}
        with freeze_time(NOW):
            response = self.url_open(f"{API_PREFIX}/pages/{self.page.slug}/bookings", data=json.dumps(body),
                                     headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 201, response.text)
        payload = response.json()["booking"]
        self.assertEqual(payload["payment_url"], payload["confirmation_url"])
        tree = html.fromstring(self.url_open(payload["confirmation_url"]).content)
        self.assertTrue(tree.xpath("//form[@id='o_payment_form']"))

    def test_transaction_route_creates_the_deposit_once(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        values = self._transaction(appointment)
        tx = appointment.contract_id.transaction_ids
        self.assertEqual(values["reference"], tx.reference)
        self.assertEqual((tx.amount, tx.booking_payment_kind, tx.tokenize), (40.0, "deposit", True))
        tx._handle_notification_data("demo", {"reference": tx.reference, "simulated_state": "done",
                                              "payment_details": "4242"})
        tx._post_process()
        self.assertEqual(appointment.state, "confirmed")
        self.assertIn("already", self._transaction_error(appointment))
        self.assertEqual(len(appointment.contract_id.transaction_ids), 1, "a double submit creates nothing")

    def test_transaction_route_refuses_bad_requests(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        cases = [
            ("deposit", {"access_token": "forged"}, "access token is invalid"),
            ("deposit", {"amount": 1.0}, "amount to pay has changed"),
            ("everything", {}, "nothing to pay"),
            ("balance", {"amount": 60.0}, "already been paid"),  # nothing due before the appointment
            ("tip", {"amount": 10.0}, "after the appointment"),
        ]
        for kind, changes, message in cases:
            with self.subTest(kind=kind, changes=changes):
                self.assertIn(message, self._transaction_error(appointment, kind, **changes))
        self.assertFalse(appointment.contract_id.transaction_ids)

    def _checked_out(self, tokenize=True):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment, tokenize=tokenize)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
            if not tokenize:  # no card: the balance is paid through the portal
                self._pay(appointment, kind="balance", tokenize=False)
        return appointment

    def test_tip_on_the_saved_card(self):
        appointment = self._checked_out()
        self.authenticate(None, None)  # a public visitor holding the link, with a session for the CSRF token
        page = html.fromstring(self.url_open(appointment.get_portal_url()).content)
        options = page.xpath("//*[hasclass('o_booking_tip_option')]/@data-percent")
        self.assertEqual(options, ["15", "18", "20"])
        # choosing an amount only asks to confirm it: one tap never charges a card
        response = self.url_open(f"/my/bookings/{appointment.id}/tip", data={
            "amount": "18.0", "access_token": appointment.access_token, "csrf_token": http.Request.csrf_token(self),
        })
        self.assertEqual(response.status_code, 200)
        confirm = html.fromstring(response.content).xpath("//*[hasclass('o_booking_tip_confirm')]")
        self.assertTrue(confirm, "the tip is shown to confirm first")
        self.assertIn("4242", confirm[0].text_content())
        self.assertFalse(appointment.contract_id.amount_tip)
        response = self.url_open(f"/my/bookings/{appointment.id}/tip", data={
            "amount": "18.0", "confirm": "1", "access_token": appointment.access_token,
            "csrf_token": http.Request.csrf_token(self),
        })
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your tip of", response.text)
        self.assertEqual(appointment.contract_id.amount_tip, 18.0)
        self.assertFalse(html.fromstring(self.url_open(appointment.get_portal_url()).content).xpath(
            "//*[hasclass('o_booking_tip')]"), "one tip per booking")

    def test_tip_without_a_card_goes_through_the_payment_form(self):
        appointment = self._checked_out(tokenize=False)
        self.authenticate(None, None)
        contract = appointment.contract_id
        self.assertFalse(contract._get_token())
        self.assertEqual(contract.amount_balance_due, 0.0)
        response = self.url_open(f"/my/bookings/{appointment.id}/tip", data={
            "amount": "12.5", "access_token": appointment.access_token, "csrf_token": http.Request.csrf_token(self),
        })
        tree = html.fromstring(response.content)
        self.assertEqual(tree.xpath("//*[hasclass('o_booking_payment_form')]/@data-kind"), ["tip"])
        self.assertEqual(tree.xpath("//form[@id='o_payment_form']/@data-amount"), ["12.5"])
        self._transaction(appointment, kind="tip", amount=12.5)
        tip_tx = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "tip")
        self.assertEqual(tip_tx.amount, 12.5)

    def test_receipt_download(self):
        appointment = self._checked_out()
        response = self.url_open(appointment.get_portal_url(report_type="html"))
        self.assertEqual(response.status_code, 200)
        for text in ("Total Charged", "100.00", "40.00", "60.00"):
            self.assertIn(text, response.text)
        with freeze_time(NOW):
            unpaid = self._book_deposit(hour=14)
        response = self.url_open(unpaid.get_portal_url(report_type="html"))
        self.assertNotIn("report_type", response.url, "no receipt before any payment: back to the booking")
        self.assertIn("o_booking_portal_page", response.text)
