import logging
from datetime import timedelta
from urllib.parse import quote as url_quote

import psycopg2
import pytz
from markupsafe import Markup
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..const import CANCELLABLE_STATES
from ..const import CLOSED_STATES
from ..const import MOVABLE_STATES
from ..const import PIPELINE_STATES
from ..const import TIME_HOLDING_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import SlotUnavailableError
from ..tools import expected_violation

_logger = logging.getLogger(__name__)

CONFIRMED_STOP_INDEX = "booking_appointment_confirmed_stop_index"
EXCLUSION_CONSTRAINT = "booking_appointment_no_overlap"
CUSTOMER_EXCLUSION_CONSTRAINT = "booking_appointment_no_customer_overlap"

# Odoo's colour palette: 1 red, 2 orange, 3 yellow, 4 blue, 10 green
STATE_COLORS = {"pending_payment": 2, "pending": 3, "confirmed": 10, "checked_in": 10, "done": 4,
                "cancelled": 1, "rejected": 1, "expired": 1, "no_show": 1}
# Fields whose change can make two appointments overlap: writes touching
# them are checked against the exclusion constraint inside a savepoint
# (layers add theirs through ``_get_slot_fields``).
SLOT_FIELDS = frozenset({
    "start",
    "stop",
    "busy_start",
    "busy_stop",
    "provider_id",
    "state",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "service_id",
    "partner_id",
    "customer_exclusive",
})
# Fields a write may change that move the appointment in time or to another provider.
MOVING_FIELDS = frozenset({"start", "provider_id", "service_id", "duration_minutes"})
# Created in one of these, an appointment is history (an import): no layer reacts to it.
HISTORY_STATES = ("done", *CLOSED_STATES)


