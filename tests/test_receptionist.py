"""The receptionist in Odoo: booking by conversation over SMS (Twilio's signed webhook) and the live chat.

The conversation engine is tested on its own in ``engine/tests``; here it runs
against a real page: its services, free times, booking rules, waitlist,
approvals, scheduler, access rules. Twilio's HTTP layer is patched as in
``test_twilio.py``; the live chat goes through Odoo's own chat-bot routes.
"""

import json
from datetime import timedelta
from unittest.mock import patch

import requests
from freezegun import freeze_time
from twilio.http.http_client import TwilioHttpClient

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_twilio import BOSS
from .test_twilio import CUSTOMER
from .test_twilio import TwilioCase

STRANGER = "+33688888888"


class ReceptionistSmsCase(TwilioCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.receptionist_sms = True
        # these tests follow what the receptionist says itself: the page's own texts stay e-mails (setting
        # Twilio up made them e-mail and SMS; test_notification_defaults.py covers that)
        cls.page.notification_rule_ids.filtered(
            lambda rule: rule.channel == "email_sms" and rule.event != "waitlist_offer").channel = "email"
        cls.service.receptionist_keywords = "haircut, hair"
        cls.company.phone = "+33 1 40 00 00 00"
        cls.Conversation = cls.env["booking.conversation"]

    def conversation(self, number=CUSTOMER):
        return self.Conversation.search([("number", "=", number)], order="id desc", limit=1)

    def say(self, *lines, sender=CUSTOMER):
        """Text each line from ``sender``; the replies."""
        return [self.text(line, sender=sender) for line in lines]


@tagged("post_install", "-at_install")
class TestReceptionistSms(ReceptionistSmsCase):
    @freeze_time(NOW)
    def test_books_by_sms_through_the_signed_webhook(self):
        """Hi, a haircut tomorrow morning -> name -> notes -> three times -> "2" -> booked, as on the page."""
        replies = self.say("Hi, I'd like a haircut tomorrow morning", "Jean Dupont", "no", "2", sender=STRANGER)
        self.assertIn("What's your name?", replies[0])
        self.assertIn("Anything the team should know", replies[1])
        self.assertIn("1. Monday 9:00", replies[2])
        self.assertIn("2. Monday 10:00", replies[2])
        self.assertIn("You're booked for Monday 10:00", replies[3])
        appointment = self.env["booking.appointment"].search([("source", "=", "sms")])
        self.assertEqual(appointment.start, local_to_utc(MONDAY, 10))
        self.assertEqual(appointment.service_id, self.service)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((appointment.partner_id.name, appointment.partner_id.phone), ("Jean Dupont", STRANGER))
        self.assertTrue(appointment.partner_id.booking_unverified, "a texter is a stranger: a contact of their own")
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.appointment_id, appointment)
        self.assertTrue(conversation.is_booked)
        self.assertEqual(len(conversation.turn_ids), 8)
        self.assertEqual(conversation.turn_ids[0].body, "Hi, I'd like a haircut tomorrow morning")
        self.assertIn(appointment.name, replies[3])
        self.assertIn(f"/p/{self.page.slug}/booking/{appointment.id}?access_token=", replies[3])
        inbound = self.env["booking.sms"].search([("direction", "=", "in"), ("number", "=", STRANGER)])
        self.assertEqual(inbound.sorted("id")[-1].outcome, "receptionist: booked")

    @freeze_time(NOW)
    def test_a_request_is_pencilled_in_and_the_approval_told_by_sms(self):
        self.service_approval.receptionist_keywords = "consult"
        replies = self.say("I need a consultation on Tuesday after 2", "Ann Lee", "none", "1", sender=STRANGER)
        self.assertIn("penciled you in for Tuesday 2:00", replies[3])
        self.assertIn("The team will confirm shortly", replies[3])
        appointment = self.conversation(STRANGER).appointment_id
        self.assertEqual(appointment.state, "pending")
        appointment.with_user(self.user_manager).action_approve()
        self.dispatch()  # the outbox sends it, after the approval's transaction
        self.assertIn("Good news: Test Salon confirmed your booking", self.sent[-1]["Body"])
        self.assertEqual(self.sent[-1]["To"], STRANGER)
        # with the page's own SMS for confirmations, the conversation does not say it twice
        second = self.say("a consultation on Wednesday at 3pm", "no", "1", sender=STRANGER)
        self.assertIn("1. Wednesday 3:00", second[1])
        self.assertIn("penciled you in", second[2])
        self.page.notification_rule_ids.filtered(lambda rule: rule.event == "confirmed").channel = "email_sms"
        sent_before = len(self.sent)
        self.conversation(STRANGER).appointment_id.with_user(self.user_manager).action_approve()
        self.dispatch()
        self.assertFalse([sms for sms in self.sent[sent_before:] if "Good news" in sms["Body"]])

    def test_the_merchant_not_answering_nudge_at_2h_expiry_at_4h(self):
        """The seed's scenario 4, with the page's scheduler: the customer hears it by SMS."""
        self.page.write({"approval_nudge_hours": 2, "approval_expiry_hours": 4})
        with freeze_time(NOW):
            self.say("consultation on Monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        self.assertEqual(appointment.state, "pending")
        Scheduler = self.env["booking.scheduler"]
        with freeze_time(NOW + timedelta(hours=1, minutes=59)):
            Scheduler._cron_follow_up_requests()
        self.assertFalse(self.outbox(appointment, "request_nudge"))
        with freeze_time(NOW + timedelta(hours=2)):
            Scheduler._cron_follow_up_requests()
        self.assertEqual(len(self.outbox(appointment, "request_nudge")), 1, "the approvers are reminded once")
        self.assertEqual(appointment.state, "pending")
        sent_before = len(self.sent)
        with freeze_time(NOW + timedelta(hours=4)):
            Scheduler._cron_follow_up_requests()
            self.dispatch()
        self.assertEqual(appointment.state, "expired")
        self.assertEqual(self.conversation(STRANGER).state, "closed")
        self.assertFalse(self.conversation(STRANGER).is_booked, "a request nobody took is no conversion")
        texts = [sms["Body"] for sms in self.sent[sent_before:] if sms["To"] == STRANGER]
        self.assertEqual(texts, ["Sorry, we couldn't confirm your booking. Please call +33 1 40 00 00 00 to schedule."])

    @freeze_time(NOW)
    def test_more_than_a_booking_goes_to_a_person_with_the_transcript(self):
        reply = self.text("Hello, I need a quote for a wedding party of 12", sender=STRANGER)
        self.assertIn("That's more than I can book here.", reply)
        self.assertIn(f"Manny Manager, who will call you on {STRANGER}", reply)
        conversation = self.conversation(STRANGER)
        self.assertEqual((conversation.state, conversation.hand_off_reason), ("handed_off", "beyond"))
        activity = conversation.activity_ids
        self.assertEqual(activity.user_id, self.user_manager)
        self.assertIn("a quote for a wedding party", str(activity.note))
        alert = [sms for sms in self.sent if sms["To"] == BOSS]
        self.assertEqual(len(alert), 1)
        self.assertIn("URGENT", alert[0]["Body"])
        self.assertIn(STRANGER, alert[0]["Body"])
        self.assertIn("added that to your message", self.text("it's in June", sender=STRANGER))
        self.assertEqual(len(self.Conversation.search([("number", "=", STRANGER)])), 1)

    @freeze_time(NOW)
    def test_two_misunderstandings_then_a_person(self):
        replies = self.say("haircut", "Bo", "nope", "1", "purple monkey", "dishwasher", sender=STRANGER)
        self.assertIn("Which works best", replies[2])
        self.assertIn("<Message>You're booked", replies[3])
        self.assertIn("all set", replies[4])  # booked: anything else is polite, not a miss
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.state, "open")
        state = {**json.loads(conversation.sudo().engine_state), "status": "open", "step": "times",
                 "offers": ["2025-06-02T11:00:00"]}
        conversation.sudo().engine_state = json.dumps(state)
        self.assertIn("which time", self.text("banana", sender=STRANGER))
        self.assertIn("not getting this right", self.text("kiwi", sender=STRANGER))
        self.assertEqual(conversation.hand_off_reason, "misunderstood")

    def _fill(self, day, hours):
        """Both providers busy at each of ``hours`` on ``day``, booked for two other customers."""
        other = self.env["res.partner"].create({"name": "Olga Other"})
        Appointment = self.env["booking.appointment"]
        for hour in hours:
            for provider, partner in ((self.provider_a, self.customer), (self.provider_b, other)):
                Appointment.create({"page_id": self.page.id, "service_id": self.service.id, "partner_id": partner.id,
                                    "provider_id": provider.id, "start": local_to_utc(day, hour)})

    @freeze_time(NOW)
    def test_fully_booked_day_offers_the_waitlist(self):
        self._fill(MONDAY, (9, 10, 11, 13, 14, 15, 16))
        replies = self.say("a haircut on Monday 2 June", "Ann Lee", "no", "yes", sender=STRANGER)
        self.assertIn("fully booked on Monday 2 June", replies[2])
        self.assertIn("You're on the waitlist for Monday 2 June", replies[3])
        entry = self.env["booking.waitlist"].search([("source", "=", "sms")])
        self.assertEqual((entry.date, entry.service_id, entry.partner_id.phone), (MONDAY, self.service, STRANGER))
        self.assertEqual(self.conversation(STRANGER).waitlist_id, entry)

    @freeze_time(NOW)
    def test_a_time_taken_meanwhile_brings_new_offers(self):
        replies = self.say("haircut monday morning", "Ann Lee", "no", sender=STRANGER)
        self.assertIn("1. Monday 9:00", replies[2])
        # both providers' 9:00 go, on the page, while the customer reads
        self._fill(MONDAY, (9,))
        reply = self.text("1", sender=STRANGER)
        self.assertIn("just taken", reply)
        self.assertNotIn("9:00", reply)
        self.assertFalse(self.env["booking.appointment"].search([("source", "=", "sms")]))

    @freeze_time(NOW)
    def test_a_customer_with_a_booking_running_late_reaches_a_person(self):
        self._book(10)  # Carla, whose number is CUSTOMER
        reply = self.text("Running 10 minutes late, sorry!")
        self.assertIn("passed your message to the team", reply)
        self.assertFalse(self.conversation(CUSTOMER), "not a conversation: a message for a person")
        self.assertIn("What's your name?", self.text("and can I book a haircut for Tuesday too?"))

    # === LIMITS AND STRANGERS === #

    @freeze_time(NOW)
    def test_rate_length_and_quiet_period(self):
        self.page.receptionist_messages_per_hour = 3
        replies = self.say("haircut", "Ann", "no", "hello?", sender=STRANGER)
        self.assertNotIn("<Message>", replies[3], "beyond the hour's limit: silence")
        self.assertEqual(self.env["booking.sms"].search([("number", "=", STRANGER), ("direction", "=", "in")],
                                                        limit=1).outcome, "receptionist: rate limited")
        with freeze_time(NOW + timedelta(hours=11)):
            self.assertEqual(self.env["booking.scheduler"]._cron_close_quiet_conversations(), 0)
        with freeze_time(NOW + timedelta(hours=12, minutes=1)):
            self.assertEqual(self.env["booking.scheduler"]._cron_close_quiet_conversations(), 1)
        self.assertEqual(self.conversation(STRANGER).state, "closed")
        with freeze_time(NOW + timedelta(hours=13)):
            self.text("x" * 1500 + " haircut", sender=STRANGER)
        conversations = self.Conversation.search([("number", "=", STRANGER)], order="id")
        self.assertEqual(conversations.mapped("state"), ["closed", "open"], "quiet for 12 hours: a new one")
        self.assertEqual(len(conversations[1].turn_ids[0].body), 500)

    @freeze_time(NOW)
    def test_a_stranger_never_acts_as_an_existing_customer(self):
        """Carla's number texts: the booking is filed under a new contact, linked to Carla for staff to merge."""
        self.say("haircut monday", "Carla Customer", "no", "1")
        appointment = self.conversation(CUSTOMER).appointment_id
        self.assertNotEqual(appointment.partner_id, self.customer)
        self.assertEqual(appointment.partner_id.booking_same_as_id, self.customer)
        # another number cannot reach that booking, nor the conversation
        replies = self.say("1", "CANCEL", "yes", sender=STRANGER)
        self.assertEqual(appointment.state, "confirmed")
        self.assertNotIn(appointment.name, "".join(replies))
        self.assertNotEqual(self.conversation(STRANGER), self.conversation(CUSTOMER))

    @freeze_time(NOW)
    def test_markup_is_text(self):
        self.text("<img src=x onerror=alert(1)> haircut", sender=STRANGER)
        conversation = self.conversation(STRANGER)
        self.assertEqual(conversation.turn_ids[0].body, "<img src=x onerror=alert(1)> haircut")
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", str(conversation._transcript_html()))

    @freeze_time(NOW)
    def test_staff_of_another_company_see_nothing(self):
        self.say("haircut", sender=STRANGER)
        other = self.env["res.company"].create({"name": "Other salon"})
        outsider = new_test_user(self.env, login="outsider", company_id=other.id, company_ids=[other.id],
                                 groups="base.group_user,self_serve_booking.group_booking_user")
        conversation = self.conversation(STRANGER)
        with self.assertRaises(AccessError):
            conversation.with_user(outsider).read(["customer_name"])
        with self.assertRaises(AccessError):
            conversation.turn_ids.with_user(outsider).read(["body"])
        self.assertEqual(conversation.with_user(self.user_staff).turn_ids[0].body, "haircut")

    @freeze_time(NOW)
    def test_a_declined_request_reopens_the_conversation(self):
        self.say("consultation on Monday", "Ann Lee", "no", "1", sender=STRANGER)
        conversation = self.conversation(STRANGER)
        conversation.appointment_id.with_user(self.user_manager).action_decline()
        self.dispatch()
        self.assertIn("could not take that time", self.sent[-1]["Body"])
        self.assertFalse(conversation.is_booked)
        self.assertIn("1. Tuesday 9:00", self.text("Tuesday", sender=STRANGER))

    @freeze_time(NOW)
    def test_a_cancelled_request_is_told_as_any_cancellation(self):
        self.say("consultation on Monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id
        appointment.with_user(self.user_manager).action_cancel(reason="Closed that day")
        self.assertTrue(self.outbox(appointment, "cancelled"))

    @freeze_time(NOW)
    def test_an_unreachable_twilio_never_blocks_an_approval(self):
        self.say("consultation on Monday", "Ann Lee", "no", "1", sender=STRANGER)
        appointment = self.conversation(STRANGER).appointment_id

        def unreachable(*args, **kwargs):
            raise requests.ConnectionError("Twilio is down")

        with patch.object(TwilioHttpClient, "request", side_effect=unreachable), \
                mute_logger("odoo.addons.self_serve_booking.models.booking_notification"):
            appointment.with_user(self.user_manager).action_approve()
            self.dispatch()
        self.assertEqual(appointment.state, "confirmed")
        message = self.outbox(appointment, "receptionist_message")
        self.assertEqual((message.state, message.attempts), ("pending", 1), "retried later")

    @freeze_time(NOW)
    def test_bookings_by_sms_count_against_the_page_limit(self):
        self.page.write({"rate_limit_count": 1, "rate_limit_minutes": 60})
        self.say("haircut", "Ann Lee", "no", "1", sender=STRANGER)
        reply = self.say("and a haircut on Tuesday", "no", "1", sender=STRANGER)[-1]
        self.assertIn("Too many requests from you", reply)
        self.assertEqual(self.env["booking.appointment"].search_count([("source", "=", "sms")]), 1)
        self.assertEqual(self.conversation(STRANGER).state, "open", "no person bothered for it")

    @freeze_time(NOW)
    def test_urgent_sms_to_the_merchant_are_rate_limited(self):
        for index in range(12):
            self.text("can I talk to someone?", sender=f"+3361234560{index:02d}")
        alerts = [sms for sms in self.sent if sms["To"] == BOSS]
        self.assertEqual(len(alerts), 10, "ten an hour; the activities all stay")
        self.assertEqual(len(self.Conversation.search([("state", "=", "handed_off")]).activity_ids), 12)

    @freeze_time(NOW)
    def test_an_unpublished_page_books_nothing_by_sms(self):
        self.page.is_published = False
        self.assertIn("passed your message to the team", self.text("haircut please", sender=STRANGER))
        self.assertFalse(self.conversation(STRANGER))

    @freeze_time(NOW)
    def test_staff_read_conversations_and_close_them_but_change_nothing(self):
        self.say("haircut", sender=STRANGER)
        conversation = self.conversation(STRANGER).with_user(self.user_staff)
        self.assertEqual(conversation.name_search("+3368")[0][0], conversation.id)
        with self.assertRaises(AccessError):
            conversation.write({"number": "+33600000000"})
        conversation.action_close()
        self.assertEqual(conversation.state, "closed")

    def test_the_sms_receptionist_needs_twilio(self):
        with self.assertRaises(ValidationError):
            self.page.sms_gateway = "odoo"
            self.page.flush_recordset()


@tagged("post_install", "-at_install")
class TestReceptionistLivechat(ReceptionistSmsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.receptionist_livechat = True
        cls.script = cls.page.chatbot_script_id

    def test_switching_it_on_sets_up_the_live_chat(self):
        self.assertEqual(self.script.booking_page_id, self.page)
        self.assertEqual(self.script.script_step_ids.mapped("step_type"), ["free_input_single", "forward_operator"])
        channel = self.page.livechat_channel_id
        self.assertTrue(channel.rule_ids.filtered(lambda rule: rule.chatbot_script_id == self.script))
        website = self.env["website"].search([("company_id", "=", self.company.id)], order="sequence, id", limit=1)
        self.assertEqual(website.channel_id, channel, "the chat of the company's website, where visitors are")
        self.assertTrue(channel.is_published)
        self.page.receptionist_livechat = True  # again: nothing doubles
        self.assertEqual(len(channel.rule_ids.filtered(lambda rule: rule.chatbot_script_id == self.script)), 1)

    def _start_chat(self):
        data = self.make_jsonrpc_request("/im_livechat/get_session", {
            "anonymous_name": "Visitor", "chatbot_script_id": self.script.id,
            "channel_id": self.page.livechat_channel_id.id, "persisted": True})
        return self.env["discuss.channel"].browse(data["discuss.channel"][0]["id"])

    def _chat(self, channel, text):
        """The visitor's message, then the bot's step, as the chat window does; the bot's answer."""
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": channel.id,
            "post_data": {"body": text, "message_type": "comment"}})
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        return self.env["mail.message"].search([("model", "=", "discuss.channel"), ("res_id", "=", channel.id)],
                                               order="id desc", limit=1).body

    @freeze_time(NOW)
    def test_a_visitor_books_through_the_chat_routes(self):
        channel = self._start_chat()
        self.assertIn("What would you like to book?", str(channel.sudo().message_ids[-1:].body))
        self.assertIn("What's your name?", self._chat(channel, "a haircut on Tuesday morning please"))
        self.assertIn("phone number or e-mail", self._chat(channel, "Vera Visitor"))
        self.assertIn("Anything the team should know", self._chat(channel, "vera@example.com"))
        offers = self._chat(channel, "no")
        self.assertIn("Tuesday 9:00", offers)
        booked = self._chat(channel, "1")
        self.assertIn("You're booked for Tuesday 9:00", booked)
        appointment = self.env["booking.appointment"].search([("source", "=", "chat")])
        self.assertEqual((appointment.partner_id.email, appointment.state), ("vera@example.com", "confirmed"))
        conversation = self.Conversation.search([("discuss_channel_id", "=", channel.id)])
        self.assertEqual(conversation.appointment_id, appointment)
        # the same message triggered again is not answered twice, nor anything posted
        count = self.env["mail.message"].search_count([("model", "=", "discuss.channel"), ("res_id", "=", channel.id)])
        for _call in range(3):
            self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        self.assertEqual(conversation.turn_count, 10)
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "discuss.channel"), ("res_id", "=", channel.id)]),
            count)
        # closed by staff: the next message starts a new conversation
        conversation.action_close()
        self.assertIn("What would you like to book", self._chat(channel, "hello"))
        self.assertEqual(self.Conversation.search_count([("discuss_channel_id", "=", channel.id)]), 2)

    @freeze_time(NOW)
    def test_chat_bookings_count_against_the_page_limit_per_address(self):
        self.page.write({"rate_limit_count": 1, "rate_limit_minutes": 60})
        for _chat in range(2):  # a new chat is no new allowance
            channel = self._start_chat()
            for line in ("a haircut on Tuesday", "Vera Visitor", "vera@example.com", "no"):
                self._chat(channel, line)
            last = self._chat(channel, "1")
        self.assertIn("Too many requests from you", last)
        self.assertEqual(self.env["booking.appointment"].search_count([("source", "=", "chat")]), 1)

    def test_an_unpublished_page_does_not_answer_in_the_chat(self):
        channel = self._start_chat()
        self.page.is_published = False
        self._chat(channel, "a haircut on Tuesday")
        self.assertFalse(self.Conversation.search([("discuss_channel_id", "=", channel.id)]))

    @freeze_time(NOW)
    def test_hand_off_without_an_operator_online_asks_for_a_number(self):
        channel = self._start_chat()
        reply = self._chat(channel, "Can I talk to a real person?")
        self.assertIn("What's the best number to reach you on?", reply)
        conversation = self.Conversation.search([("discuss_channel_id", "=", channel.id)])
        self.assertEqual(conversation.state, "handed_off")
        self.assertIn("reach you on +33612345678", self._chat(channel, "+33 6 12 34 56 78"))
        self.assertEqual(conversation.customer_contact, "+33612345678")
        self.assertTrue(conversation.activity_ids)

    @freeze_time(NOW)
    def test_hand_off_to_an_operator_online(self):
        operator = new_test_user(self.env, login="operator",
                                 groups="base.group_user,im_livechat.im_livechat_group_user")
        self.page.livechat_channel_id.user_ids = [Command.link(operator.id)]
        self.env["bus.presence"].create({"user_id": operator.id, "status": "online"})
        channel = self._start_chat()
        self._chat(channel, "I'd like to speak to someone")
        self.assertIn(operator.partner_id, channel.sudo().channel_member_ids.partner_id)
        self.assertIn("joining the conversation now", str(channel.sudo().message_ids.mapped("body")))
        self.assertFalse(self.Conversation.search([("discuss_channel_id", "=", channel.id)]).activity_ids,
                         "someone is in the chat: no call to schedule")

    def test_another_visitors_chat_is_out_of_reach(self):
        channel = self._start_chat()
        self._chat(channel, "haircut")
        self.url_open("/web/session/logout")
        self.opener.cookies.clear()
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/mail/message/post", {
                "thread_model": "discuss.channel", "thread_id": channel.id,
                "post_data": {"body": "1", "message_type": "comment"}})
        self.assertIsNone(self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id}))
        conversation = self.Conversation.search([("discuss_channel_id", "=", channel.id)])
        self.assertEqual(conversation.turn_count, 2)
