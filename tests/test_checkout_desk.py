"""The desk's day: checkout in one dialog, discounts as people type them, no-show fees at the counter."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.common import PaymentCommon

from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentMixin

VISIT = "2025-06-02 08:30:00"  # Monday 10:30 in Paris: the 10:00 appointment is under way
AFTER = "2025-06-02 09:30:00"  # Monday 11:30 in Paris: the 10:00 appointment is over


class DeskCase(BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.mask = cls.env["product.product"].create({
            "name": "Hair mask", "type": "service", "list_price": 20, "taxes_id": [Command.clear()]})
        tax = cls.env["account.tax"].create({
            "name": "Retail 15% (on top)", "amount": 15, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_excluded"})
        cls.shampoo = cls.env["product.product"].create({
            "name": "Shampoo", "type": "service", "list_price": 12.34, "taxes_id": [Command.set(tax.ids)]})
        cls.discount_product = cls.env.ref("self_serve_booking.product_booking_discount")

    def _checked_in(self, service=None, partner=None):
        with freeze_time(NOW):
            appointment = self._book(self.at(10), service=service, partner_id=(partner or self.customer).id)
        with freeze_time(VISIT):
            appointment.action_check_in()
        return appointment

    def _checkout(self, appointment, user=None, **vals):
        Checkout = self.env["booking.checkout"].with_user(user or self.user_staff)
        return Checkout.with_context(**appointment.action_open_checkout_dialog()["context"]).create(vals)

    def _discount(self, appointment, text):
        return self.env["booking.appointment.line"].with_user(self.user_staff).create({
            "appointment_id": appointment.id, "line_type": "discount", "product_id": self.discount_product.id,
            "discount_input": text})


@tagged("post_install", "-at_install")
class TestDiscountInput(DeskCase):
    """A discount is typed as people say it: "10%", "5" or "-5", never a validation error for the sign."""

    def test_percent_and_amounts_as_typed(self):
        appointment = self._checked_in()
        self.assertEqual(appointment.price, 100)
        ten = self._discount(appointment, "10%")
        self.assertEqual((ten.price_unit, ten.discount_percent, ten.discount_input), (-10, 10, "10%"))
        self.assertEqual(appointment.price, 90)
        self.env["booking.appointment.line"].create({
            "appointment_id": appointment.id, "line_type": "addon", "product_id": self.mask.id})
        self.assertEqual(ten.price_unit, -12, "10% of the bill it discounts: 100 + 20")
        self.assertEqual(appointment.price, 108)
        ten.discount_input = "5"
        self.assertEqual((ten.price_unit, ten.discount_percent), (-5, 0))
        ten.discount_input = "-5,50"
        self.assertEqual(ten.price_unit, -5.5)
        ten.price_unit = 7  # typed as a positive price: still money off
        self.assertEqual(ten.price_unit, -7)
        self.assertEqual(appointment.price, 113)
        for text in ("abc", "150%", "0%", "10%%", "5 euros", "1e12"):
            with self.subTest(text=text), self.assertRaises(ValidationError), self.cr.savepoint():
                ten.discount_input = text

    def test_a_positive_discount_is_no_longer_refused(self):
        appointment = self._checked_in()
        line = self.env["booking.appointment.line"].with_user(self.user_staff).create({
            "appointment_id": appointment.id, "line_type": "discount", "name": "Regular", "price_unit": 5})
        self.assertEqual(line.price_unit, -5)
        self.assertEqual(appointment.price, 95)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            line.price_unit = -1e10
        with self.assertRaisesRegex(ValidationError, "add a discount line"), self.cr.savepoint():
            appointment.line_ids.filtered(lambda item: item.line_type == "service").price_unit = -5

    def test_a_percentage_belongs_to_a_discount_line(self):
        appointment = self._checked_in()
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env["booking.appointment.line"].create({
                "appointment_id": appointment.id, "line_type": "addon", "product_id": self.mask.id,
                "discount_percent": 10})


@tagged("post_install", "-at_install")
class TestCheckoutDialog(DeskCase):
    """Checkout in one dialog: the exact amount shown first, then bill, payment, tip and receipt at once."""

    def test_cash_with_an_addon_a_discount_and_a_tip(self):
        appointment = self._checked_in()
        with freeze_time(AFTER):
            wizard = self._checkout(appointment, addon_product_ids=[Command.set(self.shampoo.ids)],
                                    discount="10%", tip_choice="15")
            self.assertEqual((wizard.pay_with, wizard.receipt), ("cash", "email"), "no card on file: cash")
            # 100 + 12.34 + 15 % on top (1.85) = 114.19; 10 % off: 11.42; 15 % tip of 102.77: 15.42
            self.assertEqual((wizard.amount_bill, wizard.amount_discount, wizard.tip_amount),
                             (102.77, 11.42, 15.42))
            self.assertEqual(wizard.amount_to_pay, 118.19)
            action = wizard.action_confirm()
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "done")
        self.assertEqual(action["res_id"], appointment.id, "back on the checkout screen")
        self.assertEqual(appointment.price, wizard.amount_bill, "the dialog showed the bill to the cent")
        self.assertEqual(appointment.line_ids.mapped("line_type"), ["service", "addon", "discount"])
        self.assertEqual((contract.state, contract.amount_balance_due, contract.amount_tip), ("paid", 0.0, 15.42))
        payments = contract.counter_payment_ids
        self.assertEqual(sorted(payments.mapped("booking_payment_kind")), ["balance", "tip"])
        self.assertEqual(set(payments.journal_id.mapped("type")), {"cash"})
        self.assertEqual(sum(payments.mapped("amount")), wizard.amount_to_pay, "what the dialog said to take")
        receipts = self.outbox(appointment, "receipt").filtered(lambda receipt: receipt.state != "cancelled")
        self.assertEqual(receipts.mapped("channel"), ["email"],
                         "one receipt, by the page's rule (the balance's gave way to the tip's, issue 24)")
        self.assertInvoicesMatch(contract)

    def test_the_card_on_file_pays_bill_and_tip(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        with freeze_time(VISIT):
            appointment.action_check_in()
        with freeze_time(AFTER):
            wizard = self._checkout(appointment, tip_choice="20")
            self.assertEqual(wizard.pay_with, "card", "a card on file is the usual way")
            self.assertEqual((wizard.amount_paid_before, wizard.tip_amount, wizard.amount_to_pay), (40, 20, 80))
            wizard.action_confirm()
        contract = appointment.contract_id
        charges = contract.transaction_ids.filtered(lambda tx: tx.state == "done").sorted("id")
        self.assertEqual([(tx.booking_payment_kind, tx.amount) for tx in charges],
                         [("deposit", 40), ("balance", 60), ("tip", 20)])
        self.assertEqual(contract.state, "paid")
        self.assertInvoicesMatch(contract)

    def test_a_text_or_a_printed_receipt(self):
        walk_in = self.env["res.partner"].create({"name": "Wanda Walk-in", "phone": "+33 6 12 34 56 78"})
        appointment = self._checked_in(partner=walk_in)
        with freeze_time(AFTER):
            wizard = self._checkout(appointment)
            self.assertEqual(wizard.receipt, "sms", "no e-mail: a text")
            wizard.action_confirm()
        self.assertEqual(len(self.outbox(appointment, "receipt", channel="sms")), 1, "texted, once")
        nobody = self.env["res.partner"].create({"name": "No Contact"})
        with freeze_time(NOW):
            other = self._book(self.at(14), partner_id=nobody.id)
        with freeze_time("2025-06-02 12:05:00"):
            other.action_check_in()
            wizard = self._checkout(other)
            self.assertEqual(wizard.receipt, "print")
            action = wizard.action_confirm()
        self.assertEqual((action["type"], action["report_name"]),
                         ("ir.actions.report", "self_serve_booking.report_booking_receipt"))
        self.assertEqual(other.contract_id.state, "paid")
        with freeze_time("2025-06-02 13:05:00"):
            third = self._book(self.at(15, 30), partner_id=nobody.id)
            third.action_check_in()
            with self.assertRaisesRegex(UserError, "no e-mail address"):
                self._checkout(third, receipt="email").action_confirm()
        self.assertEqual(third.state, "checked_in", "refused before anything happened")

    def test_a_discount_larger_than_the_bill_changes_nothing(self):
        appointment = self._checked_in()
        with freeze_time(AFTER), self.assertRaises(UserError):
            self._checkout(appointment, discount="150").action_confirm()
        self.assertEqual((appointment.state, len(appointment.line_ids)), ("checked_in", 1))
        with freeze_time(AFTER), self.assertRaises(ValidationError):
            self._checkout(appointment, discount="ten percent").action_confirm()
        self.assertEqual(appointment.state, "checked_in")

    def test_only_the_staff_of_the_company_check_out(self):
        appointment = self._checked_in()
        other_company = self.env["res.company"].create({"name": "Other Salon"})
        stranger = mail_new_test_user(
            self.env, login="other_staff", name="Oscar Other", company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")
        with freeze_time(AFTER):
            with self.assertRaises(AccessError):
                self._checkout(appointment, user=stranger).action_confirm()
            with self.assertRaises(AccessError):
                self._checkout(appointment, user=self.user_portal_1)
        self.assertEqual(appointment.state, "checked_in")


@tagged("post_install", "-at_install")
class TestNoShowAtTheDesk(DeskCase):
    """A no-show fee nobody was asked for is said so, and taken at the counter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"no_show_fee_type": "fixed", "no_show_fee_value": 30})

    def _no_show(self, partner):
        with freeze_time(NOW):
            appointment = self._book(self.at(10), partner_id=partner.id)
        with freeze_time(AFTER):
            appointment.with_user(self.user_staff).action_no_show()
        return appointment

    def test_a_walk_in_without_e_mail_is_told_nothing_and_pays_at_the_desk(self):
        walk_in = self.env["res.partner"].create({"name": "Wanda Walk-in"})
        appointment = self._no_show(walk_in)
        todo = appointment.activity_ids
        self.assertEqual(len(todo), 1)
        self.assertNotIn("received a payment link", str(todo.note))
        self.assertIn("has no e-mail address", str(todo.note))
        self.assertFalse(appointment.message_ids.filtered(lambda message: walk_in in message.partner_ids),
                         "nothing was sent to the customer")
        self.assertFalse(self.env["mail.mail"].search([("recipient_ids", "in", walk_in.ids)]))
        self.assertEqual(appointment.no_show_fee_due, 30)
        action = appointment.with_user(self.user_staff).action_take_no_show_fee()
        wizard = self.env["booking.counter.payment"].with_user(self.user_staff).with_context(
            **action["context"]).create({})
        self.assertEqual((wizard.kind, wizard.amount, wizard.pay_with), ("no_show_fee", 30, "counter"))
        wizard.action_confirm()
        contract = appointment.contract_id
        self.assertEqual((contract.amount_fee, appointment.no_show_fee_due), (30, 0))
        self.assertInvoicesMatch(contract)

    def test_a_customer_with_e_mail_gets_the_link_and_staff_are_told_so(self):
        appointment = self._no_show(self.customer)
        self.assertIn("received a payment link by e-mail", str(appointment.activity_ids.note))
        link = appointment.message_ids.filtered(lambda message: "Pay online" in str(message.body))
        self.assertEqual(link.partner_ids, self.customer)
