from odoo import api, fields, models
from odoo.exceptions import ValidationError


class BookingRefundWizard(models.TransientModel):
    """Staff refund part or all of what a customer paid (a goodwill gesture, a mistake)."""

    _name = "booking.refund.wizard"
    _description = "Refund a Booking Payment"

    contract_id = fields.Many2one("booking.payment.contract", required=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    refundable = fields.Monetary(compute="_compute_refundable")
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=False, precompute=True,
                             required=True)
    reason = fields.Char(required=True, default=lambda self: self.env._("Goodwill refund"))

    @api.depends("contract_id")
    def _compute_refundable(self):
        for wizard in self:
            contract = wizard.contract_id
            wizard.refundable = contract.currency_id.round(contract.amount_paid - contract.amount_refunded)

    @api.depends("contract_id")
    def _compute_amount(self):
        for wizard in self:
            contract = wizard.contract_id
            wizard.amount = contract.currency_id.round(contract.amount_paid - contract.amount_refunded)

    def action_refund(self):
        self.ensure_one()
        contract = self.contract_id
        contract.check_access("read")  # staff of the contract's company only, before anything runs as sudo
        contract._lock()
        compare = contract.currency_id.compare_amounts
        if compare(self.amount, 0.0) <= 0:
            raise ValidationError(self.env._("The refund must be a positive amount."))
        if compare(self.amount, self.refundable) > 0:
            raise ValidationError(self.env._("At most %(amount)s can be refunded.",
                                             amount=contract._fmt(self.refundable)))
        contract.sudo()._refund(self.amount, self.reason)
        return {"type": "ir.actions.act_window_close"}
