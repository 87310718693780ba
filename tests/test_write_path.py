"""Issue 26, the write path: what a booking and a message cost, whatever the size of the database.

- one trigger of a scheduled action per transaction, however many messages it queued;
- an index for every lookup a booking or a message makes;
- messages dispatched in batches, one bad message failing alone;
- a booking losing the race for a slot refused without writing the customer's data to the server log.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time
from lxml import etree
from lxml import html

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.base.models.ir_qweb import QWebException

from ..const import ATTEMPTS_FACTOR
from ..exceptions import SlotUnavailableError
from ..models.booking_appointment import CONFIRMED_STOP_INDEX
from ..models.booking_appointment import CUSTOMER_EXCLUSION_CONSTRAINT
from ..models.booking_appointment import EXCLUSION_CONSTRAINT
from ..models.booking_appointment_visit import VISIT_END_INDEX
from ..tools import compiled_once
from ..tools import expected_violation
from .common import MONDAY
from .common import NOW
from .common import TwoTransactionCase
from .common import local_to_utc
from .test_notifications import NotificationCase

DISPATCH = "self_serve_booking.ir_cron_dispatch_notifications"
BOOKING_QUERIES = 56  # a guest's booking in the ORM, 54 measured (the HTTP route adds its own: bench/profile_route.py)

_logger = logging.getLogger(__name__)


class WritePathCase(NotificationCase):

    def triggers(self, xmlid=DISPATCH):
        """The trigger rows of the scheduled action ``xmlid``, once the transaction is about to commit."""
        self.env.cr.flush()  # runs the precommit hooks, as a commit does
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.env.ref(xmlid).id)])

    @contextmanager
    def counting_renders(self):
        """How many times a mail template was rendered (one call renders it for many records)."""
        MailTemplate = type(self.env["mail.template"])
        calls = []
        original = MailTemplate._generate_template

        def counted(template, res_ids, *args, **kwargs):
            calls.append(len(res_ids))
            return original(template, res_ids, *args, **kwargs)

        with patch.object(MailTemplate, "_generate_template", counted):
            yield calls


@tagged("post_install", "-at_install")
class TestOneTriggerPerTransaction(WritePathCase):
    """Issue 26: every queued message wrote a trigger row and sent a NOTIFY at commit (5-6 s for 600)."""

    @freeze_time(NOW)
    def test_a_booking_triggers_the_dispatcher_once(self):
        before = self.triggers()
        appointment = self.book_online(10)
        self.assertGreater(len(self.outbox(appointment)), 1, "the booking queued several messages")
        new = self.triggers() - before
        self.assertEqual(len(new), 1, "one trigger for the whole transaction")
        self.assertLessEqual(new.call_at, NOW)
        self.assertFalse(self.triggers() - before - new, "flushing again adds nothing")

    @freeze_time(NOW)
    def test_a_job_queuing_many_reminders_triggers_once(self):
        self.page.auto_confirm = True
        appointments = self.env["booking.appointment"]
        for hour in (9, 10, 11, 13, 14, 15):
            appointments |= self._book(local_to_utc(MONDAY, hour))
        before = self.triggers()
        with freeze_time(local_to_utc(MONDAY, 8)):
            queued = self.env["booking.scheduler"]._cron_send_reminders()
        self.assertGreater(queued, 3)
        self.assertEqual(len(self.triggers() - before), 1)

    @freeze_time(NOW)
    def test_nothing_queued_nothing_triggered(self):
        appointment = self.book_online(10)
        before = self.triggers()
        self.assertEqual(appointment._notify("confirmed"), 0, "already queued")
        self.assertFalse(self.triggers() - before)

    @freeze_time(NOW)
    def test_retries_trigger_once_per_minute_they_are_due(self):
        self.book_online(10)
        before = self.triggers()
        Scheduler = self.env["booking.scheduler"]
        later = NOW + timedelta(minutes=4, seconds=20)
        for when in (later, later + timedelta(seconds=10), NOW + timedelta(minutes=8)):
            Scheduler._wake(DISPATCH, when)
        self.book_online(11)
        new = self.triggers() - before
        self.assertEqual(sorted(new.mapped("call_at")), [
            NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=8)],
            "one trigger now (the booking), one per later minute, never before a retry is due")


@tagged("post_install", "-at_install")
class TestLookupIndexes(WritePathCase):
    """Issue 26: contacts looked up on every booking by columns core does not index (75-97 ms at 100,000)."""

    def index_columns(self, table):
        self.env.cr.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(self.env.cr.fetchall())

    def assertIndexed(self, table, column, where=None):
        found = [definition for definition in self.index_columns(table).values()
                 if f"USING btree ({column}" in definition and (not where or where in definition)]
        self.assertTrue(found, f"{table}.{column} has a btree index")

    def test_contacts_are_found_by_index(self):
        self.assertIndexed("res_partner", "email_normalized")
        self.assertIndexed("res_partner", "phone_sanitized")
        self.assertIndexed("res_partner", "booking_verified_email")
        self.assertIndexed("res_partner", "booking_verified_phone")

    def test_the_dispatcher_finds_due_messages_by_index(self):
        self.assertIndexed("booking_notification", "next_attempt_at", where="pending")

    def test_the_planner_uses_them(self):
        """With sequential scans off the plan must not need one (the index is usable by the lookup's query)."""
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        for column in ("email_normalized", "phone_sanitized"):
            self.env.cr.execute(SQL("EXPLAIN SELECT id FROM res_partner WHERE %s = %s",
                                    SQL.identifier(column), "x@example.com"))
            plan = " ".join(row[0] for row in self.env.cr.fetchall())
            self.assertIn("Index", plan, column)
            self.assertNotIn("Seq Scan", plan, column)


class TestHistoryIndexes(WritePathCase):
    """Issue 26, history stays flat: the follow-up job read every done visit ever (a sequential scan of the
    history at 100,000 past appointments); it now reads the visits that ended in the last weeks, by index."""

    def test_done_visits_are_indexed_by_their_end(self):
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [VISIT_END_INDEX])
        definition = self.env.cr.fetchone()
        self.assertTrue(definition, "the index on when done visits ended exists")
        self.assertIn("COALESCE(completed_at, stop)", definition[0])
        self.assertIn("'done'", definition[0])

    def job_plans(self):
        """EXPLAIN of the follow-up job's selection of visits, sequential scans off: usable by an index?"""
        self.service.rebook_after_days = 30
        self.env.flush_all()
        queries = []
        thread = threading.current_thread()
        thread.query_hooks = [lambda cr, query, params, *rest: queries.append((query, params))]
        try:
            self.env["booking.scheduler"]._cron_send_rebook_reminders()
        finally:
            del thread.query_hooks
        selection = [(query, params) for query, params in queries if b"rebook_after_days * interval" in (
            query if isinstance(query, bytes) else query.encode())]
        self.assertEqual(len(selection), 1, "the job selects its visits in one query")
        query, params = selection[0]
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(b"EXPLAIN " + (query if isinstance(query, bytes) else query.encode()), params)
        return " ".join(row[0] for row in self.env.cr.fetchall())

    def test_the_follow_up_job_reads_recent_visits_by_index(self):
        plan = self.job_plans()
        self.assertIn(VISIT_END_INDEX, plan)
        self.assertNotIn("Seq Scan on booking_appointment", plan)

    def test_the_no_show_job_reads_confirmed_bookings_by_index(self):
        """It walked the end-time index from the oldest visit, past every done one (15 ms at 100,000)."""
        self.env.flush_all()
        queries = []
        thread = threading.current_thread()
        thread.query_hooks = [lambda cr, query, params, *rest: queries.append((query, params))]
        try:
            self.env["booking.scheduler"]._cron_mark_no_shows()
        finally:
            del thread.query_hooks
        selection = [(q, p) for q, p in queries
                     if b"no_show_grace_minutes" in (q if isinstance(q, bytes) else q.encode())]
        self.assertEqual(len(selection), 1)
        query, params = selection[0]
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(b"EXPLAIN " + (query if isinstance(query, bytes) else query.encode()), params)
        plan = " ".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn(CONFIRMED_STOP_INDEX, plan)

    @freeze_time(NOW)
    def test_the_overlap_checks_use_the_exclusion_constraints_indexes(self):
        """A booking's overlap check read the table from end to end (21.7 ms at 100,000 past appointments,
        0.5 ms through the exclusion constraint's gist index): it asks the constraint's own question."""
        queries = []
        thread = threading.current_thread()
        thread.query_hooks = [lambda cr, query, params, *rest: queries.append((query, params))]
        try:
            self.book_online(10)
        finally:
            del thread.query_hooks
        for marker, index in ((b"tsrange(busy_start, busy_stop, '[)') &&", EXCLUSION_CONSTRAINT),
                              (b"tsrange(start, stop, '[)') &&", CUSTOMER_EXCLUSION_CONSTRAINT)):
            checks = [(q, p) for q, p in queries if marker in (q if isinstance(q, bytes) else q.encode())]
            self.assertTrue(checks, marker)
            query, params = checks[0]
            self.env.cr.execute("SET LOCAL enable_seqscan = off")
            self.env.cr.execute(b"EXPLAIN " + (query if isinstance(query, bytes) else query.encode()), params)
            plan = " ".join(row[0] for row in self.env.cr.fetchall())
            # the constraint's gist index can answer it (which index the planner takes on a few rows depends on
            # the database's statistics: on a demo database a provider's partial index may win)
            self.assertNotIn("Seq Scan", plan)
            self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
            self.assertIn("USING gist", self.env.cr.fetchone()[0])

    def test_no_interval_no_query_of_the_history(self):
        self.env["booking.service"].search([]).rebook_after_days = 0
        self.env.flush_all()
        queries = []
        thread = threading.current_thread()
        thread.query_hooks = [lambda cr, query, params, *rest: queries.append(query)]
        try:
            self.assertEqual(self.env["booking.scheduler"]._cron_send_rebook_reminders(), 0)
        finally:
            del thread.query_hooks
        self.assertFalse([q for q in queries if b"FROM booking_appointment" in (
            q if isinstance(q, bytes) else q.encode())])


