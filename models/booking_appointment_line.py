from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import BILL_EDITABLE_STATES
from ..const import MAX_AMOUNT

# Written by the reward flow only (booking.appointment._loyalty_apply_reward, sudo): what a card gets back
LOYALTY_FIELDS = frozenset({"loyalty_reward_id", "loyalty_card_id", "loyalty_points_used"})


class BookingAppointmentLine(models.Model):
    """One line of an appointment's bill: the service, an add-on product or a discount.

    The bill is what the customer owes for the visit: the payment contract's
    total, the balance, the no-show fee basis, the tip presets, the final
    invoice and the receipt all read it. Taxes are Odoo's: the product's
    customer taxes of the appointment's company, mapped by the customer's
    fiscal position, computed by ``account.tax`` exactly as a sale order or
    an invoice would, so the final invoice built from these lines has the
    same total. Staff edit the lines until checkout; after it the bill is
    what was invoiced and stays as it is.
    """

    _name = "booking.appointment.line"
    _description = "Appointment Bill Line"
    _order = "appointment_id, sequence, id"
    _check_company_auto = True

    # === IDENTITY === #
    appointment_id = fields.Many2one(
        "booking.appointment", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="appointment_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="appointment_id.currency_id")
    sequence = fields.Integer(default=10)
    line_type = fields.Selection(
        selection=[("service", "Service"), ("addon", "Add-on"), ("discount", "Discount")],
        string="Type", required=True, default="addon",
    )

    # === WHAT === #
    product_id = fields.Many2one(
        "product.product", check_company=True,
        domain="[('sale_ok', '=', True)]",
        help="Add-ons are Odoo products: their customer taxes apply and they are invoiced as such.",
    )
    name = fields.Char(string="Description", compute="_compute_name", store=True, readonly=False, required=True,
                       precompute=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure", required=True)
    price_unit = fields.Float(
        string="Unit Price", digits="Product Price", compute="_compute_price_unit", store=True, readonly=False,
        precompute=True,
    )
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", compute="_compute_tax_ids", store=True, readonly=False, precompute=True,
        check_company=True, domain="[('type_tax_use', '=', 'sale')]",
    )

    # === AMOUNTS === #
    price_subtotal = fields.Monetary(string="Subtotal", compute="_compute_amounts", store=True)
    price_tax = fields.Monetary(string="Tax", compute="_compute_amounts", store=True)
    price_total = fields.Monetary(string="Total", compute="_compute_amounts", store=True)

    # === COMPUTES === #

    @api.depends("product_id", "line_type")
    def _compute_name(self):
        for line in self:
            if line.line_type == "service" and line.appointment_id.service_id:
                line.name = line.appointment_id.service_id.name
            elif line.product_id:
                line.name = line.product_id.get_product_multiline_description_sale() or line.product_id.name
            elif not line.name:
                line.name = dict(self._fields["line_type"]._description_selection(self.env)).get(line.line_type)

    @api.depends("product_id", "line_type")
    def _compute_price_unit(self):
        for line in self:
            if line.line_type == "service":
                line.price_unit = line.appointment_id.service_id.price
            elif line.product_id:
                price = line.product_id.lst_price
                line.price_unit = -abs(price) if line.line_type == "discount" else price

    @api.depends("product_id", "appointment_id.partner_id")
    def _compute_tax_ids(self):
        for line in self:
            line.tax_ids = line._get_default_taxes()

    def _get_default_taxes(self):
        """The product's customer taxes of the appointment's company, mapped by the customer's fiscal position."""
        self.ensure_one()
        company = self.company_id or self.appointment_id.company_id
        taxes = self.product_id.taxes_id.filtered(lambda tax: tax.company_id == company)
        partner = self.appointment_id.partner_id
        fiscal_position = self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(
            partner) if partner else False
        return fiscal_position.map_tax(taxes) if fiscal_position else taxes

    def _prepare_base_line_for_taxes_computation(self, **kwargs):
        """This line for ``account.tax``'s engine, as sale order lines do."""
        self.ensure_one()
        appointment = self.appointment_id
        return self.env["account.tax"]._prepare_base_line_for_taxes_computation(self, **{
            "tax_ids": self.tax_ids,
            "quantity": self.quantity,
            "partner_id": appointment.partner_id,
            "currency_id": self.currency_id or appointment.company_id.currency_id,
            "rate": 1.0,
            **kwargs,
        })

    @api.depends("quantity", "price_unit", "tax_ids")
    def _compute_amounts(self):
        AccountTax = self.env["account.tax"]
        for line in self:
            base_line = line._prepare_base_line_for_taxes_computation()
            AccountTax._add_tax_details_in_base_line(base_line, line.company_id or line.appointment_id.company_id)
            line.price_subtotal = base_line["tax_details"]["raw_total_excluded_currency"]
            line.price_total = base_line["tax_details"]["raw_total_included_currency"]
            line.price_tax = line.price_total - line.price_subtotal

    # === CONSTRAINTS === #

    @api.constrains("line_type", "price_unit", "quantity")
    def _check_amounts(self):
        for line in self:
            if line.quantity <= 0:
                raise ValidationError(self.env._("The quantity of %(line)s must be positive.", line=line.name))
            if abs(line.price_unit) * line.quantity > MAX_AMOUNT:
                raise ValidationError(self.env._("%(line)s is too large an amount.", line=line.name))
            if line.line_type == "discount" and line.price_unit > 0:
                raise ValidationError(self.env._("A discount is a negative amount (%(line)s).", line=line.name))
            if line.line_type != "discount" and line.price_unit < 0:
                raise ValidationError(self.env._(
                    "%(line)s has a negative price: add a discount line instead.", line=line.name))

    @api.constrains("line_type", "appointment_id")
    def _check_one_service_line(self):
        for appointment in self.appointment_id:
            if len(appointment.line_ids.filtered(lambda line: line.line_type == "service")) > 1:
                raise ValidationError(self.env._("%(ref)s has one service line.", ref=appointment.name))

    @api.constrains("tax_ids", "line_type")
    def _check_service_taxes(self):
        """What the customer paid before the visit is invoiced with the service's price-included taxes."""
        for line in self.filtered(lambda line: line.line_type == "service"):
            excluded = line.tax_ids.filtered(lambda tax: not tax.price_include)
            if excluded:
                raise ValidationError(self.env._(
                    "The service line of %(ref)s has taxes added on top of the price (%(taxes)s): customers "
                    "book at the price shown, so use price-included taxes.",
                    ref=line.appointment_id.name, taxes=", ".join(excluded.mapped("name"))))

    # === CRUD === #

    def _check_editable(self, appointments):
        """The bill changes until checkout; after it, it is what was invoiced."""
        locked = appointments.filtered(lambda a: a.state not in BILL_EDITABLE_STATES)
        if locked and not self.env.context.get("booking_bill_sync"):
            raise UserError(self.env._(
                "%(ref)s is %(state)s: its bill can no longer change.",
                ref=locked[0].name, state=locked[0]._state_label()))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(LOYALTY_FIELDS & set(vals) for vals in vals_list):
            raise AccessError(self.env._("Loyalty points are spent by their customer only."))
        appointments = self.env["booking.appointment"].browse({vals["appointment_id"] for vals in vals_list})
        self._check_editable(appointments)
        lines = super().create(vals_list)
        lines.appointment_id._on_bill_changed()
        return lines

    def write(self, vals):
        if not self.env.su and LOYALTY_FIELDS & set(vals):
            # every field is writable through call_kw: a card and points on a line would be minted back
            raise AccessError(self.env._("Loyalty points are spent by their customer only."))
        self._check_editable(self.appointment_id)
        if "appointment_id" in vals:
            raise UserError(self.env._("A bill line stays on its appointment."))
        result = super().write(vals)
        self.appointment_id._on_bill_changed()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_final_bill(self):
        self._check_editable(self.appointment_id)
        if any(line.line_type == "service" for line in self) and not self.env.context.get("booking_bill_sync"):
            raise UserError(self.env._("The service line cannot be removed: change the service instead."))

    def unlink(self):
        appointments = self.appointment_id
        result = super().unlink()
        appointments.exists()._on_bill_changed()
        return result

    # === HELPERS === #

    def _get_invoice_line_values(self):
        """This line on the final invoice (same product, quantity, price and taxes: the same total)."""
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "name": self.name,
            "quantity": self.quantity,
            "price_unit": self.price_unit,
            "tax_ids": [fields.Command.set(self.tax_ids.ids)],
        }

    # === LOYALTY === #
    # A discount line bought with loyalty points (see booking.appointment,
    # loyalty): which reward, on which card, for how many points.

    loyalty_reward_id = fields.Many2one("loyalty.reward", readonly=True, ondelete="restrict", copy=False)
    loyalty_card_id = fields.Many2one("loyalty.card", readonly=True, ondelete="restrict", copy=False)
    loyalty_points_used = fields.Float(readonly=True, copy=False)

