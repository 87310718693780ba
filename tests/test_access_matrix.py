"""The access matrix (DESIGN.md invariant 10): every public method, field and route is an attack surface.

Every public method (no leading underscore) that this addon defines or
overrides, on its own models and on the core models it extends, is called
through the dispatch ``/web/dataset/call_kw`` uses (``get_public_method``
then ``odoo.api.call_kw``, with the role's environment) by eight roles: the
public user, the portal customer who owns the record, a portal stranger, an
employee without booking rights, and Booking User and Manager of the
record's company and of another company. Every field the addon defines is
written by the same roles. Each attempt runs in its own savepoint and is
rolled back; a call that returned, or a field whose stored value changed, is
a success. A success must be on the allow-list of ``access_matrix.py`` with
its reason, and an allow-listed success must still succeed; anything else
fails the test. So a new public method or field fails until it is placed.

Each method is first called as the superuser on the same record (the
*control*): a refusal for a role then means access, not a record in the
wrong state. Each field is written with a value the superuser can write.

The routes are in ``TestRouteMatrix``: the addon's routing table compared
with the allow-list, and every route asked by a stranger, over HTTP.
"""

import contextlib
import logging
import os
import re
from datetime import timedelta
from types import FunctionType

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.sql_db import Cursor
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.common import PaymentCommon

from . import access_matrix as matrix
from .common import MONDAY
from .common import NOW
from .common import PARIS
from .common import BookingDataMixin
from .common import BookingPaymentMixin

_logger = logging.getLogger(__name__)

