from datetime import timedelta
from urllib.parse import urlparse

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import BookingHttpCommon
from .common import local_to_utc


class LinkCase(BookingHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.responsible_user_id = cls.user_manager

    def request_at(self, hour=10):
        with freeze_time(NOW):
            return self.env["booking.appointment"]._book_online(self.page, self.service_approval, self.provider_a,
                                        local_to_utc(MONDAY, hour), partner=self.customer, source="website")

    def path(self, url):
        return urlparse(url).path

    def get(self, url):
        return self.url_open(self.path(url), allow_redirects=False)

    def post(self, url, data=None):
        # url_open posts only when there is data: a form's submit button sends its name
        return self.url_open(self.path(url), data=data or {"submit": "1"}, allow_redirects=False)


@tagged("post_install", "-at_install")
class TestApprovalLinks(LinkCase):
    """One-tap approve and decline from the merchant's e-mail: signed, single-use, expiring."""

    def test_approve_once_by_link(self):
        request = self.request_at(10)
        url = request._approval_url("confirm")
        with freeze_time(NOW + timedelta(minutes=30)):
            opened = self.get(url)
            self.assertEqual(opened.status_code, 200)
            self.assertIn("Approve this request?", opened.text)
            self.assertEqual(request.state, "pending", "opening the link changes nothing (mail scanners open links)")
            answered = self.post(url)
        self.assertEqual(answered.status_code, 200)
        self.assertIn("Approved", answered.text)
        self.assertEqual(request.state, "confirmed")
        self.assertTrue(self.env["booking.notification"].search(
            [("appointment_id", "=", request.id), ("event", "=", "confirmed")]), "the customer is told")
        self.assertLastMessageContains(request, "Answered with the link")
        self.assertIn(self.user_manager.name, str(request.message_ids.sorted("id")[-1].body))
        # reused, or the other button afterwards: refused, nothing changes
        with freeze_time(NOW + timedelta(minutes=31)):
            again = self.post(url)
            other = self.post(request._approval_url("reject"))
        self.assertEqual((again.status_code, other.status_code), (409, 409))
        self.assertIn("already answered", again.text)
        self.assertEqual(request.state, "confirmed")

    def test_decline_by_link_with_a_reason(self):
        request = self.request_at(10)
        url = request._approval_url("reject")
        with freeze_time(NOW + timedelta(minutes=30)):
            self.assertIn("Decline this request?", self.get(url).text)
            answered = self.post(url, {"reason": "Fully booked that morning"})
        self.assertEqual(answered.status_code, 200)
        self.assertEqual((request.state, request.cancel_reason), ("rejected", "Fully booked that morning"))
        self.assertTrue(self.env["booking.notification"].search(
            [("appointment_id", "=", request.id), ("event", "=", "declined")]))

    def test_forged_links_are_refused(self):
        request = self.request_at(10)
        url = self.path(request._approval_url("confirm"))
        base, _action, expires, signature = url.rsplit("/", 3)
        forged = [
            f"{base}/confirm/{expires}/{'0' * len(signature)}",  # made-up signature
            f"{base}/reject/{expires}/{signature}",  # the approve link's signature, to decline
            f"{base}/confirm/{int(expires) + 86400}/{signature}",  # a later deadline
            url.replace(f"/approval/{request.id}/", f"/approval/{request.id + 1}/"),  # another request
        ]
        with freeze_time(NOW + timedelta(minutes=30)):
            for link in forged:
                with self.subTest(link=link):
                    response = self.post(link)
                    self.assertEqual(response.status_code, 403)
                    self.assertIn("not valid", response.text)
        self.assertEqual(request.state, "pending")

    def test_links_expire_with_the_request(self):
        request = self.request_at(10)
        url = request._approval_url("confirm")
        deadline = request._approval_deadline()
        self.assertEqual(deadline, NOW + timedelta(hours=4))
        with freeze_time(deadline):
            response = self.post(url)
        self.assertEqual(response.status_code, 410)
        self.assertEqual(request.state, "pending")

    def test_a_new_request_gets_new_links(self):
        """A request that expired and came back (late deposit) cannot be answered with the old links."""
        request = self.request_at(10)
        old_url = request._approval_url("confirm")
        with freeze_time(NOW + timedelta(minutes=5)):
            request._action_expire("test")
            request.sudo()._transition(
                "revived", ("expired",), "pending")
            self.assertEqual(self.post(old_url).status_code, 403)
            self.assertEqual(self.post(request._approval_url("confirm")).status_code, 200)
        self.assertEqual(request.state, "confirmed")


@tagged("post_install", "-at_install")
class TestWaitlistOfferLinks(LinkCase):

    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.taken = self._book(self.at(10))
            self.entry = self.env["booking.waitlist"].create({
                "page_id": self.page.id, "service_id": self.service.id, "provider_id": self.provider_a.id,
                "partner_id": self.customer.id, "date": MONDAY, "time_from": 10, "time_to": 11,
            })
            self.taken.action_cancel()
            self.env["booking.scheduler"]._cron_offer_freed_slots()
        self.hold = self.entry.appointment_id

    def test_accept_once_by_link(self):
        url = self.entry._offer_url()
        with freeze_time(NOW + timedelta(minutes=5)):
            opened = self.get(url)
            self.assertEqual(opened.status_code, 200)
            self.assertIn("A time opened up for you", opened.text)
            self.assertEqual(self.entry.state, "offered", "opening the link changes nothing")
            accepted = self.post(url, {"answer": "accept"})
        self.assertEqual(accepted.status_code, 303)
        self.assertIn(f"/p/test-salon/booking/{self.hold.id}?access_token=", accepted.headers["Location"])
        self.assertEqual((self.entry.state, self.hold.state), ("booked", "confirmed"))
        with freeze_time(NOW + timedelta(minutes=6)):
            again = self.post(url, {"answer": "accept"})
        self.assertEqual(again.status_code, 200)
        self.assertIn("You already took this time", again.text)
        self.assertEqual(self.env["booking.appointment"].search_count(
            [("start", "=", self.at(10)), ("provider_id", "=", self.provider_a.id),
             ("state", "=", "confirmed")]), 1, "no double booking")

    def test_decline_by_link(self):
        with freeze_time(NOW + timedelta(minutes=5)):
            response = self.post(self.entry._offer_url(), {"answer": "decline"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("next person waiting", response.text)
        self.assertEqual((self.entry.state, self.hold.state), ("cancelled", "expired"))

    def test_lapsed_and_forged_offer_links(self):
        url = self.path(self.entry._offer_url())
        with freeze_time(NOW + timedelta(minutes=5)):
            self.assertEqual(self.post(url[:-4] + "abcd", {"answer": "accept"}).status_code, 403)
        with freeze_time(self.hold.hold_expires_at + timedelta(seconds=1)):
            response = self.post(url, {"answer": "accept"})
        self.assertEqual(response.status_code, 410)
        self.assertIn("no longer available", response.text)
        self.assertEqual(self.hold.state, "pending_payment", "nothing booked after the deadline")


@tagged("post_install", "-at_install")
class TestCheckInQrImage(LinkCase):

    def test_qr_image_for_emails(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
        response = self.get(appointment._check_in_qr_url())
        self.assertEqual((response.status_code, response.headers["Content-Type"]), (200, "image/png"))
        self.assertTrue(response.content.startswith(b"\x89PNG"))
        forged = self.path(appointment._check_in_qr_url()).replace(appointment._check_in_signature(), "0" * 64)
        self.assertEqual(self.get(forged).status_code, 404)
