from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..const import MOVABLE_STATES

# How far ahead the provider's next free time is looked for, and in steps of how many days.
NEXT_FREE_HORIZON_DAYS = 92
NEXT_FREE_STEP_DAYS = 14


class BookingTimeOff(models.TransientModel):
    """Block time for a provider, with the bookings in it listed before anything is saved.

    Each booking in the time off is moved to the provider's next free time
    after it, given to another provider free at the same time, or cancelled.
    Moves and cancellations go through the booking's own paths (``write``
    of ``start``/``provider_id`` as the day sheet's drag, ``action_cancel``
    as the form's button), with their checks, refunds and the messages the
    page's rules send the customer; then the time off is saved. All of it
    or nothing: one refusal rolls everything back.
    """

    _name = "booking.time.off"
    _description = "Block Time (bookings in it moved or cancelled)"

    provider_id = fields.Many2one("booking.provider", required=True, readonly=True, ondelete="cascade")
    name = fields.Char(string="Reason", required=True, default=lambda self: self.env._("Blocked"))
    date_from = fields.Datetime(string="From", required=True, default=lambda self: self._default_date_from())
    date_to = fields.Datetime(string="To", required=True, compute="_compute_date_to", store=True, readonly=False,
                              precompute=True)
    conflict_ids = fields.One2many(
        "booking.time.off.conflict", "wizard_id", string="Bookings in This Time",
        compute="_compute_conflict_ids", store=True, readonly=False)

    # === DEFAULTS AND COMPUTES === #

    @api.model
    def _default_date_from(self):
        """Now, on a five-minute mark: staff block time from now on (a sick call, an errand)."""
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        return now - timedelta(minutes=now.minute % 5)

    @api.depends("provider_id", "date_from")
    def _compute_date_to(self):
        """The end of the provider's day (where they work), unless staff say otherwise."""
        for wizard in self:
            if wizard.date_to or not wizard.date_from:
                wizard.date_to = wizard.date_to
                continue
            zone = pytz.timezone(wizard.provider_id.tz or "UTC")
            local = pytz.utc.localize(wizard.date_from).astimezone(zone)
            midnight = zone.localize(datetime.combine(local.date() + timedelta(days=1), time.min))
            wizard.date_to = midnight.astimezone(pytz.utc).replace(tzinfo=None) - timedelta(seconds=1)

    @api.depends("provider_id", "date_from", "date_to")
    def _compute_conflict_ids(self):
        for wizard in self:
            provider = wizard.provider_id._origin
            conflicts = provider._get_time_off_conflicts(wizard.date_from, wizard.date_to) if provider \
                else self.env["booking.appointment"]
            wizard.conflict_ids = [Command.clear()] + [
                Command.create(values) for values in wizard._propose(conflicts)]

    def _propose(self, conflicts):
        """A line per booking in the time off: where it could go, and the choice made by default.

        Computed in order of start, each proposal keeping clear of the ones
        before it: another provider free at the same time first (the customer
        keeps their time), else the provider's next free time after the time
        off, else cancelling.
        """
        self.ensure_one()
        taken = []  # (provider id, busy start, busy stop) already proposed
        lines = []
        for appointment in conflicts.with_env(self.env):  # the caller's rights from here on
            others = self._free_providers_at(appointment, taken)
            new_start = self._next_free_time(appointment, taken)
            decision = "provider" if others else "move" if new_start else "cancel"
            if decision == "provider":
                taken.append((others[0].id, *self._busy_range(appointment, appointment.start)))
            elif decision == "move":
                taken.append((appointment.provider_id.id, *self._busy_range(appointment, new_start)))
            lines.append({
                "appointment_id": appointment.id,
                "decision": decision,
                "new_start": new_start,
                "new_provider_id": others[:1].id,
                "allowed_provider_ids": [Command.set(others.ids)],
            })
        return lines

    @api.model
    def _busy_range(self, appointment, start):
        """The time ``appointment`` would hold from ``start``: its buffers (and drive) around it."""
        busy_before = appointment.start - appointment.busy_start
        busy_after = appointment.busy_stop - appointment.stop
        return start - busy_before, start + timedelta(minutes=appointment.duration_minutes) + busy_after

    @api.model
    def _clashes(self, taken, provider_id, start, stop):
        return any(other == provider_id and begin < stop and end > start for other, begin, end in taken)

    def _free_providers_at(self, appointment, taken):
        """Providers of the page who deliver the service and are free for this booking at its very time."""
        Availability = self.env["booking.availability"]
        page, service = appointment.page_id, appointment.service_id
        others = page._get_bookable_providers(service) - appointment.provider_id
        if not others:
            return others
        day = Availability._local_date(page, appointment.start)
        slots = Availability._get_slots(page, service, day, day, providers=others, strict=False,
                                        exclude_ids=appointment.ids, duration_minutes=appointment.duration_minutes)
        begin, end = self._busy_range(appointment, appointment.start)
        free = [slot.provider_id for slot in slots
                if slot.start == appointment.start and not self._clashes(taken, slot.provider_id, begin, end)]
        return self.env["booking.provider"].browse(dict.fromkeys(free))

    def _next_free_time(self, appointment, taken):
        """The provider's first free time for this booking after the time off (and after now), or False."""
        Availability = self.env["booking.availability"]
        page, service, provider = appointment.page_id, appointment.service_id, appointment.provider_id
        if provider not in page._get_bookable_providers(service):
            return False
        after = max(self.date_to, fields.Datetime.now())
        first = Availability._local_date(page, after)
        for offset in range(0, NEXT_FREE_HORIZON_DAYS, NEXT_FREE_STEP_DAYS):
            day_from = first + timedelta(days=offset)
            slots = Availability._get_slots(
                page, service, day_from, day_from + timedelta(days=NEXT_FREE_STEP_DAYS - 1), providers=provider,
                strict=False, exclude_ids=appointment.ids, duration_minutes=appointment.duration_minutes)
            for slot in slots:
                if slot.start >= after and not self._clashes(taken, provider.id, *self._busy_range(
                        appointment, slot.start)):
                    return slot.start
        return False

    # === ACTIONS === #

    def action_confirm(self):
        """Move or cancel each booking in the time off as chosen, then save the time off."""
        self.ensure_one()
        if self.date_to <= self.date_from:
            raise UserError(self.env._("The time off must end after it starts."))
        provider = self.provider_id
        current = provider._get_time_off_conflicts(self.date_from, self.date_to)
        if set(current.ids) != set(self.conflict_ids.appointment_id.ids):
            raise UserError(self.env._(
                "Bookings in this time changed while you were choosing (one was just made or moved). Close this "
                "window and click Block Time again to see them all."))
        in_progress = current.filtered(lambda a: a.state not in MOVABLE_STATES)
        if in_progress:
            raise UserError(self.env._(
                "%(ref)s (%(customer)s) is under way until %(end)s and cannot be moved: start the time off after "
                "it.", ref=in_progress[0].name, customer=in_progress[0].partner_id.name,
                end=in_progress[0]._format_local(in_progress[0].stop)))
        counts = {"move": 0, "provider": 0, "cancel": 0}
        for line in self.conflict_ids.sorted(lambda line: (line.appointment_id.start, line.id)):
            line._apply(self.name)
            counts[line.decision] += 1
        self.env["resource.calendar.leaves"].create({
            "name": self.name,
            "resource_id": provider.resource_id.id,
            "calendar_id": provider.resource_calendar_id.id,
            "company_id": provider.company_id.id,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "time_type": "leave",
        })
        message = self.env._("Time blocked for %(provider)s.", provider=provider.name)
        if self.conflict_ids:
            message += " " + self.env._(
                "Bookings moved: %(moved)s; given to another provider: %(given)s; cancelled: %(cancelled)s. Their "
                "customers are told.", moved=counts["move"], given=counts["provider"], cancelled=counts["cancel"])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "success", "sticky": False,
                       "next": {"type": "ir.actions.act_window_close"}},
        }


