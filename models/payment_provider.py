from odoo import models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _is_tokenization_required(self, booking_appointment_id=None, **kwargs):
        """Save the card when a booking's deposit leaves a balance to charge at checkout.

        The balance (and the tip) are charged off-session on that card, so the
        provider must tokenize the deposit payment.
        """
        if booking_appointment_id:
            appointment = self.env["booking.appointment"].sudo().browse(int(booking_appointment_id)).exists()
            contract = appointment.contract_id
            if contract and contract.currency_id.compare_amounts(contract.amount_total, contract.amount_deposit) > 0:
                return True
        return super()._is_tokenization_required(**kwargs)
