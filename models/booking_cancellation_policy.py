from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_round


class BookingCancellationPolicy(models.Model):
    """What a customer gets back when cancelling, and when they no longer can.

    Tiers give a refund percentage of the deposit by hours of notice; the
    limits say how late a customer may still cancel or reschedule on their
    own; the no-show fee is what a missed appointment costs.
    """

    _name = "booking.cancellation.policy"
    _description = "Booking Cancellation Policy"
    _order = "sequence, id"

    # === BASICS === #
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share the policy between companies.",
    )
    description = fields.Html(
        translate=True,
        help="Shown to customers on the booking page and in the portal, next to the refund the policy gives.",
    )

    # === REFUNDS === #
    tier_ids = fields.One2many(
        "booking.cancellation.policy.tier",
        "policy_id",
        string="Refund Tiers",
        copy=True,
    )

    # === SELF-SERVICE LIMITS === #
    cancel_limit_hours = fields.Float(
        string="Cancel Until (hours before)",
        default=0.0,
        help="Customers may cancel on their own until this many hours before the start. 0: until the start.",
    )
    reschedule_limit_hours = fields.Float(
        string="Reschedule Until (hours before)",
        default=2.0,
        help="Customers may move their booking on their own until this many hours before the start.",
    )

    # === NO-SHOWS === #
    no_show_grace_minutes = fields.Integer(
        string="No-show Grace (minutes)",
        default=15,
        help="An appointment not checked in this long after its end is marked as a no-show.",
    )
    no_show_fee_type = fields.Selection(
        selection=[("none", "No fee"), ("percent", "Percentage of the price"), ("fixed", "Fixed amount")],
        string="No-show Fee",
        default="none",
        required=True,
    )
    no_show_fee_value = fields.Float(string="No-show Fee Value")
    # a fixed fee is in the booking's currency: the company's (the current one for a shared policy)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    no_show_risk_count = fields.Integer(
        string="At Risk After (no-shows)", default=0,
        help="A customer with this many no-shows in the period below is at risk when booking online. 0: never.")
    no_show_risk_months = fields.Integer(string="Within (months)", default=12)
    no_show_risk_action = fields.Selection(
        selection=[("prepay", "Pay the full price when booking"), ("call", "Call to book")],
        string="At-risk Customers", default="prepay", required=True,
        help="What a customer at risk is asked to do when booking online.")

    # === COMPUTES === #

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_currency_id(self):
        for policy in self:
            policy.currency_id = (policy.company_id or self.env.company).currency_id

    # === CONSTRAINTS === #

    @api.constrains("no_show_risk_count", "no_show_risk_months")
    def _check_no_show_risk(self):
        for policy in self:
            if policy.no_show_risk_count < 0 or (policy.no_show_risk_count and policy.no_show_risk_months < 1):
                raise ValidationError(self.env._("Count no-shows over at least one month (0 no-shows: never)."))

    def _get_no_show_risk(self, partner):
        """Whether ``partner`` is at risk for this policy: ``(at risk, no-shows counted)``.

        Staff may have set the customer at risk or trusted by hand; otherwise
        the customer's no-shows within the period (with this company, any
        contact of theirs) decide.
        """
        self.ensure_one()
        commercial = partner.sudo().commercial_partner_id
        if commercial.booking_no_show_flag == "at_risk":
            return True, None
        if commercial.booking_no_show_flag == "trusted" or not self.no_show_risk_count:
            return False, None
        since = fields.Datetime.now() - relativedelta(months=self.no_show_risk_months)
        count = self.env["booking.appointment"].sudo().search_count([
            ("partner_id", "child_of", commercial.id), ("state", "=", "no_show"), ("start", ">=", since),
            ("company_id", "=", self.company_id.id or self.env.company.id)])
        return count >= self.no_show_risk_count, count

    @api.constrains("cancel_limit_hours", "reschedule_limit_hours", "no_show_grace_minutes")
    def _check_limits(self):
        for policy in self:
            if min(policy.cancel_limit_hours, policy.reschedule_limit_hours, policy.no_show_grace_minutes) < 0:
                raise ValidationError(self.env._("Limits and the no-show grace period cannot be negative."))

    @api.constrains("no_show_fee_type", "no_show_fee_value")
    def _check_no_show_fee(self):
        for policy in self:
            if policy.no_show_fee_type == "none":
                continue
            if policy.no_show_fee_value <= 0:
                raise ValidationError(self.env._("A no-show fee must be positive."))
            if policy.no_show_fee_type == "percent" and policy.no_show_fee_value > 100:
                raise ValidationError(self.env._("A no-show fee cannot exceed 100% of the price."))

    # === BUSINESS METHODS === #

    def _get_refund_percent(self, notice_hours):
        """Refund percentage for a cancellation ``notice_hours`` before the start.

        The tier with the largest threshold not above the notice applies;
        without any matching tier nothing is refunded.
        """
        self.ensure_one()
        eligible = self.tier_ids.filtered(lambda t: t.min_notice_hours <= notice_hours)
        if not eligible:
            return 0.0
        return max(eligible, key=lambda t: t.min_notice_hours).refund_percent

    def _get_no_show_fee(self, price, currency):
        """The fee a no-show costs for an appointment of ``price``."""
        self.ensure_one()
        if self.no_show_fee_type == "percent":
            return currency.round(price * self.no_show_fee_value / 100.0)
        if self.no_show_fee_type == "fixed":
            return currency.round(min(self.no_show_fee_value, price))
        return 0.0

    def _get_tier_summary(self):
        """Human-readable tiers, largest notice first, for pages and e-mails."""
        self.ensure_one()
        lines = []
        for tier in self.tier_ids.sorted("min_notice_hours", reverse=True):
            hours = float_round(tier.min_notice_hours, precision_digits=2)
            hours_text = f"{hours:g}"
            percent = f"{tier.refund_percent:g}"
            if tier.min_notice_hours:
                lines.append(
                    self.env._(
                        "%(percent)s%% refunded with at least %(hours)s hours' notice",
                        percent=percent,
                        hours=hours_text,
                    )
                )
            else:
                lines.append(self.env._("%(percent)s%% refunded with less notice", percent=percent))
        return lines
