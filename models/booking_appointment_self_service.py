from datetime import timedelta

from odoo import api, fields, models

from ..const import CANCELLABLE_STATES
from ..const import CANCELLED_STATES
from ..const import RESCHEDULABLE_STATES
from ..const import UPCOMING_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import SlotUnavailableError
from ..tools import clean_text


class BookingAppointment(models.Model):
    """The customer's own changes: cancel and move within the page's policy.

    The portal pages and the /me API call these and nothing else, so the
    same booking gets the same answers whichever way the customer comes.
    """

    _inherit = "booking.appointment"

    @api.model
    def _customer_domain(self, partner, company=None, filterby=None):
        """The customer's bookings; ``filterby``: upcoming, past, cancelled or None."""
        domain = [("partner_id", "=", partner.id)]
        if company:
            domain.append(("company_id", "=", company.id))
        now = fields.Datetime.now()
        if filterby == "upcoming":
            domain += [("stop", ">=", now), ("state", "in", UPCOMING_STATES)]
        elif filterby == "past":
            domain += ["|", ("state", "in", ("done", "no_show")),
                       "&", ("stop", "<", now), ("state", "in", ("confirmed", "checked_in"))]
        elif filterby == "cancelled":
            domain += [("state", "in", CANCELLED_STATES)]
        return domain

    def _get_change_check(self, change):
        """Whether the customer may ``cancel`` or ``reschedule`` this booking online now.

        :return: dict with ``allowed``, ``code`` (``invalid_state`` or
            ``policy_limit``), ``reason`` (for the customer) and ``deadline``
            (naive UTC: when the page's policy closes online changes).
        """
        self.ensure_one()
        appointment = self.sudo()
        page = appointment.page_id
        policy = page.cancellation_policy_id
        cancel = change == "cancel"
        hours = (policy.cancel_limit_hours if cancel else policy.reschedule_limit_hours) if policy else 0.0
        deadline = appointment.start - timedelta(hours=hours)
        check = {"allowed": True, "code": None, "reason": None, "deadline": deadline}
        if appointment.state not in (CANCELLABLE_STATES if cancel else RESCHEDULABLE_STATES):
            state = appointment._state_label()
            check.update(allowed=False, code="invalid_state", reason=self.env._(
                "This booking is %(state)s: it can no longer be cancelled.", state=state) if cancel else self.env._(
                "This booking is %(state)s: it cannot be moved.", state=state))
        elif fields.Datetime.now() >= deadline:
            when = appointment._format_local(deadline)
            check.update(allowed=False, code="policy_limit", reason=self.env._(
                "Online cancellation closed at %(deadline)s. Please contact %(page)s.", deadline=when,
                page=page.name) if cancel else self.env._(
                "Online changes closed at %(deadline)s. Please contact %(page)s.", deadline=when, page=page.name))
        return check

    def _get_cancel_preview(self):
        """Whether the customer may cancel now, and what they would get back.

        :return: ``_get_change_check("cancel")`` with ``refund_amount``,
            ``refund_percent``, ``paid`` and ``currency``.
        """
        self.ensure_one()
        appointment = self.sudo()
        contract = appointment.contract_id
        notice = (appointment.start - fields.Datetime.now()).total_seconds() / 3600.0
        refund, percent = contract._get_cancellation_refund("customer", notice) if contract else (0.0, 100.0)
        return {
            **appointment._get_change_check("cancel"),
            "refund_amount": refund,
            "refund_percent": percent,
            "paid": contract.amount_net if contract else 0.0,
            "currency": contract.currency_id if contract else appointment.currency_id,
        }

    def _customer_cancel(self, reason=None):
        """Cancel for the customer, under the policy; the refund follows the preview."""
        self.ensure_one()
        check = self._get_change_check("cancel")
        if not check["allowed"]:
            raise BookingActionRefused(check["code"], check["reason"])
        with self.env.cr.savepoint():
            self.sudo().action_cancel(reason=clean_text(self.env, reason, "reason", 500) or None,
                                      cancelled_by="customer")
        return self

    def _get_reschedule_slots(self, date_from, date_to, any_provider=False):
        """Free slots to move to: same service, same provider unless "any", its own time counts as free."""
        return self._reschedule_availability("_get_slots", date_from, date_to, any_provider)

    def _get_reschedule_start_days(self, date_from, date_to, any_provider=False):
        """``_get_reschedule_slots`` by local day, each free time once: ``booking.availability._get_start_days``'s
        days (a move to "any" is given its provider when it is made)."""
        days = self._reschedule_availability("_get_start_days", date_from, date_to, any_provider)
        return days[0] if days else []

    def _reschedule_availability(self, method, date_from, date_to, any_provider):
        self.ensure_one()
        appointment = self.sudo()
        page = appointment.page_id
        date_to = min(date_to, page._last_bookable_date())
        if date_to < date_from:
            return []
        # the booking's own length: one for several dependants moves to a time that fits them all
        return getattr(self.env["booking.availability"].sudo(), method)(
            page, appointment.service_id, date_from, date_to,
            providers=None if any_provider else appointment.provider_id,
            exclude_ids=appointment.ids, duration_minutes=appointment.duration_minutes,
        )

    def _get_reschedule_choices(self, day=None, start=None, any_provider=False, month=None):
        """What the portal's picker shows: one month of the page's whole horizon, its days with free times,
        one day's times.

        A month at a time, as the booking widget: the horizon is the page's
        (up to its last bookable day), and only the month shown is computed.

        :param day: the local date asked for (default: the month's first with free times).
        :param start: a time the customer picked (naive UTC), if it is still free.
        :param month: a local date in the month asked for (default: the month of ``day`` or ``start``, else
            the first month from today with a free time).
        :return: dict with ``month`` (its first day), ``prev_month`` and ``next_month`` (their first days
            within the horizon, or None), ``days`` (the month's days with free times), ``date`` (the day
            shown), ``slots`` (one per start) and ``chosen_slot`` (the picked time's slot, or None).
        """
        self.ensure_one()
        page = self.page_id
        today, last = page._local_today(), page._last_bookable_date()
        first_month, last_month = today.replace(day=1), last.replace(day=1)
        if start:
            day, month = page._local(start).date(), None
        asked = month or day
        if asked:
            wanted = [min(max(asked.replace(day=1), first_month), last_month)]
        else:
            wanted, cursor = [], first_month  # the first month with a free time, else the first one
            while cursor <= last_month:
                wanted.append(cursor)
                cursor = (cursor + timedelta(days=32)).replace(day=1)
        for shown in wanted:
            month_end = (shown + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            slots_of_month = self._get_reschedule_slots(max(shown, today), min(month_end, last),
                                                        any_provider=any_provider)
            if slots_of_month:
                break
        if not slots_of_month:
            shown = wanted[0]
        days = sorted({page._local(slot.start).date() for slot in slots_of_month})
        chosen_slot = next((slot for slot in slots_of_month if slot.start == start), None) if start else None
        day = day if day in days else (days[0] if days else None)
        slots, seen = [], set()
        for slot in slots_of_month:  # sorted by start, the provider "any available" assigns first
            if slot.start not in seen and page._local(slot.start).date() == day:
                seen.add(slot.start)
                slots.append(slot)
        previous = (shown - timedelta(days=1)).replace(day=1)
        following = (shown + timedelta(days=32)).replace(day=1)
        return {
            "month": shown,
            "prev_month": previous if previous >= first_month else None,
            "next_month": following if following <= last_month else None,
            "days": days,
            "date": day,
            "slots": slots,
            "chosen_slot": chosen_slot,
        }

    def _reschedule(self, start, moved_by, any_provider=False):
        """Move the booking to ``start`` (naive UTC) in one step, under the page's rules.

        One UPDATE of the same row: the original time is held until the new
        one is secured, so losing a race for the new slot leaves the booking
        exactly as it was. The deposit and everything paid stay with it.

        :param moved_by: ``customer`` (the policy's limits apply, the
            merchant is told) or ``merchant``.
        """
        self.ensure_one()
        appointment = self.sudo()
        if moved_by == "customer":
            check = appointment._get_change_check("reschedule")
            if not check["allowed"]:
                raise BookingActionRefused(check["code"], check["reason"])
        page, service = appointment.page_id, appointment.service_id
        page._check_start(start)
        provider = self.env["booking.provider"] if any_provider else appointment.provider_id
        Availability = self.env["booking.availability"].sudo()
        duration = appointment.duration_minutes
        slot = Availability._find_slot_or_raise(page, service, start, provider, exclude_ids=appointment.ids,
                                                duration_minutes=duration)
        if (slot.start, slot.provider_id) == (appointment.start, appointment.provider_id.id):
            return appointment
        try:
            with self.env.cr.savepoint():
                appointment.write({"start": slot.start, "provider_id": slot.provider_id, "moved_by": moved_by})
        except SlotUnavailableError:
            raise Availability._slot_unavailable(page, service, start, provider,
                                                 duration_minutes=duration) from None
        return appointment
