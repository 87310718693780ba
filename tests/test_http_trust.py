"""Trust (DESIGN.md invariants 5, 8, 9): each attack of the trust issue, as an attacker sends it, refused.

Every test sends real requests to the running server and then checks that
the victim's records (contact, bookings, cards, transactions) are unchanged.
"""

import json
import re

import psycopg2
from freezegun import freeze_time
from lxml import html

from odoo import Command, http
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from ..exceptions import BookingActionRefused
from ..models.booking_appointment import CUSTOMER_EXCLUSION_CONSTRAINT
from .common import MONDAY
from .common import NOW
from .common import BookingDataMixin
from .common import BookingPaymentHttpCommon

API = "/booking/api/v1"


class TrustMixin:
    """Requests as an outsider sends them, and snapshots of what must not change."""

    def api(self, method, path, body=None, headers=None, raw=None):
        response = self.opener.request(
            method, f"{self.base_url()}{API}{path}",
            data=raw if raw is not None else (json.dumps(body) if body is not None else None),
            headers={"Content-Type": "application/json", **(headers or {})},
            allow_redirects=False, timeout=30,
        )
        try:
            return response, response.json()
        except ValueError:
            return response, None

    def booking_body(self, hour=10, service=None, customer=None, **changes):
        body = {
            "service_id": (service or self.service).id,
            "provider_id": None,
            "start": self.at(hour).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer": customer or {"name": "Gina Guest", "email": "gina@example.com"},
        }
        body.update(changes)
        return body

    @staticmethod
    def snapshot(partner):
        """What a takeover would change on a contact."""
        partner.invalidate_recordset()
        return {
            "name": partner.name, "email": partner.email, "phone": partner.phone, "mobile": partner.mobile,
            "company": partner.company_id.id, "users": partner.with_context(active_test=False).user_ids.ids,
            "appointments": partner.booking_appointment_ids.ids,
            "tokens": partner.payment_token_ids.ids,
            "transactions": partner.env["payment.transaction"].sudo().search([("partner_id", "=", partner.id)]).ids,
        }

    def sign_in(self, code_body, sms_to=None, mail_to=None):
        """Ask a code with ``code_body`` and return ``(status, data)`` of verifying the code that was sent."""
        response, data = self.api("POST", "/pages/test-salon/session", code_body)
        self.assertEqual(response.status_code, 202, data)
        code = self.last_code(sms_to=sms_to, mail_to=mail_to)
        response, data = self.api("POST", "/pages/test-salon/session/verify", {**code_body, "code": code})
        return response, data

    def last_code(self, sms_to=None, mail_to=None):
        if sms_to:
            sms = self.env["sms.sms"].sudo().search([("number", "=", sms_to)], order="id desc", limit=1)
            self.assertTrue(sms, f"no SMS to {sms_to}")
            return re.search(r"\b(\d{6})\b", sms.body).group(1)
        mail = self.env["mail.mail"].sudo().search([("email_to", "ilike", mail_to)], order="id desc", limit=1)
        self.assertTrue(mail, f"no e-mail to {mail_to}")
        return re.search(r"\b(\d{6})\b", html.fromstring(mail.body_html).text_content()).group(1)


