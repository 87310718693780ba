from odoo import api, fields, models
from odoo.exceptions import UserError


class BookingAssistant(models.TransientModel):
    """The day sheet's way into the booking assistant: a time chosen by clicking a free gap.

    The day sheet opens the assistant with the page, the provider, the day
    and the time of the click; staff choose the service and the customer
    and book. The booking is made by the assistant's own ``_book``, so it
    goes through the same create path as every staff booking (working time,
    the exclusion constraint, the customer's messages).
    """

    _inherit = "booking.assistant"

    start = fields.Datetime(
        string="Time",
        help="The time chosen on the day sheet: Book books it with the provider chosen.",
    )
    start_label = fields.Char(
        string="Chosen Time", compute="_compute_start_label",
        help="The time chosen on the day sheet, where the business is (the page's time zone).",
    )

    @api.depends("start", "page_id")
    def _compute_start_label(self):
        """The chosen time as the page reads it: the user's browser may be in another time zone."""
        for wizard in self:
            wizard.start_label = wizard.page_id._format_when(wizard.start, style="short") \
                if wizard.start and wizard.page_id else False

    @api.depends("page_id", "service_id", "provider_id", "start")
    def _compute_allowed(self):
        """A time chosen for a provider: only the services that provider delivers are offered.

        Compared by origin: in an onchange both sides are new-record copies.
        """
        result = super()._compute_allowed()
        for wizard in self.filtered(lambda w: w.start and w.provider_id):
            delivered = set(wizard.provider_id._origin.service_ids.ids)
            wizard.allowed_service_ids = self.env["booking.service"].browse(
                [service._origin.id for service in wizard.allowed_service_ids if service._origin.id in delivered])
        return result

    @api.onchange("date")
    def _onchange_date_drops_start(self):
        """Another day than the chosen time's: the time no longer holds (the free times can be listed)."""
        if self.start and self.page_id and self.date \
                and self.env["booking.availability"]._local_date(self.page_id, self.start) != self.date:
            self.start = False

    def action_book_start(self):
        """Book the chosen time with the chosen provider, then close (the day sheet shows the booking)."""
        self.ensure_one()
        if not self.start:
            raise UserError(self.env._("Choose a time first."))
        if not self.provider_id:
            raise UserError(self.env._("Choose the provider first."))
        self._book(self.start, self.provider_id)
        return {"type": "ir.actions.act_window_close"}
