import contextlib
import logging
import os
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2
from markupsafe import Markup
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..const import NO_POLICY_NO_SHOW_GRACE
from ..engine.conversation import request_follow_up
from ..exceptions import SlotUnavailableError

_logger = logging.getLogger(__name__)

REBOOK_GRACE_DAYS = 14  # a follow-up fell due at most this long ago, or it is not sent at all
# A record a job could not handle is left alone this long, twice as long after each further failure, at most
# RETRY_MAX: never taken again in the run that failed on it, never first in every batch after it.
RETRY_FIRST = timedelta(minutes=10)
RETRY_MAX = timedelta(days=1)
WAKE_KEY = "self_serve_booking.wake"  # the cursor's precommit data: the scheduled actions to trigger at commit


class CronWaker:
    """``NOTIFY cron_trigger`` through one connection kept per process, as ``ir.cron._notifydb`` sends it.

    Odoo's cron workers listen on the ``postgres`` database, so the NOTIFY
    goes there; ``_notifydb`` opens a connection to it for every wake-up
    and closes it (Odoo's pool keeps none to ``postgres``): 2-3 ms of a
    booking's answer, a third of what its queries cost. The connection is
    opened on the first wake-up of a process (a worker, after the fork),
    used under a lock, opened again when it was lost; if that fails too,
    Odoo's own way.
    """

    _lock = threading.Lock()
    _cnx = None
    _pid = None

    @classmethod
    def notify(cls, dbname):
        with cls._lock:
            for _attempt in range(2):
                try:
                    if cls._cnx is None or cls._cnx.closed or cls._pid != os.getpid():
                        cls._cnx, cls._pid = cls._connect(), os.getpid()
                    query = SQL("SELECT %s('cron_trigger', %s)", SQL.identifier(ODOO_NOTIFY_FUNCTION), dbname)
                    with cls._cnx.cursor() as cr:
                        cr.execute(query.code, query.params)
                    return True
                except psycopg2.Error as error:  # lost (a restart, an idle timeout): once more, fresh
                    _logger.info("cron wake-up: connection to postgres lost (%s), opening another", error)
                    cls._close()
        return False

    @classmethod
    def _connect(cls):
        _dbname, info = sql_db.connection_info_for("postgres")
        cnx = psycopg2.connect(**info)
        cnx.autocommit = True
        return cnx

    @classmethod
    def _close(cls):
        if cls._cnx is not None and cls._pid == os.getpid():
            with contextlib.suppress(psycopg2.Error):
                cls._cnx.close()
        cls._cnx = cls._pid = None