@tagged("post_install", "-at_install")
class TestIdentityAttacks(TrustMixin, BookingPaymentHttpCommon):
    """Attacks 1, 2, 3, 5 and 6 of the trust issue: a stranger's input never acts as a customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        france = cls.env.ref("base.fr")
        cls.company.country_id = france
        cls.victim = cls.env["res.partner"].create({
            "name": "Vera Victim", "email": "vera@example.com", "phone": "+33 6 11 22 33 44", "country_id": france.id,
        })
        cls.victim_booking = cls._book_for(cls.victim, 15)
        cls.victim_card = cls.env["payment.token"].create({
            "provider_id": cls.demo_provider.id, "payment_method_id": cls.demo_method.id,
            "payment_details": "4242", "partner_id": cls.victim.id, "provider_ref": "victim-card",
            "booking_default": True, "booking_owner_verified": True,
        })

    @classmethod
    def _book_for(cls, partner, hour):
        return cls.env["booking.appointment"].create({
            "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_b.id,
            "partner_id": partner.id, "start": cls.at(hour, day=MONDAY + cls.days(1)),
        })

    # === 1. Account takeover by e-mail === #

    @freeze_time(NOW)
    def test_attack_1_victim_email_with_attacker_phone(self):
        before = self.snapshot(self.victim)
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Mallory", "email": "vera@example.com", "phone": "06 99 99 99 99"}))
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        guest = appointment.partner_id
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        self.assertNotEqual(guest, self.victim, "the booking is not filed under the victim")
        self.assertEqual(guest.booking_same_as_id, self.victim, "staff see the possible duplicate")
        self.assertEqual((guest.email, guest.phone), ("vera@example.com", "+33699999999"))
        self.assertEqual(self.snapshot(self.victim), before, "nothing written onto the victim")

        # the contact made from the attacker's input owns nothing: the attacker's own phone proves his
        # phone only (issue 22: verification belongs to a value), on a contact holding nothing else
        response, session = self.sign_in({"phone": "06 99 99 99 99"}, sms_to="+33699999999")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual((session["customer"]["email"], session["customer"]["phone"]), (None, "+33699999999"))
        self.assertFalse(self.env["booking.customer.session"].sudo().search([("partner_id", "=", guest.id)]))
        self.assertFalse(guest.booking_verified_email, "the victim's e-mail was not proved by anybody")
        response, data = self.api("GET", "/me/bookings", headers={"Authorization": f"Bearer {session['token']}"})
        self.assertEqual(data["bookings"], [], "nothing of the victim, nor of the planted contact")

        # the victim's e-mail still signs the victim in, to their own record
        self.assertFalse(self.victim_booking.partner_id.booking_unverified)
        response, session = self.sign_in({"email": "vera@example.com"}, mail_to="vera@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(session["customer"]["name"], "Vera Victim")
        self.assertEqual(self.snapshot(self.victim), before)

    # === 2. Portal account on a phone-only customer === #

    @freeze_time(NOW)
    def test_attack_2_attacker_email_with_victim_phone_then_invite(self):
        phone_only = self.env["res.partner"].create({"name": "Phil Phone", "phone": "+33 6 55 44 33 22"})
        before = self.snapshot(phone_only)
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Mallory", "email": "mallory@example.com", "phone": "+33 6 55 44 33 22"}))
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        self.assertNotEqual(appointment.partner_id, phone_only)
        self.assertEqual(appointment.partner_id.booking_same_as_id, phone_only)

        self.authenticate(None, None)
        response = self.url_open(f"/p/test-salon/booking/{appointment.id}/invite", data={
            "access_token": appointment.access_token, "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(response.status_code, 200)
        user = self.env["res.users"].sudo().search([("login", "=", "mallory@example.com")])
        account = user.partner_id
        self.assertNotIn(account, phone_only | appointment.partner_id.browse(), "an account of its own")
        self.assertEqual((account.email, account.phone), ("mallory@example.com", False),
                         "the typed e-mail only: the phone was never proved")
        self.assertEqual(appointment.partner_id, account, "the booking follows the new account")
        self.assertEqual(self.snapshot(phone_only), before, "no e-mail, no account on the phone-only customer")
        self.assertFalse(phone_only.user_ids)

    # === 3. Someone else's saved card === #

    @freeze_time(NOW)
    def test_attack_3_saved_card_behind_a_link(self):
        before = self.snapshot(self.victim)
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            service=self.service_deposit, customer={"name": "Mallory", "email": "vera@example.com"}))
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertEqual(appointment.state, "pending_payment")

        page = self.url_open(data["booking"]["confirmation_url"]).text
        self.assertIn('id="o_payment_form"', page)
        self.assertNotIn("victim-card", page)
        tree = html.fromstring(page)
        self.assertFalse(tree.xpath(f"//input[@data-payment-option-id='{self.victim_card.id}']"),
                         "the link holder is not offered the victim's card")
        self.assertFalse(tree.xpath("//input[@data-payment-option-type='token']"), "no saved card at all")

        params = {
            "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id,
            "token_id": self.victim_card.id, "amount": 40.0, "flow": "token", "tokenization_requested": False,
            "landing_route": appointment.get_portal_url(), "is_validation": False,
            "access_token": appointment.access_token,
        }
        response = self.url_open(
            f"/my/bookings/{appointment.id}/transaction/deposit",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        error = response.json().get("error")
        self.assertTrue(error, "paying with the victim's card is refused")
        self.assertIn("saved card", error["data"]["message"])
        self.assertFalse(appointment.contract_id.transaction_ids)
        # nor can anything later charge it off-session: the booking is not the victim's
        self.assertFalse(appointment.contract_id._get_token())
        self.assertEqual(self.snapshot(self.victim), before)

    @freeze_time(NOW)
    def test_attack_3_a_link_to_the_victims_own_booking_charges_no_card_of_theirs(self):
        """Even the victim's own booking: whoever holds its link is offered no saved card, and
        the default card is charged only where its owner, signed in, chose it."""
        appointment = self._book_deposit(hour=11, partner=self.victim)
        tree = html.fromstring(self.url_open(appointment.get_portal_url()).content)
        self.assertTrue(tree.xpath("//form[@id='o_payment_form']"))
        self.assertFalse(tree.xpath("//input[@data-payment-option-type='token']"))
        # a card saved through a link (not signed in) is charged for that booking only
        guest_card = self.env["payment.token"].create({
            "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id,
            "payment_details": "1111", "partner_id": self.victim.id, "provider_ref": "link-card",
        })
        self.victim_card.write({"booking_default": False})
        other = self._book_deposit(hour=14, partner=self.victim)
        self.assertEqual(other.contract_id._get_token(), self.victim_card,
                         "the newer card, saved through a link, is not charged for another booking")
        self.assertFalse(other.contract_id._get_token(booking_only=True), "nor is the owner's card by a link holder")
        self.victim_card.active = False
        self.assertFalse(other.contract_id._get_token())
        self.assertTrue(guest_card.active)

    # === 8. Two tips on one booking === #

    def test_attack_8_one_tip_per_booking_counting_payments_in_flight(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
            contract = appointment.contract_id
            params = {
                "provider_id": self.demo_provider.id, "payment_method_id": self.demo_method.id, "token_id": None,
                "amount": 10.0, "flow": "direct", "tokenization_requested": False, "is_validation": False,
                "landing_route": appointment.get_portal_url(), "access_token": appointment._portal_ensure_token(),
            }
            url = f"/my/bookings/{appointment.id}/transaction/tip"
            payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
            first = self.url_open(url, data=json.dumps(payload), headers={"Content-Type": "application/json"})
            self.assertFalse(first.json().get("error"), first.text)
            draft = contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "tip")
            self.assertEqual(draft.state, "draft", "the first tab's payment form is open")
            second = self.url_open(url, data=json.dumps(payload), headers={"Content-Type": "application/json"})
            self.assertIn("already", second.json()["error"]["data"]["message"])
            self.assertEqual(len(contract.transaction_ids.filtered(lambda tx: tx.booking_payment_kind == "tip")), 1)
            # two payments that still both arrive (a tab opened before the check): the second goes back
            self._pay(appointment, kind="tip", amount=10.0)
            self._pay(appointment, kind="tip", amount=12.0)
        self.assertEqual(contract.amount_tip, 22.0)
        self.assertEqual(contract.amount_refunded, 12.0, "the second tip is refunded in full")
        self.assertInvoicesMatch(contract)
        self.assertEqual(self.snapshot(self.victim)["transactions"], [])

    # === The review's attacks on the first version === #

    @freeze_time(NOW)
    def test_pre_hijack_of_a_new_customers_address(self):
        """An attacker books with a newcomer's e-mail and his own phone; the newcomer's code, the
        attacker's code and the invite never join them on one record."""
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Mallory", "email": "newcomer@example.com", "phone": "06 98 76 54 32"}))
        self.assertEqual(response.status_code, 201, data)
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        planted = self.env["booking.appointment"].browse(data["booking"]["id"])
        guest = planted.partner_id
        self.assertTrue(guest.booking_unverified)
        self.assertFalse(guest.booking_same_as_id, "nobody had that e-mail")
        # neither the newcomer's e-mail nor the attacker's phone signs anybody in to the planted contact:
        # each code proves its own value, on a contact holding only that value (issue 22)
        for body, target in (({"email": "newcomer@example.com"}, {"mail_to": "newcomer@example.com"}),
                             ({"phone": "06 98 76 54 32"}, {"sms_to": "+33698765432"})):
            response, session = self.sign_in(body, **target)
            self.assertEqual(response.status_code, 200, session)
            self.assertNotEqual(session["customer"]["phone"] or "", "+33698765432" if "email" in body else "")
        sessions = self.env["booking.customer.session"].sudo().search([("state", "=", "active")])
        self.assertNotIn(guest, sessions.partner_id)
        self.assertEqual(len(sessions.partner_id), 2, "two customers, one per proved value")
        self.env["res.partner"].sudo().search([("booking_verified_email", "=", "newcomer@example.com")]).write(
            {"active": False})  # (the newcomer's own claim aside, for the invitation below)
        # the attacker's invite opens an account holding the e-mail only, which only its owner can open
        self.authenticate(None, None)
        self.url_open(f"/p/test-salon/booking/{planted.id}/invite", data={
            "access_token": planted.access_token, "csrf_token": http.Request.csrf_token(self)})
        account = self.env["res.users"].sudo().search([("login", "=", "newcomer@example.com")]).partner_id
        self.assertEqual((account.phone, account.booking_unverified), (False, False))
        self.assertNotEqual(account, guest)
        # the attacker's phone signs nobody in, the newcomer's e-mail signs the newcomer in
        response, _data = self.api("POST", "/pages/test-salon/session", {"phone": "06 98 76 54 32"})
        self.assertFalse(self.env["booking.customer.session"].sudo().search([("partner_id", "=", account.id)]))
        response, session = self.sign_in({"email": "newcomer@example.com"}, mail_to="newcomer@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(session["customer"]["phone"], None)

    @freeze_time(NOW)
    def test_a_card_saved_through_a_link_stays_with_that_booking(self):
        """A stranger paying a customer's booking through its link saves their card for that booking
        only: the customer is never offered it, nor charged on it for other bookings."""
        joel = mail_new_test_user(self.env, login="joel_portal", name="Joel Portal", email="joel@example.com",
                                  groups="base.group_portal")
        self.authenticate("joel_portal", "joel_portal")
        body = self.booking_body(11, service=self.service_deposit)
        del body["customer"]
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        booking = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.authenticate(None, None)  # the stranger, holding the link
        tx = self._pay(booking)  # tokenized, as the deposit form requires
        stranger_card = tx.token_id
        self.assertEqual(stranger_card.booking_only_appointment_id, booking)
        self.assertFalse(stranger_card.booking_owner_verified)
        self.assertEqual(booking.contract_id._get_token(), stranger_card, "this booking's balance may use it")
        other = self._book_deposit(hour=14, partner=joel.partner_id)
        self.assertFalse(other.contract_id._get_token(), "not Joel's card for his other bookings")
        self.assertFalse(self.env["payment.token"].sudo()._get_available_tokens(
            self.demo_provider.ids, joel.partner_id.id), "never offered to Joel")
        self.authenticate("joel_portal", "joel_portal")
        page = html.fromstring(self.url_open(other.get_portal_url()).content)
        self.assertFalse(page.xpath("//input[@data-payment-option-type='token']"))
        response = self.url_open(f"/my/bookings/cards/{stranger_card.id}/default",
                                 data={"csrf_token": http.Request.csrf_token(self)})
        self.assertFalse(stranger_card.booking_default, "nor can he make it his default")

    @freeze_time(NOW)
    def test_tokens_and_signatures_that_cannot_be_ones(self):
        """Non-ASCII and odd tokens and signatures are wrong ones: never a 500."""
        appointment = self._book_for(self.victim, 16)
        appointment._portal_ensure_token()
        for token in ("%C3%A9", "%EF%BF%BD", "%D9%A3"):
            for url in (f"/p/test-salon/booking/{appointment.id}", f"/p/test-salon/booking/{appointment.id}/ics",
                        f"/my/bookings/{appointment.id}", f"/my/bookings/{appointment.id}/cancel",
                        f"/my/bookings/{appointment.id}/reschedule"):
                with self.subTest(url=url, token=token), self.assertNoLogs(level="ERROR"):
                    response = self.url_open(f"{url}?access_token={token}", allow_redirects=False)
                    self.assertLess(response.status_code, 500)
                    self.assertNotIn(appointment.name, response.text)
        for url in (f"/booking/check-in/{appointment.id}/%C3%A9", f"/booking/check-in/{appointment.id}/%C3%A9/qr.png",
                    f"/booking/approval/{appointment.id}/confirm/1900000000/%C3%A9"):
            with self.subTest(url=url), self.assertNoLogs(level="ERROR"):
                self.assertIn(self.url_open(url, allow_redirects=False).status_code, (403, 404))
        with self.assertNoLogs(level="ERROR"):
            response, _data = self.api("GET", "/me/bookings", headers={"Authorization": "Bearer 1.1.1.\u00e9"})
        self.assertEqual(response.status_code, 401)
        for token in (["a"], {"a": 1}, "\u00e9", 12):
            with self.subTest(token=token), self.assertNoLogs(level="ERROR"):
                response = self.url_open(
                    f"/my/bookings/{appointment.id}/transaction/deposit",
                    data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                                     "params": {"access_token": token, "amount": 40}}),
                    headers={"Content-Type": "application/json"})
                self.assertIn("access token", response.json()["error"]["data"]["message"])
        # every script's digits are not ids: Arabic-Indic 16 is not booking 16
        arabic_16 = "\u0661\u0666"
        response, _data = self.api("GET", f"/me/bookings/{arabic_16}", headers={"Authorization": "Bearer x"})
        self.assertEqual(response.status_code, 404)

    @freeze_time(NOW)
    def test_a_huge_tip_is_no_amount(self):
        appointment = self._book_for(self.victim, 16)
        self.authenticate(None, None)
        with self.assertNoLogs(level="ERROR"):
            response = self.url_open(f"/my/bookings/{appointment.id}/tip", data={
                "access_token": appointment._portal_ensure_token(), "amount": "1e308",
                "csrf_token": http.Request.csrf_token(self)})
        self.assertLess(response.status_code, 500)

    # === 5. Shared phone === #

    @freeze_time(NOW)
    def test_attack_5_shared_phone_asks_for_the_email(self):
        mother = self.env["res.partner"].create({"name": "Maria", "email": "maria@example.com",
                                                 "phone": "+33 6 77 77 77 77"})
        son = self.env["res.partner"].create({"name": "Sam", "email": "sam@example.com",
                                              "phone": "+33 6 77 77 77 77"})
        # one value is verified on one contact now (issue 22); two verified for it come from before
        # (18.0.6.0.0's migration carries them over) and are left for staff's merge
        self.assertFalse(son.booking_verified_phone)
        son.sudo().booking_verified_phone = "+33677777777"
        sms_before = self.env["sms.sms"].sudo().search_count([])
        response, data = self.api("POST", "/pages/test-salon/session", {"phone": "06 77 77 77 77"})
        self.assertEqual(response.status_code, 400, data)
        self.assertEqual(data["error"], "validation")
        self.assertIn("email", data["fields"])
        self.assertEqual(self.env["sms.sms"].sudo().search_count([]), sms_before, "no code went anywhere")
        self.assertFalse(self.env["booking.customer.session"].sudo().search([("partner_id", "in", (mother | son).ids)]))
        # with the e-mail, exactly one customer: the code goes to them only
        response, session = self.sign_in({"phone": "06 77 77 77 77", "email": "sam@example.com"},
                                         mail_to="sam@example.com")
        self.assertEqual(response.status_code, 200, session)
        self.assertEqual(session["customer"]["name"], "Sam")
        sessions = self.env["booking.customer.session"].sudo().search([("partner_id", "in", (mother | son).ids)])
        self.assertEqual(sessions.partner_id, son)
        # the phone alone never verifies a code either
        response, _data = self.api("POST", "/pages/test-salon/session/verify",
                                   {"phone": "06 77 77 77 77", "code": "123456"})
        self.assertEqual(response.status_code, 400)

    # === 6. Leak in an error; a customer of two merchants === #

    @freeze_time(NOW)
    def test_attack_6_another_companys_customer_is_never_named(self):
        other_company = self.env["res.company"].create({"name": "Other Merchant SA"})
        stranger = self.env["res.partner"].create({"name": "Otto Otherco", "email": "otto@example.com",
                                                   "company_id": other_company.id})
        before = self.snapshot(stranger)
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Someone", "email": "otto@example.com"}))
        self.assertEqual(response.status_code, 201, data)
        self.assertNotIn("Otto", response.text)
        self.assertNotIn("Other Merchant", response.text)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.env["booking.scheduler"]._cron_complete_bookings()  # the contact it may repeat: right after the answer
        self.assertEqual(appointment.partner_id.company_id, self.company, "the visitor's contact is the merchant's")
        self.assertFalse(appointment.partner_id.booking_same_as_id, "another merchant's customer is not suggested")
        self.assertEqual(self.snapshot(stranger), before)
        # a signed-in customer whose contact belongs to another merchant books here too
        customer_elsewhere = self.env["res.users"].create({
            "name": "Paul Elsewhere", "login": "paul_elsewhere", "password": "paul_elsewhere_pw",
            "company_id": other_company.id, "company_ids": [Command.set(other_company.ids)],
            "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
        })
        customer_elsewhere.partner_id.company_id = other_company
        self.authenticate("paul_elsewhere", "paul_elsewhere_pw")
        body = self.booking_body(14)
        del body["customer"]
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        self.assertNotIn("Other Merchant", response.text)


