import json
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from ..exceptions import BookingInputError
from .common import NOW
from .common import PARIS
from .common import BookingCommon
from .common import BookingHttpCommon


class ReviewMixin:
    def done_booking(self, hour=10, provider=None, partner=None, service=None, settle=True):
        """A booking delivered and completed, the desk taking the payment (``settle``: in cash, at once)."""
        with freeze_time(NOW):
            appointment = self._book(self.at(hour), provider=provider, service=service,
                                     partner_id=(partner or self.customer).id)
        with freeze_time(self.at(hour) + timedelta(minutes=5)):
            appointment.action_check_in()
            appointment.action_complete(charge_card=False)
            contract = appointment.contract_id
            if settle and contract and contract.amount_balance_due:
                cash = self.env["account.journal"].search([("type", "=", "cash"),
                                                          ("company_id", "=", appointment.company_id.id)], limit=1)
                contract._register_counter_payment("balance", contract.amount_balance_due, cash)
        return appointment

    def review(self, appointment, stars=5, comment="Lovely", published=True):
        status = appointment._submit_review(appointment._review_signature(), stars, comment)
        self.assertEqual(status, "done")
        rating = appointment._review_rating()
        if not published:
            rating.action_booking_unpublish()
        return rating


@tagged("post_install", "-at_install")
class TestReviews(ReviewMixin, BookingCommon):
    """Rating requests after the visit, one answer per booking, staff publishing and replying."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+33612345678"

    def test_review_request_queued_once_on_completion(self):
        self.page.notification_rule_ids.filtered(lambda r: r.event == "review_request").channel = "email_sms"
        appointment = self.done_booking()
        requests = self.outbox(appointment, "review_request")
        self.assertEqual(sorted(requests.mapped("channel")), ["email", "sms"], "e-mail and SMS, once each")
        appointment._queue_review_request()
        appointment._on_state_changed("checked_in")
        self.assertEqual(self.outbox(appointment, "review_request"), requests, "never a second request")
        self.dispatch()
        self.assertEqual(set(requests.mapped("state")), {"sent"})
        mail = self.sent_messages(appointment, "How was your")
        self.assertEqual(len(mail), 1)
        self.assertIn(appointment._review_url(5), str(mail.body).replace("&amp;", "&"))

    def test_by_default_an_email_only(self):
        appointment = self.done_booking()
        self.assertEqual(self.outbox(appointment, "review_request").mapped("channel"), ["email"])

    def test_not_asked_while_the_visit_is_unpaid(self):
        """Issue 24: a review request before the bill is paid grates; it goes once nothing is due."""
        appointment = self.done_booking(settle=False)
        self.assertTrue(appointment.contract_id.amount_balance_due)
        self.assertFalse(self.outbox(appointment, "review_request"))
        cash = self.env["account.journal"].search([("type", "=", "cash"),
                                                  ("company_id", "=", appointment.company_id.id)], limit=1)
        with freeze_time(self.at(11)):
            appointment.contract_id._register_counter_payment(
                "balance", appointment.contract_id.amount_balance_due, cash)
        self.assertEqual(self.outbox(appointment, "review_request").mapped("channel"), ["email"])

    def test_no_request_before_completion_or_when_switched_off(self):
        with freeze_time(NOW):
            cancelled = self._book(self.at(9))
            cancelled.action_cancel()
        self.assertFalse(self.outbox(cancelled, "review_request"))
        self.page.reviews_enabled = False
        self.assertFalse(self.outbox(self.done_booking(11), "review_request"))

    def test_one_answer_per_booking(self):
        appointment = self.done_booking()
        signature = appointment._review_signature()
        self.assertEqual(appointment._check_review_link(signature), "open")
        self.assertEqual(appointment._submit_review(signature, "4", "Great cut"), "done")
        rating = appointment._review_rating()
        self.assertRecordValues(rating, [{"rating": 4, "feedback": "Great cut", "partner_id": self.customer.id,
                                          "booking_service_id": self.service.id, "booking_published": True,
                                          "booking_provider_id": self.provider_a.id}])
        self.assertEqual(appointment._submit_review(signature, 1, "changed my mind"), "answered")
        self.assertEqual(appointment._review_rating().rating, 4, "the first answer stands")
        self.assertEqual(self.env["rating.rating"].search_count(
            [("res_model", "=", "booking.appointment"), ("res_id", "=", appointment.id)]), 1)

    def test_bad_answers_are_refused_and_write_nothing(self):
        appointment = self.done_booking()
        signature = appointment._review_signature()
        for stars, comment in ((0, ""), (6, ""), ("five", ""), (None, ""), ("4.5", ""), (3, "x" * 2001),
                               (3, "nul\x00byte"), ([5], "")):
            with self.subTest(stars=stars), self.assertRaises(BookingInputError):
                appointment._submit_review(signature, stars, comment)
        self.assertFalse(appointment._review_rating())

    def test_links_grant_one_booking(self):
        mine = self.done_booking(10)
        other = self.done_booking(11, partner=self.user_portal_1.partner_id)
        with freeze_time(NOW):
            upcoming = self._book(self.at(14))
        self.assertEqual(other._check_review_link(mine._review_signature()), "invalid")
        self.assertEqual(mine._check_review_link("0" * 64), "invalid")
        self.assertEqual(mine._check_review_link(None), "invalid")
        self.assertEqual(upcoming._check_review_link(upcoming._review_signature()), "invalid", "not visited yet")
        # the signature covers the customer: a booking moved to another customer voids the old link
        signature = mine._review_signature()
        mine.sudo().partner_id = self.user_portal_2.partner_id
        self.assertEqual(mine._check_review_link(signature), "invalid")

    def test_staff_hide_publish_and_reply(self):
        appointment = self.done_booking()
        rating = self.review(appointment)
        staff_rating = rating.with_user(self.user_staff)
        staff_rating.action_booking_unpublish()
        self.assertTrue(rating.is_internal)
        self.assertFalse(rating.booking_published)
        self.assertFalse(self.page._get_recent_reviews())
        staff_rating.action_booking_publish()
        self.assertEqual(self.page._get_recent_reviews(), rating)
        staff_rating._booking_reply("Thank you, see you soon!")
        self.assertEqual(rating.publisher_comment, "Thank you, see you soon!")
        self.assertEqual(rating.publisher_id, self.user_staff.partner_id)
        self.assertEqual(rating._booking_public_payload()["reply"], "Thank you, see you soon!")

    def test_auto_publish_off_keeps_reviews_hidden_until_staff_publish(self):
        self.page.reviews_auto_publish = False
        rating = self.review(self.done_booking())
        self.assertFalse(rating.booking_published)
        self.assertEqual(self.page._get_review_stats()["page"], (0.0, 0))
        rating.with_user(self.user_staff).action_booking_publish()
        self.assertEqual(self.page._get_review_stats()["page"], (5.0, 1))

    def test_stats_per_service_and_provider(self):
        self.review(self.done_booking(9), stars=5)
        self.review(self.done_booking(10), stars=4)
        self.review(self.done_booking(11, provider=self.provider_b), stars=2)
        self.review(self.done_booking(14, provider=self.provider_b, service=self.service_buffered), stars=1,
                    published=False)
        stats = self.page._get_review_stats()
        self.assertEqual(stats["page"], (3.7, 3))
        self.assertEqual(stats["services"], {self.service.id: (3.7, 3)})
        self.assertEqual(stats["providers"], {self.provider_a.id: (4.5, 2), self.provider_b.id: (2.0, 1)})

    def test_other_company_staff_cannot_see_or_touch_reviews(self):
        company_b = self.env["res.company"].create({"name": "Other Salon Ltd"})
        staff_b = mail_new_test_user(
            self.env, login="booking_staff_rb", name="Rita B", company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)], groups="base.group_user,self_serve_booking.group_booking_user")
        rating = self.review(self.done_booking())
        self.assertFalse(self.env["rating.rating"].with_user(staff_b).search([("id", "=", rating.id)]))
        with self.assertRaises(AccessError):
            rating.with_user(staff_b).action_booking_unpublish()
        self.assertFalse(rating.is_internal)
        portal_rating = rating.with_user(self.user_portal_1)
        with self.assertRaises(AccessError):
            portal_rating.action_booking_unpublish()

    def test_json_ld_cannot_be_broken_by_a_comment(self):
        self.review(self.done_booking(), comment='</script><script>alert("x")</script> & more')
        data = str(self.page._get_review_json_ld())
        self.assertNotIn("</script>", data)
        parsed = json.loads(data)
        self.assertEqual(parsed["aggregateRating"], {"@type": "AggregateRating", "ratingValue": 5.0,
                                                     "reviewCount": 1, "bestRating": 5, "worstRating": 1})
        self.assertIn('</script><script>alert("x")</script> & more', parsed["review"][0]["reviewBody"])


@tagged("post_install", "-at_install")
class TestReviewHttp(ReviewMixin, BookingHttpCommon):
    """The signed link, the public page and the API, seen from outside."""

    def path(self, appointment, signature=None, slug=None):
        return f"/p/{slug or self.page.slug}/review/{appointment.id}/{signature or appointment._review_signature()}"

    def test_link_opens_then_takes_one_answer(self):
        appointment = self.done_booking()
        opened = self.url_open(self.path(appointment) + "?stars=4")
        self.assertEqual(opened.status_code, 200)
        self.assertIn("How was your visit?", opened.text)
        self.assertIn('value="4" checked', opened.text)
        self.assertFalse(appointment._review_rating(), "opening the link writes nothing (mail scanners)")
        sent = self.url_open(self.path(appointment), data={"stars": "4", "comment": "Very good"})
        self.assertEqual(sent.status_code, 200)
        self.assertIn("Thank you!", sent.text)
        self.assertEqual(appointment._review_rating().rating, 4)
        again = self.url_open(self.path(appointment), data={"stars": "1", "comment": "Bad"})
        self.assertEqual(again.status_code, 409)
        self.assertIn("already reviewed", again.text)
        self.assertEqual(appointment._review_rating().rating, 4)
        self.assertEqual(self.url_open(self.path(appointment)).status_code, 409)

    def test_forged_and_foreign_links_are_refused(self):
        mine = self.done_booking(10)
        other = self.done_booking(11, partner=self.user_portal_1.partner_id)
        attempts = [
            self.path(other, mine._review_signature()),  # another booking's signature
            self.path(mine, "a" * 64),
            self.path(mine, "x" * 5000),
            self.path(mine, slug="no-such-page"),
            f"/p/{self.page.slug}/review/99999999/{mine._review_signature()}",
        ]
        for url in attempts:
            with self.subTest(url=url[:80]):
                for data in (None, {"stars": "5", "comment": "forged"}):
                    response = self.url_open(url, data=data)
                    self.assertIn(response.status_code, (403, 404))
                    self.assertNotIn(mine.partner_id.name, response.text)
        self.assertFalse(mine._review_rating() | other._review_rating())

    def test_bad_form_input_is_a_400_and_writes_nothing(self):
        appointment = self.done_booking()
        for data in ({"stars": "9"}, {"stars": ""}, {"stars": "5", "comment": "y" * 2001},
                     {"stars": "5", "comment": "a\x00b"}, {"comment": "no stars"}):
            with self.subTest(data=str(data)[:40]):
                response = self.url_open(self.path(appointment), data=data)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(appointment._review_rating())

    def test_page_shows_published_reviews_with_structured_data(self):
        self.review(self.done_booking(10), stars=5, comment="Best haircut in Paris")
        self.review(self.done_booking(11, provider=self.provider_b), stars=3, comment="Rude", published=False)
        html = self.url_open(f"/p/{self.page.slug}").text
        self.assertIn("Best haircut in Paris", html)
        self.assertNotIn("Rude", html)
        self.assertIn("Carla C.", html)
        self.assertNotIn("carla@example.com", html)
        blocks = re.findall(r'<script type="application/ld\+json" class="o_booking_review_json_ld">(.*?)</script>',
                            html, re.S)
        self.assertEqual(len(blocks), 1)
        data = json.loads(blocks[0])
        self.assertEqual(data["aggregateRating"]["reviewCount"], 1)
        self.assertEqual(data["aggregateRating"]["ratingValue"], 5.0)
        self.assertEqual(data["makesOffer"][0]["itemOffered"]["name"], "Cut")

    def test_page_without_reviews_has_no_structured_data(self):
        html = self.url_open(f"/p/{self.page.slug}").text
        self.assertNotIn("o_booking_review_json_ld", html)
        self.assertNotIn("booking-reviews-title", html)

    def test_api_lists_published_reviews_only(self):
        self.review(self.done_booking(10), stars=5, comment="Great")
        hidden = self.review(self.done_booking(11, provider=self.provider_b), stars=1, comment="Hidden one",
                             published=False)
        response = self.url_open(f"/booking/api/v1/pages/{self.page.slug}/reviews")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["summary"], {"average": 5.0, "count": 1})
        self.assertEqual([review["comment"] for review in body["reviews"]], ["Great"])
        self.assertEqual(body["reviews"][0]["author"], "Carla C.")
        self.assertEqual(body["services"], {str(self.service.id): {"average": 5.0, "count": 1}})
        self.assertNotIn(hidden.id, [review["id"] for review in body["reviews"]])
        narrowed = self.url_open(
            f"/booking/api/v1/pages/{self.page.slug}/reviews?provider_id={self.provider_b.id}").json()
        self.assertEqual(narrowed["reviews"], [])

    def test_api_refuses_bad_queries_with_4xx(self):
        other = self.env["booking.service"].create({"name": "Elsewhere", "duration_minutes": 30})
        base = f"/booking/api/v1/pages/{self.page.slug}/reviews"
        for query in ("?limit=0", "?limit=51", "?limit=abc", "?service_id=-1", f"?service_id={other.id}",
                      "?provider_id=99999999", "?service_id=99999999999999", "?bogus=1", "?limit=%00"):
            with self.subTest(query=query):
                response = self.url_open(base + query)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertIn(response.json()["error"], ("validation", "contract_mismatch"))
        self.assertEqual(self.url_open("/booking/api/v1/pages/nope/reviews").status_code, 404)

    def test_another_company_page_does_not_show_these_reviews(self):
        self.review(self.done_booking(10), comment="Only for the test salon")
        company_b = self.env["res.company"].create({"name": "Other Salon Ltd"})
        page_b = self.env["booking.page"].create({
            "name": "B page", "slug": "b-page-reviews", "company_id": company_b.id, "tz": PARIS,
            "is_published": True,
        })
        response = self.url_open(f"/booking/api/v1/pages/{page_b.slug}/reviews")
        # another company's page is not served by this website at all; served, it would show none of these
        self.assertIn(response.status_code, (200, 404))
        self.assertNotIn("Only for the test salon", response.text)
        self.assertEqual(page_b._get_review_stats()["page"], (0.0, 0))
        self.assertFalse(page_b._get_recent_reviews())
