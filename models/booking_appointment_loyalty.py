from odoo import fields, models
from odoo.exceptions import UserError


class BookingAppointment(models.Model):
    """Loyalty with Odoo's ``loyalty`` module.

    A page may run a loyalty programme (``loyalty.program`` of type
    "loyalty"): completed bookings earn points on the customer's loyalty
    card by the programme's rules, and a discount reward is spent on a later
    booking as a discount line of its bill (so the final invoice carries
    it), taken off the balance; the points come back if that booking is
    cancelled before the visit. Each card move is a ``loyalty.history`` line.
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

    def _loyalty_points_for_visit(self):
        """What this completed visit earns under the programme's rules (each rule that applies adds up)."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id.sudo()
        product = self.service_id.product_id
        amount = self.price
        points = 0.0
        for rule in program.rule_ids:
            if rule.mode == "with_code" or (rule.minimum_amount and amount < rule.minimum_amount):
                continue
            if product and not product.filtered_domain(rule._get_valid_product_domain()):
                continue
            if rule.reward_point_mode == "money":
                points += rule.reward_point_amount * amount
            else:  # "order" and "unit": one booking is one order of one unit
                points += rule.reward_point_amount
        return round(points, 2)

    def _loyalty_earn(self):
        """A completed visit earns its points, once."""
        for appointment in self.filtered(lambda a: a.page_id.loyalty_program_id and not a.loyalty_points_earned):
            program = appointment.page_id.loyalty_program_id.sudo()
            visit_day = appointment.page_id._local(appointment.start).date()
            if not program.active or (program.date_from and visit_day < program.date_from) or \
                    (program.date_to and visit_day > program.date_to):
                continue  # a programme that is off, or not running that day, earns nothing
            points = appointment._loyalty_points_for_visit()
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

    def _loyalty_rewards_available(self):
        """The discount rewards the customer's points can buy on this booking now."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id.sudo()
        if not program or self.state not in ("pending_payment", "pending", "confirmed", "checked_in") \
                or self.line_ids.filtered("loyalty_reward_id"):
            return self.env["loyalty.reward"].sudo()
        points = self._loyalty_card().points
        return program.reward_ids.filtered(
            lambda r: r.reward_type == "discount" and r.required_points <= points
            and self._loyalty_discount_amount(r) > 0)

    def _loyalty_discount_amount(self, reward):
        """The discount ``reward`` gives on this bill, capped so it comes off the balance only.

        What the deposit covers (paid or due) is left alone: a discount never
        makes the bill less than what the customer paid or owes up front.
        """
        self.ensure_one()
        contract = self.contract_id
        billed = sum(self.line_ids.filtered(lambda line: line.line_type != "discount").mapped("price_total"))
        if reward.discount_mode == "percent":
            amount = billed * reward.discount / 100.0
        elif reward.discount_mode == "per_point":
            points = self._loyalty_card().points if reward.clear_wallet else reward.required_points
            amount = reward.discount * points
        else:
            amount = reward.discount
        if reward.discount_max_amount:
            amount = min(amount, reward.discount_max_amount)
        upfront = max(contract.amount_deposit, contract.amount_deposit_paid + contract.amount_balance_paid) \
            if contract else 0.0
        amount = min(amount, self.price - upfront)
        return max(self.currency_id.round(amount), 0.0)

    def _loyalty_apply_reward(self, reward):
        """Spend the customer's points on ``reward``: a discount line on this bill, the points off the card.

        :raise UserError: not this page's programme, not a discount, not
            enough points, a reward already on this booking, or a bill that no
            longer changes.
        """
        self.ensure_one()
        reward = reward.sudo().exists()
        if not reward or reward not in self._loyalty_rewards_available():
            raise UserError(self.env._("This reward cannot be used on %(ref)s.", ref=self.name))
        if not self._try_lock():
            raise UserError(self.env._("%(ref)s is being changed: try again.", ref=self.name))
        card = self._loyalty_card()
        card.invalidate_recordset(["points"])
        used = card.points if reward.clear_wallet else reward.required_points
        if card.points < used:
            raise UserError(self.env._("Not enough points."))
        amount = self._loyalty_discount_amount(reward)
        if not reward.discount_line_product_id:
            reward._create_missing_discount_line_products()
        service_line = self.line_ids.filtered(lambda line: line.line_type == "service")[:1]
        line = self.env["booking.appointment.line"].sudo().create({
            "appointment_id": self.id,
            "line_type": "discount",
            "product_id": reward.discount_line_product_id.id,
            "name": self.env._("Loyalty reward: %(reward)s", reward=reward.description),
            "price_unit": -amount,
            "tax_ids": [fields.Command.set(service_line.tax_ids.ids)],
            "loyalty_reward_id": reward.id,
            "loyalty_card_id": card.id,
            "loyalty_points_used": used,
            "sequence": 90,
        })
        card.points -= used
        self._loyalty_history(card, used=used)
        points = f"{used:g}"
        self.sudo()._message_log(body=self.env._("%(points)s points spent: %(reward)s.",
                                                 points=points, reward=reward.description))
        return line

    def _loyalty_give_back(self):
        """A booking cancelled (or declined, expired) before the visit: the points it spent come back."""
        for line in self.sudo().line_ids.filtered(lambda line: line.loyalty_card_id and line.loyalty_points_used):
            card = line.loyalty_card_id
            card.points += line.loyalty_points_used
            line.appointment_id._loyalty_history(card, issued=line.loyalty_points_used)
            line.with_context(booking_bill_sync=True).loyalty_points_used = 0.0
