"""Automated accessibility check: axe-core on the public page, each widget step and the portal pages.

axe-core comes from npm (package.json); bin/test installs it outside the repository and passes its path in
SSB_AXE_JS. The test browser hands every request for a non-local address to ``fetch_proxy``: that is how the
tours get the file (``AXE_URL``), on every page they open. Without the file the tests fail; they never skip.

Run alone:
    odoo-bin -d DB --test-enable --test-tags=/self_serve_booking:TestAccessibility -u self_serve_booking ...
"""

import base64
import os

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
        self.start_tour(url, tour, timeout=180, **kwargs)

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
