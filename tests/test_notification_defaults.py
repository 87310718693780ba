"""Issue 24 (first part): every page sends what people expect from its first minute, by the right channel.

- a page however made (the form, an import, the API, a copy) has the default rules; a published page
  always confirms its bookings; a reminder saved without hours gets the usual ones;
- with SMS set up (Twilio, or Odoo's SMS with a registered IAP account) the occasions people act on
  from their phone go by e-mail and SMS; every occasion has an SMS text, and the texts carry what the
  reader needs (checked in SMS segments, GSM-7 / UCS-2, for long real-life values);
- the migration gives pages without rules the defaults.
"""

import importlib.util
import json
import logging
from unittest.mock import patch

from freezegun import freeze_time
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tools.misc import file_path

from ..engine.sms import sms_segments
from ..models.booking_notification_rule import DEFAULT_RULES
from ..models.booking_notification_rule import EVENT_SELECTION
from ..models.booking_notification_rule import EVENTS
from .common import MONDAY
from .common import NOW
from .common import local_to_utc
from .test_notifications import NotificationCase

_logger = logging.getLogger(__name__)

SALON = "+15005550006"
TWILIO = {"sms_gateway": "twilio", "twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "secret",
          "twilio_number": SALON}
SMS_WORTHY = {("confirmed", 0.0), ("reminder", 2.0), ("new_request", 0.0), ("declined", 0.0),
              ("rescheduled", 0.0), ("request_nudge", 0.0)}


# by e-mail and SMS on every page (the waitlist's: an offer is urgent; "on the waitlist" goes by the channel given)
ALWAYS_BOTH = {("waitlist_offer", 0.0), ("waitlist_joined", 0.0)}


def channels(page):
    """(event, hours) -> channel of the page's customer and e-mail rules (the Odoo inbox rules left out)."""
    return {(rule.event, rule.offset_hours): rule.channel for rule in page.notification_rule_ids
            if rule.channel != "inbox"}


class DefaultsCase(NotificationCase):

    def register_odoo_sms(self):
        """Odoo's SMS set up: the company's IAP account for SMS is registered (credits bought)."""
        return self.env["iap.account"].create({"service_id": self.env.ref("sms.iap_service_sms").id,
                                               "state": "registered"})

    def twilio_vals(self):
        return dict(TWILIO)


