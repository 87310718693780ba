import logging

from markupsafe import escape

from odoo import models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

REFUND_ORDER = {"deposit": 0, "balance": 1, "no_show_fee": 2, "tip": 3}


class BookingPaymentContract(models.Model):
    """Refunds: one path, ``_refund``, for every reason money goes back.

    The cancellation policy (a decline, a cancellation, an expiry:
    ``_refund_for_cancellation``), staff's refund wizard, a duplicate or late
    payment (``_refund_duplicate``) all name an amount and the charges it
    comes from, and ``_refund`` gives it back the way it came: a charge
    online through its provider's refund (its credit note follows once the
    refund is done, ``_invoice_transaction``), a counter payment at the
    counter (a credit note and an outbound payment; staff hand the money
    over). What a provider cannot refund automatically goes to staff as an
    activity and a chatter line. The contract's figures count done refunds
    only; what may still be refunded counts those on their way too.
    """

    _inherit = "booking.payment.contract"

    # === WHAT MAY GO BACK === #

    def _refunded_amount(self, tx):
        """Refunds already done or on their way for the charge ``tx`` (a transaction or a counter payment)."""
        if tx._name == "account.payment":
            return sum(self._counter_payments("outbound").filtered(
                lambda p: p.booking_refunded_payment_id == tx).mapped("amount"))
        refunds = tx.child_transaction_ids.filtered(
            lambda child: child.operation == "refund" and child.state in ("draft", "pending", "authorized", "done")
        )
        return -sum(refunds.mapped("amount"))

    def _get_refund_sources(self, charges=None):
        """The charges a refund comes from, in refund order: ``[(charge, what remains of it)]``.

        :param charges: transactions and/or counter payments of this contract
            (a duplicate payment); by default all of its charges, deposit
            first, then the balance, a no-show fee, a tip, oldest first.
        """
        self.ensure_one()
        if charges is None:
            charges = [*self._charges(), *self._counter_payments("inbound")]
        sources = []
        for charge in sorted(charges, key=lambda c: (REFUND_ORDER.get(c.booking_payment_kind, 9), c.create_date, c.id)):
            remaining = self.currency_id.round(charge.amount - self._refunded_amount(charge))
            if self.currency_id.compare_amounts(remaining, 0.0) > 0:
                sources.append((charge, remaining))
        return sources

    def _get_refundable(self, charges=None):
        """What may still be refunded of ``charges`` (default: everything paid), refunds on their way deducted."""
        self.ensure_one()
        return self.currency_id.round(sum(remaining for _charge, remaining in self._get_refund_sources(charges)))

    def _get_cancellation_refund(self, cancelled_by="customer", notice_hours=None):
        """What a cancellation refunds now: ``(amount, percent of the deposit)``.

        Customers get the policy's tier for their notice on the deposit (and
        anything paid beyond the deposit in full); a merchant's or the system's
        cancellation refunds everything.
        """
        self.ensure_one()
        refundable = self.currency_id.round(self.amount_paid - self.amount_refunded)
        if cancelled_by != "customer":
            return refundable, 100.0
        policy = self.appointment_id.page_id.cancellation_policy_id
        percent = policy._get_refund_percent(notice_hours) if policy else 100.0
        deposit_part = self.currency_id.round(self.amount_deposit_paid * percent / 100.0)
        beyond_deposit = self.amount_paid - self.amount_deposit_paid
        return min(self.currency_id.round(deposit_part + beyond_deposit), refundable), percent

    # === THE REFUND PATH === #

    def _refund(self, amount, reason, charges=None, message=None):
        """Refund ``amount`` on the charges that brought it in: the one refund path of a booking.

        Each part goes back the way it came: an online charge through its
        provider (``action_refund``, hence ``_send_refund_request``) when the
        provider refunds that amount, a counter payment at the counter;
        otherwise staff get an activity and the chatter says what to refund
        by hand.

        :param charges: the charges to refund from (e.g. one duplicate
            payment); by default everything paid, deposit first.
        :param message: what the customer is told (posted to them); by
            default a chatter line for staff.
        :raise ValidationError: an amount that is not positive or more than
            what remains of those charges (nothing is refunded then).
        :return: the refund transactions created.
        """
        self.ensure_one()
        compare = self.currency_id.compare_amounts
        amount = self.currency_id.round(amount)
        sources = self._get_refund_sources(charges)
        refundable = self.currency_id.round(sum(remaining for _charge, remaining in sources))
        if compare(amount, 0.0) <= 0:
            raise ValidationError(self.env._("The refund must be a positive amount."))
        if compare(amount, refundable) > 0:
            raise ValidationError(self.env._("At most %(amount)s can be refunded.", amount=self._fmt(refundable)))
        refunds = self.env["payment.transaction"]
        manual = []
        left = amount
        for charge, remaining in sources:
            if compare(left, 0.0) <= 0:
                break
            part = min(remaining, left)
            left = self.currency_id.round(left - part)
            if charge._name == "account.payment":
                self._refund_counter_payment(charge, part, reason)
                continue
            refund_tx = self._refund_charge(charge, part)
            if refund_tx is None:
                manual.append((charge, part))
            else:
                refunds |= refund_tx
        if message:
            self._log(message, notify_customer=True)
        else:
            self._log(escape(self.env._("Refund of %(amount)s: %(reason)s", amount=self._fmt(amount), reason=reason)))
        if manual:
            lines = "; ".join(
                self.env._("%(amount)s on %(reference)s (%(provider)s)", amount=self._fmt(part),
                           reference=tx.reference, provider=tx.provider_id.name)
                for tx, part in manual
            )
            self._log(escape(self.env._("The payment provider cannot refund this automatically. To refund by hand: "
                                        "%(lines)s", lines=lines)))
            self._schedule_staff_activity(self.env._("Refund by hand"), self.env._(
                "%(lines)s: %(reason)s", lines=lines, reason=reason))
        return refunds

    def _refund_charge(self, tx, amount):
        """One step of ``_refund``: ``amount`` of the online charge ``tx`` through its provider.

        What is done is post-processed at once (its credit note follows).

        :return: the refund transactions, or None when the provider cannot
            refund that amount (or refused): it must be refunded by hand.
        """
        self.ensure_one()
        support = tx.provider_id.support_refund
        if not support or support == "none" or (
                support == "full_only" and self.currency_id.compare_amounts(amount, tx.amount) != 0):
            return None
        before = tx.child_transaction_ids
        try:
            with self.env.cr.savepoint():
                tx.sudo().action_refund(amount_to_refund=amount)
        except (UserError, ValidationError) as error:
            _logger.info("Booking %s: refund of %s refused by the provider: %s", self.name, amount, error)
            return None
        refunds = tx.child_transaction_ids - before
        for child in refunds.filtered(lambda t: t.state == "done" and not t.is_post_processed):
            child._post_process()
        return refunds

    def _refund_counter_payment(self, payment, amount, reason):
        """One step of ``_refund``: ``amount`` of a counter payment, given back the same way.

        A credit note and an outbound payment on the same journal. Cash
        cannot be refunded by a machine: staff get an activity to hand it
        over (or send the transfer); the books already say it went out.
        """
        self.ensure_one()
        kind = payment.booking_payment_kind
        credit_note = self._create_invoice(kind, amount, is_refund=True)
        method = payment.journal_id.outbound_payment_method_line_ids[:1]
        refund = self._pay_invoice(credit_note, amount, payment.journal_id, method, self.env._(
            "Refund of %(payment)s", payment=payment.name), "refund", refunded=payment)
        self._schedule_staff_activity(
            self.env._("Give back %(amount)s", amount=self._fmt(amount)),
            self.env._("%(amount)s of %(payment)s (%(journal)s) goes back to the customer: %(reason)s",
                       amount=self._fmt(amount), payment=payment.name, journal=payment.journal_id.name,
                       reason=reason))
        return refund

    # === WHO REFUNDS === #

    def _refund_for_cancellation(self, cancelled_by, notice_hours):
        """The cancellation policy's refund when a booking will not take place (decline, cancel, expiry)."""
        self.ensure_one()
        amount, percent = self._get_cancellation_refund(cancelled_by, notice_hours)
        amount = min(amount, self._get_refundable())  # less what is already on its way back
        hours = f"{max(notice_hours, 0):.1f}"
        if self.currency_id.compare_amounts(amount, 0.0) <= 0:
            if self.amount_paid:
                self._log(escape(self.env._("No refund under the cancellation policy (%(hours)s hours' notice).",
                                            hours=hours)))
            return self.env["payment.transaction"]
        if cancelled_by == "customer":
            percent = f"{percent:g}"
            reason = self.env._("%(percent)s%% of the deposit under the cancellation policy (%(hours)s hours' "
                                "notice).", percent=percent, hours=hours)
        else:
            reason = self.env._("cancelled by the merchant: everything paid is refunded.")
        return self._refund(amount, reason)

    def _refund_duplicate(self, payment, reason):
        """A payment that should not have been kept (paid twice, too late, for a cancelled booking): all of it back.

        :param payment: the transaction (or counter payment) to give back.
        """
        self.ensure_one()
        amount = self._get_refundable(payment)
        if self.currency_id.compare_amounts(amount, 0.0) <= 0:
            return self.env["payment.transaction"]
        return self._refund(amount, reason, charges=payment, message=escape(self.env._(
            "Your payment of %(amount)s for %(ref)s arrived but %(reason)s: it is refunded in full.",
            amount=self._fmt(payment.amount), ref=self.name, reason=reason,
        )))

    def action_refund_open(self):
        """Staff refund what was paid (e.g. a goodwill gesture), within what is refundable."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refund %(ref)s", ref=self.appointment_id.name),
            "res_model": "booking.refund.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }
