from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.payment_transaction import BOOKING_KINDS


class BookingCounterPayment(models.TransientModel):
    """Take a payment at the desk: cash, the card terminal or a bank transfer, or the saved card."""

    _name = "booking.counter.payment"
    _description = "Booking Payment at the Counter"

    appointment_id = fields.Many2one("booking.appointment", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="appointment_id.company_id")
    currency_id = fields.Many2one(related="appointment_id.currency_id")
    kind = fields.Selection(
        selection=[kind for kind in BOOKING_KINDS if kind[0] != "refund"], string="For", required=True,
        compute="_compute_kind", store=True, readonly=False, precompute=True,
    )
    available_kinds = fields.Char(compute="_compute_available_kinds")
    amount_due = fields.Monetary(compute="_compute_amount_due", string="Due")
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=False, required=True, precompute=True)
    pay_with = fields.Selection(
        selection=[("counter", "At the counter"), ("card", "Saved card")], default="counter", required=True)
    saved_card_label = fields.Char(related="appointment_id.saved_card_label")
    journal_id = fields.Many2one(
        "account.journal", compute="_compute_journal_id", store=True, readonly=False, precompute=True,
        domain="[('type', 'in', ('cash', 'bank')), ('company_id', '=', company_id)]",
    )
    payment_method_line_id = fields.Many2one(
        "account.payment.method.line", string="Payment Method", compute="_compute_payment_method_line_id",
        store=True, readonly=False, precompute=True, domain="[('id', 'in', available_method_line_ids)]",
    )
    available_method_line_ids = fields.Many2many(
        "account.payment.method.line", compute="_compute_available_method_line_ids")
    memo = fields.Char()

    # === COMPUTES === #

    def _counter_kinds(self):
        self.ensure_one()
        contract = self.appointment_id.contract_id.sudo()
        return contract._get_counter_kinds() if contract else []

    @api.depends("appointment_id")
    def _compute_available_kinds(self):
        for wizard in self:
            wizard.available_kinds = ",".join(kind for kind, _amount in wizard._counter_kinds())

    @api.depends("appointment_id")
    def _compute_kind(self):
        for wizard in self:
            kinds = wizard._counter_kinds()
            wizard.kind = kinds[0][0] if kinds else False

    @api.depends("kind")
    def _compute_amount_due(self):
        for wizard in self:
            wizard.amount_due = dict(wizard._counter_kinds()).get(wizard.kind, 0.0)

    @api.depends("kind")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.amount_due

    @api.depends("company_id")
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = self.env["account.journal"].search([
                ("type", "=", "cash"), ("company_id", "=", wizard.company_id.id)], limit=1) or \
                self.env["account.journal"].search([
                    ("type", "=", "bank"), ("company_id", "=", wizard.company_id.id)], limit=1)

    @api.depends("journal_id")
    def _compute_available_method_line_ids(self):
        for wizard in self:
            wizard.available_method_line_ids = wizard.journal_id.inbound_payment_method_line_ids

    @api.depends("journal_id")
    def _compute_payment_method_line_id(self):
        for wizard in self:
            wizard.payment_method_line_id = wizard.journal_id.inbound_payment_method_line_ids[:1]

    # === ACTIONS === #

    def action_confirm(self):
        """Record the payment (or charge the saved card) and go back to the checkout screen."""
        self.ensure_one()
        appointment = self.appointment_id
        appointment.check_access("write")
        contract = appointment.contract_id.sudo()
        if not contract:
            raise UserError(self.env._("%(ref)s has nothing to pay.", ref=appointment.name))
        if self.pay_with == "card":
            tx = contract._charge_saved_card(self.kind, self.amount)
            if tx.state != "done":
                raise UserError(self.env._("The card was not charged: %(message)s",
                                           message=tx.state_message or tx.state))
        else:
            contract._register_counter_payment(self.kind, self.amount, self.journal_id,
                                               self.payment_method_line_id, self.memo)
        return appointment.action_open_checkout()
