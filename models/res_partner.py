from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    booking_appointment_ids = fields.One2many("booking.appointment", "partner_id", string="Appointments")
    booking_appointment_count = fields.Integer(
        compute="_compute_booking_appointment_count", groups="self_serve_booking.group_booking_user"
    )

    def _compute_booking_appointment_count(self):
        counts = dict(
            self.env["booking.appointment"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.booking_appointment_count = counts.get(partner, 0)

    def action_view_booking_appointments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("self_serve_booking.booking_appointment_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
