import json
import weakref
from collections import defaultdict
from collections import namedtuple
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models, tools
from odoo.tools import SQL

from odoo.addons.resource.models.utils import float_to_time

from ..const import PAYMENT_IN_FLIGHT_STATES
from ..const import TIME_HOLDING_STATES
from ..engine import slots as engine
from ..exceptions import BookingInputError
from ..exceptions import SlotUnavailableError

Slot = namedtuple("Slot", ["start", "stop", "provider_id"])
"""A bookable slot: naive UTC datetimes, as Odoo stores them, and a provider id."""


Offer = namedtuple("Offer", ["digest", "providers", "services", "calendars"])
"""What a page offers, as plain data (``booking.availability._get_offer``).

- ``providers``: its active providers in their order, as :data:`OfferProvider`;
- ``services``: ``{service id: (published, provider ids delivering it here, in the providers' order)}``
  for its active services;
- ``calendars``: ``{calendar id: OfferCalendar}`` of those providers.
"""
OfferProvider = namedtuple("OfferProvider", ["id", "resource_id", "calendar_id", "tz", "user_id", "syncs_calendar"])
OfferCalendar = namedtuple("OfferCalendar", ["id", "tz", "two_weeks", "flexible", "attendance_digest", "attendances"])
"""A calendar as plain data; ``attendances`` its working lines (no section, no lunch) as :data:`OfferAttendance`."""
OfferAttendance = namedtuple("OfferAttendance", ["resource_id", "dayofweek", "week_type", "date_from", "date_to",
                                                 "hour_from", "hour_to"])

# The weekly hours are cached by blocks of whole UTC days aligned on the epoch: any range within a block
# (the bookings and slot requests of its days) reuses it.
BLOCK_DAYS = 28

