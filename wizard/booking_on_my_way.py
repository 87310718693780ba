from odoo import api, fields, models

from ..models.booking_appointment_on_my_way import ON_MY_WAY_CHOICES


class BookingOnMyWay(models.TransientModel):
    """The appointment form's "On My Way": the provider picks the arrival estimate, the customer is texted.

    It acts through ``booking.appointment.action_on_my_way``, so its rules
    (staff of the booking's company, on the day, once every few minutes)
    hold whoever opens it.
    """

    _name = "booking.on.my.way"
    _description = "On My Way"

    appointment_id = fields.Many2one("booking.appointment", required=True, readonly=True, ondelete="cascade")
    minutes = fields.Selection(selection=[(str(m), f"{m} min") for m in ON_MY_WAY_CHOICES],
                               string="Arriving In", required=True, compute="_compute_minutes", store=True,
                               readonly=False)

    @api.depends("appointment_id")
    def _compute_minutes(self):
        """The choice nearest the default estimate: the drive reserved for the job, else the time left."""
        for wizard in self:
            estimate = wizard.appointment_id._on_my_way_default_minutes() if wizard.appointment_id else 20
            wizard.minutes = str(min(ON_MY_WAY_CHOICES, key=lambda choice, e=estimate: abs(choice - e)))

    def action_send(self):
        self.ensure_one()
        self.appointment_id.action_on_my_way(minutes=int(self.minutes))
        return {"type": "ir.actions.act_window_close"}