class LogCapture(logging.Handler):
    """Every record any logger emits while installed (whatever the thread)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def text(self):
        return "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in self.records)

    @contextmanager
    def installed(self, name=None):
        """On the root logger; or on the logger ``name`` alone, its records kept from the console."""
        logger = logging.getLogger(name)
        # whoever configured logging (pytest) may have disabled the logger or raised its level above what a
        # server logs (ERROR); below that it stays as configured (a server logs no query at DEBUG)
        propagate, disabled, level = logger.propagate, logger.disabled, logger.level
        logger.addHandler(self)
        logger.disabled = False
        if logger.getEffectiveLevel() > logging.ERROR:
            logger.setLevel(logging.ERROR)
        if name:
            logger.propagate = False
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.propagate, logger.disabled = propagate, disabled
            logger.setLevel(level)


@tagged("-at_install", "post_install")
class TestQuietRaces(TwoTransactionCase):
    """Issue 26: every request losing the race for a slot wrote the failing INSERT, customer values included."""

    NOTE = "Allergic to lavender, gate code 4471"

    def _commit_scenario(self, env):
        _page, ids = self._create_race_page(env, "Quiet", "quiet-race-page", range(7), ["Quiet racer"])
        partners = env["res.partner"].create([
            {"name": "Winnie Winner", "email": "winnie@example.com"},
            {"name": "Lorna Loser-Zyx", "email": "lorna.zyx@example.com", "phone": "+33 6 12 34 56 78"}])
        return dict(ids, partners=partners.ids)

    def _vals(self, partner_index, hour=10):
        return {"page_id": self.ids["page"], "service_id": self.ids["service"], "provider_id": self.ids["provider"],
                "partner_id": self.ids["partners"][partner_index], "start": local_to_utc(MONDAY, hour),
                "note": self.NOTE if partner_index else False}

    def _race(self):
        outcome = {}

        def second_booking(env_b):
            try:
                env_b["booking.appointment"].create(self._vals(1))
                env_b.cr.commit()
                outcome["second"] = "created"
            except SlotUnavailableError:
                outcome["second"] = "refused"
            except psycopg2.errors.SerializationFailure:
                outcome["second"] = "retry"

        self.run_blocked(lambda env_a: env_a["booking.appointment"].create(self._vals(0)), second_booking,
                         wait_message="the second booking waits for the first transaction")
        return outcome.get("second")

    def assertNothingOfTheCustomer(self, logs):
        text = logs.text()
        self.assertNotIn("bad query", text)
        for value in ("Lorna", "lorna.zyx", "lavender", "4471", "12 34 56 78"):
            self.assertNotIn(value, text)

    def test_the_losing_booking_is_refused_without_a_log_line(self):
        for _round in range(3):  # a race: never flaky
            with LogCapture().installed() as logs:
                outcome = self._race()
            self.assertIn(outcome, ("refused", "retry"))
            self.assertNothingOfTheCustomer(logs)
            with self.committed_env() as env:
                env.cr.execute("UPDATE booking_appointment SET state = 'cancelled' WHERE page_id = %s",
                               [self.ids["page"]])

    def test_a_move_losing_the_race_is_refused_without_a_log_line(self):
        with self.committed_env() as env:
            moving_id = env["booking.appointment"].create(self._vals(1, hour=9)).id
        outcome = {}

        def move(env_b):
            try:
                env_b["booking.appointment"].browse(moving_id).write({"start": local_to_utc(MONDAY, 10)})
                env_b.cr.commit()
                outcome["move"] = "moved"
            except (SlotUnavailableError, psycopg2.errors.SerializationFailure):
                outcome["move"] = "refused"

        with LogCapture().installed() as logs:
            self.run_blocked(lambda env_a: env_a["booking.appointment"].create(self._vals(0)), move)
        self.assertEqual(outcome["move"], "refused")
        self.assertNothingOfTheCustomer(logs)

    def test_only_the_expected_violation_is_kept_out_of_the_log(self):
        """Any other failing statement, even inside the block, is logged as always."""
        with self.committed_env() as env, LogCapture().installed("odoo.sql_db") as logs, \
                expected_violation(EXCLUSION_CONSTRAINT), self.assertRaises(psycopg2.IntegrityError):
            env.cr.execute("INSERT INTO booking_serial_lock (key, touched_at) VALUES (NULL, now())")
        self.assertIn("bad query", logs.text())


@tagged("post_install", "-at_install")
class TestMessagesInBulk(WritePathCase):
    """Issue 26: each message rendered its template on its own (~110 ms a message); a batch renders once."""

    HOURS = (9, 10, 11, 13, 14)

    def setUp(self):
        super().setUp()
        self.page.auto_confirm = True
        self.customers = self.env["res.partner"].create([
            {"name": f"Reminded {hour}", "email": f"reminded{hour}@example.com"} for hour in self.HOURS])
        with freeze_time(NOW - timedelta(days=3)):  # booked days ago: due their 24-hour reminder on Monday
            self.appointments = self.env["booking.appointment"]
            for hour, customer in zip(self.HOURS, self.customers, strict=True):
                self.appointments |= self._book(local_to_utc(MONDAY, hour), partner_id=customer.id)
            self.dispatch()  # their confirmations: out of the way
        self.morning = local_to_utc(MONDAY, 8)
        with freeze_time(self.morning):
            # the e-mails, and the SMS of the two within 2 hours (their customers have no phone: sent to nobody)
            self.assertEqual(self.env["booking.scheduler"]._cron_send_reminders(), len(self.HOURS) + 2)
        self.reminders = self.outbox(self.appointments, "reminder", channel="email")
        self.assertEqual(len(self.reminders), len(self.HOURS))

    def reminder_of(self, appointment):
        return self.sent_messages(appointment, "Reminder")

    def test_a_batch_renders_the_template_once_and_each_customer_gets_their_own(self):
        with self.counting_renders() as calls, freeze_time(self.morning):
            self.dispatch()
        self.assertEqual(calls, [len(self.HOURS)], "one rendering for the whole batch")
        self.assertEqual(set(self.reminders.mapped("state")), {"sent"})
        self.assertEqual(set(self.reminders.mapped("attempts")), {1})
        self.assertEqual(len(set(self.appointments.mapped(lambda a: a._when_label()))), len(self.HOURS))
        for appointment in self.appointments:
            [message] = self.reminder_of(appointment)
            self.assertEqual(message.partner_ids, appointment.partner_id, "to its own customer alone")
            self.assertIn(appointment._when_label(), message.subject)
            self.assertIn(appointment.partner_id.name, str(message.body))
            self.assertEqual(message.record_name, appointment._notification_title("customer"))
            mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
            self.assertEqual(mail.state, "outgoing", "handed to Odoo's mail queue")
            self.assertEqual(mail.recipient_ids, appointment.partner_id)

    def test_a_batch_compiles_the_template_once(self):
        """Odoo compiles a template's body anew for each record (~30 ms a message): once per batch here."""
        IrQweb = type(self.env["ir.qweb"])
        compiled = []
        original = IrQweb._generate_code

        def counted(qweb, template):
            compiled.append(template)
            return original(qweb, template)

        self.env.registry.clear_cache("templates")  # the layout's view compiled in the run, as at a cold start
        with patch.object(IrQweb, "_generate_code", counted), freeze_time(self.morning):
            self.dispatch()
        self.assertEqual(len(self.reminder_of(self.appointments)), len(self.HOURS))
        bodies = [template for template in compiled if not isinstance(template, (int, str))]
        sources = {etree.tostring(body) for body in bodies}
        self.assertEqual(len(bodies), len(sources), "each template element compiled once for the batch")
        self.assertLess(len(bodies), len(self.HOURS))
        # outside a dispatch nothing is memoised: Odoo compiles as it always does
        template = self.env.ref("self_serve_booking.mail_template_booking_reminder")
        with patch.object(IrQweb, "_generate_code", counted):
            template._render_field("body_html", self.appointments[:2].ids)
        self.assertGreaterEqual(len([t for t in compiled if not isinstance(t, (int, str))]), len(bodies) + 2)

    def test_one_message_failing_fails_alone(self):
        poisoned = self.appointments[2]
        model_class = type(poisoned)
        healthy = model_class.message_post

        def sick(records, **kwargs):
            if poisoned in records:
                raise OSError("mail server down for this one")
            return healthy(records, **kwargs)

        with patch.object(model_class, "message_post", sick), freeze_time(self.morning), \
                mute_logger("odoo.addons.self_serve_booking.models.booking_notification"):
            self.dispatch()
        bad = self.outbox(poisoned, "reminder", channel="email")
        self.assertEqual((bad.state, bad.attempts), ("pending", 1))
        self.assertIn("mail server down", bad.last_error)
        self.assertFalse(self.reminder_of(poisoned))
        for appointment in self.appointments - poisoned:
            self.assertEqual(len(self.reminder_of(appointment)), 1)
        self.assertEqual(set((self.reminders - bad).mapped("state")), {"sent"})
        with freeze_time(self.morning + timedelta(minutes=2)):
            self.dispatch()
        self.assertEqual(bad.state, "sent")
        self.assertEqual(len(self.reminder_of(poisoned)), 1)

    def test_a_record_the_template_cannot_render_fails_alone(self):
        template = self.env.ref("self_serve_booking.mail_template_booking_reminder")
        template.body_html = '<p>Bring <t t-out="object.note.upper()"/></p>'
        (self.appointments - self.appointments[1]).note = "your ticket"
        with freeze_time(self.morning), mute_logger("odoo.addons.self_serve_booking.models.booking_notification",
                                                    "odoo.addons.mail.models.mail_render_mixin"):
            self.dispatch()
        bad = self.outbox(self.appointments[1], "reminder", channel="email")
        self.assertEqual((bad.state, bad.attempts), ("pending", 1))
        self.assertIn("upper", bad.last_error)
        for appointment in self.appointments - self.appointments[1]:
            [message] = self.reminder_of(appointment)
            self.assertIn("YOUR TICKET", str(message.body))

    def test_messages_nobody_can_receive_are_done_without_a_message(self):
        self.customers[:2].email = False
        with freeze_time(self.morning):
            self.dispatch()
        self.assertEqual(set(self.reminders.mapped("state")), {"sent"})
        self.assertFalse(self.reminder_of(self.appointments[:2]))
        self.assertEqual(len(self.reminder_of(self.appointments[2:])), 3)