# The slot checks a transaction made (``_remember_checked``): {cursor: {values: checks not yet reused}}.
_CHECKED = weakref.WeakKeyDictionary()


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
    providers or days: what the page offers (providers, services, calendars)
    from one query cached by content (``_get_offer``), working time as
    ``resource.calendar._work_intervals_batch`` gives it (weekly hours from a
    cache, time off from one query), busy time from one query on
    ``booking_appointment``. Everything that decides whether a time is
    bookable lives in the engine, so what a customer is shown is exactly
    what a booking is checked against.
    """

    _name = "booking.availability"
    _description = "Booking Availability"

    # === DATA FETCHING === #

    def init(self):
        """Create ``booking_page_offer(page)``, the query of ``_get_offer``, as a function.

        PL/pgSQL keeps the plan of its statements for the session: the query
        joins nine tables, and planning it on every request would cost more
        than running it. Recreated on every upgrade, from the code below.
        """
        result = super().init()
        body = SQL(
            """
            WITH providers AS (
                SELECT p.id, p.sequence, p.name, p.resource_id, p.resource_calendar_id, r.tz, p.user_id,
                       EXISTS (SELECT 1
                                 FROM booking_page_provider_rel mine
                                 JOIN booking_page pg ON pg.id = mine.page_id
                                WHERE mine.provider_id = p.id AND pg.active AND pg.sync_provider_calendars) AS syncs
                  FROM booking_page_provider_rel rel
                  JOIN booking_provider p ON p.id = rel.provider_id
                  JOIN resource_resource r ON r.id = p.resource_id
                 WHERE rel.page_id = %(page)s AND p.active
            ), doc AS (
                SELECT json_build_array(
                    (SELECT json_agg(json_build_array(id, resource_id, resource_calendar_id, tz, user_id, syncs)
                                     ORDER BY sequence, name, id)
                       FROM providers),
                    (SELECT json_agg(json_build_array(
                                s.id, s.is_published,
                                (SELECT json_agg(o.provider_id ORDER BY o.provider_id)
                                   FROM booking_provider_service_rel o
                                  WHERE o.service_id = s.id AND o.provider_id IN (SELECT id FROM providers)))
                                     ORDER BY s.id)
                       FROM booking_page_service_rel rel
                       JOIN booking_service s ON s.id = rel.service_id
                      WHERE rel.page_id = %(page)s AND s.active),
                    (SELECT json_agg(json_build_array(
                                c.id, c.tz, c.two_weeks_calendar, c.flexible_hours, (%(digest)s), (%(lines)s))
                                     ORDER BY c.id)
                       FROM resource_calendar c
                      WHERE c.id IN (SELECT resource_calendar_id FROM providers))
                )::text AS text
            )
            SELECT md5(text), text FROM doc
            INTO digest, doc;
            -- the time off of the page's providers in the range, if any (see _get_time_off)
            IF range_from IS NOT NULL THEN
                SELECT array_agg(ARRAY[r.id::bigint,
                                       FLOOR(EXTRACT(EPOCH FROM GREATEST(l.date_from, range_from)))::bigint,
                                       FLOOR(EXTRACT(EPOCH FROM LEAST(l.date_to, range_to)))::bigint])
                  FROM booking_page_provider_rel rel
                  JOIN booking_provider p ON p.id = rel.provider_id
                  JOIN resource_resource r ON r.id = p.resource_id
                  JOIN resource_calendar_leaves l
                    ON (l.resource_id = r.id
                        OR (l.resource_id IS NULL AND l.company_id IS NOT DISTINCT FROM r.company_id))
                   AND (l.calendar_id = p.resource_calendar_id OR l.calendar_id IS NULL)
                 WHERE rel.page_id = the_page AND p.active
                   AND l.time_type = 'leave' AND l.date_from <= range_to AND l.date_to >= range_from
                  INTO time_off;
            END IF
            """,
            page=SQL("the_page"),
            digest=self._attendance_digest_sql(SQL("c.id")),
            lines=self._attendance_lines_sql(SQL("c.id")),
        )
        assert not body.params, "the function's body is plain SQL"
        self.env.cr.execute("DROP FUNCTION IF EXISTS booking_page_offer(integer)")
        self.env.cr.execute(SQL(
            "CREATE OR REPLACE FUNCTION booking_page_offer(the_page integer, range_from timestamp, range_to timestamp, "
            "OUT digest text, OUT doc text, OUT time_off bigint[]) LANGUAGE plpgsql STABLE AS %s",
            f"BEGIN {body.code}; END",
        ))
        return result

    @api.model
    def _get_offer(self, page):
        """What ``page`` offers (:data:`Offer`), in one query, the same in every request until it changes.

        Its active providers (with their resource, calendar, time zone, user
        and whether some page of theirs mirrors calendars), its active
        services with who delivers them here, and the calendars with a
        digest of their weekly hours. The query returns the data and its
        digest; the parsed data is cached per digest, so an edit (by any
        worker, even not yet committed in this transaction) is seen at once,
        and nothing needs invalidating. Read as superuser: what customers
        are offered does not depend on who asks.
        """
        return self._get_offer_and_time_off(page)[0]

    @api.model
    def _get_offer_and_time_off(self, page, start=None, stop=None):
        """``(offer, time off)``: ``_get_offer``, and in the same query the time off of the page's providers
        between the naive UTC datetimes ``start`` and ``stop`` as ``_get_time_off`` finds it (None without a range).
        """
        if not isinstance(page.id, int):
            # a page being edited (onchange): its records as they are in the form
            return self._offer_of_records(page), None
        for model in ("booking.page", "booking.provider", "booking.service", "resource.resource",
                      "resource.calendar", "resource.calendar.attendance", "resource.calendar.leaves"):
            self.env[model].flush_model()
        self.env.cr.execute(SQL("SELECT digest, doc, time_off FROM booking_page_offer(%s, %s, %s)",
                                page.id, start, stop))
        digest, text, rows = self.env.cr.fetchone()
        time_off = None
        if start is not None:
            time_off = defaultdict(list)
            for resource_id, begin, end in rows or ():
                time_off[resource_id].append((begin, end))
        return self._parse_offer(page.id, digest, text), time_off

    @api.model
    def _attendance_digest_sql(self, calendar_id):
        """An SQL expression: the digest of the weekly hours of the calendar ``calendar_id`` (an SQL expression)."""
        return SQL(
            """
            SELECT md5(string_agg(concat_ws(',', id, resource_id, display_type, day_period, dayofweek, week_type,
                                            date_from, date_to, hour_from, hour_to), ';' ORDER BY id))
              FROM resource_calendar_attendance
             WHERE calendar_id = %s
            """,
            calendar_id)

    @api.model
    def _attendance_lines_sql(self, calendar_id):
        """An SQL expression: the working lines of the calendar ``calendar_id`` as a JSON array.

        Those ``resource.calendar._attendance_intervals_batch`` reads (no
        section, no lunch), for ``_attendance_block``.
        """
        return SQL(
            """
            SELECT json_agg(json_build_array(resource_id, dayofweek, week_type, date_from, date_to, hour_from,
                                             hour_to) ORDER BY id)
              FROM resource_calendar_attendance
             WHERE calendar_id = %s AND display_type IS NULL AND day_period IS DISTINCT FROM 'lunch'
            """,
            calendar_id)

    @api.model
    def _parse_calendar(self, calendar_id, tz, two_weeks, flexible, digest, lines):
        """An :data:`OfferCalendar` of the values the offer's query gives."""
        return OfferCalendar(calendar_id, tz, bool(two_weeks), bool(flexible), digest, tuple(
            OfferAttendance(resource_id or False, int(dayofweek), int(week_type or 0),
                            fields.Date.to_date(date_from), fields.Date.to_date(date_to), hour_from, hour_to)
            for resource_id, dayofweek, week_type, date_from, date_to, hour_from, hour_to in lines or ()
        ))

    @tools.ormcache("page_id", "digest")
    def _parse_offer(self, page_id, digest, text):
        """The :data:`Offer` of the document ``text`` (``_get_offer``), cached per digest of it.

        Shared by the requests of a worker: nothing in it may be mutated.
        """
        providers, services, calendars = json.loads(text)
        providers = tuple(OfferProvider(*row) for row in providers or ())
        rank = {provider.id: index for index, provider in enumerate(providers)}
        return Offer(
            digest=digest,
            providers=providers,
            services={
                service_id: (bool(published), tuple(sorted(provider_ids or (), key=rank.__getitem__)))
                for service_id, published, provider_ids in services or ()
            },
            calendars={row[0]: self._parse_calendar(*row) for row in calendars or ()},
        )

    @api.model
    def _offer_provider_ids(self, offer, service_id):
        """The ids of the providers of ``offer`` delivering ``service_id``, in their order (empty if not offered)."""
        return offer.services.get(service_id, (False, ()))[1]

    @api.model
    def _get_work_intervals(self, providers, start, stop, offer=None, time_off=None):
        """Working intervals (time off removed) per provider id, as epochs.

        What ``resource.calendar._work_intervals_batch`` gives (attendances
        minus time off): the weekly hours from a cache (see
        ``_get_attendance_blocks``), time off in one query
        (``_get_time_off``; Odoo's ``_leave_intervals_batch`` for flexible
        hours), with the subtraction done on epochs and only for providers
        who have time off.
        Providers without time off of one calendar and time zone share the
        same list (nobody mutates it: the engine normalises into new lists).

        :param start, stop: naive UTC datetimes bounding the search.
        :param offer: the page's :data:`Offer` holding these providers,
            which spares reading them (else they are read).
        :param time_off: their time off in the range, if known (``_get_offer_and_time_off``).
        """
        if offer is None:
            offer = self._offer_of_providers(providers)
        infos = {provider.id: provider for provider in offer.providers}
        start = pytz.utc.localize(start)
        stop = pytz.utc.localize(stop)
        result = {provider_id: [] for provider_id in providers.ids}
        by_calendar = defaultdict(list)
        for provider_id in result:
            info = infos[provider_id]
            if info.calendar_id:
                by_calendar[info.calendar_id].append(info)
        # as _work_intervals_batch: attendances in the context's employee time zone if any, time off without
        attendance_tz = self.env.context.get("employee_timezone")
        # time off as instants, in one query for all calendars but flexible ones, where it stands for whole days
        if time_off is None:
            time_off = self._get_time_off(
                [(info.resource_id, calendar_id) for calendar_id, group in by_calendar.items()
                 if not offer.calendars[calendar_id].flexible for info in group], start, stop)
        for calendar_id, group in by_calendar.items():
            calendar = offer.calendars[calendar_id]
            attendances = self._get_attendance_blocks(calendar, group, start, stop, attendance_tz)
            if calendar.flexible:
                leaves = self.env["resource.calendar"].browse(calendar_id)._leave_intervals_batch(
                    start, stop, self.env["resource.resource"].browse([info.resource_id for info in group]))
                leaves = {resource_id: self._intervals_to_epochs(found) for resource_id, found in leaves.items()}
            else:
                leaves = time_off
            for info in group:
                work = attendances[info.resource_id]
                holes = leaves.get(info.resource_id)
                result[info.id] = engine.subtract(work, holes) if holes else work
        return result

    @api.model
    def _get_time_off(self, resources, start, stop):
        """Time off of resources between two aware datetimes, as epochs per resource id, in one query.

        What ``resource.calendar._leave_intervals_batch`` finds for a
        resource of a calendar that is not flexible: the time off
        (``time_type`` leave) of the resource or of nobody (then of the
        resource's company), of its calendar or of none, overlapping the
        range, clipped to it.

        :param resources: ``(resource id, calendar id)`` pairs.
        """
        if not resources:
            return {}
        self.env["resource.calendar.leaves"].flush_model(
            ["time_type", "calendar_id", "resource_id", "company_id", "date_from", "date_to"])
        self.env["resource.resource"].flush_model(["company_id"])
        start, stop = start.astimezone(pytz.utc).replace(tzinfo=None), stop.astimezone(pytz.utc).replace(tzinfo=None)
        self.env.cr.execute(SQL(
            """
            SELECT r.id, FLOOR(EXTRACT(EPOCH FROM GREATEST(l.date_from, %(start)s)))::bigint,
                   FLOOR(EXTRACT(EPOCH FROM LEAST(l.date_to, %(stop)s)))::bigint
              FROM unnest(%(resources)s::int[], %(calendars)s::int[]) AS wanted(resource_id, calendar_id)
              JOIN resource_resource r ON r.id = wanted.resource_id
              JOIN resource_calendar_leaves l
                ON (l.resource_id = r.id OR (l.resource_id IS NULL AND l.company_id IS NOT DISTINCT FROM r.company_id))
               AND (l.calendar_id = wanted.calendar_id OR l.calendar_id IS NULL)
             WHERE l.time_type = 'leave' AND l.date_from <= %(stop)s AND l.date_to >= %(start)s
            """,
            resources=[resource_id for resource_id, _calendar_id in resources],
            calendars=[calendar_id for _resource_id, calendar_id in resources],
            start=start,
            stop=stop,
        ))
        result = defaultdict(list)
        for resource_id, begin, end in self.env.cr.fetchall():
            result[resource_id].append((begin, end))
        return result

    @api.model
    def _offer_of_records(self, page):
        """The :data:`Offer` of ``page`` read through the ORM (for a page not saved yet)."""
        providers = page.sudo().provider_ids.filtered("active")
        offer = self._offer_of_providers(providers)
        return offer._replace(providers=tuple(
            info._replace(syncs_calendar=bool(info.user_id) and self._syncs_calendar(provider))
            for info, provider in zip(offer.providers, providers, strict=True)
        ), services={
            service.id: (service.is_published, tuple(p.id for p in providers if p in service.provider_ids))
            for service in page.sudo().service_ids.filtered("active")
        })

    @api.model
    def _offer_of_providers(self, providers):
        """An :data:`Offer` holding just these providers and their calendars, read from their records.

        Whether their calendars are mirrored is left unknown (None): ``_get_busy_ranges`` is not given it.
        """
        calendars = {}
        self.env["resource.calendar.attendance"].flush_model()
        for calendar in providers.resource_calendar_id:
            self.env.cr.execute(SQL("SELECT (%s), (%s)", self._attendance_digest_sql(calendar.id),
                                    self._attendance_lines_sql(calendar.id)))
            digest, lines = self.env.cr.fetchone()
            calendars[calendar.id] = self._parse_calendar(calendar.id, calendar.tz, calendar.two_weeks_calendar,
                                                          calendar.flexible_hours, digest, lines)
        return Offer(
            digest=None,
            providers=tuple(
                OfferProvider(provider.id, provider.resource_id.id, provider.resource_calendar_id.id, provider.tz,
                              provider.user_id.id, None)
                for provider in providers
            ),
            services={},
            calendars=calendars,
        )

    @api.model
    def _get_attendance_blocks(self, calendar, members, start, stop, tz=None):
        """The weekly hours of ``calendar`` for ``members`` between two aware datetimes, as epochs per resource id.

        Odoo's ``_attendance_intervals_batch`` rebuilds them day by day on
        every call, the same for every visitor asking the same dates: they
        are cached by blocks of ``BLOCK_DAYS`` days, per content of the
        calendar (``OfferCalendar.attendance_digest``, read in the same
        transaction, so an edit is seen at once, in every worker and even
        before it is committed), per time zone, and per resource only for
        those who have hours of their own. Each range is cut out of the
        blocks covering it, as Odoo clips to the range. Time off is not
        cached. The lists are normalised; nobody mutates them.

        :param calendar: an :data:`OfferCalendar`.
        :param members: the :data:`OfferProvider` of the calendar whose hours are wanted.
        :param tz: a time zone name overriding the resources' (Odoo's ``tz``).
        """
        if calendar.flexible:
            # whole ranges, not weekly hours: Odoo's own computation, on this very range
            resources = self.env["resource.resource"].browse([member.resource_id for member in members])
            return self._get_attendance_epochs(self.env["resource.calendar"].browse(calendar.id), resources, start,
                                               stop, tz)
        version = (calendar.attendance_digest, calendar.two_weeks, calendar.tz)
        specific = {line.resource_id for line in calendar.attendances if line.resource_id}
        begin, end = to_epoch(start), to_epoch(stop)
        size = BLOCK_DAYS * 86400
        blocks = range(begin // size, end // size + 1)
        result = {}
        shared = {}
        for member in members:
            resource_id = member.resource_id if member.resource_id in specific else False
            key = (resource_id, tz or member.tz or calendar.tz or "UTC")
            if key not in shared:
                intervals = []
                for block in blocks:
                    for ws, we in self._attendance_block(calendar.id, version, *key, block, calendar.attendances):
                        if ws < end and we > begin:
                            intervals.append((max(ws, begin), min(we, end)))
                shared[key] = engine.normalize(intervals)
            result[member.resource_id] = shared[key]
        return result

    @tools.ormcache("calendar_id", "version", "resource_id", "tz", "block")
    def _attendance_block(self, calendar_id, version, resource_id, tz, block, lines):
        """The weekly hours of one block of days (``_get_attendance_blocks``), as normalised epochs.

        What ``resource.calendar._attendance_intervals_batch`` makes of the
        calendar's working ``lines`` (:data:`OfferAttendance`, of the version
        ``version``) for a resource that is not flexible: for each local day,
        the lines of its weekday (and week type, for a calendar of two
        weeks) in force that day, for every resource (no ``resource_id``)
        or for ``resource_id``, localised in ``tz`` and clipped to the block.
        From the lines the offer's query read: no query.
        """
        _digest, two_weeks, _calendar_tz = version
        zone = pytz.timezone(tz)
        size = BLOCK_DAYS * 86400
        begin, end = block * size, (block + 1) * size
        per_day = [[] for _ in range(14)]
        for line in lines:
            if line.resource_id and line.resource_id != resource_id:
                continue
            if two_weeks:
                per_day[line.dayofweek + 7 * line.week_type].append(line)
            else:
                per_day[line.dayofweek].append(line)
                per_day[line.dayofweek + 7].append(line)
        week_type = self.env["resource.calendar.attendance"].get_week_type
        # every local day touching the block, and one more each side (what falls outside is clipped away)
        day = pytz.utc.localize(from_epoch(begin)).astimezone(zone).date() - timedelta(days=1)
        last = pytz.utc.localize(from_epoch(end)).astimezone(zone).date() + timedelta(days=1)
        intervals = []
        while day <= last:
            for line in per_day[day.weekday() + 7 * week_type(day)]:
                if (line.date_from and day < line.date_from) or (line.date_to and line.date_to < day):
                    continue
                ws = max(begin, to_epoch(zone.localize(datetime.combine(day, float_to_time(line.hour_from)))))
                we = min(end, to_epoch(zone.localize(datetime.combine(day, float_to_time(line.hour_to)))))
                if ws < we:
                    intervals.append((ws, we))
            day += timedelta(days=1)
        return tuple(engine.normalize(intervals))

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
    def _get_busy_ranges(self, providers, start, stop, exclude_ids=(), now=None, offer=None):
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
        :param offer: the page's :data:`Offer` holding these providers, which
            tells whose calendar counts without reading them.
        """
        if offer is not None:
            mirrored = {info.id for info in offer.providers if info.user_id and info.syncs_calendar}
            calendar_providers = [provider_id for provider_id in providers.ids if provider_id in mirrored]
        else:
            calendar_providers = [p.id for p in providers if p.user_id and self._syncs_calendar(p)]
        Appointment = self.env["booking.appointment"]
        Appointment.flush_model(["provider_id", "busy_start", "busy_stop", "state", "hold_expires_at"])
        self.env["payment.transaction"].flush_model(
            ["state", "booking_payment_kind", "booking_contract_ids", "operation"])
        self.env["calendar.event"].flush_model(
            ["start", "stop", "allday", "start_date", "stop_date", "show_as", "active", "user_id", "res_model"])
        self.env["calendar.attendee"].flush_model(["event_id", "partner_id", "state"])
        self.env["booking.provider"].flush_model(["user_id"])
        # An unpaid hold past its deadline is free time: the next booking of
        # that time releases it (booking.appointment._check_no_overlap),
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
                calendar_providers=calendar_providers,
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
        # the page's active providers delivering the service, if the page offers it (as _check_offer demands)
        begin, end = self._local_day_bounds(page, date_from, date_to)
        # a day of margin on both sides: the grid starts where a working
        # interval starts, so intervals must not be clipped by the window
        fetch_from, fetch_to = begin - timedelta(days=1), end + timedelta(days=1)
        offer, time_off = self._get_offer_and_time_off(page, fetch_from, fetch_to)
        bookable = self._offer_provider_ids(offer, service.id)
        if providers is not None:
            bookable = [provider_id for provider_id in providers.ids if provider_id in bookable]
        providers = self.env["booking.provider"].browse(bookable)
        if not providers or date_to < date_from:
            return None
        work = self._get_work_intervals(providers, fetch_from, fetch_to, offer=offer, time_off=time_off)
        if ignore_busy:
            busy = {provider.id: [] for provider in providers}
        else:
            busy = self._get_busy_ranges(providers, fetch_from, fetch_to, exclude_ids=exclude_ids, now=now,
                                         offer=offer)
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
            # the offer and the working time of these very values are checked: the constraints of the
            # appointment made of them in this transaction need not read them again
            self._remember_checked(page.id, service.id, slot.provider_id, slot.start, slot.stop)
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

    # === CHECKS MADE === #

    @api.model
    def _remember_checked(self, page_id, service_id, provider_id, start, stop):
        """Note that this transaction found ``[start, stop)`` bookable with these ids.

        That is, the provider is an active provider of the page delivering
        the service, an active service of the page, and works then (time off
        removed): what ``booking.appointment._check_offer`` and
        ``_check_working_time`` verify. They skip each of their checks once
        for an appointment of exactly these values (``_reuse_check``). The
        note lives on the cursor, in no context a caller could pass, and is
        forgotten when the transaction commits or rolls back.
        """
        cr = self.env.cr
        checked = _CHECKED.get(cr)
        if checked is None:
            checked = _CHECKED[cr] = {}
            cursor = weakref.ref(cr)

            def forget():
                if (alive := cursor()) is not None:
                    _CHECKED.pop(alive, None)

            cr.postcommit.add(forget)
            cr.postrollback.add(forget)
        checked[(page_id, service_id, provider_id, start, stop)] = {"offer", "working_time"}

    @api.model
    def _reuse_check(self, appointment, check):
        """Whether ``check`` (``offer`` or ``working_time``) was made for ``appointment``'s values, once.

        See ``_remember_checked``; a check is reused once, then made again.
        """
        checked = _CHECKED.get(self.env.cr)
        if not checked:
            return False
        key = (appointment.page_id.id, appointment.service_id.id, appointment.provider_id.id, appointment.start,
               appointment.stop)
        left = checked.get(key)
        if not left or check not in left:
            return False
        left.discard(check)
        if not left:
            del checked[key]
        return True
