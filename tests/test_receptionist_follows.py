"""The receptionist follows the booking it made, whatever channel tells the customer (issue 23).

A declined, expired or cancelled booking closes or reopens its conversation,
free text that asks to cancel or move a booking reaches the SMS replies that
do it, the analysis counts a conversation that came to nothing as 0, and one
conversation that cannot be closed never stops the scheduled job.
"""

from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_receptionist import STRANGER
from .test_receptionist import ReceptionistSmsCase
from .test_twilio import CUSTOMER


@tagged("post_install", "-at_install")
class TestReceptionistFollowsTheBooking(ReceptionistSmsCase):
    def _texted_by_the_page(self, event):
        """The page's own rule tells ``event`` by SMS too (then the conversation does not say it again)."""
        self.page.notification_rule_ids.filtered(lambda rule: rule.event == event).channel = "email_sms"

    def _texts_to(self, number, since=0):
        return [sms["Body"] for sms in self.sent[since:] if sms["To"] == number]

    def _request(self):
        """A request pencilled in by SMS (Consultation needs approval): the appointment."""
        replies = self.say("consultation on Monday", "Ann Lee", "no", "1", sender=STRANGER)
        self.assertIn("penciled you in", replies[-1])
        return self.conversation(STRANGER).appointment_id

    # === A DECLINE, AN EXPIRY, A CANCELLATION === #

    @freeze_time(NOW)
    def test_a_decline_the_page_texts_itself_still_reopens_the_conversation(self):
        """The defect: the page's SMS told the decline, the conversation skipped its update and stayed booked."""
        self._texted_by_the_page("declined")
        appointment = self._request()
        sent_before = len(self.sent)
        appointment.with_user(self.user_manager).action_decline()
        self.dispatch()
        texts = self._texts_to(STRANGER, sent_before)
        self.assertEqual(len(texts), 1, "told once, by the page's own SMS")
        self.assertNotIn("could not take that time", texts[0])
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.state, "open")
        self.assertFalse(conversation.is_booked)
        reply = self.text("Hello?", sender=STRANGER)
        self.assertNotIn("all set", reply)
        self.assertIn("Which day would suit you?", reply)
        self.assertIn("1. Tuesday 9:00", self.text("Tuesday", sender=STRANGER))

    def test_an_expiry_the_page_texts_itself_still_closes_the_conversation(self):
        self._texted_by_the_page("declined")
        self.page.approval_expiry_hours = 4
        with freeze_time(NOW):
            appointment = self._request()
        with freeze_time(NOW + timedelta(hours=4)):
            self.env["booking.scheduler"]._cron_follow_up_requests()
            self.dispatch()
            self.assertEqual(appointment.state, "expired")
            conversation = self.conversation(STRANGER)
            self.assertEqual(conversation.state, "closed")
            self.assertFalse(conversation.is_booked)
            reply = self.text("Hello?", sender=STRANGER)
        self.assertNotIn("all set", reply)
        self.assertIn("What would you like to book?", reply, "a new conversation")

    @freeze_time(NOW)
    def test_a_booking_the_merchant_cancels_reopens_the_conversation_and_says_so(self):
        self.say("haircut monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        self.assertEqual(appointment.state, "confirmed")
        sent_before = len(self.sent)
        appointment.with_user(self.user_manager).action_cancel(reason="Closed that day")
        self.dispatch()
        texts = self._texts_to(STRANGER, sent_before)
        self.assertEqual(len(texts), 1)
        self.assertIn(f"Test Salon had to cancel your booking {appointment.name}", texts[0])
        self.assertIn("Reply here with a day", texts[0])
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.state, "open")
        self.assertTrue(conversation.is_booked, "it became a booking; the merchant cancelled it later")
        self.assertIn("1. Tuesday 9:00", self.text("Tuesday", sender=STRANGER))

    @freeze_time(NOW)
    def test_a_cancellation_the_page_texts_itself_is_not_said_twice(self):
        self._texted_by_the_page("cancelled")
        self.say("haircut monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        sent_before = len(self.sent)
        appointment.with_user(self.user_manager).action_cancel(reason="Closed that day")
        self.dispatch()
        self.assertFalse([text for text in self._texts_to(STRANGER, sent_before) if "had to cancel" in text])
        self.assertNotIn("all set", self.text("Hello?", sender=STRANGER))

    @freeze_time(NOW)
    def test_after_an_sms_cancellation_the_customer_talks_to_the_receptionist_again(self):
        """The issue's words: "Hello?" and "Need to reschedule, can we do another day?" after C, CANCEL."""
        self.say("haircut monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        self.assertIn("Reply C to confirm", self.text("C", sender=STRANGER))
        self.assertIn("is cancelled", self.text("C", sender=STRANGER))  # "CANCEL" alone opts out (issue 22)
        self.assertEqual((appointment.state, appointment.cancelled_by), ("cancelled", "customer"))
        sent_before = len(self.sent)
        self.dispatch()
        self.assertFalse(self._texts_to(STRANGER, sent_before), "the customer cancelled: nothing more to tell")
        hello = self.text("Hello?", sender=STRANGER)
        self.assertNotIn("all set", hello)
        self.assertIn("Which day would suit you?", hello)
        again = self.text("Need to reschedule, can we do another day?", sender=STRANGER)
        self.assertNotIn("all set", again)
        self.assertIn("Which day would suit you?", again)
        self.assertIn("1. Tuesday 9:00", self.text("Tuesday morning", sender=STRANGER))
        booked = self.text("1", sender=STRANGER)
        self.assertIn("You're booked for Tuesday 9:00", booked)
        self.assertNotEqual(self.conversation(STRANGER).appointment_id, appointment)

    def test_an_unpaid_hold_reopens_the_conversation(self):
        self.service_deposit.receptionist_keywords = "massage"
        with freeze_time(NOW):
            replies = self.say("a massage on Monday", "Ann Lee", "no", "1", sender=STRANGER)
            self.assertIn("pay the deposit", replies[-1])
            appointment = self.conversation(STRANGER).appointment_id
            self.assertEqual(appointment.state, "pending_payment")
            sent_before = len(self.sent)
            appointment._action_expire("The payment hold expired.")
            self.dispatch()
        texts = self._texts_to(STRANGER, sent_before)
        self.assertEqual(len(texts), 1)
        self.assertIn(f"The time I held for you ({appointment.name}) was released", texts[0])
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.state, "open")
        self.assertFalse(conversation.is_booked, "a hold nobody paid is no conversion")

    @freeze_time(NOW)
    def test_a_decline_reopens_a_conversation_closed_for_quiet(self):
        """The merchant answers a day later: the conversation had closed; the customer's answer reaches it."""
        appointment = self._request()
        conversation = self.conversation(STRANGER)
        with freeze_time(NOW + timedelta(hours=13)):
            self.env["booking.scheduler"]._cron_close_quiet_conversations()
            self.assertEqual(conversation.state, "closed")
            appointment.with_user(self.user_manager).action_decline()
            self.dispatch()
            self.assertEqual(conversation.state, "open")
            self.assertIn("1. Tuesday 9:00", self.text("Tuesday", sender=STRANGER))
        self.assertEqual(len(self.Conversation.search([("number", "=", STRANGER)])), 1)

    # === FREE TEXT ABOUT AN UPCOMING BOOKING === #

    @freeze_time(NOW)
    def test_free_text_asking_to_move_or_cancel_reaches_those_replies(self):
        self.say("haircut monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        offer = self.text("Need to reschedule, can we do another day?", sender=STRANGER)
        self.assertNotIn("all set", offer)
        self.assertIn(f"Move {appointment.name} to: 1)", offer)
        self.assertIn("Done", self.text("2", sender=STRANGER))
        self.assertNotEqual(appointment.start, local_to_utc(MONDAY, 9))
        # another number asks the same in words: nothing of that booking is reached
        other = self.text("Sorry, I need to cancel my appointment", sender="+33677777777")
        self.assertNotIn(appointment.name, other)
        self.assertIn("nothing is booked", other)
        ask = self.text("Sorry, I need to cancel my appointment", sender=STRANGER)
        self.assertIn(f"Cancel {appointment.name}", ask)
        self.assertIn("Reply C to confirm", ask)
        self.text("C", sender=STRANGER)
        self.assertEqual((appointment.state, appointment.cancelled_by), ("cancelled", "customer"))

    @freeze_time(NOW)
    def test_a_customer_who_booked_on_the_page_may_ask_in_words_too(self):
        appointment = self._book(10)  # Carla, on the page, whose number is CUSTOMER
        self.assertIn(f"Move {appointment.name} to: 1)", self.text("Can I move my appointment please?"))
        self.assertFalse(self.conversation(CUSTOMER), "the SMS replies, not a conversation")
        self.assertIn("passed your message to the team", self.text("Running 10 minutes late, sorry!"))

    @freeze_time(NOW)
    def test_another_day_while_choosing_a_new_time_stays_in_the_conversation(self):
        """A customer with a booking books another: "reschedule to another day" is about the times offered."""
        self._book(10)
        self.assertIn("What's your name?", self.text("and can I book a haircut for Tuesday too?"))
        self.text("Carla")
        self.assertIn("1. Tuesday 9:00", self.text("no"))
        reply = self.text("none of those, can we reschedule to another day?")
        self.assertIn("What day works best for you?", reply)
        self.assertNotIn("Move", reply)

    # === THE ANALYSIS === #

    @freeze_time(NOW)
    def test_the_analysis_counts_a_conversation_that_came_to_nothing_as_0(self):
        """8 conversations: 2 booked, 1 request declined, 3 handed off, 2 that stopped: 25 % and 37.5 %."""
        self.service_approval.receptionist_keywords = "consult"
        for index in range(2):
            self.say("haircut monday", "Ann Lee", "no", "1", sender=f"+3361000000{index}")
        self.say("consultation on Monday", "Bo Lee", "no", "1", sender="+33610000009")
        self.conversation("+33610000009").appointment_id.with_user(self.user_manager).action_decline()
        for index in range(3):
            self.text("can I talk to someone?", sender=f"+3362000000{index}")
        for index in range(2):
            self.text("hello", sender=f"+3363000000{index}")
        action = self.env.ref("self_serve_booking.booking_conversation_analysis_action")
        Analysis = self.env[action.res_model].with_user(self.user_manager)
        [totals] = Analysis.read_group([("page_id", "=", self.page.id)], ["booked_rate:avg", "handed_off_rate:avg"],
                                       [])
        self.assertEqual(totals["__count"], 8)
        self.assertAlmostEqual(totals["booked_rate"], 25.0)
        self.assertAlmostEqual(totals["handed_off_rate"], 37.5)
        # as the pivot reads it: by channel and month
        [row] = Analysis.read_group([("page_id", "=", self.page.id)],
                                    ["conversation_count:sum", "booked_rate:avg", "handed_off_rate:avg"],
                                    ["channel", "date:month"], lazy=False)
        self.assertEqual((row["channel"], row["conversation_count"], row["booked_rate"], row["handed_off_rate"]),
                         ("sms", 8, 25.0, 37.5))
        # staff of another company see none of it; the public, nothing at all
        other = self.env["res.company"].create({"name": "Other salon"})
        outsider = new_test_user(self.env, login="outsider", company_id=other.id, company_ids=[other.id],
                                 groups="base.group_user,self_serve_booking.group_booking_user")
        self.assertFalse(Analysis.with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            Analysis.with_user(self.env.ref("base.public_user")).search([])


@tagged("post_install", "-at_install")
class TestQuietConversationsBatch(ReceptionistSmsCase):
    def test_one_conversation_that_cannot_be_closed_never_stops_the_others(self):
        with freeze_time(NOW):
            for number in ("+33610000001", "+33610000002", "+33610000003"):
                self.text("haircut", sender=number)
        poisoned = self.conversation("+33610000002")
        # a row the database refuses to close (what a broken record does, whatever breaks it)
        self.env.cr.execute(SQL("""
            CREATE FUNCTION test_refuse_closing() RETURNS trigger AS $$
            BEGIN
                IF NEW.id = %s AND NEW.state = 'closed' THEN RAISE EXCEPTION 'poisoned conversation'; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_refuse_closing BEFORE UPDATE ON booking_conversation
                FOR EACH ROW EXECUTE FUNCTION test_refuse_closing();
        """, poisoned.id))
        Scheduler = self.env["booking.scheduler"]
        with freeze_time(NOW + timedelta(hours=13)), \
                mute_logger("odoo.addons.self_serve_booking.models.booking_scheduler", "odoo.sql_db"):
            self.assertEqual(Scheduler._cron_close_quiet_conversations(), 2)
            self.assertEqual(Scheduler._cron_close_quiet_conversations(), 0, "tried again, still skipped")
        conversations = self.Conversation.search([("number", "in", ("+33610000001", "+33610000003"))])
        self.assertEqual(conversations.mapped("state"), ["closed", "closed"])
        poisoned.invalidate_recordset()
        self.assertEqual(poisoned.state, "open")
        activity = poisoned.activity_ids
        self.assertEqual(len(activity), 1, "one activity, not one per run")
        self.assertEqual(activity.user_id, self.user_manager)
        self.assertIn("Close quiet conversations", activity.summary)
        self.assertIn("poisoned conversation", str(activity.note))


@tagged("post_install", "-at_install")
class TestReceptionistFollowsInTheChat(ReceptionistSmsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.receptionist_livechat = True
        cls.service_approval.receptionist_keywords = "consult"

    def _chat(self, channel, text):
        """The visitor's message, then the bot's step, as the chat window does; the last message of the chat."""
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": channel.id,
            "post_data": {"body": text, "message_type": "comment"}})
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        return self._last(channel)

    def _last(self, channel):
        return str(self.env["mail.message"].search([("model", "=", "discuss.channel"), ("res_id", "=", channel.id)],
                                                   order="id desc", limit=1).body)

    @freeze_time(NOW)
    def test_a_declined_chat_request_is_told_in_the_chat_which_reopens(self):
        data = self.make_jsonrpc_request("/im_livechat/get_session", {
            "anonymous_name": "Visitor", "chatbot_script_id": self.page.chatbot_script_id.id,
            "channel_id": self.page.livechat_channel_id.id, "persisted": True})
        channel = self.env["discuss.channel"].browse(data["discuss.channel"][0]["id"])
        for line in ("a consultation on Monday", "Vera Visitor", "vera@example.com", "no"):
            self._chat(channel, line)
        self.assertIn("penciled you in", self._chat(channel, "1"))
        conversation = self.Conversation.search([("discuss_channel_id", "=", channel.id)])
        conversation.appointment_id.with_user(self.user_manager).action_decline()
        self.assertIn("could not take that time", self._last(channel))
        self.assertFalse(conversation.is_booked)
        self.assertIn("Tuesday 9:00", self._chat(channel, "Tuesday"))
