"""Issue 24: the receipt tells the last money movement and invites a review; the review request waits
until the visit is settled; the visit's summary reaches the customer at checkout whatever is due;
joining the waitlist is confirmed by the customer's channel, with what they asked for."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_notifications import NotificationCase
from .test_payments import PaymentCase


class VisitCase(PaymentCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.mobile = "+33 6 12 34 56 78"

    def outbox_of(self, appointment, event, **domain):
        return self.env["booking.notification"].search([
            ("appointment_id", "=", appointment.id), ("event", "=", event),
            *[(key, "=", value) for key, value in domain.items()]])

    def dispatch(self):
        return self.env["booking.notification"]._cron_dispatch()

    def paid_visit(self):
        """A deposit booking, paid online, checked in: at the desk, ready for checkout."""
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=10)
            self._pay(appointment)
        with freeze_time(local_to_utc(MONDAY, 10)):
            appointment.action_check_in()
        return appointment

    def receipts_sent(self, appointment):
        return self.env["mail.message"].search([
            ("model", "=", appointment._name), ("res_id", "=", appointment.id), ("subject", "ilike", "receipt")],
            order="id")


@tagged("post_install", "-at_install")
class TestReceiptAndReview(VisitCase):

    def test_a_tip_sends_the_receipt_again_with_it_and_the_review_link(self):
        appointment = self.paid_visit()
        with freeze_time(local_to_utc(MONDAY, 11)):
            appointment.action_complete()  # the balance on the saved card
            self.assertEqual(appointment.contract_id.amount_balance_due, 0)
            self.assertEqual(len(self.outbox_of(appointment, "review_request")), 1, "settled: asked for a review")
            self.dispatch()
        [first] = self.receipts_sent(appointment)
        self.assertIn("add a tip", str(first.body))
        self.assertIn(appointment._review_url(), str(first.body), "Leave a review, from the receipt")
        with freeze_time(local_to_utc(MONDAY, 12)):
            self._pay(appointment, kind="tip", amount=10.0)
            self.dispatch()
        second = self.receipts_sent(appointment) - first
        self.assertEqual(len(second), 1, "the tip: an updated receipt")
        self.assertNotIn("add a tip", str(second.body))
        self.assertEqual(len(self.outbox_of(appointment, "review_request")), 1, "asked once")

    def test_balance_and_tip_at_once_send_one_receipt_of_both(self):
        appointment = self.paid_visit()
        with freeze_time(local_to_utc(MONDAY, 11)):
            appointment.action_complete()
            self._pay(appointment, kind="tip", amount=5.0)
            self.dispatch()
        receipts = self.outbox_of(appointment, "receipt")
        self.assertEqual(sorted(receipts.mapped("state")), ["cancelled", "sent"], receipts.mapped("key"))
        self.assertEqual(len(self.receipts_sent(appointment)), 1)

    def test_the_review_request_waits_until_nothing_is_due_and_the_summary_does_not(self):
        appointment = self.paid_visit()
        appointment.write({"visit_summary": "Cut and blow-dry.", "care_instructions": "No washing for 48 h."})
        with freeze_time(local_to_utc(MONDAY, 11)):
            appointment.action_complete(charge_card=False)  # the desk takes the balance later
            self.assertGreater(appointment.contract_id.amount_balance_due, 0)
            self.assertFalse(self.outbox_of(appointment, "review_request"), "not asked before paying")
            self.assertFalse(self.outbox_of(appointment, "receipt"))
            self.assertEqual(len(self.outbox_of(appointment, "visit_summary")), 1, "told at checkout")
            self.dispatch()
        summary = self.env["mail.message"].search([("model", "=", appointment._name),
                                                   ("res_id", "=", appointment.id),
                                                   ("subject", "ilike", "About your visit")])
        self.assertEqual(len(summary), 1)
        self.assertIn("No washing for 48 h.", str(summary.body))
        self.assertIn("is still due", str(summary.body))
        with freeze_time(local_to_utc(MONDAY, 15)):
            self._pay(appointment, kind="balance")
            self.assertEqual(appointment.contract_id.amount_balance_due, 0)
            self.assertEqual(len(self.outbox_of(appointment, "review_request")), 1, "settled: now asked")
            self.assertEqual(len(self.outbox_of(appointment, "receipt")), 1)
            self.dispatch()

    def test_a_receipt_by_sms_alone_leaves_the_summary_by_email_waiting(self):
        """The receipt's SMS carries no summary: the e-mail still waiting with it is not cancelled."""
        self.page.notification_rule_ids.filtered(lambda rule: rule.event == "receipt").channel = "sms"
        appointment = self.paid_visit()
        appointment.write({"visit_summary": "Cut and blow-dry.", "care_instructions": "No washing for 48 h."})
        with freeze_time(local_to_utc(MONDAY, 11)):
            appointment.action_complete(charge_card=False)
        summary = self.outbox_of(appointment, "visit_summary")
        self.assertEqual(summary.mapped("channel"), ["email"])
        with freeze_time(local_to_utc(MONDAY, 11, 5)):
            self._pay(appointment, kind="balance")
        self.assertEqual(self.outbox_of(appointment, "receipt").mapped("channel"), ["sms"])
        self.assertEqual(summary.state, "pending", "not cancelled by a receipt on another channel")

    def test_a_summary_written_for_a_visit_paid_at_checkout_comes_with_the_receipt_only(self):
        appointment = self.paid_visit()
        appointment.visit_summary = "Full groom."
        with freeze_time(local_to_utc(MONDAY, 11)):
            appointment.action_complete()
        self.assertFalse(self.outbox_of(appointment, "visit_summary"))
        self.assertEqual(len(self.outbox_of(appointment, "receipt")), 1)


