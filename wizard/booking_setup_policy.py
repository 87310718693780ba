from odoo import Command, api, fields, models

# refund tiers of each kind of policy: (hours of notice at least, refund %)
POLICY_TIERS = {
    "flexible": [(0.0, 100.0)],
    "standard": [(24.0, 100.0), (2.0, 50.0), (0.0, 0.0)],
    "strict": [(48.0, 100.0), (0.0, 0.0)],
}


class BookingSetupPolicy(models.TransientModel):
    """Cancellations and no-shows: a kind of policy, how late customers may cancel or move online, a no-show fee.

    The page gets a policy of its own (the shared default one is never
    changed); its refunds and limits are what customers read on the page.
    """

    _name = "booking.setup.policy"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Cancellation Policy"
    _setup_step = "policy"

    kind = fields.Selection(
        selection=[
            ("flexible", "Flexible: the deposit back whenever they cancel"),
            ("standard", "Standard: all back up to 24 h before, half up to 2 h before"),
            ("strict", "Strict: all back up to 48 h before, nothing later"),
        ],
        string="Refunds", required=True, default=lambda self: self._current_kind(),
    )
    cancel_limit_hours = fields.Float(
        string="Cancel Online Until", default=lambda self: self._current_policy().cancel_limit_hours or 0.0,
        help="Hours before the start; 0: until the start. Later, customers call you.")
    reschedule_limit_hours = fields.Float(
        string="Move Online Until", default=lambda self: self._current_policy().reschedule_limit_hours or 2.0,
        help="Hours before the start; 0: until the start.")
    no_show_fee_type = fields.Selection(
        selection=[("none", "No fee"), ("percent", "Percentage of the price"), ("fixed", "Fixed amount")],
        string="No-show Fee", required=True, default=lambda self: self._current_policy().no_show_fee_type or "none")
    no_show_fee_value = fields.Float(
        string="Fee", default=lambda self: self._current_policy().no_show_fee_value)
    summary = fields.Text(string="Customers Read", compute="_compute_summary")

    # === DEFAULTS: the page's policy === #

    @api.model
    def _current_policy(self):
        return self.env["booking.page"]._booking_setup_page().cancellation_policy_id

    @api.model
    def _current_kind(self):
        tiers = sorted(((t.min_notice_hours, t.refund_percent) for t in self._current_policy().tier_ids), reverse=True)
        return next((kind for kind, kind_tiers in POLICY_TIERS.items() if kind_tiers == tiers), "standard")

    @api.depends("kind")
    def _compute_summary(self):
        Policy = self.env["booking.cancellation.policy"]
        for wizard in self:
            policy = Policy.new({"name": "preview", "tier_ids": wizard._tier_commands()})
            wizard.summary = "\n".join(policy._get_tier_summary())

    def _tier_commands(self):
        self.ensure_one()
        return [Command.create({"min_notice_hours": hours, "refund_percent": percent})
                for hours, percent in POLICY_TIERS.get(self.kind) or []]

    # === APPLY === #

    def _apply(self):
        page = self._get_page()
        names = {"flexible": self.env._("Flexible"), "standard": self.env._("Standard"),
                 "strict": self.env._("Strict")}
        vals = {
            "name": names[self.kind],
            "cancel_limit_hours": self.cancel_limit_hours,
            "reschedule_limit_hours": self.reschedule_limit_hours,
            "no_show_fee_type": self.no_show_fee_type,
            "no_show_fee_value": self.no_show_fee_value if self.no_show_fee_type != "none" else 0.0,
        }
        policy = page.cancellation_policy_id
        if policy and policy.company_id == page.company_id and not self.env["booking.page"].with_context(
                active_test=False).search_count([("cancellation_policy_id", "=", policy.id), ("id", "!=", page.id)],
                                                limit=1):
            policy.tier_ids.unlink()
            policy.write({**vals, "tier_ids": self._tier_commands()})
        else:  # the shared default, or another page's: the page gets one of its own
            page.cancellation_policy_id = self.env["booking.cancellation.policy"].create({
                **vals, "company_id": page.company_id.id, "tier_ids": self._tier_commands()})
