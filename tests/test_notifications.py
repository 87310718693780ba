from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.wizard.mail_compose_message import MailComposer
from odoo.addons.sms.models.mail_thread import MailThread as SmsMailThread

from ..models.booking_notification import MAX_ATTEMPTS
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import local_to_utc


class NotificationCase(BookingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.responsible_user_id = cls.user_manager
        cls.merchant = cls.user_manager.partner_id

    def book_online(self, hour=10, service=None, provider=None, day=MONDAY):
        return self.env["booking.appointment"]._book_online(
            self.page, service or self.service, provider or self.provider_a, local_to_utc(day, hour),
            partner=self.customer, source="website")

    def run_job(self, job, when):
        """The scheduler's ``job`` at ``when``, then the outbox, as their crons run them; return what the job did."""
        with freeze_time(when):
            done = getattr(self.env["booking.scheduler"], job)()
            self.dispatch()
        return done

    def rule(self, event, channel=None):
        rules = self.page.notification_rule_ids.filtered(lambda r: r.event == event)
        return rules.filtered(lambda r: r.channel == channel) if channel else rules


@tagged("post_install", "-at_install")
class TestNotificationRules(NotificationCase):

    def test_a_new_page_sends_every_message_by_default(self):
        page = self.env["booking.page"].create({"name": "Fresh"})
        events = set(page.notification_rule_ids.mapped("event"))
        self.assertEqual(events, {
            "request_received", "confirmed", "declined", "cancelled", "rescheduled", "reminder", "receipt",
            "waitlist_offer", "new_booking", "new_request", "request_nudge", "customer_cancelled",
            "customer_rescheduled", "agenda", "review_request", "rebook_reminder", "waitlist_joined",
            "visit_summary"})
        self.assertEqual(sorted(page.notification_rule_ids.filtered(
            lambda r: r.event in ("new_booking", "new_request")).mapped(lambda r: (r.event, r.channel))),
            [("new_booking", "email"), ("new_booking", "inbox"), ("new_request", "email"), ("new_request", "inbox")],
            "the merchant hears of every booking in Odoo too")
        reminders = page.notification_rule_ids.filtered(lambda r: r.event == "reminder")
        self.assertEqual(sorted(reminders.mapped(lambda r: (r.channel, r.offset_hours))),
                         [("email", 24.0), ("sms", 2.0)])
        for rule in page.notification_rule_ids:
            template = rule._get_mail_template() if rule.channel != "sms" else rule._get_sms_template()
            self.assertTrue(template, f"{rule.event} has a default text")
        self.assertEqual(set(page.notification_rule_ids.filtered(lambda r: r.recipient == "merchant").mapped(
            "event")), {"new_booking", "new_request", "request_nudge", "customer_cancelled", "customer_rescheduled",
                        "agenda"})

    def test_rules_are_validated(self):
        with self.assertRaises(ValidationError):
            self.rule("cancelled").channel = "inbox"  # Odoo notifications are for staff
        self.rule("rescheduled").channel = "email_sms"  # every occasion has an SMS text of its own
        with self.assertRaises(ValidationError):
            self.rule("reminder", "email").offset_hours = 0
        with self.assertRaises(ValidationError):
            self.rule("agenda").offset_hours = 9  # the evening before, not the morning
        self.rule("new_request", "email").channel = "email_sms"  # staff can be texted (with the reply keywords)
        # with a text of its own, any customer occasion may go by SMS
        sms_text = self.env["sms.template"].create({
            "name": "Moved", "model_id": self.env["ir.model"]._get_id("booking.appointment"),
            "body": "{{ object.name }} is moved.",
        })
        self.rule("rescheduled").write({"channel": "email_sms", "sms_template_id": sms_text.id})

    @freeze_time(NOW)
    def test_channels_and_switching_off_follow_the_page(self):
        self.customer.phone = "+33 6 12 34 56 78"
        self.rule("confirmed").channel = "email_sms"
        first = self.book_online(10)
        self.assertEqual(sorted(self.outbox(first, "confirmed").mapped("channel")), ["email", "sms"])
        self.dispatch()
        self.assertEqual(len(self.sent_messages(first, "Confirmed")), 1)
        [sms] = self.sent_sms(self.customer)
        self.assertIn(first.get_portal_url(), sms.body)
        self.rule("new_booking").active = False
        second = self.book_online(14)
        self.assertTrue(self.outbox(second, "confirmed"))
        self.assertFalse(self.outbox(second, "new_booking"), "a switched-off occasion sends nothing")


@tagged("post_install", "-at_install")
class TestLifecycleMessages(NotificationCase):

    @freeze_time(NOW)
    def test_booking_queues_its_confirmation_and_the_dispatcher_sends_it_once(self):
        appointment = self.book_online(10)
        [queued] = self.outbox(appointment, "confirmed")
        self.assertEqual(queued.state, "pending")
        self.assertFalse(self.sent_messages(appointment, "Confirmed"), "nothing is sent inside the booking")
        self.dispatch()
        self.dispatch()
        self.assertEqual(queued.state, "sent")
        [message] = self.sent_messages(appointment, "Confirmed")
        self.assertEqual(message.partner_ids, self.customer)
        self.assertIn("Monday, June 2, 2025, 10:00", message.subject)
        self.assertIn(appointment.get_portal_url(), str(message.body))
        self.assertIn("/ics?access_token=", str(message.body))
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing", "handed to Odoo's mail queue, not sent inline")
        # the same occasion cannot be queued twice
        self.assertEqual(appointment._notify("confirmed"), 0)

    @freeze_time(NOW)
    def test_request_tells_the_customer_and_asks_the_merchant(self):
        request = self.book_online(10, service=self.service_approval)
        self.assertEqual(request.state, "pending")
        self.assertEqual(set(self.outbox(request).mapped("event")),
                         {"request_received", "new_request"})
        self.dispatch()
        [received] = self.sent_messages(request, "We received your request")
        self.assertEqual(received.partner_ids, self.customer)
        [to_approve] = self.sent_messages(request, "To approve").filtered("partner_ids")  # (and a note in the inbox)
        self.assertEqual(to_approve.partner_ids, self.merchant)
        self.assertEqual(to_approve.subtype_id, self.env.ref("self_serve_booking.mt_booking_staff"),
                         "staff's own subtype, not to the customer")
        self.assertTrue(to_approve.subtype_id.internal)
        self.assertIn(f"/booking/approval/{request.id}/confirm/", str(to_approve.body))
        self.assertIn(f"/booking/approval/{request.id}/reject/", str(to_approve.body))
        request.action_approve()
        self.dispatch()
        self.assertEqual(len(self.sent_messages(request, "Confirmed")), 1)

    @freeze_time(NOW)
    def test_declined_request_offers_three_other_times_and_the_rebook_link(self):
        request = self.book_online(10, service=self.service_approval)
        request.action_decline(reason="Alice is at a training")
        self.dispatch()
        [declined] = self.sent_messages(request, "declined")
        body = str(declined.body)
        self.assertIn("Alice is at a training", body)
        self.assertIn(f"/p/test-salon?service={self.service_approval.id}", body)
        self.assertEqual(body.count("<li"), 3, "up to three alternatives")
        self.assertNotIn("Monday, June 2, 2025, 10:00", body.split("These times are free")[1],
                         "not the declined time itself")
        self.assertIn("Monday, June 2, 2025, 9:00", body)

    @freeze_time(NOW)
    def test_customer_cancellation_tells_both_sides(self):
        appointment = self.book_online(10)
        appointment._customer_cancel(reason="Sick child")
        self.dispatch()
        [cancelled] = self.sent_messages(appointment, "Cancelled · ")
        self.assertIn("as you asked", str(cancelled.body))
        [merchant] = self.sent_messages(appointment, "Cancelled by the customer")
        self.assertEqual(merchant.partner_ids, self.merchant)
        self.assertIn("Sick child", str(merchant.body))
        # a merchant's cancellation tells the customer only
        other = self.book_online(14)
        other.action_cancel(reason="Closed for a leak")
        self.dispatch()
        self.assertIn("had to cancel", str(self.sent_messages(other, "Cancelled · ").body))
        self.assertFalse(self.sent_messages(other, "Cancelled by the customer"))

    @freeze_time(NOW)
    def test_moves_tell_the_customer_and_a_customer_move_the_merchant(self):
        appointment = self.book_online(10)
        appointment._reschedule(self.at(14), "customer")
        self.dispatch()
        [moved] = self.sent_messages(appointment, "New time")
        self.assertIn("Monday, June 2, 2025, 10:00", str(moved.body), "the old time is shown")
        self.assertIn("2:00", moved.subject)
        [merchant] = self.sent_messages(appointment, "Moved by the customer")
        self.assertEqual(merchant.partner_ids, self.merchant)
        # staff moving it: the customer is told, the merchant knows already
        appointment.write({"start": self.at(15)})
        self.dispatch()
        self.assertEqual(len(self.sent_messages(appointment, "New time")), 2)
        self.assertEqual(len(self.sent_messages(appointment, "Moved by the customer")), 1)

    @freeze_time(NOW)
    def test_staff_without_admin_rights_drive_the_same_messages(self):
        Appointment = self.env["booking.appointment"].with_user(self.user_staff)
        request = Appointment.create({
            "page_id": self.page.id, "service_id": self.service_approval.id, "provider_id": self.provider_a.id,
            "partner_id": self.customer.id, "start": self.at(10), "state": "pending",
        })
        self.assertTrue(request._approval_url("confirm"))
        request.action_approve()
        self.assertEqual(set(self.outbox(request).with_user(self.user_staff).mapped("event")),
                         {"request_received", "new_request", "confirmed"})
        self.assertIn("Approved by Stacy Staff", str(request.message_ids[:1].body))

    @freeze_time(NOW)
    def test_walk_ins_get_no_confirmation_and_imports_no_messages(self):
        walk_in = self._book(self.at(10), channel="walk_in")
        self.assertFalse(self.outbox(walk_in, "confirmed"))
        imported = self._book(self.at(11), state="cancelled")
        self.assertFalse(self.outbox(imported))

    @freeze_time(NOW)
    def test_messages_are_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        appointment = self.book_online(10)
        self.dispatch()
        [message] = self.sent_messages(appointment, "Confirmed")
        self.assertIn("lundi 2 juin 2025", message.subject, "dates in the customer's language")


@tagged("post_install", "-at_install")
class TestNonBlockingSideEffects(NotificationCase):
    """A failing template, mail layer or SMS layer never blocks a booking (DESIGN.md 4.6)."""

    def _break_confirmation_template(self):
        template = self.env.ref("self_serve_booking.mail_template_booking_confirmed")
        template.body_html = '<p><t t-out="object.no_such_field"/></p>'
        return template

    def _book_with_failing_sending(self, layer, method, error):
        """A booking at NOW whose confirmation's first sending fails: ``layer.method`` raises ``error``.

        :return: the booking and its queued confirmation.
        """
        with freeze_time(NOW):
            appointment = self.book_online(10)
            [queued] = self.outbox(appointment, "confirmed")
            with patch.object(layer, method, side_effect=error):
                self.dispatch()
        return appointment, queued

    def _dispatch_the_retry(self):
        """The outbox run two minutes later, when a first failure is tried again."""
        with freeze_time(NOW + timedelta(minutes=2)):
            self.dispatch()

    @mute_logger("odoo.addons.self_serve_booking.models.booking_notification",
                 "odoo.addons.mail.models.mail_render_mixin")
    def test_a_broken_template_is_retried_then_reported_and_the_booking_stands(self):
        template = self._break_confirmation_template()
        with freeze_time(NOW):
            appointment = self.book_online(10)
            self.assertEqual(appointment.state, "confirmed")
            [queued] = self.outbox(appointment, "confirmed")
            self.dispatch()
        self.assertEqual((queued.state, queued.attempts), ("pending", 1))
        self.assertIn("no_such_field", queued.last_error)
        self.assertEqual(queued.next_attempt_at, NOW + timedelta(minutes=2))
        with freeze_time(NOW + timedelta(minutes=1)):
            self.dispatch()
        self.assertEqual(queued.attempts, 1, "not retried before its time")
        when = NOW
        for attempt in range(2, MAX_ATTEMPTS + 1):
            when = queued.next_attempt_at
            with freeze_time(when):
                self.dispatch()
            self.assertEqual(queued.attempts, attempt)
        self.assertEqual(queued.state, "failed")
        self.assertLastMessageContains(appointment, "could not be sent after 5 tries")
        self.assertFalse(self.sent_messages(appointment, "Confirmed"))
        # fixed by staff, sent again by hand
        template.body_html = "<p>Confirmed, see you soon.</p>"
        with freeze_time(when + timedelta(minutes=1)):
            queued.action_retry()
            self.dispatch()
        self.assertEqual(queued.state, "sent")
        self.assertEqual(len(self.sent_messages(appointment, "Confirmed")), 1)

    @mute_logger("odoo.addons.self_serve_booking.models.booking_notification")
    def test_mail_layer_raising_is_retried(self):
        appointment, queued = self._book_with_failing_sending(
            MailComposer, "_action_send_mail", OSError("mail server down"))
        self.assertEqual((queued.state, queued.attempts), ("pending", 1))
        self.assertIn("mail server down", queued.last_error)
        self.assertFalse(self.sent_messages(appointment, "Confirmed"), "the failed attempt left nothing")
        self._dispatch_the_retry()
        self.assertEqual(queued.state, "sent")
        self.assertEqual(len(self.sent_messages(appointment, "Confirmed")), 1)

    @mute_logger("odoo.addons.self_serve_booking.models.booking_notification")
    def test_sms_layer_raising_is_retried(self):
        self.customer.phone = "+33 6 12 34 56 78"
        # Odoo's SMS set up (its IAP account registered): a published page confirms by SMS alone only then
        self.env["iap.account"].create({"service_id": self.env.ref("sms.iap_service_sms").id, "state": "registered"})
        self.rule("confirmed").channel = "sms"
        _appointment, queued = self._book_with_failing_sending(
            SmsMailThread, "_message_sms", ConnectionError("gateway unreachable"))
        self.assertEqual((queued.state, queued.attempts), ("pending", 1))
        self.assertFalse(self.sent_sms(self.customer))
        self._dispatch_the_retry()
        self.assertEqual(queued.state, "sent")
        self.assertEqual(len(self.sent_sms(self.customer)), 1)

    @mute_logger("odoo.addons.self_serve_booking.models.booking_notification")
    def test_one_failure_does_not_stop_the_others(self):
        self._break_confirmation_template()
        with freeze_time(NOW):
            broken = self.book_online(10)
            request = self.book_online(11, service=self.service_approval)
            self.dispatch()
        self.assertEqual(self.outbox(broken, "confirmed").state, "pending")
        self.assertEqual(self.outbox(request, "request_received").state, "sent")


@tagged("post_install", "-at_install")
class TestOutboxCleanUp(NotificationCase):

    def test_what_is_done_is_forgotten_after_90_days_failures_are_kept(self):
        with freeze_time(NOW):
            old_sent, old_cancelled, old_failed, recent = (
                self.outbox(self.book_online(hour), "confirmed") for hour in (9, 10, 11, 14))
        for notification, state, age in ((old_sent, "sent", 91), (old_cancelled, "cancelled", 91),
                                          (old_failed, "failed", 91), (recent, "sent", 89)):
            self.env.cr.execute("UPDATE booking_notification SET state = %s, write_date = %s WHERE id = %s",
                                (state, NOW - timedelta(days=age), notification.id))
        self.env["booking.notification"].invalidate_model()
        with freeze_time(NOW):
            self.env["booking.notification"]._gc_sent()
        self.assertFalse((old_sent | old_cancelled).exists())
        self.assertEqual((old_failed | recent).exists(), old_failed | recent)


@tagged("post_install", "-at_install")
class TestMessageLayout(NotificationCase):
    """What a customer's e-mail looks like: the page's name and contact, a readable title, no Unfollow."""

    @freeze_time(NOW)
    def test_customer_email_speaks_for_the_page(self):
        self.page.partner_id = self.env["res.partner"].create({
            "name": "Salon Paris", "street": "1 rue de la Paix", "city": "Paris", "phone": "+33 1 23 45 67 89",
            "email": "hello@salon.example.com"})
        self.env.company.write({"phone": "+1 555 000 0000", "email": "info@company.example.com"})
        appointment = self.book_online(10)
        self.dispatch()
        message = self.sent_messages(appointment, "Confirmed")
        self.assertEqual(message.record_name, f"Cut · {appointment._when_label(style='short')}",
                         "the service and the time, not the internal reference and the customer's name")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertTrue(mail)
        body = mail.body_html
        for text in ("Test Salon", "1 rue de la Paix", "+33 1 23 45 67 89", "hello@salon.example.com"):
            self.assertIn(text, body)
        for text in ("info@company.example.com", "+1 555 000 0000", "Unfollow", appointment.display_name):
            self.assertNotIn(text, body)
