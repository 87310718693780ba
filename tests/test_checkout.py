"""Money at the counter: the itemised bill, payments at the desk, the final invoice, the receipt.

Every path is checked to the cent against the books (invoices, credit notes,
payments and their reconciliation), once in a currency without decimals
(JPY) and once in one with three (KWD).
"""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.payment.tests.common import PaymentCommon

from .common import MONDAY
from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentMixin
from .common import local_to_utc

VISIT = "2025-06-02 08:30:00"  # Monday 10:30 in Paris: the 10:00 appointment is under way


class CheckoutPaths:
    """The salon in a company of its own, in ``CURRENCY``, with an add-on taxed on top of its price.

    Not a test case itself: each currency's class below runs these paths.
    """

    CURRENCY = None
    PRICE_DIGITS = 2
    # per currency: the service, its 40 % deposit, an add-on and its tax on top, a discount, a tip
    SERVICE = DEPOSIT = ADDON = ADDON_TOTAL = DISCOUNT = TIP = OTHER_SERVICE = 0.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        currency = cls._prepare_currency(cls.CURRENCY)
        cls.env.ref("product.decimal_price").digits = cls.PRICE_DIGITS
        company = cls.env["res.company"].create({"name": f"{cls.CURRENCY} Salon", "currency_id": currency.id})
        cls.env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
        company.currency_id = currency
        cls.env.user.company_ids |= company
        cls.env.user.company_id = company
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.currency = currency
        cls.service_deposit.price = cls.SERVICE
        cls.service.price = cls.OTHER_SERVICE
        tax = cls.env["account.tax"].create({
            "name": "Care products 15% (on top)", "amount": 15, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_excluded", "company_id": company.id,
        })
        cls.addon = cls.env["product.product"].create({
            "name": "Hair mask", "type": "service", "list_price": cls.ADDON, "taxes_id": [Command.set(tax.ids)],
        })
        cls.discount = cls.env.ref("self_serve_booking.product_booking_discount")
        Journal = cls.env["account.journal"]
        cls.cash = Journal.search([("type", "=", "cash"), ("company_id", "=", company.id)], limit=1)
        cls.bank = Journal.search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
        cls.user_staff.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
        cls.customer.phone = "+33 6 12 34 56 78"

    def assertMoney(self, first, second, msg=None):
        self.assertEqual(self.currency.compare_amounts(first, second), 0, msg or f"{first} != {second}")

    def _paid_booking(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertMoney(appointment.contract_id.amount_deposit_paid, self.DEPOSIT)
        return appointment

    def _add_lines(self, appointment, user=None):
        Line = self.env["booking.appointment.line"].with_user(user or self.user_staff)
        return Line.create([
            {"appointment_id": appointment.id, "line_type": "addon", "product_id": self.addon.id},
            {"appointment_id": appointment.id, "line_type": "discount", "product_id": self.discount.id,
             "name": "Loyalty", "price_unit": -self.DISCOUNT},
        ])

    def _counter(self, appointment, kind, amount, journal=None, user=None):
        wizard = self.env["booking.counter.payment"].with_user(user or self.user_staff).create({
            "appointment_id": appointment.id, "kind": kind, "amount": amount, "pay_with": "counter",
            "journal_id": (journal or self.cash).id,
        })
        wizard.action_confirm()
        return appointment.contract_id.counter_payment_ids.sorted("id")[-1:]

    # === THE PATHS === #

    def test_deposit_online_addon_discount_cash_balance_card_tip(self):
        appointment = self._paid_booking()
        self._add_lines(appointment)
        bill = self.SERVICE + self.ADDON_TOTAL - self.DISCOUNT
        self.assertMoney(appointment.price, bill)
        contract = appointment.contract_id
        self.assertMoney(contract.amount_total, bill, "the contract follows the bill")
        with freeze_time(VISIT):
            appointment.action_check_in()
            appointment.with_user(self.user_staff).action_checkout_complete()
        self.assertEqual(appointment.state, "done")
        self.assertMoney(contract.amount_balance_due, bill - self.DEPOSIT)
        final = contract.final_invoice_id
        self.assertMoney(final.amount_total, bill - self.DEPOSIT, "the bill minus the deposit invoice")
        self.assertEqual(len(final.invoice_line_ids), 4, "service, add-on, discount, deposit taken back")
        self.assertMoney(final.amount_tax, self.ADDON_TOTAL - self.ADDON)
        self.assertInvoicesMatch(contract)  # open: exactly the balance due

        with self.assertRaises(UserError), self.cr.savepoint():
            appointment.line_ids[-1].with_user(self.user_staff).price_unit = -1  # the bill is final after checkout

        payment = self._counter(appointment, "balance", bill - self.DEPOSIT)
        self.assertEqual((payment.journal_id, payment.payment_type, payment.booking_payment_kind),
                         (self.cash, "inbound", "balance"))
        self.assertIn(final, payment.reconciled_invoice_ids)
        self.assertIn(final.payment_state, ("paid", "in_payment"))
        self.assertEqual(contract.state, "paid")
        self.assertTrue(self.outbox(appointment, "receipt"), "settled: the receipt goes out")

        tip = contract._charge_saved_card("tip", self.TIP)
        self.assertEqual((tip.state, tip.token_id.payment_details), ("done", "4242"))
        self.assertMoney(contract.amount_tip, self.TIP)
        self.assertMoney(contract.amount_net, bill + self.TIP)
        self.assertInvoicesMatch(contract)

        receipt = contract._get_receipt_values()
        self.assertEqual([item["kind"] for item in receipt["items"]], ["service", "addon", "discount"])
        self.assertMoney(receipt["items"][1]["amount"], self.ADDON_TOTAL)
        self.assertMoney(receipt["subtotal"], bill)
        self.assertMoney(receipt["total_charged"], bill + self.TIP)
        methods = [move["method"] for move in receipt["payments"]]
        self.assertEqual(len(methods), 3)
        self.assertIn(self.cash.name, methods[1])
        self.assertIn("4242", methods[2])
        self.assertTrue(receipt["rebook_url"])

    def test_price_change_after_the_deposit(self):
        appointment = self._paid_booking()
        contract = appointment.contract_id
        service_line = appointment._get_service_line()
        service_line.with_user(self.user_staff).price_unit = self.SERVICE + self.ADDON
        self.assertMoney(contract.amount_total, self.SERVICE + self.ADDON)
        self.assertMoney(contract.amount_deposit_paid, self.DEPOSIT, "the deposit stays")
        # another service: its line follows, the deposit stays, the balance is recomputed
        appointment.with_user(self.user_staff).service_id = self.service
        self.assertEqual(appointment._get_service_line().name, self.service.name)
        self.assertMoney(appointment.price, self.OTHER_SERVICE)
        self.assertMoney(contract.amount_balance_due, self.OTHER_SERVICE - self.DEPOSIT)
        with self.assertRaisesRegex(UserError, "less than what was already paid"), self.cr.savepoint():
            appointment._get_service_line().price_unit = self.DEPOSIT / 2
        self.assertMoney(appointment.price, self.OTHER_SERVICE, "nothing half-written")
        with freeze_time(VISIT):
            appointment.action_check_in()
            appointment.action_complete()  # charges the saved card
        balance = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "balance")
        self.assertMoney(balance.amount, self.OTHER_SERVICE - self.DEPOSIT)
        self.assertEqual(balance.invoice_ids, contract.final_invoice_id, "the card pays the final invoice")
        self.assertEqual(contract.state, "paid")
        self.assertInvoicesMatch(contract)

    def test_no_show_with_lines(self):
        self.policy.write({"no_show_fee_type": "percent", "no_show_fee_value": 50})
        appointment = self._paid_booking()
        self._add_lines(appointment)[1].unlink()  # the add-on stays, the discount goes
        bill = self.SERVICE + self.ADDON_TOTAL
        self.assertMoney(appointment.price, bill)
        with freeze_time(VISIT):
            appointment.action_no_show()
        contract = appointment.contract_id
        fee = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "no_show_fee")
        expected = self.currency.round(self.currency.round(bill / 2) - self.DEPOSIT)
        self.assertMoney(fee.amount, expected, "half the bill, add-on included, minus the deposit")
        self.assertEqual(fee.state, "done")
        self.assertFalse(contract.final_invoice_id)
        self.assertMoney(contract.amount_net, self.DEPOSIT + expected)
        self.assertInvoicesMatch(contract)

    def test_counter_deposit_refunded_at_the_counter_by_policy(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self.assertEqual(appointment.state, "pending_payment")
            payment = self._counter(appointment, "deposit", self.DEPOSIT)
        self.assertEqual(appointment.state, "confirmed", "the deposit paid at the desk secures the time")
        contract = appointment.contract_id
        self.assertMoney(contract.amount_deposit_paid, self.DEPOSIT)
        self.assertEqual(payment.reconciled_invoice_ids.booking_payment_kind, "deposit")
        self.assertInvoicesMatch(contract)
        with freeze_time("2025-06-01 20:00:00"):  # 12 hours' notice: half the deposit back
            appointment.action_cancel(cancelled_by="customer")
        refund = contract.counter_payment_ids.filtered(lambda p: p.payment_type == "outbound")
        half = self.currency.round(self.DEPOSIT / 2)
        self.assertMoney(refund.amount, half)
        self.assertEqual((refund.journal_id, refund.booking_refunded_payment_id), (self.cash, payment))
        credit_note = contract.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertMoney(credit_note.amount_total, half)
        self.assertIn(credit_note, refund.reconciled_invoice_ids)
        self.assertMoney(contract.amount_refunded, half)
        self.assertMoney(contract.amount_net, self.DEPOSIT - half)
        self.assertIn("Give back", appointment.activity_ids.summary)
        self.assertInvoicesMatch(contract)

    def test_split_payment_at_the_counter_and_bad_input(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10), service=self.service_deposit, state="confirmed")
        with freeze_time(VISIT):
            appointment.action_check_in()
            self._add_lines(appointment)
            appointment.action_checkout_complete()
        contract = appointment.contract_id
        bill = self.SERVICE + self.ADDON_TOTAL - self.DISCOUNT
        self.assertMoney(contract.amount_balance_due, bill)
        part = self.currency.round(bill / 3)
        for kind, amount, journal, error in (
            ("balance", 0, self.cash, "positive"),
            ("balance", -part, self.cash, "positive"),
            ("balance", bill + 1, self.cash, "more than what is due"),
            ("deposit", part, self.cash, "Nothing is due"),
        ):
            with self.assertRaisesRegex(ValidationError, error), self.cr.savepoint():
                contract._register_counter_payment(kind, amount, journal)
        other = self.env["res.company"].create({"name": "Elsewhere"})
        foreign = self.env["account.journal"].sudo().create(
            {"name": "Elsewhere cash", "type": "cash", "code": "XCSH", "company_id": other.id})
        with self.assertRaisesRegex(ValidationError, "journal"), self.cr.savepoint():
            contract._register_counter_payment("balance", part, foreign)
        self.assertFalse(contract.counter_payment_ids, "nothing half-written")

        self._counter(appointment, "balance", part, journal=self.bank)
        self.assertMoney(contract.amount_balance_due, bill - part)
        self.assertEqual(contract.final_invoice_id.payment_state, "partial")
        self.assertInvoicesMatch(contract)
        self._counter(appointment, "balance", bill - part)
        self.assertEqual(contract.state, "paid")
        self.assertEqual(len(contract.counter_payment_ids), 2)
        self.assertInvoicesMatch(contract)
        receipt = contract._get_receipt_values()
        self.assertIn(self.bank.name, receipt["payment_method"])
        self.assertIn(self.cash.name, receipt["payment_method"])

    @mute_logger("odoo.addons.sms.models.sms_sms")
    def test_receipt_by_sms_and_email(self):
        appointment = self._paid_booking()
        with self.assertRaisesRegex(UserError, "checked out"):
            appointment.action_send_receipt_by_sms()
        with freeze_time(VISIT):
            appointment.action_check_in()
            appointment.action_complete()
        appointment.with_user(self.user_staff).action_send_receipt_by_sms()
        appointment.with_user(self.user_staff).action_send_receipt_by_email()
        self.dispatch()
        sms = self.sent_sms(self.customer)
        self.assertEqual(len(sms), 1)
        self.assertIn(appointment._get_receipt_url(), sms.body)
        self.assertIn("access_token=", sms.body, "the link opens this booking's page, nothing else")
        self.assertEqual(len(self.sent_messages(appointment, "Your receipt")), 2, "checkout's and the desk's")


