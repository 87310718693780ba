"""Checks of a database upgraded from the last release (bin/test, step d: ``--test-tags=ssb_upgrade``).

Not part of the ordinary run: they read the release's demo data as the
upgrade left it, and prove the upgraded database still books.
"""

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import file_path

from ..const import TIME_HOLDING_STATES


@tagged("-standard", "ssb_upgrade")
class TestUpgradedDatabase(TransactionCase):

    def test_release_data_is_all_there_and_consistent(self):
        appointments = self.env["booking.appointment"].search([])
        self.assertTrue(appointments, "the release's demo appointments survive the upgrade")
        for appointment in appointments:
            self.assertNotEqual(appointment.name, "/")
            self.assertEqual(appointment.stop, appointment.start + timedelta(minutes=appointment.duration_minutes))
            self.assertEqual(appointment.busy_start, appointment.start - timedelta(
                minutes=appointment.buffer_before_minutes + appointment.travel_minutes), appointment.name)
            self.assertEqual(appointment.busy_stop, appointment.stop + timedelta(
                minutes=appointment.buffer_after_minutes), appointment.name)
        for contract in self.env["booking.payment.contract"].search([]):
            currency = contract.currency_id
            charged = contract.amount_deposit_paid + contract.amount_balance_paid + contract.amount_tip \
                + contract.amount_fee
            self.assertFalse(currency.compare_amounts(contract.amount_paid, charged), contract.appointment_id.name)
            self.assertFalse(currency.compare_amounts(contract.amount_net, charged - contract.amount_refunded))
        for page in self.env["booking.page"].search([]):
            events = set(page.notification_rule_ids.mapped("event"))
            self.assertIn("confirmed", events, page.name)
            self.assertIn("new_request", events, page.name)
        self.env.cr.execute("""
            SELECT conname FROM pg_constraint
             WHERE conrelid = 'booking_appointment'::regclass AND contype = 'x'
        """)
        self.assertEqual({row[0] for row in self.env.cr.fetchall()},
                         {"booking_appointment_no_overlap", "booking_appointment_no_customer_overlap"})

    def test_unedited_templates_take_the_new_texts_edited_ones_stay(self):
        """Templates load once (noupdate): the ones the merchant never edited follow this version's texts (the
        confirmation's check-in link, every SMS text), the one bin/test edited in the release keeps its words,
        and later updates leave them all alone again."""
        if not self.env["ir.config_parameter"].sudo().get_param("self_serve_booking.test_edited_template"):
            self.skipTest("not a release database bin/test edited before its upgrade")
        ref = self.env.ref
        self.assertIn("_check_in_link_with_confirmation", ref("self_serve_booking.mail_template_booking_confirmed")
                      .with_context(lang="en_US").body_html)
        # every SMS text is exactly this version's (plain text: what the data file says is what is stored)
        tree = etree.parse(file_path("self_serve_booking/data/sms_template_data.xml"))
        for record in tree.getroot().iter("record"):
            body = record.find("field[@name='body']").text
            with self.subTest(template=record.get("id")):
                self.assertEqual(ref(f"self_serve_booking.{record.get('id')}").with_context(lang="en_US").body, body)
        agenda = ref("self_serve_booking.mail_template_booking_agenda").with_context(lang="en_US")
        self.assertEqual(agenda.subject, "Our agenda (edited)", "the merchant's own words stay")
        self.env.cr.execute("""
            SELECT name FROM ir_model_data
             WHERE module = 'self_serve_booking' AND model IN ('mail.template', 'sms.template') AND NOT noupdate
        """)
        self.assertEqual({row[0] for row in self.env.cr.fetchall()},
                         {"mail_template_booking_review_request", "sms_template_booking_review_request"},
                         "only the templates loaded on every update are")

    def test_upgraded_database_books(self):
        """A free time of a release page is booked online, confirmed, and holds the provider's time."""
        Appointment = self.env["booking.appointment"]
        Availability = self.env["booking.availability"]
        booked = False
        for page in self.env["booking.page"].search([("is_published", "=", True), ("allow_guest_booking", "=", True)]):
            for service in page._get_bookable_services().filtered(
                    lambda s: s.location != "customer" and not s.for_dependant):
                today = page._local_today()
                slots = Availability._get_slots(page, service, today + timedelta(days=1), today + timedelta(days=14))
                if not slots:
                    continue
                slot = slots[0]
                appointment = Appointment._book_online(
                    page, service, self.env["booking.provider"], slot.start,
                    customer={"name": "Upgrade Check", "email": "upgrade.check@example.com", "phone": ""})
                self.assertIn(appointment.state, TIME_HOLDING_STATES)
                self.assertGreater(appointment.start, fields.Datetime.now())
                self.assertFalse(Availability._find_slot(page, service, slot.start, appointment.provider_id))
                booked = True
                break
            if booked:
                break
        self.assertTrue(booked, "no release page had a free time to book")
