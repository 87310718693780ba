import base64
import io
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2
import pytz
import qrcode
from markupsafe import Markup
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, consteq, format_datetime
from odoo.tools.misc import hmac as hmac_sign

from ..exceptions import SlotUnavailableError
from .booking_availability import TIME_HOLDING_STATES

_logger = logging.getLogger(__name__)

EXCLUSION_CONSTRAINT = "booking_appointment_no_overlap"

# States from which the time, the provider or the service may still change.
MOVABLE_STATES = ("pending_payment", "pending", "confirmed")

# Fields whose change can make two appointments overlap: writes touching
# them are checked against the exclusion constraint inside a savepoint.
SLOT_FIELDS = {
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
}


class BookingAppointment(models.Model):
    """An appointment of a customer with a provider for a service.

    Times are stored in UTC; ``busy_start``/``busy_stop`` widen them by the
    service's buffers and are what PostgreSQL's exclusion constraint keeps
    from overlapping for one provider, so double bookings are impossible
    whatever the number of workers or nodes. Every change of state goes
    through an ``action_*`` method that refuses illegal moves and leaves a
    line in the chatter.
    """

    _name = "booking.appointment"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
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
        selection=[("website", "Website"), ("backend", "Backend"), ("api", "API"), ("waitlist", "Waitlist")],
        required=True,
        default="backend",
        readonly=True,
    )
    channel = fields.Selection(
        selection=[("online", "Online"), ("phone", "Phone"), ("walk_in", "Walk-in"), ("other", "In person")],
        required=True,
        default="online",
        help="How a booking taken by staff reached them.",
    )

    # === WHAT, WHO, WITH WHOM === #
    service_id = fields.Many2one("booking.service", required=True, index=True, check_company=True, tracking=True)
    provider_id = fields.Many2one("booking.provider", required=True, index=True, check_company=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, check_company=True
    )
    partner_email = fields.Char(related="partner_id.email", string="E-mail")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    note = fields.Text(help="Anything the customer or staff want the provider to know.")
    color = fields.Integer(related="provider_id.color")

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
        compute="_compute_service_snapshot", store=True, readonly=False, precompute=True
    )
    buffer_after_minutes = fields.Integer(
        compute="_compute_service_snapshot", store=True, readonly=False, precompute=True
    )
    stop = fields.Datetime(compute="_compute_stop", store=True, precompute=True, required=True, index=True)
    busy_start = fields.Datetime(
        compute="_compute_busy_range",
        store=True,
        precompute=True,
        required=True,
        help="Start widened by the service's buffer: the provider is busy from here.",
    )
    busy_stop = fields.Datetime(compute="_compute_busy_range", store=True, precompute=True, required=True)

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
    confirmed_at = fields.Datetime(readonly=True, copy=False)

    # === CANCELLATION === #
    cancelled_at = fields.Datetime(readonly=True, copy=False)
    cancelled_by = fields.Selection(
        selection=[("customer", "Customer"), ("merchant", "Merchant"), ("system", "System")],
        readonly=True,
        copy=False,
    )
    cancel_reason = fields.Text(string="Reason", readonly=True, copy=False)

    # === CHECK-IN AND CHECKOUT === #
    checked_in_at = fields.Datetime(readonly=True, copy=False)
    check_in_method = fields.Selection(
        selection=[("staff", "By staff"), ("qr", "QR code"), ("portal", "Customer portal")],
        readonly=True,
        copy=False,
    )
    completed_at = fields.Datetime(readonly=True, copy=False)

    # === MONEY === #
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(
        compute="_compute_price", store=True, readonly=False, precompute=True, currency_field="currency_id"
    )
    contract_id = fields.Many2one("booking.payment.contract", string="Payment Contract", readonly=True, copy=False)
    payment_state = fields.Selection(related="contract_id.state", string="Payment")
    amount_paid = fields.Monetary(related="contract_id.amount_net", string="Net Charged")
    amount_due = fields.Monetary(related="contract_id.amount_balance_due", string="Balance Due")

    # === DEFAULTS === #

    @api.model
    def _default_page_id(self):
        return self.env["booking.page"].search([("company_id", "in", self.env.companies.ids)], limit=1)

    def _expand_states(self, states, domain):
        return ["pending_payment", "pending", "confirmed", "checked_in", "done"]

    # === COMPUTES === #

    @api.depends("service_id")
    def _compute_service_snapshot(self):
        """Copy the service's duration and buffers when the service is chosen.

        They are a snapshot on purpose: editing a service later must neither
        move existing appointments nor make them overlap.
        """
        for appointment in self:
            service = appointment.service_id
            appointment.duration_minutes = service.duration_minutes or appointment.duration_minutes or 60
            appointment.buffer_before_minutes = service.buffer_before_minutes
            appointment.buffer_after_minutes = service.buffer_after_minutes

    @api.depends("service_id")
    def _compute_price(self):
        for appointment in self:
            appointment.price = appointment.service_id.price

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

    # === DATABASE CONSTRAINT === #

    def init(self):
        """Create the exclusion constraint that makes double booking impossible.

        Created here rather than in ``_sql_constraints`` because it needs the
        ``btree_gist`` extension first. Runs on install and on every upgrade;
        it is (re)created only when missing or when the set of time-holding
        states it was built for changed (recorded in its comment).
        """
        super().init()
        cr = self.env.cr
        cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        signature = "states:" + ",".join(TIME_HOLDING_STATES)
        cr.execute(
            """
            SELECT obj_description(c.oid, 'pg_constraint')
              FROM pg_constraint c
             WHERE c.conname = %s AND c.conrelid = 'booking_appointment'::regclass
            """,
            [EXCLUSION_CONSTRAINT],
        )
        row = cr.fetchone()
        if row and row[0] == signature:
            return
        if row:
            cr.execute(SQL("ALTER TABLE booking_appointment DROP CONSTRAINT %s", SQL.identifier(EXCLUSION_CONSTRAINT)))
        cr.execute(
            SQL(
                """
                ALTER TABLE booking_appointment
                  ADD CONSTRAINT %(name)s
                  EXCLUDE USING gist (provider_id WITH =, tsrange(busy_start, busy_stop, '[)') WITH &&)
                  WHERE (state IN %(states)s)
                """,
                name=SQL.identifier(EXCLUSION_CONSTRAINT),
                states=TIME_HOLDING_STATES,
            )
        )
        cr.execute(
            SQL(
                "COMMENT ON CONSTRAINT %s ON booking_appointment IS %s",
                SQL.identifier(EXCLUSION_CONSTRAINT),
                signature,
            )
        )
        _logger.info("Created exclusion constraint %s", EXCLUSION_CONSTRAINT)

    def _slot_taken_error(self):
        return SlotUnavailableError(
            self.env._("This time is no longer available: the provider is already booked. Please choose another time.")
        )

    # === PYTHON CONSTRAINTS === #

    @api.constrains("start", "stop")
    def _check_times(self):
        for appointment in self:
            if appointment.stop <= appointment.start:
                raise ValidationError(self.env._("An appointment must end after it starts."))

    @api.constrains("service_id", "provider_id", "page_id")
    def _check_offer(self):
        for appointment in self:
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
        if self.env.context.get("booking_skip_working_time"):
            return
        Availability = self.env["booking.availability"]
        for appointment in self.filtered(lambda a: a.state in TIME_HOLDING_STATES):
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
                vals["name"] = self.env["ir.sequence"].next_by_code("booking.appointment") or "/"
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("state") == "pending_payment" and not vals.get("hold_expires_at"):
                page = self.env["booking.page"].browse(vals.get("page_id"))
                vals["hold_expires_at"] = now + timedelta(minutes=page.payment_hold_minutes or 15)
        drafts = self._new_drafts(vals_list)
        # holds nobody paid for give way to the new booking, as the engine
        # (which already shows their time as free) promised
        drafts._release_expired_holds()
        # in memory first: a conflict with a committed booking is refused
        # before any INSERT; only true races reach the exclusion constraint
        drafts._check_no_overlap()
        try:
            with self.env.cr.savepoint():
                appointments = super().create(vals_list)
        except psycopg2.errors.ExclusionViolation:
            raise self._slot_taken_error() from None
        appointments._notify_availability()
        appointments._create_contracts()
        return appointments

    def _create_contracts(self):
        """One payment contract per appointment that involves money."""
        vals_list = [
            {
                "appointment_id": appointment.id,
                "currency_id": appointment.currency_id.id,
                "amount_total": appointment.price,
                "amount_deposit": appointment.service_id._get_deposit_amount(appointment.price)
                if appointment.state == "pending_payment" else 0.0,
            }
            for appointment in self
            if not appointment.contract_id and appointment.currency_id.compare_amounts(appointment.price, 0.0) > 0
        ]
        contracts = self.env["booking.payment.contract"].sudo().create(vals_list)
        for contract in contracts:
            contract.appointment_id.contract_id = contract
        return contracts

    def _release_expired_holds(self):
        """Expire unpaid holds past their deadline that overlap these appointments.

        A hold whose deposit is being processed (pending, authorized or done
        but not yet post-processed) is kept: the customer has paid.
        """
        now = fields.Datetime.now()
        for appointment in self:
            if appointment.state not in TIME_HOLDING_STATES or not appointment.busy_start:
                continue
            stale = self.sudo().search([
                ("provider_id", "=", appointment.provider_id.id),
                ("state", "=", "pending_payment"),
                ("hold_expires_at", "<", now),
                ("busy_start", "<", appointment.busy_stop),
                ("busy_stop", ">", appointment.busy_start),
                ("id", "not in", [i for i in self._ids if isinstance(i, int)]),
            ])
            stale.filtered(lambda a: not a._has_deposit_in_progress())._action_expire(
                self.env._("The payment hold expired.")
            )

    def _has_deposit_in_progress(self):
        self.ensure_one()
        return bool(self.contract_id.transaction_ids.filtered(
            lambda tx: tx.booking_payment_kind == "deposit" and tx.state in ("pending", "authorized", "done")
        ))

    def _new_drafts(self, vals_list):
        """In-memory appointments for ``vals_list`` (defaults applied), with their computed ranges."""
        drafts = self.browse()
        for vals in vals_list:
            drafts |= self.new(self._add_missing_default_values(vals))
        return drafts

    def write(self, vals):
        moving = {"start", "provider_id", "service_id", "duration_minutes"} & vals.keys()
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
        before = {a.id: (a.start, a.provider_id) for a in self} if moving else {}
        if not SLOT_FIELDS & vals.keys():
            return super().write(vals)
        days_before = {(a.page_id, a._local_day()) for a in self}
        try:
            with self.env.cr.savepoint():
                result = super().write(vals)
                # new values are in the cache, not yet in the table: check them
                # before the savepoint flushes them
                self._check_no_overlap()
        except psycopg2.errors.ExclusionViolation:
            raise self._slot_taken_error() from None
        self._notify_availability(extra_days=days_before)
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
        return result

    def _check_no_overlap(self):
        """Refuse appointments of ``self`` that overlap a stored, time-holding one.

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
            self.env.cr.execute(
                SQL(
                    """
                    SELECT 1
                      FROM booking_appointment
                     WHERE provider_id = %(provider)s
                       AND state IN %(states)s
                       AND busy_start < %(stop)s
                       AND busy_stop > %(start)s
                       AND id != ALL(%(exclude)s)
                     LIMIT 1
                    """,
                    provider=appointment.provider_id.id,
                    states=TIME_HOLDING_STATES,
                    start=appointment.busy_start,
                    stop=appointment.busy_stop,
                    exclude=stored_ids,
                )
            )
            if self.env.cr.fetchone():
                raise self._slot_taken_error()

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

    def _creation_message(self):
        """The first chatter line says how, for when and in which state it was booked."""
        self.ensure_one()
        return self.env._(
            "Booked (%(origin)s) for %(when)s: %(state)s.",
            origin=dict(self._fields["source"]._description_selection(self.env))[self.source],
            when=self._format_local(self.start),
            state=self._state_label(),
        )

    def _notify_availability(self, extra_days=()):
        """Tell open booking pages which local days just changed availability.

        Sent on the page's public bus channel when the transaction commits
        (Odoo's bus is transactional), so widgets refresh those days without a
        reload. The payload is public information: a page id and dates.
        """
        days_per_page = defaultdict(set)
        for page, day in {(a.page_id, a._local_day()) for a in self} | set(extra_days):
            if page and day:
                days_per_page[page].add(day.isoformat())
        for page, days in days_per_page.items():
            self.env["bus.bus"]._sendone(
                page._bus_channel(), "self_serve_booking/availability", {"page_id": page.id, "dates": sorted(days)}
            )

    def _local_day(self):
        self.ensure_one()
        return self._local_start().date() if self.start and self.page_id else False

    # === HELPERS === #

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _format_local(self, value, dt_format="medium"):
        """``value`` (naive UTC) in the page's time zone, for people to read."""
        self.ensure_one()
        return format_datetime(self.env, value, tz=self.page_id.tz or "UTC", dt_format=dt_format)

    def _local_start(self):
        self.ensure_one()
        return pytz.utc.localize(self.start).astimezone(pytz.timezone(self.page_id.tz or "UTC"))

    @api.model
    def _get_initial_state(self, page, service, source):
        """Where a new booking starts in the life cycle (DESIGN.md section 3).

        Customers pay the deposit first when there is one; staff bookings are
        made by the merchant, who is also the approver, so they are confirmed.
        """
        if source == "backend":
            return "confirmed"
        if service._get_deposit_amount() > 0:
            return "pending_payment"
        return self._get_state_after_payment(page, service)

    @api.model
    def _get_state_after_payment(self, page, service):
        return "pending" if service.requires_approval and not page.auto_confirm else "confirmed"

    # === LIFE CYCLE === #

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
        for appointment in self:
            old_label = appointment._state_label()
            appointment.write(dict(vals or {}, state=new_state))
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
        return True

    def action_confirm(self):
        """Approve a request waiting for the merchant."""
        return self._transition(
            self.env._("approved"), ("pending",), "confirmed", vals={"confirmed_at": fields.Datetime.now()}
        )

    def action_reject(self, reason=None):
        """Decline a request waiting for the merchant; its slot is freed, its deposit refunded."""
        self.contract_id._lock()
        self._transition(
            self.env._("declined"),
            ("pending",),
            "rejected",
            vals={"cancel_reason": reason or False, "cancelled_at": fields.Datetime.now(), "cancelled_by": "merchant"},
            note=reason,
        )
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._refund_for_cancellation("merchant", 0.0)
        return True

    def action_check_in(self, method="staff"):
        """The customer has arrived."""
        return self._transition(
            self.env._("checked in"),
            ("confirmed",),
            "checked_in",
            vals={"checked_in_at": fields.Datetime.now(), "check_in_method": method},
        )

    def action_complete(self):
        """Checkout: the service was delivered; the balance is charged on the saved card.

        The row is locked first, so a double click cannot charge twice; a
        failed or impossible charge leaves the balance due with a payment
        link sent to the customer, the appointment is done either way.
        """
        self.contract_id._lock()
        self._transition(
            self.env._("completed"), ("checked_in",), "done", vals={"completed_at": fields.Datetime.now()}
        )
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._charge_balance()
            appointment._send_receipt()
        return True

    def _send_receipt(self):
        """E-mail the receipt (PDF attached) through the mail queue; never blocks checkout."""
        self.ensure_one()
        template = self.env.ref("self_serve_booking.mail_template_booking_receipt", raise_if_not_found=False)
        if template and self.partner_id.email:
            self.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )

    def action_cancel(self, reason=None, cancelled_by="merchant"):
        """Cancel a booking that has not started; its slot is freed and money refunded.

        The customer gets the policy's refund for the notice given; a
        cancellation by the merchant (or the system) refunds everything.
        """
        self.contract_id._lock()
        now = fields.Datetime.now()
        notice = {a.id: (a.start - now).total_seconds() / 3600.0 for a in self}
        self._transition(
            self.env._("cancelled"),
            ("pending_payment", "pending", "confirmed"),
            "cancelled",
            vals={
                "cancel_reason": reason or False,
                "cancelled_at": fields.Datetime.now(),
                "cancelled_by": cancelled_by,
            },
            note=reason,
        )
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._refund_for_cancellation(cancelled_by, notice[appointment.id])
        return True

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
        self.contract_id._lock()
        self._transition(self.env._("marked as no-show"), ("confirmed",), "no_show")
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._charge_no_show_fee()
        return True

    def _action_expire(self, reason=None):
        """Release a hold nobody paid for, or a request nobody answered (deposit refunded)."""
        self._transition(
            self.env._("expired"),
            ("pending_payment", "pending"),
            "expired",
            vals={"cancelled_at": fields.Datetime.now(), "cancelled_by": "system", "cancel_reason": reason or False},
            note=reason,
        )
        for appointment in self.filtered(lambda a: a.contract_id.amount_paid):
            appointment.contract_id.sudo()._refund_for_cancellation("system", 0.0)
        return True

    def _revive_after_late_payment(self, tx):
        """The deposit arrived after the hold expired: book it if the time is still free.

        Otherwise the deposit is refunded in full and the customer told.
        """
        self.ensure_one()
        new_state = self._get_state_after_payment(self.page_id, self.service_id)
        try:
            with self.env.cr.savepoint():
                self._transition(self.env._("booked after a late payment"), ("expired",), new_state, vals={
                    "hold_expires_at": False, "cancelled_at": False, "cancelled_by": False, "cancel_reason": False,
                    "confirmed_at": fields.Datetime.now() if new_state == "confirmed" else False,
                })
        except SlotUnavailableError:
            self.contract_id._refund_duplicate(
                tx, self.env._("the time was taken by someone else after your hold expired")
            )
            return False
        return True

    @api.model
    def _cron_expire_payment_holds(self, batch_size=200):
        """Release unpaid holds past their deadline, oldest first, safe when runs overlap."""
        self.env["booking.appointment"].flush_model(["state", "hold_expires_at"])
        self.env.cr.execute(SQL(
            """
            SELECT id FROM booking_appointment
             WHERE state = 'pending_payment' AND hold_expires_at < %s
          ORDER BY hold_expires_at
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            fields.Datetime.now(), batch_size,
        ))
        stale = self.browse([row[0] for row in self.env.cr.fetchall()])
        stale = stale.filtered(lambda a: not a._has_deposit_in_progress())
        for appointment in stale:
            appointment._action_expire(self.env._("Nobody paid the deposit in time: the hold expired."))
        return len(stale)

    def _action_payment_done(self):
        """The deposit is paid: go on to approval or confirmation."""
        for appointment in self:
            new_state = self._get_state_after_payment(appointment.page_id, appointment.service_id)
            vals = {"hold_expires_at": False}
            if new_state == "confirmed":
                vals["confirmed_at"] = fields.Datetime.now()
            appointment._transition(self.env._("paid"), ("pending_payment",), new_state, vals=vals)
        return True

    # === BACKEND ACTIONS === #

    def _open_reason_wizard(self, action):
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.appointment.reason.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_appointment_ids": self.ids, "default_action": action},
        }

    def action_open_reject_wizard(self):
        return self._open_reason_wizard("reject")

    def action_open_cancel_wizard(self):
        return self._open_reason_wizard("cancel")

    def action_view_contract(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.payment.contract",
            "res_id": self.contract_id.id,
            "view_mode": "form",
            "name": self.env._("Payments of %(ref)s", ref=self.name),
        }

    # === CHECK-IN BY QR CODE === #

    def _check_in_signature(self):
        """HMAC of the booking and its customer with the database secret: the QR's proof."""
        self.ensure_one()
        return hmac_sign(self.env(su=True), "self_serve_booking.check_in", f"{self.id}:{self.partner_id.id}")

    def _check_in_signature_ok(self, signature):
        self.ensure_one()
        return bool(signature) and consteq(self._check_in_signature(), str(signature))

    def _check_in_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/booking/check-in/{self.id}/{self._check_in_signature()}"

    def _check_in_opens_at(self):
        self.ensure_one()
        return self.start - timedelta(minutes=self.page_id.check_in_opens_minutes)

    def _check_in_qr_code(self):
        """The check-in link as a QR code, a PNG data URI for pages and e-mails."""
        self.ensure_one()
        image = qrcode.make(self._check_in_url(), box_size=6, border=2)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Receipt %(ref)s", ref=self.name)