@tagged("post_install", "-at_install")
class TestEveryPageHasItsRules(DefaultsCase):

    def test_the_form_shows_the_default_rules_before_saving_and_the_page_confirms_by_email_and_sms(self):
        """A manager makes a page in the form, adds nothing to its notifications: it confirms by e-mail and SMS."""
        self.register_odoo_sms()
        form = Form(self.env["booking.page"].with_user(self.user_manager))
        self.assertEqual(len(form.notification_rule_ids), len(DEFAULT_RULES), "shown from the start")
        form.name = "Fresh Salon"
        form.tz = "Europe/Paris"
        form.min_notice_hours = 2
        form.service_ids.add(self.service)
        for provider in self.provider_a | self.provider_b:
            form.provider_ids.add(provider)
        page = form.save()
        self.assertEqual(channels(page)[("confirmed", 0.0)], "email_sms")
        page.with_user(self.user_manager).is_published = True
        self.customer.mobile = "+33 6 12 34 56 78"
        with freeze_time(NOW):
            appointment = self.env["booking.appointment"]._book_online(
                page, self.service, self.provider_a, local_to_utc(MONDAY, 10), partner=self.customer)
            self.assertEqual(appointment.state, "confirmed")
            self.assertEqual(sorted(self.outbox(appointment, "confirmed").mapped("channel")), ["email", "sms"])
            self.dispatch()
        self.assertEqual(len(self.sent_messages(appointment, "Confirmed")), 1, "the confirmation e-mail")
        [sms] = self.sent_sms(self.customer)
        self.assertIn("confirmed", sms.body)
        self.assertIn(appointment.get_portal_url(), sms.body, "Odoo's SMS reads no reply: the link to manage it")

    def test_the_form_with_twilio_switches_the_rules_that_matter_by_sms(self):
        form = Form(self.env["booking.page"])  # an administrator: the Twilio account's fields are theirs
        form.name = "Texting Salon"
        with form.notification_rule_ids.edit(1) as line:
            self.assertEqual((line.event, line.channel), ("confirmed", "email"), "no SMS set up yet")
        form.sms_gateway = "twilio"
        form.twilio_account_sid = "AC" + "0" * 32
        form.twilio_auth_token = "secret"
        form.twilio_number = SALON
        with form.notification_rule_ids.edit(1) as line:
            self.assertEqual((line.event, line.channel), ("confirmed", "email_sms"), "shown before saving")
        page = form.save()
        self.assertEqual({key for key, channel in channels(page).items() if channel == "email_sms"},
                         SMS_WORTHY | ALWAYS_BOTH)

    def test_created_with_an_empty_list_or_only_a_clear_gets_the_defaults(self):
        Page = self.env["booking.page"]
        for value in ([], False, [Command.clear()], [Command.set([])]):
            with self.subTest(value=value):
                page = Page.create({"name": "Empty", "notification_rule_ids": value})
                self.assertEqual(len(page.notification_rule_ids), len(DEFAULT_RULES))
        own = Page.create({"name": "Own", "notification_rule_ids": [
            Command.create({"event": "confirmed", "channel": "email"})]})
        self.assertEqual(own.notification_rule_ids.mapped("event"), ["confirmed"], "rules given are kept")

    def test_an_import_the_api_and_a_copy_have_the_rules(self):
        Page = self.env["booking.page"].with_user(self.user_manager)
        result = Page.load(["name", "slug"], [["Imported Spa", "imported-spa"]])
        self.assertFalse(result["messages"], result["messages"])
        imported = Page.browse(result["ids"])
        self.assertEqual(len(imported.notification_rule_ids), len(DEFAULT_RULES))
        with_twilio = self.env["booking.page"].create({"name": "Twilio by API", **self.twilio_vals()})
        self.assertEqual(channels(with_twilio)[("reminder", 2.0)], "email_sms")
        self.assertEqual(channels(with_twilio)[("reminder", 24.0)], "email", "the day before: an e-mail is enough")
        copy = self.page.copy()
        self.assertEqual(sorted(copy.notification_rule_ids.mapped("event")),
                         sorted(self.page.notification_rule_ids.mapped("event")))
        self.assertNotEqual(copy.notification_rule_ids, self.page.notification_rule_ids)

    def test_every_occasion_has_an_sms_text(self):
        for event, _label in EVENT_SELECTION:
            with self.subTest(event=event):
                rule = self.env["booking.notification.rule"].new({"page_id": self.page.id, "event": event,
                                                                   "channel": "sms"})
                self.assertTrue(rule._get_sms_template(), f"{event} has a default SMS text")
                self.assertEqual(rule._get_sms_template().model, EVENTS[event][3])


