import json
from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import SeriesUnavailableError
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import BookingHttpCommon
from .common import local_to_utc
from .test_payments import PaymentCase

API = "/booking/api/v1"


class SeriesMixin:
    def week(self, n, hour=10, minute=0):
        """Monday ``n`` weeks after 2 June at ``hour`` Paris (naive UTC)."""
        return local_to_utc(MONDAY + timedelta(weeks=n), hour, minute)

    def book_series(self, service=None, provider=None, count=4, **kwargs):
        args = {"page": self.page, "service": service or self.service, "provider": provider or self.provider_a,
                "first_start": self.week(0), "interval_weeks": 1, "count": count, "partner": self.customer,
                "source": "website"}
        args.update(kwargs)
        with freeze_time(NOW):
            return self.env["booking.series"]._book_series(**args)

    def block(self, start, provider=None):
        """Another customer's booking at ``start``."""
        with freeze_time(NOW):
            return self._book(start, provider=provider, partner_id=self.user_portal_2.partner_id.id)


@tagged("post_install", "-at_install")
class TestSeries(SeriesMixin, BookingCommon):
    """Recurring bookings: planned as single bookings, booked all or nothing, cancelled under the policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.service | cls.service_deposit).allow_series = True

    def appointments(self):
        return self.env["booking.appointment"].search([("partner_id", "=", self.customer.id)])

    def test_weekly_series_books_every_occurrence(self):
        series = self.book_series(count=4)
        self.assertEqual(series.appointment_ids.sorted("start").mapped("start"), [self.week(n) for n in range(4)])
        self.assertEqual(set(series.appointment_ids.mapped("state")), {"confirmed"})
        self.assertEqual(series.appointment_ids.provider_id, self.provider_a)
        self.assertEqual(series.partner_id, self.customer)
        self.assertEqual(series.count, 4)

    def test_every_two_weeks_until_a_date(self):
        series = self.book_series(interval_weeks=2, count=None, until=date(2025, 6, 30))
        self.assertEqual(series.appointment_ids.sorted("start").mapped("start"),
                         [self.week(0), self.week(2), self.week(4)])

    def test_local_time_is_kept_across_daylight_saving(self):
        # 20 October 2025 10:00 Paris (CEST) weekly: 27 October is CET, still 10:00 local
        first = local_to_utc(date(2025, 10, 20), 10)
        starts = self.env["booking.series"]._occurrence_starts(self.page, first, 1, count=3)
        self.assertEqual(starts, [local_to_utc(date(2025, 10, 20) + timedelta(weeks=n), 10) for n in range(3)])
        self.assertEqual(starts[1] - starts[0], timedelta(days=7, hours=1))

    def test_one_taken_occurrence_books_nothing_and_offers_alternatives(self):
        self.block(self.week(2))
        before = self.appointments()
        with self.assertRaises(SeriesUnavailableError) as caught:
            self.book_series(count=4)
        plan = caught.exception.occurrences
        self.assertEqual([entry["available"] for entry in plan], [True, True, False, True])
        self.assertTrue(plan[2]["alternatives"], "the nearest free times are offered")
        self.assertNotIn(self.week(2), [slot.start for slot in plan[2]["alternatives"]])
        self.assertEqual(self.appointments(), before, "all or nothing: nothing booked")
        self.assertFalse(self.env["booking.series"].search([("partner_id", "=", self.customer.id)]))
        # the customer picks an alternative for the taken one: all four are booked
        alternative = plan[2]["alternatives"][0].start
        series = self.book_series(count=4, replacements={2: alternative})
        self.assertEqual(sorted(series.appointment_ids.mapped("start")),
                         sorted([self.week(0), self.week(1), alternative, self.week(3)]))

    def test_a_booking_failing_midway_rolls_back_the_whole_series(self):
        """Taken between the plan and the insert: the exclusion constraint refuses, nothing stays."""
        Series = self.env["booking.series"]
        original = Series._plan

        def stale_plan(page, service, provider, starts, **kwargs):
            plan = original(page, service, provider, starts, **kwargs)
            if not getattr(stale_plan, "done", False):
                stale_plan.done = True
                self.block(self.week(3))  # another customer takes the last one after the check
            return plan

        before = self.appointments()
        self.patch(type(Series), "_plan", lambda self_, *a, **k: stale_plan(*a, **k))
        with self.assertRaises(SeriesUnavailableError) as caught:
            self.book_series(count=4)
        self.assertEqual(self.appointments(), before)
        self.assertFalse(caught.exception.occurrences[3]["available"])

    def test_rules_of_a_single_booking_apply_to_each_occurrence(self):
        with self.assertRaises(SeriesUnavailableError) as caught:
            self.book_series(count=10)  # the horizon is 60 days: the last ones are too far ahead
        plan = caught.exception.occurrences
        self.assertTrue(plan[0]["available"])
        self.assertFalse(plan[9]["available"])
        self.assertIn("too far ahead", plan[9]["reason"])

    def test_bad_rhythms_and_lengths_are_refused(self):
        for kwargs in ({"count": 1}, {"count": 53}, {"interval_weeks": 0}, {"interval_weeks": 13},
                       {"count": None}, {"count": None, "until": date(2025, 6, 1)},
                       {"count": 3, "until": date(2025, 7, 1)}, {"replacements": {9: self.week(9)}},
                       {"replacements": {1: self.week(0)}}):
            with self.subTest(kwargs=kwargs), self.assertRaises(BookingInputError):
                self.book_series(**kwargs)
        self.assertFalse(self.appointments())

    def test_customers_book_series_only_where_the_service_allows(self):
        with self.assertRaises(BookingInputError):
            self.book_series(service=self.service_buffered)
        series = self.book_series(service=self.service_buffered, staff=True, source="backend")
        self.assertEqual(len(series.appointment_ids), 4)

    def test_deposit_per_occurrence(self):
        series = self.book_series(service=self.service_deposit, count=3)
        contracts = series.appointment_ids.contract_id
        self.assertEqual(len(contracts), 3, "each occurrence its own contract")
        self.assertEqual(contracts.mapped("amount_deposit"), [40.0] * 3)
        self.assertEqual(set(series.appointment_ids.mapped("state")), {"pending_payment"})

    def test_staff_repeat_a_booking_with_the_wizard(self):
        with freeze_time(NOW):
            first = self._book(self.week(0))
        self.block(self.week(2))
        wizard = self.env["booking.series.wizard"].with_user(self.user_staff).create(
            {"appointment_id": first.id, "interval_weeks": 1, "count": 3})
        self.assertIn("nearest free", str(wizard.plan_html))
        with self.assertRaises(UserError):
            wizard.action_book()
        self.assertFalse(first.series_id)
        wizard.interval_weeks = 3
        with freeze_time(NOW):
            wizard.action_book()
        self.assertTrue(first.series_id)
        self.assertEqual(first.series_id.appointment_ids.sorted("start").mapped("start"),
                         [self.week(0), self.week(3), self.week(6)])

    def test_staff_cancel_this_and_following(self):
        series = self.book_series(count=4)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            occurrences[1].with_user(self.user_staff).action_cancel_series_following()
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "cancelled", "cancelled", "cancelled"])
        self.assertEqual(set(occurrences[1:].mapped("cancelled_by")), {"merchant"})


@tagged("post_install", "-at_install")
class TestSeriesCancellationPolicy(SeriesMixin, PaymentCase):
    """Cancelling a series: the policy applies to each occurrence, for its own notice."""

    def test_customer_cancels_following_with_refunds_per_occurrence(self):
        self.service_deposit.allow_series = True
        series = self.book_series(service=self.service_deposit, count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            for occurrence in occurrences:
                self._pay(occurrence)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        # 5 hours before the first: 50 % of its deposit back; a week or more ahead: all of it
        with freeze_time(self.week(0) - timedelta(hours=5)):
            cancelled = occurrences[0]._customer_cancel_series("Moving away")
        self.assertEqual(cancelled, occurrences)
        self.assertEqual(set(occurrences.mapped("state")), {"cancelled"})
        self.assertEqual(occurrences.contract_id.sorted(lambda c: c.appointment_id.start).mapped("amount_refunded"),
                         [20.0, 40.0, 40.0])
        for contract in occurrences.contract_id:
            self.assertInvoicesMatch(contract)

    def test_cancel_one_occurrence_only_and_the_policy_limit(self):
        self.page.cancellation_policy_id.cancel_limit_hours = 2
        self.service_deposit.allow_series = True
        series = self.book_series(service=self.service_deposit, count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            for occurrence in occurrences:
                self._pay(occurrence)
        with freeze_time(self.week(1) - timedelta(days=2)):
            occurrences[1]._customer_cancel("Holiday")
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "cancelled", "confirmed"])
        self.assertEqual(occurrences[1].contract_id.amount_refunded, 40.0)
        # too late for the third under the policy: nothing is cancelled
        with freeze_time(self.week(2) - timedelta(hours=1)), self.assertRaises(BookingActionRefused):
            occurrences[2]._customer_cancel_series()
        self.assertEqual(occurrences[2].state, "confirmed")


@tagged("post_install", "-at_install")
class TestSeriesApi(SeriesMixin, BookingHttpCommon):
    """The series routes from outside: plan, book all or nothing, cancel following; hostile input."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.rate_limit_count = 0
        cls.service.allow_series = True
        # a series is booked by a customer who proved who they are (a guest gets 403, see test_returning_trust)
        token = cls.env["booking.customer.session"].sudo().create({
            "partner_id": cls.customer.id, "page_id": cls.page.id, "channel": "email", "state": "active",
            "expires_at": NOW + timedelta(days=1)})._make_token()
        cls.signed_in = {"Authorization": f"Bearer {token}"}

    def post(self, path, body, headers=None, raw=None):
        if headers is None and "/series" in path:
            headers = self.signed_in
        with freeze_time(NOW):
            response = self.url_open(f"{API}{path}", data=raw if raw is not None else json.dumps(body),
                                     headers={"Content-Type": "application/json", **(headers or {})},
                                     allow_redirects=False)
        try:
            return response, response.json()
        except ValueError:
            return response, None

    def body(self, **changes):
        body = {"service_id": self.service.id, "provider_id": self.provider_a.id,
                "start": self.week(0).strftime("%Y-%m-%dT%H:%M:%SZ"), "interval_weeks": 1, "count": 4,
                "customer": {"name": "Gina Guest", "email": "gina@example.com"}}
        body.update(changes)
        return body

    def test_plan_then_book_with_a_replacement(self):
        self.block(self.week(2))
        response, plan = self.post(f"/pages/{self.page.slug}/series/plan", self.body())
        self.assertEqual(response.status_code, 200)
        self.assertEqual([o["available"] for o in plan["occurrences"]], [True, True, False, True])
        self.assertTrue(plan["occurrences"][2]["alternatives"])
        count = self.env["booking.appointment"].search_count([])
        response, refused = self.post(f"/pages/{self.page.slug}/series", self.body())
        self.assertEqual(response.status_code, 409)
        self.assertEqual(refused["error"], "series_unavailable")
        self.assertFalse(refused["occurrences"][2]["available"])
        self.assertEqual(self.env["booking.appointment"].search_count([]), count, "nothing booked")
        self.assertFalse(self.env["res.partner"].search([("email", "=", "gina@example.com")]), "nobody made")
        alternative = plan["occurrences"][2]["alternatives"][0]["start"]
        response, booked = self.post(f"/pages/{self.page.slug}/series",
                                     self.body(replacements=[{"index": 2, "start": alternative}]))
        self.assertEqual(response.status_code, 201, booked)
        self.assertEqual(len(booked["series"]["bookings"]), 4)
        series = self.env["booking.series"].browse(booked["series"]["id"])
        self.assertEqual(series.partner_id, self.customer, "the signed-in customer, not the body's details")
        self.assertEqual(series.appointment_ids.partner_id, self.customer)

    def test_hostile_bodies_are_4xx_and_write_nothing(self):
        count = self.env["booking.appointment"].search_count([])
        cases = [
            self.body(count=0), self.body(count=53), self.body(count="4"), self.body(interval_weeks=0),
            self.body(interval_weeks=1e9), self.body(count=None), self.body(until="2025-13-40", count=None),
            self.body(replacements=[{"index": 99, "start": "2025-06-02T08:00:00Z"}]),
            self.body(replacements=[{"index": -1, "start": "2025-06-02T08:00:00Z"}]),
            self.body(replacements=[{"index": 1, "start": "garbage"}]),
            self.body(replacements=[{"index": 1, "start": "2025-06-09T08:00:00Z"},
                                    {"index": 1, "start": "2025-06-09T09:00:00Z"}]),
            self.body(replacements="all"), self.body(service_id=self.service_buffered.id),
            self.body(service_id=2**40), self.body(provider_id=-3), self.body(start="1900-01-01T00:00:00Z"),
            self.body(customer={"name": "x\x00y", "email": "a@b.c"}), self.body(extra=1), [], "x",
        ]
        for body in cases:
            for route in ("series", "series/plan"):
                with self.subTest(route=route, body=str(body)[:120]):
                    response, payload = self.post(f"/pages/{self.page.slug}/{route}", body)
                    self.assertEqual(response.status_code, 400, payload)
                    self.assertIn(payload["error"], ("validation", "contract_mismatch"))
        response, _payload = self.post(f"/pages/{self.page.slug}/series", None, raw="{not json")
        self.assertEqual(response.status_code, 400)
        response, _payload = self.post("/pages/nope/series", self.body())
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.env["booking.appointment"].search_count([]), count)

    def test_cancel_following_only_for_the_tokens_customer(self):
        series = self.book_series(count=3)
        occurrences = series.appointment_ids.sorted("start")
        other = self.env["booking.customer.session"].sudo().create({
            "partner_id": self.user_portal_2.partner_id.id, "page_id": self.page.id, "channel": "email",
            "state": "active", "expires_at": NOW + self.days(1)})._make_token()
        mine = self.env["booking.customer.session"].sudo().create({
            "partner_id": self.customer.id, "page_id": self.page.id, "channel": "email",
            "state": "active", "expires_at": NOW + self.days(1)})._make_token()
        path = f"/me/bookings/{occurrences[1].id}/cancel-following"
        response, _payload = self.post(path, {}, headers={"Authorization": f"Bearer {other}"})
        self.assertEqual(response.status_code, 404)
        response, _payload = self.post(path, {})
        self.assertEqual(response.status_code, 401)
        response, payload = self.post(path, {"reason": 5}, headers={"Authorization": f"Bearer {mine}"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        response, payload = self.post(path, {"reason": "Moving"}, headers={"Authorization": f"Bearer {mine}"})
        self.assertEqual(response.status_code, 200, payload)
        self.assertEqual(payload["cancelled"], occurrences[1:].ids)
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "cancelled", "cancelled"])