class QueryLog:
    """The SQL statements this thread runs inside the block."""

    def __init__(self):
        self.queries = []

    def _hook(self, cr, query, params, start, delay):
        self.queries.append(query if isinstance(query, str) else query.decode(errors="replace"))

    def count(self, prefix):
        return sum(1 for query in self.queries if " ".join(query.split()).startswith(prefix))

    @contextmanager
    def recording(self):
        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", None)
        thread.query_hooks = [*(hooks or ()), self._hook]
        try:
            yield self
        finally:
            if hooks is None:
                del thread.query_hooks
            else:
                thread.query_hooks = hooks


@tagged("post_install", "-at_install")
class TestCheapBooking(WritePathCase):
    """Issue 26: a booking cost 99 queries; what need not happen before the answer does not."""

    GUEST = {"name": "Gina Guest", "email": "gina@example.com", "phone": "+33 6 11 22 33 44"}

    def book_as_guest(self, hour=10):
        self.page.allow_guest_booking = True
        return self.env["booking.appointment"]._book_online(
            self.page, self.service, self.provider_a, local_to_utc(MONDAY, hour), customer=dict(self.GUEST),
            source="website")

    @freeze_time(NOW)
    def test_a_guests_contact_is_made_without_chatter_or_tracking(self):
        appointment = self.book_as_guest()
        guest = appointment.partner_id
        self.assertEqual((guest.name, guest.email), ("Gina Guest", "gina@example.com"))
        self.assertFalse(guest.message_ids, "no 'Contact created' line written inside the booking")
        self.assertTrue(appointment.message_ids, "the booking's own chatter tells what happened")

    @freeze_time(NOW)
    def test_an_occasions_messages_are_queued_in_one_insert(self):
        self.rule("confirmed").channel = "email_sms"
        appointment = self.book_as_guest()
        self.env["booking.notification"].search([("appointment_id", "=", appointment.id)]).unlink()
        with QueryLog().recording() as log:
            queued = appointment._notify("confirmed")
        self.assertEqual(queued, 2, "an e-mail and an SMS")
        self.assertEqual(log.count("INSERT INTO booking_notification"), 1)
        self.assertEqual(sorted(self.outbox(appointment, "confirmed").mapped("channel")), ["email", "sms"])
        with QueryLog().recording() as log:
            self.assertEqual(appointment._notify("confirmed"), 0, "queued once, whoever asks again")
        self.assertEqual(log.count("INSERT INTO booking_notification"), 1)

    @freeze_time(NOW)
    def test_the_wake_up_of_the_dispatcher_is_one_statement(self):
        self.book_as_guest(9)
        self.env.cr.flush()
        with QueryLog().recording() as log:
            self.book_as_guest(11)
            self.env.cr.flush()  # the commit's precommit hooks
        self.assertEqual(log.count("INSERT INTO ir_cron_trigger"), 1)
        self.assertFalse([q for q in log.queries if 'FROM "ir_cron"' in q], "the action is not read for it")

    @freeze_time(NOW)
    def test_a_guest_booking_costs_a_bounded_number_of_queries(self):
        self.book_as_guest(9)  # caches warm, as in a running worker
        self.env.cr.flush()
        with QueryLog().recording() as log:
            self.book_as_guest(11)
            self.env.flush_all()
            self.env.cr.flush()
        _logger.info("a guest booking: %s queries", len(log.queries))
        self.assertLessEqual(len(log.queries), BOOKING_QUERIES)

    def test_the_rate_limit_counts_both_counters_in_one_go(self):
        """Its hits are committed at once in a transaction of their own: read (and removed) through another."""
        self.page.write({"rate_limit_count": 2, "rate_limit_minutes": 10})
        self.env.flush_all()
        RateLimit = self.env["booking.rate.limit"].sudo()
        clients = ("198.51.100.7", "198.51.100.8")

        def committed(sql, *params):
            with self.registry.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None

        self.addCleanup(committed, "DELETE FROM booking_rate_limit WHERE key LIKE %s OR key LIKE %s",
                        *(f"%:{client}/32" for client in clients))
        with QueryLog().recording() as log:
            allowed, retry_after, hit_id = RateLimit._take_page_write(self.page, clients[0])
        self.assertEqual((allowed, retry_after), (True, 0))
        self.assertEqual(committed("SELECT key FROM booking_rate_limit WHERE id = %s", hit_id),
                         [(f"page:{self.page.id}:{clients[0]}/32",)], "the write's hit")
        self.assertEqual(len([q for q in log.queries if "INSERT INTO booking_rate_limit" in q]), 1,
                         "both hits in one statement")
        self.assertEqual(len([q for q in log.queries if "pg_advisory_xact_lock" in q]), 1,
                         "both keys locked in one statement")
        self.assertEqual(len([q for q in log.queries if "FROM booking_rate_limit" in q]), 1)
        # the same rules as before: writes within the limit, every attempt within the factor of it
        results = [RateLimit._take_page_write(self.page, clients[0]) for _ in range(2 * ATTEMPTS_FACTOR + 1)]
        self.assertEqual([allowed for allowed, _retry, _hit in results], [True] + [False] * 2 * ATTEMPTS_FACTOR)
        self.assertTrue(all(hit is None for allowed, _retry, hit in results if not allowed))
        self.assertTrue(all(retry > 0 for allowed, retry, _hit in results if not allowed))
        attempts = committed("SELECT count(*) FROM booking_rate_limit WHERE key = %s",
                             f"page-attempts:{self.page.id}:{clients[0]}/32")
        self.assertEqual(attempts, [(2 * ATTEMPTS_FACTOR,)], "refused attempts count until the factor, then no more")
        RateLimit._give_back(results[0][2])
        self.assertFalse(RateLimit._take_page_write(self.page, clients[0])[0], "attempts exhausted")
        self.assertTrue(RateLimit._take_page_write(self.page, clients[1])[0], "another client")

    @freeze_time(NOW)
    def test_bookings_of_one_day_share_the_weekly_hours(self):
        """The working-time check reads the attendances once per day, not once per booking."""
        self.book_as_guest(9)
        with QueryLog().recording() as log:
            self.env["booking.appointment"]._book_online(
                self.page, self.service, self.provider_a, local_to_utc(MONDAY, 15), partner=self.customer,
                source="website")
        attendance_reads = [q for q in log.queries if 'FROM "resource_calendar_attendance"' in q]
        self.assertFalse(attendance_reads, "the hours of that day were read by the first booking")