ADDON = "self_serve_booking"
REFUSALS = (AccessError, UserError, ValidationError, MissingError, psycopg2.Error)
# written by the ORM on any write, not by anyone's choice
MAGIC = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date", "__last_update"}
NOT_PLACED = "(not placed)"
SHARED = ("res.partner", "res.users", "res.company")
WRITE_SQL = re.compile(r"^\s*(?:WITH\b.*?\)\s*)?(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


def elapsed():
    """Seconds on the wall clock, which freezegun does not freeze (``os.times``)."""
    return os.times().elapsed


def addon_public_methods(model):
    """Public methods this addon defines or overrides on ``model`` (any class of its MRO from the addon)."""
    names = set()
    for klass in type(model).__mro__[1:]:  # the first is the registry's class, built from the others
        if getattr(klass, "_module", None) != ADDON:
            continue
        names.update(name for name, value in vars(klass).items()
                     if not name.startswith("_") and isinstance(value, (FunctionType, classmethod, staticmethod)))
    return names


def addon_fields(model):
    """Fields this addon defines or extends on ``model`` (but the ORM's own columns)."""
    return {name for name, field in model._fields.items()
            if name not in MAGIC and ADDON in (getattr(field, "_modules", None) or (field._module,))}


@contextlib.contextmanager
def sql_writes():
    """Collect the INSERT/UPDATE/DELETE statements run meanwhile (to tell a read from a write)."""
    seen = []
    execute = Cursor.execute

    def spy(cr, query, params=None, log_exceptions=True):
        text = query if isinstance(query, str) else getattr(query, "code", str(query))
        if WRITE_SQL.match(text):
            seen.append(text.split("\n", 1)[0][:120])
        return execute(cr, query, params, log_exceptions)

    Cursor.execute = spy
    try:
        yield seen
    finally:
        Cursor.execute = execute


@tagged("post_install", "-at_install", "access_matrix")
class TestAccessMatrix(BookingPaymentMixin, BookingDataMixin, PaymentCommon):
    """Every public method and field of the addon, tried by every role through ``call_kw``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # code that writes through a cursor of its own (the abuse counters) writes through this one instead,
        # as under HttpCase: every try's savepoint then undoes all it wrote
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls._setup_booking_data()
        cls._setup_payment_data()
        with freeze_time(NOW - timedelta(days=1)):
            cls._setup_matrix_data()

    # === THE WORLD === #

    @classmethod
    def _setup_matrix_data(cls):
        env = cls.env
        cls.company_b = env["res.company"].create({"name": "Other Salon Ltd"})
        cls.owner_user = cls.user_portal_1
        cls.owner = cls.owner_user.partner_id
        cls.owner.write({"email": "paula@example.com", "phone": "+33611111111"})
        cls.user_portal_2.partner_id.write({"email": "pete@example.com", "phone": "+33622222222"})
        cls.user_employee = mail_new_test_user(env, login="matrix_employee", name="Eve Employee",
                                               groups="base.group_user")
        cls.user_other = mail_new_test_user(
            env, login="matrix_user_b", name="Olga Other", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")
        cls.manager_other = mail_new_test_user(
            env, login="matrix_manager_b", name="Otto Other", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_manager")
        cls.users = {
            "public": env.ref("base.public_user"),
            "portal_owner": cls.owner_user,
            "portal_stranger": cls.user_portal_2,
            "employee": cls.user_employee,
            "user": cls.user_staff,
            "manager": cls.user_manager,
            "user_other": cls.user_other,
            "manager_other": cls.manager_other,
        }
        assert set(cls.users) == set(matrix.ROLES)

        # the company's page: loyalty, reviews, a paid service
        cls.program = env["loyalty.program"].create({
            "name": "Matrix points", "program_type": "loyalty", "applies_on": "both", "trigger": "auto",
            "rule_ids": [Command.clear(), Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
            "reward_ids": [Command.clear(), Command.create({
                "reward_type": "discount", "discount_mode": "per_order", "discount": 10,
                "required_points": 100, "description": "10 EUR off"})],
        })
        cls.page.write({"loyalty_program_id": cls.program.id, "reviews_enabled": True})
        cls.card = env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.owner.id,
                                               "points": 150})
        cls.other_card = env["loyalty.card"].create({"program_id": cls.program.id,
                                                     "partner_id": cls.user_portal_2.partner_id.id, "points": 5})
        Appointment = env["booking.appointment"]
        cls.appt = cls._matrix_book(cls.at(10), cls.provider_a)
        cls.appt_pending = cls._matrix_book(cls.at(10), cls.provider_b, service=cls.service_approval,
                                            state="pending")
        cls.appt_in = cls._matrix_book(cls.at(14), cls.provider_a)
        cls.appt_done = cls._matrix_book(cls.at(9), cls.provider_b)
        with freeze_time(cls.at(14) - timedelta(minutes=5)):
            cls.appt_in.action_check_in()
        with freeze_time(cls.at(9) - timedelta(minutes=5)):
            cls.appt_done.action_check_in()
        with freeze_time(cls.at(10)):
            cls.appt_done.action_complete(charge_card=False)
            cls.appt_done._submit_review(cls.appt_done._review_signature(), 5, "Lovely")
        cls.rating = cls.appt_done._review_rating()
        # a deposit paid online, with the owner's card saved
        with freeze_time(NOW - timedelta(days=1)):
            cls.appt_paid = cls._book_deposit(cls, hour=16, partner=cls.owner)
            cls._pay(cls, cls.appt_paid)
        cls.token = env["payment.token"].search([("partner_id", "=", cls.owner.id)], limit=1)
        cls.contract = cls.appt_paid.contract_id
        # a series of two, repeated from a booking
        cls.series = env["booking.series"]._book_series(
            cls.page, cls.service, cls.provider_a, cls.at(15, day=MONDAY + timedelta(days=1)), 1, count=2,
            partner=cls.owner, source="backend", staff=True)
        if isinstance(cls.series, dict):
            cls.series = env["booking.series"].browse(cls.series["series"]["id"])
        cls.appt_series = cls.series.appointment_ids.sorted("start")[:1]
        # the waitlist: one waiting, one offered (a hold), one cancelled
        Waitlist = env["booking.waitlist"]
        wl_vals = {"page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_a.id,
                   "partner_id": cls.owner.id, "date": MONDAY + timedelta(days=2), "time_from": 9, "time_to": 12,
                   "source": "website"}
        cls.wl = Waitlist.create(wl_vals)
        cls.wl_offered = Waitlist.create(dict(wl_vals, time_from=13, time_to=17))
        slot = env["booking.availability"]._get_slots(cls.page, cls.service, MONDAY + timedelta(days=2),
                                                      MONDAY + timedelta(days=2), providers=cls.provider_a,
                                                      now=NOW)[0]
        cls.wl_offered._action_offer(slot, NOW + timedelta(days=3))
        cls.wl_cancelled = Waitlist.create(dict(wl_vals, time_from=9, time_to=10))
        cls.wl_cancelled.action_cancel()
        cls.dependant = env["booking.dependant"].create({"name": "Rex", "kind": "pet", "partner_id": cls.owner.id})
        cls.conversation = env["booking.conversation"].create({
            "page_id": cls.page.id, "channel": "sms", "partner_id": cls.owner.id, "number": "+33611111111"})
        cls.session = env["booking.customer.session"].create({
            "partner_id": cls.owner.id, "page_id": cls.page.id, "channel": "email", "state": "active",
            "expires_at": NOW + timedelta(days=2)})
        cls.notification = env["booking.notification"].search([("appointment_id", "=", cls.appt.id)], limit=1)
        cls.notification.write({"state": "failed"})
        cls.line = env["booking.appointment.line"].create({
            "appointment_id": cls.appt.id, "line_type": "addon", "name": "Hair mask", "price_unit": 15})
        cls.policy_a = env["booking.cancellation.policy"].create({
            "name": "A policy", "company_id": cls.company.id,
            "tier_ids": [Command.create({"min_notice_hours": 24, "refund_percent": 100})]})
        cls._setup_other_company()
        # a visitor's contact belongs to the page's company
        cls.twin = env["res.partner"].create({"name": "Paula P.", "email": "paula@example.com",
                                              "company_id": cls.company.id})
        if "booking.sms.opt.out" in env:  # the per-page opt-outs (trust)
            env["booking.sms.opt.out"].create({"page_id": cls.page.id, "number": "+33611111111", "keyword": "STOP"})
        cls.appt.write({"calendar_sync_state": "failed"}) if "calendar_sync_state" in Appointment._fields else None
        cls.sms = env["booking.sms"].create({
            "page_id": cls.page.id, "direction": "in", "number": "+33611111111", "body": "C",
            "partner_id": cls.owner.id, "appointment_id": cls.appt.id})
        cls.turn = env["booking.conversation.turn"].create({
            "conversation_id": cls.conversation.id, "author": "customer", "body": "Hello"})
        cls.idempotency_key = env["booking.idempotency.key"].create({
            "scope": "matrix", "key": "k1", "request_hash": "0" * 64, "created_at": NOW})
        cls.rate_limit = env["booking.rate.limit"].create({"key": "matrix", "hit_at": NOW})
        cls.serial_lock = env["booking.serial.lock"].create({"key": "matrix", "touched_at": NOW})
        bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1)
        cls.scheduler_failure = env["booking.scheduler.failure"].create({
            "job": "matrix", "res_model": "booking.appointment", "res_id": cls.appt.id, "page_id": cls.page.id,
            "problem": "a test"}) if "booking.scheduler.failure" in env else None
        cls.statement_line = env["account.bank.statement.line"].create({
            "journal_id": bank.id, "amount": 10, "payment_ref": "matrix", "date": MONDAY}) if bank else None
        # what the matrix links into relations is the newest records of each kind (candidate_values): made last,
        # so a database with demo data tries the very values one without does (another page of the company,
        # a service product anyone may invoice, someone else's meeting)
        env["booking.page"].create({"name": "Second Salon", "slug": "matrix-second", "tz": PARIS,
                                    "company_id": cls.company.id})
        env["product.product"].create({"name": "Matrix care", "type": "service", "taxes_id": [Command.clear()]})
        env["calendar.event"].create({"name": "Board meeting", "user_id": cls.user_employee.id,
                                      "start": NOW + timedelta(days=3), "stop": NOW + timedelta(days=3, hours=1)})
        env.flush_all()

    @classmethod
    def _matrix_book(cls, start, provider, service=None, **vals):
        return cls.env["booking.appointment"].create({
            "page_id": cls.page.id, "service_id": (service or cls.service).id, "provider_id": provider.id,
            "partner_id": cls.owner.id, "start": start, **vals})

    @classmethod
    def _setup_other_company(cls):
        """Company B's own page, service, provider, booking, dependant and policy: what A's staff must not link."""
        Env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company_b.ids))
        calendar_b = cls._create_calendar("B week", PARIS, range(5), [(9, 17)])
        calendar_b.company_id = cls.company_b
        cls.policy_b = Env["booking.cancellation.policy"].create({"name": "B policy", "company_id": cls.company_b.id})
        cls.service_b = Env["booking.service"].create({
            "name": "B cut", "duration_minutes": 60, "price": 70, "company_id": cls.company_b.id})
        cls.provider_b_co = Env["booking.provider"].create({
            "name": "Bea", "company_id": cls.company_b.id, "resource_calendar_id": calendar_b.id, "tz": PARIS,
            "service_ids": [Command.set(cls.service_b.ids)]})
        cls.page_b = Env["booking.page"].create({
            "name": "B salon", "slug": "b-salon", "company_id": cls.company_b.id, "tz": PARIS,
            "cancellation_policy_id": cls.policy_b.id, "service_ids": [Command.set(cls.service_b.ids)],
            "provider_ids": [Command.set(cls.provider_b_co.ids)]})
        cls.appt_b = Env["booking.appointment"].create({
            "page_id": cls.page_b.id, "service_id": cls.service_b.id, "provider_id": cls.provider_b_co.id,
            "partner_id": cls.user_portal_2.partner_id.id, "start": cls.at(11)})
        cls.dependant_b = Env["booking.dependant"].create({
            "name": "Bella", "kind": "pet", "partner_id": cls.user_portal_2.partner_id.id,
            "company_id": cls.company_b.id})

    def role_env(self, role):
        user = self.users[role]
        return self.env(user=user.id, su=False,
                        context={"lang": "en_US", "tz": PARIS, "allowed_company_ids": user.company_ids.ids})

    # === HOW TO TRY EACH METHOD === #

    def method_case(self, model, method):
        """(record, args, kwargs, when, wizard values) to try ``model.method`` with.

        A wizard (transient model) is created by the caller through ``create``
        first, with these values: that is how an attacker reaches its action.
        """
        T = self
        W = MONDAY + timedelta(days=2)
        cases = {
            ("booking.appointment", "action_approve"): (T.appt_pending,),
            ("booking.appointment", "action_decline"): (T.appt_pending,),
            ("booking.appointment", "action_open_decline_wizard"): (T.appt_pending,),
            ("booking.appointment", "action_check_in"): (T.appt, (), {}, T.at(10) - timedelta(minutes=5)),
            ("booking.appointment", "action_on_my_way"): (T.appt, (), {}, T.at(10) - timedelta(minutes=30)),
            ("booking.appointment", "action_no_show"): (T.appt, (), {}, T.at(12)),
            ("booking.appointment", "action_complete"): (T.appt_in, (), {}, T.at(15)),
            ("booking.appointment", "action_checkout_complete"): (T.appt_in, (), {}, T.at(15)),
            ("booking.appointment", "action_checkout_complete_and_charge"): (T.appt_in, (), {}, T.at(15)),
            ("booking.appointment", "action_send_receipt_by_email"): (T.appt_done, (), {}, T.at(17)),
            ("booking.appointment", "action_send_receipt_by_sms"): (T.appt_done, (), {}, T.at(17)),
            ("booking.appointment", "action_register_payment"): (T.appt_done,),
            ("booking.appointment", "action_charge_saved_card"): (T.appt_done,),
            ("booking.appointment", "action_open_checkout"): (T.appt_done,),
            ("booking.appointment", "action_view_contract"): (T.appt_paid,),
            ("booking.appointment", "action_cancel_series_following"): (T.appt_series,),
            ("booking.appointment", "message_post"): (T.appt, (), {"body": "matrix", "message_type": "comment"}),
            ("booking.appointment", "create"): (T.appt.browse(), ({
                "page_id": T.page.id, "service_id": T.service.id, "provider_id": T.provider_b.id,
                "partner_id": T.owner.id, "start": T.at(15)},)),
            ("booking.appointment.line", "create"): (T.line.browse(), ({
                "appointment_id": T.appt.id, "line_type": "discount", "name": "Points",
                "loyalty_card_id": T.card.id, "loyalty_points_used": 100000, "price_unit": 0},)),
            ("booking.dependant", "create"): (T.dependant.browse(), ({
                "name": "Tom", "kind": "pet", "partner_id": T.owner.id},)),
            ("booking.page", "create"): (T.page.browse(), ({"name": "Matrix page", "slug": "matrix-page",
                                                             "company_id": T.company.id},)),
            ("booking.page", "copy_data"): (T.page,),
            ("booking.notification.rule", "create"): (T.page.notification_rule_ids.browse(), ({
                "page_id": T.page.id, "event": "reminder", "channel": "email"},)),
            ("booking.notification.rule", "unlink"): (T.page.notification_rule_ids.filtered(
                lambda rule: rule.event == "rebook_reminder")[:1],),
            ("booking.waitlist", "create"): (T.wl.browse(), ({
                "page_id": T.page.id, "service_id": T.service.id, "partner_id": T.owner.id, "date": W,
                "company_id": T.company.id},)),
            ("booking.waitlist", "action_accept_offer"): (T.wl_offered,),
            ("booking.waitlist", "action_decline_offer"): (T.wl_offered,),
            ("booking.waitlist", "action_book"): (T.wl_offered,),
            ("booking.waitlist", "action_reopen"): (T.wl_cancelled,),
            ("payment.token", "create"): (T.token.browse(), ({
                "provider_id": T.demo_provider.id, "payment_method_id": T.demo_method.id,
                "payment_details": "4242", "partner_id": T.owner.id, "provider_ref": "matrix",
                "booking_owner_verified": True},)),
            ("res.partner", "action_booking_merge_same_as"): (T.twin,),
            ("res.partner", "create"): (T.owner.browse(), ({
                "name": "Mallory", "email": "paula@example.com", "phone": "+33611111111"},)),
            ("rating.rating", "create"): (T.rating.browse(), ({
                "res_model_id": T.env["ir.model"]._get_id("booking.appointment"), "res_id": T.appt.id,
                "partner_id": T.owner.id, "rating": 5, "feedback": "Best salon ever", "consumed": True},)),
            ("res.users", "signup"): (T.owner_user, ({"login": "mallory@example.com", "name": "Mallory",
                                                                "password": "Mallory-2025!"},)),
            ("res.partner", "action_booking_mark_verified"): (T.twin,),
            ("booking.appointment.reason.wizard", "action_apply"): (None, (), {}, None, {
                "appointment_ids": [Command.set(T.appt_pending.ids)], "action": "decline", "reason": "x"}),
            ("booking.assistant", "action_search"): (None, (), {}, None, {
                "page_id": T.page.id, "service_id": T.service.id, "date": MONDAY, "partner_id": T.owner.id}),
            ("booking.assistant", "action_book_walk_in"): (None, (), {}, T.at(13), {
                "page_id": T.page.id, "service_id": T.service.id, "date": MONDAY, "partner_id": T.owner.id,
                "provider_id": T.provider_b.id}),
            ("booking.assistant.slot", "action_book"): (None, (), {}, None, {
                "wizard_id": None, "start": T.at(16), "stop": T.at(17), "provider_id": T.provider_b.id}),
            ("booking.checkout", "action_confirm"): (None, (), {}, None, {
                "appointment_id": T.appt_in.id, "pay_with": "cash", "receipt": "print"}),
            ("booking.time.off", "action_confirm"): (None, (), {}, None, {
                "provider_id": T.provider_b.id, "name": "Matrix", "date_from": T.at(12, day=MONDAY + timedelta(days=1)),
                "date_to": T.at(13, day=MONDAY + timedelta(days=1))}),
            ("booking.on.my.way", "action_send"): (None, (), {}, T.at(10) - timedelta(minutes=30), {
                "appointment_id": T.appt.id, "minutes": "20"}),
            ("booking.counter.payment", "action_confirm"): (None, (), {}, None, {
                "appointment_id": T.appt_done.id, "kind": "balance", "amount": 10}),
            ("booking.refund.wizard", "action_refund"): (None, (), {}, None, {
                "contract_id": T.contract.id, "amount": 10, "reason": "x"}),
            ("booking.assistant", "action_book_start"): (None, (), {}, T.at(12), {
                "page_id": T.page.id, "service_id": T.service.id, "date": MONDAY, "partner_id": T.owner.id,
                "provider_id": T.provider_b.id, "start": T.at(13)}),
            ("booking.day.sheet", "get_day_sheet"): (T.page.browse(), (), {"page_id": T.page.id, "day": "2025-06-02"}),
            ("booking.series.wizard", "action_book"): (None, (), {}, None, {
                "appointment_id": T.appt.id, "end_type": "count", "count": 2, "interval_weeks": 1}),
        }
        if (model, method) not in cases and self.env[model]._transient and model in self._setup_wizards():
            # a step of the guided setup, opened by the caller on the company's page
            cases[(model, method)] = (None, (), {}, None, {"page_id": T.page.id})
        case = cases.get((model, method)) or (self.default_record(model),)
        record, args, kwargs, when, wizard = tuple(case) + (None, (), {}, None, None)[len(case):]
        return record, args, kwargs, when, wizard

    def _setup_wizards(self):
        return [name for name in self.env.registry if name.startswith("booking.setup.")
                and not name.endswith(".line") and not self.env[name]._abstract]

    def default_record(self, model):
        return {
            "booking.appointment": self.appt,
            "booking.appointment.line": self.line,
            "booking.waitlist": self.wl,
            "booking.series": self.series,
            "booking.dependant": self.dependant,
            "booking.conversation": self.conversation,
            "booking.conversation.turn": self.turn,
            "booking.customer.session": self.session,
            "booking.notification": self.notification,
            "booking.notification.rule": self.page.notification_rule_ids[:1],
            "booking.page": self.page,
            "booking.service": self.service,
            "booking.provider": self.provider_a,
            "booking.cancellation.policy": self.policy_a,
            "booking.cancellation.policy.tier": self.policy_a.tier_ids[:1],
            "booking.payment.contract": self.contract,
            "booking.sms": self.sms,
            "payment.token": self.token,
            "payment.transaction": self.contract.transaction_ids[:1],
            "account.move": self.contract.invoice_ids[:1],
            "account.payment": self.contract.transaction_ids.payment_id[:1],
            "account.bank.statement.line": self.statement_line or self.env["account.bank.statement.line"],
            "booking.idempotency.key": self.idempotency_key,
            "booking.scheduler.failure": self.scheduler_failure,
            "booking.rate.limit": self.rate_limit,
            "booking.serial.lock": self.serial_lock,
            "rating.rating": self.rating,
            "res.partner": self.owner,
            "res.users": self.owner_user,
            "chatbot.script": self.env["chatbot.script"].search([], limit=1),
        }.get(model, self.env[model].search([], limit=1))

    # === ONE ATTEMPT === #

    @staticmethod
    def advice(entry):
        """What the allow-list says of an unexpected success."""
        if entry.why == NOT_PLACED:
            return "refuse it, or allow-list it with why in tests/access_matrix.py"
        return entry.note()

    def attempt(self, env, model, method, record, args, kwargs, wizard=None):
        """Call ``model.method`` as ``env``'s user through call_kw's dispatch.

        :return: ``(outcome, detail, writes)``: "ok", "refused" or "error"
            (a crash: a 500 over RPC, nothing written), a short text, and the
            INSERT/UPDATE/DELETE statements a success ran.
        """
        with contextlib.closing(self.env.cr.savepoint()), mute_logger("odoo.sql_db"), sql_writes() as writes:
            return self._attempt(env, model, method, record, args, kwargs, wizard, writes)

    def _attempt(self, env, model, method, record, args, kwargs, wizard, writes):
        """One call through the dispatch (see ``attempt``), in the caller's savepoint."""
        try:
            Model = env[model]
            if wizard is not None:
                values = dict(wizard)
                if "wizard_id" in values and values["wizard_id"] is None:
                    values["wizard_id"] = call_kw(env["booking.assistant"], "create", [{
                        "page_id": self.page.id, "service_id": self.service.id, "date": MONDAY,
                        "partner_id": self.owner.id}], {})
                get_public_method(Model, "create")
                ids = [call_kw(Model, "create", [values], {})]
            else:
                ids = record.ids
            get_public_method(Model, method)
            api_kind = getattr(getattr(Model, method), "_api", None)
            call_args = list(args) if api_kind else [ids, *args]
            result = call_kw(Model, method, call_args, dict(kwargs, context=env.context))
            env.flush_all()
        except REFUSALS as error:
            if env.su:
                _logger.debug("control of %s.%s refused", model, method, exc_info=True)
            first_line = str(error).splitlines()[0][:100] if str(error) else ""
            return "refused", f"{type(error).__name__}: {first_line}", []
        except Exception as error:
            return "error", f"{type(error).__name__}: {str(error)[:100]}", []
        return "ok", repr(result)[:80], list(writes)

    def test_methods(self):
        """Each public method: refused for every role not on its allow-list, and the allowed ones still succeed."""
        started = elapsed()
        problems, covered, unexercised, models_covered = [], 0, [], set()
        report = []
        for model_name in sorted(self.env.registry):
            Model = self.env[model_name]
            methods = addon_public_methods(Model)
            if Model._abstract:
                # an abstract model has no records: only its @api.model methods can be called
                methods = {m for m in methods if getattr(getattr(Model, m), "_api", None) == "model"}
            policy = matrix.METHODS.get(model_name, {})
            for method in sorted(methods):
                if method == "write":
                    continue  # the field matrix writes every field as every role
                covered += 1
                models_covered.add(model_name)
                entry = policy.get(method)
                if entry is None:
                    problems.append(f"{model_name}.{method}: not placed in access_matrix.METHODS")
                    entry = matrix.Refused(NOT_PLACED)
                record, args, kwargs, when, wizard = self.method_case(model_name, method)
                model_api = getattr(getattr(Model, method), "_api", None)
                if record is not None and not record and not model_api and wizard is None:
                    problems.append(f"{model_name}.{method}: no record to try it on (add one to the matrix's world)")
                    continue
                method_started = elapsed()
                with freeze_time(when or NOW):
                    control = self.attempt(self.env, model_name, method, record, args, kwargs, wizard)
                    if control[0] != "ok" and not isinstance(entry, matrix.Private):
                        unexercised.append(f"{model_name}.{method}: {control[1]}")
                    outcomes = {role: self.attempt(self.role_env(role), model_name, method, record, args, kwargs,
                                                   wizard)
                                for role in matrix.ROLES}
                _logger.debug("access matrix: %s.%s in %.2f s", model_name, method, elapsed() - method_started)
                allowed = set(entry.who)
                for role, (outcome, detail, writes) in outcomes.items():
                    report.append(f"{model_name}.{method} {role}: {outcome} {detail}")
                    if outcome == "ok" and role not in allowed:
                        problems.append(f"{model_name}.{method}: {role} may call it ({detail}); "
                                        f"{self.advice(entry)}")
                    elif outcome != "ok" and role in allowed and control[0] == "ok":
                        problems.append(f"{model_name}.{method}: allow-listed for {role} but {detail}")
                    elif outcome == "ok" and isinstance(entry, matrix.Reads) and writes:
                        problems.append(f"{model_name}.{method}: {role} wrote {writes[:3]} (listed as read-only)")
        # an entry may name a core method the addon does not override (yet): it documents who may call it
        stale = [f"{model}.{method}" for model, methods in matrix.METHODS.items() for method in methods
                 if model not in self.env or not callable(getattr(self.env[model], method, None))]
        problems += [f"{name}: on the allow-list but no such method" for name in stale]
        _logger.info("access matrix: %d public methods of %d models x %d roles in %.1f s", covered,
                     len(models_covered), len(matrix.ROLES), elapsed() - started)
        if unexercised:
            _logger.info("access matrix: methods the superuser itself could not run on their record:\n%s",
                         "\n".join(unexercised))
        _logger.debug("access matrix methods:\n%s", "\n".join(report))
        if problems:
            self.fail(f"{len(problems)} problems:\n" + "\n".join(problems))

    # === FIELDS === #

    def field_record(self, model_name):
        """The record whose fields are written: the company's, the owner's; a wizard someone else opened."""
        Model = self.env[model_name]
        if Model._transient and model_name.startswith("booking.setup."):
            step = self.env[model_name.removesuffix(".line")].with_user(self.user_manager).create(
                {"page_id": self.page.id})
            if model_name.endswith(".line"):
                return step[self._line_field(step, model_name)][:1] or Model.browse()
            return step
        if model_name == "booking.time.off.conflict":  # a line of the time-off dialog over a booking
            return self.env["booking.time.off"].with_user(self.user_manager).create({
                "provider_id": self.appt.provider_id.id, "name": "Matrix", "date_from": self.appt.start,
                "date_to": self.appt.stop}).conflict_ids[:1]
        if Model._transient:
            for (model, _method), _case in self._wizard_cases().items():
                if model == model_name:
                    values = dict(_case)
                    if values.get("wizard_id", 0) is None:
                        values["wizard_id"] = self.env["booking.assistant"].create({
                            "page_id": self.page.id, "service_id": self.service.id, "date": MONDAY}).id
                    return Model.with_user(self.user_manager).create(values)
            return Model.browse()
        return self.default_record(model_name)

    @staticmethod
    def _line_field(step, line_model):
        return next(name for name, field in step._fields.items()
                    if field.type == "one2many" and field.comodel_name == line_model)

    def _wizard_cases(self):
        cases = {}
        for model_name in self.env.registry:
            Model = self.env[model_name]
            if not Model._transient:
                continue
            for method in addon_public_methods(Model):
                wizard = self.method_case(model_name, method)[4]
                if wizard:
                    cases[(model_name, method)] = wizard
        return cases

    def candidate_values(self, record, field):
        """Values to write into ``field`` of ``record`` (of the same company as the record, for relations)."""
        value = record[field.name]
        kind = field.type
        if (record._name, field.name) == ("booking.page", "notification_rule_ids"):
            # a rule stays on its page (no link of another page's) and a published page keeps its confirmation
            # (no clear): a manager adds one
            return [[Command.create({"event": "cancelled", "channel": "sms"})], [Command.clear()]]
        if kind == "boolean":
            return [not value]
        if kind in ("char", "text"):
            return [f"{value or ''} matrix", "+33699999999", "matrix@example.com"]
        if kind == "html":
            return ["<p>matrix</p>"]
        if kind in ("integer",):
            return [(value or 0) + 3, 1]
        if kind in ("float", "monetary"):
            return [(value or 0.0) + 3.5, 1.0]
        if kind == "selection":
            return [key for key, _label in field._description_selection(self.env) if key != value][:4]
        if kind == "date":
            return [(value or MONDAY) + timedelta(days=1)]
        if kind == "datetime":
            return [(value or NOW) + timedelta(hours=1), (value or NOW) - timedelta(days=1)]
        if kind in ("many2one", "many2many", "one2many"):
            Comodel = self.env[field.comodel_name]
            domain = [("id", "not in", value.ids)]
            if self._company_bound(Comodel):
                domain.append(("company_id", "not in", self.company_b.ids))
            others = Comodel.with_context(active_test=False).search(domain, limit=2, order="id desc")
            if kind == "many2one":
                return others.ids + ([False] if value else [])
            return [[Command.link(other.id)] for other in others[:1]] + ([[Command.clear()]] if value else [])
        if kind == "binary":
            return ["bWF0cml4"]
        if kind == "json":
            return [{"matrix": 1}]
        return []

    @staticmethod
    def _company_bound(Model):
        field = Model._fields.get("company_id")
        return bool(field and field.type == "many2one" and field.store)

    def foreign_value(self, record, field):
        """A record of the other company for a relation to a company-bound model: what no role may link."""
        if field.type not in ("many2one", "many2many", "one2many") or record._transient:
            return None  # a wizard may name anything: its action is tried with another company's records
        Comodel = self.env[field.comodel_name]
        # contacts and users are shared between companies; one2many lines belong to their parent
        if not self._company_bound(Comodel) or field.type == "one2many" or Comodel._name in SHARED:
            return None
        foreign = Comodel.with_context(active_test=False).search([("company_id", "in", self.company_b.ids)], limit=1)
        if not foreign:
            return None
        return foreign.id if field.type == "many2one" else [Command.link(foreign.id)]

    def stored_value(self, record, field):
        """The field's value as the database has it now (``record`` read fresh, as the superuser)."""
        self.env.flush_all()
        self.env.invalidate_all()
        value = record.sudo()[field.name]
        if field.type in ("many2one", "many2many", "one2many"):
            return tuple(sorted(value.ids))
        return value

    def write_attempt(self, env, record, field, value, before):
        """Write ``field`` as ``env``'s user through call_kw; whether the stored value changed from ``before``."""
        with contextlib.closing(self.env.cr.savepoint()), mute_logger("odoo.sql_db"):
            try:
                Model = env[record._name]
                get_public_method(Model, "write")
                call_kw(Model, "write", [record.ids, {field.name: value}], {"context": env.context})
                env.flush_all()
            except REFUSALS as error:
                return False, f"{type(error).__name__}"
            except Exception as error:
                return False, f"crash {type(error).__name__}: {str(error)[:80]}"
            after = self.stored_value(record, field)
            return after != before, f"{before!r} -> {after!r}"[:100]

    def test_fields(self):
        """Each field the addon defines: written by no role unless allow-listed, and the allowed ones still can."""
        started = elapsed()
        problems, report = [], []
        covered = unwritable = 0
        models_covered = set()
        with freeze_time(NOW):
            for model_name in sorted(self.env.registry):
                Model = self.env[model_name]
                names = sorted(addon_fields(Model))
                if Model._abstract or not names:
                    continue
                model_started = elapsed()
                record = self.field_record(model_name)
                policy = matrix.FIELDS.get(model_name, {})
                if not record:
                    problems.append(f"{model_name}: no record to write its fields on (add one to the matrix's world)")
                    continue
                for name in names:
                    field = Model._fields[name]
                    covered += 1
                    models_covered.add(model_name)
                    entry = policy.get(name, matrix.Refused(NOT_PLACED))
                    before = self.stored_value(record, field)
                    value = next((candidate for candidate in self.candidate_values(record, field)
                                  if self.write_attempt(self.env, record, field, candidate, before)[0]), None)
                    if value is None:
                        unwritable += 1  # not even the superuser changes it: nobody can
                        if entry.who:
                            problems.append(f"{model_name}.{name}: allow-listed, but nobody can write it")
                        continue
                    foreign = self.foreign_value(record, field)
                    if foreign is not None:
                        for role in matrix.ROLES:
                            written, detail = self.write_attempt(self.role_env(role), record, field, foreign, before)
                            if written:
                                problems.append(f"{model_name}.{name}: {role} links a record of another company "
                                                f"({detail}): check_company=True on the field")
                    for role in matrix.ROLES:
                        written, detail = self.write_attempt(self.role_env(role), record, field, value, before)
                        report.append(f"{model_name}.{name} {role}: {'WRITES' if written else 'refused'} {detail}")
                        if written and role not in entry.who:
                            problems.append(f"{model_name}.{name}: {role} writes it ({detail}); "
                                            f"{self.advice(entry)}")
                        elif not written and role in entry.who:
                            problems.append(f"{model_name}.{name}: allow-listed for {role} but {detail}")
                _logger.debug("access matrix: fields of %s in %.1f s", model_name, elapsed() - model_started)
        stale = [f"{model}.{name}" for model, names in matrix.FIELDS.items() for name in names
                 if model not in self.env or name not in addon_fields(self.env[model])]
        problems += [f"{name}: on the allow-list but no longer a field of the addon" for name in stale]
        _logger.info("access matrix: %d fields of %d models x %d roles (%d that not even the superuser can change) "
                     "in %.1f s", covered, len(models_covered), len(matrix.ROLES), unwritable, elapsed() - started)
        _logger.debug("access matrix fields:\n%s", "\n".join(report))
        if problems:
            self.fail(f"{len(problems)} problems:\n" + "\n".join(problems))


# === ROUTES === #

JSON_PREFIXES = ("/booking/api/",)
PROBE_ID = "2147483647"  # the largest id the converter takes: no record has it


@tagged("post_install", "-at_install", "access_matrix")
class TestRouteMatrix(BookingDataMixin, HttpCase):
    """Every route of the addon: placed in ``access_matrix.ROUTES``, and asked by a stranger.

    The stranger (no session, no token, no CSRF token) GETs and POSTs each
    route with the ids of a customer's real records, junk signatures and
    junk ids: never a 5xx, never a word of that customer's data, a JSON
    answer from every JSON route, and no success where the allow-list does
    not say the answer is public by design.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.victim = cls.user_portal_1.partner_id
        cls.victim.write({"name": "Vicky Victimson", "email": "vicky.victimson@example.com",
                          "phone": "+33 6 98 76 54 32"})
        with freeze_time(NOW):
            cls.appointment = cls.env["booking.appointment"].create({
                "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_a.id,
                "partner_id": cls.victim.id, "start": cls.at(10), "note": "Vicky's secret note"})
            cls.entry = cls.env["booking.waitlist"].create({
                "page_id": cls.page.id, "service_id": cls.service.id, "partner_id": cls.victim.id,
                "date": MONDAY, "source": "website"})
        cls.dependant = cls.env["booking.dependant"].create({
            "name": "Rexomatrix", "kind": "pet", "partner_id": cls.victim.id})
        # what must never reach a stranger
        cls.markers = ("Victimson", "vicky.victimson", "98 76 54 32", cls.appointment.name, "secret note",
                       "Rexomatrix")

    def addon_routes(self):
        """``{url: routing}`` of every route whose endpoint the addon defines or overrides."""
        IrHttp = self.env["ir.http"]
        modules = sorted(self.env.registry._init_modules)
        return {url: endpoint.routing
                for url, endpoint in IrHttp._generate_routing_rules(modules, converters=IrHttp._get_converters())
                if endpoint.__module__.startswith(f"odoo.addons.{ADDON}.")}

    def concrete(self, url, real):
        """``url`` with its variables filled: the page's slug, and the victim's ids (``real``) or junk ones."""
        ids = {"appointment_id": self.appointment.id, "booking_id": self.appointment.id, "entry_id": self.entry.id,
               "record_id": self.provider_a.id, "dependant_id": self.dependant.id, "token_id": 1}

        def fill(match):
            converter, name = match.group(1), match.group(2)
            if converter == "string" and name == "slug":
                return self.page.slug
            if converter == "booking_id":
                return str(ids.get(name, 1)) if real else PROBE_ID
            if converter.startswith("int"):
                return "1"
            if converter == "path":
                return "junk/path"
            return "0123456789abcdef" if name == "signature" else "junk"

        return re.sub(r"<([^:>]+):([^>]+)>", fill, url)

    def ask(self, method, path, kind):
        url = self.base_url() + path
        if kind == "json":
            return self.opener.post(url, json={"jsonrpc": "2.0", "method": "call", "params": {}}, timeout=30,
                                    allow_redirects=False)
        return self.opener.request(method, url, data={"x": "1"} if method == "POST" else None, timeout=30,
                                   allow_redirects=False)

    def test_routes(self):
        started = elapsed()
        routes = self.addon_routes()
        problems, asked = [], 0
        for url, routing in sorted(routes.items()):
            entry = matrix.ROUTES.get(url)
            actual = matrix.Route(routing.get("auth"), tuple(routing["methods"]) if routing.get("methods") else None,
                                  routing.get("csrf", True), routing.get("type"), None, None)
            if entry is None:
                problems.append(f"{url}: not placed in access_matrix.ROUTES ({actual.auth}, {actual.methods}, "
                                f"csrf={actual.csrf}, {actual.type})")
                continue
            for key in ("auth", "methods", "csrf", "type"):
                if getattr(entry, key) != getattr(actual, key):
                    problems.append(f"{url}: {key} is {getattr(actual, key)!r}, the allow-list says "
                                    f"{getattr(entry, key)!r}")
            for real in (True, False):
                path = self.concrete(url, real)
                for method in ("GET", "POST"):
                    self.opener.cookies.clear()
                    response = self.ask(method, path, actual.type)
                    asked += 1
                    where = f"{method} {path}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                    leaked = [m for m in self.markers if m in response.text]
                    if leaked:
                        problems.append(f"{where}: a stranger reads {leaked}")
                    is_json = "json" in response.headers.get("Content-Type", "")
                    if (url.startswith(JSON_PREFIXES) or actual.type == "json") and not is_json:
                        problems.append(f"{where}: {response.status_code} answered "
                                        f"{response.headers.get('Content-Type')}, not JSON")
                    succeeded = response.status_code < 300
                    if actual.type == "json" and is_json:  # JSON-RPC: errors are 200 with an "error"
                        error = response.json().get("error")
                        succeeded = not error
                        name = ((error or {}).get("data") or {}).get("name", "")
                        if error and not name.startswith(("odoo.exceptions.", "werkzeug.exceptions.")):
                            problems.append(f"{where}: a server error ({name}), not a refusal")
                    if succeeded and not entry.public:
                        problems.append(f"{where}: a stranger gets {response.status_code}; "
                                        "refuse it or mark the route public with why")
        stale = sorted(set(matrix.ROUTES) - set(routes))
        problems += [f"{url}: on the allow-list but no longer a route of the addon" for url in stale]
        _logger.info("access matrix: %d routes, %d stranger requests in %.1f s", len(routes), asked,
                     elapsed() - started)
        if problems:
            self.fail(f"{len(problems)} problems:\n" + "\n".join(problems))
