from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

MAX_ATTEMPTS = 5


class BookingCalendarSync(models.AbstractModel):
    """Appointments mirrored into their provider's Odoo Calendar (hence Google or Outlook, when synced).

    On the pattern of ``google.calendar.sync``: a change of a mirrored field
    marks the record "to update" and wakes the scheduled action, which brings
    the event in line with the record as it is then. Marked rather than done
    at once: a calendar, or its Google or Outlook synchronisation, must neither
    slow down nor roll back a booking. A failing update is tried again with a
    growing delay, and after ``MAX_ATTEMPTS`` staff see it in the chatter and
    get an activity (``booking.scheduler._for_each``), and can retry it by hand.
    """

    _name = "booking.calendar.sync"
    _description = "Booking Calendar Mirror"

    calendar_event_id = fields.Many2one(
        "calendar.event",
        string="Provider's Calendar Event",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
    )
    calendar_sync_state = fields.Selection(
        selection=[("pending", "To update"), ("failed", "Failed")],
        string="Calendar Update",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Empty when the provider's calendar is up to date.",
    )
    calendar_sync_attempts = fields.Integer(readonly=True, copy=False)
    calendar_sync_next_at = fields.Datetime(readonly=True, copy=False)
    calendar_sync_error = fields.Text(readonly=True, copy=False)

    # === WHAT IS MIRRORED === #

    @api.model
    def _get_calendar_synced_fields(self):
        """Fields whose change the provider's calendar must follow."""
        return {"start", "stop", "provider_id", "state", "service_id", "partner_id", "note", "page_id"}

    def _calendar_wanted(self):
        """Whether this record should have an event in its provider's calendar now."""
        raise NotImplementedError()

    def _calendar_event_values(self):
        """The event's values, for ``calendar.event.create``."""
        raise NotImplementedError()

    def _calendar_relevant(self):
        """The records of ``self`` that have, or should have, an event."""
        return self.filtered(lambda record: record.calendar_event_id or record._calendar_wanted())

    # === MARKING === #

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._calendar_mark_to_sync()
        return records

    def write(self, vals):
        if "calendar_event_id" in vals and not self.env.su:
            # the mirror updates and deletes its event as superuser: pointing it at another event (anyone's
            # meeting) would have the scheduler rewrite or delete that one
            raise AccessError(self.env._("The provider's calendar event is kept by the booking itself."))
        result = super().write(vals)
        if self._get_calendar_synced_fields() & vals.keys():
            self._calendar_mark_to_sync()
        return result

    def _calendar_mark_to_sync(self):
        """Mark the records whose event must be created, moved or removed, and wake the scheduler."""
        records = self._calendar_relevant()
        if not records:
            return
        now = fields.Datetime.now()
        records.sudo().write({"calendar_sync_state": "pending", "calendar_sync_attempts": 0,
                              "calendar_sync_next_at": now, "calendar_sync_error": False})
        self.env["booking.scheduler"]._wake("self_serve_booking.ir_cron_sync_provider_calendars")

    def action_retry_calendar_sync(self):
        """Staff: try a failed calendar update again."""
        self.check_access("write")  # staff of the record's company: customers read their bookings, no more
        self.filtered(lambda r: r.calendar_sync_state == "failed").sudo().write({
            "calendar_sync_state": "pending", "calendar_sync_attempts": 0,
            "calendar_sync_next_at": fields.Datetime.now()})
        self.env["booking.scheduler"]._wake("self_serve_booking.ir_cron_sync_provider_calendars")
        return True

    # === SYNCHRONISATION === #

    @api.model
    def _sync_calendars(self, batch_size=100):
        """Update the events of up to ``batch_size`` marked records: ``(done, maybe more left)``.

        Rows are locked with ``SKIP LOCKED``: two runs never update one event
        twice, and a booking changed meanwhile waits for this run and is then
        marked again.
        """
        self.flush_model(["calendar_sync_state", "calendar_sync_next_at"])
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """
            SELECT id FROM %s
             WHERE calendar_sync_state = 'pending' AND calendar_sync_next_at <= %s
          ORDER BY calendar_sync_next_at, id
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            SQL.identifier(self._table), now, batch_size,
        ))
        records = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        self.env["booking.scheduler"]._for_each(
            records, lambda record: record._sync_one_calendar_event(), self.env._("Update providers' calendars"),
            "calendar_sync", retry=lambda record, error: record._calendar_sync_failed(error))
        return len(records), len(records) == batch_size

    def _sync_one_calendar_event(self):
        """Sync one record's event and mark it up to date (run by ``_for_each``, in a savepoint of its own)."""
        self.ensure_one()
        self._sync_calendar_event()
        self.write({"calendar_sync_state": False, "calendar_sync_attempts": 0, "calendar_sync_error": False})
        return True

    def _calendar_sync_failed(self, error):
        """Count a failed update: tried again later, with a growing delay, until ``MAX_ATTEMPTS``.

        :return: whether it was the last try (staff are then told, and can retry it by hand).
        """
        self.ensure_one()
        attempts = self.calendar_sync_attempts + 1
        vals = {"calendar_sync_attempts": attempts, "calendar_sync_error": str(error)[:2000]}
        if attempts >= MAX_ATTEMPTS:
            vals["calendar_sync_state"] = "failed"
            self._message_log(body=escape(self.env._(
                "The provider's calendar could not be updated after %(attempts)s tries: %(error)s",
                attempts=MAX_ATTEMPTS, error=str(error)[:500])))
        else:
            vals["calendar_sync_next_at"] = fields.Datetime.now() + timedelta(minutes=2 ** attempts)
            self.env["booking.scheduler"]._wake("self_serve_booking.ir_cron_sync_provider_calendars",
                                                vals["calendar_sync_next_at"])
        self.write(vals)
        return attempts >= MAX_ATTEMPTS

    def _sync_calendar_event(self):
        """Bring the provider's calendar event in line with this record: what was done.

        :return: ``created``, ``updated``, ``unchanged``, ``removed`` or ``none``.
        """
        self.ensure_one()
        record = self.sudo().with_context(no_mail_to_attendees=True, dont_notify=True, mail_create_nolog=True,
                                          mail_notrack=True)
        event = record.calendar_event_id
        if not record._calendar_wanted():
            if event:
                record.calendar_event_id = False
                event.unlink()
            return "removed" if event else "none"
        vals = record._calendar_event_values()
        compared = ("name", "start", "stop", "location", "show_as")
        if event and event.user_id.id == vals["user_id"]:
            if all(event[name] == vals[name] for name in compared):
                return "unchanged"
            event.write({name: vals[name] for name in (*compared, "allday")})
            return "updated"
        if event:  # another provider: the event moves to their calendar
            record.calendar_event_id = False
            event.unlink()
        record.calendar_event_id = self.env["calendar.event"].sudo().with_context(
            no_mail_to_attendees=True, dont_notify=True, mail_create_nolog=True,
        ).create(vals)
        return "created"

