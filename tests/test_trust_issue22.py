"""Trust, issue 22: each hole of the second attack run, as the attacker used it, refused.

HTTP attacks are in ``test_http_trust_issue22.py``; here the model-level ones
(what ``call_kw`` reaches, what a payment provider reports).
"""

import importlib.util
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.common import PaymentCommon

from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import BookingDataMixin
from .common import BookingPaymentMixin
from .test_loyalty import LoyaltyMixin
from .test_payments import PaymentCase
from .test_reviews import ReviewMixin


class MoneyCase(BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.other_currency = cls.env["res.currency"].with_context(active_test=False).search(
            [("id", "!=", cls.company.currency_id.id)], limit=1)
        cls.other_currency.active = True

    def _done_tx(self, appointment, kind="deposit", contracts=None, **values):
        """A transaction of ``kind`` for ``appointment`` that the provider reports done, post-processed."""
        contracts = contracts or appointment.contract_id
        Transaction = self.env["payment.transaction"].sudo()
        link = {"booking_contract_ids": [Command.set(contracts.ids)], "booking_payment_kind": kind}
        tx = Transaction.create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "reference": Transaction._compute_reference("demo", **link),
            "amount": appointment.contract_id.amount_deposit,
            "currency_id": appointment.contract_id.currency_id.id,
            "partner_id": appointment.partner_id.id,
            "operation": "online_direct",
            **link,
            **values,
        })
        tx._handle_notification_data("demo", {"reference": tx.reference, "payment_details": "4242",
                                              "simulated_state": "done"})
        tx._post_process()
        return tx


