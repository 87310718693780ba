from odoo import fields, models


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
