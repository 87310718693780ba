"""Automated accessibility check: axe-core on the public page, each widget step and the portal pages.

axe-core comes from npm (package.json); bin/test installs it outside the repository and passes its path in
SSB_AXE_JS. The test browser hands every request for a non-local address to ``fetch_proxy``: that is how the
tours get the file (``AXE_URL``), on every page they open. Without the file the tests fail; they never skip.

Run alone:
    odoo-bin -d DB --test-enable --test-tags=/self_serve_booking:TestAccessibility -u self_serve_booking ...
"""

import base64
import os
from datetime import timedelta
from types import SimpleNamespace

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from .test_ui_tours import TourDataMixin

AXE_URL = "https://axe-core.ssb-a11y.invalid/axe.min.js"  # keep in sync with static/tests/tours/accessibility_tours.js
PHONE = "390x844"
DESKTOP = "1366x768"


def axe_path():
    """SSB_AXE_JS, or where bin/test installs axe-core (``npm install --prefix ~/.cache/self_serve_booking/npm``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    default = os.path.join(cache, "self_serve_booking", "npm", "node_modules", "axe-core", "axe.min.js")
    return os.environ.get("SSB_AXE_JS") or default


@tagged("post_install", "-at_install")
class TestAccessibility(TourDataMixin, PaymentHttpCommon):
    """No serious or critical WCAG 2.1 A/AA violation (axe-core) at a phone and a desktop size."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = axe_path()
        cls.axe_source = None
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                cls.axe_source = fh.read()
        cls.axe_missing = (
            f"axe-core not found at {path}: run bin/test (it installs it), or "
            f"`npm install --no-save --prefix ~/.cache/self_serve_booking/npm axe-core@4` and/or set SSB_AXE_JS"
        )
        cls._book_full_day()
        cls._setup_paid_portal_booking("a11y_customer", "Alma Access", "alma@example.com")
        cls._setup_customer_pages()

    @classmethod
    def _setup_customer_pages(cls):
        """Something on every page a customer sees, for the customer of ``_setup_paid_portal_booking``.

        Besides the paid booking (its page, check-in, cancel, reschedule): a waitlist offer awaiting its
        deposit (the payment form, the offer's page), a pet's visit done yesterday and paid (tip, receipt,
        the pet's page, the review's page), a booking to repeat and a series (the series' pages), loyalty
        points to spend. The page books 60 days ahead (the reschedule picker's whole horizon).
        """
        customer = cls.customer_user.partner_id
        customer.phone = "+32 470 11 22 33"
        # the page's contact details, links of the public page
        cls.page.partner_id.write({"street": "Rue du Bain 12", "city": "Brussels", "phone": "+32 2 555 01 42",
                                   "email": "hello@tour-spa.example.com"})
        cls.page.max_advance_days = 60
        cls.service.allow_series = True
        deposit = {"deposit_type": "percent", "deposit_value": 40}
        cls.pedicure, cls.grooming = cls.env["booking.service"].create([
            {"name": "Tour Pedicure", "duration_minutes": 60, "price": 50, "is_published": True, **deposit},
            {"name": "Tour Grooming", "duration_minutes": 60, "price": 40, "is_published": True,
             "for_dependant": True, "dependant_kind_pet": True},
        ])
        (cls.pedicure | cls.grooming).provider_ids = [Command.set(cls.providers.ids)]
        cls.page.service_ids = [Command.link(cls.pedicure.id), Command.link(cls.grooming.id)]
        Appointment = cls.env["booking.appointment"]
        anna, ben = cls.providers
        # a waitlist's offer: the time is held, awaiting the deposit
        entry = cls.env["booking.waitlist"].create({
            "page_id": cls.page.id, "service_id": cls.pedicure.id, "partner_id": customer.id,
            "date": cls._in_days(2), "source": "website",
        })
        cls.offer = entry._action_offer(SimpleNamespace(start=cls._utc(cls._in_days(2), 15), provider_id=ben.id),
                                        fields.Datetime.now() + timedelta(hours=2))
        # Rex's grooming yesterday: done, paid at the counter, with the groomer's notes
        cls.rex = cls.env["booking.dependant"].create({"name": "Rex", "kind": "pet", "partner_id": customer.id,
                                                      "species": "Dog"})
        cls.visit = Appointment.create({
            "page_id": cls.page.id, "service_id": cls.grooming.id, "provider_id": anna.id,
            "partner_id": customer.id, "start": cls._utc(cls._in_days(-1), 10),
            "dependant_ids": [Command.set(cls.rex.ids)],
        })
        cls.visit.action_check_in()
        cls.visit.write({"visit_summary": "Calm, nails clipped.", "care_instructions": "Brush twice a week."})
        cls.visit.action_complete(charge_card=False)
        cash = cls.env["account.journal"].search([("type", "=", "cash"), ("company_id", "=", cls.page.company_id.id)],
                                                 limit=1)
        cls.visit.contract_id._register_counter_payment("balance", cls.visit.contract_id.amount_balance_due, cash)
        # a booking to repeat, and a series to cancel from one of its visits
        cls.to_repeat = Appointment.create({
            "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": anna.id,
            "partner_id": customer.id, "start": cls._utc(cls._in_days(6), 10), "source": "website",
        })
        cls.series = cls.env["booking.series"]._book_series(
            page=cls.page, service=cls.service, provider=ben, first_start=cls._utc(cls._in_days(8), 11),
            interval_weeks=1, count=2, partner=customer, source="website")
        # loyalty points to spend on the paid booking
        program = cls.env["loyalty.program"].create({
            "name": "Tour points", "program_type": "loyalty", "applies_on": "both", "trigger": "auto",
            "rule_ids": [Command.clear(), Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
            "reward_ids": [Command.clear(), Command.create({
                "reward_type": "discount", "discount_mode": "per_order", "discount": 10, "required_points": 100,
                "description": "10 EUR off"})],
        })
        cls.page.loyalty_program_id = program
        cls.env["loyalty.card"].create({"program_id": program.id, "partner_id": customer.id, "points": 150})

    def setUp(self):
        self.enable_post_process_patcher = False
        super().setUp()
        if self.axe_source is None:
            self.fail(self.axe_missing)
        self.appointment.contract_id.transaction_ids._post_process()

    def fetch_proxy(self, url):
        if url == AXE_URL:
            return {
                "body": base64.b64encode(self.axe_source).decode(),
                "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/javascript; charset=utf-8"}],
            }
        return super().fetch_proxy(url)

    def _tour(self, size, url, tour, **kwargs):
        self.browser_size = size  # read by Odoo's ChromeBrowser when the tour starts
        self.touch_enabled = size == PHONE
        self.start_tour(url, tour, timeout=300, **kwargs)

    def test_public_page_and_widget_phone(self):
        self._tour(PHONE, "/p/tour-spa", "self_serve_booking_a11y_public_page")

    def test_public_page_and_widget_desktop(self):
        self._tour(DESKTOP, "/p/tour-spa", "self_serve_booking_a11y_public_page")

    def test_full_day_and_waitlist_phone(self):
        self._tour(PHONE, "/p/tour-full", "self_serve_booking_a11y_full_day")

    def test_full_day_and_waitlist_desktop(self):
        self._tour(DESKTOP, "/p/tour-full", "self_serve_booking_a11y_full_day")

    def test_portal_booking_phone(self):
        self._tour(PHONE, "/my/bookings", "self_serve_booking_a11y_portal", login="a11y_customer")

    def test_portal_booking_desktop(self):
        self._tour(DESKTOP, "/my/bookings", "self_serve_booking_a11y_portal", login="a11y_customer")

    # === EVERY OTHER PAGE A CUSTOMER SEES === #

    def _customer_pages(self, size):
        before = self.appointment.start
        self._tour(size, "/my/bookings", "self_serve_booking_a11y_customer_pages", login="a11y_customer")
        self.assertNotEqual(self.appointment.start, before, "the tour moved the booking")
        self.assertEqual(self.appointment.state, "confirmed")

    def test_customer_pages_phone(self):
        self._customer_pages(PHONE)

    def test_customer_pages_desktop(self):
        self._customer_pages(DESKTOP)

    def test_review_page_phone(self):
        self._tour(PHONE, self.visit._review_url(), "self_serve_booking_a11y_review")

    def test_review_page_desktop(self):
        self._tour(DESKTOP, self.visit._review_url(), "self_serve_booking_a11y_review")
