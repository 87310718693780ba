"""Trust, issue 22, over HTTP: each attack as the attacker sent it, refused (see ``test_trust_issue22.py``)."""

import json

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW
from .common import BookingPaymentHttpCommon


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
