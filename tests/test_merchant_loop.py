"""The merchant's side of the loop: told of every online booking, followers, messages both ways, the agenda."""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import BookingActionRefused
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import BookingHttpCommon
from .common import local_to_utc


@tagged("post_install", "-at_install")
class TestMerchantHears(BookingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({"auto_confirm": True, "responsible_user_id": cls.user_manager.id})
        cls.provider_a.user_id = cls.user_staff
        cls.user_manager.partner_id.write({"email": "manny@salon.example.com", "mobile": "+33 6 11 11 11 11"})
        cls.user_staff.partner_id.write({"email": "stacy@salon.example.com", "mobile": "+33 6 22 22 22 22"})
        cls.customer.phone = "+33 6 99 99 99 99"

    def _book_online(self, hour=10, service=None, source="website"):
        with freeze_time(NOW):
            return self.env["booking.appointment"]._book_online(
                self.page, service or self.service, self.provider_a, local_to_utc(MONDAY, hour),
                partner=self.customer, source=source)

    def _inbox(self, user, appointment):
        return self.env["mail.notification"].search([
            ("res_partner_id", "=", user.partner_id.id), ("notification_type", "=", "inbox"),
            ("mail_message_id.model", "=", appointment._name), ("mail_message_id.res_id", "=", appointment.id)])

    def test_an_auto_confirmed_online_booking_tells_the_merchant_once_per_channel(self):
        appointment = self._book_online()
        self.assertEqual(appointment.state, "confirmed")
        queued = self.outbox(appointment, "new_booking")
        self.assertEqual(sorted(queued.mapped("channel")), ["email", "inbox"])
        appointment._queue_state_notifications("pending_payment")  # told again: the key says it was
        self.assertEqual(len(self.outbox(appointment, "new_booking")), 2)
        self.dispatch()
        self.dispatch()
        mails = self.sent_messages(appointment, "New booking")
        emailed = mails.filtered("partner_ids")  # the inbox note has no e-mail recipients
        self.assertEqual(len(emailed), 1)
        self.assertEqual(set(emailed.partner_ids), {self.user_manager.partner_id, self.user_staff.partner_id})
        for user in (self.user_manager, self.user_staff):
            with self.subTest(user=user.login):
                self.assertEqual(len(self._inbox(user, appointment).filtered(
                    lambda n: "New booking" in (n.mail_message_id.subject or ""))), 1)

    def test_bookings_staff_make_and_requests_are_not_new_bookings(self):
        backend = self._book_online(hour=10, source="backend")
        self.assertFalse(self.outbox(backend, "new_booking"))
        self.page.auto_confirm = False  # the service's approval now applies
        request = self._book_online(hour=14, service=self.service_approval)
        self.assertEqual(request.state, "pending")
        self.assertFalse(self.outbox(request, "new_booking"))
        self.assertEqual(sorted(self.outbox(request, "new_request").mapped("channel")), ["email", "inbox"])

    @mute_logger("odoo.addons.sms.models.sms_sms")
    def test_merchant_sms_when_the_page_asks(self):
        self.page.auto_confirm = False
        self.page.notification_rule_ids = [Command.create({"event": "new_request", "channel": "sms"})]
        request = self._book_online(service=self.service_approval)
        self.dispatch()
        staff = (self.user_manager | self.user_staff).partner_id
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", staff.ids)])
        self.assertEqual(len(sms), 2)
        # Odoo's SMS reads no reply: the signed link approves (YES / NO by reply on a Twilio page)
        self.assertIn(request._approval_url("confirm"), sms[0].body)
        self.assertIn("+33 6 99 99 99 99", sms[0].body, "the customer's phone, to call them back")
        self.assertFalse(self.sent_sms(self.customer).filtered(lambda s: "YES" in s.body))

    def test_followers_and_messages_both_ways(self):
        appointment = self._book_online()
        followers = appointment.message_follower_ids
        self.assertEqual(set(followers.partner_id),
                         {self.customer, self.user_manager.partner_id, self.user_staff.partner_id})
        staff_follow = followers.filtered(lambda f: f.partner_id == self.user_manager.partner_id).subtype_ids
        self.assertNotIn(self.env.ref("mail.mt_comment"), staff_follow, "staff get no copy of customer e-mails")
        # the customer writes on their booking page (portal chatter, as the customer)
        message = appointment.with_context(mail_create_nosubscribe=True).message_post(
            body="Can I bring my daughter?", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self.customer.id)
        self.assertEqual(set(message.notification_ids.res_partner_id),
                         {self.user_manager.partner_id, self.user_staff.partner_id})
        # staff reply from the chatter: it reaches the customer by e-mail
        reply = appointment.with_user(self.user_manager).message_post(
            body="Of course!", message_type="comment", subtype_xmlid="mail.mt_comment")
        to_customer = reply.notification_ids.filtered(lambda n: n.res_partner_id == self.customer)
        self.assertEqual(to_customer.notification_type, "email")
        self.assertNotIn(self.user_staff.partner_id, reply.notification_ids.res_partner_id)

    def test_tomorrows_agenda_the_evening_before(self):
        first = self._book_online(hour=10)
        second = self._book_online(hour=14)
        second.note = "Allergic to lavender"
        self.provider_b.user_id = self.user_manager  # Bob has nothing tomorrow: no agenda
        Scheduler = self.env["booking.scheduler"]
        with freeze_time("2025-06-01 15:30:00"):  # Sunday 17:30 in Paris: too early
            self.assertEqual(Scheduler._cron_send_agendas(), 0)
        with freeze_time("2025-06-01 16:30:00"):  # 18:30
            self.assertEqual(Scheduler._cron_send_agendas(), 1)
            self.assertEqual(Scheduler._cron_send_agendas(), 0, "once")
            self.dispatch()
        agenda = self.env["mail.message"].search([("model", "=", "booking.provider"),
                                                  ("res_id", "=", self.provider_a.id), ("subject", "ilike", "agenda")])
        self.assertEqual(len(agenda), 1)
        self.assertEqual(agenda.partner_ids, self.user_staff.partner_id)
        self.assertIn("Monday", agenda.subject)
        for text in (first.partner_id.name, "10:00", "2:00", "Allergic to lavender"):
            self.assertIn(text, str(agenda.body))
        with freeze_time("2025-06-02 07:00:00"):  # Monday morning: an agenda still queued is no use now
            self.dispatch()
        self.assertFalse(self.env["booking.notification"].search(
            [("event", "=", "agenda"), ("state", "=", "pending")]))


@tagged("post_install", "-at_install")
class TestNoShowProtection(BookingCommon):
    """Customers with repeated no-shows prepay the whole price online, or are asked to call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.auto_confirm = True
        cls.policy.write({"no_show_risk_count": 2, "no_show_risk_months": 6})
        cls.regular = cls.env["res.partner"].create({"name": "Nora No-show", "email": "nora@example.com"})

    def _no_shows(self, *days_ago):
        for index, days in enumerate(days_ago):
            self._book(local_to_utc(MONDAY, 9 + index) - self.days(days), partner_id=self.regular.id,
                       state="no_show")

    def _book_online(self, partner=None, hour=10):
        with freeze_time(NOW):
            return self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, hour), partner=partner or self.regular)

    def test_two_no_shows_mean_full_prepayment(self):
        self._no_shows(28)
        first = self._book_online(hour=10)
        self.assertEqual((first.state, first.prepay_full), ("confirmed", False), "one no-show: as anybody")
        self._no_shows(56)
        second = self._book_online(hour=14)
        self.assertEqual((second.state, second.prepay_full), ("pending_payment", True))
        self.assertEqual(second.contract_id.amount_deposit, second.price, "the whole price, up front")

    def test_old_no_shows_do_not_count_and_staff_decide(self):
        self._no_shows(28, 392)  # the second is older than six months
        self.assertFalse(self._book_online(hour=10).prepay_full)
        self.regular.booking_no_show_flag = "at_risk"
        self.assertTrue(self._book_online(hour=14).prepay_full)
        self.regular.booking_no_show_flag = "trusted"
        self._no_shows(7, 14, 21)
        self.assertFalse(self._book_online(hour=15).prepay_full)

    def test_call_to_book(self):
        self.policy.no_show_risk_action = "call"
        self.page.partner_id.phone = "+33 1 23 45 67 89"
        self._no_shows(7, 14)
        with self.assertRaises(BookingActionRefused) as refusal:
            self._book_online()
        self.assertEqual(refusal.exception.code, "call_to_book")
        self.assertIn("+33 1 23 45 67 89", refusal.exception.args[0])
        self.assertFalse(self.env["booking.appointment"].search(
            [("partner_id", "=", self.regular.id), ("state", "!=", "no_show")]), "nothing written")

    def test_a_guest_is_never_someone_elses_risk(self):
        self._no_shows(7, 14)
        with freeze_time(NOW):
            guest = self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, 10),
                customer={"name": "Nora", "email": "nora@example.com"})
        self.assertNotEqual(guest.partner_id, self.regular)
        self.assertEqual((guest.state, guest.prepay_full), ("confirmed", False))


@tagged("post_install", "-at_install")
class TestDashboard(BookingCommon):
    """The seed's dashboard: how fast requests are answered, how many expire, colours by state."""

    def test_answer_time_and_expired_requests_in_the_analysis(self):
        with freeze_time(NOW):
            answered = self.env["booking.appointment"]._book_online(
                self.page, self.service_approval, self.provider_a, local_to_utc(MONDAY, 10), partner=self.customer)
            unanswered = self.env["booking.appointment"]._book_online(
                self.page, self.service_approval, self.provider_b, local_to_utc(MONDAY, 14), partner=self.customer)
        self.assertEqual((answered.state, unanswered.state), ("pending", "pending"))
        with freeze_time("2025-06-01 13:00:00"):  # three hours later
            answered.action_approve()
        with freeze_time("2025-06-01 20:00:00"):
            unanswered._action_expire()
        self.env.flush_all()
        rows = self.env["booking.report"].search([("name", "in", (answered.name, unanswered.name))])
        by_name = {row.name: row for row in rows}
        self.assertAlmostEqual(by_name[answered.name].answer_hours, 3.0, places=2)
        self.assertEqual(by_name[answered.name].request_expired_rate, 0.0)
        self.assertEqual(by_name[unanswered.name].request_expired_rate, 100.0)
        self.assertFalse(by_name[unanswered.name].answer_hours)
        totals = self.env["booking.report"].read_group(
            [("id", "in", rows.ids)], ["request_count:sum", "request_expired_rate:avg", "answer_hours:avg"], [])[0]
        self.assertEqual((totals["request_count"], totals["request_expired_rate"]), (2, 50.0))
        self.assertAlmostEqual(totals["answer_hours"], 3.0, places=2)

    def test_colours_by_state(self):
        appointment = self._book(self.at(10), state="pending")
        self.assertEqual(appointment.state_color, 3)
        appointment.action_approve()
        self.assertEqual(appointment.state_color, 10)


@tagged("post_install", "-at_install")
class TestPortalMessages(BookingHttpCommon):
    """A message on the customer's booking page (Odoo's portal chatter, with the booking's link) reaches staff."""

    def test_a_message_on_the_booking_page_reaches_staff_and_their_reply_the_customer(self):
        self.page.responsible_user_id = self.user_manager
        self.user_manager.partner_id.email = "manny@salon.example.com"
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": appointment._name, "thread_id": appointment.id,
            "post_data": {"body": "Can I come at 10:15 instead?", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment"},
            "token": appointment._portal_ensure_token(),
        })
        message = appointment.message_ids.filtered(lambda m: "10:15" in str(m.body))
        self.assertEqual(message.author_id, self.customer, "the link speaks for the booking's customer")
        self.assertIn(self.user_manager.partner_id, message.notification_ids.res_partner_id)
        reply = appointment.with_user(self.user_manager).message_post(
            body="Yes, see you then.", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(reply.notification_ids.filtered(lambda n: n.res_partner_id == self.customer).notification_type,
                         "email")