@tagged("post_install", "-at_install")
class TestAgendasInBulk(WritePathCase):
    """The evening's agendas go out as one batch: each provider's user gets their own day."""

    def test_each_provider_gets_their_own_agenda(self):
        self.page.write({"auto_confirm": True, "responsible_user_id": self.user_manager.id})
        self.provider_a.user_id = self.user_staff
        self.provider_b.user_id = self.user_manager
        with freeze_time(NOW):
            alice_visit = self.book_online(10, provider=self.provider_a)
            bob_visit = self.book_online(14, provider=self.provider_b)
            bob_visit.note = "Bring the blue towels"
            self.dispatch()  # the bookings' own messages
        with freeze_time("2025-06-01 16:30:00"), self.counting_renders() as calls:  # 18:30 in Paris
            self.assertEqual(self.env["booking.scheduler"]._cron_send_agendas(), 2)
            self.dispatch()
        self.assertIn(2, calls, "the two agendas rendered together")
        for provider, user, visit, other in ((self.provider_a, self.user_staff, alice_visit, bob_visit),
                                             (self.provider_b, self.user_manager, bob_visit, alice_visit)):
            [agenda] = self.env["mail.message"].search([
                ("model", "=", "booking.provider"), ("res_id", "=", provider.id), ("subject", "ilike", "agenda")])
            self.assertEqual(agenda.partner_ids, user.partner_id)
            self.assertIn(visit.partner_id.name, str(agenda.body))
            self.assertIn(visit._format_local(visit.start)[-5:], str(agenda.body))
            if other.note:
                self.assertNotIn(other.note, str(agenda.body), "another provider's day is not in it")
        self.assertFalse(self.env["booking.notification"].search([("event", "=", "agenda"), ("state", "!=", "sent")]))


