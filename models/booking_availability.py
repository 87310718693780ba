from collections import defaultdict
from collections import namedtuple
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..const import PAYMENT_IN_FLIGHT_STATES
from ..const import TIME_HOLDING_STATES
from ..engine import slots as engine
from ..exceptions import BookingInputError
from ..exceptions import SlotUnavailableError

Slot = namedtuple("Slot", ["start", "stop", "provider_id"])
"""A bookable slot: naive UTC datetimes, as Odoo stores them, and a provider id."""


def to_epoch(value):
    """Epoch seconds of an Odoo datetime (naive means UTC)."""
    return engine.epoch(value)


EPOCH = datetime(1970, 1, 1)


def from_epoch(value):
    """A naive UTC datetime, Odoo's storage format, from epoch seconds."""
    # what datetime.fromtimestamp(value, UTC) gives, without a time zone round trip
    return EPOCH + timedelta(seconds=value)


class BookingAvailability(models.AbstractModel):
    """The Odoo side of the availability engine.

    It turns records into the plain numbers of ``engine.slots`` and back, with
    a fixed number of SQL queries per request, whatever the number of
    providers or days: working time comes from
    ``resource.calendar._work_intervals_batch`` (one batch per calendar), busy
    time from one query on ``booking_appointment``. Everything that decides
    whether a time is bookable lives in the engine, so what a customer is
    shown is exactly what a booking is checked against.
    """

    _name = "booking.availability"
    _description = "Booking Availability"

    # === DATA FETCHING === #

    @api.model
    def _get_work_intervals(self, providers, start, stop):
        """Working intervals (time off removed) per provider id, as epochs.

        What ``resource.calendar._work_intervals_batch`` gives (attendances
        minus time off, the same two Odoo calls, one batch per calendar),
        with the subtraction done on epochs and only for providers who have
        time off. Odoo hands every resource of a calendar and time zone the
        same attendance intervals object; it is converted once, and providers
        without time off share the converted list (nobody mutates it: the
        engine normalises into new lists).

        :param start, stop: naive UTC datetimes bounding the search.
        """
        start = pytz.utc.localize(start)
        stop = pytz.utc.localize(stop)
        result = {provider.id: [] for provider in providers}
        by_calendar = defaultdict(lambda: self.env["booking.provider"])
        for provider in providers:
            if provider.resource_calendar_id:
                by_calendar[provider.resource_calendar_id] |= provider
        # as _work_intervals_batch: attendances in the context's employee time zone if any, time off without
        attendance_tz = self.env.context.get("employee_timezone")
        for calendar, group in by_calendar.items():
            resources = group.resource_id
            attendances = self._get_attendance_epochs(calendar, resources, start, stop, attendance_tz)
            leaves = calendar._leave_intervals_batch(start, stop, resources)
            for provider in group:
                resource_id = provider.resource_id.id
                work = attendances[resource_id]
                time_off = leaves[resource_id]
                result[provider.id] = engine.subtract(work, self._intervals_to_epochs(time_off)) if time_off else work
        return result

    @api.model
    def _get_attendance_epochs(self, calendar, resources, start, stop, tz=None):
        """The weekly hours of ``calendar`` for ``resources`` between two aware datetimes, as epochs per resource.

        Odoo's ``_attendance_intervals_batch`` rebuilds them day by day on
        every call, the same for every visitor asking the same dates: they
        are cached per content of the calendar (a digest of its lines, read
        in the same transaction, so an edit is seen at once, in every worker
        and even before it is committed), per resource time zone and per
        range. Time off is not cached. Nobody mutates the lists: the engine
        normalises into new ones.
        """
        self.env["resource.calendar.attendance"].flush_model()
        self.env.cr.execute(SQL(
            """
            SELECT md5(string_agg(concat_ws(',', id, resource_id, display_type, day_period, dayofweek, week_type,
                                            date_from, date_to, hour_from, hour_to), ';' ORDER BY id))
              FROM resource_calendar_attendance
             WHERE calendar_id = %s
            """,
            calendar.id))
        digest = self.env.cr.fetchone()[0]
        version = (digest, calendar.two_weeks_calendar, calendar.tz)
        zones = tuple(sorted((resource.id, resource.tz or "") for resource in resources))
        return self._attendance_epochs_cached(calendar.id, version, zones, start, stop, tz)

    @tools.ormcache("calendar_id", "version", "zones", "start", "stop", "tz")
    def _attendance_epochs_cached(self, calendar_id, version, zones, start, stop, tz):
        calendar = self.env["resource.calendar"].browse(calendar_id)
        resources = self.env["resource.resource"].browse([resource_id for resource_id, _tz in zones])
        attendances = calendar._attendance_intervals_batch(start, stop, resources, tz=tz)
        converted = {}  # Odoo hands resources of one time zone the same intervals object: converted once
        result = {}
        for resource in resources:
            intervals = attendances[resource.id]
            if id(intervals) not in converted:
                converted[id(intervals)] = tuple(self._intervals_to_epochs(intervals))
            result[resource.id] = converted[id(intervals)]
        return result

    @api.model
    def _intervals_to_epochs(self, intervals):
        """``[(start, stop), ...]`` epochs of Odoo intervals (aware datetimes)."""
        return [(to_epoch(begin), to_epoch(end)) for begin, end, _meta in intervals]

    @api.model
    def _get_busy_ranges(self, providers, start, stop, exclude_ids=(), now=None):
        """Buffered busy ranges per provider id, as epochs, in one query.

        The database gives the epochs (the columns are naive UTC, so
        ``EXTRACT(EPOCH ...)`` is the UTC epoch; ``floor`` truncates as
        :func:`to_epoch` does), sparing a datetime per bound; the ranges come
        in no particular order (the engine sorts them). Appointments overlap
        the window as the exclusion constraint's ranges do, so its GiST index
        finds them, however long the history (an empty range, which would
        block nothing anyway, is left out); they come aggregated per provider
        (two arrays), sparing a row and a tuple per range.

        Busy are the provider's time-holding appointments and, when the page
        mirrors calendars, the busy events of the provider's user in Odoo
        Calendar (the ones the provider created, or was invited to and did
        not decline; the mirrors of appointments are left out, the
        appointments count already). All-day events block whole local days.

        :param exclude_ids: appointments to ignore (the one being moved).
        :param now: the moment unpaid holds are judged at (default: now).
        """
        Appointment = self.env["booking.appointment"]
        Appointment.flush_model(["provider_id", "busy_start", "busy_stop", "state", "hold_expires_at"])
        self.env["payment.transaction"].flush_model(
            ["state", "booking_payment_kind", "booking_contract_ids", "operation"])
        self.env["calendar.event"].flush_model(
            ["start", "stop", "allday", "start_date", "stop_date", "show_as", "active", "user_id", "res_model"])
        self.env["calendar.attendee"].flush_model(["event_id", "partner_id", "state"])
        self.env["booking.provider"].flush_model(["user_id"])
        # An unpaid hold past its deadline is free time: the next booking of
        # that time releases it (booking.appointment._release_expired_holds),
        # unless its deposit is being processed.
        self.env.cr.execute(
            SQL(
                """
                SELECT a.provider_id, array_agg(FLOOR(EXTRACT(EPOCH FROM a.busy_start))::bigint),
                       array_agg(FLOOR(EXTRACT(EPOCH FROM a.busy_stop))::bigint), FALSE, NULL::date, NULL::date
                  FROM booking_appointment a
                 WHERE a.provider_id = ANY(%(providers)s)
                   AND a.state IN %(states)s
                   AND tsrange(a.busy_start, a.busy_stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                   AND a.id != ALL(%(exclude)s)
                   AND (a.state != 'pending_payment' OR a.hold_expires_at IS NULL OR a.hold_expires_at >= %(now)s
                        OR EXISTS (SELECT 1
                                     FROM booking_contract_transaction_rel rel
                                     JOIN payment_transaction tx ON tx.id = rel.transaction_id
                                    WHERE rel.contract_id = a.contract_id
                                      AND tx.booking_payment_kind = 'deposit'
                                      AND tx.operation != 'validation'
                                      AND tx.state IN %(in_flight)s))
              GROUP BY a.provider_id
                 UNION ALL
                SELECT p.id, ARRAY[FLOOR(EXTRACT(EPOCH FROM e.start))::bigint],
                       ARRAY[FLOOR(EXTRACT(EPOCH FROM e.stop))::bigint], e.allday, e.start_date, e.stop_date
                  FROM booking_provider p
                  JOIN res_users u ON u.id = p.user_id
                  JOIN calendar_event e ON e.start < %(stop)s + interval '1 day'
                                       AND e.stop > %(start)s - interval '1 day'
                 WHERE p.id = ANY(%(calendar_providers)s)
                   AND e.active AND e.show_as = 'busy'
                   AND e.res_model IS DISTINCT FROM 'booking.appointment'
                   AND (EXISTS (SELECT 1 FROM calendar_attendee att
                                 WHERE att.event_id = e.id AND att.partner_id = u.partner_id
                                   AND att.state != 'declined')
                        OR (e.user_id = u.id
                            AND NOT EXISTS (SELECT 1 FROM calendar_attendee att
                                             WHERE att.event_id = e.id AND att.partner_id = u.partner_id)))
                """,
                providers=list(providers.ids),
                calendar_providers=[p.id for p in providers if p.user_id and self._syncs_calendar(p)],
                states=TIME_HOLDING_STATES,
                start=start,
                stop=stop,
                exclude=list(exclude_ids),
                now=now or fields.Datetime.now(),
                in_flight=PAYMENT_IN_FLIGHT_STATES,
            )
        )
        result = {provider.id: [] for provider in providers}
        zones = {}
        # one row per provider for appointments (their ranges as two arrays: 40 rows, not 6,000), one per event
        for provider_id, busy_starts, busy_stops, allday, start_date, stop_date in self.env.cr.fetchall():
            if allday:
                # the whole local days, in the provider's own time zone
                zone = zones.setdefault(provider_id, pytz.timezone(providers.browse(provider_id).tz or "UTC"))
                begin = zone.localize(datetime.combine(start_date, time.min))
                end = zone.localize(datetime.combine(stop_date + timedelta(days=1), time.min))
                result[provider_id].append((to_epoch(begin), to_epoch(end)))
            else:
                result[provider_id].extend(zip(busy_starts, busy_stops, strict=True))
        return result

    @api.model
    def _syncs_calendar(self, provider):
        """Whether the provider's Odoo Calendar counts: some page of theirs mirrors calendars."""
        return any(provider.sudo().page_ids.mapped("sync_provider_calendars"))

    @api.model
    def _get_last_booked(self, providers):
        """When each provider was last booked (epoch), for "any available" ties.

        The latest time-holding appointment of each provider, one probe of
        the index ``booking_appointment_provider_booked_index`` per provider
        (``booking.appointment.init``), rather than a scan of all they ever had.
        """
        self.env["booking.appointment"].flush_model(["provider_id", "state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, last.create_date
                  FROM unnest(%(providers)s::int[]) AS p(id)
                 CROSS JOIN LATERAL (SELECT a.create_date
                                       FROM booking_appointment a
                                      WHERE a.provider_id = p.id AND a.state IN %(states)s
                                        AND a.create_date IS NOT NULL
                                   ORDER BY a.create_date DESC
                                      LIMIT 1) last
                """,
                providers=list(providers.ids),
                states=TIME_HOLDING_STATES,
            )
        )
        return {provider_id: to_epoch(last) for provider_id, last in self.env.cr.fetchall()}

    # === SLOTS === #

    @api.model
    def _get_rules(self, page, service, now, strict=True, duration_minutes=None):
        """The engine's rules for ``service`` on ``page`` at ``now``.

        ``strict`` applies the page's minimum notice and horizon (customers);
        without it only "not in the past" remains (staff booking a walk-in).
        ``duration_minutes`` is the booking's own length when it is not the
        service's (one booking for several dependants lasts theirs added up).
        """
        now_epoch = to_epoch(now)
        if strict:
            earliest = now_epoch + round(page.min_notice_hours * 3600)
            latest = now_epoch + page.max_advance_days * 86400
        else:
            earliest = now_epoch
            latest = now_epoch + 10 * 366 * 86400
        return engine.Rules(
            duration=(duration_minutes or service.duration_minutes) * 60,
            buffer_before=service.buffer_before_minutes * 60,
            buffer_after=service.buffer_after_minutes * 60,
            step=page._get_slot_step_minutes(service) * 60,
            earliest=earliest,
            latest=latest,
        )

    @api.model
    def _local_day_bounds(self, page, date_from, date_to):
        """Naive UTC datetimes of local midnight of ``date_from`` and of the day after ``date_to``."""
        tz = pytz.timezone(page.tz)
        begin = tz.localize(datetime.combine(date_from, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        return begin, end.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _get_slots(self, page, service, date_from, date_to, providers=None, now=None, strict=True, exclude_ids=(),
                   ignore_busy=False, duration_minutes=None):
        """Bookable slots of ``service`` on ``page`` whose local date lies in range.

        :param providers: restrict to these providers (default: every active
            provider of the page who delivers the service).
        :param exclude_ids: appointments whose time counts as free (a move).
        :param ignore_busy: the slots as if nobody had booked (tells a taken
            slot from a time that was never bookable).
        :param duration_minutes: the booking's length when not the service's
            (see ``booking.service._duration_for``).
        :return: list of :data:`Slot`, sorted by start; at equal starts the
            provider "any available" would assign comes first.
        """
        return self._compute_slots(page, service, date_from, date_to, providers=providers, now=now, strict=strict,
                                   exclude_ids=exclude_ids, ignore_busy=ignore_busy,
                                   duration_minutes=duration_minutes)[0]

    @api.model
    def _get_days(self, page, service, date_from, date_to, providers=None, now=None, duration_minutes=None):
        """The slots of the range, and the local dates that have bookable time when nobody has booked it.

        A date out of the second set is closed (nobody works, time off,
        before the notice or beyond the horizon); a date in it without slots
        is full (the waitlist's business). Same queries as ``_get_slots``.

        :return: ``(slots, open_dates)``
        """
        return self._compute_slots(page, service, date_from, date_to, providers=providers, now=now,
                                   with_open_days=True, duration_minutes=duration_minutes)

    @api.model
    def _engine_inputs(self, page, service, date_from, date_to, providers=None, now=None, strict=True,
                       exclude_ids=(), ignore_busy=False, duration_minutes=None, ranked=True):
        """What the engine needs for the range: ``(providers, inputs, rules, work)``, or None when nobody delivers.

        :param ranked: fetch each provider's last booking, which only ranks
            providers at equal starts ("any available" assigning one).
        """
        now = now or fields.Datetime.now()
        bookable = page._get_bookable_providers(service)
        providers = bookable if providers is None else providers & bookable
        if not providers or date_to < date_from:
            return None
        begin, end = self._local_day_bounds(page, date_from, date_to)
        # a day of margin on both sides: the grid starts where a working
        # interval starts, so intervals must not be clipped by the window
        fetch_from, fetch_to = begin - timedelta(days=1), end + timedelta(days=1)
        work = self._get_work_intervals(providers, fetch_from, fetch_to)
        if ignore_busy:
            busy = {provider.id: [] for provider in providers}
        else:
            busy = self._get_busy_ranges(providers, fetch_from, fetch_to, exclude_ids=exclude_ids, now=now)
        last_booked = self._get_last_booked(providers) if ranked and len(providers) > 1 and not ignore_busy else {}
        on_site = service.location == "customer"
        inputs = [
            engine.ProviderInput(provider.id, work[provider.id], busy[provider.id], last_booked.get(provider.id),
                                 travel=provider.travel_minutes * 60 if on_site else 0)
            for provider in providers
        ]
        rules = self._get_rules(page, service, now, strict=strict, duration_minutes=duration_minutes)
        return providers, inputs, rules, work

    @api.model
    def _compute_slots(self, page, service, date_from, date_to, providers=None, now=None, strict=True,
                       exclude_ids=(), ignore_busy=False, with_open_days=False, duration_minutes=None):
        fetched = self._engine_inputs(page, service, date_from, date_to, providers=providers, now=now, strict=strict,
                                      exclude_ids=exclude_ids, ignore_busy=ignore_busy,
                                      duration_minutes=duration_minutes)
        if not fetched:
            return [], set()
        providers, inputs, rules, work = fetched
        found = engine.compute_slots(inputs, rules, page.tz, date_from, date_to)
        # each instant converted once: providers share starts, a stop is often another slot's start
        instants = {}
        for start, stop, _provider_id in found:
            if start not in instants:
                instants[start] = from_epoch(start)
            if stop not in instants:
                instants[stop] = from_epoch(stop)
        slots = [Slot(instants[start], instants[stop], provider_id) for start, stop, provider_id in found]
        open_days = set()
        if with_open_days:
            # the local dates of the slots nobody has booked, without making those slots
            open_days = engine.open_days([work[provider.id] for provider in providers], rules, page.tz,
                                         date_from, date_to)
        return slots, open_days

    @api.model
    def _get_start_days(self, page, service, date_from, date_to, providers=None, now=None, exclude_ids=(),
                        duration_minutes=None, with_open_days=False):
        """The free start times of the range, each once whoever can take it, by local day.

        What a customer picks from, in the size of what they see: with several
        providers ("any available") a time is listed once when anyone is free
        then, and the provider is assigned when the booking is made, by the
        rule ``_get_slots`` ranks them with (``_find_slot``). Same queries as
        ``_get_slots``, but for the providers' last bookings, which only rank.

        :return: ``(days, open_dates)``; ``days`` lists the local dates with
            free times as ``(date, midnight, minutes)``: ``midnight`` the naive
            UTC instant the local day starts, ``minutes`` the sorted minutes
            elapsed since then to each start (the wall-clock time but on a day
            the clocks change). ``open_dates`` as ``_get_days`` (with
            ``with_open_days``, else empty).
        """
        fetched = self._engine_inputs(page, service, date_from, date_to, providers=providers, now=now,
                                      exclude_ids=exclude_ids, duration_minutes=duration_minutes, ranked=False)
        if not fetched:
            return [], set()
        providers, inputs, rules, work = fetched
        starts = engine.distinct_starts(inputs, rules, page.tz, date_from, date_to)
        days = []
        for day, midnight, offsets in engine.starts_by_day(starts, page.tz, date_from, date_to):
            # working time and time off come in whole minutes from the calendar's forms; a start a time off
            # ending on an odd second would put off the minute grid cannot be said in minutes, and is left
            # to the slots format, which says it to the second
            minutes = [offset // 60 for offset in offsets if not offset % 60]
            if minutes:
                days.append((day, from_epoch(midnight), minutes))
        open_days = set()
        if with_open_days:
            open_days = engine.open_days([work[provider.id] for provider in providers], rules, page.tz,
                                         date_from, date_to)
        return days, open_days

    @api.model
    def _local_date(self, page, value):
        """The date of the naive UTC datetime ``value`` in the page's time zone."""
        return pytz.utc.localize(value).astimezone(pytz.timezone(page.tz)).date()

    @api.model
    def _find_slot(self, page, service, start, provider=None, now=None, strict=True, exclude_ids=(),
                   ignore_busy=False, duration_minutes=None):
        """The slot starting at ``start`` with ``provider`` (or "any"), or None.

        With no provider, the one "any available" assigns is returned.
        """
        day = self._local_date(page, start)
        providers = provider if provider else None
        for slot in self._get_slots(
            page, service, day, day, providers=providers, now=now, strict=strict, exclude_ids=exclude_ids,
            ignore_busy=ignore_busy, duration_minutes=duration_minutes,
        ):
            if slot.start == start:
                return slot
            if slot.start > start:
                break
        return None

    @api.model
    def _find_slot_or_raise(self, page, service, start, provider=None, exclude_ids=(), duration_minutes=None):
        """The slot at ``start`` (naive UTC) with ``provider`` (or "any"), for a customer.

        :raise BookingInputError: (400) ``start`` never was a start time of this service.
        :raise SlotUnavailableError: (409) it is taken, with the nearest free times.
        """
        slot = self._find_slot(page, service, start, provider or None, exclude_ids=exclude_ids,
                               duration_minutes=duration_minutes)
        if slot:
            return slot
        if self._find_slot(page, service, start, provider or None, ignore_busy=True,
                           duration_minutes=duration_minutes):
            raise self._slot_unavailable(page, service, start, provider, duration_minutes=duration_minutes)
        raise BookingInputError({"start": self.env._("is not an available start time for this service")})

    @api.model
    def _slot_unavailable(self, page, service, start, provider=None, duration_minutes=None):
        """The refusal of a taken time, proposing the nearest free ones.

        The refused time itself is never proposed: in a race the winner's
        booking may not be visible yet, and the time is taken all the same.
        """
        return SlotUnavailableError(
            self.env._("This time has just been taken. Please choose another one."),
            alternatives=self._nearest_slots(page, service, start, provider or None,
                                             duration_minutes=duration_minutes, exclude_start=True),
        )

    @api.model
    def _nearest_slots(self, page, service, start, provider=None, limit=3, now=None, days=3, duration_minutes=None,
                       exclude_start=False):
        """Up to ``limit`` free slots closest in time to ``start`` (one per start).

        Looks ``days`` days either side of the requested local date; with no
        provider, each start comes with the provider "any available" assigns.
        ``exclude_start`` leaves ``start`` itself out (a refused or declined time).
        """
        day = self._local_date(page, start)
        slots = self._get_slots(page, service, day - timedelta(days=days), day + timedelta(days=days),
                                providers=provider or None, now=now, duration_minutes=duration_minutes)
        first_per_start = {}
        for slot in slots:
            if exclude_start and slot.start == start:
                continue
            first_per_start.setdefault(slot.start, slot)
        ranked = sorted(first_per_start.values(), key=lambda slot: (abs((slot.start - start).total_seconds()),
                                                                     slot.start))
        return sorted(ranked[:limit], key=lambda slot: slot.start)

    @api.model
    def _fits_working_time(self, provider, start, stop):
        """Whether ``[start, stop)`` lies inside one of the provider's working intervals."""
        # whole UTC days around it: the weekly hours of that range are cached (``_attendance_epochs_cached``),
        # so the bookings of one day share them (a range of their own each would read the attendances anew)
        first = datetime.combine(start.date(), time.min) - timedelta(days=1)
        last = datetime.combine(stop.date(), time.min) + timedelta(days=2)
        work = self._get_work_intervals(provider, first, last)
        begin, end = to_epoch(start), to_epoch(stop)
        return any(ws <= begin and end <= we for ws, we in engine.normalize(work[provider.id]))
