from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import BookingPaymentHttpCommon
from .common import local_to_utc
from .test_payments import PaymentCase


class LoyaltyMixin:
    @classmethod
    def _setup_loyalty(cls):
        """One point per euro spent; 100 points buy 10 € off a later booking, 50 points buy 5 €."""
        cls.program = cls.env["loyalty.program"].create({
            "name": "Salon points",
            "program_type": "loyalty",
            "applies_on": "both",
            "trigger": "auto",
            "rule_ids": [Command.clear(), Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
            "reward_ids": [Command.clear(),
                           Command.create({"reward_type": "discount", "discount_mode": "per_order", "discount": 10,
                                           "required_points": 100, "description": "10 EUR off"}),
                           Command.create({"reward_type": "discount", "discount_mode": "per_order", "discount": 5,
                                           "required_points": 50, "description": "5 EUR off"})],
        })
        cls.reward_10 = cls.program.reward_ids.filtered(lambda r: r.required_points == 100)
        cls.reward_5 = cls.program.reward_ids.filtered(lambda r: r.required_points == 50)
        cls.page.loyalty_program_id = cls.program

    def complete(self, appointment, charge=True):
        with freeze_time(appointment.start - timedelta(minutes=5)):
            appointment.action_check_in()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_complete(charge_card=charge)

    def card(self, partner=None):
        return self.env["loyalty.card"].search([("program_id", "=", self.program.id),
                                                ("partner_id", "=", (partner or self.customer).id)])


@tagged("post_install", "-at_install")
class TestLoyalty(LoyaltyMixin, PaymentCase):
    """Points earned by completed visits, spent as a discount on a later booking's bill and invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()

    def paid_deposit_booking(self, hour=10, day=MONDAY):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=hour, day=day)
            self._pay(appointment)
        return appointment

    def test_completed_visit_earns_points_once(self):
        appointment = self.paid_deposit_booking()
        self.assertFalse(self.card())
        self.complete(appointment)
        self.assertEqual(appointment.contract_id.state, "paid")
        card = self.card()
        self.assertEqual(card.points, 100.0)
        self.assertEqual(appointment.loyalty_points_earned, 100.0)
        history = self.env["loyalty.history"].search([("card_id", "=", card.id)])
        self.assertRecordValues(history, [{"issued": 100.0, "used": 0.0, "order_model": "booking.appointment",
                                           "order_id": appointment.id}])
        appointment._loyalty_earn()
        appointment._on_state_changed("checked_in")
        self.assertEqual(card.points, 100.0, "a visit earns once")

    def test_no_programme_no_points_and_cancelled_visits_earn_nothing(self):
        with freeze_time(NOW):
            cancelled = self._book_deposit(hour=11)
            cancelled.action_cancel()
        self.assertFalse(self.card())
        self.page.loyalty_program_id = False
        self.complete(self.paid_deposit_booking())
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "=", self.customer.id)]))

    def test_points_spent_on_a_later_booking_with_the_invoice_lines_right(self):
        self.complete(self.paid_deposit_booking(hour=9))
        later = self.paid_deposit_booking(hour=10, day=MONDAY + timedelta(days=7))
        self.assertEqual(later._loyalty_rewards_available(), self.reward_10 | self.reward_5)
        line = later._loyalty_apply_reward(self.reward_10)
        self.assertRecordValues(line, [{"line_type": "discount", "price_total": -10.0, "loyalty_points_used": 100.0,
                                        "product_id": self.reward_10.discount_line_product_id.id}])
        self.assertEqual(self.card().points, 0.0)
        contract = later.contract_id
        self.assertEqual((later.price, contract.amount_deposit_paid, contract.amount_balance_due), (90.0, 40.0, 50.0),
                         "the discount comes off the balance")
        self.assertFalse(later._loyalty_rewards_available(), "one reward per booking, and no points left")
        with self.assertRaises(UserError):
            later._loyalty_apply_reward(self.reward_5)
        self.complete(later)
        self.assertEqual(contract.state, "paid")
        self.assertEqual(contract.amount_net, 90.0)
        final = contract.final_invoice_id
        product = self.reward_10.discount_line_product_id
        discount = final.invoice_line_ids.filtered(lambda line: line.product_id == product)
        self.assertEqual((discount.price_unit, discount.quantity), (-10.0, 1.0))
        self.assertEqual(sum(contract.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
                             .mapped("amount_total")), 90.0)
        self.assertInvoicesMatch(contract)
        self.assertEqual(self.card().points, 90.0, "the discounted visit earns on what was billed")

    def test_discount_never_eats_into_the_deposit(self):
        big = self.env["loyalty.reward"].create({
            "program_id": self.program.id, "reward_type": "discount", "discount_mode": "per_order",
            "discount": 500, "required_points": 100, "description": "500 off"})
        self.complete(self.paid_deposit_booking(hour=9))
        later = self.paid_deposit_booking(hour=10, day=MONDAY + timedelta(days=7))
        later._loyalty_apply_reward(big)
        self.assertEqual((later.price, later.contract_id.amount_balance_due), (40.0, 0.0))

    def test_cancelled_booking_gives_the_points_back(self):
        self.complete(self.paid_deposit_booking(hour=9))
        later = self.paid_deposit_booking(hour=10, day=MONDAY + timedelta(days=7))
        later._loyalty_apply_reward(self.reward_5)
        self.assertEqual(self.card().points, 50.0)
        with freeze_time(NOW):
            later._customer_cancel("Sick")
        self.assertEqual(self.card().points, 100.0)
        self.assertEqual(later.contract_id.amount_refunded, 40.0)
        self.assertInvoicesMatch(later.contract_id)

    def test_not_enough_points_or_a_foreign_reward_is_refused(self):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=10)
        with self.assertRaises(UserError):
            appointment._loyalty_apply_reward(self.reward_5)
        other = self.env["loyalty.program"].create({
            "name": "Other", "program_type": "loyalty",
            "reward_ids": [Command.clear(), Command.create({"reward_type": "discount", "discount_mode": "per_order",
                                                            "discount": 5, "required_points": 1})]})
        self.card() or self.env["loyalty.card"].create(
            {"program_id": self.program.id, "partner_id": self.customer.id, "points": 1000})
        with self.assertRaises(UserError):
            appointment._loyalty_apply_reward(other.reward_ids)
        with self.assertRaises(UserError):
            appointment._loyalty_apply_reward(self.env["loyalty.reward"].browse(10**8))
        self.assertFalse(appointment.line_ids.filtered("loyalty_reward_id"))


@tagged("post_install", "-at_install")
class TestLoyaltyPortal(LoyaltyMixin, BookingPaymentHttpCommon):
    """The portal shows the balance and spends points; nobody else's booking, card or reward."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()
        cls.paula = cls.user_portal_1.partner_id
        cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.paula.id, "points": 120})
        cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.customer.id, "points": 500})

    def booking_of(self, partner, hour=10):
        with freeze_time(NOW):
            return self._book(local_to_utc(MONDAY, hour), service=self.service, partner_id=partner.id)

    def use(self, appointment, reward_id, token=None):
        data = {"reward_id": str(reward_id), "csrf_token": self.csrf_token()}
        if token:
            data["access_token"] = token
        with freeze_time(NOW):
            return self.url_open(f"/my/bookings/{appointment.id}/loyalty", data=data, allow_redirects=False)

    def csrf_token(self):
        return http.Request.csrf_token(self)

    def test_portal_shows_balance_and_spends_points(self):
        appointment = self.booking_of(self.paula)
        self.authenticate("portal_one", "portal_one")
        with freeze_time(NOW):
            page = self.url_open(f"/my/bookings/{appointment.id}")
        self.assertIn("o_booking_loyalty_points", page.text)
        self.assertIn("120", page.text)
        self.assertIn("10 EUR off", page.text)
        response = self.use(appointment, self.reward_10.id)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(appointment.price, 90.0)
        self.assertEqual(self.card(self.paula).points, 20.0)
        self.assertEqual(self.card(self.customer).points, 500.0, "nobody else's card")

    def test_nobody_spends_on_another_customers_booking(self):
        carla_booking = self.booking_of(self.customer, hour=11)
        self.authenticate("portal_one", "portal_one")
        for reward_id in (self.reward_10.id, "abc", "99999999999999", "-1", ""):
            with self.subTest(reward_id=reward_id):
                response = self.use(carla_booking, reward_id)
                self.assertLess(response.status_code, 500)
        self.assertFalse(carla_booking.line_ids.filtered("loyalty_reward_id"))
        self.assertEqual(self.card(self.customer).points, 500.0)
        self.assertEqual(self.card(self.paula).points, 120.0)
        # on her own booking, garbage is refused without a 5xx and changes nothing
        own = self.booking_of(self.paula, hour=14)
        for reward_id in ("abc", "99999999999999", "-1", "", "1e3"):
            with self.subTest(own=reward_id):
                self.assertLess(self.use(own, reward_id).status_code, 500)
        self.assertFalse(own.line_ids.filtered("loyalty_reward_id"))

    def test_public_visitor_with_a_forged_token_gets_nothing(self):
        carla_booking = self.booking_of(self.customer, hour=11)
        self.authenticate(None, None)
        response = self.use(carla_booking, self.reward_10.id, token="forged")
        self.assertLess(response.status_code, 500)
        self.assertFalse(carla_booking.line_ids.filtered("loyalty_reward_id"))
        self.assertEqual(self.card(self.customer).points, 500.0)


