import json
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.payment.tests.common import PaymentCommon

from .common import MONDAY
from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentMixin
from .common import local_to_utc


class PaymentCase(BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()


@tagged("post_install", "-at_install")
class TestDeposit(PaymentCase):

    @freeze_time(NOW)
    def test_deposit_success_confirms_and_invoices(self):
        appointment = self._book_deposit()
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "pending_payment")
        self.assertEqual(appointment.hold_expires_at, datetime(2025, 6, 1, 10, 15), "15 minutes by default")
        self.assertEqual((contract.amount_total, contract.amount_deposit, contract.state),
                         (100.0, 40.0, "deposit_due"))
        tx = self._pay(appointment)
        self.assertEqual(tx.reference, f"{appointment.name}-DEP")
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.hold_expires_at)
        self.assertEqual((contract.amount_deposit_paid, contract.amount_balance_due, contract.state),
                         (40.0, 60.0, "open"))
        self.assertTrue(tx.token_id, "the card is saved for the balance")
        self.assertEqual(len(contract.invoice_ids), 1)
        self.assertEqual(contract.invoice_ids.invoice_line_ids.product_id, self.env.ref(
            "self_serve_booking.product_booking_service"))
        self.assertInvoicesMatch(contract)
        bodies = " ".join(str(m.body) for m in appointment.message_ids)
        self.assertIn("has been confirmed", bodies, "payment events are logged on the appointment")
        self.assertIn("Awaiting Payment → Confirmed", bodies)

    @freeze_time(NOW)
    def test_deposit_paid_is_told_live_to_the_customers_api_sessions(self):
        session = self.env["booking.customer.session"].sudo().create({
            "partner_id": self.customer.id, "page_id": self.page.id, "channel": "email", "state": "active",
            "expires_at": NOW + timedelta(hours=1)})
        appointment = self._book_deposit()
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()
        self._pay(appointment)
        self.env.cr.precommit.run()
        channel = f'"booking.customer.session",{session.id},"live"]'
        events = [json.loads(row.message)["payload"]
                  for row in self.env["bus.bus"].sudo().search([("channel", "like", channel)])]
        self.assertEqual([(e["event"], e.get("kind"), e.get("amount")) for e in events],
                         [("paid", "deposit", 40.0), ("confirmed", None, None)])

    @freeze_time(NOW)
    def test_deposit_goes_to_approval_when_the_service_needs_it(self):
        self.service_approval.write({"deposit_type": "fixed", "deposit_value": 20})
        appointment = self._book_deposit(service=self.service_approval)
        self._pay(appointment)
        self.assertEqual(appointment.state, "pending")

    def test_tokenization_required_when_a_balance_follows(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        self.assertTrue(self.demo_provider._is_tokenization_required(booking_appointment_id=appointment.id))
        self.service_deposit.write({"deposit_type": "percent", "deposit_value": 100})
        with freeze_time(NOW):
            full = self._book_deposit(hour=14)
        self.assertFalse(self.demo_provider._is_tokenization_required(booking_appointment_id=full.id))

    def test_deposit_failure_keeps_the_hold_then_releases_the_slot(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            tx = self._pay(appointment, state="error")
            self.assertEqual(tx.state, "error")
            self.assertEqual(appointment.state, "pending_payment")
            self.assertFalse(appointment.contract_id.invoice_ids, "no invoice for a failed payment")
            self.assertIn("did not go through", str(appointment.message_ids[0].body))
            taken = [s.start for s in self.slots(service=self.service_deposit, providers=appointment.provider_id)]
            self.assertNotIn(appointment.start, taken, "the hold keeps the time")
        with freeze_time(NOW + timedelta(minutes=16)):
            free = [s.start for s in self.slots(service=self.service_deposit, providers=appointment.provider_id,
                                                now=NOW + timedelta(minutes=16))]
            self.assertIn(appointment.start, free, "an expired hold is free time")
            # the next customer takes it: the hold is released on the spot
            other = self.env["res.partner"].create({"name": "Next", "email": "next@example.com"})
            second = self._book(appointment.start, provider=appointment.provider_id, service=self.service_deposit,
                                partner_id=other.id)
        self.assertEqual(appointment.state, "expired")
        self.assertEqual(second.state, "confirmed")

    def test_cron_releases_expired_holds_but_not_paid_ones(self):
        with freeze_time(NOW):
            unpaid = self._book_deposit(hour=9)
            paying = self._book_deposit(hour=11)
            self._pay(paying, state="pending")
        with freeze_time(NOW + timedelta(minutes=20)):
            self.assertEqual(self.env["booking.scheduler"]._cron_expire_payment_holds(), 1)
            self.assertEqual(self.env["booking.scheduler"]._cron_expire_payment_holds(), 0, "idempotent")
        self.assertEqual(unpaid.state, "expired")
        self.assertEqual(paying.state, "pending_payment", "its deposit is on the way")

    def test_late_deposit_books_when_the_time_is_still_free(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        with freeze_time(NOW + timedelta(minutes=20)):
            self.env["booking.scheduler"]._cron_expire_payment_holds()
            self.assertEqual(appointment.state, "expired")
            self._pay(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.contract_id.amount_net, 40.0)

    def test_late_deposit_is_refunded_when_the_time_was_taken(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        with freeze_time(NOW + timedelta(minutes=20)):
            other = self.env["res.partner"].create({"name": "Quick", "email": "quick@example.com"})
            self._book(appointment.start, provider=appointment.provider_id, service=self.service_deposit,
                       partner_id=other.id)
            self.assertEqual(appointment.state, "expired")
            tx = self._pay(appointment)
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "expired")
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.amount, refund.state), ("refund", -40.0, "done"))
        self.assertEqual((contract.amount_paid, contract.amount_refunded, contract.amount_net), (40.0, 40.0, 0.0))
        customer_message = appointment.message_ids.filtered(lambda m: self.customer in m.partner_ids)[:1]
        self.assertIn("refunded in full", str(customer_message.body), "the customer is told")
        self.assertInvoicesMatch(contract)


@tagged("post_install", "-at_install")
class TestCheckout(PaymentCase):

    def _deposit_paid_and_checked_in(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            deposit = self._pay(appointment)
        with freeze_time("2025-06-02 07:55:00"):
            appointment.action_check_in()
        return appointment, deposit

    def test_balance_charged_off_session_at_checkout(self):
        appointment, deposit = self._deposit_paid_and_checked_in()
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_complete()
            self.assertTrue(self.env["booking.notification"].search(
                [("appointment_id", "=", appointment.id), ("event", "=", "receipt"), ("state", "=", "pending")]),
                "the receipt is queued, not sent inside the checkout")
            self.env["booking.notification"]._cron_dispatch()
        contract = appointment.contract_id
        balance = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "balance")
        self.assertEqual((balance.amount, balance.state, balance.operation), (60.0, "done", "offline"))
        self.assertEqual(balance.token_id, deposit.token_id)
        self.assertEqual((contract.amount_balance_due, contract.state, contract.amount_net), (0.0, "paid", 100.0))
        self.assertInvoicesMatch(contract)
        receipt_mail = self.env["mail.message"].search([
            ("model", "=", "booking.appointment"), ("res_id", "=", appointment.id),
            ("subject", "like", "Your receipt"),
        ])
        self.assertEqual(len(receipt_mail), 1)
        self.assertEqual(len(receipt_mail.attachment_ids), 1, "the receipt is attached")

    def test_receipt_goes_without_its_pdf_when_the_pdf_cannot_be_made(self):
        """No wkhtmltopdf, a broken report: the receipt e-mail still goes, at once, with its link."""
        appointment, _deposit = self._deposit_paid_and_checked_in()
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_complete()
            Report = type(self.env["ir.actions.report"])
            with patch.object(Report, "_render_qweb_pdf", side_effect=UserError("Unable to find Wkhtmltopdf")), \
                    mute_logger("odoo.addons.self_serve_booking.models.booking_notification"):
                self.env["booking.notification"]._cron_dispatch()
        outbox = self.env["booking.notification"].search(
            [("appointment_id", "=", appointment.id), ("event", "=", "receipt")])
        self.assertEqual((outbox.state, outbox.attempts), ("sent", 1), "sent at the first try, not retried")
        receipt_mail = self.env["mail.message"].search([
            ("model", "=", "booking.appointment"), ("res_id", "=", appointment.id),
            ("subject", "like", "Your receipt")])
        self.assertEqual(len(receipt_mail), 1)
        self.assertFalse(receipt_mail.attachment_ids)
        self.assertIn(appointment.partner_id, receipt_mail.partner_ids)

    def test_balance_failure_keeps_it_due_and_sends_a_payment_link(self):
        appointment, deposit = self._deposit_paid_and_checked_in()
        deposit.token_id.demo_simulated_state = "error"
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_complete()
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "done", "checkout happened, the money is still due")
        self.assertEqual((contract.amount_balance_due, contract.state), (60.0, "balance_due"))
        failed = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "balance")
        self.assertEqual(failed.state, "error")
        link_message = appointment.message_ids.filtered(lambda m: "Pay online" in str(m.body))
        self.assertEqual(link_message.partner_ids, self.customer)
        self.assertIn(appointment.get_portal_url(), str(link_message.body))
        self.assertTrue(appointment.activity_ids, "staff get a to-do")
        self.assertInvoicesMatch(contract)
        # the customer pays it through the portal later
        self._pay(appointment, kind="balance")
        self.assertEqual(contract.state, "paid")
        self.assertInvoicesMatch(contract)

    @freeze_time(NOW)
    def test_no_card_means_a_payment_link(self):
        appointment = self._book(self.at(10))  # walk-in, no deposit, no card
        appointment.action_check_in()
        appointment.action_complete()
        contract = appointment.contract_id
        self.assertFalse(contract.transaction_ids)
        self.assertEqual((contract.amount_balance_due, contract.state), (100.0, "balance_due"))
        link_message = appointment.message_ids.filtered(lambda m: "Pay online" in str(m.body))
        self.assertEqual(link_message.partner_ids, self.customer, "sent to the customer")
        self.assertIn("No saved card", str(link_message.body))

    def test_tip_and_the_receipt_of_the_reference_example(self):
        """100 service, 40 % deposit, 18 % tip: 78 paid at checkout, 118 charged."""
        appointment, _deposit = self._deposit_paid_and_checked_in()
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_complete()
            contract = appointment.contract_id
            options = dict(contract._get_tip_options())
            self.assertEqual(options, {15: 15.0, 18: 18.0, 20: 20.0})
            tip = contract._charge_tip(options[18])
        self.assertEqual((tip.state, tip.booking_payment_kind, tip.reference), ("done", "tip",
                                                                               f"{appointment.name}-TIP"))
        self.assertEqual(tip.invoice_ids.invoice_line_ids.product_id, self.env.ref(
            "self_serve_booking.product_booking_tip"))
        receipt = contract._get_receipt_values()
        figures = {key: receipt[key] for key in ("subtotal", "deposit_paid", "balance", "tip", "total_paid",
                                                 "total_charged")}
        self.assertEqual(figures, {"subtotal": 100.0, "deposit_paid": 40.0, "balance": 60.0, "tip": 18.0,
                                   "total_paid": 78.0, "total_charged": 118.0})
        self.assertEqual(receipt["tip_percent"], "18")
        self.assertTrue(receipt["payment_method"].endswith("****4242"))
        self.assertEqual(receipt["duration_minutes"], 60)
        self.assertInvoicesMatch(contract)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "self_serve_booking.action_report_booking_receipt", appointment.ids)[0].decode()
        for text in ("Subtotal", "100.00", "Deposit (paid)", "40.00", "60.00", "Tip (18%)", "18.00",
                     "Total Paid", "78.00", "Total Charged", "118.00", "****4242", "60 minutes"):
            self.assertIn(text, html)
        with self.assertRaisesRegex(ValidationError, "already added"):
            contract._charge_tip(5.0)

    def test_tip_guards(self):
        appointment, _deposit = self._deposit_paid_and_checked_in()
        contract = appointment.contract_id
        with self.assertRaisesRegex(ValidationError, "after the appointment"):
            contract._charge_tip(10.0)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_complete()
        for amount in (0.0, -5.0, 100.01):
            with self.subTest(amount=amount), self.assertRaises(ValidationError):
                contract._charge_tip(amount)


