from datetime import datetime, timedelta

from freezegun import freeze_time
from lxml import html

from odoo import http
from odoo.tests import tagged

from .common import NOW
from .test_http_portal import PortalCase
from .test_series import SeriesMixin


@tagged("post_install", "-at_install")
class TestPortalSeries(SeriesMixin, PortalCase):
    """Customers repeat a booking and cancel a series from the portal: their own bookings only, signed in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.service | cls.service_deposit).allow_series = True

    # === HELPERS === #

    def first(self, partner=None, hour=10):
        """A confirmed booking on Monday 2 June, to repeat."""
        with freeze_time(NOW):
            appointment = self._book(self.week(0, hour=hour), partner_id=(partner or self.paula).id)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def get(self, path, when=NOW):
        with freeze_time(when):
            return self.url_open(path, allow_redirects=False)

    def post(self, path, data, when=NOW, csrf=True):
        with freeze_time(when):
            if csrf:
                data = {**data, "csrf_token": http.Request.csrf_token(self)}
            return self.url_open(path, data=data, allow_redirects=False)

    def form(self, **changes):
        return {"interval_weeks": "1", "end_type": "count", "count": "4", **changes}

    def written(self):
        """What a refused request must leave untouched: every booking and series, with their states."""
        return (sorted(self.env["booking.appointment"].search([]).mapped(lambda a: (a.id, a.state, a.start))),
                self.env["booking.series"].search_count([]))

    def plan_rows(self, response):
        return html.fromstring(response.content).xpath("//li[hasclass('o_booking_repeat_occurrence')]")

    # === REPEAT === #

    def test_plan_with_a_taken_occurrence_offers_alternatives_and_books_nothing(self):
        first = self.first()
        self.block(self.week(2))
        self.authenticate("portal_one", "portal_one")
        page = self.get(first.get_portal_url())
        self.assertIn("o_booking_repeat_link", page.text, "the signed-in customer may repeat their booking")
        self.assertNotIn("o_booking_cancel_following_link", page.text, "not a series yet")
        self.assertEqual(self.get(f"/my/bookings/{first.id}/repeat").status_code, 200)
        before = self.written()
        response = self.post(f"/my/bookings/{first.id}/repeat", self.form())
        self.assertEqual(response.status_code, 200)
        rows = self.plan_rows(response)
        self.assertEqual([row.get("data-available") for row in rows], ["1", "1", "0", "1"])
        self.assertEqual(rows[0].get("data-start"), str(self.week(0)), "this booking is the first occurrence")
        self.assertEqual(rows[1].get("data-start"), str(self.week(1)), "the next one interval later")
        choices = rows[2].xpath(".//input[@type='radio']")
        self.assertTrue(choices, "the nearest free times are offered")
        self.assertEqual({choice.get("name") for choice in choices}, {"replace_2"})
        self.assertNotIn(str(self.week(2)), [choice.get("value") for choice in choices])
        self.assertEqual(self.written(), before, "a plan books nothing")
        self.assertFalse(first.series_id)

    def test_book_with_a_replacement_books_every_occurrence(self):
        first = self.first()
        self.block(self.week(2))
        self.authenticate("portal_one", "portal_one")
        rows = self.plan_rows(self.post(f"/my/bookings/{first.id}/repeat", self.form()))
        alternative = rows[2].xpath(".//input[@type='radio']/@value")[0]
        # without a replacement for the taken one: the plan again, nothing booked
        before = self.written()
        response = self.post(f"/my/bookings/{first.id}/repeat/book", self.form())
        self.assertEqual(response.status_code, 409)
        self.assertEqual([row.get("data-available") for row in self.plan_rows(response)], ["1", "1", "0", "1"])
        self.assertEqual(self.written(), before)
        response = self.post(f"/my/bookings/{first.id}/repeat/book", self.form(replace_2=alternative))
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertIn(f"/my/bookings/{first.id}", response.headers["Location"])
        series = first.series_id
        self.assertTrue(series, "the booking became the first occurrence")
        self.assertEqual((series.partner_id, series.source, series.count), (self.paula, "portal", 4))
        self.assertEqual(series.appointment_ids.sorted("start").mapped("start"),
                         sorted([self.week(0), self.week(1), self.week(3),
                                 datetime.strptime(alternative, "%Y-%m-%d %H:%M:%S")]))
        self.assertEqual(series.appointment_ids.partner_id, self.paula)
        page = self.get(first.get_portal_url())
        self.assertIn("Your series is booked", page.text)
        self.assertIn("o_booking_cancel_following_link", page.text)
        self.assertNotIn("o_booking_repeat_link", page.text, "already a series")

    def test_until_a_date(self):
        first = self.first()
        self.authenticate("portal_one", "portal_one")
        response = self.post(f"/my/bookings/{first.id}/repeat/book",
                             self.form(interval_weeks="2", end_type="until", count="", until="2025-06-30"))
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertEqual(first.series_id.appointment_ids.sorted("start").mapped("start"),
                         [self.week(0), self.week(2), self.week(4)])

    def test_the_link_alone_cannot_repeat_or_cancel_following(self):
        first = self.first()
        series = self.book_series(partner=self.paula, count=3, first_start=self.week(0, hour=14))
        occurrence = series.appointment_ids.sorted("start")[0]
        before = self.written()
        for user in (None, "portal_two"):  # a visitor, or another customer, holding Paula's links
            self.authenticate(user, user)
            with self.subTest(user=user):
                for appointment, link in ((first, "o_booking_repeat_link"),
                                          (occurrence, "o_booking_cancel_following_link")):
                    page = self.get(appointment.get_portal_url())
                    self.assertIn(appointment.name, page.text, "the link grants the booking")
                    self.assertNotIn(link, page.text, "not the customer's future")
                token = f"access_token={first._portal_ensure_token()}"
                for method, path, data in (
                        ("GET", f"/my/bookings/{first.id}/repeat?{token}", None),
                        ("POST", f"/my/bookings/{first.id}/repeat?{token}", self.form()),
                        ("POST", f"/my/bookings/{first.id}/repeat/book?{token}", self.form()),
                        ("GET", f"/my/bookings/{occurrence.id}/cancel-following?"
                                f"access_token={occurrence._portal_ensure_token()}", None),
                        ("POST", f"/my/bookings/{occurrence.id}/cancel-following?"
                                 f"access_token={occurrence._portal_ensure_token()}", {"confirm": "1"})):
                    response = self.get(path) if method == "GET" else self.post(path, data)
                    if user:
                        self.assertEqual(response.status_code, 404, path)
                    else:
                        self.assertIn(response.status_code, (302, 303), path)
                        self.assertIn("/web/login", response.headers["Location"])
        self.assertEqual(self.written(), before)

    def test_another_customers_booking_is_404(self):
        first = self.first()
        series = self.book_series(partner=self.paula, count=3, first_start=self.week(0, hour=14))
        occurrence = series.appointment_ids.sorted("start")[1]
        before = self.written()
        self.authenticate("portal_two", "portal_two")
        for path, data in ((f"/my/bookings/{first.id}/repeat", None),
                           (f"/my/bookings/{first.id}/repeat", self.form()),
                           (f"/my/bookings/{first.id}/repeat/book", self.form()),
                           (f"/my/bookings/{occurrence.id}/cancel-following", None),
                           (f"/my/bookings/{occurrence.id}/cancel-following", {"confirm": "1"}),
                           ("/my/bookings/999999999/repeat", self.form())):
            with self.subTest(path=path, post=bool(data)):
                response = self.get(path) if data is None else self.post(path, data)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(first.name, response.text)
        self.assertEqual(self.written(), before)

    def test_hostile_inputs_are_400_and_write_nothing(self):
        first = self.first()
        self.block(self.week(2))
        series = self.book_series(partner=self.paula, count=3, first_start=self.week(0, hour=14))
        occurrence = series.appointment_ids.sorted("start")[1]
        self.authenticate("portal_one", "portal_one")
        before = self.written()
        forms = [
            self.form(interval_weeks="abc"), self.form(interval_weeks="0"), self.form(interval_weeks="13"),
            self.form(interval_weeks="1.5"), self.form(interval_weeks="-1"), self.form(interval_weeks="\u0661"),
            self.form(interval_weeks="9" * 40), self.form(count="0"), self.form(count="1"), self.form(count="53"),
            self.form(count="4\x00"), self.form(count=""), self.form(end_type="forever"), self.form(end_type=""),
            self.form(end_type="until", until="2025-05-01"), self.form(end_type="until", until="2025-06-01"),
            self.form(end_type="until", until="2025-06-03"), self.form(end_type="until", until="garbage"),
            self.form(end_type="until", until="2025-06-30\x00"), self.form(note="x\x00y"),
            self.form(end_type="until", until="9999-12-31"),
        ]
        replacements = [
            self.form(replace_9="2025-06-16 12:00:00"), self.form(replace_0="2025-06-02 12:00:00"),
            self.form(**{"replace_-1": "2025-06-16 12:00:00"}), self.form(replace_x="2025-06-16 12:00:00"),
            self.form(replace_2="garbage"), self.form(replace_2="2025-05-01 08:00:00"),
            self.form(replace_2="2025-06-16 12:00:00\x00"), self.form(**{"replace_2\x00": "2025-06-16 12:00:00"}),
            # the calendar's edge: the page's time zone would carry it past year 9999 (a 500)
            self.form(replace_2="9999-12-31 23:59:59"),
        ]
        for path, cases in ((f"/my/bookings/{first.id}/repeat", forms),
                            (f"/my/bookings/{first.id}/repeat/book", forms + replacements)):
            for data in cases:
                with self.subTest(path=path, data=data):
                    response = self.post(path, data)
                    self.assertEqual(response.status_code, 400, response.text[:300])
                    self.assertIn("o_booking_repeat_form", response.text, "the form again")
        # no CSRF token: refused by Odoo before the route runs
        response = self.post(f"/my/bookings/{first.id}/repeat/book", self.form(replace_2="2025-06-16 12:00:00"),
                             csrf=False)
        self.assertEqual(response.status_code, 400)
        for data in ({"confirm": "1", "reason": "bye\x00"}, {"confirm": "yes"}, {}):
            with self.subTest(cancel_following=data):
                response = self.post(f"/my/bookings/{occurrence.id}/cancel-following", data)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self.post(f"/my/bookings/{occurrence.id}/cancel-following", {"confirm": "1"},
                                   csrf=False).status_code, 400)
        # a series cannot be repeated again
        self.assertEqual(self.post(f"/my/bookings/{occurrence.id}/repeat/book", self.form()).status_code, 400)
        self.assertEqual(self.written(), before)

    def test_the_page_rate_limit_applies(self):
        first = self.first()
        self.page.write({"rate_limit_count": 1, "rate_limit_minutes": 60})
        self.authenticate("portal_one", "portal_one")
        path = f"/my/bookings/{first.id}/repeat"
        self.assertEqual(self.post(path, self.form(count="0")).status_code, 400, "a refused form gives its hit back")
        self.assertEqual(self.post(path, self.form()).status_code, 200)
        response = self.post(path, self.form())
        self.assertEqual(response.status_code, 429)
        self.assertTrue(response.headers.get("Retry-After"))
        before = self.written()
        self.assertEqual(self.post(f"{path}/book", self.form()).status_code, 429)
        self.assertEqual(self.written(), before)

    # === CANCEL THIS AND ALL FOLLOWING === #

    def test_cancel_following_shows_the_refunds_then_cancels(self):
        series = self.book_series(service=self.service_deposit, partner=self.paula, count=3)
        occurrences = series.appointment_ids.sorted("start")
        with freeze_time(NOW):
            for occurrence in occurrences:
                self._pay(occurrence)
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"})
        when = self.week(0) - timedelta(hours=5)  # 50 % of the first deposit back, all of the later ones
        self.authenticate("portal_one", "portal_one")
        page = self.get(occurrences[0].get_portal_url(), when=when)
        self.assertIn("o_booking_cancel_following_link", page.text)
        response = self.get(f"/my/bookings/{occurrences[0].id}/cancel-following", when=when)
        self.assertEqual(response.status_code, 200)
        rows = html.fromstring(response.content).xpath("//tr[hasclass('o_booking_cancel_following_row')]")
        self.assertEqual([int(row.get("data-id")) for row in rows], occurrences.ids)
        self.assertEqual([float(row.get("data-amount")) for row in rows], [20.0, 40.0, 40.0])
        self.assertEqual(set(occurrences.mapped("state")), {"confirmed"}, "the preview cancels nothing")
        response = self.post(f"/my/bookings/{occurrences[0].id}/cancel-following",
                             {"confirm": "1", "reason": "Moving away"}, when=when)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertEqual(set(occurrences.mapped("state")), {"cancelled"})
        self.assertEqual(occurrences.contract_id.sorted(lambda c: c.appointment_id.start).mapped("amount_refunded"),
                         [20.0, 40.0, 40.0])
        page = self.get(occurrences[0].get_portal_url(), when=when)
        self.assertIn("3 bookings are cancelled", page.text)

    def test_cancel_following_from_the_middle(self):
        series = self.book_series(partner=self.paula, count=3)
        occurrences = series.appointment_ids.sorted("start")
        self.authenticate("portal_one", "portal_one")
        response = self.post(f"/my/bookings/{occurrences[1].id}/cancel-following", {"confirm": "1"})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(occurrences.mapped("state"), ["confirmed", "cancelled", "cancelled"])
