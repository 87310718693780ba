import json
import re
from datetime import datetime, timedelta

from freezegun import freeze_time
from lxml import html

from odoo import http
from odoo.tests import tagged

from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentMixin

API = "/booking/api/v1"


class PortalCase(BookingPaymentMixin, BookingDataMixin, PaymentHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.user_portal_1.partner_id.write({"email": "paula@example.com", "phone": "+33 6 11 11 11 11"})
        cls.user_portal_2.partner_id.write({"email": "pete@example.com"})
        cls.paula = cls.user_portal_1.partner_id
        cls.pete = cls.user_portal_2.partner_id
        # details changed after the accounts were made: staff vouch for them (issue 22: per value)
        (cls.paula | cls.pete).action_booking_mark_verified()
        cls.page.partner_id = cls.env["res.partner"].create({
            "name": "Salon Paris", "country_id": cls.env.ref("base.fr").id, "city": "Paris",
        })

    def _booking_for(self, partner, hour=10, paid=True):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=hour, partner=partner)
            if paid:
                self._pay(appointment)
        return appointment

    # === API helpers === #

    def api(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.opener.request(method, f"{self.base_url()}{API}{path}", headers=headers,
                                       data=json.dumps(body) if body is not None else None, timeout=30)
        try:
            data = response.json()
        except ValueError:
            data = None
        return response, data

    def sign_in(self, partner, email=None):
        """The code flow: ask for a code by e-mail, read it in the queued e-mail, verify it."""
        email = email or partner.email
        response, _data = self.api("POST", "/pages/test-salon/session", {"email": email})
        self.assertEqual(response.status_code, 202)
        mail = self.env["mail.mail"].sudo().search([("email_to", "ilike", email)], order="id desc", limit=1)
        code = re.search(r"\b(\d{6})\b", mail.subject).group(1)
        response, data = self.api("POST", "/pages/test-salon/session/verify", {"email": email, "code": code})
        self.assertEqual(response.status_code, 200, data)
        return data["token"]


@tagged("post_install", "-at_install")
class TestPortalIsolation(PortalCase):
    """A customer never reaches another customer's booking, whatever the way."""

    def test_portal_user_cannot_open_or_change_another_booking(self):
        paulas = self._booking_for(self.paula)
        self.authenticate("portal_two", "portal_two")
        for path in ("", "/cancel", "/reschedule"):
            with self.subTest(path=path):
                response = self.url_open(f"/my/bookings/{paulas.id}{path}")
                self.assertNotIn(paulas.name, response.text)
        for path, data in (("/cancel", {"confirm": "1"}), ("/reschedule", {"start": "2025-06-02 12:00:00"}),
                           ("/tip", {"amount": "10"})):
            with self.subTest(post=path):
                self.url_open(f"/my/bookings/{paulas.id}{path}",
                              data={**data, "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual((paulas.state, paulas.start), ("confirmed", self.at(10)), "nothing changed")
        listed = html.fromstring(self.url_open("/my/bookings?filterby=all").content).xpath(
            "//tr[hasclass('o_booking_row')]/@data-id")
        self.assertNotIn(str(paulas.id), listed)

    def test_a_token_opens_only_its_own_booking(self):
        paulas = self._booking_for(self.paula)
        petes = self._booking_for(self.pete, hour=14)
        self.authenticate(None, None)  # a visitor holding Paula's link (a session for the CSRF token)
        self.assertIn(paulas.name, self.url_open(paulas.get_portal_url()).text)
        response = self.url_open(f"/my/bookings/{petes.id}?access_token={paulas._portal_ensure_token()}")
        self.assertNotIn(petes.name, response.text)
        response = self.url_open(f"/my/bookings/{petes.id}/cancel", data={
            "access_token": paulas.access_token, "confirm": "1", "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(petes.state, "confirmed")

    def test_api_session_sees_only_its_customer(self):
        paulas = self._booking_for(self.paula)
        petes = self._booking_for(self.pete, hour=14)
        token = self.sign_in(self.pete)
        response, data = self.api("GET", "/me/bookings", token=token)
        self.assertEqual([b["id"] for b in data["bookings"]], [petes.id])
        for method, body in (("GET", None), ("PATCH", {"action": "cancel"})):
            with self.subTest(method=method):
                response, data = self.api(method, f"/me/bookings/{paulas.id}", body, token=token)
                self.assertEqual((response.status_code, data["error"]), (404, "not_found"))
        response, data = self.api("GET", f"/me/bookings/{paulas.id}/slots?date_from=2025-06-02", token=token)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(paulas.state, "confirmed")


@tagged("post_install", "-at_install")
class TestCustomerSessions(PortalCase):

    def test_code_flow_and_token_use(self):
        petes = self._booking_for(self.pete)
        token = self.sign_in(self.pete)
        response, data = self.api("GET", f"/me/bookings/{petes.id}", token=token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["booking"]["reference"], petes.name)
        session = self.env["booking.customer.session"].sudo().search([("partner_id", "=", self.pete.id)])
        self.assertEqual(session.state, "active")
        self.assertFalse(session.code_hash, "a code works once")

    def test_wrong_codes_unknown_addresses_and_limits(self):
        response, data = self.api("POST", "/pages/test-salon/session", {"email": "nobody@example.com"})
        self.assertEqual((response.status_code, data["status"]), (202, "code_sent"), "no account enumeration")
        self.assertFalse(self.env["mail.mail"].sudo().search([("email_to", "ilike", "nobody@example.com")]))
        self.api("POST", "/pages/test-salon/session", {"email": "pete@example.com"})
        for _attempt in range(5):
            response, data = self.api("POST", "/pages/test-salon/session/verify",
                                      {"email": "pete@example.com", "code": "000000"})
            self.assertEqual((response.status_code, data["error"]), (400, "invalid_code"))
        response, data = self.api("POST", "/pages/test-salon/session/verify",
                                  {"email": "pete@example.com", "code": "000000"})
        self.assertEqual((response.status_code, data["error"]), (429, "rate_limited"))
        response, data = self.api("POST", "/pages/test-salon/session/verify", {"email": "pete@example.com"})
        self.assertEqual(data["error"], "validation")

    def test_code_by_sms(self):
        self.pete.phone = "+33 6 22 33 44 55"
        self.pete.action_booking_mark_verified()
        response, _data = self.api("POST", "/pages/test-salon/session", {"phone": "06 22 33 44 55"})
        self.assertEqual(response.status_code, 202)
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", self.pete.id)])
        self.assertEqual(sms.number, "+33622334455")
        self.assertRegex(sms.body, r"^\d{6} is your Test Salon code")

    def test_expired_forged_revoked_and_missing_tokens_are_refused(self):
        self._booking_for(self.pete)
        token = self.sign_in(self.pete)
        session_id, partner_id, expiry, signature = token.split(".")
        forged = [
            f"{session_id}.{self.paula.id}.{expiry}.{signature}",  # another customer
            f"{session_id}.{partner_id}.{int(expiry) + 3600}.{signature}",  # longer life
            f"{session_id}.{partner_id}.{expiry}.{'0' * len(signature)}",
            "not-a-token",
            "",
        ]
        for bad in forged:
            with self.subTest(token=bad):
                response, data = self.api("GET", "/me/bookings", token=bad)
                self.assertEqual((response.status_code, data["error"]), (401, "unauthorized"))
                self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        response, _data = self.api("GET", "/me/bookings")
        self.assertEqual(response.status_code, 401)
        with freeze_time(datetime.now() + timedelta(hours=1, minutes=1)):  # tokens live one hour
            response, _data = self.api("GET", "/me/bookings", token=token)
        self.assertEqual(response.status_code, 401, "expired")
        response, _data = self.api("DELETE", "/me/session", token=token)
        self.assertEqual(response.status_code, 204)
        response, _data = self.api("GET", "/me/bookings", token=token)
        self.assertEqual(response.status_code, 401, "revoked")


@tagged("post_install", "-at_install")
class TestSelfServiceRules(PortalCase):
    """Cancel and reschedule at the policy's limits, the same in the portal and the API."""

    def test_cancel_limit_both_ways_in_portal_and_api(self):
        self.policy.cancel_limit_hours = 24
        portal = self._booking_for(self.paula, hour=10)
        api = self._booking_for(self.pete, hour=14)
        token = self.sign_in(self.pete)
        for appointment in (portal, api):
            with freeze_time(appointment.start - timedelta(hours=24)):
                self.assertFalse(appointment._get_cancel_preview()["allowed"])
        # at the limit: refused in both, with the same reason
        with freeze_time(api.start - timedelta(hours=24)):
            response, data = self.api("PATCH", f"/me/bookings/{api.id}", {"action": "cancel"}, token=token)
        self.assertEqual((response.status_code, data["error"]), (409, "policy_limit"))
        self.assertEqual(api.state, "confirmed")
        self.authenticate("portal_one", "portal_one")
        with freeze_time(portal.start - timedelta(hours=24)):
            page = self.url_open(portal.get_portal_url(suffix="/cancel")).text
        refused = html.fromstring(page).xpath("//*[hasclass('o_booking_cancel_refused')]")[0].text_content()
        self.assertIn("Online cancellation closed", refused)
        self.assertIn("Online cancellation closed", data["message"])
        # a minute before the limit: allowed, refund shown first, then done
        with freeze_time(portal.start - timedelta(hours=24, minutes=1)):
            page = html.fromstring(self.url_open(portal.get_portal_url(suffix="/cancel")).content)
            self.assertEqual(page.xpath("//*[hasclass('o_booking_refund_preview')]/@data-amount"), ["40.0"])
            self.url_open(portal.get_portal_url(suffix="/cancel"), data={
                "confirm": "1", "reason": "Moving house", "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual((portal.state, portal.cancelled_by, portal.cancel_reason),
                         ("cancelled", "customer", "Moving house"))
        self.assertEqual(portal.contract_id.amount_refunded, 40.0)
        with freeze_time(api.start - timedelta(hours=24, minutes=1)):
            response, data = self.api("PATCH", f"/me/bookings/{api.id}", {"action": "cancel"}, token=token)
        self.assertEqual((response.status_code, data["booking"]["state"]), (200, "cancelled"))
        self.assertEqual(api.contract_id.amount_refunded, 40.0)

    def test_portal_and_api_give_the_same_answers(self):
        appointment = self._booking_for(self.pete, hour=10)
        token = self.sign_in(self.pete)
        for when, expected_refund in (("2025-06-01 07:00:00", 40.0), (self.at(6), 20.0)):  # 25 h and 4 h before
            with self.subTest(when=when), freeze_time(when):
                _response, data = self.api("GET", f"/me/bookings/{appointment.id}", token=token)
                page = html.fromstring(self.url_open(appointment.get_portal_url(suffix="/cancel")).content)
                portal_amount = float(page.xpath("//*[hasclass('o_booking_refund_preview')]/@data-amount")[0])
                self.assertEqual(data["booking"]["cancel"]["refund_amount"], expected_refund)
                self.assertEqual(portal_amount, expected_refund)
                preview = appointment._get_cancel_preview()
                self.assertEqual((data["booking"]["cancel"]["allowed"], data["booking"]["cancel"]["refund_percent"]),
                                 (preview["allowed"], preview["refund_percent"]))

    def test_reschedule_limit_both_ways_and_the_deposit_stays(self):
        self.policy.reschedule_limit_hours = 2
        appointment = self._booking_for(self.pete, hour=10)
        token = self.sign_in(self.pete)
        deposit = appointment.contract_id.transaction_ids
        new_start = self.at(14).strftime("%Y-%m-%dT%H:%M:%SZ")
        with freeze_time(appointment.start - timedelta(hours=2)):
            response, data = self.api("PATCH", f"/me/bookings/{appointment.id}",
                                      {"action": "reschedule", "start": new_start}, token=token)
        self.assertEqual((response.status_code, data["error"]), (409, "policy_limit"))
        with freeze_time(appointment.start - timedelta(hours=2, minutes=1)):
            response, data = self.api("PATCH", f"/me/bookings/{appointment.id}",
                                      {"action": "reschedule", "start": new_start}, token=token)
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual((appointment.start, appointment.provider_id, appointment.state),
                         (self.at(14), self.provider_a, "confirmed"))
        self.assertEqual(appointment.contract_id.transaction_ids, deposit)
        self.assertEqual(appointment.contract_id.amount_deposit_paid, 40.0, "the deposit moves with it")
        self.assertIn("Moved from", str(appointment.message_ids[:3].mapped("body")))

    def test_reschedule_through_the_portal_and_a_taken_time(self):
        appointment = self._booking_for(self.paula, hour=10)
        self.authenticate("portal_one", "portal_one")
        with freeze_time(NOW):
            page = html.fromstring(self.url_open(appointment.get_portal_url(
                suffix="/reschedule", query_string="&date=2025-06-02")).content)
            times = page.xpath("//*[hasclass('o_booking_reschedule_time')]/@data-start")
            self.assertIn("2025-06-02 07:00:00", times, "9:00 Paris is free")
            self.assertIn("2025-06-02 09:00:00", times, "11:00 too: its own time does not block it")
            # choosing a time only asks to confirm the move
            page = html.fromstring(self.url_open(appointment.get_portal_url(
                suffix="/reschedule", query_string="&start=2025-06-02+07:00:00")).content)
            self.assertTrue(page.xpath("//*[hasclass('o_booking_reschedule_confirm')]"))
            self.assertEqual(appointment.start, self.at(10), "nothing moved before the confirmation")
            # without the confirmation, a POST moves nothing either
            self.url_open(appointment.get_portal_url(suffix="/reschedule"), data={
                "start": "2025-06-02 07:00:00", "csrf_token": http.Request.csrf_token(self)})
            self.assertEqual(appointment.start, self.at(10))
            # someone takes 9:00 with Alice while the customer looks at the page
            self._book(self.at(9), provider=self.provider_a, partner_id=self.customer.id)
            self.url_open(appointment.get_portal_url(suffix="/reschedule"), data={
                "start": "2025-06-02 07:00:00", "confirm": "1", "csrf_token": http.Request.csrf_token(self)})
            self.assertEqual(appointment.start, self.at(10), "the original booking is intact")
            self.url_open(appointment.get_portal_url(suffix="/reschedule"), data={
                "start": "2025-06-02 12:00:00", "confirm": "1", "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(appointment.start, self.at(14))

    def test_reschedule_offers_the_pages_whole_horizon_a_month_at_a_time(self):
        appointment = self._booking_for(self.paula, hour=10)
        self.authenticate("portal_one", "portal_one")

        def month(query=""):
            with freeze_time(NOW):
                page = html.fromstring(self.url_open(appointment.get_portal_url(
                    suffix="/reschedule", query_string=query)).content)
            return (page.xpath("//*[hasclass('o_booking_reschedule_month')]/@data-month"),
                    page.xpath("//a[hasclass('o_booking_reschedule_day')]/@data-date"),
                    page.xpath("//a[hasclass('o_booking_reschedule_next_month')]/@href"))

        self.assertEqual(month()[0], ["2025-06-01"], "the first month with a free time")
        self.assertEqual(month("&date=2025-07-14")[0], ["2025-07-01"], "the month of the day asked for")
        # the page books 60 days ahead: up to July 31 (Paris), far beyond four weeks
        shown, days, following = month("&month=2025-07")
        self.assertEqual(shown, ["2025-07-01"])
        self.assertEqual(days[-1], "2025-07-31")
        self.assertFalse(following, "no month after the page's horizon")
        self.assertEqual(month("&month=2025-09")[0], ["2025-07-01"], "nothing beyond the horizon")
        for garbage in ("&month=2025-13", "&month=x", "&date=2025-02-30", "&month=9999-99-99"):
            with freeze_time(NOW):
                response = self.url_open(appointment.get_portal_url(suffix="/reschedule", query_string=garbage))
            self.assertEqual(response.status_code, 200, garbage)
        # the calendar's edges: a time that the page's time zone would carry past year 9999 or before year 1
        for garbage in ("&start=9999-12-31+23:59:59", "&start=0001-01-01+00:00:00", "&date=9999-12-31",
                        "&date=0001-01-01", "&month=9999-12", "&month=0001-01"):
            with freeze_time(NOW), self.assertNoLogs(level="ERROR"):
                response = self.url_open(appointment.get_portal_url(suffix="/reschedule", query_string=garbage))
            self.assertEqual(response.status_code, 200, garbage)


@tagged("post_install", "-at_install")
class TestCheckIn(PortalCase):

    def _link(self, appointment, signature=None):
        return f"/booking/check-in/{appointment.id}/{signature or appointment._check_in_signature()}"

    def _open(self, appointment, when, signature=None, tap=True):
        """Open the link, then (``tap``) press its button: ``(status, result)`` of the last page."""
        with freeze_time(when):
            response = self.url_open(self._link(appointment, signature))
            page = html.fromstring(response.content)
            if tap and page.xpath("//button[hasclass('o_booking_check_in_button')]"):
                response = self.url_open(self._link(appointment, signature), data={"check_in": "1"})
                page = html.fromstring(response.content)
        result = page.xpath("//*[hasclass('o_booking_check_in_result')]/@data-result")
        return response.status_code, result[0] if result else None

    def test_opening_the_link_changes_nothing_the_button_checks_in(self):
        appointment = self._booking_for(self.paula, hour=10)  # Monday 10:00-11:00 Paris = 8:00-9:00 UTC
        # an e-mail scanner or an SMS preview opening the link in the window
        self.assertEqual(self._open(appointment, "2025-06-02 07:30:00", tap=False), (200, "ready"))
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(self._open(appointment, "2025-06-02 07:31:00"), (200, "checked_in"))
        self.assertEqual(appointment.state, "checked_in")
        # a forged link's POST changes nothing either, and a too-early one is refused when pressed
        other = self._booking_for(self.pete, hour=14)
        with freeze_time("2025-06-02 10:30:00"):  # 90 minutes before its 12:00 UTC start
            self.assertEqual(self.url_open(self._link(other, "forged"), data={"check_in": "1"}).status_code, 403)
            response = self.url_open(self._link(other), data={"check_in": "1"})
        self.assertEqual(html.fromstring(response.content).xpath(
            "//*[hasclass('o_booking_check_in_result')]/@data-result"), ["too_early"])
        self.assertEqual(other.state, "confirmed")

    def test_window_idempotence_and_forgeries(self):
        appointment = self._booking_for(self.paula, hour=10)  # Monday 10:00-11:00 Paris = 8:00-9:00 UTC
        other = self._booking_for(self.pete, hour=14)
        self.assertEqual(self._open(appointment, "2025-06-02 06:59:00"), (200, "too_early"))
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(self._open(appointment, "2025-06-02 07:00:00", other._check_in_signature()),
                         (403, "invalid"), "another booking's code")
        self.assertEqual(self._open(appointment, "2025-06-02 07:30:00", "forged"), (403, "invalid"))
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(self._open(appointment, "2025-06-02 07:00:00"), (200, "checked_in"))
        self.assertEqual((appointment.state, appointment.check_in_method), ("checked_in", "qr"))
        checked_at = appointment.checked_in_at
        self.assertEqual(self._open(appointment, "2025-06-02 07:10:00"), (200, "already"))
        self.assertEqual(appointment.checked_in_at, checked_at, "idempotent")
        self.assertEqual(self._open(other, "2025-06-02 13:00:00"), (200, "ended"))
        self.assertEqual(other.state, "confirmed")

    def test_staff_check_in_with_the_link(self):
        appointment = self._booking_for(self.paula, hour=10)
        self.authenticate("booking_staff", "booking_staff")
        self.assertEqual(self._open(appointment, "2025-06-02 05:00:00"), (200, "checked_in"))
        self.assertEqual(appointment.check_in_method, "staff")

    def test_qr_code_on_the_booking_page_encodes_the_link(self):
        appointment = self._booking_for(self.paula, hour=10)
        with freeze_time(NOW):
            page = html.fromstring(self.url_open(appointment.get_portal_url()).content)
        self.assertTrue(page.xpath("//img[hasclass('o_booking_qr')]/@src")[0].startswith("data:image/png;base64,"))
        self.assertTrue(appointment._check_in_url().endswith(self._link(appointment)))


@tagged("post_install", "-at_install")
class TestPortalPagesAndInvite(PortalCase):

    def test_list_filters_counter_and_payments_page(self):
        upcoming = self._booking_for(self.paula, hour=10)
        cancelled = self._booking_for(self.paula, hour=14)
        with freeze_time(NOW):
            cancelled.action_cancel(cancelled_by="customer")
        self.authenticate("portal_one", "portal_one")
        with freeze_time(NOW):
            counters = self.make_jsonrpc_request("/my/counters", {"counters": ["booking_count"]})
            self.assertEqual(counters["booking_count"], 2)
            for filterby, expected in (("upcoming", [upcoming]), ("cancelled", [cancelled]), ("past", [])):
                with self.subTest(filterby=filterby):
                    rows = html.fromstring(self.url_open(f"/my/bookings?filterby={filterby}").content).xpath(
                        "//tr[hasclass('o_booking_row')]/@data-id")
                    self.assertEqual(rows, [str(a.id) for a in expected])
        page = html.fromstring(self.url_open("/my/bookings/payments").content)
        kinds = page.xpath("//tr[hasclass('o_booking_tx_row')]/@data-kind")
        self.assertEqual(sorted(kinds), ["deposit", "deposit", "refund"])
        self.assertEqual(sorted(page.xpath("//tr[hasclass('o_booking_invoice_row')]/@data-type")),
                         ["out_invoice", "out_invoice", "out_refund"])
        # the card saved when the deposit was paid through the booking's link is that booking's only
        link_card = upcoming.contract_id.transaction_ids.token_id
        self.assertEqual(link_card.booking_only_appointment_id, upcoming)
        self.url_open(f"/my/bookings/cards/{link_card.id}/default",
                      data={"csrf_token": http.Request.csrf_token(self)})
        self.assertFalse(link_card.booking_default)
        # a card of her own (saved in Odoo's portal) she chooses for her bookings, signed in
        token = self._create_token(partner_id=self.paula.id, provider_id=self.demo_provider.id,
                                   payment_method_id=self.demo_method.id)
        self.url_open(f"/my/bookings/cards/{token.id}/default", data={"csrf_token": http.Request.csrf_token(self)})
        self.assertTrue(token.booking_default)
        self.assertTrue(token.booking_owner_verified)
        foreign = self._create_token(partner_id=self.pete.id, provider_id=self.demo_provider.id,
                                     payment_method_id=self.demo_method.id)
        self.url_open(f"/my/bookings/cards/{foreign.id}/default", data={"csrf_token": http.Request.csrf_token(self)})
        self.assertFalse(foreign.booking_default)

    def test_registration_invite_emails_the_customer(self):
        guest = self.env["res.partner"]._booking_create_guest(
            self.page, {"name": "Gus Guest", "email": "gus@example.com"})
        appointment = self._booking_for(guest, hour=10)
        url = f"/p/test-salon/booking/{appointment.id}?access_token={appointment._portal_ensure_token()}"
        self.authenticate(None, None)
        response = self.url_open(url)
        page = html.fromstring(response.content)
        self.assertTrue(page.xpath("//form[hasclass('o_booking_signup_invite')]"))
        self.assertFalse(page.xpath("//a[contains(@href, 'signup?token')]"), "no takeover link on the page")
        response = self.url_open(f"/p/test-salon/booking/{appointment.id}/invite", data={
            "access_token": appointment.access_token, "csrf_token": http.Request.csrf_token(self)})
        self.assertIn("we sent gus@example.com", response.text.lower())
        self.assertFalse(guest.user_ids, "not on the visitor's contact: on a new one holding the e-mail only")
        user = appointment.partner_id.user_ids
        self.assertEqual(len(user), 1)
        self.assertTrue(user._is_portal())
        self.assertEqual((user.partner_id.email, user.partner_id.booking_unverified), ("gus@example.com", False))
        mail = self.env["mail.mail"].sudo().search([("email_to", "=", "gus@example.com")], limit=1)
        self.assertIn("signup", mail.body_html)
        self.assertFalse(html.fromstring(self.url_open(url).content).xpath(
            "//form[hasclass('o_booking_signup_invite')]"), "offered once")
