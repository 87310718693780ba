from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import CANCELLABLE_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from ..exceptions import SeriesUnavailableError
from ..exceptions import SlotUnavailableError

MAX_OCCURRENCES = 52
MAX_INTERVAL_WEEKS = 12


class BookingSeries(models.Model):
    """A recurring booking: one service at the same local time every N weeks, K times or until a date.

    Each occurrence is an ordinary appointment (its own contract, deposit,
    reminders, cancellation policy), checked by the same rules as a single
    booking: ``booking.appointment._book_online`` for customers, and
    PostgreSQL's exclusion constraint for everyone. The whole series is
    planned first; when an occurrence cannot be had, nothing is booked and
    the plan names it with the nearest free times, for the customer (or
    staff) to pick a replacement. Then all occurrences are booked in one
    savepoint: all of them, or none.
    """

    _name = "booking.series"
    _description = "Recurring Booking"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    page_id = fields.Many2one("booking.page", required=True, ondelete="restrict", index=True, check_company=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    service_id = fields.Many2one("booking.service", required=True, ondelete="restrict", check_company=True)
    provider_id = fields.Many2one("booking.provider", ondelete="restrict", check_company=True,
                                  help="Empty: any available provider, occurrence by occurrence.")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="restrict", index=True)
    interval_weeks = fields.Integer(string="Every (weeks)", required=True, default=1)
    count = fields.Integer(string="Number of Occurrences", readonly=True)
    until_date = fields.Date(string="Until", readonly=True)
    source = fields.Selection(selection=[("website", "Website"), ("api", "API"), ("portal", "Portal"),
                                         ("backend", "Backend")], default="backend", required=True, readonly=True)
    appointment_ids = fields.One2many("booking.appointment", "series_id", string="Occurrences")
    upcoming_count = fields.Integer(compute="_compute_upcoming_count")

    @api.depends("service_id", "interval_weeks", "partner_id")
    def _compute_name(self):
        for series in self:
            series.name = self.env._("%(service)s every %(weeks)s week(s), %(customer)s",
                                     service=series.service_id.name or "", weeks=series.interval_weeks,
                                     customer=series.partner_id.name or "")

    def _compute_upcoming_count(self):
        now = fields.Datetime.now()
        for series in self:
            series.upcoming_count = len(series.appointment_ids.filtered(
                lambda a: a.state in CANCELLABLE_STATES and a.start > now))

    # === PLANNING === #

    @api.model
    def _occurrence_starts(self, page, first_start, interval_weeks, count=None, until=None):
        """The starts (naive UTC) of the series: the same local wall-clock time every ``interval_weeks``.

        Daylight saving changes keep the local time (10:00 stays 10:00).

        :raise BookingInputError: a bad rhythm or length.
        """
        errors = {}
        if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
            errors["interval_weeks"] = self.env._("must be 1 to %(max)s weeks", max=MAX_INTERVAL_WEEKS)
        if (count is None) == (until is None):
            errors["count"] = self.env._("give either a number of occurrences or an end date")
        elif count is not None and (not isinstance(count, int) or not 2 <= count <= MAX_OCCURRENCES):
            errors["count"] = self.env._("must be 2 to %(max)s occurrences", max=MAX_OCCURRENCES)
        if errors:
            raise BookingInputError(errors)
        zone = pytz.timezone(page.tz or "UTC")
        local = pytz.utc.localize(first_start).astimezone(zone).replace(tzinfo=None)
        if until is not None and until <= local.date():
            raise BookingInputError({"until": self.env._("must be after the first occurrence")})
        starts = []
        while len(starts) < (count or MAX_OCCURRENCES + 1):
            moment = local + timedelta(weeks=interval_weeks * len(starts))
            if until is not None and moment.date() > until:
                break
            starts.append(zone.localize(moment).astimezone(pytz.utc).replace(tzinfo=None))
        if len(starts) > MAX_OCCURRENCES:
            raise BookingInputError({"until": self.env._("a series holds at most %(max)s occurrences",
                                                         max=MAX_OCCURRENCES)})
        if len(starts) < 2:
            raise BookingInputError({"until": self.env._("a series holds at least 2 occurrences")})
        return starts

    @api.model
    def _plan(self, page, service, provider, starts, partner=None, customer=None, staff=False):
        """Whether each start can be had, checked as a single booking would be, without booking anything.

        :return: a list of dicts: ``index``, ``start``, ``available``,
            ``provider`` (the one it would get), ``reason`` (why not) and
            ``alternatives`` (the nearest free slots, when not available).
        """
        Availability = self.env["booking.availability"].sudo()
        Appointment = self.env["booking.appointment"].sudo()
        plan = []
        for index, start in enumerate(starts):
            entry = {"index": index, "start": start, "available": False, "provider": provider.browse(),
                     "reason": "", "alternatives": []}
            try:
                if not staff:
                    page._check_start(start)
                slot = Availability._find_slot_or_raise(page, service, start, provider)
                if not staff:
                    Appointment._check_customer_free(page, slot, partner=partner, customer=customer)
                entry.update(available=True, provider=provider.browse(slot.provider_id))
            except SlotUnavailableError as error:
                entry.update(reason=self.env._("taken"), alternatives=error.alternatives)
            except (ValidationError, UserError) as error:
                entry["reason"] = error.args[0] if not isinstance(error, BookingInputError) else "; ".join(
                    error.fields.values())
                if fields.Datetime.now() < start < fields.Datetime.now() + timedelta(days=page.max_advance_days):
                    entry["alternatives"] = Availability._nearest_slots(page, service, start, provider or None)
            plan.append(entry)
        return plan

    @api.model
    def _book_series(self, page, service, provider, first_start, interval_weeks, count=None, until=None,
                     partner=None, customer=None, note=None, source="website", replacements=None, staff=False,
                     existing=None):
        """Plan, then book every occurrence in one savepoint: all of them, or none.

        :param replacements: ``{index: start}``, another start for the
            occurrences the plan found taken (an alternative it offered, or
            any free time).
        :param staff: booked by staff (the backend): the page's notice and
            horizon do not apply; the exclusion constraint does.
        :param existing: an appointment that becomes the series' first
            occurrence (staff repeating a booking); ``first_start`` is its start.
        :raise SeriesUnavailableError: (nothing booked) with the plan.
        :return: the series (sudo).
        """
        if not staff and not service.allow_series:
            raise BookingInputError({"service_id": self.env._("cannot be booked as a series")})
        if service.for_dependant:
            raise BookingInputError({"service_id": self.env._(
                "is booked for a pet or family member: book its visits one by one")})
        if not staff and not partner:
            # a series is for a customer who proved who they are: a guest's contact is made from what they typed,
            # and a stranger holding a whole season of someone's times is exactly what a sign-in prevents
            raise LoginRequiredError(self.env._("Please sign in to book a series."))
        starts = self._occurrence_starts(page, first_start, interval_weeks, count=count, until=until)
        for index, start in (replacements or {}).items():
            if not isinstance(index, int) or not 0 <= index < len(starts):
                raise BookingInputError({"replacements": self.env._("names an occurrence the series does not have")})
            starts[index] = start
        if len(set(starts)) != len(starts):
            raise BookingInputError({"replacements": self.env._("two occurrences at the same time")})
        plan = self._plan_with_existing(page, service, provider, starts, partner, customer, staff, existing)
        if not all(entry["available"] for entry in plan):
            raise SeriesUnavailableError(
                self.env._("Some times of this series are not free: choose another time for them."), plan)
        Appointment = self.env["booking.appointment"].sudo()
        try:
            with self.env.cr.savepoint():
                series = self.sudo().create({
                    "page_id": page.id, "service_id": service.id, "provider_id": provider.id or False,
                    "partner_id": (partner.id if partner else False) or self._placeholder_partner(page, customer),
                    "interval_weeks": interval_weeks, "count": len(starts), "until_date": until,
                    "source": source if source in ("website", "api", "portal") else "backend",
                })
                for entry in plan:
                    if existing and entry["index"] == 0:
                        existing.sudo().series_id = series
                    elif staff:
                        appointment = Appointment.create({
                            "page_id": page.id, "service_id": service.id, "provider_id": entry["provider"].id,
                            "partner_id": series.partner_id.id, "start": entry["start"], "note": note or False,
                            "source": "backend", "series_id": series.id,
                        })
                    else:
                        # the portal is the website's: an appointment has no "portal" source of its own
                        appointment = Appointment._book_online(
                            page, service, entry["provider"], entry["start"], customer=customer, note=note,
                            source="website" if source == "portal" else source, partner=series.partner_id)
                        appointment.series_id = series
                series.message_post(body=self.env._("Series booked: %(count)s occurrences.", count=len(plan)))
        except SlotUnavailableError:
            # taken between the plan and the booking (the constraint decided): nothing was booked
            plan = self._plan_with_existing(page, service, provider, starts, partner, customer, staff, existing)
            raise SeriesUnavailableError(
                self.env._("Some times of this series were just taken: choose another time for them."),
                plan) from None
        return series

    @api.model
    def _plan_with_existing(self, page, service, provider, starts, partner, customer, staff, existing):
        if not existing:
            return self._plan(page, service, provider, starts, partner=partner, customer=customer, staff=staff)
        plan = self._plan(page, service, provider, starts[1:], partner=partner, customer=customer, staff=staff)
        for entry in plan:
            entry["index"] += 1
        return [{"index": 0, "start": existing.start, "available": True, "provider": existing.provider_id,
                 "reason": "", "alternatives": []}, *plan]

    @api.model
    def _placeholder_partner(self, page, customer):
        """A guest's own new contact (never an existing customer's, invariant 8)."""
        return self.env["res.partner"].sudo()._booking_create_guest(page, customer or {}).id

    # === CANCELLING === #

    def _occurrences_from(self, appointment):
        """``appointment`` and the series' later occurrences that can still be cancelled."""
        self.ensure_one()
        return self.appointment_ids.filtered(
            lambda a: a.start >= appointment.start and a.state in CANCELLABLE_STATES).sorted("start")

    def _cancel_from(self, appointment, reason=None, by_customer=True):
        """Cancel ``appointment`` and every later occurrence, each under the cancellation policy.

        The customer's cancellations follow the policy occurrence by occurrence
        (the refund of each for its own notice); staff cancellations refund in
        full, as for a single booking. All or nothing.

        :return: the cancelled appointments.
        """
        self.ensure_one()
        occurrences = self._occurrences_from(appointment)
        # every occurrence checked and locked before anything is cancelled: a refund sent to the payment
        # provider cannot be taken back by a rollback, so no occurrence may fail after the first is refunded
        if not occurrences.sudo()._try_lock():
            raise UserError(self.env._("This series is being changed by someone else. Please try again."))
        if by_customer:
            for occurrence in occurrences:
                check = occurrence._get_change_check("cancel")
                if not check["allowed"]:
                    raise BookingActionRefused(check["code"], check["reason"])
        with self.env.cr.savepoint():
            for occurrence in occurrences:
                if by_customer:
                    occurrence._customer_cancel(reason)
                else:
                    occurrence.action_cancel(reason=reason)
        self.sudo().message_post(body=self.env._("%(count)s occurrences cancelled from %(ref)s on.",
                                                 count=len(occurrences), ref=appointment.name))
        return occurrences

    def action_view_appointments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "booking.appointment",
            "view_mode": "list,form",
            "domain": [("series_id", "=", self.id)],
        }
