from odoo import api, fields, models
from odoo.exceptions import ValidationError


class BookingService(models.Model):
    """Something a customer can book: how long it takes, what it costs, what
    deposit secures it and how much time it blocks around it."""

    _name = "booking.service"
    _inherit = ["website.published.mixin", "image.mixin"]
    _description = "Bookable Service"
    _order = "sequence, name, id"
    _check_company_auto = True

    # === BASICS === #
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="Shown to customers on the booking page.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)

    # === TIME === #
    duration_minutes = fields.Integer(string="Duration (minutes)", required=True, default=60)
    buffer_before_minutes = fields.Integer(
        string="Buffer Before (minutes)",
        help="Preparation time blocked before each appointment (set-up, travel).",
    )
    buffer_after_minutes = fields.Integer(
        string="Buffer After (minutes)",
        help="Time blocked after each appointment (cleaning, notes, travel).",
    )

    # === MONEY === #
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(currency_field="currency_id")
    product_id = fields.Many2one(
        "product.product",
        string="Invoicing Product",
        check_company=True,
        domain="[('type', '=', 'service')]",
        help="Service product used on the invoices of this service's appointments.",
    )
    deposit_type = fields.Selection(
        selection=[("none", "No deposit"), ("percent", "Percentage of the price"), ("fixed", "Fixed amount")],
        string="Deposit",
        required=True,
        default="none",
    )
    deposit_value = fields.Float()
    deposit_amount = fields.Monetary(compute="_compute_deposit_amount", currency_field="currency_id")

    # === RULES === #
    requires_approval = fields.Boolean(
        help="Bookings wait for a merchant's approval, unless their page skips approvals (its form lists the "
             "services it confirms without one).",
    )
    location = fields.Selection(
        selection=[("business", "At the business"), ("customer", "At the customer's address")],
        default="business", required=True,
        help="At the customer's address: customers give their address when booking, and each provider's "
             "travel time is reserved before the job.",
    )
    receptionist_keywords = fields.Char(
        string="Customers Also Say",
        help="Other words customers use for this service, comma-separated (\"grass, mow, lawn\"): the "
             "receptionist recognises them in a conversation.",
    )

    # === RELATIONS === #
    provider_ids = fields.Many2many(
        "booking.provider",
        "booking_provider_service_rel",
        "service_id",
        "provider_id",
        string="Providers",
        check_company=True,
    )
    page_ids = fields.Many2many(
        "booking.page", "booking_page_service_rel", "service_id", "page_id", string="Pages", check_company=True
    )

    # === DEPENDANTS AND FOLLOW-UPS === #
    for_dependant = fields.Boolean(
        string="For a Pet, Child...",
        help="Booked for one of the customer's dependants (a pet, a child...): customers choose which one, and "
             "guests sign in first.")
    dependant_kind_pet = fields.Boolean(string="Pets", default=True)
    dependant_kind_child = fields.Boolean(string="Children")
    dependant_kind_other = fields.Boolean(string="Others")
    dependant_multi = fields.Boolean(
        string="Several in One Booking",
        help="One booking may cover several dependants (two dogs groomed in a row): the duration adds up per "
             "dependant. Otherwise each dependant gets a booking of their own.")
    dependant_max = fields.Integer(string="At Most", default=3,
                                   help="How many dependants one booking may cover.")
    price_per_dependant = fields.Boolean(
        string="Price per Dependant",
        help="One booking for several dependants costs the price once for each (a nail clip for two pets: twice "
             "the price, as it takes twice as long); otherwise one price for the booking.")
    rebook_after_days = fields.Integer(
        string="Rebook After (days)",
        help="When the next visit is due after a visit (42 for grooming every 6 weeks): the customer gets a "
             "reminder with a one-tap link to book again, once, unless they booked this service since. "
             "0: no reminder.")

    # === COMPUTES === #

    @api.depends("price", "deposit_type", "deposit_value", "currency_id")
    def _compute_deposit_amount(self):
        for service in self:
            service.deposit_amount = service._get_deposit_amount()

    # === CONSTRAINTS === #

    @api.constrains("duration_minutes", "buffer_before_minutes", "buffer_after_minutes")
    def _check_durations(self):
        for service in self:
            if not 0 < service.duration_minutes <= 24 * 60:
                raise ValidationError(
                    self.env._("The duration of %(service)s must lie between 1 minute and 24 hours.",
                               service=service.name)
                )
            if service.buffer_before_minutes < 0 or service.buffer_after_minutes < 0:
                raise ValidationError(self.env._("Buffers cannot be negative."))

    @api.constrains("price", "deposit_type", "deposit_value")
    def _check_deposit(self):
        for service in self:
            if service.price < 0:
                raise ValidationError(self.env._("A price cannot be negative."))
            if service.deposit_type == "none":
                continue
            if service.deposit_value <= 0:
                raise ValidationError(self.env._("A deposit must be positive."))
            if service.deposit_type == "percent" and service.deposit_value > 100:
                raise ValidationError(self.env._("A deposit cannot exceed 100% of the price."))
            if service.deposit_type == "fixed" and service.currency_id.compare_amounts(
                service.deposit_value, service.price
            ) > 0:
                raise ValidationError(
                    self.env._("The deposit of %(service)s is larger than its price.", service=service.name)
                )

    @api.constrains("product_id")
    def _check_product_taxes(self):
        """Invoices of bookings must add up to what customers paid: taxes must be price-included."""
        for service in self:
            excluded = service.product_id.taxes_id.filtered(
                lambda tax, company=service.company_id: tax.company_id == company and not tax.price_include)
            if excluded:
                raise ValidationError(self.env._(
                    "The invoicing product of %(service)s has taxes added on top of the price (%(taxes)s). "
                    "Customers pay the price shown, so use price-included taxes.",
                    service=service.name, taxes=", ".join(excluded.mapped("name")),
                ))

    # === BUSINESS METHODS === #

    def _get_product(self):
        """The product this service is billed and invoiced as."""
        self.ensure_one()
        return self.product_id or self.env.ref("self_serve_booking.product_booking_service")

    def _get_deposit_amount(self, price=None):
        """The deposit for ``price`` (default: the service price), rounded in the currency."""
        self.ensure_one()
        price = self.price if price is None else price
        if self.deposit_type == "percent":
            return self.currency_id.round(price * self.deposit_value / 100.0)
        if self.deposit_type == "fixed":
            return self.currency_id.round(min(self.deposit_value, price))
        return 0.0

    # === SERIES === #

    allow_series = fields.Boolean(
        string="Recurring Bookings Online",
        help="Customers may book this service as a series (every N weeks, a number of times or until a date) "
        "on the website, the portal and the API. Staff may book series of any service.")

    # === DEPENDANTS === #

    @api.constrains("for_dependant", "dependant_kind_pet", "dependant_kind_child", "dependant_kind_other",
                    "dependant_multi", "dependant_max", "rebook_after_days")
    def _check_dependant_rules(self):
        for service in self:
            if service.for_dependant and not service._dependant_kinds():
                raise ValidationError(self.env._(
                    "%(service)s is for a dependant: tick the kinds it is for (pets, children, others).",
                    service=service.name))
            if service.dependant_multi and not 2 <= service.dependant_max <= 10:
                raise ValidationError(self.env._("One booking covers from 2 to 10 dependants."))
            if not 0 <= service.rebook_after_days <= 3 * 366:
                raise ValidationError(self.env._("The next visit is due between 1 day and 3 years later."))

    def _dependant_kinds(self):
        """The kinds of dependant this service is for (``pet``, ``child``, ``other``)."""
        self.ensure_one()
        return [kind for kind, flag in (("pet", self.dependant_kind_pet), ("child", self.dependant_kind_child),
                                        ("other", self.dependant_kind_other)) if flag]

    def _max_dependants(self):
        """How many dependants one booking of this service may cover."""
        self.ensure_one()
        if not self.for_dependant:
            return 0
        return self.dependant_max if self.dependant_multi else 1

    def _duration_for(self, count):
        """The duration of one booking covering ``count`` dependants: it adds up per dependant."""
        self.ensure_one()
        return self.duration_minutes * max(1, count or 1)
