from odoo import fields, models
from odoo.exceptions import UserError


class BookingAppointment(models.Model):
    """Occurrences of a recurring series (``booking.series``): cancelled "this and following", and an
    occurrence released unpaid is told to the customer (the series' rules decide, see ``booking.series``)."""

    _inherit = "booking.appointment"

    series_id = fields.Many2one("booking.series", ondelete="set null", index="btree_not_null", readonly=True,
                                copy=False)

    # === HOOKS === #

    def _on_state_changed(self, old_state):
        """An occurrence whose hold expired unpaid: the customer is told which visits of the series lapsed."""
        result = super()._on_state_changed(old_state)
        if self.series_id and old_state == "pending_payment" and self.state == "expired":
            self.series_id.sudo()._tell_lapse()
        return result

    # === CANCEL THIS AND FOLLOWING === #

    def _can_cancel_series_following(self):
        """Whether this occurrence and the following ones may be cancelled together (see ``booking.series``)."""
        self.ensure_one()
        return self.env["booking.series"]._can_cancel_from(self)

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
