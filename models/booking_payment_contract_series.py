from odoo import models

from ..const import PAYMENT_IN_FLIGHT_STATES


class BookingPaymentContract(models.Model):
    """A visit of a series whose deposit is paid by the series' one payment (``payment_transaction_series.py``).

    Until that payment is done and split, no transaction of the visit's own
    contract says its deposit is on its way: the series payment does, for
    every visit it names, so that no hold is released while the customer is
    paying (the hold job, a new booking taking an expired hold).
    """

    _inherit = "booking.payment.contract"

    def _has_deposit_in_flight(self):
        return super()._has_deposit_in_flight() or bool(self._series_payments_in_flight())

    def _series_payments_in_flight(self):
        """The series payments on their way that name these contracts' deposits.

        Pending or authorized; done but not yet split (its parts are then
        these contracts' own transactions). A card check pays nothing.
        """
        series = self.appointment_id.series_id
        if not series:
            return self.env["payment.transaction"]
        payments = self.env["payment.transaction"].sudo().search([
            ("booking_series_id", "in", series.ids), ("source_transaction_id", "=", False),
            ("booking_contract_ids", "=", False), ("operation", "!=", "validation"),
            ("state", "in", PAYMENT_IN_FLIGHT_STATES),
        ])
        names = {str(contract_id) for contract_id in self.ids}
        return payments.filtered(
            lambda tx: (tx.state != "done" or not tx.is_post_processed)
            and names & set(tx.booking_deposit_shares or {}))
