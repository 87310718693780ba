from odoo import api, fields, models
from odoo.exceptions import UserError


class BookingSetupPayment(models.TransientModel):
    """Payments: deposits need a payment provider; without one, the deposits go and customers pay at the visit.

    A service's deposit is paid online when booking, through a payment
    provider of the company (Stripe, or any provider that saves cards, see
    the README). Connecting one is an administrator's task (Odoo's Stripe
    onboarding, or the providers' list); a merchant without one chooses to
    take no deposits, and the form says which services lose theirs.
    """

    _name = "booking.setup.payment"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Payments"
    _setup_step = "payment"

    provider_names = fields.Char(string="Online Payments With", compute="_compute_provider_names")
    deposit_service_ids = fields.Many2many("booking.service", string="Services With a Deposit",
                                           compute="_compute_deposit_service_ids")
    is_admin = fields.Boolean(compute="_compute_is_admin")
    choice = fields.Selection(
        selection=[("provider", "Take deposits online: connect a payment provider"),
                   ("visit", "Take no deposits: customers pay at the visit")],
        string="Deposits", required=True, default="provider")

    # === COMPUTES === #

    @api.depends("company_id")
    def _compute_provider_names(self):
        for wizard in self:
            # payment providers are the administrator's to read: their names only, for the company's managers
            wizard.provider_names = ", ".join(wizard._online_providers().mapped("name"))

    @api.depends("page_id")
    def _compute_deposit_service_ids(self):
        for wizard in self:
            wizard.deposit_service_ids = wizard.page_id.service_ids.filtered(
                lambda service: service.deposit_type != "none")

    def _compute_is_admin(self):
        self.is_admin = self.env.is_admin()

    def _online_providers(self):
        self.ensure_one()
        Provider = self.env["payment.provider"].sudo()
        return Provider.search([
            *Provider._check_company_domain(self.company_id),
            ("state", "in", ("enabled", "test")), ("is_published", "=", True),
        ])

    # === ACTIONS === #

    def action_connect_stripe(self):
        """Odoo's own Stripe onboarding (an administrator's: it installs and configures the provider)."""
        self.ensure_one()
        if not self.env.is_admin():
            raise UserError(self.env._("Only an administrator connects a payment provider."))
        menu = self.env.ref("account_payment.payment_provider_menu", raise_if_not_found=False)
        return self.env.company._run_payment_onboarding_step(menu.id if menu else None)

    def action_open_providers(self):
        self.ensure_one()
        if not self.env.is_admin():
            raise UserError(self.env._("Only an administrator connects a payment provider."))
        return self.env["ir.actions.actions"]._for_xml_id("payment.action_payment_provider")

    def _apply(self):
        deposits = self.deposit_service_ids
        if not deposits or self._online_providers():
            return
        if self.choice == "visit":
            deposits.write({"deposit_type": "none", "deposit_value": 0.0})
            return
        raise UserError(self.env._(
            "%(services)s ask for a deposit, and no payment provider takes it yet. Connect one first, or take no "
            "deposits: customers then pay at the visit.", services=", ".join(deposits.mapped("name"))))
