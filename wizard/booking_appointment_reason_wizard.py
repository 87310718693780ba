from odoo import fields, models


class BookingAppointmentReasonWizard(models.TransientModel):
    """Ask staff why they decline or cancel, so the customer and the chatter know."""

    _name = "booking.appointment.reason.wizard"
    _description = "Decline or Cancel Appointments"

    appointment_ids = fields.Many2many("booking.appointment", required=True)
    action = fields.Selection(selection=[("decline", "Decline"), ("cancel", "Cancel")], required=True)
    reason = fields.Text()

    def action_apply(self):
        self.ensure_one()
        reason = (self.reason or "").strip() or None
        if self.action == "decline":
            self.appointment_ids.action_decline(reason=reason)
        else:
            self.appointment_ids.action_cancel(reason=reason, cancelled_by="merchant")
        return {"type": "ir.actions.act_window_close"}
