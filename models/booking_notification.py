import json
import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import compiled_once
from .booking_notification_rule import EVENTS
from .booking_notification_rule import OUTBOX_EVENT_SELECTION

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STAFF_SUBTYPE = "self_serve_booking.mt_booking_staff"  # what staff follow on a booking (not Odoo's notes)
BATCH_SIZE = 100
DISPATCH_CRON = "self_serve_booking.ir_cron_dispatch_notifications"


class BookingNotification(models.Model):
    """The outbox: one row per message to send, sent by a scheduled action.

    A booking only inserts rows here, in its own transaction; rendering and
    queueing the e-mails and SMS happen afterwards, in the dispatcher, which
    retries with a growing delay. So no template, SMS gateway or mail server
    can block or roll back a booking (DESIGN.md section 4.6), and the unique
    ``key`` is the sent-flag that makes every message go out exactly once,
    whoever enqueues it and however many dispatchers run at once.
    """

    _name = "booking.notification"
    _description = "Booking Notification"
    _order = "id desc"

    key = fields.Char(required=True, readonly=True, index=True)
    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", index=True, readonly=True)
    appointment_id = fields.Many2one("booking.appointment", ondelete="cascade", index=True, readonly=True)
    waitlist_id = fields.Many2one("booking.waitlist", ondelete="cascade", index=True, readonly=True)
    provider_id = fields.Many2one(
        "booking.provider", ondelete="cascade", index="btree_not_null", readonly=True,
        help="A message about a provider's day (the agenda), not about one booking.")
    rule_id = fields.Many2one("booking.notification.rule", ondelete="set null", readonly=True)
    event = fields.Selection(selection=OUTBOX_EVENT_SELECTION, required=True, readonly=True)
    channel = fields.Selection(selection=[("email", "E-mail"), ("sms", "SMS"), ("inbox", "Odoo notification")],
                               required=True, readonly=True)
    occurrence = fields.Char(
        readonly=True, help="What makes this message distinct for its record (a start time for reminders).")
    state = fields.Selection(
        selection=[("pending", "To send"), ("sent", "Sent"), ("failed", "Failed"), ("cancelled", "Cancelled")],
        default="pending", required=True, readonly=True, index=True,
        help="Cancelled: no longer true when its turn came (a reminder for a booking cancelled or moved since, "
             "an offer withdrawn, a request already answered), so not sent.",
    )
    values = fields.Text(string="Values (JSON)", readonly=True, help="What the message needs to say, as of the event.")
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True, index=True)
    last_error = fields.Text(readonly=True)
    sent_at = fields.Datetime(readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(key)", "This message is already queued.")]

    def init(self):
        result = super().init()
        # the dispatcher's query (pending and due, oldest first) by an index of the few rows it can want,
        # however many sent messages the table keeps (DESIGN.md section 9: 1,000,000 messages)
        self.env.cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS booking_notification_pending_due_index"
            " ON booking_notification (next_attempt_at, id) WHERE state = 'pending'"))
        return result

    # === ENQUEUE === #

    @api.model
    def _enqueue(self, page, event, key, record, rule=None, channel="email", values=None, occurrence=None):
        """Queue one message unless a message with ``key`` already was; return True if queued.

        INSERT ... ON CONFLICT DO NOTHING: concurrent callers cannot queue it
        twice (a second caller with the same key waits at most until the
        first one's transaction ends, then does nothing).
        """
        return bool(self._enqueue_many([{
            "page": page, "event": event, "key": key, "record": record, "rule": rule, "channel": channel,
            "values": values, "occurrence": occurrence}]))

    @api.model
    def _enqueue_many(self, messages):
        """Queue ``messages`` (dicts of ``_enqueue``'s arguments) in one INSERT: how many were queued.

        Those whose key was already queued are left out (ON CONFLICT DO
        NOTHING), as with ``_enqueue``; the dispatcher is woken once.
        """
        if not messages:
            return 0
        now, uid = fields.Datetime.now(), self.env.uid
        targets = {"booking.waitlist": "waitlist_id", "booking.provider": "provider_id"}
        rows = [SQL(
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, 0, %s, %s, %s, %s, %s)",
            message["key"], message["page"].id,
            *(message["record"].id if targets.get(message["record"]._name, "appointment_id") == column else None
              for column in ("appointment_id", "waitlist_id", "provider_id")),
            message["rule"].id if message.get("rule") else None, message["event"], message.get("channel") or "email",
            message.get("occurrence") or None, json.dumps(message.get("values") or {}, default=str),
            now, uid, now, uid, now,
        ) for message in messages]
        self.env.cr.execute(SQL(
            """
            INSERT INTO booking_notification
                   (key, page_id, appointment_id, waitlist_id, provider_id, rule_id, event, channel, occurrence,
                    state, values, attempts, next_attempt_at, create_uid, create_date, write_uid, write_date)
            VALUES %s
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """,
            SQL(", ").join(rows),
        ))
        queued = len(self.env.cr.fetchall())
        if queued:
            self.env["booking.scheduler"]._wake(DISPATCH_CRON)
        return queued

    @api.model
    def _notify(self, record, event, key_suffix="", values=None, rules=None):
        """Queue ``event`` for an appointment or a waitlist entry, per its page's rules (one INSERT).

        :param key_suffix: what makes this occurrence distinct (a new start
            time for "rescheduled", the rule for a reminder...).
        """
        page = record.page_id
        rules = rules if rules is not None else page.notification_rule_ids.filtered(
            lambda r: r.active and r.event == event)
        return self._enqueue_many([{
            "page": page, "event": event, "key": f"{event}:{record._name}:{record.id}:{rule.id}:{channel}:{key_suffix}",
            "record": record, "rule": rule, "channel": channel, "values": values, "occurrence": key_suffix,
        } for rule in rules for channel in record._notification_channels(event, rule._channels(), rule=rule)])

    # === DISPATCH === #

    @api.model
    def _cron_dispatch(self, batch_size=BATCH_SIZE):
        """Render and queue the pending messages, oldest first, safe when runs overlap."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """
            SELECT id FROM booking_notification
             WHERE state = 'pending' AND next_attempt_at <= %s
          ORDER BY id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            now, batch_size,
        ))
        notifications = self.browse([row[0] for row in self.env.cr.fetchall()])
        outdated = notifications.filtered(lambda n: n._is_outdated())
        outdated.write({"state": "cancelled"})
        with compiled_once():  # a template's body compiled once for the batch, not once per message
            (notifications - outdated)._dispatch()
        self.env.cr.execute(SQL(
            "SELECT count(*) FROM booking_notification WHERE state = 'pending' AND next_attempt_at <= %s", now,
        ))
        remaining = self.env.cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=len(notifications), remaining=remaining)
        return len(notifications)

    def _dispatch(self):
        """Send these messages: e-mails alike rendered in one go, each posted in a savepoint of its own.

        E-mails of one template, occasion, recipient side, language and
        values (a day's reminders, an evening's agendas, the follow-ups) are
        rendered together, as Odoo's mass mailing renders a template on many
        records at once, then posted one by one: a message that fails is
        retried alone (``_dispatch_failed``) and the others go. If rendering
        the batch fails, each is sent on its own, so one bad record fails
        alone. Anything else (SMS, Odoo notifications, messages with a
        report attached) is sent one by one.
        """
        batches = defaultdict(self.browse)
        for notification in self:
            key = notification._batch_key()
            if key:
                batches[key] |= notification
            else:
                notification._dispatch_one()
        for batch in batches.values():
            if len(batch) == 1:
                batch._dispatch_one()
            else:
                batch._dispatch_batch()

    def _dispatch_one(self):
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._send()
        except Exception as error:
            self._dispatch_failed(error)
            return False
        self._mark_sent()
        return True

    def _dispatch_failed(self, error):
        """Count a failed sending: tried again later, with a growing delay, until ``MAX_ATTEMPTS``."""
        self.ensure_one()
        _logger.info("Booking notification %s failed: %s", self.key, error)
        attempts = self.attempts + 1
        vals = {"attempts": attempts, "last_error": str(error)[:2000]}
        if attempts >= MAX_ATTEMPTS:
            vals["state"] = "failed"
            self._report_failure(error)
        else:
            vals["next_attempt_at"] = fields.Datetime.now() + timedelta(minutes=2 ** attempts)
            self.env["booking.scheduler"]._wake(DISPATCH_CRON, vals["next_attempt_at"])
        self.write(vals)

    def _mark_sent(self):
        """These messages went out (or had nobody to go to): sent, one UPDATE for all."""
        if not self:
            return
        self.flush_recordset(["state", "attempts"])
        self.env.cr.execute(SQL(
            "UPDATE booking_notification SET state = 'sent', sent_at = %(now)s, attempts = attempts + 1,"
            " write_date = %(now)s, write_uid = %(uid)s WHERE id IN %(ids)s",
            now=fields.Datetime.now(), uid=self.env.uid, ids=tuple(self.ids)))
        self.invalidate_recordset(["state", "sent_at", "attempts", "write_date", "write_uid"])

    def _mail_template(self):
        """The e-mail template of this message: its rule's, or the occasion's own."""
        self.ensure_one()
        return self.rule_id._get_mail_template() if self.rule_id else self.env.ref(
            f"self_serve_booking.{EVENTS[self.event][1]}")

    def _batch_key(self):
        """What e-mails rendered together share (template, occasion, side, language, values); None: alone."""
        self.ensure_one()
        if self.channel != "email":
            return None
        record = self._record().sudo()
        template = record and self._mail_template()
        if not template or template.report_template_ids:
            return None
        recipient = EVENTS[self.event][0]
        partners = record._merchant_partners() if recipient == "merchant" else record.partner_id
        return (template.id, record._name, self.event, recipient, partners[:1].lang or self.env.lang,
                self.values or "{}")

    def _has_email_recipient(self, record, recipient):
        """Whether an e-mail of this message has anybody to go to (else it is done with nothing sent)."""
        if recipient == "customer":
            return bool(record.partner_id.email)
        return bool(record._merchant_partner_to())

    def _email_post_values(self, recipient):
        """What ``message_post`` takes besides the rendered template, for ``recipient``'s side."""
        return {
            "subtype_xmlid": "mail.mt_comment" if recipient == "customer" else STAFF_SUBTYPE,
            "email_layout_xmlid": "self_serve_booking.mail_notification_booking",
        }

    def _dispatch_batch(self):
        """Send e-mails sharing a ``_batch_key``: the template rendered once for all, each posted on its own."""
        first = self[0]
        template = first._mail_template()
        recipient = EVENTS[first.event][0]
        records = {notification: notification._record().sudo() for notification in self}
        lang = first._batch_key()[4]
        Model = self.env[first._record()._name].sudo().with_context(
            booking_notification=json.loads(first.values or "{}"), mail_notify_force_send=False, lang=lang,
            mail_create_nosubscribe=True)
        nobody = self.filtered(lambda n: not n._has_email_recipient(records[n], recipient))
        todo = self - nobody
        targets = Model.browse(list(dict.fromkeys(records[n].id for n in todo)))
        post = self._email_post_values(recipient)
        try:
            with self.env.cr.savepoint():
                rendered = self._render_posts(template, targets, post)
        except Exception as error:  # rendering one of them fails: each on its own, the bad one fails alone
            _logger.info("Booking notifications: rendering %s messages at once failed (%s), one by one",
                         len(todo), error)
            for notification in todo:
                notification._dispatch_one()
            nobody._mark_sent()
            return
        sent = nobody
        for notification in todo:
            record = targets.browse(records[notification].id)
            try:
                with self.env.cr.savepoint():
                    record.message_post(**rendered[record.id],
                                        record_name=record._notification_title(recipient))
            except Exception as error:
                notification._dispatch_failed(error)
            else:
                sent |= notification
        sent._mark_sent()

    @api.model
    def _render_posts(self, template, records, post):
        """``{record id: message_post values}``: ``template`` rendered for all ``records`` at once.

        Through Odoo's composer in comment mode on several records, as
        ``message_post_with_source`` uses it for one: subject, body,
        recipients and attachments rendered per language in one pass.
        """
        composer = records.env["mail.compose.message"].with_context(
            default_composition_mode="comment", default_model=records._name, default_res_ids=records.ids,
            default_template_id=template.id,
        ).create({
            "message_type": "notification",
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id(post["subtype_xmlid"]),
            "email_layout_xmlid": post["email_layout_xmlid"],
        })
        values = composer._prepare_mail_values(records.ids)
        for post_values in values.values():
            post_values.pop("record_name", None)
        return values

    def _record(self):
        return self.appointment_id or self.waitlist_id or self.provider_id

    def _is_outdated(self):
        """Whether what this message says stopped being true while it waited.

        Reminders, offers and nudges are about the present: a reminder for a
        booking cancelled or moved since it was queued, an offer withdrawn or
        answered, a request already answered must not go out late (after a
        mail server outage, say). Messages about something that happened
        (confirmed, cancelled...) stay true and always go.
        """
        self.ensure_one()
        record = self._record().sudo()
        if not record:
            return True
        if self.event == "rebook_reminder":  # they booked again while it waited: nothing to remind
            return record._booked_again_since()
        if self.event == "reminder":
            return (record.state != "confirmed" or record.start <= fields.Datetime.now()
                    or self.occurrence != f"{record.start:%Y%m%d%H%M%S}")
        if self.event == "waitlist_offer":
            return record.state != "offered" or self.occurrence != str(record.appointment_id.id)
        if self.event == "request_nudge":
            return record.state != "pending"
        if self.event == "agenda":  # the agenda of a day that has begun is no use
            return fields.Date.to_date(self.occurrence) <= self.page_id._local_today()
        return False

    def _send(self):
        """Render the template and hand the message to Odoo's mail or SMS queue."""
        self.ensure_one()
        record = self._record().sudo()
        if not record:
            return
        rule = self.rule_id
        values = json.loads(self.values or "{}")
        recipient = EVENTS[self.event][0]
        partners = record._merchant_partners() if recipient == "merchant" else record.partner_id
        record = record.with_context(booking_notification=values, mail_notify_force_send=False,
                                     lang=partners[:1].lang or self.env.lang)
        if self.channel == "inbox":
            template = rule._get_mail_template() if rule else self.env.ref(
                f"self_serve_booking.{EVENTS[self.event][1]}")
            record._notify_staff_inbox(template, partners.filtered("user_ids"))
        elif self.channel == "email":
            template = self._mail_template()
            if not self._has_email_recipient(record, recipient):
                return
            post = dict(self._email_post_values(recipient), record_name=record._notification_title(recipient))
            try:
                with self.env.cr.savepoint():
                    record.message_post_with_source(template, **post)
            except Exception as error:
                if not template.report_template_ids:
                    raise
                # the attached PDF could not be rendered (no wkhtmltopdf, a broken
                # report): the message goes without it, it links to the page anyway
                _logger.warning("%s: %s sent without its PDF, which could not be rendered: %s",
                                record.display_name, self.event, error)
                record._post_template_without_reports(template, recipient, **post)
        else:
            template = rule._get_sms_template() if rule else self._get_default_sms_template()
            # the template renders in its own context: it must see the event's values, as the e-mail's does
            template = template and template.with_context(booking_notification=values)
            partners = partners.filtered(lambda partner: partner.mobile or partner.phone)
            if not template or not partners:
                return
            if self.page_id.sms_gateway == "twilio":
                self._send_by_twilio(record, template, partners)
            else:
                opted_out = partners.filtered("phone_sanitized_blacklisted")
                if partners - opted_out:
                    record._message_sms_with_template(template=template, partner_ids=(partners - opted_out).ids)

    def _send_by_twilio(self, record, template, partners):
        """Each recipient's SMS through the page's Twilio account, recorded as ``booking.sms`` and in the chatter."""
        page = self.page_id
        # the template renders in its own context: it must see the event's values (ctx) as the record does
        body = template.with_context(booking_notification=record.env.context.get("booking_notification", {})) \
            ._render_field("body", record.ids, compute_lang=True)[record.id]
        Sms = self.env["booking.sms"].sudo()
        appointment = record if record._name == "booking.appointment" else (
            record.appointment_id if record._name == "booking.waitlist" else None)
        for partner in partners:
            number = self.env["res.partner"]._booking_phone_e164(partner.mobile or partner.phone, page._get_country())
            if number and not Sms.search_count([("page_id", "=", page.id), ("number", "=", number),
                                                ("direction", "=", "out"), ("body", "=", body),
                                                ("status", "not in", ("failed", "undelivered"))]):
                Sms._send(page, number, body, appointment=appointment, partner=partner)
        record._message_log(body=escape(self.env._("SMS (Twilio): %s", body)))

    def _get_default_sms_template(self):
        """The occasion's own SMS text, for a message staff send by hand (no page rule behind it)."""
        self.ensure_one()
        xmlid = EVENTS[self.event][2]
        return self.env.ref(f"self_serve_booking.{xmlid}", raise_if_not_found=False) if xmlid else False

    def _report_failure(self, error):
        record = self._record()
        if not record:
            return
        body = self.env._("The message \u201c%(event)s\u201d could not be sent after %(attempts)s tries: %(error)s",
                          event=dict(OUTBOX_EVENT_SELECTION)[self.event], attempts=MAX_ATTEMPTS, error=str(error)[:500])
        record.sudo()._message_log(body=escape(body))

    def action_retry(self):
        """Staff: send failed messages again (the company's Booking Managers: the outbox is written by code only)."""
        self.check_access("read")
        if not self.env.su and not self.env.user.has_group("self_serve_booking.group_booking_manager"):
            raise AccessError(self.env._("Only a Booking Manager may send failed messages again."))
        self.sudo().filtered(lambda n: n.state == "failed").write(
            {"state": "pending", "attempts": 0, "next_attempt_at": fields.Datetime.now()})
        self.env["booking.scheduler"]._wake(DISPATCH_CRON)
        return True

    @api.autovacuum
    def _gc_sent(self):
        self.env["booking.scheduler"]._unlink_each(self.sudo().search([
            ("state", "in", ("sent", "cancelled")), ("write_date", "<", fields.Datetime.now() - timedelta(days=90)),
        ]), self.env._("Delete old sent messages"), "gc_notifications")
