import logging

from markupsafe import escape

from odoo import models

from ..const import CHARGE_KINDS

_logger = logging.getLogger(__name__)


class BookingPaymentContract(models.Model):
    """What a payment may confirm or settle (DESIGN.md invariant 13): one check, every path.

    A booking moves on after money came (a deposit confirms it, a late
    deposit revives it, a balance settles it, a tip or a no-show fee is
    booked) only through ``_check_payment``; a transaction that fails it
    confirms nothing, and the money it brought goes back.
    """

    _inherit = "booking.payment.contract"

    def _get_due_before(self, payment):
        """What was due for ``payment``'s kind before it came (a tip: the largest tip allowed)."""
        self.ensure_one()
        rnd = self.currency_id.round
        paid = self._paid_by_kind(exclude=payment)
        kind = payment.booking_payment_kind
        if kind == "deposit":
            return rnd(self.amount_deposit - paid["deposit"])
        if kind == "balance":
            return rnd(self.amount_total - paid["deposit"] - paid["balance"])
        if kind == "no_show_fee":
            policy = self.appointment_id.page_id.cancellation_policy_id
            fee = policy._get_no_show_fee(self.amount_total, self.currency_id) if policy else 0.0
            return rnd(fee - paid["deposit"] - paid["balance"] - paid["no_show_fee"])
        if kind == "tip":
            return rnd(max(self.amount_total, 1.0))
        return 0.0

    def _check_payment(self, payment):
        """Why ``payment`` may not confirm or settle anything of this booking; "" when it may.

        The one check every path that moves a booking on after money came
        goes through (deposit, balance, tip, no-show fee, a late deposit,
        the counter): ``payment`` (a ``payment.transaction`` or an
        ``account.payment``) must be a real charge (a card check, Odoo's
        ``validation`` operation, moves no money), of this booking only, in
        its currency, of a positive amount within what was due for its kind.
        What a customer pays online (the payment form, a saved card from
        the portal) is the whole amount the contract asked for; only staff
        take a part of what is due (at the desk, at checkout). Amounts are
        compared in the currency's rounding, never as floats.
        """
        self.ensure_one()
        compare = self.currency_id.compare_amounts
        kind = payment.booking_payment_kind
        is_transaction = payment._name == "payment.transaction"
        if is_transaction and payment.operation == "validation":
            return self.env._("a card check (validation) is no payment")
        contracts = payment.booking_contract_ids if is_transaction else payment.booking_contract_id
        if contracts != self:
            return self.env._("the payment belongs to another booking")
        if payment.currency_id != self.currency_id:
            return self.env._("the payment is in %(paid)s, the booking in %(due)s",
                              paid=payment.currency_id.name or "-", due=self.currency_id.name)
        if kind not in CHARGE_KINDS:
            return self.env._("the payment pays for nothing of this booking")
        if compare(payment.amount, 0.0) <= 0:
            return self.env._("the payment is of no amount")
        due = self._get_due_before(payment)
        if compare(due, 0.0) <= 0:
            if kind == "deposit":
                return self.env._("a second deposit was paid for the same booking")
            return self.env._("this was already paid")
        if compare(payment.amount, due) > 0:
            return self.env._("%(paid)s paid, only %(due)s was due", paid=self._fmt(payment.amount),
                              due=self._fmt(max(due, 0.0)))
        online = is_transaction and (payment.operation or "").startswith("online_")
        if online and kind != "tip" and compare(payment.amount, due) < 0:
            return self.env._("%(paid)s paid, %(due)s was due", paid=self._fmt(payment.amount), due=self._fmt(due))
        return ""

    def _refuse_payment(self, tx, reason):
        """A transaction that failed ``_check_payment``: it confirms nothing; money that came goes back.

        Logged for the server and in the chatter; a card check moved no
        money and needs nobody. Money that came in is refunded in full
        through the provider (the customer is told; staff get a to-do when
        the provider cannot refund it) and staff get a to-do to look at it:
        the booking still waits for what is due.
        """
        self.ensure_one()
        _logger.warning("Booking %s: transaction %s (%s, %s %s) confirms nothing: %s", self.name, tx.reference,
                        tx.operation, tx.amount, tx.currency_id.name, reason)
        self._log(escape(self.env._("The payment %(reference)s was not applied: %(reason)s.",
                                    reference=tx.reference, reason=reason)))
        if tx.operation == "validation" or tx.currency_id.compare_amounts(tx.amount, 0.0) <= 0:
            return
        self._refund_duplicate(tx, reason)
        if tx.booking_payment_kind in CHARGE_KINDS and self.currency_id.compare_amounts(
                self._get_due_before(tx), 0.0) <= 0:
            return  # paid twice (two tabs): the refund says it all
        self._schedule_staff_activity(
            self.env._("Payment not applied"),
            self.env._("%(reference)s (%(amount)s %(currency)s) was refunded: %(reason)s",
                       reference=tx.reference, amount=tx.amount, currency=tx.currency_id.name or "",
                       reason=reason))
