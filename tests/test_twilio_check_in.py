"""HERE in reply to the reminder's SMS checks the customer in, with the QR link's rules."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_twilio import CUSTOMER
from .test_twilio import TwilioCase


@tagged("post_install", "-at_install")
class TestCheckInByReply(TwilioCase):

    def remind(self, when=None):
        """The reminders' job and the outbox at 8:05 on Monday: the 2 h reminder SMS of a 10:00 booking goes."""
        with freeze_time(when or local_to_utc(MONDAY, 8, 5)):
            self.env["booking.scheduler"]._cron_send_reminders()
            self.env["booking.notification"]._cron_dispatch()

    def reply(self, body, when, sender=CUSTOMER):
        with freeze_time(when):
            return self.text(body, sender=sender)

    def test_here_checks_in_the_booking_the_reminder_was_about(self):
        appointment = self._book(10)
        later = self._book(15)
        self.remind()
        self.assertTrue(any("Check in when you arrive" in sms.get("Body", "") and sms["Body"].endswith(
            " or reply HERE") for sms in self.sent), "the reminder went by SMS, and says how")
        answer = self.reply("Here!", local_to_utc(MONDAY, 9, 5))
        self.assertIn("checked in", answer)
        self.assertEqual(appointment.state, "checked_in")
        self.assertEqual(appointment.check_in_method, "sms")
        self.assertEqual(later.state, "confirmed", "only the booking the reminder was about")
        self.assertIn("already checked in", self.reply("HERE", local_to_utc(MONDAY, 9, 6)))
        [received] = self._received().filtered(lambda sms: sms.body == "Here!")
        self.assertEqual(received.outcome, "check-in: checked_in")
        self.assertEqual(received.appointment_id, appointment)

    def test_outside_the_check_in_window_a_clear_answer(self):
        appointment = self._book(10)
        self.remind()
        answer = self.reply("HERE", local_to_utc(MONDAY, 8, 30))
        self.assertIn("opens at 9:00", answer)
        self.assertEqual(appointment.state, "confirmed")
        answer = self.reply("HERE", local_to_utc(MONDAY, 11, 5))
        self.assertIn("passed your message", answer, "after the end: nothing to check in, a person reads it")
        self.assertEqual(appointment.state, "confirmed")

    def test_the_pages_own_words(self):
        appointment = self._book(10)
        self.remind()
        self.assertNotIn("checked in", self.reply("Arrived", local_to_utc(MONDAY, 9, 5)) or "")
        self.page.sms_check_in_words = "arrived, I'm here"
        self.assertIn("checked in", self.reply("I’m here.", local_to_utc(MONDAY, 9, 6)))
        self.assertEqual(appointment.state, "checked_in")

    def test_a_check_in_word_never_shadows_another_reply(self):
        """The page's words cannot take over a reply that means something else: "C" confirming a cancellation,
        R, a number picking a new time, STOP / START / HELP."""
        for words in ("C", "r", "Reschedule", "stop", "Start", "help", "2", "arrived, c.", "yes"):
            with self.subTest(words=words), self.assertRaises(ValidationError):
                self.page.sms_check_in_words = words
        self.page.sms_check_in_words = "arrived, !!, I'm here"  # punctuation alone never matches: harmless
        # a word stored before the check (e.g. by an older version) checks nobody in: C still asks to cancel
        appointment = self._book(10)
        self.remind()
        self.env.cr.execute("UPDATE booking_page SET sms_check_in_words = 'C, 1' WHERE id = %s", [self.page.id])
        self.page.invalidate_recordset(["sms_check_in_words"])
        for reply in ("C", "1"):
            with self.subTest(reply=reply):
                self.assertNotIn("checked in", self.reply(reply, local_to_utc(MONDAY, 9, 5)) or "")
                self.assertEqual(appointment.state, "confirmed")
        self.assertIn("checked in", self.reply("HERE", local_to_utc(MONDAY, 9, 6)))

    def test_a_texted_booking_given_to_another_customer_is_out_of_the_texters_reach(self):
        """A booking made by texting the receptionist answers the number it was made from while it is that
        customer's; once staff gave it to another customer, that number cancels, moves and checks in nothing
        (as the provider's links of the booking, void once it is another customer's)."""
        texter_number = "+33655555555"
        texter = self.env["res.partner"].create({"name": "Texter", "mobile": texter_number})
        with freeze_time(NOW):
            appointment = self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, 10), partner=texter, source="sms")
        self.env["booking.conversation"].sudo().create({
            "page_id": self.page.id, "channel": "sms", "number": texter_number, "appointment_id": appointment.id,
            "partner_id": texter.id})
        with freeze_time(NOW):
            self.assertEqual(self.page._upcoming_bookings_for_number(texter_number), appointment, "the texter's")
            appointment.partner_id = self.customer  # staff: it is the customer's booking (a phone verified)
            self.assertFalse(self.page._upcoming_bookings_for_number(texter_number))
        self.remind()
        for body in ("C", "R", "HERE"):
            with self.subTest(body=body):
                self.assertNotIn("checked in", self.reply(body, local_to_utc(MONDAY, 9, 5), sender=texter_number))
        self.assertIn("no upcoming booking", self.reply("C", local_to_utc(MONDAY, 9, 6), sender=texter_number))
        self.assertEqual(appointment.state, "confirmed")
        self.assertIn("checked in", self.reply("HERE", local_to_utc(MONDAY, 9, 7)), "its customer's number does")

    def test_no_reminder_no_check_in(self):
        appointment = self._book(10)  # no reminder sent yet (the job did not run)
        answer = self.reply("HERE", local_to_utc(MONDAY, 9, 5))
        self.assertIn("passed your message", answer, "a message like any other: a person reads it")
        self.assertEqual(appointment.state, "confirmed")

    def test_only_the_number_of_the_bookings_customer(self):
        appointment = self._book(10)
        self.remind()
        answer = self.reply("HERE", local_to_utc(MONDAY, 9, 5), sender="+33688888888")
        self.assertNotIn("checked in", answer)
        # a contact that merely holds the number (typed on a form, never verified) is not its owner
        stranger = self.env["res.partner"].create({"name": "Typed it", "mobile": "+33677777777"})
        stranger.sudo().write({"booking_verified_phone": False, "booking_unverified": True})
        with freeze_time(NOW):
            theirs = self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_b, local_to_utc(MONDAY, 10), partner=stranger)
        self.remind(local_to_utc(MONDAY, 8, 6))
        answer = self.reply("HERE", local_to_utc(MONDAY, 9, 5), sender="+33677777777")
        self.assertNotIn("checked in", answer)
        self.assertEqual((appointment | theirs).mapped("state"), ["confirmed", "confirmed"])

    def test_stop_is_still_stop(self):
        self._book(10)
        self.remind()
        self.assertIn("no more text messages", self.reply("STOP", local_to_utc(MONDAY, 9, 5)))
