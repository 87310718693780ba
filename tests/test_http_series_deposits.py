import json
from datetime import timedelta

from freezegun import freeze_time
from lxml import html

from odoo import http
from odoo.tests import tagged

from ..booking_api import schemas
from ..booking_api import validator
from .common import NOW
from .test_http_portal import PortalCase
from .test_series import SeriesMixin
from .test_series_deposits import SeriesPaymentMixin

API = schemas.API_PREFIX


@tagged("post_install", "-at_install")
class TestHttpSeriesDeposits(SeriesPaymentMixin, SeriesMixin, PortalCase):
    """Issue 25 from outside: a portal or API series with deposits asks for one payment, never says "booked"
    for visits that lapse unpaid; the series' page and its payment route are its customer's or its link's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.service | cls.service_deposit).allow_series = True

    # === HELPERS === #

    def get(self, path, when=NOW):
        with freeze_time(when):
            return self.url_open(path, allow_redirects=False)

    def post(self, path, data, when=NOW):
        with freeze_time(when):
            return self.url_open(path, data={**data, "csrf_token": http.Request.csrf_token(self)},
                                 allow_redirects=False)

    def form(self, **changes):
        return {"interval_weeks": "1", "end_type": "count", "count": "3", **changes}

    def series_of_paula(self, count=3):
        """A series of Paula's with deposits, booked at 14:00, its visits held unpaid."""
        series = self.book_series(service=self.service_deposit, partner=self.paula, count=count,
                                  first_start=self.week(0, hour=14))
        self.assertEqual(set(series.appointment_ids.mapped("state")), {"pending_payment"})
        return series

    def route_params(self, series, **changes):
        params = {
            "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id, "token_id": None,
            "amount": series._get_deposit_due()["amount"], "flow": "direct", "tokenization_requested": False,
            "landing_route": series._get_payment_url(), "is_validation": False,
            "access_token": series._get_payment_token(),
        }
        params.update(changes)
        return params

    def transaction(self, series, **changes):
        with freeze_time(NOW):
            return self.make_jsonrpc_request(f"/my/series/{series.id}/transaction",
                                             self.route_params(series, **changes))

    def transaction_error(self, series, path=None, **changes):
        """The error message the series' transaction route answers."""
        with freeze_time(NOW):
            response = self.url_open(
                path or f"/my/series/{series.id}/transaction",
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                                 "params": self.route_params(series, **changes)}),
                headers={"Content-Type": "application/json"})
        error = response.json().get("error")
        self.assertTrue(error, f"the route accepted {changes}")
        return error["data"]["message"]

    def series_payments(self, series):
        return self.env["payment.transaction"].sudo().search([("booking_series_id", "=", series.id)])

    # === THE PORTAL === #

    def test_repeat_with_deposits_asks_for_one_payment_and_never_says_booked(self):
        first = self._booking_for(self.paula)
        self.authenticate("portal_one", "portal_one")
        response = self.post(f"/my/bookings/{first.id}/repeat/book", self.form())
        self.assertEqual(response.status_code, 303, response.text[:500])
        series = first.series_id
        occurrences = series.appointment_ids.sorted("start")
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "pending_payment", "pending_payment"])
        self.assertIn(f"/my/series/{series.id}?access_token=", response.headers["Location"],
                      "straight to the payment of the deposits")
        page = self.get(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("Your series is booked", page.text)
        self.assertIn("Your series is reserved", page.text)
        self.assertIn("not booked until", page.text)
        tree = html.fromstring(page.content)
        self.assertEqual([int(node.get("data-id")) for node in tree.xpath(
            "//li[hasclass('o_booking_series_visit')][.//*[hasclass('o_booking_series_visit_due')]]")],
            occurrences[1:].ids, "the unpaid visits, with their deposit")
        self.assertTrue(tree.xpath("//*[hasclass('o_booking_hold')]/@data-deadline"), "the deadline is stated")
        form = tree.xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(form.get("data-amount"), "80.0")
        self.assertEqual(form.get("data-transaction-route"), f"/my/series/{series.id}/transaction")
        # one payment, as the form sends it: every visit booked
        values = self.transaction(series)
        tx = self.series_payments(series)
        self.assertEqual(values["reference"], tx.reference)
        self.assertEqual((tx.amount, tx.booking_payment_kind, tx.booking_payer_verified, tx.tokenize),
                         (80.0, "deposit", True, True))
        with freeze_time(NOW):
            self._notify(tx)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        self.assertEqual(occurrences[1:].contract_id.mapped("amount_deposit_paid"), [40.0, 40.0])
        page = self.get(first.get_portal_url())
        self.assertIn("o_booking_series_link", page.text)
        self.assertIn("Every visit of the series is booked", self.get(f"/my/series/{series.id}").text)

    def test_repeat_without_deposits_is_booked(self):
        with freeze_time(NOW):
            first = self._book(self.week(0), partner_id=self.paula.id)
        self.authenticate("portal_one", "portal_one")
        response = self.post(f"/my/bookings/{first.id}/repeat/book", self.form())
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/bookings/{first.id}", response.headers["Location"])
        self.assertIn("Your series is booked", self.get(first.get_portal_url()).text)

    def test_the_series_page_is_its_customers_or_its_links_only(self):
        series = self.series_of_paula()
        other = self.book_series(service=self.service_deposit, partner=self.pete, count=2,
                                 first_start=self.week(0, hour=16))
        occurrence = series.appointment_ids.sorted("start")[0]
        url = f"/my/series/{series.id}"
        refused_tokens = (occurrence._portal_ensure_token(), other._get_payment_token(), "forged", "é",
                          series._get_payment_token()[:-1])
        for user in (None, "portal_two"):  # a visitor holding one visit's link, or another customer
            self.authenticate(user, user)
            with self.subTest(user=user):
                self.assertIn(self.get(url).status_code, (302, 303))
                for token in refused_tokens:
                    response = self.get(f"{url}?access_token={token}")
                    self.assertIn(response.status_code, (302, 303), token)
                    self.assertNotIn(occurrence.name, response.text)
                    self.assertIn("access token is invalid", self.transaction_error(series, access_token=token))
                # the page of one visit (its link) names no payment of the series
                page = self.get(occurrence.get_portal_url())
                self.assertIn(occurrence.name, page.text)
                self.assertNotIn("o_booking_series_link", page.text)
        self.assertFalse(self.series_payments(series) | self.series_payments(other), "nothing paid, nothing made")
        # the series' own link (its customer's e-mail, the API's answer) opens it, signed in or not
        self.authenticate(None, None)
        page = self.get(series._get_payment_url())
        self.assertEqual(page.status_code, 200)
        self.assertTrue(html.fromstring(page.content).xpath("//form[@id='o_payment_form']"))
        self.authenticate("portal_one", "portal_one")
        self.assertEqual(self.get(url).status_code, 200, "its customer, signed in")

    def test_the_payment_route_takes_only_what_is_due(self):
        series = self.series_of_paula()
        self.authenticate(None, None)  # the link's holder
        cases = [
            ({"amount": 40.0}, "amount to pay has changed"),  # one deposit for three visits
            ({"amount": 1.0}, "amount to pay has changed"),
            ({"is_validation": True}, "paid, not checked"),
            ({"booking_deposit_shares": {"1": 1.0}}, "not whitelisted"),
            ({"booking_series_id": 1}, "not whitelisted"),
            ({"flow": "token", "token_id": 1}, "Sign in to pay with a saved card"),
            ({"provider_id": "1"}, "invalid provider_id"),
        ]
        for changes, message in cases:
            with self.subTest(changes=changes):
                self.assertIn(message, self.transaction_error(series, **changes))
        self.assertFalse(self.series_payments(series))
        self.transaction(series)
        tx = self.series_payments(series)
        self.assertEqual((tx.amount, tx.booking_payer_verified), (120.0, False), "a link pays, unverified")
        self.assertEqual(set(tx.booking_deposit_shares.values()), {40.0})
        with freeze_time(NOW):
            self._notify(tx, "pending")  # on its way at the provider
        # a double submit, or a visit's own page meanwhile: nothing is paid twice
        self.assertIn("No deposit of this series is due now", self.transaction_error(series))
        occurrence = series.appointment_ids[:1]
        with freeze_time(NOW):
            response = self.url_open(
                f"/my/bookings/{occurrence.id}/transaction/deposit",
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                    **self.route_params(series), "amount": 40.0,
                    "access_token": occurrence._portal_ensure_token(), "landing_route": "/"}}),
                headers={"Content-Type": "application/json"})
        self.assertIn("already been paid", response.json()["error"]["data"]["message"])
        self.assertEqual(len(self.series_payments(series)), 1)
        self.assertFalse(series.appointment_ids.contract_id.transaction_ids)

    # === THE API === #

    def test_api_series_with_deposits_answers_its_one_payment(self):
        token = self.env["booking.customer.session"].sudo().create({
            "partner_id": self.paula.id, "page_id": self.page.id, "channel": "email", "state": "active",
            "expires_at": NOW + timedelta(days=1)})._make_token()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

        def book(service):
            body = {"service_id": service.id, "provider_id": self.provider_a.id,
                    "start": self.week(0).strftime("%Y-%m-%dT%H:%M:%SZ"), "interval_weeks": 1, "count": 3}
            with freeze_time(NOW):
                response = self.url_open(f"{API}/pages/{self.page.slug}/series", data=json.dumps(body),
                                         headers=headers)
            self.assertEqual(response.status_code, 201, response.text)
            payload = response.json()
            self.assertEqual(validator.validate(payload, schemas.ref("SeriesResponse")), {})
            return payload["series"]

        answer = book(self.service_deposit)
        series = self.env["booking.series"].browse(answer["id"])
        self.assertEqual({booking["state"] for booking in answer["bookings"]}, {"pending_payment"})
        self.assertEqual(answer["payment"], {
            "amount": 120.0, "currency": self.page.currency_id.name, "due_by": "2025-06-01T10:15:00Z",
            "booking_ids": [booking["id"] for booking in answer["bookings"]], "url": series._get_payment_url(),
        })
        self.authenticate(None, None)  # the client opens the link in a browser
        tree = html.fromstring(self.get(answer["payment"]["url"]).content)
        self.assertEqual(tree.xpath("//form[@id='o_payment_form']/@data-amount"), ["120.0"])
        with freeze_time(NOW):
            series.appointment_ids.sudo()._action_expire("test")  # the times are free again
        self.assertIsNone(book(self.service)["payment"], "nothing to pay: booked")