class BookingAppointment(models.Model):
    """An appointment of a customer with a provider for a service: the core.

    Times are stored in UTC; ``busy_start``/``busy_stop`` widen them by the
    service's buffers and are what PostgreSQL's exclusion constraint keeps
    from overlapping for one provider, so double bookings are impossible
    whatever the number of workers or nodes. Every change of state goes
    through an ``action_*`` method that refuses illegal moves and leaves a
    line in the chatter.

    This file holds identity, time, state and the life-cycle transitions,
    nothing else. Each feature is a layer in a ``booking_appointment_*.py``
    file of its own that extends this model and reacts through the hooks of
    the ``HOOKS`` section (``_on_created``, ``_before_state_change``,
    ``_on_state_changed``, ``_on_moved``...), calling ``super()``: see
    ``doc/ARCHITECTURE.md``.
    """

    _name = "booking.appointment"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "booking.lock.mixin",
        "booking.signed.link.mixin",
    ]
    _description = "Appointment"
    _order = "start desc, id desc"
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="/", index="trigram")
    page_id = fields.Many2one(
        "booking.page",
        string="Booking Page",
        required=True,
        index=True,
        check_company=True,
        default=lambda self: self._default_page_id(),
    )
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    tz = fields.Selection(related="page_id.tz", string="Time Zone")
    source = fields.Selection(
        selection=[("website", "Website"), ("backend", "Backend"), ("api", "API")],
        required=True,
        default="backend",
        readonly=True,
    )
    customer_exclusive = fields.Boolean(
        string="One at a Time",
        readonly=True,
        copy=False,
        help="Booked online on a page that lets a customer hold one booking at a time: PostgreSQL refuses "
        "another of theirs overlapping it.",
    )
    channel = fields.Selection(
        selection=[("online", "Online"), ("phone", "Phone"), ("walk_in", "Walk-in"), ("other", "In person")],
        required=True,
        default="phone",
        help="How the booking reached the merchant: online bookings say so; staff book phone calls (the "
        "default), walk-ins and visits in person.",
    )

    # === WHAT, WHO, WITH WHOM === #
    service_id = fields.Many2one("booking.service", required=True, index=True, check_company=True, tracking=True)
    provider_id = fields.Many2one("booking.provider", required=True, index=True, check_company=True, tracking=True)
    # no check_company: a customer may book with several merchants (their
    # contact then belongs to none of them); visitors' contacts belong to the
    # page's company (see res.partner._booking_create_guest)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True)
    partner_email = fields.Char(related="partner_id.email", string="E-mail")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    note = fields.Text(help="Anything the customer or staff want the provider to know.")
    color = fields.Integer(related="provider_id.color")
    state_color = fields.Integer(compute="_compute_state_color",
                                 help="Colour by state: pending yellow, confirmed green, done blue, closed red.")

    # === WHEN === #
    start = fields.Datetime(required=True, index=True, tracking=True)
    duration_minutes = fields.Integer(
        string="Duration (minutes)",
        compute="_compute_service_snapshot",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    buffer_before_minutes = fields.Integer(
        string="Buffer Before (minutes)", compute="_compute_service_snapshot", store=True, readonly=False,
        precompute=True,
    )
    buffer_after_minutes = fields.Integer(
        string="Buffer After (minutes)", compute="_compute_service_snapshot", store=True, readonly=False,
        precompute=True,
    )
    stop = fields.Datetime(compute="_compute_stop", store=True, precompute=True, required=True, index=True)
    busy_start = fields.Datetime(
        string="Busy From",
        compute="_compute_busy_range",
        store=True,
        precompute=True,
        required=True,
        help="Start widened by the service's buffer: the provider is busy from here.",
    )
    busy_stop = fields.Datetime(string="Busy Until", compute="_compute_busy_range", store=True, precompute=True,
                                required=True, help="End widened by the service's buffer.")

    # === STATE === #
    state = fields.Selection(
        selection=[
            ("pending_payment", "Awaiting Payment"),
            ("pending", "Awaiting Approval"),
            ("confirmed", "Confirmed"),
            ("checked_in", "Checked In"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
            ("rejected", "Declined"),
            ("expired", "Expired"),
            ("no_show", "No-show"),
        ],
        required=True,
        default="confirmed",
        readonly=True,
        copy=False,
        index=True,
        group_expand="_expand_states",
    )
    hold_expires_at = fields.Datetime(
        string="Hold Expires",
        copy=False,
        help="An unpaid booking keeps its slot until then.",
    )
    confirmed_at = fields.Datetime(string="Confirmed On", readonly=True, copy=False)
    pending_since = fields.Datetime(
        string="Awaiting Approval Since",
        readonly=True,
        copy=False,
        help="When the request reached the merchant: approvers are reminded, then it expires, from then.",
    )
    moved_by = fields.Selection(
        selection=[("customer", "Customer"), ("merchant", "Merchant")],
        string="Last Moved By",
        readonly=True,
        copy=False,
        help="Who moved the appointment last: a customer's move is told to the merchant too.",
    )

    # === CANCELLATION === #
    cancelled_at = fields.Datetime(string="Cancelled On", readonly=True, copy=False)
    cancelled_by = fields.Selection(
        selection=[("customer", "Customer"), ("merchant", "Merchant"), ("system", "System")],
        readonly=True,
        copy=False,
    )
    cancel_reason = fields.Text(string="Reason", readonly=True, copy=False)

    # === CHECK-IN AND COMPLETION === #
    checked_in_at = fields.Datetime(string="Checked In On", readonly=True, copy=False)
    check_in_method = fields.Selection(
        selection=[("staff", "By staff")],
        readonly=True,
        copy=False,
    )
    completed_at = fields.Datetime(string="Completed On", readonly=True, copy=False)

    # === DEFAULTS === #

    @api.model
    def _default_page_id(self):
        return self.env["booking.page"].search([("company_id", "in", self.env.companies.ids)], limit=1)

    def _expand_states(self, states, domain):
        return list(PIPELINE_STATES)

    # === COMPUTES === #

    @api.depends("service_id")
    def _compute_service_snapshot(self):
        """Copy the service's duration and buffers when the service is chosen.

        They are a snapshot on purpose: editing a service later must neither
        move existing appointments nor make them overlap.
        """
        for appointment in self:
            service = appointment.service_id
            appointment.duration_minutes = (service.duration_minutes and appointment._get_booked_duration()) \
                or appointment.duration_minutes or 60
            appointment.buffer_before_minutes = service.buffer_before_minutes
            appointment.buffer_after_minutes = service.buffer_after_minutes

    @api.depends("state")
    def _compute_state_color(self):
        for appointment in self:
            appointment.state_color = STATE_COLORS.get(appointment.state, 0)

    @api.depends("start", "duration_minutes")
    def _compute_stop(self):
        for appointment in self:
            appointment.stop = (
                appointment.start + timedelta(minutes=appointment.duration_minutes) if appointment.start else False
            )

    @api.depends("start", "stop", "buffer_before_minutes", "buffer_after_minutes")
    def _compute_busy_range(self):
        for appointment in self:
            if not appointment.start or not appointment.stop:
                appointment.busy_start = appointment.busy_stop = False
                continue
            appointment.busy_start = appointment.start - timedelta(minutes=appointment.buffer_before_minutes)
            appointment.busy_stop = appointment.stop + timedelta(minutes=appointment.buffer_after_minutes)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for appointment in self:
            appointment.access_url = f"/my/bookings/{appointment.id}"
        return res

    @api.depends("name", "service_id", "partner_id")
    def _compute_display_name(self):
        for appointment in self:
            parts = [appointment.name if appointment.name != "/" else "", appointment.partner_id.name,
                     appointment.service_id.name]
            appointment.display_name = " · ".join(part for part in parts if part)

    # === DATABASE CONSTRAINTS === #

    def init(self):
        """Create the exclusion constraints that make double bookings impossible.

        Created here rather than in ``_sql_constraints`` because they need the
        ``btree_gist`` extension first. Runs on install and on every upgrade;
        each is (re)created only when missing or when its definition changed
        (recorded in its comment).

        - ``booking_appointment_no_overlap``: one provider, one buffered time;
        - ``booking_appointment_no_customer_overlap``: a customer who booked
          online holds one time per page (unless the page allows more), so
          a retried request cannot book them twice with two providers.
        """
        res = super().init()
        cr = self.env.cr
        cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        states = SQL("state IN %s", TIME_HOLDING_STATES)
        self._ensure_exclusion_constraint(
            EXCLUSION_CONSTRAINT,
            SQL("provider_id WITH =, tsrange(busy_start, busy_stop, '[)') WITH &&"),
            states,
            "states:" + ",".join(TIME_HOLDING_STATES),
        )
        self._ensure_exclusion_constraint(
            CUSTOMER_EXCLUSION_CONSTRAINT,
            SQL("page_id WITH =, partner_id WITH =, tsrange(start, stop, '[)') WITH &&"),
            SQL("%s AND customer_exclusive", states),
            "customer-v1 states:" + ",".join(TIME_HOLDING_STATES),
        )
        # when each provider was last booked ("any available" ties), without reading their whole history
        create_index(cr, "booking_appointment_provider_booked_index", self._table, ["provider_id", "create_date"],
                     where="state IN (%s)" % ", ".join(f"'{state}'" for state in TIME_HOLDING_STATES))
        # the confirmed ones by their end (no-shows are found among them), never walking through the history
        create_index(cr, CONFIRMED_STOP_INDEX, self._table, ["stop"], where="state = 'confirmed'")
        return res

    def _ensure_exclusion_constraint(self, name, elements, where, signature):
        cr = self.env.cr
        cr.execute(
            """
            SELECT obj_description(c.oid, 'pg_constraint')
              FROM pg_constraint c
             WHERE c.conname = %s AND c.conrelid = 'booking_appointment'::regclass
            """,
            [name],
        )
        row = cr.fetchone()
        if row and row[0] == signature:
            return
        if row:
            cr.execute(SQL("ALTER TABLE booking_appointment DROP CONSTRAINT %s", SQL.identifier(name)))
        cr.execute(SQL(
            "ALTER TABLE booking_appointment ADD CONSTRAINT %s EXCLUDE USING gist (%s) WHERE (%s)",
            SQL.identifier(name), elements, where,
        ))
        cr.execute(SQL("COMMENT ON CONSTRAINT %s ON booking_appointment IS %s", SQL.identifier(name), signature))
        _logger.info("Created exclusion constraint %s", name)

    def _slot_taken_error(self):
        return SlotUnavailableError(
            self.env._("This time is no longer available: the provider is already booked. Please choose another time.")
        )

    def _exclusion_error(self, error):
        """The refusal a violated exclusion constraint stands for."""
        if error.diag.constraint_name == CUSTOMER_EXCLUSION_CONSTRAINT:
            return self._customer_busy_error()
        return self._slot_taken_error()

    def _customer_busy_error(self, appointment=None, reference=None):
        """The refusal of a second booking of one customer at one time (their own booking named, if known)."""
        reference = reference or (appointment.name if appointment else None)
        if reference:
            return BookingActionRefused("already_booked", self.env._(
                "You already have a booking at this time (%(ref)s). Change that one, or choose another time.",
                ref=reference))
        return BookingActionRefused("already_booked", self.env._(
            "These contact details already hold a booking at this time: check your e-mail or text messages "
            "for its confirmation, or choose another time."))

    # === PYTHON CONSTRAINTS === #

    @api.constrains("start", "stop")
    def _check_times(self):
        for appointment in self:
            if appointment.stop <= appointment.start:
                raise ValidationError(self.env._("An appointment must end after it starts."))

    @api.constrains("service_id", "provider_id", "page_id")
    def _check_offer(self):
        Availability = self.env["booking.availability"]
        for appointment in self:
            if Availability._reuse_check(appointment, "offer"):
                continue  # this transaction found this very slot offered (booking.availability._find_slot_or_raise)
            service, provider, page = appointment.service_id, appointment.provider_id, appointment.page_id
            if service not in provider.service_ids:
                raise ValidationError(
                    self.env._("%(provider)s does not deliver %(service)s.", provider=provider.name,
                               service=service.name)
                )
            if service not in page.service_ids or provider not in page.provider_ids:
                raise ValidationError(
                    self.env._(
                        "%(service)s with %(provider)s is not offered on the page %(page)s.",
                        service=service.name,
                        provider=provider.name,
                        page=page.name,
                    )
                )

    @api.constrains("start", "stop", "provider_id")
    def _check_working_time(self):
        """Appointments holding time must lie within the provider's working time.

        Overlaps are PostgreSQL's business (the exclusion constraint); this
        check covers hours and time off, which the database cannot see.
        """
        Availability = self.env["booking.availability"]
        for appointment in self.filtered(lambda a: a.state in TIME_HOLDING_STATES):
            if Availability._reuse_check(appointment, "working_time"):
                continue  # this transaction found this very slot within working time (_find_slot_or_raise)
            if not Availability._fits_working_time(appointment.provider_id, appointment.start, appointment.stop):
                raise SlotUnavailableError(
                    self.env._(
                        "%(provider)s is not working at %(when)s for %(minutes)s minutes "
                        "(outside working hours or on time off).",
                        provider=appointment.provider_id.name,
                        when=appointment._format_local(appointment.start),
                        minutes=appointment.duration_minutes,
                    )
                )

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self._get_next_reference(vals)
        now = fields.Datetime.now()
        for vals in vals_list:
            state = vals.get("state", "confirmed")
            if state == "pending_payment" and not vals.get("hold_expires_at"):
                page = self.env["booking.page"].browse(vals.get("page_id"))
                vals["hold_expires_at"] = now + timedelta(minutes=page.payment_hold_minutes or 15)
            vals.update(self._state_entry_values(state, vals))
        drafts = self._new_drafts(vals_list)
        drafts._lock_schedules(
            [(a.provider_id.id, a.partner_id.id if a.customer_exclusive else None)
             for a in drafts if a.state in TIME_HOLDING_STATES])
        # in memory first: a conflict with a committed booking is refused
        # before any INSERT; only true races reach the exclusion constraint
        drafts._check_no_overlap(release_expired=True)
        try:
            with expected_violation(EXCLUSION_CONSTRAINT, CUSTOMER_EXCLUSION_CONSTRAINT), self.env.cr.savepoint():
                appointments = super().create(vals_list)
        except psycopg2.errors.ExclusionViolation as error:
            raise self._exclusion_error(error) from None
        appointments._on_created()
        appointments._complete_creation()
        return appointments

    def _new_drafts(self, vals_list):
        """In-memory appointments for ``vals_list`` (defaults applied), with their computed ranges."""
        drafts = self.browse()
        for vals in vals_list:
            drafts |= self.new(self._add_missing_default_values(vals))
        return drafts

    def write(self, vals):
        if "state" in vals and not self.env.su:
            # every move is a transition (its rules and hooks): the caller's right is checked there
            raise AccessError(self.env._("A booking changes state through its actions, not by a direct write."))
        moving = MOVING_FIELDS & vals.keys()
        if moving:
            frozen = self.filtered(lambda a: a.state not in MOVABLE_STATES)
            if frozen:
                raise UserError(
                    self.env._(
                        "%(ref)s is %(state)s: its time, provider and service can no longer change.",
                        ref=frozen[0].name,
                        state=frozen[0]._state_label(),
                    )
                )
            if {"start", "provider_id"} & vals.keys():
                vals = {**vals, "moved_by": vals.get("moved_by") or "merchant"}
        before = {a.id: (a.start, a.provider_id) for a in self} if moving else {}
        if not self._get_slot_fields() & vals.keys():
            return super().write(vals)
        # before the UPDATE: constraints run inside super().write() and may flush it
        self._lock_schedules([
            (vals.get("provider_id") or a.provider_id.id,
             (vals.get("partner_id") or a.partner_id.id) if vals.get("customer_exclusive", a.customer_exclusive)
             else None)
            for a in self if vals.get("state", a.state) in TIME_HOLDING_STATES])
        try:
            with expected_violation(EXCLUSION_CONSTRAINT, CUSTOMER_EXCLUSION_CONSTRAINT), self.env.cr.savepoint():
                result = super().write(vals)
                # new values are in the cache, not yet in the table: check them
                # before the savepoint flushes them
                self._check_no_overlap()
        except psycopg2.errors.ExclusionViolation as error:
            raise self._exclusion_error(error) from None
        for appointment in self.filtered(lambda a: a.id in before):
            old_start, old_provider = before[appointment.id]
            if (old_start, old_provider) != (appointment.start, appointment.provider_id):
                appointment._message_log(
                    body=self.env._(
                        "Moved from %(old)s with %(old_provider)s to %(new)s with %(new_provider)s.",
                        old=appointment._format_local(old_start),
                        old_provider=old_provider.name,
                        new=appointment._format_local(appointment.start),
                        new_provider=appointment.provider_id.name,
                    )
                )
                appointment._on_moved(old_start, old_provider)
        return result

    def _lock_schedules(self, holders):
        """Lock the schedules of these providers (and one-at-a-time customers) until the transaction ends.

        Taken, in a fixed order, before an appointment that holds time is
        inserted or updated, so that a second booking of the same provider
        (or customer) waits here rather than in the exclusion constraint on
        the first one's uncommitted row. Otherwise the first one, updating
        its own row later (its ``contract_id``, flushed at commit), may land
        on another heap page, re-check the constraint, find the second one's
        uncommitted row in turn and wait for it: a deadlock where a clean
        "slot taken" was due. Bookings of one provider thus queue until
        commit; different providers never wait for each other.

        :param holders: ``(provider_id, partner_id or None)`` pairs.
        """
        keys = [("booking.provider.schedule", provider) for provider in sorted({p for p, _c in holders if p})]
        keys += [("booking.customer.schedule", partner) for partner in sorted({c for _p, c in holders if c})]
        if keys:  # one statement, the locks taken in the order of the arrays
            self.env.cr.execute(SQL(
                "SELECT count(pg_advisory_xact_lock(hashtext(k.namespace), k.id))"
                " FROM unnest(%s::text[], %s::int[]) AS k(namespace, id)",
                [namespace for namespace, _id in keys], [record_id for _namespace, record_id in keys]))

    def _check_no_overlap(self, release_expired=False):
        """Refuse appointments of ``self`` that overlap a stored, time-holding one.

        ``release_expired``: holds nobody paid for give way (a new booking), as
        the engine, which shows their time as free, promised; a hold being
        paid (``_is_hold_being_paid``) is kept: the customer has paid.

        Reads ``self`` from the cache (drafts, or records being written) and
        the others from the table, without flushing. The exclusion constraint
        stays the last word for concurrent transactions; this check keeps the
        ordinary case (a slot taken earlier) out of PostgreSQL's error log.
        """
        stored_ids = [rid for rid in self._ids if isinstance(rid, int)]
        for appointment in self:
            if appointment.state not in TIME_HOLDING_STATES or not appointment.provider_id:
                continue
            if not appointment.busy_start or not appointment.busy_stop:
                continue
            # the provider's time, and the customer's when they hold one booking at a time: one round trip
            query = SQL(
                """
                SELECT 'time', id, state = 'pending_payment' AND hold_expires_at < %(now)s, name
                  FROM booking_appointment
                 WHERE provider_id = %(provider)s
                   AND state IN %(states)s
                   AND tsrange(busy_start, busy_stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                   AND id != ALL(%(exclude)s)
                """,
                now=fields.Datetime.now(), provider=appointment.provider_id.id, states=TIME_HOLDING_STATES,
                start=appointment.busy_start, stop=appointment.busy_stop, exclude=stored_ids,
            )
            if appointment.customer_exclusive and appointment.partner_id:
                query = SQL("%s UNION ALL %s", query, SQL(
                    """
                    (SELECT 'customer', id, FALSE, name
                      FROM booking_appointment
                     WHERE page_id = %(page)s
                       AND partner_id = %(partner)s
                       AND customer_exclusive
                       AND state IN %(states)s
                       AND tsrange(start, stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                       AND id != ALL(%(exclude)s)
                     LIMIT 1)
                    """,
                    page=appointment.page_id.id, partner=appointment.partner_id.id, states=TIME_HOLDING_STATES,
                    start=appointment.start, stop=appointment.stop, exclude=stored_ids,
                ))
            self.env.cr.execute(query)
            rows = self.env.cr.fetchall()
            clashes = {rid: expired for kind, rid, expired, _name in rows if kind == "time"}
            if release_expired and any(clashes.values()):
                stale = self.sudo().browse([rid for rid, expired in clashes.items() if expired])
                released = stale.filtered(lambda a: not a._is_hold_being_paid())
                released._action_expire(self.env._("The payment hold expired."))
                clashes = {rid: expired for rid, expired in clashes.items() if rid not in released.ids}
                rows = [row for row in rows if row[1] not in released.ids]
            if clashes:
                raise self._slot_taken_error()
            for _kind, _rid, _expired, name in rows:
                raise self._customer_busy_error(reference=name)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_holding_time(self):
        holding = self.filtered(lambda a: a.state in TIME_HOLDING_STATES)
        if holding:
            raise UserError(
                self.env._(
                    "%(ref)s is %(state)s: cancel it instead of deleting it, so its history stays.",
                    ref=holding[0].name,
                    state=holding[0]._state_label(),
                )
            )

    # === HOOKS (what the layers extend, calling super()) === #

    def _on_created(self):
        """New appointments were inserted (any state): layers attach what the creator's answer needs.

        Called once per ``create`` with all the new records, in the creating
        transaction. What can wait belongs in ``_after_created``.
        """

    def _complete_creation(self):
        """Give new appointments what their creator's answer does not need: ``_after_created``, then their
        first state (``_on_state_changed``). At once for ``create``; a layer may defer it (see intake)."""
        if not self:
            return
        self._after_created()
        for appointment in self.filtered(lambda a: a.state not in HISTORY_STATES):
            appointment._on_state_changed(False)

    def _after_created(self):
        """What new appointments get that need not exist before their creator is answered (followers, what
        is owed when nothing is due yet, news to open pages), before ``_on_state_changed`` tells their state."""

    def _before_state_change(self, new_state):
        """``self`` is about to move to ``new_state`` (the move is legal): take what must be held first.

        E.g. what a double click must not do twice is locked here, so the
        second click gets a clear error instead of repeating it.
        """

    def _on_state_changed(self, old_state):
        """This appointment just entered its state from ``old_state`` (``False``: just created).

        The one place the layers react to the life cycle (messages, money,
        points, offers of freed time...), whatever moved it: a staff
        action, a link, a payment, a scheduled job. Not called for
        appointments created in a final state (history being imported).
        """
        self.ensure_one()

    def _on_moved(self, old_start, old_provider):
        """This appointment was moved from ``old_start`` with ``old_provider`` (by ``moved_by``)."""
        self.ensure_one()

    @api.model
    def _get_slot_fields(self):
        """Fields whose change can make two appointments overlap (see ``SLOT_FIELDS``)."""
        return SLOT_FIELDS

    def _get_booked_duration(self):
        """How long this appointment lasts when booked, in minutes: the service's duration."""
        self.ensure_one()
        return self.service_id.duration_minutes

    def _is_hold_being_paid(self):
        """Whether this unpaid hold is being paid right now (then it is not released when it expires)."""
        self.ensure_one()
        return False

    # === LIFE CYCLE === #

    @api.model
    def _get_initial_state(self, page, service, source, prepay_full=False):
        """Where a new booking starts in the life cycle (DESIGN.md section 3).

        Staff bookings are made by the merchant, who is also the approver, so
        they are confirmed; customers' bookings go to approval or are
        confirmed (and first wait for their payment when one is due up
        front: a layer says so).
        """
        if source == "backend":
            return "confirmed"
        return self._get_state_after_payment(page, service)

    @api.model
    def _get_state_after_payment(self, page, service):
        return "pending" if service.requires_approval and not page.auto_confirm else "confirmed"

    def _transition(self, action, allowed, new_state, vals=None, note=None):
        """Move every appointment of ``self`` to ``new_state``, or none of them.

        :param str action: what the user did, for messages ("approved").
        :param tuple allowed: states the move is legal from.
        :param dict vals: other values to write along.
        :param str note: extra text for the chatter (a reason).
        """
        illegal = self.filtered(lambda a: a.state not in allowed)
        if illegal:
            appointment = illegal[0]
            raise UserError(
                self.env._(
                    "%(ref)s cannot be %(action)s: it is %(state)s.",
                    ref=appointment.name,
                    action=action,
                    state=appointment._state_label(),
                )
            )
        self._before_state_change(new_state)
        for appointment in self:
            old_state, old_label = appointment.state, appointment._state_label()
            appointment.check_access("write")  # the caller may change this very booking; the state is ours to write
            appointment.sudo().write(
                dict(vals or {}, state=new_state, **appointment._state_entry_values(new_state, vals)))
            # online, the public user acts for the customer: name the customer
            actor = appointment.partner_id.name if self.env.user._is_public() else self.env.user.name
            body = escape(
                self.env._(
                    "%(action)s by %(user)s: %(old)s → %(new)s.",
                    action=action.capitalize(),
                    user=actor,
                    old=old_label,
                    new=appointment._state_label(),
                )
            )
            if note:
                body += Markup("<br/>") + escape(note)
            appointment._message_log(body=body)
            appointment._on_state_changed(old_state)
        return True

    @api.model
    def _state_entry_values(self, state, vals=None):
        """Values that come with entering ``state`` (unless ``vals`` sets them)."""
        vals = vals or {}
        now = fields.Datetime.now()
        if state == "confirmed" and not vals.get("confirmed_at"):
            return {"confirmed_at": now}
        if state == "pending" and not vals.get("pending_since"):
            return {"pending_since": now}
        return {}

    def action_approve(self, note=None):
        """Approve a request waiting for the merchant."""
        return self._transition(self.env._("approved"), ("pending",), "confirmed", note=note)

    def action_decline(self, reason=None):
        """Decline a request waiting for the merchant; its slot is freed (what was paid is given back)."""
        return self._transition(
            self.env._("declined"),
            ("pending",),
            "rejected",
            vals={"cancel_reason": reason or False, "cancelled_at": fields.Datetime.now(), "cancelled_by": "merchant"},
            note=reason,
        )

    def action_check_in(self, method="staff"):
        """The customer has arrived."""
        return self._transition(
            self.env._("checked in"),
            ("confirmed",),
            "checked_in",
            vals={"checked_in_at": fields.Datetime.now(), "check_in_method": method},
        )

    def action_complete(self):
        """Checkout: the service was delivered (the layers settle what is due)."""
        return self._transition(
            self.env._("completed"), ("checked_in",), "done", vals={"completed_at": fields.Datetime.now()}
        )

    def action_cancel(self, reason=None, cancelled_by="merchant"):
        """Cancel a booking that has not started; its slot is freed.

        What was paid is given back by the layers' rules: the policy's share
        for the notice given (``start`` − ``cancelled_at``) when the customer
        cancels, everything when the merchant (or the system) does.
        """
        return self._transition(
            self.env._("cancelled"),
            CANCELLABLE_STATES,
            "cancelled",
            vals={
                "cancel_reason": reason or False,
                "cancelled_at": fields.Datetime.now(),
                "cancelled_by": cancelled_by,
            },
            note=reason,
        )

    def action_no_show(self):
        """The customer did not come. Only once the appointment has started."""
        now = fields.Datetime.now()
        early = self.filtered(lambda a: a.state == "confirmed" and a.start > now)
        if early:
            raise UserError(
                self.env._(
                    "%(ref)s has not started yet (%(when)s): it cannot be a no-show.",
                    ref=early[0].name,
                    when=early[0]._format_local(early[0].start),
                )
            )
        return self._transition(self.env._("marked as no-show"), ("confirmed",), "no_show")

    def _action_expire(self, reason=None):
        """Release a hold nobody paid for, or a request nobody answered."""
        return self._transition(
            self.env._("expired"),
            ("pending_payment", "pending"),
            "expired",
            vals={"cancelled_at": fields.Datetime.now(), "cancelled_by": "system", "cancel_reason": reason or False},
            note=reason,
        )

    def _action_release_hold(self, action):
        """A held time becomes a booking (paid, or an offer accepted): on to approval or confirmation."""
        for appointment in self:
            new_state = self._get_state_after_payment(appointment.page_id, appointment.service_id)
            appointment._transition(action, ("pending_payment",), new_state, vals={"hold_expires_at": False})
        return True

    def _creation_message(self):
        """The first chatter line says how, for when and in which state it was booked."""
        self.ensure_one()
        return self.env._(
            "Booked (%(origin)s) for %(when)s: %(state)s.",
            origin=dict(self._fields["source"]._description_selection(self.env))[self.source],
            when=self._format_local(self.start),
            state=self._state_label(),
        )

    # === HELPERS === #

    def _local_day(self):
        self.ensure_one()
        return self._local_start().date() if self.start and self.page_id else False

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _format_local(self, value, style="short"):
        """``value`` (naive UTC) for a message about this appointment (chatter, refusals): the page's format."""
        self.ensure_one()
        return self.page_id._format_when(value, style=style)

    def _when_label(self, value=None, style="long"):
        """``value`` (default: the start) as customers read it everywhere: see ``booking.page._format_when``.

        Accepts a naive UTC datetime or its string (values stored with a queued message).
        """
        self.ensure_one()
        return self.page_id._format_when(value or self.start, style=style)

    def _local_start(self):
        self.ensure_one()
        return pytz.utc.localize(self.start).astimezone(pytz.timezone(self.page_id.tz or "UTC"))

    def _get_agenda_address(self):
        """Where the appointment takes place, as text: the page's address."""
        self.ensure_one()
        return self.page_id._get_address_text()

    def _map_url(self):
        """A map of where the job is (OpenStreetMap search), or nothing."""
        self.ensure_one()
        where = self._get_agenda_address()
        return f"https://www.openstreetmap.org/search?query={url_quote(where)}" if where else ""

    def _is_staff(self, user):
        """Whether ``user`` works for this booking's merchant (staff of another company do not)."""
        self.ensure_one()
        return user.has_group("self_serve_booking.group_booking_user") and self.company_id in user.company_ids

    # === BACKEND ACTIONS === #

    def _open_reason_wizard(self, action):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decline the request") if action == "decline" else self.env._("Cancel the booking"),
            "res_model": "booking.appointment.reason.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_appointment_ids": self.ids, "default_action": action},
        }

    def action_open_decline_wizard(self):
        return self._open_reason_wizard("decline")

    def action_open_cancel_wizard(self):
        return self._open_reason_wizard("cancel")

    @api.model
    def _get_action_for(self, field, record):
        """The appointments' window action, showing those of ``record`` (by ``field``) and creating theirs."""
        action = self.env["ir.actions.act_window"]._for_xml_id("self_serve_booking.booking_appointment_action")
        action["domain"] = [(field, "=", record.id)]
        action["context"] = {f"default_{field}": record.id}
        return action