@tagged("post_install", "-at_install")
class TestRefunds(PaymentCase):

    def _paid_booking(self, hour=10):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=hour)
            self._pay(appointment)
        return appointment

    def test_customer_cancellation_refund_tiers_at_their_boundaries(self):
        # deposit 40; appointments at 9:00, 10:00 ... Paris on Monday 2 June
        cases = [
            (24.0, 100, 40.0),
            (23.99, 50, 20.0),
            (2.0, 50, 20.0),
            (1.99, 0, 0.0),
        ]
        for index, (notice, percent, refunded) in enumerate(cases):
            with self.subTest(notice=notice):
                appointment = self._paid_booking(hour=(9, 10, 11, 13)[index])
                contract = appointment.contract_id
                self.assertEqual(contract._get_cancellation_refund("customer", notice), (refunded, percent))
                with freeze_time(appointment.start - timedelta(hours=notice)):
                    appointment.action_cancel(reason="Conflict", cancelled_by="customer")
                refunds = contract.transaction_ids.filtered(lambda tx: tx.operation == "refund")
                self.assertEqual(-sum(refunds.mapped("amount")), refunded)
                self.assertEqual(contract.amount_refunded, refunded)
                self.assertEqual(contract.amount_net, 40.0 - refunded)
                self.assertEqual(contract.state, "closed")
                self.assertInvoicesMatch(contract)
                if refunded:
                    credit_note = contract.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
                    self.assertEqual(credit_note.amount_total, refunded)

    def test_merchant_cancellation_and_rejection_refund_in_full(self):
        appointment = self._paid_booking()
        with freeze_time("2025-06-02 07:30:00"):  # 30 minutes before: a customer would get nothing
            appointment.action_cancel(reason="Provider ill", cancelled_by="merchant")
        self.assertEqual(appointment.contract_id.amount_refunded, 40.0)
        self.service_approval.write({"deposit_type": "fixed", "deposit_value": 20})
        with freeze_time(NOW):
            request = self._book_deposit(hour=14, service=self.service_approval)
            self._pay(request)
            self.assertEqual(request.state, "pending")
            request.action_decline(reason="Fully booked")
        self.assertEqual((request.contract_id.amount_refunded, request.contract_id.amount_net), (20.0, 0.0))
        self.assertInvoicesMatch(request.contract_id)

    def test_no_show_fee_on_top_of_the_deposit(self):
        self.policy.write({"no_show_fee_type": "percent", "no_show_fee_value": 50})
        appointment = self._paid_booking()
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_no_show()
        contract = appointment.contract_id
        fee = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "no_show_fee")
        self.assertEqual((fee.amount, fee.state), (10.0, "done"), "50 % of 100, minus the 40 already paid")
        self.assertEqual((contract.amount_fee, contract.amount_net, contract.state), (10.0, 50.0, "no_show"))
        self.assertEqual(fee.invoice_ids.invoice_line_ids.product_id,
                         self.env.ref("self_serve_booking.product_booking_no_show_fee"))
        self.assertInvoicesMatch(contract)

    def test_no_show_fee_covered_by_the_deposit(self):
        self.policy.write({"no_show_fee_type": "fixed", "no_show_fee_value": 30})
        appointment = self._paid_booking()
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_no_show()
        self.assertFalse(appointment.contract_id.transaction_ids.filtered(
            lambda tx: tx.booking_payment_kind == "no_show_fee"))
        self.assertEqual(appointment.contract_id.amount_net, 40.0)

    def test_provider_without_refunds_gets_staff_a_todo(self):
        appointment = self._paid_booking()
        self.demo_provider.support_refund = "none"
        with freeze_time(NOW):
            appointment.action_cancel(cancelled_by="merchant")
        contract = appointment.contract_id
        self.assertFalse(contract.transaction_ids.filtered(lambda tx: tx.operation == "refund"))
        self.assertEqual(contract.amount_refunded, 0.0)
        self.assertIn("Refund by hand", appointment.activity_ids.mapped("summary"))
        self.assertIn("cannot refund this automatically", " ".join(str(m.body) for m in appointment.message_ids))

    def test_staff_refund_wizard_is_bounded(self):
        appointment = self._paid_booking()
        Wizard = self.env["booking.refund.wizard"].with_user(self.user_staff)
        wizard = Wizard.create({"contract_id": appointment.contract_id.id})
        self.assertEqual(wizard.amount, 40.0)
        wizard.amount = 40.01
        with self.assertRaisesRegex(ValidationError, "At most"):
            wizard.action_refund()
        wizard.amount = 15.0
        wizard.action_refund()
        self.assertEqual(appointment.contract_id.amount_refunded, 15.0)
        self.assertInvoicesMatch(appointment.contract_id)

    def test_a_refund_on_its_way_is_never_refunded_again(self):
        """One refund path counts refunds still at the provider: staff and the policy refund what remains."""
        appointment = self._paid_booking()
        contract = appointment.contract_id
        deposit = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "deposit")
        pending = deposit._create_child_transaction(15.0, is_refund=True)
        pending._set_pending()  # a provider that confirms refunds later (a webhook)
        self.assertEqual(contract.amount_refunded, 0.0, "not refunded yet")
        wizard = self.env["booking.refund.wizard"].with_user(self.user_staff).create({"contract_id": contract.id})
        self.assertEqual((wizard.refundable, wizard.amount), (25.0, 25.0))
        wizard.amount = 40.0
        with self.assertRaisesRegex(ValidationError, "At most"), self.cr.savepoint():
            wizard.action_refund()
        self.assertEqual(deposit.child_transaction_ids, pending, "nothing half-written")
        with freeze_time(NOW):
            appointment.action_cancel(reason="Provider ill", cancelled_by="merchant")
        refunds = deposit.child_transaction_ids - pending
        self.assertEqual((refunds.amount, refunds.state), (-25.0, "done"))
        self.assertIn("Refund of $&nbsp;25.00", " ".join(str(m.body) for m in appointment.message_ids),
                      "the chatter says what was refunded")
        pending._set_done()
        pending._post_process()
        self.assertEqual((contract.amount_refunded, contract.amount_net), (40.0, 0.0))
        self.assertEqual(sum(contract.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
                             .mapped("amount_total")), 40.0, "a credit note per refund")
        self.assertInvoicesMatch(contract)

    def test_a_duplicate_the_provider_cannot_refund_goes_to_staff_like_any_refund(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
            self.demo_provider.support_refund = "none"
            second = self._pay(appointment, amount=40.0)
        contract = appointment.contract_id
        self.assertFalse(second.child_transaction_ids)
        self.assertEqual(contract.amount_refunded, 0.0, "nothing went back yet")
        bodies = " ".join(str(m.body) for m in appointment.message_ids)
        self.assertIn("it is refunded in full", bodies, "the customer is told")
        self.assertIn("cannot refund this automatically", bodies)
        self.assertIn(second.reference, bodies, "staff read what to refund by hand")
        activity = appointment.activity_ids.filtered(lambda a: a.summary == "Refund by hand")
        self.assertIn("a second deposit was paid", str(activity.note))
        self.assertIn(second.reference, str(activity.note))


@tagged("post_install", "-at_install")
class TestMoneySummary(PaymentCase):
    """What the customer reads about the money, at each step: never "paid $0.00" after a deposit."""

    def summary(self, appointment):
        appointment.invalidate_recordset()
        money = appointment.contract_id._get_money_summary()
        return money["headline"].replace("\xa0", " "), money["due_now"], money["at_visit"]

    def test_the_summary_follows_the_booking(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self.assertEqual(self.summary(appointment),
                             ("Pay the $ 40.00 deposit to secure your time; $ 60.00 at your visit.", 40.0, 60.0))
            self._pay(appointment)
            self.assertEqual(self.summary(appointment), ("Deposit of $ 40.00 paid; $ 60.00 at your visit.", 0.0, 60.0))
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
        self.assertEqual(self.summary(appointment), ("Paid in full: $ 100.00.", 0.0, 0.0))

    def test_cancelled_bookings_owe_nothing(self):
        with freeze_time(NOW):
            full = self._book_deposit(hour=10)
            self._pay(full)
            late = self._book_deposit(hour=14, day=MONDAY)
            self._pay(late)
            full.action_cancel(cancelled_by="merchant")
        self.assertEqual(full.contract_id.amount_balance_due, 0.0, "no balance on a cancelled booking")
        self.assertEqual(self.summary(full), ("Everything you paid ($ 40.00) is refunded.", 0.0, 0.0))
        self.assertFalse(full.contract_id._get_receipt_values()["balance_due"])
        with freeze_time("2025-06-02 11:30:00"):  # 30 minutes before: no refund under the policy
            late.action_cancel(cancelled_by="customer")
        self.assertEqual(self.summary(late), ("$ 40.00 is kept under the cancellation policy.", 0.0, 0.0))
        report = self.env["booking.payment.contract"]._read_group(
            [("id", "in", (full | late).contract_id.ids)], [], ["amount_balance_due:sum"])
        self.assertEqual(report[0][0], 0.0, "Reporting → Payments counts no balance for cancelled bookings")


@tagged("post_install", "-at_install")
class TestDoubleSubmits(PaymentCase):

    def test_checkout_and_cancellation_twice_charge_and_refund_once(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
            second = self._book_deposit(hour=14)
            self._pay(second)
        with freeze_time("2025-06-02 08:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
            with self.assertRaises(UserError):
                appointment.action_complete()
            second.action_cancel(cancelled_by="merchant")
            with self.assertRaises(UserError):
                second.action_cancel(cancelled_by="merchant")
        balances = appointment.contract_id.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "balance")
        self.assertEqual(len(balances), 1)
        refunds = second.contract_id.transaction_ids.filtered(lambda tx: tx.operation == "refund")
        self.assertEqual(len(refunds), 1)

    def test_second_deposit_is_refunded(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            first = self._pay(appointment)
            # a second payment completing anyway (two tabs): refunded, not kept
            second = self._pay(appointment, amount=40.0)
        contract = appointment.contract_id
        self.assertEqual(first.state, "done")
        self.assertEqual(second.child_transaction_ids.mapped("amount"), [-40.0])
        self.assertEqual(contract.amount_net, 40.0)
        self.assertInvoicesMatch(contract)

    def test_lock_refuses_a_concurrent_payment(self):
        """A second transaction working on the same booking gets a clear error at once."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            calendar = env["resource.calendar"].create({"name": "Lock hours", "tz": "Europe/Paris"})
            service = env["booking.service"].create({"name": "Lock", "duration_minutes": 60, "price": 50})
            provider = env["booking.provider"].create({
                "name": "Locky", "resource_calendar_id": calendar.id, "service_ids": [Command.set(service.ids)]})
            page = env["booking.page"].create({
                "name": "Lock page", "slug": "lock-page-test", "service_ids": [Command.set(service.ids)],
                "provider_ids": [Command.set(provider.ids)]})
            partner = env["res.partner"].create({"name": "Locked"})
            appointment = env["booking.appointment"].create({
                "page_id": page.id, "service_id": service.id, "provider_id": provider.id,
                "partner_id": partner.id, "start": local_to_utc(MONDAY, 10)})
            ids = (appointment.id, appointment.contract_id.id, page.id, provider.id, provider.resource_id.id,
                   service.id, calendar.id, partner.id)

        def cleanup():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                record = env["booking.appointment"].browse(ids[0])
                record.write({"state": "cancelled"})
                record.unlink()
                for model, record_id in zip(
                    ("booking.page", "booking.provider", "resource.resource", "booking.service",
                     "resource.calendar", "res.partner"), ids[2:], strict=True):
                    env[model].browse(record_id).unlink()

        self.addCleanup(cleanup)
        with self.registry.cursor() as holder, self.registry.cursor() as other:
            holder.execute("SELECT 1 FROM booking_appointment WHERE id = %s FOR NO KEY UPDATE", [ids[0]])
            contract = api.Environment(other, SUPERUSER_ID, {})["booking.payment.contract"].browse(ids[1])
            with mute_logger("odoo.sql_db"), self.assertRaisesRegex(UserError, "already being processed"):
                contract._lock()
            other.rollback()
            holder.rollback()
