from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import UserError
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