@tagged("post_install", "-at_install")
class TestMoneyConfirmsOnlyWhatIsDue(MoneyCase):
    """Critical #1: a card check of 0.00 confirmed the booking (DESIGN.md invariant 13)."""

    @freeze_time(NOW)
    def test_a_card_check_confirms_nothing(self):
        appointment = self._book_deposit()
        tx = self._done_tx(appointment, operation="validation", amount=0.0)
        contract = appointment.contract_id
        self.assertEqual(tx.state, "done")
        self.assertEqual(appointment.state, "pending_payment", "a validation is no payment")
        self.assertFalse(contract.invoice_ids, "no 0.00 invoice")
        self.assertEqual((contract.amount_paid, contract.state), (0.0, "deposit_due"))
        self.assertFalse(contract._has_deposit_in_flight(), "nor does it hold the time for ever")
        self.assertIn("was not applied", str(appointment.message_ids[:1].body))
        # the real deposit still confirms it
        self._pay(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertInvoicesMatch(contract)

    @freeze_time(NOW)
    def test_a_card_check_of_any_amount_confirms_nothing(self):
        appointment = self._book_deposit()
        self._done_tx(appointment, operation="validation", amount=40.0)
        self.assertEqual(appointment.state, "pending_payment")
        self.assertEqual(appointment.contract_id.amount_paid, 0.0)

    @freeze_time(NOW)
    def test_a_part_of_the_deposit_paid_online_is_refunded(self):
        appointment = self._book_deposit()
        tx = self._done_tx(appointment, amount=0.01)
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "pending_payment")
        self.assertEqual(tx.child_transaction_ids.mapped("amount"), [-0.01], "the money goes back")
        self.assertEqual((contract.amount_net, contract.state), (0.0, "deposit_due"))
        self.assertTrue(appointment.activity_ids.filtered(lambda a: a.summary == "Payment not applied"))
        self.assertInvoicesMatch(contract)
        self.assertFalse(contract._has_deposit_in_flight() and contract.amount_net,
                         "a refunded part does not hold the time as if paid")

    @freeze_time(NOW)
    def test_a_deposit_in_another_currency_confirms_nothing(self):
        appointment = self._book_deposit()
        tx = self._done_tx(appointment, currency_id=self.other_currency.id)
        contract = appointment.contract_id
        self.assertEqual(appointment.state, "pending_payment")
        self.assertEqual(contract.amount_paid, 0.0, "another currency's amount is not added to this one")
        self.assertEqual(tx.child_transaction_ids.mapped("amount"), [-40.0], "refunded")
        self.assertFalse(contract.invoice_ids)

    @freeze_time(NOW)
    def test_a_transaction_of_two_bookings_confirms_neither(self):
        first = self._book_deposit(hour=10)
        second = self._book_deposit(hour=14)
        self._done_tx(first, contracts=first.contract_id | second.contract_id)
        self.assertEqual((first.state, second.state), ("pending_payment", "pending_payment"))

    def test_a_late_card_check_revives_nothing(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        with freeze_time(NOW + timedelta(minutes=20)):
            self.env["booking.scheduler"]._cron_expire_payment_holds()
            self.assertEqual(appointment.state, "expired")
            self._done_tx(appointment, operation="validation", amount=0.0)
        self.assertEqual(appointment.state, "expired")

    def test_a_balance_card_check_settles_nothing(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment, tokenize=False)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
            contract = appointment.contract_id
            self.assertEqual(contract.amount_balance_due, 60.0)
            # a provider's card check may hold any amount (some charge and void one): still no payment
            self._done_tx(appointment, kind="balance", operation="validation", amount=60.0)
        self.assertEqual((contract.amount_balance_due, contract.state), (60.0, "balance_due"))
        self.assertFalse(self.outbox(appointment, "receipt"), "no receipt for what was not paid")

    def test_a_tip_beyond_its_bound_is_refunded(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment, tokenize=False)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
            contract = appointment.contract_id
            self._pay(appointment, kind="balance", tokenize=False)
            tip = self._done_tx(appointment, kind="tip", amount=1000.0)
        self.assertEqual(contract.amount_tip, 1000.0, "the money came (and is counted as refunded)")
        self.assertEqual(tip.child_transaction_ids.mapped("amount"), [-1000.0])
        self.assertEqual(contract.amount_net, 100.0)
        self.assertInvoicesMatch(contract)


@tagged("post_install", "-at_install")
class TestRateLimitPerNetwork(BookingCommon):
    """Eight addresses of one IPv6 /64 booked eight times under a limit of five."""

    def _takes(self, clients):
        RateLimit = self.env["booking.rate.limit"].sudo()
        return [RateLimit._take_page_write(self.page, client)[0] for client in clients]

    def test_ipv6_counts_per_64_and_ipv4_per_address(self):
        self.page.write({"rate_limit_count": 5, "rate_limit_minutes": 60})
        one_64 = [f"2001:db8:1:2::{index:x}" for index in range(1, 9)]
        self.assertEqual(self._takes(one_64), [True] * 5 + [False] * 3, "one /64 is one client")
        self.assertEqual(self._takes(["2001:db8:1:3::1"]), [True], "the next /64 is another client")
        self.assertEqual(self._takes([f"192.0.2.{index}" for index in range(1, 9)]), [True] * 8,
                         "IPv4: an address is a client")
        self.assertEqual(self._takes(["::ffff:192.0.2.1"] * 5), [True] * 4 + [False],
                         "an IPv4-mapped address is that IPv4 address")
        self.assertEqual(self._takes(["user:7"] * 6), [True] * 5 + [False], "users' keys are left as they are")

    def test_the_networks_are_settings(self):
        self.page.write({"rate_limit_count": 2, "rate_limit_minutes": 60})
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("self_serve_booking.rate_limit_ipv6_prefix", "56")
        Param.set_param("self_serve_booking.rate_limit_ipv4_prefix", "24")
        self.assertEqual(self._takes(["2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1"]), [True, True, False])
        self.assertEqual(self._takes(["198.51.100.1", "198.51.100.2", "198.51.100.3"]), [True, True, False])
        Param.set_param("self_serve_booking.rate_limit_ipv6_prefix", "not a number")
        RateLimit = self.env["booking.rate.limit"]
        self.assertEqual(RateLimit._client_network("2001:db8::1"), "2001:db8::/64", "a bad setting: the default")


@tagged("post_install", "-at_install")
class TestReviewsWrittenByTheirCustomers(ReviewMixin, BookingCommon):
    """Any employee rewrote a customer's review, or created a published 5-star one (core rating access)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = mail_new_test_user(cls.env, login="plain_employee", name="Eddie Employee",
                                          groups="base.group_user")

    def call(self, user, method, *args, **kwargs):
        """``method`` of rating.rating as ``user`` calls it through /web/dataset/call_kw."""
        return call_kw(self.env(user=user)["rating.rating"], method, list(args), kwargs)

    def test_an_employee_without_booking_rights_writes_no_review(self):
        appointment = self.done_booking()
        rating = self.review(appointment, stars=2, comment="Too short")
        for vals in ({"rating": 5, "feedback": "Best salon ever"}, {"is_internal": True},
                     {"publisher_comment": "Thanks!"}, {"partner_id": self.employee.partner_id.id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.call(self.employee, "write", rating.ids, vals)
        self.assertEqual((rating.rating, rating.feedback, rating.is_internal, rating.publisher_comment),
                         (2.0, "Too short", False, False))
        with self.assertRaises(AccessError):
            self.call(self.employee, "create", {
                "res_model_id": self.env["ir.model"]._get_id("booking.appointment"), "res_id": appointment.id,
                "rating": 5, "feedback": "Amazing", "consumed": True, "is_internal": False,
                "partner_id": self.employee.partner_id.id})
        with self.assertRaises(AccessError):
            self.call(self.user_staff, "create", {
                "res_model_id": self.env["ir.model"]._get_id("booking.appointment"), "res_id": appointment.id,
                "rating": 5, "consumed": True})
        self.assertEqual(appointment.rating_ids, rating, "no review was added")

    def test_staff_answer_and_publish_but_never_change_the_customers_words(self):
        appointment = self.done_booking()
        rating = self.review(appointment, stars=2, comment="Too short")
        for vals in ({"rating": 5}, {"feedback": "Great"}, {"consumed": False}, {"res_id": appointment.id + 1}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.call(self.user_manager, "write", rating.ids, vals)
        self.assertEqual((rating.rating, rating.feedback), (2.0, "Too short"))
        with self.assertRaises(AccessError):
            self.call(self.user_staff, "unlink", rating.ids)
        self.call(self.user_staff, "write", rating.ids, {"publisher_comment": "Sorry, we will do better"})
        self.call(self.user_staff, "action_booking_unpublish", rating.ids)
        self.assertEqual((rating.publisher_comment, rating.is_internal), ("Sorry, we will do better", True))
        # another model's ratings keep Odoo's own rules
        partner_rating = self.env["rating.rating"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.customer.id})
        self.call(self.employee, "write", partner_rating.ids, {"feedback": "fine"})
        self.assertEqual(partner_rating.feedback, "fine")


@tagged("post_install", "-at_install")
class TestVerificationPerValue(BookingCommon):
    """A contact is verified for one e-mail and/or one phone; any change of it drops it (issue 22)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.fr")
        cls.employee = mail_new_test_user(cls.env, login="plain_employee_v", name="Eve Employee",
                                          groups="base.group_user")
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon SARL"})
        cls.staff_b = mail_new_test_user(
            cls.env, login="staff_b_v", name="Bea B", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")

    def _guest(self, **values):
        return self.env["res.partner"].with_user(self.env.ref("base.public_user")).sudo().create({
            "name": "Typed", "company_id": self.company.id, "booking_unverified": True, **values})

    def call(self, user, records, method, *args):
        return call_kw(self.env(user=user)[records._name], method, [records.ids, *args], {})

    def test_staff_create_verified_visitors_and_changes_not(self):
        self.assertEqual(self.customer.booking_verified_email, "carla@example.com", "the merchant's own file")
        guest = self._guest(email="gina@example.com", phone="+33611111111")
        self.assertEqual((guest.booking_verified_email, guest.booking_verified_phone), (False, False))
        admin = self.env.ref("base.user_admin")
        self.customer.with_user(admin).write({"email": "carla.new@example.com"})
        self.assertFalse(self.customer.booking_verified_email, "the backend form's change drops it")
        self.customer.with_user(admin).write({"email": "carla@example.com"})
        self.assertFalse(self.customer.booking_verified_email, "and changing it back does not restore it")
        # an import is a write like any other
        phone_customer = self.env["res.partner"].create({"name": "Pat", "phone": "+33 6 22 33 44 55"})
        self.assertEqual(phone_customer.booking_verified_phone, "+33622334455")
        self.env["res.partner"].with_user(admin).load(
            ["id", "phone"], [[phone_customer._export_rows([["id"]])[0][0], "+33 6 99 88 77 66"]])
        self.assertFalse(phone_customer.booking_verified_phone)

    def test_nobody_writes_a_verification_through_call_kw(self):
        guest = self._guest(email="gina@example.com")
        for user in (self.user_staff, self.user_manager, self.employee):
            for vals in ({"booking_verified_email": "gina@example.com"}, {"booking_unverified": False}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    self.call(user, guest, "write", vals)
        with self.assertRaises(AccessError):
            call_kw(self.env(user=self.user_staff)["res.partner"], "create",
                    [{"name": "Forged", "email": "vera@example.com", "booking_verified_email": "vera@example.com"}], {})
        self.assertEqual((guest.booking_verified_email, guest.booking_unverified), (False, True))

    def test_attack_3_only_booking_staff_of_the_company_mark_verified(self):
        guest = self._guest(email="gina@example.com", phone="+33611111111")
        for user in (self.user_portal_1, self.employee, self.staff_b):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.call(user, guest, "action_booking_mark_verified")
        self.assertEqual((guest.booking_verified_email, guest.booking_unverified), (False, True))
        self.call(self.user_staff, guest, "action_booking_mark_verified")
        self.assertEqual((guest.booking_verified_email, guest.booking_verified_phone, guest.booking_unverified),
                         ("gina@example.com", "+33611111111", False), "its current values")

    def test_one_value_is_verified_on_one_contact(self):
        twin = self._guest(email="carla@example.com")
        with self.assertRaises(UserError):
            twin.with_user(self.user_staff).action_booking_mark_verified()
        self.assertFalse(twin.booking_verified_email)
        self.assertFalse(twin._booking_claim(email="carla@example.com"), "a code proves nothing a customer holds")
        second = self.env["res.partner"].create({"name": "Carla again", "email": "carla@example.com"})
        self.assertFalse(second.booking_verified_email, "staff's second contact: left for their merge")

    def test_a_code_claims_only_the_value_it_proved(self):
        guest = self._guest(email="gina@example.com", phone="+33611111111")
        claimed = guest._booking_claim(email="gina@example.com")
        self.assertNotEqual(claimed, guest, "the typed phone next to it was proved by nobody")
        self.assertEqual((claimed.email, claimed.phone, claimed.booking_verified_email),
                         ("gina@example.com", False, "gina@example.com"))
        self.assertEqual(guest.booking_same_as_id, claimed, "staff merge them once they checked")
        lone = self._guest(email="lone@example.com")
        self.assertEqual(lone._booking_claim(email="lone@example.com"), lone)
        self.assertEqual((lone.booking_verified_email, lone.booking_unverified), ("lone@example.com", False))

    def test_an_invitations_password_link_proves_its_address(self):
        public = self.env.ref("base.public_user")
        account = self.env["res.partner"].with_user(public).sudo().create({"name": "Ivy", "email": "ivy@example.com"})
        user = self.env["res.users"].with_user(public).sudo().with_context(no_reset_password=True)\
            ._create_user_from_template({"login": "ivy@example.com", "email": "ivy@example.com",
                                         "partner_id": account.id})
        self.assertFalse(account.booking_verified_email, "an account made from a link proves nothing yet")
        account.signup_prepare(signup_type="signup")
        token = account._generate_signup_token()
        self.env["res.users"].with_user(public).sudo().signup({"password": "ivy-secret-password-1"}, token)
        self.assertEqual(account.booking_verified_email, "ivy@example.com")
        self.assertTrue(user.exists())

    def test_the_migration_carries_the_old_flag_over_per_value(self):
        portal_ok = self.user_portal_1.partner_id
        portal_ok.sudo().write({"email": "portal_one@example.com", "phone": "+33 6 00 00 00 01"})
        self.user_portal_1.login = "portal_one@example.com"
        portal_moved = self.user_portal_2.partner_id
        portal_moved.sudo().write({"email": "vera@example.com"})  # login portal_two: a changed address
        staff_made = self.env["res.partner"].create({"name": "Old", "email": "old@example.com",
                                                     "phone": "+33 6 00 00 00 02"})
        guest = self._guest(email="guest@example.com", phone="+33600000003")
        partners = portal_ok | portal_moved | staff_made | guest
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET booking_verified_email = NULL, booking_verified_phone = NULL "
                            "WHERE id IN %s", [tuple(partners.ids)])
        page = self.page
        page.write({"sms_gateway": "twilio", "twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "t",
                    "twilio_number": "+15005550006"})
        stopped = self.env["phone.blacklist"].sudo().add("+33600000009", message=f"Replied STOP to {page.name}")
        by_staff = self.env["phone.blacklist"].sudo().add("+33600000008", message="asked on the phone")
        self.env.flush_all()
        path = file_path("self_serve_booking/migrations/18.0.6.0.0/post-migration.py")
        spec = importlib.util.spec_from_file_location("ssb_migration_18_0_6_0_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.5.2.0")
        self.env.invalidate_all()
        self.assertEqual((portal_ok.booking_verified_email, portal_ok.booking_verified_phone),
                         ("portal_one@example.com", False), "an account: its login e-mail only")
        self.assertFalse(portal_moved.booking_verified_email, "an address that is not its login proves nothing")
        self.assertEqual((staff_made.booking_verified_email, staff_made.booking_verified_phone),
                         ("old@example.com", "+33600000002"))
        self.assertEqual((guest.booking_verified_email, guest.booking_verified_phone), (False, False))
        self.assertTrue(self.env["booking.sms.opt.out"]._is_opted_out(page, "+33600000009"))
        self.assertFalse(stopped.active, "the other pages text it again")
        self.assertTrue(by_staff.active, "staff's own blacklist stays")


@tagged("post_install", "-at_install")
class TestLoyaltyPointsAreNotMinted(LoyaltyMixin, PaymentCase):
    """Critical #4: any Booking User wrote loyalty fields on a bill line; a cancellation credited the card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon SAS"})
        cls.staff_b = mail_new_test_user(
            cls.env, login="staff_b_loyalty", name="Bo B", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")

    def test_a_booking_user_cannot_write_loyalty_fields(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
        card = self.env["loyalty.card"].create({"program_id": self.program.id, "partner_id": self.customer.id,
                                                "points": 150})
        Line = self.env["booking.appointment.line"]
        for user in (self.user_staff, self.user_manager, self.staff_b):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(self.env(user=user)[Line._name], "create", [{
                    "appointment_id": appointment.id, "line_type": "discount", "name": "Points",
                    "price_unit": 0.0, "loyalty_card_id": card.id, "loyalty_points_used": 100000}], {})
        line = appointment.line_ids[:1]
        for vals in ({"loyalty_card_id": card.id}, {"loyalty_points_used": 100000},
                     {"loyalty_reward_id": self.reward_5.id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                call_kw(self.env(user=self.user_manager)[Line._name], "write", [line.ids, vals], {})
        with freeze_time(NOW):
            appointment.with_user(self.user_staff).action_cancel(cancelled_by="merchant")
        self.assertEqual(card.points, 150, "nothing minted")

    def test_points_go_back_only_to_the_card_they_came_from(self):
        self.complete(self.paid_deposit_booking(hour=9))
        later = self.paid_deposit_booking(hour=10, day=MONDAY + timedelta(days=7))
        line = later._loyalty_apply_reward(self.reward_5)
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        other_card = self.env["loyalty.card"].create({"program_id": self.program.id, "partner_id": stranger.id,
                                                      "points": 0})
        line.sudo().loyalty_card_id = other_card  # what only a bug or a forged write would do
        with freeze_time(NOW):
            later._customer_cancel("Sick")
        self.assertEqual(other_card.points, 0, "no card but the customer's of this programme gets points")

    def paid_deposit_booking(self, hour=10, day=None):
        with freeze_time(NOW):
            appointment = self._book_deposit(hour=hour, day=day or MONDAY)
            self._pay(appointment)
        return appointment


@tagged("post_install", "-at_install")
class TestReceiptResend(PaymentCase):
    """A portal user called action_send_receipt_by_sms on their booking without limit (each a paid SMS)."""

    def _done(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete()
        return appointment

    def test_the_desk_only_and_once_per_few_minutes(self):
        self.customer.mobile = "+33600000001"
        appointment = self._done()
        appointment.sudo().partner_id = self.user_portal_1.partner_id
        self.user_portal_1.partner_id.mobile = "+33600000002"
        for method in ("action_send_receipt_by_sms", "action_send_receipt_by_email"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                call_kw(self.env(user=self.user_portal_1)["booking.appointment"], method, [appointment.ids], {})
        staff = self.env(user=self.user_staff)["booking.appointment"]
        with freeze_time("2025-06-02 10:00:00"):
            call_kw(staff, "action_send_receipt_by_sms", [appointment.ids], {})
            with self.assertRaisesRegex(UserError, "just sent"):
                call_kw(staff, "action_send_receipt_by_sms", [appointment.ids], {})
        queued = self.env["booking.notification"].search([("appointment_id", "=", appointment.id),
                                                          ("event", "=", "receipt"), ("channel", "=", "sms")])
        self.assertEqual(len(queued), 1)


@tagged("post_install", "-at_install")
class TestStaffMergeKeepsWhatWasProved(BookingCommon):
    """Two contacts for one value are left for staff's merge: Odoo's wizard keeps what each proved."""

    def test_merging_a_guest_into_the_customer(self):
        merger = self.env.ref("base.user_admin")  # an administrator, not the superuser: rules apply
        guest = self.env["res.partner"].with_user(self.env.ref("base.public_user")).sudo().create({
            "name": "Carla C", "email": "carla@example.com", "phone": "+33 6 12 12 12 12",
            "company_id": self.company.id, "booking_unverified": True, "booking_same_as_id": self.customer.id})
        wizard = self.env["base.partner.merge.automatic.wizard"].with_user(merger).with_context(
            active_model="res.partner", active_ids=(guest | self.customer).ids).create({})
        wizard.dst_partner_id = self.customer
        wizard.action_merge()
        self.assertFalse(guest.exists())
        self.assertEqual((self.customer.booking_unverified, self.customer.booking_verified_email),
                         (False, "carla@example.com"), "the customer is still verified for her address")
        self.assertFalse(self.customer.booking_verified_phone, "the guest's typed phone was proved by nobody")


@tagged("post_install", "-at_install")
class TestNoContextKeyOpensABill(LoyaltyMixin, PaymentCase):
    """A caller passed booking_bill_sync=True in call_kw's context and edited a checked-out bill; deleting a
    loyalty discount line kept the points spent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_loyalty()

    def test_a_checked_out_bill_stays_whatever_the_context(self):
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        with freeze_time("2025-06-02 09:00:00"):
            appointment.action_check_in()
            appointment.action_complete(charge_card=False)
        line = appointment.line_ids[:1]
        Line = self.env(user=self.user_manager, context={"booking_bill_sync": True, "booking_bill_migration": True})[
            "booking.appointment.line"]
        for method, args in (("write", [line.ids, {"price_unit": 1.0}]), ("unlink", [line.ids]),
                             ("create", [{"appointment_id": appointment.id, "line_type": "addon", "name": "Extra",
                                          "price_unit": 5.0}])):
            with self.subTest(method=method), self.assertRaises(UserError):
                call_kw(Line, method, args, {})
        self.assertEqual(appointment.line_ids, line)
        self.assertNotEqual(line.price_unit, 1.0)

    def test_removing_a_reward_from_the_bill_gives_its_points_back(self):
        with freeze_time(NOW):
            first = self._book_deposit(hour=9)
            self._pay(first)
        self.complete(first)
        card = first._loyalty_card()
        points = card.points
        with freeze_time(NOW):
            later = self._book_deposit(hour=10, day=MONDAY + timedelta(days=7))
            self._pay(later)
        later._loyalty_apply_reward(self.reward_5)
        card.invalidate_recordset(["points"])
        spent = points - card.points
        self.assertGreater(spent, 0)
        reward_lines = later.line_ids.filtered("loyalty_reward_id")
        call_kw(self.env(user=self.user_staff)["booking.appointment.line"], "unlink", [reward_lines[-1:].ids], {})
        self.assertFalse(later.line_ids.filtered("loyalty_reward_id"), "the whole reward goes")
        card.invalidate_recordset(["points"])
        self.assertEqual(card.points, points, "the points spent come back")