@tagged("post_install", "-at_install")
class TestCompiledOnceHolds(NotificationCase):
    """The memo of ``models/ir_qweb.py`` as an attacker sees it: a compilation serves only the same source under
    the same options, never another template's body nor a rendering with stricter rules."""

    def render(self, source, record, **options):
        return str(self.env["ir.qweb"]._render(html.fragment_fromstring(source, create_parent="div"),
                                               {"object": record}, **options))

    def test_a_restricted_rendering_never_reuses_an_unrestricted_compilation(self):
        """An editor's template compiled first (any expression) does not let a non-editor's rendering of the same
        source skip the mail's whitelist (``raise_on_forbidden_code_for_model``, a compile-time check)."""
        with freeze_time(NOW):
            appointment = self._book(local_to_utc(MONDAY, 10))
        source = '<p t-out="object.env.cr.dbname"/>'
        with compiled_once():
            self.assertIn(self.env.cr.dbname, self.render(source, appointment))
            with self.assertRaises(QWebException) as refusal:
                self.render(source, appointment, raise_on_forbidden_code_for_model="booking.appointment")
            self.assertIsInstance(refusal.exception.__cause__, PermissionError)

    def test_each_source_its_own_compilation(self):
        """Another template's body (even one differing by a character) is compiled for itself, and a record is
        a value of the rendering: nothing of one message shows in another."""
        with freeze_time(NOW):
            first, second = self._book(local_to_utc(MONDAY, 10)), self._book(local_to_utc(MONDAY, 11))
        with compiled_once():
            one = self.render('<p>A <t t-out="object.name"/></p>', first)
            other = self.render('<p>B <t t-out="object.name"/></p>', second)
            again = self.render('<p>A <t t-out="object.name"/></p>', second)
        self.assertEqual(one, f"<div><p>A {first.name}</p></div>")
        self.assertEqual(other, f"<div><p>B {second.name}</p></div>")
        self.assertEqual(again, f"<div><p>A {second.name}</p></div>", "the record is a value, never compiled in")
