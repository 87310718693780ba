from odoo import fields, models

from .payment_transaction import BOOKING_KINDS


class AccountPayment(models.Model):
    """Payments at the counter (cash, card terminal, bank transfer) of a booking.

    Online payments have their ``payment.transaction``; these are the money
    the desk takes or gives back by hand, recorded in a journal as any Odoo
    payment and reconciled with the booking's invoices and credit notes.
    """

    _inherit = "account.payment"

    booking_contract_id = fields.Many2one(
        "booking.payment.contract", string="Booking Payment Contract", index="btree_not_null", readonly=True,
        copy=False, help="The booking this payment was made for.",
    )
    booking_payment_kind = fields.Selection(
        selection=BOOKING_KINDS, string="Booking Payment", readonly=True, copy=False,
        help="What this payment pays for in its booking, or a refund.",
    )
    booking_refunded_payment_id = fields.Many2one(
        "account.payment", string="Refund Of", readonly=True, copy=False, index="btree_not_null",
        help="The counter payment this one gives money back from.",
    )
