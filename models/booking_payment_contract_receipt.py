from odoo import models

from ..const import CANCELLED_STATES
from ..const import CLOSED_STATES


class BookingPaymentContract(models.Model):
    """The receipt: the contract's money as the customer reads it (movements, summary, the PDF's values)."""

    _inherit = "booking.payment.contract"

    # === RECEIPT === #

    def _get_payment_method_label(self, payment):
        """How a charge was paid, for people: "Visa ****4242", "Cash", "Card terminal (Bank)"."""
        if payment._name == "account.payment":
            method = payment.payment_method_line_id.name
            journal = payment.journal_id.name
            return journal if not method or method == journal else f"{journal}: {method}"
        label = payment.payment_method_id.name or payment.provider_id.name
        details = payment.token_id.payment_details
        return f"{label} ****{details[-4:]}" if details else label

    def _get_money_movements(self):
        """Every payment and refund of the booking, online and at the counter, oldest first.

        :return: list of dicts ``{date, kind, label, method, amount}``;
            refunds have a negative amount.
        """
        self.ensure_one()
        moves = []
        for tx in self._money_transactions():  # a card check, another currency: no money of this booking
            is_refund = tx.operation == "refund" or tx.booking_payment_kind == "refund"
            moves.append({"date": tx.last_state_change or tx.create_date, "kind": tx.booking_payment_kind,
                          "label": self._kind_label("refund" if is_refund else tx.booking_payment_kind),
                          "method": self._get_payment_method_label(tx.source_transaction_id if is_refund else tx),
                          "amount": tx.amount})
        for payment in self._counter_payments():
            sign = -1 if payment.payment_type == "outbound" else 1
            moves.append({"date": payment.create_date, "kind": payment.booking_payment_kind,
                          "label": self._kind_label(payment.booking_payment_kind),
                          "method": self._get_payment_method_label(payment), "amount": sign * payment.amount})
        return sorted(moves, key=lambda move: move["date"])

    def _get_receipt_values(self):
        """The receipt's figures, laid out as the reference receipt.

        ``items`` are the bill's lines (service, add-ons, discounts),
        ``subtotal`` their total, taxes included; ``balance`` is what remained
        after the deposit, ``total_paid`` what was paid at and after checkout
        (balance, tip, fees), ``total_charged`` the net of every charge and
        refund: the same number the invoices add up to. ``payments`` says
        how each was paid.
        """
        self.ensure_one()
        appointment = self.appointment_id
        page = appointment.page_id
        rnd = self.currency_id.round
        tip_percent = 0.0
        if self.amount_tip and self.amount_total:
            tip_percent = round(self.amount_tip / self.amount_total * 100, 1)
        movements = self._get_money_movements()
        methods = list(dict.fromkeys(move["method"] for move in movements if move["amount"] > 0 and move["method"]))
        return {
            "merchant": page.name,
            "address": page._get_address_text(),
            "date": appointment._when_label(),
            "service": appointment.service_id.name,
            "provider": appointment.provider_id.name,
            "duration_minutes": appointment.duration_minutes,
            "reference": appointment.name,
            "currency": self.currency_id,
            "items": [{"name": line.name, "kind": line.line_type, "quantity": line.quantity,
                       "amount": line.price_total} for line in appointment.line_ids],
            "tax": appointment.price_tax,
            "subtotal": self.amount_total,
            "deposit_paid": self.amount_deposit_paid,
            "balance": rnd(max(self.amount_total - self.amount_deposit_paid, 0.0)),
            "balance_paid": self.amount_balance_paid,
            "balance_due": self.amount_balance_due,
            "tip": self.amount_tip,
            "tip_percent": f"{tip_percent:g}" if tip_percent else "",
            "fee": self.amount_fee,
            "refunded": self.amount_refunded,
            "total_paid": rnd(self.amount_balance_paid + self.amount_tip + self.amount_fee),
            "total_charged": self.amount_net,
            "payments": movements,
            "payment_method": ", ".join(methods),
            "rebook_url": appointment._book_again_url() if appointment.state == "done" else "",
            "visit": appointment._get_visit_record_values(),
        }

    def _get_money_summary(self):
        """Where the money of this booking stands, in the customer's words: paid, due, when, how.

        One dict for every page that talks money (confirmation, portal, the
        deposit page), so they never disagree:

        - ``lines``: ``(label, amount)`` of what happened (paid, refunded);
        - ``due_now``/``due_now_kind``: what the customer is asked to pay now;
        - ``at_visit``: what remains for the visit (charged at checkout);
        - ``card``: the saved card checkout charges, if any;
        - ``headline``: one sentence that says it all.
        """
        self.ensure_one()
        appointment = self.appointment_id
        state = appointment.state
        compare = self.currency_id.compare_amounts
        rnd = self.currency_id.round
        lines = []
        for label, amount in (
            (self.env._("Deposit paid"), self.amount_deposit_paid),
            (self.env._("Balance paid"), self.amount_balance_paid),
            (self.env._("Tip"), self.amount_tip),
            (self.env._("No-show fee"), self.amount_fee),
            (self.env._("Refunded"), -self.amount_refunded),
        ):
            if compare(amount, 0.0):
                lines.append((label, amount))
        deposit_due = self._get_amount_due("deposit")
        at_visit = 0.0 if state in CLOSED_STATES or state == "done" else rnd(
            self.amount_total - max(self.amount_deposit, self.amount_deposit_paid) - self.amount_balance_paid)
        due_now, kind = 0.0, False
        if compare(deposit_due, 0.0) > 0:
            due_now, kind = deposit_due, "deposit"
        elif state == "done" and compare(self.amount_balance_due, 0.0) > 0:
            due_now, kind = self.amount_balance_due, "balance"
        card = self._get_token(booking_only=True) if compare(at_visit, 0.0) > 0 else self.env["payment.token"]
        fmt = self._fmt
        if kind == "deposit":
            headline = self.env._("Pay the %(deposit)s deposit to secure your time; %(rest)s at your visit.",
                                  deposit=fmt(deposit_due), rest=fmt(max(at_visit, 0.0)))
        elif kind == "balance":
            headline = self.env._("%(amount)s is still due for your visit.", amount=fmt(due_now))
        elif state in CANCELLED_STATES:
            kept = self.amount_net
            if compare(self.amount_refunded, 0.0) > 0 and compare(kept, 0.0) <= 0:
                headline = self.env._("Everything you paid (%(amount)s) is refunded.", amount=fmt(self.amount_refunded))
            elif compare(self.amount_refunded, 0.0) > 0:
                headline = self.env._("%(refunded)s is refunded; %(kept)s is kept under the cancellation policy.",
                                      refunded=fmt(self.amount_refunded), kept=fmt(kept))
            elif compare(kept, 0.0) > 0:
                headline = self.env._("%(kept)s is kept under the cancellation policy.", kept=fmt(kept))
            else:
                headline = self.env._("Nothing was charged.")
        elif state == "no_show":
            headline = self.env._("Missed appointment: %(amount)s charged in all.", amount=fmt(self.amount_net)) \
                if compare(self.amount_net, 0.0) > 0 else self.env._("Missed appointment: nothing was charged.")
        elif state == "done":
            headline = self.env._("Paid in full: %(amount)s.", amount=fmt(self.amount_net))
        elif compare(self.amount_deposit_paid, 0.0) > 0 and compare(at_visit, 0.0) > 0:
            headline = self.env._("Deposit of %(deposit)s paid; %(rest)s at your visit.",
                                  deposit=fmt(self.amount_deposit_paid), rest=fmt(at_visit))
        elif compare(at_visit, 0.0) > 0:
            headline = self.env._("%(amount)s at your visit.", amount=fmt(at_visit))
        else:
            headline = self.env._("Paid in full: %(amount)s.", amount=fmt(self.amount_net))
        return {
            "currency": self.currency_id,
            "price": self.amount_total,
            "lines": lines,
            "net": self.amount_net,
            "due_now": due_now,
            "due_now_kind": kind,
            "at_visit": max(at_visit, 0.0) if state not in CLOSED_STATES else 0.0,
            "card": card,
            "headline": headline,
        }