@tagged("post_install", "-at_install")
class TestCheckoutYen(CheckoutPaths, BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    allow_inherited_tests_method = True
    CURRENCY = "JPY"
    SERVICE, DEPOSIT, OTHER_SERVICE = 10000, 4000, 15000
    ADDON, ADDON_TOTAL = 1234, 1419  # 15 % on top: 185.1, rounded to the yen
    DISCOUNT, TIP = 500, 1000


@tagged("post_install", "-at_install")
class TestCheckoutDinar(CheckoutPaths, BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    allow_inherited_tests_method = True
    CURRENCY = "KWD"
    PRICE_DIGITS = 3
    SERVICE, DEPOSIT, OTHER_SERVICE = 100.125, 40.05, 150.375
    ADDON, ADDON_TOTAL = 12.345, 14.197  # 15 % on top: 1.85175, rounded to the fils
    DISCOUNT, TIP = 5.5, 10.5


@tagged("post_install", "-at_install")
class TestBillTaxRounding(BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    """The bill totals what ``account.tax`` says, as the invoice of the same lines, to the cent.

    Several lines and taxes, price-included and on top, in both of the
    company's rounding methods: per line (each line's tax rounded, then
    added up) and globally (each tax added up over the lines, then rounded).
    The amounts are chosen so the two methods differ by a cent or more.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        company = cls.env.company

        def tax(name, amount, included):
            return cls.env["account.tax"].create({
                "name": name, "amount": amount, "amount_type": "percent", "type_tax_use": "sale",
                "price_include_override": "tax_included" if included else "tax_excluded",
                "company_id": company.id,
            })

        cls.vat = tax("VAT 20% (included)", 20, True)
        cls.reduced = tax("VAT 5.5% (included)", 5.5, True)
        cls.on_top = tax("Care 15% (on top)", 15, False)
        cls.eco = tax("Eco 7% (on top)", 7, False)
        Product = cls.env["product.product"]
        cls.service_deposit.write({"price": 99.99, "product_id": Product.create({
            "name": "Massage", "type": "service", "taxes_id": [Command.set(cls.vat.ids)]}).id})
        cls.addons = Product.create([
            {"name": "Mask", "type": "service", "list_price": 1.03, "taxes_id": [Command.set(cls.on_top.ids)]},
            {"name": "Oil", "type": "service", "list_price": 2.07,
             "taxes_id": [Command.set((cls.on_top | cls.eco).ids)]},
            {"name": "Cream", "type": "service", "list_price": 10.01, "taxes_id": [Command.set(cls.vat.ids)]},
            {"name": "Tea", "type": "service", "list_price": 3.33, "taxes_id": [Command.set(cls.reduced.ids)]},
        ])
        cls.cash = cls.env["account.journal"].search(
            [("type", "=", "cash"), ("company_id", "=", company.id)], limit=1)

    def _bill(self, appointment):
        """Several taxed lines, a discount under the service's included tax.

        Rounded globally, Odoo's total of these lines is 129.22; adding up each
        line's rounded total gives 129.23.
        """
        mask, oil, cream, tea = self.addons
        self.env["booking.appointment.line"].create([
            {"appointment_id": appointment.id, "line_type": "addon", "product_id": product.id}
            for product in (mask, oil, oil, cream, cream, tea)
        ] + [{"appointment_id": appointment.id, "line_type": "discount", "name": "Goodwill", "price_unit": -0.35,
              "tax_ids": [Command.set(self.vat.ids)]}])

    def assertBillIsTheTaxTotals(self, appointment, invoice=None):
        """The bill's untaxed, tax and total are Odoo's tax totals (and the invoice's), to the cent."""
        totals = appointment.tax_totals
        expected = [(totals["base_amount_currency"], totals["tax_amount_currency"], totals["total_amount_currency"])]
        if invoice:
            expected.append((invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total))
        bill = (appointment.price_subtotal, appointment.price_tax, appointment.price)
        compare = appointment.currency_id.compare_amounts
        for amounts in expected:
            self.assertEqual([compare(mine, theirs) for mine, theirs in zip(bill, amounts, strict=True)], [0, 0, 0],
                             f"bill {bill} vs {amounts}")

    def test_bill_is_the_invoice_of_its_lines_in_both_rounding_methods(self):
        differ = set()
        for hour, method in ((10, "round_per_line"), (14, "round_globally")):
            with self.subTest(method=method):
                self.env.company.tax_calculation_rounding_method = method
                with freeze_time(NOW):
                    appointment = self._book(local_to_utc(MONDAY, hour), service=self.service_deposit)
                self._bill(appointment)
                self.assertBillIsTheTaxTotals(appointment)
                with freeze_time(appointment.start + timedelta(minutes=30)):
                    appointment.action_check_in()
                    appointment.action_complete(charge_card=False)
                contract = appointment.contract_id
                final = contract.final_invoice_id
                self.assertEqual(len(final.invoice_line_ids), 8)
                self.assertBillIsTheTaxTotals(appointment, final)
                self.assertEqual(contract.amount_balance_due, final.amount_total)
                contract._register_counter_payment("balance", contract.amount_balance_due, self.cash)
                self.assertEqual(contract.state, "paid")
                self.assertIn(final.payment_state, ("paid", "in_payment"))
                self.assertInvoicesMatch(contract)
                differ.add((appointment.price_subtotal, appointment.price_tax, appointment.price))
        self.assertEqual(len(differ), 2, "the two methods give different totals on these lines")

    def test_bill_with_a_deposit_adds_up_with_its_invoices(self):
        for hour, method in ((10, "round_per_line"), (14, "round_globally")):
            with self.subTest(method=method):
                self.env.company.tax_calculation_rounding_method = method
                with freeze_time(NOW):
                    appointment = self._book_deposit(hour=hour)
                    self._pay(appointment)
                self.assertEqual(appointment.state, "confirmed")
                self._bill(appointment)
                self.assertBillIsTheTaxTotals(appointment)
                contract = appointment.contract_id
                with freeze_time(appointment.start + timedelta(minutes=30)):
                    appointment.action_check_in()
                    appointment.action_complete(charge_card=False)
                invoices = contract.invoice_ids.filtered(lambda move: move.move_type == "out_invoice")
                self.assertEqual(len(invoices), 2, "the deposit's and the final one")
                self.assertEqual(contract.currency_id.compare_amounts(
                    sum(invoices.mapped("amount_total")), appointment.price), 0,
                    f"invoices {invoices.mapped('amount_total')} vs the bill {appointment.price}")
                self.assertEqual(contract.amount_balance_due, contract.final_invoice_id.amount_total)
                contract._register_counter_payment("balance", contract.amount_balance_due, self.cash)
                self.assertEqual(contract.state, "paid")
                self.assertInvoicesMatch(contract)
