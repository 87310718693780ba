from odoo import fields, models
from odoo.exceptions import UserError


class BookingAppointment(models.Model):
    """Occurrences of a recurring series (``booking.series``), cancelled "this and following"."""

    _inherit = "booking.appointment"

    series_id = fields.Many2one("booking.series", ondelete="set null", index="btree_not_null", readonly=True,
                                copy=False)

    def _customer_cancel_series(self, reason=None):
        """The customer cancels this occurrence and all following ones, each under the policy."""
        self.ensure_one()
        if not self.series_id:
            return self._customer_cancel(reason)
        return self.series_id._cancel_from(self, reason=reason, by_customer=True)

    def action_cancel_series_following(self):
        """Staff: cancel this occurrence and all following ones (refunded in full, as any merchant cancellation)."""
        self.ensure_one()
        if not self.series_id:
            raise UserError(self.env._("%(ref)s is not part of a series.", ref=self.name))
        self.series_id._cancel_from(self, by_customer=False)
        return True
