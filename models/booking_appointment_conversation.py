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
        if self.source in ("sms", "chat"):
            # every change: the conversation decides what it means (closed, reopened, told) whoever made it
            self.env["booking.conversation"].sudo().search([("appointment_id", "=", self.id)]) \
                ._on_booking_state_changed(self, old_state)
        return result
