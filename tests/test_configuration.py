from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import BookingCommon


class TestConfiguration(BookingCommon):
    """Pages, services and policies refuse nonsense with a clear message."""

    def test_slug_is_derived_normalised_and_validated(self):
        Page = self.env["booking.page"]
        self.assertEqual(Page.create({"name": "Élise's Nail Bar"}).slug, "elise-s-nail-bar")
        self.assertEqual(Page.create({"name": "Test Salon"}).slug, "test-salon-2", "slugs stay unique")
        self.assertEqual(Page.create({"name": "X", "slug": "  Mixed-Case "}).slug, "mixed-case")
        self.assertEqual(self.page.website_url, "/p/test-salon")
        for bad in ("a--b", "-a", "a b", "caf\u00e9", "a/b", "x" * 65):
            with self.subTest(slug=bad), self.assertRaises(ValidationError):
                Page.create({"name": "Bad", "slug": bad})

    def test_slug_unique_in_database(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["booking.page"].create({"name": "Dup", "slug": "test-salon"})

    def test_page_rules_are_validated(self):
        for vals in ({"min_notice_hours": -1}, {"max_advance_days": 0}, {"slot_step_minutes": 3}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.page.write(vals)

    def test_deposit_amounts_and_validation(self):
        self.assertEqual(self.service_deposit.deposit_amount, 40.0)
        self.service_deposit.write({"deposit_type": "fixed", "deposit_value": 25})
        self.assertEqual(self.service_deposit.deposit_amount, 25.0)
        self.service_deposit.write({"deposit_type": "percent", "deposit_value": 33.333})
        self.assertEqual(self.service_deposit.deposit_amount, 33.33, "rounded in the currency")
        for vals in (
            {"deposit_type": "percent", "deposit_value": 120},
            {"deposit_type": "fixed", "deposit_value": 150},
            {"deposit_type": "fixed", "deposit_value": 0},
            {"duration_minutes": 0},
            {"buffer_after_minutes": -5},
            {"price": -1},
        ):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.service_deposit.write(vals)

    def test_refund_tiers_at_their_boundaries(self):
        policy = self.policy
        for notice, percent in ((48, 100), (24, 100), (23.99, 50), (2, 50), (1.99, 0), (0, 0), (-1, 0)):
            with self.subTest(notice=notice):
                self.assertEqual(policy._get_refund_percent(notice), percent)
        standard = self.env.ref("self_serve_booking.booking_cancellation_policy_standard")
        self.assertEqual([standard._get_refund_percent(h) for h in (24, 2, 1)], [100, 50, 0])
        self.assertEqual(len(standard._get_tier_summary()), 3)

    def test_tiers_and_fees_are_validated(self):
        with self.assertRaises(ValidationError):
            self.policy.tier_ids[0].refund_percent = 101
        with self.assertRaises(ValidationError):
            self.policy.write({"no_show_fee_type": "percent", "no_show_fee_value": 150})
        self.policy.write({"no_show_fee_type": "percent", "no_show_fee_value": 50})
        currency = self.env.company.currency_id
        self.assertEqual(self.policy._get_no_show_fee(99.99, currency), 50.0)
        self.policy.write({"no_show_fee_type": "fixed", "no_show_fee_value": 200})
        self.assertEqual(self.policy._get_no_show_fee(80, currency), 80.0, "never more than the price")
