import logging

from markupsafe import Markup
from markupsafe import escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, format_amount

from ..const import CANCELLED_STATES
from ..const import CHARGE_KINDS
from ..const import CLOSED_STATES
from ..const import COUNTED_PAYMENT_STATES
from ..const import PAYMENT_IN_FLIGHT_STATES
from ..const import TIP_DRAFT_LIFETIME
from ..const import TIP_PRESETS

_logger = logging.getLogger(__name__)


class BookingPaymentContract(models.Model):
    """The money of one appointment: what is due, what was charged, refunded, invoiced.

    Money moves two ways: online, as ``payment.transaction`` records of
    Odoo's payment framework, and at the counter (cash, card terminal, bank
    transfer), as ``account.payment`` records of a journal. Each is tagged
    with what it pays for (deposit, balance, tip, no-show fee) or as a
    refund. What is paid before the visit (a deposit, an early balance), a
    tip and a no-show fee get an invoice of their own; at checkout the bill
    (the appointment's lines) is invoiced once, minus what was invoiced
    before, and the balance is paid against that final invoice; every refund
    gets a credit note. Payments are reconciled with their invoices as any
    Odoo payment. The figures below count done transactions and posted
    counter payments only, in the currency's precision, so the contract, the
    invoices and the receipt always tell the same story: deposit + balance +
    tip + fees - refunds = net charged = invoices - credit notes.
    """

    _name = "booking.payment.contract"
    _description = "Booking Payment Contract"
    _order = "id desc"
    _check_company_auto = True

    # === IDENTITY === #
    appointment_id = fields.Many2one(
        "booking.appointment", required=True, ondelete="cascade", index=True, readonly=True
    )
    name = fields.Char(related="appointment_id.name", store=True)
    partner_id = fields.Many2one(related="appointment_id.partner_id", store=True)
    company_id = fields.Many2one(related="appointment_id.company_id", store=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)

    # === TERMS === #
    amount_total = fields.Monetary(
        related="appointment_id.price", string="Bill Total", store=True,
        help="The appointment's bill: service, add-ons and discounts, taxes included.")
    amount_deposit = fields.Monetary(string="Deposit Due", readonly=True, help="Due when booking.")

    # === PAYMENTS === #
    transaction_ids = fields.Many2many(
        "payment.transaction", "booking_contract_transaction_rel", "contract_id", "transaction_id",
        string="Transactions", readonly=True, copy=False,
    )
    counter_payment_ids = fields.One2many(
        "account.payment", "booking_contract_id", string="Counter Payments", readonly=True,
        domain=[("payment_transaction_id", "=", False)],
        help="Money received or given back at the counter: cash, card terminal, bank transfer.")
    invoice_ids = fields.One2many("account.move", "booking_contract_id", string="Invoices", readonly=True)
    final_invoice_id = fields.Many2one(
        "account.move", readonly=True, copy=False,
        help="The bill invoiced at checkout, minus what was invoiced before the visit; the balance pays it.")
    invoice_count = fields.Integer(string="Number of Invoices", compute="_compute_invoice_count")

    amount_deposit_paid = fields.Monetary(string="Deposit Paid", compute="_compute_amounts", store=True)
    amount_balance_paid = fields.Monetary(string="Balance Paid", compute="_compute_amounts", store=True)
    amount_tip = fields.Monetary(string="Tip", compute="_compute_amounts", store=True)
    amount_fee = fields.Monetary(string="No-show Fee", compute="_compute_amounts", store=True)
    amount_paid = fields.Monetary(string="Charged", compute="_compute_amounts", store=True)
    amount_refunded = fields.Monetary(string="Refunded", compute="_compute_amounts", store=True)
    amount_net = fields.Monetary(string="Net Charged", compute="_compute_amounts", store=True)
    amount_balance_due = fields.Monetary(
        string="Balance Due", compute="_compute_amounts", store=True,
        help="The part of the service price not paid yet (charged at checkout).",
    )
    state = fields.Selection(
        selection=[
            ("deposit_due", "Deposit due"),
            ("open", "Balance at checkout"),
            ("balance_due", "Balance due"),
            ("paid", "Paid"),
            ("no_show", "No-show"),
            ("closed", "Closed"),
        ],
        compute="_compute_state", store=True,
    )

    _sql_constraints = [
        ("appointment_unique", "UNIQUE(appointment_id)", "An appointment has one payment contract."),
    ]

    # === COMPUTES === #

    @api.depends("transaction_ids.state", "transaction_ids.amount", "transaction_ids.booking_payment_kind",
                 "transaction_ids.operation", "transaction_ids.currency_id",
                 "counter_payment_ids.state", "counter_payment_ids.amount", "counter_payment_ids.payment_type",
                 "counter_payment_ids.booking_payment_kind", "amount_total", "currency_id", "appointment_id.state")
    def _compute_amounts(self):
        for contract in self:
            sums = contract._paid_by_kind()
            refunded = -sum(contract._money_transactions().filtered(
                lambda tx: tx.operation == "refund" or tx.booking_payment_kind == "refund").mapped("amount"))
            refunded += sum(contract._counter_payments("outbound").mapped("amount"))
            rnd = contract.currency_id.round
            contract.amount_deposit_paid = rnd(sums["deposit"])
            contract.amount_balance_paid = rnd(sums["balance"])
            contract.amount_tip = rnd(sums["tip"])
            contract.amount_fee = rnd(sums["no_show_fee"])
            contract.amount_paid = rnd(sum(sums.values()))
            contract.amount_refunded = rnd(refunded)
            contract.amount_net = rnd(contract.amount_paid - contract.amount_refunded)
            # a booking that will not take place owes no balance (a no-show owes its fee)
            closed = contract.appointment_id.state in CLOSED_STATES
            contract.amount_balance_due = 0.0 if closed else max(
                rnd(contract.amount_total - contract.amount_deposit_paid - contract.amount_balance_paid), 0.0
            )

    @api.depends("appointment_id.state", "amount_deposit", "amount_deposit_paid", "amount_balance_due")
    def _compute_state(self):
        for contract in self:
            compare = contract.currency_id.compare_amounts
            appointment_state = contract.appointment_id.state
            if appointment_state in CANCELLED_STATES:
                contract.state = "closed"
            elif appointment_state == "no_show":
                contract.state = "no_show"
            elif appointment_state == "pending_payment" and compare(
                contract.amount_deposit, contract.amount_deposit_paid
            ) > 0:
                contract.state = "deposit_due"
            elif compare(contract.amount_balance_due, 0.0) <= 0:
                contract.state = "paid"
            elif appointment_state == "done":
                contract.state = "balance_due"
            else:
                contract.state = "open"

    def _compute_invoice_count(self):
        for contract in self:
            contract.invoice_count = len(contract.invoice_ids)

    # === HELPERS === #

    def _lock(self):
        """Lock the appointment row, so a double submit cannot charge or refund twice.

        As ``website_sale`` does before a payment: a second request while the
        first one runs gets a clear error instead of waiting and repeating it.
        """
        if self and not self.appointment_id._try_lock():
            raise UserError(self.env._("A payment for this booking is already being processed."))

    def _fmt(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _log(self, body, notify_customer=False):
        """A line in the appointment's chatter; an e-mail to the customer too if asked."""
        self.ensure_one()
        appointment = self.appointment_id
        if notify_customer:
            appointment.message_post(
                body=body, partner_ids=appointment.partner_id.ids, message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        else:
            appointment._message_log(body=body)

    def _schedule_staff_activity(self, summary, note):
        self.ensure_one()
        appointment = self.appointment_id
        user = appointment.provider_id.user_id or appointment.page_id.responsible_user_id or self.env.ref(
            "base.user_admin", raise_if_not_found=False
        )
        appointment.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id if user else None
        )

    def _money_transactions(self):
        """The done transactions that moved money of this booking: charges and refunds.

        A card check (``validation``) moved none, and an amount in another
        currency cannot be added to this one: neither counts anywhere
        (``_check_payment`` keeps them from confirming anything too).
        """
        self.ensure_one()
        return self.transaction_ids.filtered(
            lambda tx: tx.state == "done" and tx.currency_id == self.currency_id
            and (tx.source_transaction_id or tx).operation != "validation")

    def _charges(self):
        return self._money_transactions().filtered(
            lambda tx: tx.operation != "refund" and tx.booking_payment_kind in CHARGE_KINDS)

    def _paid_by_kind(self, exclude=None):
        """What was received for each kind (deposit, balance, tip, no-show fee), refunds aside.

        Done charges online and posted payments at the counter, in the
        contract's currency; ``exclude`` (a transaction or a counter payment)
        is left out: what was due before it came.
        """
        self.ensure_one()
        sums = dict.fromkeys(CHARGE_KINDS, 0.0)
        for payment in [*self._charges(), *self._counter_payments("inbound")]:
            if payment != exclude and payment.booking_payment_kind in sums:
                sums[payment.booking_payment_kind] += payment.amount
        return sums

    def _counter_payments(self, payment_type=None):
        """Counter payments that count (posted), received (``inbound``) or given back (``outbound``)."""
        self.ensure_one()
        return self.counter_payment_ids.filtered(
            lambda p: not p.payment_transaction_id and p.state in COUNTED_PAYMENT_STATES
            and (payment_type is None or p.payment_type == payment_type))

    def _get_token(self, booking_only=False):
        """The saved card to charge off-session (balance, tip, no-show fee), or nothing.

        Only a card the customer saved while signed in (or chose for bookings
        in the portal), or the card used for this very booking: a card saved
        through a booking's link proves nothing about other bookings
        (DESIGN.md invariant 8). Preferred: the customer's default card for
        bookings, else the card of this booking, else their latest card.

        :param booking_only: only the card used for this booking (what a
            visitor holding the booking's link, not signed in, may charge).
        """
        self.ensure_one()
        Token = self.env["payment.token"].sudo()
        partner = self.partner_id.commercial_partner_id
        usable = [("partner_id", "child_of", partner.id), ("active", "=", True),
                  ("provider_id.state", "in", ("enabled", "test")),
                  ("provider_id.company_id", "in", (False, self.company_id.id))]
        owned = [*usable, ("booking_owner_verified", "=", True), ("booking_only_appointment_id", "=", False)]
        used = self.transaction_ids.filtered(
            lambda tx: tx.state == "done" and tx.operation != "refund" and tx.token_id.active
            and tx.token_id.provider_id.state in ("enabled", "test")).token_id[-1:]
        if booking_only:
            return used
        default = Token.search([*owned, ("booking_default", "=", True)], limit=1)
        return default or used or Token.search(owned, order="id desc", limit=1)

    # === WHAT IS DUE === #

    def _get_amount_due(self, kind, early=False):
        """What ``kind`` asks the customer to pay now (0 when nothing is due).

        The amount always comes from the contract, never from the browser;
        tips are the customer's choice (``_check_tip_amount``). The balance is
        due after the visit (checkout charges it on the saved card); before
        it, only a customer who chose to pay early (``early``) is asked for it.
        """
        self.ensure_one()
        state = self.appointment_id.state
        if kind == "deposit" and state == "pending_payment":
            return self.currency_id.round(self.amount_deposit - self.amount_deposit_paid)
        if kind == "balance" and (state == "done" or (early and state in ("confirmed", "checked_in"))):
            return self.amount_balance_due
        if kind == "no_show_fee" and state == "no_show":
            return self._get_no_show_fee_due()
        return 0.0

    def _get_due_now(self, early=False):
        """The first payment the customer is asked for now: ``(kind, amount)``, or ``(False, 0.0)``."""
        self.ensure_one()
        for kind in ("deposit", "balance", "no_show_fee"):
            amount = self._get_amount_due(kind, early=early)
            if self.currency_id.compare_amounts(amount, 0.0) > 0:
                return kind, amount
        return False, 0.0

    def _get_no_show_fee_due(self):
        """The policy's no-show fee, minus what was already paid (the deposit is kept against it)."""
        self.ensure_one()
        policy = self.appointment_id.page_id.cancellation_policy_id
        fee = policy._get_no_show_fee(self.amount_total, self.currency_id) if policy else 0.0
        paid = self.amount_deposit_paid + self.amount_balance_paid + self.amount_fee
        return max(self.currency_id.round(fee - paid), 0.0)

    def _has_deposit_in_flight(self):
        """Whether a deposit is paid or on its way (pending, authorized, done but maybe not post-processed).

        Such a hold is never released: the customer has paid. Empty
        recordsets (bookings without money) have none; a card check
        (``validation``) pays nothing and holds nothing.
        """
        return bool(self.transaction_ids.filtered(
            lambda tx: tx.booking_payment_kind == "deposit" and tx.state in PAYMENT_IN_FLIGHT_STATES
            and tx.operation != "validation"))

    def _get_payment_amount(self, kind, requested=None):
        """The amount the customer pays online now for ``kind``, checked; the booking is locked first.

        :param requested: for a tip, the customer's amount; otherwise the
            amount the page showed, which must still be what is due.
        :raise ValidationError: nothing to pay, already paid or on its way,
            an amount that changed, a tip out of bounds.
        """
        self.ensure_one()
        self._lock()
        if kind == "tip":
            self._check_tip_amount(requested or 0.0)
            return requested
        compare = self.currency_id.compare_amounts
        amount = self._get_amount_due(kind)
        if compare(amount, 0.0) <= 0:
            raise ValidationError(self.env._("This has already been paid."))
        if kind == "deposit" and self._has_deposit_in_flight():
            raise ValidationError(self.env._("The deposit has already been paid."))
        if requested is not None and compare(requested, amount) != 0:
            raise ValidationError(self.env._("The amount to pay has changed. Please reload the page."))
        return amount

    def _get_product(self, kind):
        self.ensure_one()
        if kind == "tip":
            return self.env.ref("self_serve_booking.product_booking_tip")
        if kind == "no_show_fee":
            return self.env.ref("self_serve_booking.product_booking_no_show_fee")
        return self.appointment_id.service_id._get_product()

    # === CHARGES === #

    def _prepare_transaction_values(self, kind, amount, token):
        self.ensure_one()
        Transaction = self.env["payment.transaction"]
        link = {"booking_contract_ids": [Command.set(self.ids)], "booking_payment_kind": kind}
        return {
            "provider_id": token.provider_id.id,
            "payment_method_id": token.payment_method_id.id,
            "reference": Transaction._compute_reference(token.provider_id.code, **link),
            "amount": amount,
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.id,
            "token_id": token.id,
            "operation": "offline",
            "invoice_ids": [Command.set(self._get_invoice_to_pay(kind).ids)],
            **link,
        }

    def _charge_with_token(self, kind, amount, token):
        """Charge ``amount`` off-session on ``token`` and post-process at once.

        A provider error does not roll anything back: the transaction is kept
        in error and the caller decides what the customer is told.
        """
        self.ensure_one()
        tx = self.env["payment.transaction"].sudo().create(self._prepare_transaction_values(kind, amount, token))
        try:
            with self.env.cr.savepoint():
                tx._send_payment_request()
        except (UserError, ValidationError) as error:
            _logger.info("Booking %s: %s charge refused by the provider: %s", self.name, kind, error)
            tx._set_error(str(error.args[0] if error.args else error))
        if tx.state in ("done", "cancel", "error") and not tx.is_post_processed:
            tx._post_process()
        return tx

    def _payment_link(self):
        self.ensure_one()
        appointment = self.appointment_id
        return f"{appointment.get_base_url()}{appointment.get_portal_url()}"

    def _ask_customer_to_pay(self, what, amount, reason=None):
        """Tell the customer what is due, with the link to pay it, and staff too.

        The link goes by e-mail: a customer without an e-mail address (a
        walk-in) is sent nothing, and staff are told so, never that a link
        was sent, with the way to take the money at the desk.
        """
        link = self._payment_link()
        body = escape(self.env._("%(what)s of %(amount)s is due.", what=what, amount=self._fmt(amount)))
        if reason:
            body += Markup(" ") + escape(reason)
        summary = self.env._("%(what)s not collected", what=what)
        customer = self.appointment_id.partner_id
        if not email_normalize(customer.email or ""):
            body += Markup(" ") + escape(self.env._(
                "%(customer)s has no e-mail address: no payment link was sent.", customer=customer.name))
            self._log(body)
            self._schedule_staff_activity(summary, self.env._(
                "%(amount)s is still due and nobody was asked for it: %(customer)s has no e-mail address. Take "
                "it at the desk (Take Payment on the booking).", amount=self._fmt(amount), customer=customer.name))
            return False
        body += Markup('<br/><a href="%s">%s</a>') % (link, self.env._("Pay online"))
        self._log(body, notify_customer=True)
        self._schedule_staff_activity(summary, self.env._(
            "%(amount)s is still due; the customer received a payment link by e-mail.", amount=self._fmt(amount)))
        return True

    def _charge_balance(self):
        """At checkout: charge what remains of the price on the saved card, or ask for it."""
        self.ensure_one()
        due = self.amount_balance_due
        if self.currency_id.compare_amounts(due, 0.0) <= 0:
            return self.env["payment.transaction"]
        token = self._get_token()
        if not token:
            self._ask_customer_to_pay(self.env._("The balance"), due, self.env._("No saved card to charge."))
            return self.env["payment.transaction"]
        tx = self._charge_with_token("balance", due, token)
        if tx.state != "done":
            self._ask_customer_to_pay(self.env._("The balance"), due, tx.state_message or "")
        return tx

    def _charge_tip(self, amount, token=None):
        """Charge a tip on a saved card (the payment form handles the others)."""
        self.ensure_one()
        self._check_tip_amount(amount)
        token = token or self._get_token()
        if not token:
            raise UserError(self.env._("There is no saved card to charge the tip on."))
        return self._charge_with_token("tip", amount, token)

    def _charge_saved_card(self, kind, amount):
        """The desk charges the customer's saved card for ``kind`` (any part of what is due, or a tip)."""
        self.ensure_one()
        self._lock()
        if kind == "tip":
            return self._charge_tip(amount)
        compare = self.currency_id.compare_amounts
        amount = self.currency_id.round(amount or 0.0)
        due = self._get_amount_due(kind, early=True)
        if compare(amount, 0.0) <= 0 or compare(amount, due) > 0:
            raise ValidationError(self.env._("Charge between %(zero)s and what is due (%(due)s).",
                                             zero=self._fmt(0.0), due=self._fmt(max(due, 0.0))))
        token = self._get_token()
        if not token:
            raise UserError(self.env._("The customer has no saved card."))
        return self._charge_with_token(kind, amount, token)

    def _check_tip_amount(self, amount):
        """A tip is positive and at most the service price (a typo guard)."""
        self.ensure_one()
        compare = self.currency_id.compare_amounts
        if compare(amount, 0.0) <= 0:
            raise ValidationError(self.env._("A tip must be a positive amount."))
        if compare(amount, max(self.amount_total, 1.0)) > 0:
            raise ValidationError(self.env._("A tip cannot exceed the price of the service (%(price)s).",
                                             price=self._fmt(self.amount_total)))
        if self.appointment_id.state != "done":
            raise ValidationError(self.env._("Tips are added after the appointment."))
        if self._tips_in_flight() or self._counter_payments("inbound").filtered(
                lambda p: p.booking_payment_kind == "tip"):
            raise ValidationError(self.env._("A tip was already added to this booking. Thank you!"))

    def _tips_in_flight(self):
        """Tip transactions done or on their way: one tip per booking.

        A draft counts while its payment form may still be submitted (an
        hour): a second tab must not start a second tip meanwhile.
        """
        self.ensure_one()
        recent = fields.Datetime.now() - TIP_DRAFT_LIFETIME
        return self.transaction_ids.filtered(
            lambda tx: tx.booking_payment_kind == "tip" and tx.operation != "refund" and (
                tx.state in PAYMENT_IN_FLIGHT_STATES or (tx.state == "draft" and tx.create_date >= recent)))

    def _get_tip_options(self):
        """The preset tips (percentages of the service price) with their amounts."""
        self.ensure_one()
        return [(percent, self.currency_id.round(self.amount_total * percent / 100.0)) for percent in TIP_PRESETS]

    def _charge_no_show_fee(self):
        """Charge the policy's no-show fee, minus what was already paid (the deposit is kept)."""
        self.ensure_one()
        policy = self.appointment_id.page_id.cancellation_policy_id
        fee = policy._get_no_show_fee(self.amount_total, self.currency_id) if policy else 0.0
        if self.currency_id.compare_amounts(fee, 0.0) <= 0:
            return self.env["payment.transaction"]
        extra = self._get_no_show_fee_due()
        if self.currency_id.compare_amounts(extra, 0.0) <= 0:
            self._log(self.env._("No-show fee of %(fee)s: covered by what was already paid.", fee=self._fmt(fee)))
            return self.env["payment.transaction"]
        token = self._get_token()
        if not token:
            self._ask_customer_to_pay(self.env._("The no-show fee"), extra)
            return self.env["payment.transaction"]
        tx = self._charge_with_token("no_show_fee", extra, token)
        if tx.state != "done":
            self._ask_customer_to_pay(self.env._("The no-show fee"), extra, tx.state_message or "")
        return tx

    # === AT THE COUNTER === #

    def _get_counter_kinds(self):
        """What the desk may take a payment for now: ``[(kind, amount due)]`` (a tip has no amount due)."""
        self.ensure_one()
        state = self.appointment_id.state
        kinds = []
        for kind in ("deposit", "balance", "no_show_fee"):
            amount = self._get_amount_due(kind, early=True)
            if self.currency_id.compare_amounts(amount, 0.0) > 0:
                kinds.append((kind, amount))
        if state == "done" and not self._tips_in_flight():
            kinds.append(("tip", 0.0))
        return kinds

    def _register_counter_payment(self, kind, amount, journal, payment_method_line=None, memo=None):
        """Record money received at the counter for ``kind``: reconciled with its invoice, as any Odoo payment.

        A balance pays the final invoice (issued at checkout); a deposit, an
        early balance, a tip or a no-show fee gets an invoice of its own for
        the amount received. Any part of what is due may be paid, never more.

        :raise ValidationError: nothing due for ``kind``, an amount that is
            not positive or larger than what is due, a journal that is not a
            cash or bank journal of the booking's company.
        :return: the ``account.payment``.
        """
        self.ensure_one()
        self._lock()
        compare = self.currency_id.compare_amounts
        amount = self.currency_id.round(amount or 0.0)
        if compare(amount, 0.0) <= 0:
            raise ValidationError(self.env._("A payment must be a positive amount."))
        if journal.type not in ("cash", "bank") or journal.company_id != self.company_id:
            raise ValidationError(self.env._("Choose a cash or bank journal of %(company)s.",
                                             company=self.company_id.name))
        if kind == "tip":
            self._check_tip_amount(amount)
        else:
            due = self._get_amount_due(kind, early=True)
            if compare(due, 0.0) <= 0:
                raise ValidationError(self.env._("Nothing is due for this now."))
            if compare(amount, due) > 0:
                raise ValidationError(self.env._("%(amount)s is more than what is due (%(due)s).",
                                                 amount=self._fmt(amount), due=self._fmt(due)))
        invoice = self._get_invoice_to_pay(kind) or self._create_invoice(kind, amount)
        payment = self._pay_invoice(invoice, amount, journal, payment_method_line, memo, kind)
        self._on_counter_payment(payment)
        return payment

    def _pay_invoice(self, invoice, amount, journal, payment_method_line, memo, kind, refunded=None):
        """Odoo's own "Register Payment" on ``invoice`` (or credit note): the payment, reconciled with it."""
        self.ensure_one()
        wizard_values = {"amount": amount, "journal_id": journal.id, "payment_date": fields.Date.context_today(self)}
        if payment_method_line:
            wizard_values["payment_method_line_id"] = payment_method_line.id
        if memo:
            wizard_values["communication"] = memo
        wizard = self.env["account.payment.register"].sudo().with_company(self.company_id).with_context(
            active_model="account.move", active_ids=invoice.ids, booking_counter_payment=True,
        ).create(wizard_values)
        if not wizard.payment_method_line_id:
            raise ValidationError(self.env._("%(journal)s has no payment method for this.", journal=journal.name))
        payment = wizard._create_payments()
        payment.write({
            "booking_contract_id": self.id,
            "booking_payment_kind": kind,
            "booking_refunded_payment_id": refunded.id if refunded else False,
        })
        return payment

    def _on_counter_payment(self, payment):
        """Move the booking on after money was received at the counter."""
        self.ensure_one()
        appointment = self.appointment_id
        self._log(escape(self.env._(
            "%(kind)s of %(amount)s received: %(method)s (%(journal)s).",
            kind=self._kind_label(payment.booking_payment_kind),
            amount=self._fmt(payment.amount), method=payment.payment_method_line_id.name or "-",
            journal=payment.journal_id.name)))
        reason = self._check_payment(payment)
        if reason:
            _logger.warning("Booking %s: counter payment %s confirms nothing: %s", self.name, payment.name, reason)
            self._schedule_staff_activity(self.env._("Payment not applied"), self.env._(
                "%(payment)s: %(reason)s", payment=payment.name, reason=reason))
            return
        self._live_send_money(payment.booking_payment_kind, payment.amount)
        if payment.booking_payment_kind == "deposit" and appointment.state == "pending_payment" and \
                self.currency_id.compare_amounts(self.amount_deposit_paid, self.amount_deposit) >= 0:
            appointment._action_payment_done()
        self._notify_receipt_when_settled()

    def _notify_receipt_when_settled(self):
        """After checkout, the receipt goes out once nothing remains due, and again after a later payment (a tip).

        Keyed by the money it shows: the same figures are told once; a
        receipt still waiting in the outbox gives way to the newer one, so the
        customer gets the receipt of the last money movement (the balance then
        the tip at the desk: one receipt, with the tip), and a visit summary
        still waiting gives way to it (it carries the summary). The visit is settled:
        ``_on_settled`` (the review request waits for it).
        """
        self.ensure_one()
        appointment = self.appointment_id
        if appointment.state != "done" or self.currency_id.compare_amounts(self.amount_balance_due, 0.0) > 0:
            return
        waiting = self.env["booking.notification"].sudo().search([
            ("appointment_id", "=", appointment.id), ("event", "in", ("receipt", "visit_summary")),
            ("state", "=", "pending")])  # the receipt carries the visit's summary too
        figures = f"{self.amount_paid:.{self.currency_id.decimal_places}f}"
        if appointment._notify("receipt", figures):
            # only on the channels the new receipt takes: a summary waiting by e-mail stays when the receipt
            # goes by SMS alone (its short text carries no summary)
            fresh = self.env["booking.notification"].sudo().search([
                ("appointment_id", "=", appointment.id), ("event", "=", "receipt"), ("state", "=", "pending"),
                ("id", "not in", waiting.ids)])
            waiting.filtered(lambda message: message.channel in fresh.mapped("channel")).write(
                {"state": "cancelled"})
        appointment._on_settled()

    # === POST-PROCESSING === #

    def _kind_label(self, kind):
        """What a payment of ``kind`` is called, in the user's language (the selection's translated label)."""
        labels = dict(self.env["payment.transaction"]._fields["booking_payment_kind"]._description_selection(self.env))
        return labels.get(kind, kind or "")

    def _invoice_label(self, kind, is_refund=False):
        appointment = self.appointment_id
        label = f"{self._kind_label(kind)}: {appointment.service_id.name} · {appointment.name} · " \
                f"{appointment._format_local(appointment.start)}"
        return self.env._("Refund of %(label)s", label=label) if is_refund else label

    def _create_invoice(self, kind, amount, is_refund=False):
        """A posted invoice (or credit note) of ``amount`` for ``kind``, taxes included as in the service.

        For what is paid outside the final invoice: a deposit or an early
        balance (the service's product and price-included taxes, so the final
        invoice can take it back line for line), a tip, a no-show fee, and
        the refunds of any of them.
        """
        self.ensure_one()
        if kind in ("deposit", "balance"):
            product = self.appointment_id._get_service_line().product_id or self._get_product(kind)
            taxes = self.appointment_id._get_service_line().tax_ids
        else:
            product = self._get_product(kind)
            taxes = product.taxes_id.filtered(lambda tax: tax.company_id == self.company_id and tax.price_include)
        return self._post_invoice("out_refund" if is_refund else "out_invoice", kind, [{
            "product_id": product.id,
            "name": self._invoice_label(kind, is_refund),
            "quantity": 1.0,
            "price_unit": abs(amount),
            "tax_ids": [Command.set(taxes.filtered("price_include").ids)],
        }])

    def _post_invoice(self, move_type, kind, line_values, total=None):
        """Create and post an invoice (or credit note) of ``line_values``.

        :param total: what the invoice must total (the final invoice: the
            bill minus what was invoiced before); a rounding cent of the
            company's global tax rounding is settled on its taxes first.
        """
        self.ensure_one()
        move = self.env["account.move"].sudo().with_company(self.company_id).create({
            "move_type": move_type,
            "partner_id": self.partner_id.id,
            "currency_id": self.currency_id.id,
            "invoice_origin": self.appointment_id.name,
            "booking_contract_id": self.id,
            "booking_payment_kind": kind,
            "invoice_line_ids": [Command.create(values) for values in line_values],
        })
        if total is not None:
            self._settle_rounding(move, total)
        move.action_post()
        return move

    def _settle_rounding(self, move, total):
        """Make the draft ``move`` total ``total`` when only tax rounding stands between them.

        A company that rounds taxes globally rounds each tax over the whole
        invoice: the final invoice (the bill's lines and, negative, the lines
        invoiced before the visit) may then round a cent away from the bill
        minus those invoices. The cent goes on the largest tax group, through
        Odoo's own manual tax amount (the invoice's tax totals, as the tax
        widget edits them), so the invoices of a visit add up to its bill.
        A larger difference is no rounding: it is left for staff to see.
        """
        currency = self.currency_id
        delta = currency.round(total - move.amount_total)
        tolerance = currency.rounding * len(move.invoice_line_ids)
        if currency.is_zero(delta) or abs(delta) > tolerance + currency.rounding / 2:
            return
        totals = move.tax_totals
        groups = [group for subtotal in totals.get("subtotals", []) for group in subtotal["tax_groups"]]
        if not groups:
            return
        group = max(groups, key=lambda group: abs(group["tax_amount_currency"]))
        group["tax_amount_currency"] = currency.round(group["tax_amount_currency"] + delta)
        move.tax_totals = totals

    def _get_invoice_to_pay(self, kind):
        """The open final invoice a balance payment pays, if there is one (checkout issued it)."""
        self.ensure_one()
        invoice = self.final_invoice_id
        if kind == "balance" and invoice.state == "posted" and invoice.payment_state not in ("paid", "in_payment"):
            return invoice
        return self.env["account.move"]

    def _issue_final_invoice(self):
        """At checkout: invoice the bill, minus what was invoiced before the visit.

        Each line of the bill with its product, quantity, price and taxes (so
        the invoice totals what the bill does), and each line of the deposit
        and early-balance invoices taken back with a negative quantity: what
        remains is the balance, which counter payments and card charges then
        pay against this invoice.
        """
        self.ensure_one()
        if self.final_invoice_id or not self.appointment_id.line_ids:
            return self.final_invoice_id
        if not self.env["account.journal"].sudo().search_count(
                [("type", "=", "sale"), *self.env["account.journal"]._check_company_domain(self.company_id)],
                limit=1):
            # a company without accounting yet: the booking goes on; payments, when any, are invoiced then
            _logger.info("Booking %s: no sales journal in %s, no final invoice", self.name, self.company_id.name)
            return self.final_invoice_id
        prepaid = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
            and m.booking_payment_kind in ("deposit", "balance"))
        line_values = [line._get_invoice_line_values() for line in self.appointment_id.line_ids]
        for line in prepaid.invoice_line_ids.filtered(lambda move_line: move_line.display_type == "product"):
            line_values.append({
                "product_id": line.product_id.id,
                "name": self.env._("Paid before the visit: %(label)s (%(invoice)s)", label=line.name,
                                   invoice=line.move_id.name),
                "quantity": -line.quantity,
                "price_unit": line.price_unit,
                "tax_ids": [Command.set(line.tax_ids.ids)],
            })
        total = self.currency_id.round(self.amount_total - sum(prepaid.mapped("amount_total")))
        if self.currency_id.is_zero(total):
            return self.final_invoice_id  # everything was paid before: nothing more to invoice
        self.final_invoice_id = self._post_invoice("out_invoice", "balance", line_values, total=total)
        return self.final_invoice_id

    def _invoice_transaction(self, tx):
        """A posted invoice for a done charge, a credit note for a done refund.

        A balance paid after checkout pays the final invoice instead.
        """
        self.ensure_one()
        if tx.invoice_ids or tx.state != "done":
            return
        is_refund = tx.operation == "refund" or tx.amount < 0
        source = tx.source_transaction_id if is_refund else tx
        if source.operation == "validation" or source.currency_id != self.currency_id \
                or source.booking_contract_ids != self:
            return  # no money of this booking (a card check, another currency): nothing to invoice
        kind = source.booking_payment_kind or "balance"
        invoice = self.env["account.move"] if is_refund else self._get_invoice_to_pay(kind)
        tx.invoice_ids = [Command.set((invoice or self._create_invoice(kind, tx.amount, is_refund)).ids)]

    def _on_transaction_processed(self, tx):
        """Move the booking on once a transaction reached its final state."""
        self.ensure_one()
        kind = tx.booking_payment_kind
        amount = self._fmt(abs(tx.amount))
        if tx.state == "done" and kind != "refund":
            reason = self._check_payment(tx)
            if reason:
                self._refuse_payment(tx, reason)
                return
        if tx.state == "done":
            self._live_send_money(kind, tx.amount)
            if kind == "balance":
                self._notify_receipt_when_settled()
            if kind == "deposit":
                self._on_deposit_paid(tx)
            elif kind == "tip":
                other_tips = self._charges().filtered(lambda t: t != tx and t.booking_payment_kind == "tip")
                if other_tips:  # two tabs paid a tip each: the second one goes back
                    self._refund_duplicate(tx, self.env._("a tip was already paid for this booking"))
                else:
                    self._log(escape(self.env._("Tip of %(amount)s received. Thank you!", amount=amount)))
                    self._notify_receipt_when_settled()  # the receipt again, with the tip
        elif tx.state in ("error", "cancel"):
            if kind == "deposit":
                hold = self.appointment_id.hold_expires_at
                self._log(escape(self.env._(
                    "The deposit payment did not go through (%(message)s). The time stays held until %(hold)s.",
                    message=tx.state_message or tx.state,
                    hold=self.appointment_id._format_local(hold) if hold else "-",
                )))
            elif kind == "refund":
                self._log(escape(self.env._("The refund of %(amount)s failed: %(message)s", amount=amount,
                                            message=tx.state_message or tx.state)))
                self._schedule_staff_activity(self.env._("Refund failed"), tx.state_message or tx.reference)

    def _live_send_money(self, kind, amount):
        """Tell the customer's live sessions that money moved on their booking (``paid`` or ``refunded``)."""
        self.ensure_one()
        if self.appointment_id:
            self.appointment_id._live_send_booking(
                "refunded" if kind == "refund" else "paid", kind=kind, amount=self.currency_id.round(abs(amount)),
                currency=self.currency_id.name)

    def _on_deposit_paid(self, tx):
        appointment = self.appointment_id
        other_deposits = self._charges().filtered(lambda t: t != tx and t.booking_payment_kind == "deposit")
        if other_deposits:
            self._refund_duplicate(tx, self.env._("a second deposit was paid for the same booking"))
        elif self.currency_id.compare_amounts(self.amount_deposit_paid, self.amount_deposit) < 0:
            return  # a part of the deposit (staff took it at the desk): the rest is still due
        elif appointment.state == "pending_payment":
            appointment._action_payment_done()
        elif appointment.state == "expired":
            appointment._revive_after_late_payment(tx)
        elif appointment.state in ("cancelled", "rejected"):
            self._refund_duplicate(tx, self.env._("the booking was cancelled before the payment arrived"))

    # === ACTIONS === #

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("booking_contract_id", "=", self.id)]
        action["context"] = {"create": False, "default_move_type": "out_invoice"}
        return action

    def action_view_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("payment.action_payment_transaction")
        action["domain"] = [("id", "in", self.transaction_ids.ids)]
        action["context"] = {"create": False}
        return action