@tagged("post_install", "-at_install")
class TestCompanyIsolation(TrustMixin, BookingDataMixin, PaymentHttpCommon):
    """Attack 4: staff of one company see nothing of another's bookings on the website or the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = cls.env["res.users"].create({
            "name": "Bea Bstaff", "login": "bea_b", "password": "bea_b_password", "email": "bea@b.example.com",
            "company_id": cls.company_b.id, "company_ids": [Command.set(cls.company_b.ids)],
            "groups_id": [Command.set([cls.env.ref("base.group_user").id,
                                       cls.env.ref("self_serve_booking.group_booking_user").id])],
        })

    def test_attack_4_staff_of_another_company(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
        secret = appointment._portal_ensure_token()
        self.authenticate("bea_b", "bea_b_password")
        for url in (f"/p/test-salon/booking/{appointment.id}", f"/p/test-salon/booking/{appointment.id}/ics"):
            with self.subTest(url=url):
                response = self.url_open(url, allow_redirects=False)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("carla@example.com", response.text)
                self.assertNotIn(secret, response.text)
        response = self.url_open(f"/my/bookings/{appointment.id}", allow_redirects=False)
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("carla@example.com", response.text)
        # the QR link does not let them check the customer in either
        self.assertFalse(self.env["booking.appointment"].with_user(self.user_b).search([("id", "=", appointment.id)]))
        # their own company's staff do see it
        self.authenticate("booking_staff", "booking_staff")
        response = self.url_open(f"/p/test-salon/booking/{appointment.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(appointment.name, response.text)

    def test_unpublished_page_preview_is_for_its_own_company(self):
        self.page.is_published = False
        manager_b = self.env["res.users"].create({
            "name": "Manu Bmanager", "login": "manu_b", "password": "manu_b_password",
            "company_id": self.company_b.id, "company_ids": [Command.set(self.company_b.ids)],
            "groups_id": [Command.set([self.env.ref("self_serve_booking.group_booking_manager").id])],
        })
        self.assertTrue(manager_b)
        self.authenticate("manu_b", "manu_b_password")
        self.assertEqual(self.url_open("/p/test-salon").status_code, 404)
        self.authenticate("booking_manager", "booking_manager")
        self.assertEqual(self.url_open("/p/test-salon").status_code, 200)


@tagged("post_install", "-at_install")
class TestSignInLimits(TrustMixin, BookingDataMixin, PaymentHttpCommon):
    """Attack 8: a code dies after 5 wrong tries, whatever the detail the customer is named by."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.page.rate_limit_count = 0
        cls.env.company.country_id = cls.env.ref("base.fr")
        cls.known = cls.env["res.partner"].create({"name": "Kim Known", "email": "kim@example.com",
                                                   "phone": "+33 6 12 12 12 12"})

    @freeze_time(NOW)
    def test_code_dies_after_five_wrong_tries_across_identifiers(self):
        response, _data = self.api("POST", "/pages/test-salon/session", {"email": "kim@example.com"})
        self.assertEqual(response.status_code, 202)
        code = self.last_code(mail_to="kim@example.com")
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        identifiers = [{"email": "kim@example.com"}, {"phone": "06 12 12 12 12"}] * 3
        for identity in identifiers[:5]:
            response, data = self.api("POST", "/pages/test-salon/session/verify", {**identity, "code": wrong})
            self.assertEqual(response.status_code, 400, data)
            self.assertEqual(data["error"], "invalid_code")
        session = self.env["booking.customer.session"].sudo().search([("partner_id", "=", self.known.id)])
        self.assertEqual((session.attempt_count, session.state), (5, "revoked"))
        response, data = self.api("POST", "/pages/test-salon/session/verify",
                                  {"email": "kim@example.com", "code": code})
        self.assertEqual(response.status_code, 400, "the right code is dead too")

    @freeze_time(NOW)
    def test_code_requests_are_limited_per_address_and_merchant(self):
        """Three codes per address from one client in ten minutes, whichever page of the merchant asks."""
        second_page = self.env["booking.page"].create({
            "name": "Second Salon", "slug": "second-salon", "tz": "Europe/Paris", "is_published": True,
            "rate_limit_count": 0, "service_ids": [Command.set(self.service.ids)],
            "provider_ids": [Command.set(self.provider_a.ids)]})
        for slug in ("test-salon", "second-salon", "test-salon"):
            response, _data = self.api("POST", f"/pages/{slug}/session", {"email": "KIM@example.com"})
            self.assertEqual(response.status_code, 202)
        response, data = self.api("POST", f"/pages/{second_page.slug}/session", {"email": "kim@example.com"})
        self.assertEqual((response.status_code, data["error"]), (429, "rate_limited"))
        # the customer's phone is another address: its own budget
        response, _data = self.api("POST", "/pages/test-salon/session", {"phone": "06 12 12 12 12"})
        self.assertEqual(response.status_code, 202)
        sessions = self.env["booking.customer.session"].sudo().search([("partner_id", "=", self.known.id)])
        self.assertEqual(len(sessions), 4)
        self.assertEqual(len(sessions.filtered(lambda session: session.state == "pending")), 1,
                         "the latest code only: the earlier ones stop working")


