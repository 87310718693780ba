import json

from odoo import fields, models


class BookingNotification(models.Model):
    """An "on my way" is about the present: late (the arrival time passed) or no longer true, it is not sent."""

    _inherit = "booking.notification"

    def _is_outdated(self):
        if self.event != "on_my_way":
            return super()._is_outdated()
        appointment = self._record().sudo()
        eta = json.loads(self.values or "{}").get("eta")
        return not appointment or appointment.state != "confirmed" or not eta \
            or fields.Datetime.now() > fields.Datetime.to_datetime(eta)
