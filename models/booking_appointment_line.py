import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import BILL_EDITABLE_STATES
from ..const import MAX_AMOUNT

# A discount as people type it: "10%", "10 %", "5", "-5", "5.50", "5,50"
DISCOUNT_RE = re.compile(r"^-?\s*(?P<number>\d+(?:[.,]\d+)?)\s*(?P<percent>%)?$")
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

    # === DISCOUNTS, AS PEOPLE TYPE THEM === #
    discount_percent = fields.Float(
        string="Discount (%)", digits=(16, 2), copy=False,
        help="A percentage discount: the line takes this share off the rest of the bill (service and add-ons, "
             "taxes included) and follows it when the bill changes.")
    discount_input = fields.Char(
        string="Discount", compute="_compute_discount_input", inverse="_inverse_discount_input",
        help='Type it as you would say it: "10%" takes 10 percent off the rest of the bill; "5" or "-5" takes '
             '5 off.')

    # === AMOUNTS === #
    # precomputed: in the line's INSERT, and the bill's totals can be precomputed in turn
    price_subtotal = fields.Monetary(string="Subtotal", compute="_compute_amounts", store=True, precompute=True)
    price_tax = fields.Monetary(string="Tax", compute="_compute_amounts", store=True, precompute=True)
    price_total = fields.Monetary(string="Total", compute="_compute_amounts", store=True, precompute=True)

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

    @api.depends("line_type", "price_unit", "quantity", "discount_percent")
    def _compute_discount_input(self):
        for line in self:
            if line.line_type != "discount":
                line.discount_input = False
            elif line.discount_percent:
                line.discount_input = f"{line.discount_percent:g}%"
            else:
                digits = line.currency_id.decimal_places if line.currency_id else 2
                line.discount_input = f"{abs(line.price_unit * line.quantity):.{digits}f}"

    def _inverse_discount_input(self):
        for line in self.filtered(lambda line: line.line_type == "discount"):
            line.write(line._discount_values(line.discount_input))

    @api.onchange("discount_input")
    def _onchange_discount_input(self):
        """The discount typed shows its amount at once, before the bill is saved."""
        if self.line_type == "discount" and self.discount_input:
            self.update(self._discount_values(self.discount_input))

    @api.model
    def _parse_discount(self, text):
        """A discount as typed: ``(percent, amount)``, one of them 0.0; ``(0.0, 0.0)`` for nothing typed.

        "10%" is 10 percent off; "5", "-5" or "5,50" an amount off (a discount
        is always money off: the sign does not matter).

        :raise ValidationError: anything else, a percentage over 100, an amount out of bounds.
        """
        text = (text or "").strip()
        if not text:
            return 0.0, 0.0
        match = DISCOUNT_RE.match(text.replace("\u00a0", " "))
        if not match:
            raise ValidationError(self.env._(
                '"%(text)s" is not a discount: type a percentage ("10%%") or an amount ("5").', text=text))
        number = float(match["number"].replace(",", "."))
        if match["percent"]:
            if not 0 < number <= 100:
                raise ValidationError(self.env._("A percentage discount lies between 0 and 100%."))
            return number, 0.0
        if not 0 < number <= MAX_AMOUNT:
            raise ValidationError(self.env._("%(text)s is not an amount a discount can take off.", text=text))
        return 0.0, number

    def _discount_values(self, text):
        """What a discount line becomes for ``text`` (see ``_parse_discount``): its percentage and price."""
        self.ensure_one()
        percent, amount = self._parse_discount(text)
        if percent:
            return {"discount_percent": percent, "quantity": 1.0,
                    "price_unit": self._percent_discount_price(self.appointment_id, percent, exclude=self)}
        return {"discount_percent": 0.0, "price_unit": -amount / (self.quantity or 1.0)}

    @api.model
    def _percent_discount_price(self, appointment, percent, exclude=None):
        """The unit price of a ``percent`` discount on ``appointment``'s bill: that share of the rest, negative.

        "The rest" is the service and the add-ons, taxes included, as the
        customer reads them (other discounts are not discounted again).
        """
        lines = appointment.line_ids.filtered(lambda line: line.line_type != "discount")
        if exclude:
            lines -= exclude
        base = sum(lines.mapped("price_total"))
        currency = appointment.currency_id
        amount = base * percent / 100.0
        return -(currency.round(amount) if currency else round(amount, 2))

    @api.model
    def _sync_percent_discounts(self, appointments):
        """Percentage discounts follow the bill: recomputed after any line of it changed."""
        for line in appointments.line_ids.filtered(lambda line: line.line_type == "discount"
                                                    and line.discount_percent):
            price = self._percent_discount_price(line.appointment_id, line.discount_percent, exclude=line)
            if line.currency_id.compare_amounts(price, line.price_unit) or line.quantity != 1.0:
                line.write({"price_unit": price, "quantity": 1.0, "discount_percent": line.discount_percent})

    @api.model
    def _normalize_discount_vals(self, vals, line_type):
        """A discount's price is money off whatever its sign was typed with (5 and -5 both take 5 off)."""
        if line_type == "discount" and isinstance(vals.get("price_unit"), (int, float)) \
                and vals["price_unit"] > 0:
            vals = dict(vals, price_unit=-vals["price_unit"])
        return vals

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

    @api.constrains("line_type", "discount_percent")
    def _check_discount_percent(self):
        for line in self.filtered("discount_percent"):
            if line.line_type != "discount" or not 0 < line.discount_percent <= 100:
                raise ValidationError(self.env._(
                    "A percentage lies between 0 and 100%% and belongs to a discount line (%(line)s).",
                    line=line.name))

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
        """The bill changes until checkout; after it, it is what was invoiced.

        Only the addon's own code (as superuser: the service line following
        the service, points given back) touches a locked bill; no context
        key a caller could pass opens it.
        """
        locked = appointments.filtered(lambda a: a.state not in BILL_EDITABLE_STATES)
        if locked and not self.env.su:
            raise UserError(self.env._(
                "%(ref)s is %(state)s: its bill can no longer change.",
                ref=locked[0].name, state=locked[0]._state_label()))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(LOYALTY_FIELDS & set(vals) for vals in vals_list):
            raise AccessError(self.env._("Loyalty points are spent by their customer only."))
        appointments = self.env["booking.appointment"].browse({vals["appointment_id"] for vals in vals_list})
        self._check_editable(appointments)
        vals_list = [self._normalize_discount_vals(vals, vals.get("line_type", "addon")) for vals in vals_list]
        lines = super().create(vals_list)
        self._sync_percent_discounts(lines.appointment_id)
        lines.appointment_id._on_bill_changed()
        return lines

    def write(self, vals):
        if not self.env.su and LOYALTY_FIELDS & set(vals):
            # every field is writable through call_kw: a card and points on a line would be minted back
            raise AccessError(self.env._("Loyalty points are spent by their customer only."))
        self._check_editable(self.appointment_id)
        if "appointment_id" in vals:
            raise UserError(self.env._("A bill line stays on its appointment."))
        if "price_unit" in vals and "discount_percent" not in vals and "discount_input" not in vals:
            vals = dict(vals, discount_percent=0.0)  # a price typed over a percentage replaces it
        if "line_type" not in vals and isinstance(vals.get("price_unit"), (int, float)) and vals["price_unit"] > 0 \
                and len(set(self.mapped("line_type"))) > 1:
            for line in self:  # discounts and other lines at once: each keeps its own sign
                line.write(vals)
            return True
        result = super().write(self._normalize_discount_vals(vals, vals.get("line_type", self[:1].line_type)))
        self._sync_percent_discounts(self.appointment_id)
        self.appointment_id._on_bill_changed()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_final_bill(self):
        self._check_editable(self.appointment_id)
        if any(line.line_type == "service" for line in self) and not self.env.su:
            raise UserError(self.env._("The service line cannot be removed: change the service instead."))

    def unlink(self):
        """A reward removed from the bill goes whole (every line of its split) and its points go back."""
        rewards = {(line.appointment_id, line.loyalty_reward_id) for line in self if line.loyalty_reward_id}
        lines = self | self.appointment_id.line_ids.filtered(
            lambda line: (line.appointment_id, line.loyalty_reward_id) in rewards)
        if rewards:
            lines._check_editable(lines.appointment_id)
            for appointment in lines.appointment_id:
                own = lines.filtered(lambda line, a=appointment: line.appointment_id == a)
                appointment._loyalty_give_back(lines=own)
        appointments = lines.appointment_id
        result = super(BookingAppointmentLine, lines).unlink()
        appointments = appointments.exists()
        self._sync_percent_discounts(appointments)
        appointments._on_bill_changed()
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