class BookingScheduler(models.AbstractModel):
    """The scheduled actions of bookings: what is due, found in SQL, handed to the records' own methods.

    On the pattern of ``calendar.alarm_manager``: each job selects the rows
    that are due in one query and acts through the life-cycle methods of
    ``booking.appointment`` and ``booking.waitlist``, so a scheduled change
    obeys the same rules as one made by hand. Every job is safe when two runs
    overlap (rows locked with ``SKIP LOCKED``, or an advisory lock for jobs
    that only queue messages) and reports its progress, so Odoo runs it again
    at once while work remains.
    """

    _name = "booking.scheduler"
    _description = "Booking Scheduler"

    @api.model
    def _try_lock(self, name):
        """Take a transaction-wide lock for the job ``name``, or return False if another run holds it.

        Jobs that only queue messages use it so that a second, overlapping
        run steps aside at once instead of waiting on the first one's rows.
        """
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(hashtext(%s))", f"self_serve_booking.{name}"))
        return self.env.cr.fetchone()[0]

    @api.model
    def _wake(self, cron_xmlid, at=None):
        """Have the scheduled action ``cron_xmlid`` run at ``at`` (as soon as possible by default).

        Once per transaction, not once per call: the wishes are collected on
        the cursor and turned into trigger rows just before it commits (a
        precommit hook), one for "as soon as possible" and one per later
        minute asked for, so a job that queues 600 messages writes one
        trigger and sends one NOTIFY at commit, not 600 of each. A rolled
        back transaction triggers nothing.
        """
        now = fields.Datetime.now()
        if at and at > now:  # Odoo triggers to the minute: the minute it is due, never before
            at = at.replace(second=0, microsecond=0) + (timedelta(minutes=1) if (at.second or at.microsecond)
                                                        else timedelta())
        else:
            at = None
        wishes = self.env.cr.precommit.data.setdefault(WAKE_KEY, {})
        if not wishes:
            self.env.cr.precommit.add(self._wake_now)
        wishes.setdefault(cron_xmlid, set()).add(at)

    def _wake_now(self):
        """The precommit hook of ``_wake``: the transaction's triggers, one INSERT per scheduled action.

        As ``ir.cron._trigger`` does (times past are dropped for an inactive
        action, the cron workers are woken after commit for a time already
        due), in one statement rather than a read of the action and an ORM
        create: a booking pays for its wake-up in one query.
        """
        wishes = self.env.cr.precommit.data.pop(WAKE_KEY, {})
        now = fields.Datetime.now()
        for cron_xmlid, moments in wishes.items():
            cron_id = self.env["ir.model.data"]._xmlid_to_res_id(cron_xmlid, raise_if_not_found=False)
            if not cron_id:
                continue
            at_list = sorted(now if at is None else at for at in moments)
            self.env.cr.execute(SQL(
                """
                INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                SELECT cron.id, moment.at, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM ir_cron cron, unnest(%(at)s::timestamp[]) AS moment(at)
                 WHERE cron.id = %(cron)s AND (cron.active OR moment.at > %(now)s)
                RETURNING call_at
                """,
                uid=self.env.uid, now=now, at=at_list, cron=cron_id,
            ))
            if any(at <= now for (at,) in self.env.cr.fetchall()) and not self.env.cr.postcommit.data.get(WAKE_KEY):
                self.env.cr.postcommit.data[WAKE_KEY] = True  # one NOTIFY wakes the workers for every action
                self.env.cr.postcommit.add(self._notify_cron_workers)

    def _notify_cron_workers(self):
        """The post-commit hook of ``_wake``: the cron workers pick the due triggers now, not at their next poll."""
        if not CronWaker.notify(self.env.cr.dbname):
            self.env["ir.cron"]._notifydb()

    @api.model
    def _locked_ids(self, query):
        """The ids ``query`` selects (it locks them), as a list."""
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    # === ONE RECORD AT A TIME: A BATCH SURVIVES ANY ONE OF THEM === #

    @api.model
    def _for_each(self, records, handle, what, job, page=None, retry=None):
        """Run ``handle(record)`` for each record in its own savepoint; one that fails is logged, told and skipped.

        A batch survives any one record (DESIGN.md invariant 12): a record
        that raises is rolled back alone, logged, and left with an activity
        for staff, and the rest of the batch proceeds. The failure is
        remembered (``booking.scheduler.failure``): the job leaves the record
        alone until its next try, 10 minutes later, twice as long after each
        further failure, at most a day, so it is neither taken again in the
        run that failed on it nor first in every later batch (select with
        ``_not_waiting_to_retry`` so that it does not fill the batch either).
        Staff are told once per record and problem: the activity goes on the
        record, or on its page when the record holds no activities, assigned
        to the page's responsible; another comes only when the problem
        changes, or when it persists after they marked the first one done.
        Once the job handles the record, the failure is forgotten.

        A write that lost to a concurrent transaction (serialization failure,
        deadlock) is no fault of the record: it is skipped without an
        activity or a delay, and the next run takes it.

        :param records: what the job selected, in the order to handle it.
        :param handle: ``handle(record)``; what it returns is collected.
        :param str what: the job as staff know it (its scheduled action's
            name), for the log and the activity.
        :param str job: the job's stable key, under which failures are remembered.
        :param page: whose staff hear of a failure, for records without a
            ``page_id`` (a provider's agenda is sent for a page).
        :param retry: for a job that keeps its own retry schedule on the
            record (the outbox, the calendars): ``retry(record, error)``
            records the failure there and returns True once the job gives up
            on the record, which is when staff get the activity.
        :return: ``(results, failed)``: what ``handle`` returned for each
            record handled, in order, and the records that failed.
        """
        if not records:
            return [], records
        Failure = self.env["booking.scheduler.failure"].sudo()
        Failure.flush_model()
        waiting = set(Failure.search([
            ("job", "=", job), ("res_model", "=", records._name), ("res_id", "in", records.ids),
            ("retry_at", ">", fields.Datetime.now()),
        ]).mapped("res_id"))
        results, failed = [], records.browse()
        for record in records.filtered(lambda r: r.id not in waiting):
            try:
                with self.env.cr.savepoint():  # flushed on exit: a refused write fails here, not later
                    result = handle(record)
                results.append(result)
            except TransactionRollbackError as error:
                _logger.info("%s: %s lost to a concurrent transaction, left for the next run: %s",
                             what, record, error)
                failed |= record
            except Exception as error:  # whatever one record does, the batch goes on
                failed |= record
                self._record_failure(record, error, what, job, page, retry)
        handled = records - failed - records.browse(waiting)
        if handled:
            self._forget_failures(Failure.search([
                ("job", "=", job), ("res_model", "=", records._name), ("res_id", "in", handled.ids)]))
        return results, failed

    @api.model
    def _forget_failures(self, failures):
        """The job handled these records after all: their open activities are done, their failures forgotten."""
        activities = failures.activity_id.filtered("active")
        if activities:
            activities.action_feedback(feedback=self.env._("Handled by the scheduled job on a later try."))
        failures.unlink()

    @api.model
    def _retry_soon(self, records):
        """``records`` were corrected by hand: the jobs that failed on them try them again at their next run."""
        Failure = self.env["booking.scheduler.failure"].sudo()
        Failure.search([("res_model", "=", records._name), ("res_id", "in", records.ids),
                        ("retry_at", "!=", False)]).write({"retry_at": False})

    @api.model
    def _not_waiting_to_retry(self, job, model_name, id_column):
        """SQL: the record whose id is ``id_column`` is not waiting for its next try after a failure of ``job``.

        For the job's selection query, so that records it failed on do not
        fill its batches (see ``_for_each``).
        """
        self.env["booking.scheduler.failure"].flush_model()
        return SQL(
            """NOT EXISTS (SELECT 1 FROM booking_scheduler_failure failure
                            WHERE failure.job = %s AND failure.res_model = %s AND failure.res_id = %s
                              AND failure.retry_at > %s)""",
            job, model_name, id_column, fields.Datetime.now(),
        )

    @api.model
    def _unlink_each(self, records, what, job):
        """Delete ``records`` (garbage collection): all at once, else one by one, so that none keeps the others.

        :return: how many were deleted.
        """
        if not records:
            return 0
        try:
            with self.env.cr.savepoint():
                records.unlink()
            return len(records)
        except Exception as error:  # one record must not keep the others: one by one below
            _logger.info("%s: deleting %s records at once failed (%s), deleting them one by one",
                         what, len(records), error)
        results, _failed = self._for_each(records, lambda record: record.unlink(), what, job)
        return len(results)

    @api.model
    def _record_failure(self, record, error, what, job, page, retry):
        """Log the failure of ``record``, remember it, and tell staff if they were not told of this problem yet.

        A problem of the data we raised on purpose (``UserError``, which
        ``ValidationError`` is) is logged as a warning, a failure the job
        retries by itself as information, anything else as an error with its
        traceback.
        """
        problem = self._describe_problem(error)
        gave_up = True
        try:
            with self.env.cr.savepoint():
                gave_up = retry(record, error) if retry else True
                self._remember_failure(record, problem, what, job, page, gave_up, own_retry=bool(retry))
        except Exception:  # the batch goes on even if the bookkeeping fails
            _logger.exception("%s: the failure of %s could not be recorded", what, record)
        if isinstance(error, UserError):
            _logger.warning("%s: %s skipped: %s", what, record, problem)
        elif not gave_up:
            _logger.info("%s: %s failed, tried again later: %s", what, record, problem)
        else:
            _logger.error("%s: %s skipped", what, record, exc_info=error)

    @api.model
    def _describe_problem(self, error):
        """The error as staff read it: a message we raised on purpose as it is, anything else with its type."""
        message = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
        if not isinstance(error, UserError):
            message = f"{type(error).__name__}: {message}"
        return " ".join(message.split())[:500] or type(error).__name__

    @api.model
    def _remember_failure(self, record, problem, what, job, page, gave_up, own_retry):
        page = page or (record.page_id if "page_id" in record._fields else self.env["booking.page"])
        Failure = self.env["booking.scheduler.failure"].sudo()
        failure = Failure.search([("job", "=", job), ("res_model", "=", record._name),
                                  ("res_id", "=", record.id)], limit=1) or Failure.create({
                                      "job": job, "res_model": record._name, "res_id": record.id})
        attempts = failure.attempts + 1
        vals = {
            "attempts": attempts,
            "problem": problem,
            "page_id": page.id,
            "retry_at": False if own_retry else fields.Datetime.now() + min(
                RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX),
        }
        told = failure.activity_id.exists() and failure.activity_id.active and failure.problem == problem
        if gave_up and not told:
            vals["activity_id"] = self._tell_staff(record, page, problem, what).id
        failure.write(vals)

    @api.model
    def _tell_staff(self, record, page, problem, what):
        """An activity about ``record`` for the page's responsible: on the record, else on its page."""
        target = record if isinstance(record, self.pool["mail.activity.mixin"]) else page
        if not target:
            return self.env["mail.activity"]
        user = page.responsible_user_id or self.env.ref("base.user_admin", raise_if_not_found=False)
        if not user:
            return self.env["mail.activity"]
        env = self.with_context(lang=user.lang or self.env.lang).env
        summary = env._("Skipped by the scheduled job \u201c%(job)s\u201d", job=what)
        note = Markup("<p>%s</p><p>%s</p><p>%s</p>") % (
            env._("%(record)s (%(model)s) could not be handled:", record=record.display_name,
                  model=record._description),
            problem,
            env._("The job goes on with the others and tries this one again later. Fix what the message says, "
                  "then mark this activity as done."),
        )
        return target.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary[:200], note=note, user_id=user.id)

    # === UNPAID HOLDS === #

    @api.model
    def _cron_expire_payment_holds(self, batch_size=200):
        """Release unpaid holds and lapsed waitlist offers past their deadline."""
        expired, full = self._expire_payment_holds(batch_size)
        self.env["ir.cron"]._notify_progress(done=expired, remaining=1 if full else 0)
        return expired

    @api.model
    def _expire_payment_holds(self, batch_size=200):
        """Expire up to ``batch_size`` holds past their deadline: ``(expired, maybe more left)``.

        A hold another transaction is working on (its payment arriving, a
        second run) is skipped; a hold whose deposit is on its way is kept.
        """
        Appointment = self.env["booking.appointment"].sudo()
        Appointment.flush_model(["state", "hold_expires_at"])
        due = Appointment.browse(self._locked_ids(SQL(
            """
            SELECT id FROM booking_appointment
             WHERE state = 'pending_payment' AND hold_expires_at < %s
               AND %s
          ORDER BY hold_expires_at
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            fields.Datetime.now(), self._not_waiting_to_retry("payment_holds", Appointment._name, SQL("id")),
            batch_size,
        )))

        def expire(appointment):
            if appointment.contract_id._has_deposit_in_flight():
                return False
            appointment._action_expire(
                self.env._("Nobody accepted the waitlist offer in time.") if appointment.waitlist_id.state == "offered"
                else self.env._("Nobody paid the deposit in time: the hold expired."))
            return True

        results, _failed = self._for_each(due, expire, self.env._("Release unpaid holds"), "payment_holds")
        expired = sum(results)
        return expired, bool(len(due) == batch_size and expired)

    # === REMINDERS === #

    @api.model
    def _cron_send_reminders(self, batch_size=500):
        """Queue reminders due by each page's reminder rules, once per rule and start time.

        A reminder goes out from its offset before the start until the start,
        unless the booking was confirmed inside that window (the confirmation
        just said it all). The outbox's key is the sent-flag: a reminder
        queued once is never queued again, whoever runs this and how often.
        """
        if not self._try_lock("reminders"):
            return 0
        Appointment = self.env["booking.appointment"].sudo()
        Appointment.flush_model()
        self.env["booking.notification"].flush_model()
        now = fields.Datetime.now()
        rules = self.env["booking.notification.rule"].sudo().search(
            [("event", "=", "reminder"), ("active", "=", True), ("page_id.active", "=", True)])
        queued = remaining = 0
        for rule in rules:
            ids = self._locked_ids(SQL(
                """
                SELECT a.id
                  FROM booking_appointment a
                 WHERE a.page_id = %(page)s
                   AND a.state = 'confirmed'
                   AND a.start > %(now)s
                   AND a.start <= %(now)s + %(offset)s * interval '1 hour'
                   AND COALESCE(a.confirmed_at, a.create_date) <= a.start - %(offset)s * interval '1 hour'
                   AND (SELECT count(*) FROM booking_notification n
                         WHERE n.appointment_id = a.id AND n.rule_id = %(rule)s AND n.event = 'reminder'
                           AND n.occurrence = to_char(a.start, 'YYYYMMDDHH24MISS')) < %(channels)s
              ORDER BY a.start
                 LIMIT %(limit)s
                """,
                page=rule.page_id.id, now=now, offset=rule.offset_hours, rule=rule.id,
                channels=len(rule._channels()), limit=batch_size + 1,
            ))
            remaining += max(0, len(ids) - batch_size)
            for appointment in Appointment.browse(ids[:batch_size]):
                queued += appointment._notify("reminder", f"{appointment.start:%Y%m%d%H%M%S}", rules=rule)
        self.env["ir.cron"]._notify_progress(done=queued, remaining=remaining)
        return queued

    # === FOLLOW-UPS: TIME TO BOOK AGAIN === #

    @api.model
    def _cron_send_rebook_reminders(self, batch_size=500):
        """Queue "time to book again" for visits whose service's rebook interval has passed.

        A done visit of a service with ``rebook_after_days`` is due that many
        days after it ended; its customer gets the page's follow-up with a
        one-tap "Book again" link, once (the outbox key is the sent-flag, and
        visits already followed up are not selected again), and never when
        they booked that service since (any booking starting or made after
        the visit). Only visits that fell due in the last
        ``REBOOK_GRACE_DAYS`` days are followed up: switching the interval on
        does not write to customers about visits of long ago.
        """
        if not self._try_lock("rebook_reminders"):
            return 0
        Appointment = self.env["booking.appointment"].sudo()
        Appointment.flush_model()
        self.env["booking.service"].flush_model(["rebook_after_days"])
        self.env["booking.notification"].flush_model()
        now = fields.Datetime.now()
        # the longest interval bounds how far back a visit can fall due: the visits of the last
        # grace + longest days, found by the visit layer's index on when visits ended, never the whole history
        self.env.cr.execute("SELECT max(rebook_after_days) FROM booking_service WHERE rebook_after_days > 0")
        longest = self.env.cr.fetchone()[0]
        if not longest:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        ids = self._locked_ids(SQL(
            """
            SELECT a.id
              FROM booking_appointment a
              JOIN booking_service s ON s.id = a.service_id
             WHERE a.state = 'done'
               AND COALESCE(a.completed_at, a.stop) > %(now)s - (%(grace)s + %(longest)s) * interval '1 day'
               AND s.rebook_after_days > 0
               AND COALESCE(a.completed_at, a.stop) + s.rebook_after_days * interval '1 day' <= %(now)s
               AND COALESCE(a.completed_at, a.stop) + s.rebook_after_days * interval '1 day'
                   > %(now)s - %(grace)s * interval '1 day'
               AND EXISTS (SELECT 1 FROM booking_notification_rule r
                            WHERE r.page_id = a.page_id AND r.event = 'rebook_reminder' AND r.active)
               AND NOT EXISTS (SELECT 1 FROM booking_notification n
                                WHERE n.appointment_id = a.id AND n.event = 'rebook_reminder')
               AND NOT EXISTS (SELECT 1 FROM booking_appointment later
                                WHERE later.partner_id = a.partner_id AND later.service_id = a.service_id
                                  AND later.id != a.id
                                  AND (later.start > a.start OR later.create_date > a.start))
          ORDER BY a.id
             LIMIT %(limit)s
            """,
            now=now, grace=REBOOK_GRACE_DAYS, longest=longest, limit=batch_size + 1,
        ))
        queued = 0
        for appointment in Appointment.browse(ids[:batch_size]):
            queued += appointment._notify("rebook_reminder", "due", values={"url": appointment._book_again_url()})
        self.env["ir.cron"]._notify_progress(done=queued, remaining=max(0, len(ids) - batch_size))
        return queued

    # === THE PROVIDERS' AGENDA FOR TOMORROW === #

    @api.model
    def _cron_send_agendas(self):
        """Queue each provider's agenda for tomorrow, the evening before, by each page's agenda rules.

        From the rule's local hour (18:00 by default) in the page's time zone
        until midnight, each provider of the page with a user and bookings
        tomorrow gets the agenda once per channel: the outbox key (provider,
        channel, date) is the sent-flag, across pages too.
        """
        if not self._try_lock("agendas"):
            return 0
        rules = self.env["booking.notification.rule"].sudo().search(
            [("event", "=", "agenda"), ("active", "=", True), ("page_id.active", "=", True)])
        Outbox = self.env["booking.notification"].sudo()
        queued = 0
        for rule in rules:
            page = rule.page_id
            local_now = page._local_now()
            if local_now.hour + local_now.minute / 60.0 < rule.offset_hours:
                continue
            tomorrow = (local_now + timedelta(days=1)).date().isoformat()
            for provider in page.provider_ids.filtered(
                    lambda p, day=tomorrow: p.user_id.active and p._get_agenda(day)):
                for channel in rule._channels():
                    queued += Outbox._enqueue(
                        page, "agenda", f"agenda:booking.provider:{provider.id}:{channel}:{tomorrow}", provider,
                        rule=rule, channel=channel, values={"date": tomorrow}, occurrence=tomorrow)
        return queued

    # === REQUESTS WAITING FOR THE MERCHANT === #

    @api.model
    def _cron_follow_up_requests(self, batch_size=200):
        """Requests nobody answered: remind the approvers, then let them expire.

        The reminder goes once per request (the outbox key); an expiring
        request is locked with ``SKIP LOCKED`` so two runs cannot both expire
        it, and its customer is told, refunded and invited to book again.
        """
        Appointment = self.env["booking.appointment"].sudo()
        Appointment.flush_model(["state", "pending_since", "start", "page_id"])
        self.env["booking.page"].flush_model(["approval_nudge_hours", "approval_expiry_hours"])
        now = fields.Datetime.now()
        expiring = Appointment.browse(self._locked_ids(SQL(
            """
            SELECT a.id
              FROM booking_appointment a
              JOIN booking_page p ON p.id = a.page_id
             WHERE a.state = 'pending'
               AND (a.start <= %(now)s
                    OR (p.approval_expiry_hours > 0
                        AND a.pending_since <= %(now)s - p.approval_expiry_hours * interval '1 hour'))
               AND %(retry)s
          ORDER BY a.pending_since
             LIMIT %(limit)s
               FOR NO KEY UPDATE OF a SKIP LOCKED
            """,
            now=now, limit=batch_size,
            retry=self._not_waiting_to_retry("request_expiry", Appointment._name, SQL("a.id")),
        )))

        def expire(appointment):
            page = appointment.page_id
            # the SQL above selects by index; the rule itself is the engine's, also used by the receptionist
            if appointment.start > now and request_follow_up(
                    appointment.pending_since, now, page.approval_nudge_hours, page.approval_expiry_hours,
                    nudged=True) != "expire":
                return False
            appointment._action_expire(self.env._("Nobody answered the request in time."))
            return True

        results, _failed = self._for_each(
            expiring, expire, self.env._("Expire unanswered requests"), "request_expiry")
        expired = sum(results)
        nudged = 0
        if self._try_lock("request_nudges"):
            Appointment.flush_model(["state"])
            self.env["booking.notification"].flush_model()
            nudges = Appointment.browse(self._locked_ids(SQL(
                """
                SELECT a.id
                  FROM booking_appointment a
                  JOIN booking_page p ON p.id = a.page_id
                 WHERE a.state = 'pending'
                   AND a.start > %(now)s
                   AND p.approval_nudge_hours > 0
                   AND a.pending_since <= %(now)s - p.approval_nudge_hours * interval '1 hour'
                   AND NOT EXISTS (SELECT 1 FROM booking_notification n
                                    WHERE n.appointment_id = a.id AND n.event = 'request_nudge'
                                      AND n.occurrence = to_char(a.pending_since, 'YYYYMMDDHH24MISS'))
                   AND %(retry)s
              ORDER BY a.pending_since
                 LIMIT %(limit)s
                """,
                now=now, limit=batch_size,
                retry=self._not_waiting_to_retry("request_nudges", Appointment._name, SQL("a.id")),
            )))

            def nudge(appointment):
                page = appointment.page_id
                if request_follow_up(appointment.pending_since, now, page.approval_nudge_hours,
                                     page.approval_expiry_hours) != "nudge":
                    return 0
                return appointment._notify("request_nudge", f"{appointment.pending_since:%Y%m%d%H%M%S}")

            nudged = sum(self._for_each(nudges, nudge, self.env._("Remind approvers"), "request_nudges")[0])
        done = expired + nudged
        self.env["ir.cron"]._notify_progress(done=done, remaining=1 if len(expiring) == batch_size else 0)
        return done

    # === THE RECEPTIONIST'S CONVERSATIONS === #

    @api.model
    def _cron_close_quiet_conversations(self, batch_size=500):
        """Conversations nobody wrote in for the page's quiet period are closed: the next message starts anew.

        A handed-off one keeps its activity: closing it only ends the
        receptionist's part. Rows are locked with ``SKIP LOCKED`` (one the
        customer writes in at this moment is left for the next run), and each
        is closed in its own savepoint (``_for_each``): one that cannot be
        closed is logged, left with an activity and skipped, and the rest of
        the batch proceeds (DESIGN.md invariant 12).
        """
        Conversation = self.env["booking.conversation"].sudo()
        Conversation.flush_model(["state", "last_activity", "page_id"])
        self.env["booking.page"].flush_model(["receptionist_quiet_hours"])
        job = "quiet_conversations"
        quiet = Conversation.browse(self._locked_ids(SQL(
            """
            SELECT c.id
              FROM booking_conversation c
              JOIN booking_page p ON p.id = c.page_id
             WHERE c.state IN ('open', 'handed_off')
               AND c.last_activity < %(now)s - COALESCE(NULLIF(p.receptionist_quiet_hours, 0), 12) * interval '1 hour'
               AND %(not_waiting)s
          ORDER BY c.last_activity
             LIMIT %(limit)s
               FOR NO KEY UPDATE OF c SKIP LOCKED
            """,
            now=fields.Datetime.now(), limit=batch_size,
            not_waiting=self._not_waiting_to_retry(job, Conversation._name, SQL("c.id")),
        )))
        closed, _failed = self._for_each(quiet, lambda conversation: conversation.write({"state": "closed"}),
                                         self.env._("Close quiet conversations"), job)
        self.env["ir.cron"]._notify_progress(done=len(closed), remaining=1 if len(quiet) == batch_size else 0)
        return len(closed)

    # === NO-SHOWS === #

    @api.model
    def _cron_mark_no_shows(self, batch_size=100):
        """Confirmed appointments nobody checked in for, past their end and the policy's grace: no-shows.

        Each is locked with ``SKIP LOCKED`` (a second run, or staff checking
        the customer in at that moment, is never overridden) and handled in
        its own savepoint (``_for_each``): a failing one is logged, left with
        an activity and skipped, and the others go on.
        """
        Appointment = self.env["booking.appointment"].sudo()
        Appointment.flush_model(["state", "stop", "page_id"])
        self.env["booking.page"].flush_model(["cancellation_policy_id"])
        self.env["booking.cancellation.policy"].flush_model(["no_show_grace_minutes"])
        due = Appointment.browse(self._locked_ids(SQL(
            """
            SELECT a.id
              FROM booking_appointment a
              JOIN booking_page p ON p.id = a.page_id
         LEFT JOIN booking_cancellation_policy pol ON pol.id = p.cancellation_policy_id
             WHERE a.state = 'confirmed'
               AND a.stop + COALESCE(pol.no_show_grace_minutes, %(grace)s) * interval '1 minute' <= %(now)s
               AND %(retry)s
          ORDER BY a.stop
             LIMIT %(limit)s
               FOR NO KEY UPDATE OF a SKIP LOCKED
            """,
            now=fields.Datetime.now(), limit=batch_size, grace=NO_POLICY_NO_SHOW_GRACE,
            retry=self._not_waiting_to_retry("no_shows", Appointment._name, SQL("a.id")),
        )))
        results, _failed = self._for_each(
            due, lambda appointment: appointment.action_no_show(), self.env._("Mark no-shows"), "no_shows")
        marked = len(results)
        self.env["ir.cron"]._notify_progress(done=marked, remaining=1 if len(due) == batch_size else 0)
        return marked

    # === WAITLIST OFFERS === #

    @api.model
    def _cron_offer_freed_slots(self, batch_size=100):
        """Offer freed time to the waitlist: the oldest matching entry first, one entry per slot.

        Entries whose wished-for window has passed expire. Entries are
        locked with ``SKIP LOCKED`` (an overlapping run takes others), and an
        offer is an appointment, so the exclusion constraint makes it
        impossible to offer one time to two entries, even from two runs.
        Free slots are computed once per page, service and day. An entry
        that cannot be offered (no address for a job at the customer's) is
        skipped with an activity for staff; the others still get theirs.
        """
        # lapsed offers first: their time is offered again below
        self._expire_payment_holds()
        Waitlist = self.env["booking.waitlist"].sudo()
        Waitlist.flush_model()
        now = fields.Datetime.now()
        entries = Waitlist.browse(self._locked_ids(SQL(
            """
            SELECT id FROM booking_waitlist
             WHERE state = 'waiting'
          ORDER BY create_date, id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
        )))
        past = entries.filtered(lambda e: e._get_window()[1] <= now)
        expired, _failed = self._for_each(
            past, lambda entry: entry.write({"state": "expired"}), self.env._("Expire past waitlist wishes"),
            "waitlist_expiry")
        groups = defaultdict(Waitlist.browse)
        for entry in entries - past:
            groups[(entry.page_id, entry.service_id, entry.date)] |= entry
        offered = done_groups = 0
        for (page, service, day), group in groups.items():
            if offered >= batch_size:
                break
            done_groups += 1
            if page.active:
                offered += self._offer_freed_slots_to(page, service, day, group, now)
        self.env["ir.cron"]._notify_progress(
            done=offered + len(expired), remaining=len(groups) - done_groups)
        return offered

    @api.model
    def _offer_freed_slots_to(self, page, service, day, entries, now):
        """Offer ``entries`` (oldest first) the free slots of ``service`` on ``day``: how many got one.

        Each entry in its own savepoint (``_for_each``); the slots are
        computed once, when the first entry needs them.
        """
        free = {}

        def offer(entry):
            entry._check_offerable()
            if "slots" not in free:
                free["slots"] = self.env["booking.availability"].sudo()._get_slots(page, service, day, day, now=now)
            for slot in entry._filter_matching(free["slots"]):
                deadline = min(now + timedelta(minutes=page.waitlist_offer_minutes), slot.start)
                try:
                    with self.env.cr.savepoint():
                        hold = entry._action_offer(slot, deadline)
                except SlotUnavailableError:
                    free["slots"].remove(slot)  # taken meanwhile (another run, a customer): try the next one
                    continue
                free["slots"] = [s for s in free["slots"] if not (
                    s.provider_id == slot.provider_id
                    and s.start - timedelta(minutes=service.buffer_before_minutes) < hold.busy_stop
                    and s.stop + timedelta(minutes=service.buffer_after_minutes) > hold.busy_start)]
                return True
            return False

        results, _failed = self._for_each(
            entries, offer, self.env._("Offer freed time to the waitlist"), "waitlist_offers")
        return sum(results)

    # === PROVIDERS' CALENDARS === #

    @api.model
    def _cron_complete_bookings(self, batch_size=200):
        """Give bookings made online what their answer did not wait for (see ``booking_appointment_intake``)."""
        done, full = self.env["booking.appointment"].sudo()._complete_pending_creations(batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=1 if full else 0)
        return done

    def _cron_sync_provider_calendars(self, batch_size=100):
        """Bring providers' calendar events in line with the appointments marked to update."""
        done, full = self.env["booking.appointment"].sudo()._sync_calendars(batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=1 if full else 0)
        return done
