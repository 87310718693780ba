from odoo import fields, models


class BookingAppointment(models.Model):
    """Bookings made in a conversation with the receptionist (SMS, live chat): the conversation follows them."""

    _inherit = "booking.appointment"

    source = fields.Selection(
        selection_add=[("sms", "SMS receptionist"), ("chat", "Chat receptionist")],
        ondelete={"sms": "set default", "chat": "set default"},
    )

    def _on_state_changed(self, old_state):
        result = super()._on_state_changed(old_state)
        if self.source in ("sms", "chat") and old_state == "pending":
            # a request made in a conversation: its answer (or the lack of one) is told there too
            event = {"confirmed": "approved", "rejected": "declined", "expired": "expired"}.get(self.state)
            if event:
                self.env["booking.conversation"].sudo().search([("appointment_id", "=", self.id)]) \
                    ._tell_request_update(self, event)
        return result
