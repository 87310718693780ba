import threading
import time as clock
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytz

from odoo import SUPERUSER_ID, Command, api
from odoo.tests.common import HttpCase
from odoo.tests.common import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

PARIS = "Europe/Paris"
# A Monday with no DST change nearby; tests freeze "now" on the Sunday before.
MONDAY = date(2025, 6, 2)
NOW = datetime(2025, 6, 1, 10, 0)  # Sunday 12:00 in Paris, naive UTC


def local_to_utc(day, hour, minute=0, tz=PARIS):
    """Naive UTC datetime of ``day`` at ``hour:minute`` wall-clock time in ``tz``."""
    zone = pytz.timezone(tz)
    return zone.localize(datetime.combine(day, time(hour, minute))).astimezone(pytz.utc).replace(tzinfo=None)


class BookingDataMixin:
    """A small salon: Mon-Fri 9:00-12:00 and 13:00-17:00 in Paris, two
    providers, a plain service, a buffered one, one with a deposit and one
    needing approval; staff, a manager and two portal customers."""

    @classmethod
    def _setup_booking_data(cls):
        cls.env = cls.env(context=dict(cls.env.context, mail_create_nosubscribe=True))
        cls.company = cls.env.company
        cls.calendar = cls._create_calendar("Salon week", PARIS, range(5), [(9, 12), (13, 17)])
        cls.policy = cls.env["booking.cancellation.policy"].create({
            "name": "Test policy",
            "cancel_limit_hours": 0,
            "reschedule_limit_hours": 2,
            "tier_ids": [
                Command.create({"min_notice_hours": 24, "refund_percent": 100}),
                Command.create({"min_notice_hours": 2, "refund_percent": 50}),
                Command.create({"min_notice_hours": 0, "refund_percent": 0}),
            ],
        })
        Service = cls.env["booking.service"]
        cls.service = Service.create({"name": "Cut", "duration_minutes": 60, "price": 100, "is_published": True})
        cls.service_buffered = Service.create({
            "name": "Colour",
            "duration_minutes": 30,
            "buffer_before_minutes": 15,
            "buffer_after_minutes": 15,
            "price": 80,
            "is_published": True,
        })
        cls.service_deposit = Service.create({
            "name": "Massage",
            "duration_minutes": 60,
            "price": 100,
            "deposit_type": "percent",
            "deposit_value": 40,
            "is_published": True,
        })
        cls.service_approval = Service.create({
            "name": "Consultation",
            "duration_minutes": 60,
            "price": 50,
            "requires_approval": True,
            "is_published": True,
        })
        cls.services = cls.service | cls.service_buffered | cls.service_deposit | cls.service_approval
        Provider = cls.env["booking.provider"]
        cls.provider_a = Provider.create({
            "name": "Alice",
            "resource_calendar_id": cls.calendar.id,
            "tz": PARIS,
            "service_ids": [Command.set(cls.services.ids)],
        })
        cls.provider_b = Provider.create({
            "name": "Bob",
            "resource_calendar_id": cls.calendar.id,
            "tz": PARIS,
            "service_ids": [Command.set(cls.services.ids)],
        })
        cls.page = cls.env["booking.page"].create({
            "name": "Test Salon",
            "slug": "test-salon",
            "tz": PARIS,
            "auto_confirm": False,
            "min_notice_hours": 2,
            "max_advance_days": 60,
            "cancellation_policy_id": cls.policy.id,
            "service_ids": [Command.set(cls.services.ids)],
            "provider_ids": [Command.set((cls.provider_a | cls.provider_b).ids)],
            "is_published": True,
        })
        cls.customer = cls.env["res.partner"].create({"name": "Carla Customer", "email": "carla@example.com"})

        cls.user_staff = mail_new_test_user(
            cls.env, login="booking_staff", name="Stacy Staff",
            groups="base.group_user,self_serve_booking.group_booking_user",
        )
        cls.user_manager = mail_new_test_user(
            cls.env, login="booking_manager", name="Manny Manager",
            groups="base.group_user,self_serve_booking.group_booking_manager",
        )
        cls.user_portal_1 = mail_new_test_user(cls.env, login="portal_one", name="Paula Portal",
                                               groups="base.group_portal")
        cls.user_portal_2 = mail_new_test_user(cls.env, login="portal_two", name="Pete Portal",
                                               groups="base.group_portal")

    @classmethod
    def _create_calendar(cls, name, tz, weekdays, hours):
        return cls.env["resource.calendar"].create({
            "name": name,
            "tz": tz,
            "attendance_ids": [Command.clear()] + [
                Command.create({
                    "name": f"{day}-{start}",
                    "dayofweek": str(day),
                    "hour_from": start,
                    "hour_to": end,
                    "day_period": "morning" if start < 12 else "afternoon",
                })
                for day in weekdays
                for start, end in hours
            ],
        })

    def _book(self, start, provider=None, service=None, **vals):
        """Create an appointment as the staff user would (confirmed, backend)."""
        return self.env["booking.appointment"].create({
            "page_id": self.page.id,
            "service_id": (service or self.service).id,
            "provider_id": (provider or self.provider_a).id,
            "partner_id": vals.pop("partner_id", self.customer.id),
            "start": start,
            **vals,
        })

    @staticmethod
    def at(hour, minute=0, day=MONDAY, tz=PARIS):
        return local_to_utc(day, hour, minute, tz)

    def local_times(self, slots, tz=PARIS):
        zone = pytz.timezone(tz)
        return [pytz.utc.localize(slot.start).astimezone(zone).strftime("%H:%M") for slot in slots]

    def slots(self, service=None, day=MONDAY, last=None, providers=None, now=NOW, **kw):
        return self.env["booking.availability"]._get_slots(
            self.page, service or self.service, day, last or day, providers=providers, now=now, **kw
        )

    # === NOTIFICATIONS === #

    def dispatch(self):
        """Run the outbox's scheduled action once, as the cron worker does."""
        return self.env["booking.notification"]._cron_dispatch()

    def outbox(self, record, event=None, **domain):
        field = "waitlist_id" if record._name == "booking.waitlist" else "appointment_id"
        conditions = [(field, "in", record.ids)] + [(key, "=", value) for key, value in domain.items()]
        if event:
            conditions.append(("event", "=", event))
        return self.env["booking.notification"].search(conditions)

    def sent_messages(self, record, subject):
        """Messages posted on ``record`` whose subject contains ``subject``."""
        return self.env["mail.message"].search([
            ("model", "=", record._name), ("res_id", "in", record.ids), ("subject", "ilike", subject)])

    def sent_sms(self, partner):
        return self.env["sms.sms"].sudo().search([("partner_id", "=", partner.id)])

    def assertLastMessageContains(self, record, text):
        last = record.message_ids.sorted("id")[-1:]
        self.assertIn(text, str(last.body), f"last chatter message of {record.display_name}: {last.body}")

    def waitlist_body(self):
        """A valid API waitlist request: the plain service on Tuesday, Walt's e-mail."""
        return {"service_id": self.service.id, "date": "2025-06-03",
                "customer": {"name": "Walt", "email": "walt@example.com"}}

    @staticmethod
    def days(n):
        return timedelta(days=n)


