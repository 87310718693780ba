from odoo import api, models
from odoo.exceptions import ValidationError


class ResourceCalendarLeaves(models.Model):
    """Time off of a provider never hides a booking: the bookings in it are moved or cancelled first.

    The provider's "Block Time" (``booking.time.off``) lists them and moves or
    cancels each through the booking's own paths, then saves the time off;
    any other way of saving time off over a booking (the time-off list,
    another app, RPC) is refused with the way to do it, instead of saving
    silently and leaving the booking with a provider who is away.
    """

    _inherit = "resource.calendar.leaves"

    @api.constrains("resource_id", "calendar_id", "date_from", "date_to", "time_type")
    def _check_booking_conflicts(self):
        leaves = self.filtered(lambda leave: leave.resource_id and leave.time_type == "leave")
        if not leaves:
            return
        providers = self.env["booking.provider"].sudo().with_context(active_test=False).search(
            [("resource_id", "in", leaves.resource_id.ids)])
        for leave in leaves:
            for provider in providers.filtered(lambda p, leave=leave: p.resource_id == leave.resource_id):
                if leave.calendar_id and leave.calendar_id != provider.resource_calendar_id:
                    continue  # time off of another calendar: not this provider's working time
                conflicts = provider._get_time_off_conflicts(leave.date_from, leave.date_to)
                if conflicts:
                    raise ValidationError(self.env._(
                        "%(provider)s has %(count)s booking(s) in this time off (%(first)s...). Use Block Time on "
                        "the provider to move or cancel them first, so their customers are told.",
                        provider=provider.name, count=len(conflicts),
                        first=conflicts[0]._format_local(conflicts[0].start)))
