from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import NOW
from .test_payments import PaymentCase
from .test_series import SeriesMixin


class SeriesPaymentMixin:
    def _pay_series(self, series, state="done", amount=None, operation="online_direct", shares=None, process=True):
        """Pay the deposits of ``series`` in one transaction of the demo provider, as its page's form does."""
        due = series._get_deposit_due()
        Transaction = self.env["payment.transaction"].sudo()
        values = series._prepare_deposit_transaction_values(due)
        if shares is not None:
            values["booking_deposit_shares"] = shares
        tx = Transaction.create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "reference": Transaction._compute_reference("demo", **values),
            "amount": due["amount"] if amount is None else amount,
            "currency_id": (due["currency"] or self.env.company.currency_id).id,
            "partner_id": series.partner_id.id,
            "operation": operation,
            "tokenize": True,
            **values,
        })
        if process:
            self._notify(tx, state)
        return tx

    def _notify(self, tx, state="done"):
        tx._handle_notification_data("demo", {
            "reference": tx.reference, "payment_details": "4242", "simulated_state": state,
        })
        tx._post_process()
        return tx

    def customer_messages(self, series):
        """What the series told its customer (messages sent to them)."""
        return series.message_ids.filtered(lambda m: series.partner_id in m.partner_ids)


@tagged("post_install", "-at_install")
class TestSeriesDeposits(SeriesPaymentMixin, SeriesMixin, PaymentCase):
    """Issue 25: a series with deposits is paid in one payment, recorded per visit; an unpaid visit is told."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_deposit.allow_series = True

    def book_deposit_series(self, count=3, **kwargs):
        return self.book_series(service=self.service_deposit, count=count, **kwargs)

    # === WHAT IS ASKED === #

    def test_booking_asks_for_the_deposits_with_their_deadline(self):
        series = self.book_deposit_series(count=3)
        due = series._get_deposit_due()
        occurrences = series.appointment_ids.sorted("start")
        self.assertEqual(due["appointments"], occurrences)
        self.assertEqual((due["amount"], due["currency"]), (120.0, self.env.company.currency_id))
        self.assertEqual(due["deadline"], NOW + timedelta(minutes=15), "the page's hold")
        asked = self.customer_messages(series)
        self.assertEqual(len(asked), 1, "the customer is asked for the money, once")
        self.assertIn("not booked until their deposits", str(asked.body))
        self.assertIn(series._get_payment_url(), str(asked.body))
        with freeze_time(NOW):
            message = series._get_booked_message()
        self.assertIn("reserved", message)
        self.assertNotIn("is booked", message, "never booked for visits that lapse unpaid")
        self.assertIn(series._when(due["deadline"], "time"), message)

    # === ONE PAYMENT, RECORDED PER VISIT === #

    def test_one_payment_confirms_every_visit_and_stays_per_visit(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            tx = self._pay_series(series)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        self.assertFalse(tx.booking_contract_ids, "the whole payment counts on no contract")
        self.assertEqual(tx.reference, f"{occurrences[0].name}-x3-DEP")
        parts = tx.child_transaction_ids
        self.assertEqual(len(parts), 3)
        for occurrence in occurrences:
            contract = occurrence.contract_id
            part = contract.transaction_ids
            self.assertEqual(len(part), 1, "each visit its own part")
            self.assertEqual((part.amount, part.source_transaction_id, part.booking_payment_kind, part.state),
                             (40.0, tx, "deposit", "done"))
            self.assertEqual((contract.amount_deposit_paid, contract.amount_balance_due, contract.state),
                             (40.0, 60.0, "open"))
            self.assertEqual(part.token_id, tx.token_id, "the card saved pays each visit's balance")
            self.assertTrue(part.payment_id, "a payment per visit")
            self.assertInvoicesMatch(contract)
        self.assertFalse(tx.payment_id, "no payment for the whole: its parts are")
        self.assertFalse(series._get_deposit_due()["appointments"])
        with freeze_time(NOW):
            self.assertIn("is booked", series._get_booked_message())

    def test_cancelling_one_visit_refunds_its_part_only(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            tx = self._pay_series(series)
        with freeze_time(self.week(1) - timedelta(days=3)):
            occurrences[1]._customer_cancel("Holiday")
        contracts = occurrences.contract_id
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "cancelled", "confirmed"])
        self.assertEqual([c.amount_refunded for c in contracts], [0.0, 40.0, 0.0])
        refund = contracts[1].transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual((refund.amount, refund.booking_contract_ids), (-40.0, contracts[1]))
        self.assertEqual(refund.source_transaction_id.source_transaction_id, tx, "refunded on the same payment")
        for contract in contracts:
            self.assertInvoicesMatch(contract)

    def test_cancel_this_and_following_after_one_payment(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            self._pay_series(series)
        with freeze_time(self.week(0) - timedelta(hours=5)):
            occurrences[0]._customer_cancel_series("Moving away")
        self.assertEqual(occurrences.contract_id.sorted(lambda c: c.appointment_id.start).mapped("amount_refunded"),
                         [20.0, 40.0, 40.0])
        for contract in occurrences.contract_id:
            self.assertInvoicesMatch(contract)

    # === A PAYMENT CONFIRMS ONLY WHAT IT COVERS (DESIGN.md invariant 13) === #

    def test_a_smaller_payment_confirms_nothing_and_goes_back(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            tx = self._pay_series(series, amount=40.0)  # what one deposit costs, for three visits
        self.assertEqual(set(occurrences.mapped("state")), {"pending_payment"}, "nothing confirmed")
        self.assertFalse(occurrences.contract_id.transaction_ids, "no visit got a part")
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.amount, refund.state), ("refund", -40.0, "done"))
        self.assertIn("was not applied", str(self.customer_messages(series)[:1].body))
        self.assertTrue(occurrences[0].activity_ids, "staff are asked to look at it")
        self.assertEqual(tx.payment_id.amount, 40.0, "the books see the money come in, then go back")
        self.assertEqual(refund.payment_id.amount, 40.0)

    def test_a_card_check_or_a_forged_part_confirms_nothing(self):
        other = self.book_deposit_series(count=2, first_start=self.week(0, hour=14))
        series = self.book_deposit_series(count=2)
        occurrences = series.appointment_ids
        foreign = {str(contract.id): 40.0 for contract in (occurrences[:1] | other.appointment_ids[:1]).contract_id}
        for changes in ({"operation": "validation"}, {"shares": foreign}, {"shares": {}},
                        {"shares": {str(occurrences.contract_id[0].id): 80.0}}):
            with self.subTest(changes=list(changes)), freeze_time(NOW):
                self._pay_series(series, **changes)
                self.assertEqual(set((occurrences | other.appointment_ids).mapped("state")), {"pending_payment"})
                self.assertFalse((occurrences | other.appointment_ids).contract_id.transaction_ids)

    def test_a_visit_paid_on_its_own_meanwhile_gets_its_part_back(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            tx = self._pay_series(series, process=False)
            self._pay(occurrences[0])  # paid on its own page while the series payment was on its way
            self._notify(tx)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        first = occurrences[0].contract_id
        self.assertEqual((first.amount_deposit_paid, first.amount_refunded), (80.0, 40.0), "the second deposit back")
        for occurrence in occurrences[1:]:
            self.assertEqual(occurrence.contract_id.amount_net, 40.0)

    # === HOLDS AND LAPSES === #

    def test_a_series_payment_on_its_way_keeps_the_holds(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids
        with freeze_time(NOW):
            tx = self._pay_series(series, state="pending")
        self.assertTrue(occurrences.contract_id._has_deposit_in_flight())
        self.assertFalse(series._get_deposit_due()["appointments"], "nothing to pay twice")
        with freeze_time(NOW + timedelta(minutes=30)):
            self.assertEqual(self.env["booking.scheduler"]._cron_expire_payment_holds(), 0)
            self._notify(tx)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})

    def test_unpaid_visits_lapse_and_the_customer_is_told_once(self):
        series = self.book_deposit_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        asked = self.customer_messages(series)
        with freeze_time(NOW + timedelta(minutes=16)):
            self.assertEqual(self.env["booking.scheduler"]._cron_expire_payment_holds(), 3)
        self.assertEqual(set(occurrences.mapped("state")), {"expired"})
        told = self.customer_messages(series) - asked
        self.assertEqual(len(told), 1, "one message for the series, not one per visit")
        for occurrence in occurrences:
            self.assertIn(occurrence._when_label(style="short"), str(told.body))
        self.assertIn("not booked", str(told.body))
        self.assertIn("Book again", str(told.body))
        self.assertIn(self.customer, told.notification_ids.res_partner_id, "sent to the customer")

    def test_a_late_series_payment_books_what_is_still_free(self):
        series = self.book_deposit_series(count=2)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            tx = self._pay_series(series, process=False)
            tx._set_error("declined")
            tx._post_process()
        with freeze_time(NOW + timedelta(minutes=16)):
            self.env["booking.scheduler"]._cron_expire_payment_holds()
        self.assertEqual(set(occurrences.mapped("state")), {"expired"})
        self.block(self.week(1))  # someone else took the second time meanwhile
        with freeze_time(NOW + timedelta(minutes=20)):
            late = self._pay_series(series, process=False, amount=80.0, shares={
                str(contract.id): 40.0 for contract in occurrences.contract_id})
            self._notify(late)
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "expired"])
        self.assertEqual(occurrences[1].contract_id.amount_refunded, 40.0, "the taken one is refunded")

    # === STAFF === #

    def test_staff_series_need_no_deposit(self):
        with freeze_time(NOW):
            first = self._book(self.week(0), service=self.service_deposit)
        wizard = self.env["booking.series.wizard"].with_user(self.user_staff).create(
            {"appointment_id": first.id, "interval_weeks": 1, "count": 3})
        with freeze_time(NOW):
            wizard.action_book()
        series = first.series_id
        self.assertEqual(set(series.appointment_ids.mapped("state")), {"confirmed"})
        self.assertFalse(series._get_deposit_due()["appointments"])
        self.assertFalse(sum(series.appointment_ids.contract_id.mapped("amount_deposit")))


@tagged("post_install", "-at_install")
class TestSeriesRules(SeriesMixin, PaymentCase):
    """Issue 23: one rule set on booking.series, whichever channel asks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service.allow_series = True

    def test_an_occurrence_is_not_repeated_into_another_series(self):
        """The staff wizard moved an occurrence out of its series into a new one."""
        series = self.book_series(count=3)
        occurrence = series.appointment_ids.sorted("start")[1]
        wizard = self.env["booking.series.wizard"].with_user(self.user_staff).create(
            {"appointment_id": occurrence.id, "interval_weeks": 2, "count": 3})
        with freeze_time(NOW):
            self.assertIn("already part of a series", str(wizard.plan_html))
            with self.assertRaises(UserError):
                wizard.action_book()
        self.assertEqual(occurrence.series_id, series)
        self.assertEqual(len(series.appointment_ids), 3)

    def test_the_same_refusals_for_every_channel(self):
        Series = self.env["booking.series"]
        pet = self.env["booking.service"].create({"name": "Pet wash", "duration_minutes": 60, "price": 50,
                                                  "for_dependant": True, "dependant_kind_pet": True,
                                                  "allow_series": True})
        with freeze_time(NOW):
            first = self._book(self.week(0))
            cancelled = self._book(self.week(0, hour=15))
            cancelled.action_cancel()
            cases = [
                ({"service": self.service_buffered}, "service_id"),
                ({"service": pet}, "service_id"),
                ({"service": pet, "staff": True}, "service_id"),
                ({"existing": cancelled}, "appointment_id"),
            ]
            for kwargs, field in cases:
                with self.subTest(kwargs=kwargs):
                    self.assertEqual(Series._get_series_refusal(kwargs.get("service", self.service),
                                                                staff=kwargs.get("staff", False),
                                                                existing=kwargs.get("existing"))[0], field)
            self.assertIsNone(Series._get_series_refusal(self.service_buffered, staff=True))
            self.assertIsNone(Series._get_series_refusal(self.service, existing=first))
            # a replacement of the repeated booking itself, or twice the same time: refused in the plan too
            for replacements in ({0: self.week(5)}, {1: self.week(2)}):
                with self.subTest(replacements=replacements), self.assertRaises(ValidationError):
                    Series._plan_series(self.page, self.service, self.provider_a, self.week(0), 1, count=3,
                                        partner=self.customer, replacements=replacements, existing=first)
