from odoo import models


class BookingAppointment(models.Model):
    """A booking's reference: the merchant's sequence, drawn in one query."""

    _inherit = "booking.appointment"

    def _get_next_reference(self, vals):
        """The next reference of the sequence ``booking.appointment`` of the booking's company.

        The booking's company is its page's (as ``company_id`` is), else the
        current one; a sequence of that company wins over a shared one, as
        with ``ir.sequence.next_by_code`` under that company.
        """
        page = self.env["booking.page"].browse(vals.get("page_id"))
        company = self.env["res.company"].browse(vals.get("company_id")) or page.company_id or self.env.company
        return self.env["ir.sequence"]._booking_next_by_code("booking.appointment", company) or "/"
