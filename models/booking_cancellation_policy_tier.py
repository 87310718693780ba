from odoo import api, fields, models
from odoo.exceptions import ValidationError


class BookingCancellationPolicyTier(models.Model):
    """One step of a refund schedule: at least N hours of notice refunds P %."""

    _name = "booking.cancellation.policy.tier"
    _description = "Booking Cancellation Policy Tier"
    _order = "policy_id, min_notice_hours desc"

    policy_id = fields.Many2one("booking.cancellation.policy", required=True, ondelete="cascade", index=True)
    min_notice_hours = fields.Float(
        string="Notice (hours)",
        required=True,
        help="Applies to cancellations made at least this many hours before the start.",
    )
    refund_percent = fields.Float(string="Refund (%)", required=True)

    _sql_constraints = [
        (
            "notice_unique",
            "UNIQUE(policy_id, min_notice_hours)",
            "Each notice threshold may appear only once per policy.",
        ),
    ]

    @api.constrains("min_notice_hours", "refund_percent")
    def _check_values(self):
        for tier in self:
            if tier.min_notice_hours < 0:
                raise ValidationError(self.env._("The notice of a refund tier cannot be negative."))
            if not 0 <= tier.refund_percent <= 100:
                raise ValidationError(self.env._("A refund percentage lies between 0 and 100."))
