import logging

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

_logger = logging.getLogger(__name__)


class BookingAppointment(models.Model):
    """Loyalty with Odoo's ``loyalty`` module.

    A page may run a loyalty programme (``loyalty.program`` of type
    "loyalty"): completed bookings earn points on the customer's loyalty
    card by the programme's rules, and a discount reward is spent on a later
    booking as discount lines of its bill (so the final invoice carries
    them), taken off the balance; the points come back if that booking is
    cancelled before the visit. Each card move is a ``loyalty.history`` line.

    The rules and rewards are read as ``sale_loyalty`` reads them for an
    order (the bill's lines are the order's): a rule's products, minimum
    quantity and amount, points per order, unit or amount; a reward's
    applicability, mode, maximum and its split over the taxes of what it
    discounts. What a booking cannot honour is refused where the programme
    is chosen (``booking.page._check_loyalty_program``) or never offered
    (free-product rewards).
    """

    _inherit = "booking.appointment"

    loyalty_points_earned = fields.Float(readonly=True, copy=False, help="Points this visit earned.")

    def write(self, vals):
        if "loyalty_points_earned" in vals and not self.env.su:
            # written by the earning itself (sudo): by hand it would keep a visit from earning, or fake one
            raise UserError(self.env._("Loyalty points are earned by completing the visit, not written."))
        return super().write(vals)

    # === HOOKS === #

    def _on_state_changed(self, old_state):
        result = super()._on_state_changed(old_state)
        if self.state == "done" and old_state != "done":
            self._loyalty_earn()
        elif self.state in ("cancelled", "rejected", "expired") and old_state != self.state:
            self._loyalty_give_back()
        return result

    # === POINTS === #

    def _loyalty_card(self, create=False):
        """The customer's card of the page's programme (sudo), created when asked."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id
        if not program or not self.partner_id:
            return self.env["loyalty.card"].sudo()
        Card = self.env["loyalty.card"].sudo()
        card = Card.search([("program_id", "=", program.id), ("partner_id", "=", self.partner_id.id)], limit=1)
        if not card and create:
            card = Card.create({"program_id": program.id, "partner_id": self.partner_id.id, "points": 0})
        return card

    def _loyalty_program(self, day=None):
        """The page's programme (sudo) if it runs on ``day`` (active, within its dates; default today), else empty.

        The day is the page's calendar day (a visit earns by the day it took place).
        """
        self.ensure_one()
        program = self.page_id.loyalty_program_id.sudo()
        day = day or self.page_id._local(fields.Datetime.now()).date()
        if not program.active or (program.date_from and day < program.date_from) or \
                (program.date_to and day > program.date_to):
            return program.browse()
        return program

    def _loyalty_rule_lines(self, rule, products_per_rule):
        """The bill's lines ``rule`` counts: all of them, or those of its products when it names some."""
        if not rule._get_valid_product_domain():
            return self.line_ids
        products = products_per_rule.get(rule, self.env["product.product"])
        return self.line_ids.filtered(lambda line: line.product_id in products)

    def _loyalty_points_for_visit(self, program):
        """What this completed visit earns under ``program``'s rules, read as ``sale_loyalty`` reads an order.

        Each rule counts the bill's lines of its products (all lines when it
        names none) and earns only when they reach its minimum quantity (units
        bought: the service, add-ons; discounts are no units) and its minimum
        amount (taxes included or not, as the rule says); it then earns per
        order, per unit, or per amount billed for those lines (rounded down
        to the hundredth, as Odoo does). A rule that needs a promotion code
        never earns here: a booking takes none. The rules that earn add up.
        """
        self.ensure_one()
        currency = self.currency_id
        products_per_rule = program._get_valid_products(self.line_ids.product_id)
        points = 0.0
        for rule in program.rule_ids:
            if rule.mode == "with_code":
                continue
            lines = self._loyalty_rule_lines(rule, products_per_rule)
            quantity = sum(lines.filtered(lambda line: line.line_type != "discount").mapped("quantity"))
            total = sum(lines.mapped("price_total"))
            reached = total if rule.minimum_amount_tax_mode == "incl" else sum(lines.mapped("price_subtotal"))
            if quantity <= 0 or quantity < rule.minimum_qty or \
                    currency.compare_amounts(rule._compute_amount(currency), reached) > 0:
                continue
            if rule.reward_point_mode == "order":
                points += rule.reward_point_amount
            elif rule.reward_point_mode == "unit":
                points += rule.reward_point_amount * quantity
            else:  # "money": per amount billed
                points += float_round(rule.reward_point_amount * max(total, 0.0), precision_digits=2,
                                      rounding_method="DOWN")
        return points

    def _loyalty_earn(self):
        """A completed visit earns its points, once."""
        for appointment in self.filtered(lambda a: a.page_id.loyalty_program_id and not a.loyalty_points_earned):
            program = appointment._loyalty_program(appointment.page_id._local(appointment.start).date())
            if not program:
                continue  # a programme that is off, or not running that day, earns nothing
            points = appointment._loyalty_points_for_visit(program)
            if points <= 0:
                continue
            card = appointment._loyalty_card(create=True)
            card.points += points
            appointment.sudo().loyalty_points_earned = points
            appointment._loyalty_history(card, issued=points)

    def _loyalty_history(self, card, issued=0.0, used=0.0):
        self.env["loyalty.history"].sudo().create({
            "card_id": card.id, "description": self.env._("Booking %(ref)s", ref=self.name),
            "issued": issued, "used": used, "order_model": self._name, "order_id": self.id,
        })

    # === SPENDING: THE REWARD'S RULES === #

    def _loyalty_rewards_available(self):
        """The discount rewards the customer's points can buy on this booking now (product rewards are not).

        One reward per booking, from a programme running today, while the
        bill may still change.
        """
        self.ensure_one()
        program = self._loyalty_program()
        if not program or self.state not in ("pending_payment", "pending", "confirmed", "checked_in") \
                or self.line_ids.filtered("loyalty_reward_id"):
            return self.env["loyalty.reward"].sudo()
        points = self._loyalty_card().points
        return program.reward_ids.filtered(
            lambda r: r.reward_type == "discount" and r.required_points <= points
            and self._loyalty_discount_amount(r) > 0)

    def _loyalty_discountable(self, reward):
        """What ``reward`` may discount on this bill, by its applicability (as ``sale_loyalty`` reads an order).

        ``order``: the whole bill; ``cheapest``: one unit of the cheapest
        service or add-on; ``specific``: the services and add-ons of the
        reward's products. Fixed taxes are never discounted.

        :return: ``(total, {taxes: (amount, total)})``: the total, taxes
            included, of what may be discounted, and per set of taxes its
            amount in price terms (untaxed plus price-included taxes) and its
            total: each part of the discount carries the taxes of what it
            discounts (the reward split, as a sale order's discount lines).
        """
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: not line.loyalty_reward_id)
        bought = lines.filtered(lambda line: line.line_type != "discount" and line.price_unit > 0)
        share = 1.0
        if reward.discount_applicability == "cheapest":
            lines = bought.sorted(lambda line: (line.price_unit, line.id))[:1]
            share = 1.0 / lines.quantity if lines else 1.0
        elif reward.discount_applicability == "specific":
            domain = reward._get_discount_product_domain()
            lines = bought.filtered(lambda line: line.product_id and line.product_id.filtered_domain(domain))
        AccountTax = self.env["account.tax"]
        company = self.company_id or self.env.company
        per_taxes = {}
        for line in lines:
            base_line = line._prepare_base_line_for_taxes_computation()
            AccountTax._add_tax_details_in_base_line(base_line, company)
            details = base_line["tax_details"]
            taxes = line.tax_ids.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type != "fixed")
            discounted = [data for data in details["taxes_data"] if data["tax"] in taxes]
            untaxed = details["raw_total_excluded_currency"]
            price, total = per_taxes.get(taxes, (0.0, 0.0))
            per_taxes[taxes] = (
                price + share * (untaxed + sum(d["raw_tax_amount_currency"] for d in discounted
                                                if d["tax"].price_include)),
                total + share * (untaxed + sum(d["raw_tax_amount_currency"] for d in discounted)),
            )
        return sum(total for _price, total in per_taxes.values()), per_taxes

    def _loyalty_reward_terms(self, reward):
        """The discount ``reward`` gives on this bill: ``(amount, points it costs, [(taxes, price_unit)])``.

        By the reward's own rules, as ``sale_loyalty`` applies them: what it
        applies to (``_loyalty_discountable``), its mode (a percentage of
        that, a fixed amount, or an amount per point of the card, whole
        multiples of the points needed), its maximum (``discount_max_amount``),
        never more than the bill; it is split over the taxes of what it
        discounts. And, the booking's own rule, it comes off the balance
        only: what the deposit covers (paid or due) is left alone.
        """
        self.ensure_one()
        nothing = (0.0, 0.0, [])
        discountable, per_taxes = self._loyalty_discountable(reward)
        currency = self.currency_id
        if currency.compare_amounts(discountable, 0.0) <= 0:
            return nothing
        company = self.company_id or self.env.company
        today = fields.Date.context_today(self)
        reward_currency = reward.currency_id or currency

        def convert(amount):
            return reward_currency._convert(amount, currency, company, today)

        card_points = self._loyalty_card().points
        maximum = min(convert(reward.discount_max_amount) or float("inf"), self.price)
        if reward.discount_mode == "per_point":
            usable = card_points // reward.required_points * reward.required_points
            maximum = min(maximum, convert(reward.discount * usable))
        elif reward.discount_mode == "per_order":
            maximum = min(maximum, convert(reward.discount))
        else:  # percent
            maximum = min(maximum, discountable * reward.discount / 100.0)
        contract = self.contract_id
        upfront = max(contract.amount_deposit, contract.amount_deposit_paid + contract.amount_balance_paid) \
            if contract else 0.0
        amount = currency.round(min(maximum, discountable, self.price - upfront))
        if currency.compare_amounts(amount, 0.0) <= 0:
            return nothing
        if reward.clear_wallet:
            cost = card_points
        elif reward.discount_mode == "per_point":
            cost = currency._convert(amount, reward_currency, company, today) / reward.discount
        else:
            cost = reward.required_points
        # split over what is bought (a discount typed by staff lowers the amount, it is not discounted again)
        parts = {taxes: (price, total) for taxes, (price, total) in per_taxes.items()
                 if currency.compare_amounts(price, 0.0) > 0 and currency.compare_amounts(total, 0.0) > 0}
        factor = amount / sum(total for _price, total in parts.values())
        return amount, cost, self._loyalty_split(amount, factor, parts)

    def _loyalty_split(self, amount, factor, parts):
        """The discount lines' ``[(taxes, price_unit)]``: each set of taxes its share, adding up to ``amount``.

        A share under taxes added on top is a unit price whose total (tax
        added) comes near its share; the share under price-included taxes
        (the service's) takes the rest, so the lines' totals add up to the
        discount to the cent.
        """
        currency = self.currency_id
        digits = self.env["decimal.precision"].precision_get("Product Price")
        AccountTax = self.env["account.tax"]
        company = self.company_id or self.env.company
        exact = next((taxes for taxes in parts if all(tax.price_include for tax in taxes)), None)
        split = []
        given = 0.0
        for taxes, (price, _total) in parts.items():
            if taxes == exact:
                continue
            price_unit = -float_round(price * factor, precision_digits=digits)
            base_line = AccountTax._prepare_base_line_for_taxes_computation(
                None, price_unit=price_unit, quantity=1.0, tax_ids=taxes, currency_id=currency)
            AccountTax._add_tax_details_in_base_line(base_line, company)
            given += currency.round(base_line["tax_details"]["raw_total_included_currency"])
            split.append((taxes, price_unit))
        rest = currency.round(-amount - given)
        if exact is not None and currency.compare_amounts(rest, 0.0) < 0:
            split.insert(0, (exact, rest))
        return split

    def _loyalty_discount_amount(self, reward):
        """The discount ``reward`` gives on this bill (see ``_loyalty_reward_terms``)."""
        return self._loyalty_reward_terms(reward)[0]

    def _loyalty_apply_reward(self, reward):
        """Spend the customer's points on ``reward``: discount lines on this bill, the points off the card.

        One discount line per set of taxes of what the reward discounts (the
        first carries the points spent), so the final invoice's taxes follow.

        :raise UserError: not this page's programme, not a discount, not
            enough points, a reward already on this booking, or a bill that no
            longer changes.
        :return: the discount lines.
        """
        self.ensure_one()
        reward = reward.sudo().exists()
        if not reward or reward not in self._loyalty_rewards_available():
            raise UserError(self.env._("This reward cannot be used on %(ref)s.", ref=self.name))
        if not self._try_lock():
            raise UserError(self.env._("%(ref)s is being changed: try again.", ref=self.name))
        card = self._loyalty_card()
        card.invalidate_recordset(["points"])
        _amount, used, split = self._loyalty_reward_terms(reward)
        if not split or card.points < used or card.points < reward.required_points:
            raise UserError(self.env._("Not enough points."))
        if not reward.discount_line_product_id:
            reward._create_missing_discount_line_products()
        name = self.env._("Loyalty reward: %(reward)s", reward=reward.description)
        lines = self.env["booking.appointment.line"].sudo().create([{
            "appointment_id": self.id,
            "line_type": "discount",
            "product_id": reward.discount_line_product_id.id,
            "name": self.env._("%(name)s (%(taxes)s)", name=name, taxes=", ".join(taxes.mapped("name")))
            if len(split) > 1 and taxes else name,
            "price_unit": price_unit,
            "tax_ids": [fields.Command.set(taxes.ids)],
            "loyalty_reward_id": reward.id,
            "loyalty_card_id": card.id,
            "loyalty_points_used": used if index == 0 else 0.0,
            "sequence": 90,
        } for index, (taxes, price_unit) in enumerate(split)])
        card.points -= used
        self._loyalty_history(card, used=used)
        points = f"{used:g}"
        self.sudo()._message_log(body=self.env._("%(points)s points spent: %(reward)s.",
                                                 points=points, reward=reward.description))
        return lines

    def _loyalty_give_back(self, lines=None):
        """A booking cancelled (or declined, expired) before the visit: the points it spent come back.

        Also when staff remove the reward from the bill (``lines``: the
        reward's lines being deleted). Only to the card they came from, when
        it is still the customer's card of this page's programme in the
        booking's company: a line naming another card (written by anything
        but the reward flow) credits nothing.
        """
        lines = (lines if lines is not None else self.line_ids).sudo()
        for line in lines.filtered(lambda line: line.loyalty_card_id and line.loyalty_points_used):
            card = line.loyalty_card_id
            appointment = line.appointment_id
            program = appointment.page_id.loyalty_program_id
            foreign_company = program.company_id and program.company_id != appointment.company_id
            if card.partner_id != appointment.partner_id or card.program_id != program or foreign_company \
                    or line.loyalty_reward_id.program_id != program:
                _logger.warning("Booking %s: line %s names card %s, not the customer's of the page's programme: "
                                "no points given back", appointment.name, line.id, card.id)
                continue
            card.points += line.loyalty_points_used
            line.appointment_id._loyalty_history(card, issued=line.loyalty_points_used)
            line.loyalty_points_used = 0.0  # sudo: the reward flow's own write
