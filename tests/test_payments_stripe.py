from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.payment.tests.http_common import PaymentHttpCommon
from odoo.addons.payment_stripe.tests.common import StripeCommon

from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentMixin

STRIPE_REQUEST = "odoo.addons.payment_stripe.models.payment_provider.PaymentProvider._stripe_make_request"


class FakeStripe:
    """Answers Stripe's API the way Stripe does, and remembers every request."""

    def __init__(self, intent_status="succeeded"):
        self.calls = []
        self.intent_status = intent_status

    def __call__(self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None):
        self.calls.append({"endpoint": endpoint, "payload": dict(payload or {}), "offline": offline})
        if endpoint == "customers":
            return {"id": "cus_booking"}
        if endpoint == "payment_intents":
            number = len(self.calls)
            return {
                "id": f"pi_{number}",
                "client_secret": f"pi_{number}_secret",
                "status": self.intent_status if payload.get("confirm") else "requires_payment_method",
                "payment_method": {"id": payload.get("payment_method"), "type": "card",
                                   "card": {"brand": "visa", "last4": "4242"}},
            }
        if endpoint == "refunds":
            return {"id": "re_booking", "object": "refund", "amount": payload["amount"], "status": "succeeded",
                    "payment_intent": payload["payment_intent"]}
        raise AssertionError(f"unexpected Stripe call {endpoint}")

    def requests_to(self, endpoint):
        return [call for call in self.calls if call["endpoint"] == endpoint]


@tagged("post_install", "-at_install")
class TestStripe(BookingPaymentMixin, BookingDataMixin, StripeCommon, PaymentHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.stripe.write({"payment_method_ids": [Command.set(cls.card.ids)], "is_published": True})

    def _stripe_deposit(self, appointment):
        """A deposit paid with Stripe, its card saved (as after the payment form)."""
        contract = appointment.contract_id
        token = self._create_token(
            provider_id=self.stripe.id, payment_method_id=self.card.id, partner_id=appointment.partner_id.id,
            provider_ref="cus_booking", stripe_payment_method="pm_saved", payment_details="4242",
        )
        Transaction = self.env["payment.transaction"].sudo()
        link = {"booking_contract_ids": [Command.set(contract.ids)], "booking_payment_kind": "deposit"}
        tx = Transaction.create({
            "provider_id": self.stripe.id, "payment_method_id": self.card.id,
            "reference": Transaction._compute_reference("stripe", **link), "amount": contract.amount_deposit,
            "currency_id": contract.currency_id.id, "partner_id": appointment.partner_id.id,
            "operation": "online_direct", "token_id": token.id, "provider_reference": "pi_deposit", **link,
        })
        tx._set_done()
        tx._post_process()
        return tx

    def test_deposit_intent_asks_to_save_the_card_for_off_session_use(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        fake = FakeStripe()
        with patch(STRIPE_REQUEST, side_effect=fake):
            processing_values = self.make_jsonrpc_request(
                f"/my/bookings/{appointment.id}/transaction/deposit",
                {
                    "provider_id": self.stripe.id, "payment_method_id": self.card.id, "token_id": None,
                    "amount": 40.0, "flow": "direct", "tokenization_requested": False,
                    "landing_route": appointment.get_portal_url(), "is_validation": False,
                    "access_token": appointment._portal_ensure_token(),
                },
            )
        [intent] = fake.requests_to("payment_intents")
        self.assertEqual(intent["payload"]["setup_future_usage"], "off_session",
                         "the balance will be charged off-session on this card")
        self.assertEqual(intent["payload"]["amount"], 4000)
        self.assertEqual(processing_values["client_secret"], "pi_2_secret")
        tx = appointment.contract_id.transaction_ids
        self.assertEqual((tx.booking_payment_kind, tx.tokenize, tx.amount), ("deposit", True, 40.0))

    def test_balance_and_tip_are_off_session_intents_on_the_saved_card(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._stripe_deposit(appointment)
        self.assertEqual(appointment.state, "confirmed")
        fake = FakeStripe()
        with freeze_time("2025-06-02 09:00:00"), patch(STRIPE_REQUEST, side_effect=fake):
            appointment.action_check_in()
            appointment.action_complete()
            appointment.contract_id._charge_tip(18.0)
        balance, tip = fake.requests_to("payment_intents")
        for call, amount in ((balance, 6000), (tip, 1800)):
            payload = call["payload"]
            self.assertTrue(call["offline"])
            self.assertEqual(payload["amount"], amount)
            self.assertIs(payload["off_session"], True)
            self.assertIs(payload["confirm"], True)
            self.assertEqual(payload["payment_method"], "pm_saved")
            self.assertEqual(payload["customer"], "cus_booking")
        contract = appointment.contract_id
        self.assertEqual((contract.amount_net, contract.amount_tip, contract.state), (118.0, 18.0, "paid"))
        self.assertInvoicesMatch(contract)

    def test_declined_balance_stays_due(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._stripe_deposit(appointment)
        with freeze_time("2025-06-02 09:00:00"), patch(STRIPE_REQUEST, side_effect=FakeStripe("canceled")):
            appointment.action_check_in()
            appointment.action_complete()
        self.assertEqual((appointment.state, appointment.contract_id.amount_balance_due), ("done", 60.0))

    def test_refund_posts_the_policy_amount(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._stripe_deposit(appointment)
        fake = FakeStripe()
        with freeze_time("2025-06-01 22:00:00"), patch(STRIPE_REQUEST, side_effect=fake):  # 10 h before: 50 %
            appointment.action_cancel(cancelled_by="customer")
        [refund] = fake.requests_to("refunds")
        self.assertEqual(refund["payload"], {"payment_intent": "pi_deposit", "amount": 2000})
        contract = appointment.contract_id
        self.assertEqual((contract.amount_refunded, contract.amount_net), (20.0, 20.0))
        self.assertInvoicesMatch(contract)