@tagged("post_install", "-at_install")
class TestPublishedPageConfirms(DefaultsCase):

    def test_the_only_confirmation_cannot_be_switched_off_or_deleted_on_a_published_page(self):
        confirmation = self.rule("confirmed")
        Rule = self.env["booking.notification.rule"].with_user(self.user_manager)
        for change in (lambda rule: rule.write({"active": False}), lambda rule: rule.unlink(),
                       lambda rule: rule.write({"event": "cancelled"})):
            with self.assertRaises(ValidationError):
                change(Rule.browse(confirmation.id))
            self.assertTrue(confirmation.exists().active)
        with self.assertRaises(ValidationError):
            self.page.with_user(self.user_manager).notification_rule_ids = [Command.clear()]
        # a second confirmation (by SMS) may replace it
        Rule.create({"page_id": self.page.id, "event": "confirmed", "channel": "email_sms"})
        Rule.browse(confirmation.id).active = False
        self.assertTrue(self.rule("confirmed").filtered("active"))

    def test_a_confirmation_by_sms_alone_needs_a_page_that_can_send_sms(self):
        """Switched to SMS on a page with no SMS set up, the only confirmation would reach nobody."""
        confirmation = self.rule("confirmed")
        self.assertFalse(self.page._sms_ready())
        with self.assertRaises(ValidationError):
            confirmation.with_user(self.user_manager).channel = "sms"
        self.assertEqual(confirmation.channel, "email")
        confirmation.with_user(self.user_manager).channel = "email_sms"  # e-mail still reaches them

    def test_a_page_without_confirmation_cannot_be_published(self):
        page = self.env["booking.page"].create({"name": "Draft", "is_published": False})
        confirmation = page.notification_rule_ids.filtered(lambda rule: rule.event == "confirmed")
        confirmation.active = False
        with self.assertRaises(ValidationError) as refusal:
            page.with_user(self.user_manager).is_published = True
        self.assertIn("must tell customers their booking is confirmed", str(refusal.exception))
        self.assertFalse(page.is_published)
        confirmation.active = True
        page.with_user(self.user_manager).is_published = True


@tagged("post_install", "-at_install")
class TestReminderHours(DefaultsCase):

    def test_a_reminder_saved_without_hours_gets_24_and_the_agenda_18(self):
        Rule = self.env["booking.notification.rule"].with_user(self.user_manager)
        reminder = Rule.create({"page_id": self.page.id, "event": "reminder", "channel": "email"})
        self.assertEqual(reminder.offset_hours, 24.0)
        agenda = Rule.create({"page_id": self.page.id, "event": "agenda", "channel": "email"})
        self.assertEqual(agenda.offset_hours, 18.0)
        turned = Rule.create({"page_id": self.page.id, "event": "cancelled", "channel": "email"})
        turned.event = "reminder"
        self.assertEqual(turned.offset_hours, 24.0, "an e-mail rule turned into a reminder")
        two_hours = Rule.create({"page_id": self.page.id, "event": "reminder", "channel": "email",
                                 "offset_hours": 2})
        two_hours.event = "reminder"
        self.assertEqual(two_hours.offset_hours, 2.0, "hours given are kept")

    def test_the_page_form_fills_the_hours_of_a_new_reminder(self):
        form = Form(self.page.with_user(self.user_manager))
        with form.notification_rule_ids.new() as line:
            line.event = "reminder"
            self.assertEqual(line.offset_hours, 24.0)
            line.channel = "sms"
        form.save()
        self.assertEqual(len(self.rule("reminder").filtered(lambda rule: rule.offset_hours == 24.0)), 2)


@tagged("post_install", "-at_install")
class TestSmsSetUpLater(DefaultsCase):

    def test_setting_up_twilio_sends_the_rules_that_matter_by_sms_too(self):
        edited = self.rule("declined")
        own_text = self.env["sms.template"].create({
            "name": "Own", "model_id": self.env["ir.model"]._get_id("booking.appointment"), "body": "Sorry"})
        edited.write({"mail_template_id": False, "sms_template_id": own_text.id})
        self.page.write(self.twilio_vals())
        self.assertEqual({key for key, channel in channels(self.page).items() if channel == "email_sms"},
                         (SMS_WORTHY - {("declined", 0.0)}) | ALWAYS_BOTH)
        self.assertEqual(edited.channel, "email", "a rule the merchant made their own is left alone")
        self.assertIn("SMS is set up", self.page.message_ids[:1].body)
        self.page.write({"twilio_number": "+15005550007"})  # still set up: nothing more changes
        self.assertEqual(edited.channel, "email")

    def test_odoo_sms_counts_once_its_iap_account_is_registered(self):
        self.assertFalse(self.page._sms_ready())
        account = self.register_odoo_sms()
        self.assertTrue(self.page._sms_ready())
        account.state = "unregistered"
        self.assertFalse(self.page._sms_ready())
        self.assertFalse(self.env["booking.page"].create({"name": "No credits"}).notification_rule_ids.filtered(
            lambda rule: rule.channel == "email_sms" and rule.event == "confirmed"))


