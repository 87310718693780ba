"""Issue 24: staff receive what they act on, not Odoo's payment chatter nor copies of the customer's messages.

As for a sale order: the customer follows the booking's discussions; staff follow what is for
them, and the payment's progress stays a note in the chatter, e-mailed to nobody.
"""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_payments import PaymentCase


@tagged("post_install", "-at_install")
class TestStaffHearWhatTheyActOn(PaymentCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.responsible_user_id = cls.user_manager
        cls.provider_a.user_id = cls.user_staff
        cls.customer.mobile = "+33 6 12 34 56 78"
        cls.staff = (cls.user_manager | cls.user_staff).partner_id

    def received(self, appointment, partners, since_id=0):
        """What ``partners`` were notified of on ``appointment`` (by e-mail or in Odoo): (subject, name, how)."""
        messages = self.env["mail.message"].sudo().search([
            ("model", "=", appointment._name), ("res_id", "=", appointment.id), ("id", ">", since_id)], order="id")
        return [(message.subject or str(message.body)[:60], notification.res_partner_id.name,
                 notification.notification_type)
                for message in messages for notification in message.notification_ids
                if notification.res_partner_id in partners]

    def last_message_id(self):
        return self.env["mail.message"].sudo().search([], order="id desc", limit=1).id

    def test_an_online_deposit_booking_tells_staff_once_and_the_customer_everything(self):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=10)
            self._pay(appointment)
            self.assertEqual(appointment.state, "confirmed")
            self.env["booking.notification"]._cron_dispatch()
        staff_got = self.received(appointment, self.staff)
        self.assertEqual(sorted((name, how) for _subject, name, how in staff_got),
                         [("Manny Manager", "email"), ("Manny Manager", "inbox"),
                          ("Stacy Staff", "email"), ("Stacy Staff", "inbox")],
                         f"the new booking, by e-mail and in Odoo, and nothing of the payment: {staff_got}")
        self.assertTrue(all(subject.startswith("New booking") for subject, _name, _how in staff_got), staff_got)
        payment_notes = appointment.message_ids.filtered(lambda message: "transaction" in str(message.body).lower()
                                                         or "payment" in str(message.body).lower())
        self.assertTrue(payment_notes, "the payment's progress stays in the chatter")
        self.assertFalse(payment_notes.notification_ids, "e-mailed to nobody")
        self.assertEqual([(name, how) for _subject, name, how in self.received(appointment, self.customer)],
                         [("Carla Customer", "email")], "the customer: the confirmation")
        with freeze_time(local_to_utc(MONDAY, 8) + timedelta(minutes=1)):
            last = self.last_message_id()
            self.env["booking.scheduler"]._cron_send_reminders()
            self.env["booking.notification"]._cron_dispatch()
        self.assertTrue(self.env["sms.sms"].sudo().search([("partner_id", "=", self.customer.id)]),
                        "the 2-hour SMS reminder went")
        self.assertFalse(self.received(appointment, self.staff, last), "no copy of the customer's reminder")
        with freeze_time(local_to_utc(MONDAY, 10)):
            appointment.action_check_in()
        with freeze_time(local_to_utc(MONDAY, 11)):
            last = self.last_message_id()
            appointment.action_complete()  # the balance on the saved card
            self.env["booking.notification"]._cron_dispatch()
        self.assertFalse(self.received(appointment, self.staff, last),
                         "no copy of the customer's receipt or review request, no payment chatter")
        self.assertEqual(sorted(subject.split(" ")[0] for subject, _name, _how in
                                self.received(appointment, self.customer, last)), ["How", "Your"],
                         "the customer: the receipt and the review request")

    def test_staff_still_hear_a_customers_message_and_a_review(self):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=11)
            self._pay(appointment)
        last = self.last_message_id()
        appointment.with_context(mail_create_nosubscribe=True).message_post(
            body="Can I bring my daughter?", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self.customer.id)
        self.assertEqual(sorted(name for _subject, name, _how in self.received(appointment, self.staff, last)),
                         ["Manny Manager", "Stacy Staff"])
        follower = appointment.message_follower_ids.filtered(lambda f: f.partner_id == self.user_manager.partner_id)
        self.assertEqual(follower.subtype_ids, self.env.ref("self_serve_booking.mt_booking_staff"))