class BookingTimeOffConflict(models.TransientModel):
    """A booking in the time off being blocked, and what becomes of it."""

    _name = "booking.time.off.conflict"
    _description = "Booking in a Time Off"
    _order = "id"  # made in order of start

    wizard_id = fields.Many2one("booking.time.off", required=True, ondelete="cascade")
    appointment_id = fields.Many2one("booking.appointment", string="Booking", required=True, readonly=True)
    partner_id = fields.Many2one(related="appointment_id.partner_id", string="Customer")
    service_id = fields.Many2one(related="appointment_id.service_id")
    state = fields.Selection(related="appointment_id.state", string="Status")
    start = fields.Datetime(related="appointment_id.start", string="Booked For")
    decision = fields.Selection(
        selection=[("provider", "Another provider, same time"), ("move", "Next free time"), ("cancel", "Cancel")],
        string="What Happens", required=True, default="cancel")
    new_start = fields.Datetime(string="Next Free Time", readonly=True,
                                help="The provider's first free time for it after the time off.")
    new_provider_id = fields.Many2one(
        "booking.provider", string="Provider", domain="[('id', 'in', allowed_provider_ids)]",
        help="Providers free for it at its very time.")
    allowed_provider_ids = fields.Many2many("booking.provider", string="Free Providers")

    def _apply(self, reason):
        """Through the booking's own paths: its write (a move) or its cancellation, with their checks and messages."""
        self.ensure_one()
        appointment = self.appointment_id
        if self.decision == "cancel":
            appointment.action_cancel(reason=self.env._("Time off of %(provider)s: %(reason)s",
                                                        provider=appointment.provider_id.name, reason=reason),
                                      cancelled_by="merchant")
        elif self.decision == "move":
            if not self.new_start:
                raise UserError(self.env._(
                    "%(provider)s has no free time for %(ref)s after the time off: give it to another provider or "
                    "cancel it.", provider=appointment.provider_id.name, ref=appointment.name))
            appointment.write({"start": self.new_start})
        else:
            if not self.new_provider_id or self.new_provider_id not in self.allowed_provider_ids:
                raise UserError(self.env._(
                    "Nobody else is free for %(ref)s at its time: move it to the next free time or cancel it.",
                    ref=appointment.name))
            appointment.write({"provider_id": self.new_provider_id.id})