class TwilioTextsCase(DefaultsCase):
    """A mobile business on Twilio, with long real-life names, Twilio's REST API patched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({**TWILIO, "name": "Montgomery & Daughters Lawn and Garden Care"})
        cls.page.partner_id = cls.env["res.partner"].create({
            "name": "Montgomery & Daughters", "phone": "+61 2 9876 5432", "street": "Unit 14, 221 Parramatta Road",
            "city": "Annandale", "zip": "2038", "country_id": cls.env.ref("base.au").id})
        cls.user_manager.partner_id.mobile = "+61 412 000 111"
        cls.customer.write({"name": "Alexandra Montgomery-Fitzwilliam", "mobile": "+61 412 345 678"})
        cls.customer.action_booking_mark_verified()
        cls.lawn = cls.env["booking.service"].create({
            "name": "Lawn mowing, edging and hedge trimming", "duration_minutes": 60, "price": 60,
            "location": "customer", "is_published": True, "requires_approval": True})
        cls.page.service_ids = [Command.link(cls.lawn.id)]
        cls.provider_a.write({"service_ids": [Command.link(cls.lawn.id)], "name": "Christopher Papadopoulos"})

    def setUp(self):
        super().setUp()
        self.sent, self.sid = [], 0
        self.startPatcher(patch.object(TwilioHttpClient, "request", autospec=True, side_effect=self._twilio_api))

    def _twilio_api(self, client, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
        self.sent.append(dict(data or {}))
        self.sid += 1
        return Response(201, json.dumps({"sid": f"SMout{self.sid:030d}", "status": "queued"}))

    def texts_to(self, number):
        texts = [sms["Body"] for sms in self.sent if sms.get("To") == number]
        for text in texts:  # measured: what a long real-life text costs
            _logger.info("SMS to %s, %s characters, %s segments: %s", number, len(text), sms_segments(text), text)
        return texts

    def book_lawn(self, hour=10):
        with freeze_time(NOW):
            appointment = self.env["booking.appointment"]._book_online(
                self.page, self.lawn, self.provider_a, local_to_utc(MONDAY, hour), partner=self.customer,
                address="Flat 3, 47 Johnston Street, Annandale NSW 2038")
            self.dispatch()
        return appointment


@tagged("post_install", "-at_install")
class TestSmsTexts(TwilioTextsCase):

    def test_the_merchants_request_text_says_who_what_when_where_and_how_to_answer(self):
        appointment = self.book_lawn()
        self.assertEqual(appointment.state, "pending")
        [text] = self.texts_to("+61412000111")
        for needed in ("Alexandra Montgomery-Fitzwilliam", "+61 412 345 678", "Lawn mowing, edging and hedge",
                       appointment._when_label(style="short"), "47 Johnston Street",
                       f"YES {appointment.name} {appointment._approval_sms_code()}",
                       f"NO {appointment.name} {appointment._approval_sms_code()}",
                       appointment._approval_url("confirm")):
            self.assertIn(needed, text)
        encoding, segments = sms_segments(text)
        self.assertEqual(encoding, "gsm7", text)
        self.assertLessEqual(segments, 3, f"{len(text)} characters: {text}")
        # the signed link approves (the page asks first: a link preview does not answer)
        path = appointment._approval_url("confirm").removeprefix(appointment.get_base_url())
        with freeze_time(NOW):
            self.assertEqual(appointment._check_approval_link(*path.split("/")[4:]), "ok")

    def test_the_customers_confirmation_says_when_where_whom_to_call_and_how_to_move_or_cancel(self):
        appointment = self.book_lawn()
        self.sent.clear()
        with freeze_time(NOW):
            appointment.action_approve()
            self.dispatch()
        [text] = self.texts_to("+61412345678")
        for needed in (appointment._when_label(style="short"), "Flat 3, 47 Johnston Street", "+61 2 9876 5432",
                       "Reply R to reschedule or C to cancel"):
            self.assertIn(needed, text)
        encoding, segments = sms_segments(text)
        self.assertEqual(encoding, "gsm7", text)
        self.assertLessEqual(segments, 2, f"{len(text)} characters: {text}")

    def test_a_move_and_an_unanswered_request_are_texted(self):
        appointment = self.book_lawn()
        self.sent.clear()
        with freeze_time(NOW):
            appointment._notify("request_nudge", "1")
            self.dispatch()
        [nudge] = self.texts_to("+61412000111")
        self.assertIn("Still to answer", nudge)
        self.assertIn(f"YES {appointment.name} {appointment._approval_sms_code()}", nudge)
        self.assertLessEqual(sms_segments(nudge)[1], 3, nudge)
        with freeze_time(NOW):
            appointment.action_approve()
            appointment.start = local_to_utc(MONDAY, 15)
            self.dispatch()
        [moved] = [text for text in self.texts_to("+61412345678") if "moved" in text]
        self.assertIn(appointment._when_label(style="short"), moved)
        self.assertIn("Reply R to reschedule", moved)
        self.assertLessEqual(sms_segments(moved)[1], 2, moved)

    def test_a_declined_request_offers_other_times_in_a_few_segments(self):
        appointment = self.book_lawn()
        self.sent.clear()
        with freeze_time(NOW):
            appointment.action_decline()
            self.dispatch()
        [text] = self.texts_to("+61412345678")
        self.assertIn("Book another time", text)
        encoding, segments = sms_segments(text)
        self.assertEqual(encoding, "gsm7", text)
        self.assertLessEqual(segments, 3, f"{len(text)} characters: {text}")

    def test_a_confirmation_by_odoo_sms_links_to_the_booking_instead_of_replies(self):
        self.page.sms_gateway = "odoo"
        appointment = self.book_lawn()
        with freeze_time(NOW):
            appointment.action_approve()
            self.dispatch()
        [sms] = self.sent_sms(self.customer).filtered(lambda sms: "confirmed" in sms.body)
        self.assertNotIn("Reply R", sms.body)
        self.assertIn(appointment.get_portal_url(), sms.body)


@tagged("post_install", "-at_install")
class TestMigration18070(DefaultsCase):

    def test_pages_without_rules_get_the_defaults(self):
        bare = self.env["booking.page"].create({"name": "Bare"})
        texting = self.env["booking.page"].create({"name": "Texting", **self.twilio_vals()})
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM booking_notification_rule WHERE page_id IN %s",
                            [(bare.id, texting.id)])
        kept = self.page.notification_rule_ids
        migration = self._load_migration()
        migration.migrate(self.env.cr, "18.0.6.0.0")
        self.env.invalidate_all()
        self.assertEqual(len(bare.notification_rule_ids), len(DEFAULT_RULES))
        self.assertEqual(channels(bare)[("confirmed", 0.0)], "email")
        self.assertEqual({key for key, channel in channels(texting).items() if channel == "email_sms"},
                         SMS_WORTHY | ALWAYS_BOTH)
        added = self.page.notification_rule_ids - kept
        self.assertFalse(added, "a page with every occasion's rule is left alone")
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM booking_notification_rule WHERE page_id = %s AND event IN "
                            "('waitlist_joined', 'visit_summary')", [self.page.id])
        self.env.invalidate_all()
        migration.migrate(self.env.cr, "18.0.6.0.0")
        self.env.invalidate_all()
        self.assertEqual(sorted((self.page.notification_rule_ids - kept).mapped(lambda r: (r.event, r.channel))),
                         [("visit_summary", "email"), ("waitlist_joined", "email_sms")],
                         "a page that has rules gets the occasions new in this release")
        migration.migrate(self.env.cr, "18.0.6.0.0")
        self.env.invalidate_all()
        self.assertEqual(len(bare.notification_rule_ids), len(DEFAULT_RULES), "run twice: nothing more")

    def test_unedited_templates_take_this_versions_texts(self):
        """18.0.6.0.0's migration (run first by every upgrade) reloads the templates still as the release
        shipped them, from the data files as they are: this version's texts; an edited one stays."""
        confirmed_sms = self.env.ref("self_serve_booking.sms_template_booking_confirmed")
        request_sms = self.env.ref("self_serve_booking.sms_template_booking_merchant_new_request")
        receipt = self.env.ref("self_serve_booking.mail_template_booking_receipt")
        migration = self._load_migration("18.0.6.0.0")
        # the release's texts, as the fingerprints recognise them (the real ones are frozen in the migration)
        confirmed_sms.body = "Old: {{ object.name }} confirmed. Manage: {{ object.get_portal_url() }}"
        receipt.body_html = "<p>Old receipt</p>"
        request_sms.body = "Edited by the merchant: {{ object.name }}"
        self.env.flush_all()
        migration.RELEASE_FINGERPRINTS = {
            ("sms.template", "sms_template_booking_confirmed"): migration.fingerprint([confirmed_sms.body]),
            ("mail.template", "mail_template_booking_receipt"): migration.fingerprint([
                receipt[name] or None for name in ("subject", "body_html", "email_from", "email_to", "partner_to")]),
            ("sms.template", "sms_template_booking_merchant_new_request"): "0123456789abcdef",
        }
        migration.reload_templates(self.env.cr, migration.unedited_templates(self.env.cr))
        self.env.invalidate_all()
        self.assertIn("_sms_manage_hint", confirmed_sms.body, "unedited: this version's text")
        self.assertIn("Leave a review", receipt.body_html)
        self.assertEqual(request_sms.body, "Edited by the merchant: {{ object.name }}", "the merchant's words stay")
        self.env.cr.execute("SELECT bool_and(noupdate) FROM ir_model_data WHERE module = 'self_serve_booking' "
                            "AND name IN ('sms_template_booking_confirmed', 'mail_template_booking_receipt')")
        self.assertTrue(self.env.cr.fetchone()[0], "loaded once again, then left alone by later updates")

    def test_staff_followers_follow_the_staff_subtype_only(self):
        appointment = self._book(self.at(10))
        appointment.message_subscribe(partner_ids=self.merchant.ids)
        staff_follower = appointment.message_follower_ids.filtered(lambda f: f.partner_id == self.merchant)
        customer_follower = appointment.message_follower_ids.filtered(lambda f: f.partner_id == self.customer)
        note, comment = self.env.ref("mail.mt_note"), self.env.ref("mail.mt_comment")
        staff_follower.subtype_ids = note | comment  # as 18.0.6 (the note) and Odoo's creator subscription left it
        self.env.flush_all()
        self._load_migration().migrate(self.env.cr, "18.0.6.0.0")
        self.env.invalidate_all()
        self.assertEqual(staff_follower.subtype_ids, self.env.ref("self_serve_booking.mt_booking_staff"))
        self.assertEqual(customer_follower.subtype_ids, comment, "the customer keeps the discussions")

    def test_the_migration_carries_this_releases_defaults(self):
        migration = self._load_migration()
        self.assertEqual(list(migration.RULES_18_0_7), DEFAULT_RULES)
        self.assertEqual(migration.SMS_WORTHY_18_0_7, SMS_WORTHY)
        for model, name in self._load_migration("18.0.6.0.0").RELEASE_FINGERPRINTS:
            self.assertEqual(self.env.ref(f"self_serve_booking.{name}")._name, model)

    @staticmethod
    def _load_migration(version="18.0.7.0.0"):
        path = file_path(f"self_serve_booking/migrations/{version}/post-migration.py")
        spec = importlib.util.spec_from_file_location(f"ssb_migration_{version.replace('.', '_')}", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        return migration
