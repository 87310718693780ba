from odoo import fields, models

from .payment_transaction import BOOKING_KINDS


class AccountMove(models.Model):
    _inherit = "account.move"

    booking_contract_id = fields.Many2one(
        "booking.payment.contract",
        string="Booking Payment Contract",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The booking this invoice or credit note bills.",
    )
    booking_payment_kind = fields.Selection(
        selection=BOOKING_KINDS, string="Booking Payment", readonly=True, copy=False,
        help="What this invoice bills in its booking: a deposit, the balance (the final invoice), a tip, a fee.",
    )
