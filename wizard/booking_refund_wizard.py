from odoo import api, fields, models


class BookingRefundWizard(models.TransientModel):
    """Staff refund part or all of what a customer paid (a goodwill gesture, a mistake).

    Through the contract's one refund path (``_refund``): it checks the
    amount against what remains refundable, gives each part back the way it
    came and issues the credit notes.
    """

    _name = "booking.refund.wizard"
    _description = "Refund a Booking Payment"

    contract_id = fields.Many2one("booking.payment.contract", required=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    refundable = fields.Monetary(compute="_compute_refundable")
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=False, precompute=True,
                             required=True)
    reason = fields.Char(required=True, default=lambda self: self.env._("Goodwill refund"))

    def _get_refundable(self):
        """What remains refundable on the contract, refunds on their way deducted (the staff's contract only)."""
        self.ensure_one()
        contract = self.contract_id
        if not contract:
            return 0.0
        contract.check_access("read")
        return contract.sudo()._get_refundable()

    @api.depends("contract_id")
    def _compute_refundable(self):
        for wizard in self:
            wizard.refundable = wizard._get_refundable()

    @api.depends("contract_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard._get_refundable()

    def action_refund(self):
        self.ensure_one()
        contract = self.contract_id
        contract.appointment_id.check_access("write")
        contract._lock()
        contract.sudo()._refund(self.amount, self.reason)
        return {"type": "ir.actions.act_window_close"}