class BookingCommon(BookingDataMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()


class BookingHttpCommon(BookingDataMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()


class BookingPaymentMixin:
    """Payments with Odoo's payment_demo provider, with real accounting.

    Built on payment's ``PaymentCommon``; its patch that disables
    account_payment's post-processing is turned off, because invoices,
    payments and their reconciliation are what these tests check.
    """

    @classmethod
    def _setup_payment_data(cls):
        cls.demo_provider = cls._prepare_provider("demo")
        cls.demo_method = cls.demo_provider.payment_method_ids[:1]
        cls.page.rate_limit_count = 0

    def setUp(self):
        self.enable_post_process_patcher = False
        super().setUp()

    def _book_deposit(self, hour=10, day=MONDAY, service=None, partner=None):
        """A customer booking with a deposit, through the front desk, as the website does."""
        return self.env["booking.appointment"]._book_online(
            self.page, service or self.service_deposit, self.env["booking.provider"],
            local_to_utc(day, hour), partner=partner or self.customer, source="website",
        )

    def _pay(self, appointment, kind="deposit", amount=None, state="done", tokenize=True):
        """Pay ``kind`` of a booking through the demo provider, as its payment form does."""
        contract = appointment.contract_id
        Transaction = self.env["payment.transaction"].sudo()
        link = {"booking_contract_ids": [Command.set(contract.ids)], "booking_payment_kind": kind}
        if amount is None:
            amount = contract.amount_deposit if kind == "deposit" else contract.amount_balance_due
        tx = Transaction.create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "reference": Transaction._compute_reference("demo", **link),
            "amount": amount,
            "currency_id": contract.currency_id.id,
            "partner_id": appointment.partner_id.id,
            "operation": "online_direct",
            "tokenize": tokenize,
            **link,
        })
        tx._handle_notification_data("demo", {
            "reference": tx.reference, "payment_details": "4242", "simulated_state": state,
        })
        tx._post_process()
        return tx

    def assertInvoicesMatch(self, contract):
        """The books tell the contract's story, to the cent.

        Invoices minus credit notes minus what stays open equal the net
        charged; what stays open is the balance due (on the final invoice)
        and nothing else; every move is posted and every credit note settled.
        """
        compare = contract.currency_id.compare_amounts
        invoices = contract.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        refunds = contract.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        still_open = sum(invoices.mapped("amount_residual"))
        net = sum(invoices.mapped("amount_total")) - sum(refunds.mapped("amount_total")) - still_open
        self.assertEqual(compare(net, contract.amount_net), 0, f"invoices {net} vs contract {contract.amount_net}")
        expected_open = contract.amount_balance_due if contract.final_invoice_id else 0.0
        self.assertEqual(compare(still_open, expected_open), 0, f"open {still_open} vs due {expected_open}")
        for move in contract.invoice_ids:
            self.assertEqual(move.state, "posted")
            if move != contract.final_invoice_id or not expected_open:
                self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)