@tagged("post_install", "-at_install")
class TestRetriesAndDuplicates(TrustMixin, BookingDataMixin, PaymentHttpCommon):
    """Attack 8 (retried bookings) and the Idempotency-Key header."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.page.rate_limit_count = 0

    def counts(self):
        return (self.env["booking.appointment"].search_count([]),
                self.env["res.partner"].with_context(active_test=False).search_count([]),
                self.env["booking.waitlist"].search_count([]))

    @freeze_time(NOW)
    def test_retried_any_available_booking_books_once(self):
        body = self.booking_body(customer={"name": "Rita Retry", "email": "rita@example.com"})
        response, first = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, first)
        before = self.counts()
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 409, data)
        self.assertEqual(data["error"], "already_booked")
        self.assertNotIn(first["booking"]["reference"], response.text, "a visitor is told nothing of the booking")
        self.assertEqual(self.counts(), before, "the other provider was not booked")
        # another person at the same time is fine (the second provider)
        response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(
            customer={"name": "Rita's friend", "email": "rita@example.com"}))
        self.assertEqual(response.status_code, 201, data)

    @freeze_time(NOW)
    def test_signed_in_customer_holds_one_time_unless_the_page_allows_more(self):
        self.authenticate("portal_one", "portal_one")
        body = self.booking_body()
        del body["customer"]
        response, first = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, first)
        response, data = self.api("POST", "/pages/test-salon/bookings", dict(body, service_id=self.service_buffered.id))
        self.assertEqual((response.status_code, data["error"]), (409, "already_booked"))
        self.assertIn(first["booking"]["reference"], data["message"], "their own booking is named to them")
        self.page.allow_overlapping_bookings = True
        response, data = self.api("POST", "/pages/test-salon/bookings", dict(body, service_id=self.service_buffered.id))
        self.assertEqual(response.status_code, 201, data)

    @freeze_time(NOW)
    def test_customer_constraint_holds_in_the_database(self):
        """Two bookings of one customer racing past the checks: PostgreSQL refuses the second."""
        Appointment = self.env["booking.appointment"]
        vals = {"page_id": self.page.id, "service_id": self.service.id, "partner_id": self.customer.id,
                "source": "website", "customer_exclusive": True}
        first = Appointment.create(dict(vals, provider_id=self.provider_a.id, start=self.at(10)))
        second = Appointment.create(dict(vals, provider_id=self.provider_b.id, start=self.at(14)))
        Appointment.flush_model()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.ExclusionViolation) as caught, \
                self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE booking_appointment SET start = %s, stop = %s, busy_start = %s, busy_stop = %s WHERE id = %s",
                [self.at(10, 30), self.at(11, 30), self.at(10, 30), self.at(11, 30), second.id])
        self.assertEqual(caught.exception.diag.constraint_name, CUSTOMER_EXCLUSION_CONSTRAINT)
        self.assertEqual(Appointment._exclusion_error(caught.exception).code, "already_booked")
        # through the ORM: the clean refusal, naming their booking
        with self.assertRaises(BookingActionRefused) as caught:
            second.write({"start": self.at(10, 30)})
        self.assertEqual(caught.exception.code, "already_booked")
        self.assertIn(first.name, str(caught.exception))
        # staff bookings are not bound by it (two services side by side at the desk)
        Appointment.create(dict(vals, provider_id=self.provider_b.id, start=self.at(10, 30), source="backend",
                                customer_exclusive=False))

    @freeze_time(NOW)
    def test_idempotency_key_replays_the_first_answer(self):
        body = self.booking_body(customer={"name": "Ida Idem", "email": "ida@example.com"})
        headers = {"Idempotency-Key": "3f1c2d9e-6a7b-4c5d-8e9f-0a1b2c3d4e5f"}
        response, first = self.api("POST", "/pages/test-salon/bookings", body, headers=headers)
        self.assertEqual(response.status_code, 201, first)
        before = self.counts()
        again, replay = self.api("POST", "/pages/test-salon/bookings", body, headers=headers)
        self.assertEqual(again.status_code, 201)
        self.assertEqual(replay, first, "the same answer, byte for byte")
        self.assertEqual(again.headers["Location"], response.headers["Location"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.counts(), before, "nothing booked twice")
        # the same key with another body: 422, nothing written
        response, data = self.api("POST", "/pages/test-salon/bookings", dict(body, note="changed"), headers=headers)
        self.assertEqual((response.status_code, data["error"]), (422, "idempotency_key_reused"))
        self.assertEqual(self.counts(), before)
        # another caller's key space: a signed-in customer with the same key books for themselves
        self.authenticate("portal_one", "portal_one")
        response, data = self.api("POST", "/pages/test-salon/bookings", {k: v for k, v in body.items()
                                                                          if k != "customer"}, headers=headers)
        self.assertEqual(response.status_code, 201, data)
        self.assertNotEqual(data["booking"]["id"], first["booking"]["id"])

    @freeze_time(NOW)
    def test_idempotency_key_refusals_are_not_kept(self):
        headers = {"Idempotency-Key": "key-for-a-bad-body-0001"}
        bad = self.booking_body(start="2026-W49-1T17:00:00Z")
        response, data = self.api("POST", "/pages/test-salon/bookings", bad, headers=headers)
        self.assertEqual(response.status_code, 400, data)
        response, data = self.api("POST", "/pages/test-salon/bookings", bad, headers=headers)
        self.assertEqual(response.status_code, 400, "validated again, not replayed")
        self.assertFalse(self.env["booking.idempotency.key"].sudo().search([("key", "=", headers["Idempotency-Key"])]))
        for key in ("short", "x" * 256, "with space inside", "ключ-ключ-ключ"):
            with self.subTest(key=key):
                response, data = self.api("POST", "/pages/test-salon/bookings", self.booking_body(),
                                          headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
                self.assertEqual(response.status_code, 400, data)
                self.assertIn("Idempotency-Key", data["fields"])

    def test_idempotency_key_lasts_24_hours(self):
        body = self.booking_body(customer={"name": "Ida Later", "email": "ida.later@example.com"})
        headers = {"Idempotency-Key": "long-lived-key-000001"}
        with freeze_time(NOW):
            response, first = self.api("POST", "/pages/test-salon/bookings", body, headers=headers)
            self.assertEqual(response.status_code, 201, first)
        with freeze_time("2025-06-02 05:00:00"):  # 19 hours later: replayed
            response, data = self.api("POST", "/pages/test-salon/bookings", body, headers=headers)
            self.assertEqual(data, first)
        with freeze_time("2025-06-02 10:30:00"):  # 24.5 hours later: a new request (the time has passed)
            response, data = self.api("POST", "/pages/test-salon/bookings", body, headers=headers)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn("start", data["fields"])

    @freeze_time(NOW)
    def test_waitlist_idempotency_and_guests(self):
        body = {"service_id": self.service.id, "date": "2025-06-03",
                "customer": {"name": "Walt Waiting", "email": "walt@example.com"}}
        headers = {"Idempotency-Key": "waitlist-key-000000001"}
        response, first = self.api("POST", "/pages/test-salon/waitlist", body, headers=headers)
        self.assertEqual(response.status_code, 201, first)
        response, again = self.api("POST", "/pages/test-salon/waitlist", body, headers=headers)
        self.assertEqual((response.status_code, again), (201, first))
        # somebody else typing one of Walt's details is somebody else's entry
        response, other = self.api("POST", "/pages/test-salon/waitlist", dict(
            body, customer={"name": "Not Walt", "email": "walt@example.com"}))
        self.assertNotEqual(other["waitlist"]["id"], first["waitlist"]["id"])