@tagged("post_install", "-at_install")
class TestLoyaltyRules(LoyaltyMixin, PaymentCase):
    """The programme's own rules, as Odoo's ``sale_loyalty`` reads them for an order.

    Earning: the rule's products, minimum quantity and minimum amount (taxes
    included or not), per booking, unit or amount. Spending: the reward's
    applicability (whole bill, cheapest item, specific products), its mode,
    its maximum, and the discount split over the taxes of what it discounts.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()
        company = cls.env.company
        Tax = cls.env["account.tax"]
        cls.vat = Tax.create({"name": "VAT 20% (included)", "amount": 20, "amount_type": "percent",
                              "type_tax_use": "sale", "price_include_override": "tax_included",
                              "company_id": company.id})
        cls.on_top = Tax.create({"name": "Care 15% (on top)", "amount": 15, "amount_type": "percent",
                                 "type_tax_use": "sale", "price_include_override": "tax_excluded",
                                 "company_id": company.id})
        Product = cls.env["product.product"]
        cls.service.product_id = Product.create({
            "name": "Cut", "type": "service", "taxes_id": [Command.set(cls.vat.ids)]})
        cls.mask = Product.create({"name": "Hair mask", "type": "service", "list_price": 20,
                                   "taxes_id": [Command.set(cls.on_top.ids)]})
        cls.rule = cls.program.rule_ids

    def visit(self, hour=10, day=MONDAY, masks=0):
        """A booking of the 100 cut (VAT included), with ``masks`` hair masks (20 + 15 % on top)."""
        with freeze_time(NOW):
            appointment = self._book(local_to_utc(day, hour), service=self.service)
        if masks:
            self.env["booking.appointment.line"].create({
                "appointment_id": appointment.id, "product_id": self.mask.id, "quantity": masks})
        return appointment

    def points_after(self, appointment):
        self.complete(appointment, charge=False)
        return appointment.loyalty_points_earned

    def give_points(self, points):
        card = self.card() or self.env["loyalty.card"].create(
            {"program_id": self.program.id, "partner_id": self.customer.id})
        card.points = points
        return card

    # === EARNING === #

    def test_a_minimum_amount_the_visit_does_not_reach_earns_nothing(self):
        self.rule.write({"minimum_amount": 90, "minimum_amount_tax_mode": "excl"})
        self.assertEqual(self.points_after(self.visit(hour=9)), 0.0, "83.33 untaxed is less than 90")
        self.assertFalse(self.card())
        self.rule.minimum_amount_tax_mode = "incl"
        self.assertEqual(self.points_after(self.visit(hour=10)), 100.0, "100 taxes included reaches 90")

    def test_a_minimum_quantity(self):
        self.rule.minimum_qty = 2
        self.assertEqual(self.points_after(self.visit(hour=9)), 0.0, "one service is one unit")
        self.assertEqual(self.points_after(self.visit(hour=10, masks=1)), 123.0, "a cut and a mask: two units")

    def test_points_per_unit_and_for_the_rules_products_only(self):
        self.rule.write({"reward_point_mode": "unit", "reward_point_amount": 5})
        self.assertEqual(self.points_after(self.visit(hour=9, masks=2)), 15.0, "three units")
        self.rule.write({"reward_point_mode": "money", "reward_point_amount": 1,
                         "product_ids": [Command.set(self.mask.ids)]})
        self.assertEqual(self.points_after(self.visit(hour=10, masks=2)), 46.0, "what the masks cost, not the cut")
        self.assertEqual(self.points_after(self.visit(hour=11)), 0.0, "no mask, nothing")

    # === SPENDING === #

    def test_a_rewards_maximum_amount_and_what_it_applies_to(self):
        self.give_points(1000)
        reward = self.env["loyalty.reward"].create({
            "program_id": self.program.id, "reward_type": "discount", "discount_mode": "percent", "discount": 50,
            "discount_applicability": "specific", "discount_product_ids": [Command.set(self.mask.ids)],
            "required_points": 10, "description": "Half-price masks"})
        appointment = self.visit(masks=2)
        self.assertEqual(appointment.price, 146.0)
        self.assertEqual(appointment._loyalty_discount_amount(reward), 23.0, "half of the masks only")
        reward.discount_max_amount = 15
        self.assertEqual(appointment._loyalty_discount_amount(reward), 15.0, "at most the reward's maximum")
        reward.write({"discount_applicability": "cheapest", "discount_max_amount": 0})
        self.assertEqual(appointment._loyalty_discount_amount(reward), 11.5, "half of one mask")
        reward.write({"discount_applicability": "order", "discount_max_amount": 60})
        lines = appointment._loyalty_apply_reward(reward)
        self.assertEqual(appointment.currency_id.round(-sum(lines.mapped("price_total"))), 60.0)
        self.assertEqual((appointment.price, self.card().points), (86.0, 990.0))

    def test_the_discount_is_split_over_the_taxes_of_what_it_discounts(self):
        self.give_points(100)
        reward = self.env["loyalty.reward"].create({
            "program_id": self.program.id, "reward_type": "discount", "discount_mode": "percent", "discount": 10,
            "required_points": 100, "description": "10 % off"})
        appointment = self.visit(masks=1)
        self.assertEqual(appointment.price, 123.0)
        lines = appointment._loyalty_apply_reward(reward)
        self.assertRecordValues(lines.sorted("price_total"), [
            {"tax_ids": self.vat.ids, "price_unit": -10.0, "price_total": -10.0, "loyalty_points_used": 100.0},
            {"tax_ids": self.on_top.ids, "price_unit": -2.0, "price_total": -2.3, "loyalty_points_used": 0.0},
        ])
        self.assertEqual((appointment.price, self.card().points), (110.7, 0.0))
        self.complete(appointment, charge=False)
        final = appointment.contract_id.final_invoice_id
        self.assertEqual((final.amount_total, final.amount_tax), (110.7, 17.7), "VAT 15.00 on 90, care 2.70 on 18")
        with freeze_time(NOW):
            cancelled = self.visit(hour=14)
            self.give_points(100)
            cancelled._loyalty_apply_reward(reward)
            cancelled.action_cancel(cancelled_by="customer")
        self.assertEqual(self.card().points, 100.0, "the points come back once")

    def test_points_per_point_use_whole_multiples_of_the_points_needed(self):
        self.give_points(250)
        reward = self.env["loyalty.reward"].create({
            "program_id": self.program.id, "reward_type": "discount", "discount_mode": "per_point",
            "discount": 0.1, "required_points": 100, "description": "0.10 per point"})
        appointment = self.visit()
        self.assertEqual(appointment._loyalty_discount_amount(reward), 20.0, "200 of the 250 points")
        appointment._loyalty_apply_reward(reward)
        self.assertEqual((appointment.price, self.card().points), (80.0, 50.0))

    # === SET-UP === #

    def test_the_page_refuses_a_programme_it_cannot_honour(self):
        promotion = self.env["loyalty.program"].create({"name": "Spring promo", "program_type": "promotion"})
        with self.assertRaisesRegex(ValidationError, "loyalty card programme"), self.cr.savepoint():
            self.page.loyalty_program_id = promotion
        coded = self.program.copy({"name": "Secret points"})
        coded.rule_ids.code = "SECRET"
        with self.assertRaisesRegex(ValidationError, "promotion code"), self.cr.savepoint():
            self.page.loyalty_program_id = coded
        self.assertEqual(self.page.loyalty_program_id, self.program)
