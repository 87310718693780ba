from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import mute_logger

from .common import MONDAY
from .common import BookingHttpCommon
from .test_notifications import NotificationCase
from .test_on_site import ADDRESS
from .test_on_site import OnSiteMixin


class OnMyWayMixin(OnSiteMixin):
    @classmethod
    def _setup_on_my_way(cls):
        cls._setup_on_site()
        cls.customer.write({"phone": "+33 6 12 34 56 78"})
        cls.provider_a.user_id = cls.user_staff

    def job(self, hour=10, **vals):
        """A lawn job at the customer's (Alice drives 30 min), confirmed, booked from the backend."""
        with freeze_time(self.at(8)):
            return self._book(self.at(hour), service=self.lawn, **{"address": ADDRESS, **vals})


@tagged("post_install", "-at_install")
class TestOnMyWay(OnMyWayMixin, NotificationCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_on_my_way()

    def on_my_way(self, appointment, when, user=None, minutes=None):
        with freeze_time(when):
            return appointment.with_user(user or self.user_staff).action_on_my_way(
                **({"minutes": minutes} if minutes is not None else {}))

    def test_the_provider_texts_the_customer_an_arrival_estimate(self):
        job = self.job()
        self.on_my_way(job, self.at(9, 20))
        [queued] = self.outbox(job, "on_my_way")
        self.assertEqual(queued.channel, "sms")
        self.assertIn('"minutes": 30', queued.values, "the drive reserved for the job is the default estimate")
        with freeze_time(self.at(9, 20)):
            self.dispatch()
        self.assertEqual(queued.state, "sent")
        [sms] = self.sent_sms(self.customer)
        self.assertIn("Alice is on the way, arriving around 9:50", sms.body)
        self.assertIn(job.name, sms.body)
        self.assertIn("On my way", str(job.message_ids[:3].mapped("body")), "logged in the chatter")

    def test_the_forms_button_lets_the_provider_pick_the_estimate(self):
        job = self.job()
        action = self.env.ref("self_serve_booking.action_booking_on_my_way")
        self.assertEqual(action.res_model, "booking.on.my.way")
        with freeze_time(self.at(9, 20)):
            Wizard = self.env["booking.on.my.way"].with_user(self.user_staff).with_context(
                default_appointment_id=job.id)
            form = Form(Wizard)
            self.assertEqual(form.minutes, "30", "the drive reserved for the job, as the default")
            form.minutes = "45"
            form.save().action_send()
        self.assertIn('"minutes": 45', self.outbox(job, "on_my_way").values)
        company_b = self.env["res.company"].create({"name": "Elsewhere"})
        stranger = new_test_user(self.env, login="elsewhere_staff", company_id=company_b.id,
                                 company_ids=company_b.ids,
                                 groups="base.group_user,self_serve_booking.group_booking_user")
        wizard = self.env["booking.on.my.way"].with_user(stranger).create(
            {"appointment_id": self._book_plain(15).id, "minutes": "10"})
        with freeze_time(self.at(14, 50)), self.assertRaises(AccessError), mute_logger("odoo.models"):
            wizard.action_send()

    def test_the_estimate_picked_and_without_travel_the_time_left(self):
        job = self.job()
        self.on_my_way(job, self.at(9, 20), minutes=20)
        self.assertIn('"minutes": 20', self.outbox(job, "on_my_way").values)
        salon = self._book_plain(11)
        self.on_my_way(salon, self.at(10, 35))
        self.assertIn('"minutes": 25', self.outbox(salon, "on_my_way").values, "25 min left before 11:00")
        for bad in (True, -5, 0, 1000, "10", 2.5):
            with self.subTest(minutes=bad), self.assertRaises(UserError):
                self.on_my_way(salon, self.at(10, 50), minutes=bad)

    def _book_plain(self, hour):
        with freeze_time(self.at(8)):
            return self._book(self.at(hour), provider=self.provider_b)

    def test_by_email_when_the_customer_cannot_be_texted_or_chose_email(self):
        job = self.job()
        self.customer.phone = False
        self.on_my_way(job, self.at(9, 20))
        self.assertEqual(self.outbox(job, "on_my_way").channel, "email")
        with freeze_time(self.at(9, 20)):
            self.dispatch()
        [mail] = self.sent_messages(job, "is on the way")
        self.assertEqual(mail.partner_ids, self.customer)
        self.assertIn("arriving around 9:50", mail.subject)
        other = self.job(14)
        self.customer.write({"phone": "+33 6 12 34 56 78", "booking_notify_channel": "email"})
        self.on_my_way(other, self.at(13, 20))
        self.assertEqual(self.outbox(other, "on_my_way").channel, "email", "their preference")
        third = self.job(16)
        self.customer.booking_notify_channel = False
        self.env["phone.blacklist"].sudo().add(self.customer.phone_sanitized)
        self.env.invalidate_all()
        self.on_my_way(third, self.at(15, 20))
        self.assertEqual(self.outbox(third, "on_my_way").channel, "email", "STOP: never texted")

    def test_a_late_or_untrue_one_is_not_sent(self):
        job = self.job()
        self.on_my_way(job, self.at(9, 20), minutes=10)
        with freeze_time(self.at(9, 31)):  # the mail and SMS queue was stuck past the arrival time
            self.dispatch()
        self.assertEqual(self.outbox(job, "on_my_way").state, "cancelled")
        other = self.job(14)
        self.on_my_way(other, self.at(13, 20))
        with freeze_time(self.at(13, 21)):
            other.action_check_in()  # already there
            self.dispatch()
        self.assertEqual(self.outbox(other, "on_my_way").state, "cancelled")
        self.assertFalse(self.sent_sms(self.customer))

    def test_once_per_booking_every_few_minutes(self):
        job = self.job()
        self.on_my_way(job, self.at(9, 20))
        with self.assertRaisesRegex(UserError, "just told"):
            self.on_my_way(job, self.at(9, 23), user=self.user_manager)
        self.on_my_way(job, self.at(9, 26), minutes=10)  # stuck in traffic: a new estimate
        self.assertEqual(len(self.outbox(job, "on_my_way")), 2)

    def test_only_on_the_day_of_a_confirmed_booking(self):
        job = self.job()
        with self.assertRaisesRegex(UserError, "on the day"):
            self.on_my_way(job, self.at(18, day=MONDAY - timedelta(days=1)))
        with self.assertRaisesRegex(UserError, "has ended"):
            self.on_my_way(job, self.at(11, 5))
        with freeze_time(self.at(8)):
            job.action_cancel()
        with self.assertRaises(UserError):
            self.on_my_way(job, self.at(9, 20))
        self.assertFalse(self.outbox(job, "on_my_way"))

    def test_strangers_cannot_send_it(self):
        job = self.job()
        company_b = self.env["res.company"].create({"name": "Other Lawns"})
        stranger_staff = new_test_user(self.env, login="other_staff", company_id=company_b.id,
                                       company_ids=company_b.ids,
                                       groups="base.group_user,self_serve_booking.group_booking_user")
        employee = new_test_user(self.env, login="just_employee", groups="base.group_user")
        for user in (self.user_portal_1, stranger_staff, employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError), mute_logger("odoo.models"):
                self.on_my_way(job, self.at(9, 20), user=user)
        # the customer, reading their own booking in the portal, neither
        job.partner_id = self.user_portal_1.partner_id
        with self.assertRaises(AccessError):
            self.on_my_way(job, self.at(9, 20), user=self.user_portal_1)
        self.assertFalse(self.outbox(job, "on_my_way"))

    def test_strangers_cannot_send_it_through_the_wizard_either(self):
        """The form's dialog names any booking id: staff of another company, or anyone else, get nothing from it."""
        job = self.job()
        company_b = self.env["res.company"].create({"name": "Other Lawns"})
        stranger_staff = new_test_user(self.env, login="other_staff_wizard", company_id=company_b.id,
                                       company_ids=company_b.ids,
                                       groups="base.group_user,self_serve_booking.group_booking_user")
        employee = new_test_user(self.env, login="just_employee_wizard", groups="base.group_user")
        for user in (stranger_staff, employee, self.user_portal_1):
            with self.subTest(user=user.login), self.assertRaises(AccessError), mute_logger("odoo.models"), \
                    freeze_time(self.at(9, 20)):
                wizard = self.env["booking.on.my.way"].with_user(user).create(
                    {"appointment_id": job.id, "minutes": "10"})
                wizard.action_send()
        self.assertFalse(self.outbox(job, "on_my_way"))

    def test_the_agenda_sms_carries_the_link_of_each_job_at_a_customers_place(self):
        job = self.job()
        salon = self._book_plain(11)
        salon.provider_id = self.provider_a
        text = self.provider_a._get_agenda_sms(MONDAY)
        self.assertIn(f"On my way: {job._on_my_way_url()}", text)
        self.assertNotIn(salon._on_my_way_url(), text, "the salon's customers come to the provider")
        template = self.env.ref("self_serve_booking.mail_template_booking_agenda")
        _subject, agenda = self.provider_a._render_template(
            template.with_context(booking_notification={"date": str(MONDAY)}))
        self.assertIn(job._on_my_way_url(), agenda)


@tagged("post_install", "-at_install")
class TestOnMyWayLink(OnMyWayMixin, BookingHttpCommon):
    """The agenda SMS's link: the signature is the authority, for that booking's "on my way" only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_on_my_way()

    def open(self, url, minutes=None):
        if minutes is None:
            return self.url_open(url)
        return self.url_open(url, data={"minutes": minutes})

    def queued(self, job):
        return self.env["booking.notification"].search([("appointment_id", "=", job.id), ("event", "=", "on_my_way")])

    def test_opening_shows_the_choices_and_a_tap_sends(self):
        job = self.job()
        url = job._on_my_way_url()
        with freeze_time(self.at(9, 20)):
            page = self.open(url)
            self.assertEqual(page.status_code, 200)
            self.assertIn('data-result="ready"', page.text)
            self.assertIn("o_booking_customer", page.text)
            self.assertFalse(self.queued(job), "opening sends nothing (SMS previews open links)")
            sent = self.open(url, minutes="20")
            self.assertIn('data-result="sent"', sent.text)
            self.assertIn("9:40", sent.text)
            self.assertEqual(len(self.queued(job)), 1)
            self.assertIn('"minutes": 20', self.queued(job).values)
            # the attacker replaying the link right away: refused, nothing sent
            again = self.open(url, minutes="20")
            self.assertEqual(again.status_code, 409)
            self.assertEqual(len(self.queued(job)), 1)
        with freeze_time(self.at(9, 30)):
            self.assertEqual(self.open(url, minutes="10").status_code, 200, "a new estimate, minutes later")
        self.assertEqual(len(self.queued(job)), 2)

    @mute_logger("odoo.http")
    def test_forged_foreign_and_outdated_links_do_nothing(self):
        job = self.job()
        other = self.job(14)
        url = job._on_my_way_url()
        signature = url.rsplit("/", 1)[1]
        with freeze_time(self.at(9, 20)):
            for label, bad in (
                ("forged", url[:-4] + "0000"),
                ("another booking's id", f"/booking/on-my-way/{other.id}/{signature}"),
                ("the check-in link's signature", f"/booking/on-my-way/{job.id}/{job._provider_check_in_signature()}"),
                ("the customer's check-in signature", f"/booking/on-my-way/{job.id}/{job._check_in_signature()}"),
                ("no such booking", f"/booking/on-my-way/2147483647/{signature}"),
                ("not ASCII", f"/booking/on-my-way/{job.id}/%C3%A9"),
            ):
                with self.subTest(label):
                    response = self.open(bad, minutes="10")
                    self.assertEqual(response.status_code, 403)
            for minutes in ("999", "abc", "-5", "1e3", "15"):
                with self.subTest(minutes=minutes):
                    self.assertEqual(self.open(url, minutes=minutes).status_code, 409)
        self.assertFalse(self.queued(job) | self.queued(other))
        # the booking given to another customer, or moved: the old link is void
        with freeze_time(self.at(8)):
            job.start = self.at(10, 30)
        with freeze_time(self.at(9, 20)):
            self.assertEqual(self.open(url, minutes="10").status_code, 403)
            self.assertEqual(self.open(job._on_my_way_url(), minutes="10").status_code, 200, "its new link works")

    def test_the_link_expires_with_the_job(self):
        job = self.job()
        url = job._on_my_way_url()
        with freeze_time(self.at(11, 5)):
            page = self.open(url, minutes="10")
        self.assertIn('data-result="closed"', page.text)
        self.assertIn("has ended", page.text)
        with freeze_time(self.at(9, 50)):
            job.action_check_in()
            self.assertIn('data-result="closed"', self.open(url, minutes="10").text)
        self.assertFalse(self.queued(job))