class BookingPaymentHttpCommon(BookingPaymentMixin, BookingDataMixin, PaymentHttpCommon):
    """The salon over HTTP, paid through the demo provider, published for the payment forms."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls._setup_payment_data()
        cls.demo_provider.is_published = True


def remove_committed_scenario(registry, ids):
    """Delete what a test committed through a cursor of its own (``ids`` as the tests record them).

    Two-transaction tests must commit their data for the other transaction
    to see it; this removes it, and what it produced (messages, e-mails,
    SMS, waitlist entries, appointments), in one transaction.
    """
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        appointments = env["booking.appointment"].search([("page_id", "=", ids["page"])])
        entries = env["booking.waitlist"].search([("page_id", "=", ids["page"])])
        messages = env["mail.message"].search([
            "|", "&", ("model", "=", "booking.appointment"), ("res_id", "in", appointments.ids),
            "&", ("model", "=", "booking.waitlist"), ("res_id", "in", entries.ids)])
        env["mail.mail"].search([("mail_message_id", "in", messages.ids)]).unlink()
        env["sms.sms"].search([("partner_id", "in", ids["partners"])]).unlink()
        messages.unlink()
        # time-holding appointments refuse deletion (their history must stay): not these
        cr.execute("UPDATE booking_appointment SET state = 'cancelled' WHERE page_id = %s", [ids["page"]])
        appointments.invalidate_recordset()
        appointments.unlink()
        entries.unlink()
        env["booking.page"].browse(ids["page"]).unlink()
        env["booking.provider"].browse(ids["providers"]).unlink()
        env["resource.resource"].browse(ids["resources"]).unlink()
        env["booking.service"].browse(ids["service"]).unlink()
        env["resource.calendar"].browse(ids["calendar"]).unlink()
        env["res.partner"].browse(ids["partners"]).unlink()


class TwoTransactionCase(TransactionCase):
    """Two transactions at once, through database cursors of their own.

    The data is committed through a cursor of its own (and removed at the
    end), because the test cursor's data is invisible to other transactions.
    Subclasses create it in ``_commit_scenario``.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.ids = self._commit_scenario(env)
        self.addCleanup(self._remove_scenario)

    def _commit_scenario(self, env):
        """Create the data both transactions see; return its ids (see ``remove_committed_scenario``)."""
        raise NotImplementedError

    def _remove_scenario(self):
        return remove_committed_scenario(self.registry, self.ids)

    @contextmanager
    def committed_env(self):
        """A superuser environment on a cursor of its own, committed when the block ends."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    @staticmethod
    def _create_race_page(env, name, slug, weekdays, provider_names, service_vals=None, page_vals=None):
        """``name`` hours (8:00-18:00 on ``weekdays``), a one-hour ``name`` cut, its providers and page.

        :return: the page and the scenario's ids, without partners.
        """
        calendar = env["resource.calendar"].create({
            "name": f"{name} hours", "tz": PARIS,
            "attendance_ids": [Command.clear()] + [
                Command.create({"name": str(d), "dayofweek": str(d), "hour_from": 8, "hour_to": 18})
                for d in weekdays
            ],
        })
        service = env["booking.service"].create({
            "name": f"{name} cut", "duration_minutes": 60, "price": 10, **(service_vals or {})})
        providers = env["booking.provider"].create([
            {"name": provider_name, "resource_calendar_id": calendar.id, "tz": PARIS,
             "service_ids": [Command.set(service.ids)]}
            for provider_name in provider_names
        ])
        page = env["booking.page"].create({
            "name": f"{name} page", "slug": slug, "tz": PARIS, **(page_vals or {}),
            "service_ids": [Command.set(service.ids)], "provider_ids": [Command.set(providers.ids)],
        })
        return page, {
            "calendar": calendar.id, "service": service.id, "provider": providers[0].id,
            "providers": providers.ids, "resources": providers.resource_id.ids, "page": page.id,
        }

    def _waiting_on_a_lock(self, cr, pid):
        cr.rollback()  # pg_stat_activity is a snapshot per transaction
        cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cr.fetchone()
        return bool(row and row[0] == "Lock")

    def run_blocked(self, first, second, first_commits=True, wait_message=None, check_wait=True):
        """``first(env)`` in transaction A, then ``second(env)`` in B, in a thread, while A is open.

        ``second`` commits B itself when it gets through; B is rolled back
        after it. Once B waits on a lock A holds (asserted unless
        ``check_wait`` is false), A commits (or rolls back) and the thread is
        given 30 seconds to end.

        :return: what ``first`` returned, and the thread.
        """
        cr_a = self.registry.cursor()
        # The second transaction's environment is built here: Odoo's test
        # runner holds the registry lock, which a new thread could not take.
        cr_b = self.registry.cursor()
        env_b = api.Environment(cr_b, SUPERUSER_ID, {})
        cr_b.execute("SELECT pg_backend_pid()")
        pid_b = cr_b.fetchone()[0]

        def in_b():
            try:
                second(env_b)
            finally:
                cr_b.rollback()

        try:
            result = first(api.Environment(cr_a, SUPERUSER_ID, {}))
            worker = threading.Thread(target=in_b)
            worker.start()
            with self.registry.cursor() as probe:
                deadline = clock.monotonic() + 10
                while not self._waiting_on_a_lock(probe, pid_b) and clock.monotonic() < deadline:
                    clock.sleep(0.05)
                if check_wait:
                    self.assertTrue(self._waiting_on_a_lock(probe, pid_b), wait_message)
            if first_commits:
                cr_a.commit()
            else:
                cr_a.rollback()
            worker.join(30)
            return result, worker
        finally:
            cr_a.close()
            cr_b.close()
