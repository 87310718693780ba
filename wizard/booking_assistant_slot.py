from odoo import fields, models


class BookingAssistantSlot(models.TransientModel):
    """A free time proposed by the booking assistant, bookable in one click."""

    _name = "booking.assistant.slot"
    _description = "Booking Assistant Slot"
    _order = "start, sequence"

    wizard_id = fields.Many2one("booking.assistant", required=True, ondelete="cascade")
    sequence = fields.Integer()
    start = fields.Datetime(required=True)
    stop = fields.Datetime(required=True)
    provider_id = fields.Many2one("booking.provider", required=True)
    label = fields.Char(string="Time", help="Start and end in the page's time zone.")

    def action_book(self):
        self.ensure_one()
        appointment = self.wizard_id._book(self.start, self.provider_id)
        return self.wizard_id._open_appointment(appointment)