@tagged("post_install", "-at_install")
class TestWaitlistJoined(NotificationCase):

    def join(self, customer, source="website", **kw):
        with freeze_time(NOW):
            return self.env["booking.waitlist"]._join(
                self.page, self.service, self.provider_a, (NOW + timedelta(days=2)).date(), time_from=10.0,
                time_to=14.0, customer=customer, source=source, **kw)

    def test_joining_is_confirmed_by_email_with_what_was_asked(self):
        entry = self.join({"name": "Walt", "email": "walt@example.com", "phone": "+33 6 11 22 33 44"})
        queued = self.outbox(entry, "waitlist_joined")
        self.assertEqual(queued.mapped("channel"), ["email"], "e-mail given: by e-mail, not twice")
        with freeze_time(NOW):
            self.dispatch()
        [message] = self.sent_messages(entry, "on the waitlist")
        self.assertIn(self.service.name, message.subject)
        self.assertIn(entry._wish_label(), str(message.body))
        self.assertIn("Alice", str(message.body))
        self.assertEqual(self.join({"name": "Walt", "email": "walt@example.com", "phone": "+33 6 11 22 33 44"}),
                         entry)
        self.assertEqual(len(self.outbox(entry, "waitlist_joined")), 1, "joining twice: told once")

    def test_a_customer_who_gave_a_phone_only_gets_a_text(self):
        entry = self.join({"name": "Pat", "phone": "+33 6 55 44 33 22"})
        self.assertEqual(self.outbox(entry, "waitlist_joined").mapped("channel"), ["sms"])
        with freeze_time(NOW):
            self.dispatch()
        [sms] = self.sent_sms(entry.partner_id)
        self.assertIn("waitlist", sms.body)
        self.assertIn(entry._wish_label(), sms.body)
        self.assertIn("10:00", entry._wish_label())

    def test_the_receptionist_told_them_already_and_a_switched_off_rule_sends_nothing(self):
        by_sms = self.join({"name": "Sam", "phone": "+33 6 55 44 33 11"}, source="sms")
        self.assertFalse(self.outbox(by_sms, "waitlist_joined"))
        self.page.notification_rule_ids.filtered(lambda rule: rule.event == "waitlist_joined").active = False
        entry = self.join({"name": "Eve", "email": "eve@example.com"})
        self.assertFalse(self.outbox(entry, "waitlist_joined"))

    def test_a_customer_who_prefers_texts_gets_a_text(self):
        customer = {"name": "Tess", "email": "tess@example.com", "phone": "+33 6 55 44 33 00"}
        first = self.join(customer)
        self.assertEqual(self.outbox(first, "waitlist_joined").mapped("channel"), ["email"])
        first.partner_id.booking_notify_channel = "sms"
        with freeze_time(NOW):
            entry = self.env["booking.waitlist"]._join(
                self.page, self.service, self.provider_a, (NOW + timedelta(days=3)).date(),
                partner=first.partner_id)
        self.assertEqual(self.outbox(entry, "waitlist_joined").mapped("channel"), ["sms"], "their preference")
