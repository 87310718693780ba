from odoo import fields, models

from ..const import TIME_HOLDING_STATES


class BookingAppointment(models.Model):
    """The waitlist: time that comes free is offered to who waits for it; an offer is held for its taker."""

    _inherit = "booking.appointment"

    source = fields.Selection(selection_add=[("waitlist", "Waitlist")], ondelete={"waitlist": "set default"})
    waitlist_id = fields.Many2one(
        "booking.waitlist",
        string="From Waitlist Entry",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The waitlist entry this time was offered to (held until the offer's deadline).",
    )

    # === HOOKS === #

    def _on_state_changed(self, old_state):
        result = super()._on_state_changed(old_state)
        offer = self.waitlist_id.sudo()
        if old_state == "pending_payment" and offer.state == "offered":
            if self.state == "expired":
                offer._action_expire_offer()  # passes to the next customer in line
            elif self.state in ("pending", "confirmed"):
                offer._action_offer_taken(self)
        if old_state in TIME_HOLDING_STATES and self.state not in TIME_HOLDING_STATES:
            self._offer_freed_time_to_waitlist()
        return result

    def _on_moved(self, old_start, old_provider):
        result = super()._on_moved(old_start, old_provider)
        self._offer_freed_time_to_waitlist()
        return result

    def _offer_freed_time_to_waitlist(self):
        """Time came free here: let the waitlist scheduler offer it, soon, if anybody waits for it."""
        pages = self.page_id
        if pages and self.env["booking.waitlist"].sudo().search_count(
                [("page_id", "in", pages.ids), ("state", "=", "waiting")], limit=1):
            self.env.ref("self_serve_booking.ir_cron_waitlist_offers").sudo()._trigger()
