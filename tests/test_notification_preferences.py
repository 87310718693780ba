import json

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.booking_notification_rule import EVENT_SELECTION
from ..models.booking_notification_rule import EVENTS
from .common import MONDAY
from .common import NOW
from .common import BookingDataMixin
from .common import local_to_utc
from .test_notifications import NotificationCase

API = "/booking/api/v1"


@tagged("post_install", "-at_install")
class TestNotificationPreferences(NotificationCase):
    """Every rule asks the customer's preferences (one hook), STOP stays the hard stop."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"phone": "+33 6 12 34 56 78"})

    def channels(self, appointment, event):
        return sorted(self.outbox(appointment, event).mapped("channel"))

    @freeze_time(NOW)
    def test_without_a_preference_the_page_rules_decide(self):
        appointment = self.book_online(10)
        self.assertEqual(self.channels(appointment, "confirmed"), ["email"])

    @freeze_time(NOW)
    def test_sms_preference_sends_booking_messages_by_sms(self):
        self.customer.booking_notify_channel = "sms"
        appointment = self.book_online(10)
        self.assertEqual(self.channels(appointment, "confirmed"), ["sms"])
        self.dispatch()
        self.assertTrue(self.sent_sms(self.customer), "the SMS went out through Odoo SMS")
        self.assertFalse(self.sent_messages(appointment, "Confirmed"), "no e-mail")

    @freeze_time(NOW)
    def test_both_sends_by_email_and_sms(self):
        self.customer.booking_notify_channel = "both"
        appointment = self.book_online(10)
        self.assertEqual(self.channels(appointment, "confirmed"), ["email", "sms"])

    def test_email_preference_turns_the_sms_reminder_into_an_email(self):
        self.customer.booking_notify_channel = "email"
        with freeze_time(NOW):
            appointment = self.book_online(10)
        self.run_job("_cron_send_reminders", local_to_utc(MONDAY, 8, 5))
        reminders = self.outbox(appointment, "reminder")
        self.assertTrue(reminders)
        self.assertEqual(set(reminders.mapped("channel")), {"email"}, "the 2 h SMS reminder came by e-mail")

    @freeze_time(NOW)
    def test_falls_back_to_the_other_channel_when_the_chosen_one_cannot_reach(self):
        self.customer.write({"booking_notify_channel": "sms", "phone": False})
        appointment = self.book_online(10)
        self.assertEqual(self.channels(appointment, "confirmed"), ["email"], "no phone: by e-mail")
        customer = self.env["res.partner"].create({"name": "No mail", "phone": "+33 6 98 76 54 32",
                                                   "booking_notify_channel": "email"})
        other = self.env["booking.appointment"]._book_online(
            self.page, self.service, self.provider_b, local_to_utc(MONDAY, 11), partner=customer, source="website")
        self.assertEqual(self.channels(other, "confirmed"), ["sms"], "no e-mail: by SMS")

    @freeze_time(NOW)
    def test_stop_is_the_hard_stop(self):
        self.customer.booking_notify_channel = "sms"
        self.env["phone.blacklist"].sudo().add(self.customer.phone_sanitized)
        self.assertTrue(self.customer.phone_sanitized_blacklisted)
        appointment = self.book_online(10)
        self.assertEqual(self.channels(appointment, "confirmed"), ["email"], "never texted; the e-mail goes")
        # a Twilio page: the number replied STOP to that page's number
        self.env["phone.blacklist"].sudo().remove(self.customer.phone_sanitized)
        self.env.invalidate_all()
        page = self.page.sudo()
        page.write({"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "secret",
                    "twilio_number": "+33700000000", "sms_gateway": "twilio"})
        self.assertTrue(self.customer._booking_can_text(page))
        self.env["booking.sms.opt.out"]._opt_out(page, "+33612345678", "STOP")
        self.assertFalse(self.customer._booking_can_text(page))
        self.assertEqual(self.customer._booking_message_channels(page, "confirmed", ("sms",)), ("email",))

    @freeze_time(NOW)
    def test_marketing_off_keeps_what_concerns_the_booking(self):
        self.customer.booking_marketing_messages = False
        appointment = self.book_online(10)
        rules = self.page.notification_rule_ids
        for event, _label in EVENT_SELECTION:
            if EVENTS[event][0] != "customer" or EVENTS[event][3] != "booking.appointment":
                continue
            queued = appointment._notify(event, "test", rules=rules.filtered(lambda r, e=event: r.event == e))
            if event in ("review_request", "rebook_reminder"):
                self.assertEqual(queued, 0, f"{event}: turned off")
            else:
                self.assertTrue(queued, f"{event}: concerns the booking, still sent")
        self.customer.booking_marketing_messages = True
        self.assertTrue(appointment._notify("review_request", "again"))

    @freeze_time(NOW)
    def test_marketing_does_not_fall_back(self):
        self.customer.write({"booking_notify_channel": "sms", "phone": False})
        self.assertEqual(self.customer._booking_message_channels(self.page, "review_request", ("email",)), ())
        self.assertEqual(self.customer._booking_message_channels(self.page, "confirmed", ("email",)), ("email",))

    def test_occasion_without_sms_text_stays_an_email(self):
        self.customer.booking_notify_channel = "sms"
        self.assertEqual(self.customer._booking_message_channels(self.page, "rescheduled", ("email",),
                                                                 sms_text=False), ("email",))

    def test_merchant_messages_are_the_rules(self):
        self.customer.booking_notify_channel = "sms"
        with freeze_time(NOW):
            request = self.book_online(10, service=self.service_approval)
        self.assertEqual(sorted(self.outbox(request, "new_request").mapped("channel")), ["email", "inbox"])

    def test_setting_preferences_checks_the_values(self):
        partner = self.env["res.partner"].create({"name": "Mail only", "email": "m@example.com"})
        with self.assertRaises(UserError):
            partner._booking_set_notification_preferences(channel="sms")  # no phone
        with self.assertRaises(UserError):
            partner._booking_set_notification_preferences(channel="fax")
        self.assertEqual(partner._booking_set_notification_preferences(channel="email", marketing=False),
                         {"channel": "email", "marketing": False})
        self.assertEqual(partner._booking_set_notification_preferences(channel="default"),
                         {"channel": "default", "marketing": False})

    def test_customers_cannot_write_preferences_through_rpc(self):
        """A portal user writes no contact through the ORM (their own neither): the portal page is the way."""
        portal = self.user_portal_1
        with self.assertRaises(AccessError):
            portal.partner_id.with_user(portal).write({"booking_marketing_messages": False})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_portal_2).write({"booking_notify_channel": "email"})


@tagged("post_install", "-at_install")
class TestHttpNotificationPreferences(BookingDataMixin, HttpCase):
    """/my/notifications for the signed-in owner; the API for a customer session; nothing for a link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.paula = cls.user_portal_1.partner_id
        cls.paula.write({"email": "paula@example.com", "phone": "+33 6 11 11 11 11"})
        cls.pete = cls.user_portal_2.partner_id
        cls.pete.write({"email": "pete@example.com"})

    def test_the_owner_changes_their_own_preferences(self):
        self.authenticate("portal_one", "portal_one")
        page = self.url_open("/my/notifications")
        self.assertEqual(page.status_code, 200)
        self.assertIn("How we contact you", page.text)
        self.assertIn("o_booking_customer", page.text, "a customer page: 44 px targets")
        # a stranger's contact id in the form changes nothing of theirs: the page writes the signed-in contact
        response = self.url_open("/my/notifications", data={
            "csrf_token": self._csrf(), "channel": "sms", "partner_id": self.pete.id})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Saved.", response.text)
        self.assertEqual(self.paula.booking_notify_channel, "sms")
        self.assertFalse(self.paula.booking_marketing_messages, "the box was not ticked")
        self.assertFalse(self.pete.booking_notify_channel)
        self.assertTrue(self.pete.booking_marketing_messages)

    def _csrf(self):
        page = self.url_open("/my/notifications")
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]

    @mute_logger("odoo.http")
    def test_bad_input_is_a_400_and_writes_nothing(self):
        self.authenticate("portal_two", "portal_two")
        csrf = self._csrf()
        for channel in ("fax", "", "sms"):  # sms: Pete has no phone
            response = self.url_open("/my/notifications", data={"csrf_token": csrf, "channel": channel})
            self.assertEqual(response.status_code, 400, channel)
        self.assertFalse(self.pete.booking_notify_channel)
        response = self.url_open("/my/notifications", data={"channel": "email"})  # no CSRF token
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.pete.booking_notify_channel)

    def test_visitors_and_link_holders_get_the_sign_in(self):
        with freeze_time(NOW):
            appointment = self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, 10), partner=self.paula,
                source="website")
        token = appointment._portal_ensure_token()
        response = self.url_open(f"/my/notifications?access_token={token}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    # === API === #

    def session_token(self, partner):
        session = self.env["booking.customer.session"].sudo().create({
            "partner_id": partner.id, "page_id": self.page.id, "channel": "email", "state": "active",
            "expires_at": fields.Datetime.now() + self.days(1)})
        return session._make_token()

    def api(self, method, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.opener.request(method, f"{self.base_url()}{API}/me/notification-preferences",
                                       headers=headers, data=json.dumps(body) if body is not None else None,
                                       timeout=30)
        return response, response.json() if response.content else None

    def test_api_reads_and_changes_the_session_customers_preferences(self):
        token = self.session_token(self.paula)
        response, data = self.api("GET", token=token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data, {"preferences": {"channel": "default", "marketing": True}})
        response, data = self.api("PATCH", {"channel": "both", "marketing": False}, token=token)
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual(data["preferences"], {"channel": "both", "marketing": False})
        self.assertEqual(self.paula.booking_notify_channel, "both")
        self.assertTrue(self.pete.booking_marketing_messages, "nobody else's")

    def test_api_refuses_without_a_session_and_bad_input(self):
        for method in ("GET", "PATCH"):
            response, data = self.api(method, {"channel": "sms"} if method == "PATCH" else None)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(data["error"], "unauthorized")
            response, data = self.api(method, {"channel": "sms"} if method == "PATCH" else None, token="forged.token")
            self.assertEqual(response.status_code, 401)
        token = self.session_token(self.pete)
        for body in ({"channel": "fax"}, {"marketing": "no"}, {"channel": "sms"}, {"partner_id": self.paula.id},
                     {"channel": None}):
            response, data = self.api("PATCH", body, token=token)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(data["error"], ("validation", "contract_mismatch"), body)
        self.assertFalse(self.pete.booking_notify_channel)
        self.assertTrue(self.pete.booking_marketing_messages)
        response, _data = self.api("POST", {"channel": "email"}, token=token)
        self.assertEqual(response.status_code, 405)
