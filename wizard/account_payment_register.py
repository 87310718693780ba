from odoo import models


class AccountPaymentRegister(models.TransientModel):
    """Odoo's "Register Payment" on a booking's invoice counts as a payment at the counter.

    Staff working from Accounting (the final invoice, a deposit invoice)
    register payments there as usual; the booking then knows about the money
    as if it had been taken from its checkout screen.
    """

    _inherit = "account.payment.register"

    def _create_payments(self):
        payments = super()._create_payments()
        if self.env.context.get("booking_counter_payment"):
            return payments  # the booking registers and tags its own payments
        for payment in payments.filtered(lambda p: p.payment_type == "inbound" and not p.booking_contract_id):
            invoices = payment.reconciled_invoice_ids.filtered("booking_contract_id")
            contract = invoices.booking_contract_id[:1]
            if contract:
                payment.sudo().write({"booking_contract_id": contract.id,
                                      "booking_payment_kind": invoices[:1].booking_payment_kind or "balance"})
                contract.sudo()._on_counter_payment(payment)
        return payments
