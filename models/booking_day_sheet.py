from collections import defaultdict
from datetime import date, datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..const import MOVABLE_STATES
from ..const import TIME_HOLDING_STATES
from ..engine import slots as engine
from .booking_availability import from_epoch
from .booking_availability import to_epoch

# Free time shorter than this between two bookings is not offered as a gap.
GAP_MIN_MINUTES = 5
# The hours shown when nobody works that day, and the margin around working time (minutes).
DEFAULT_RANGE = (8 * 60, 18 * 60)
RANGE_MARGIN = 60
# Dates a client may ask for: far enough from datetime's limits that a week and its time zone fit.
FIRST_DAY = date(1971, 1, 1)
LAST_DAY = date(9998, 12, 1)
DAY_SECONDS = 86400


class BookingDaySheet(models.AbstractModel):
    """The day sheet: one column per provider for a day, or one provider's week.

    What salons run the day from: who works when, who is booked, where the
    free gaps are. Everything the client shows comes from one call,
    :meth:`get_day_sheet`, in a number of SQL queries that does not grow
    with the number of providers (per working-hours calendar, not per
    person): working time through ``booking.availability._get_work_intervals``,
    busy time through ``_get_busy_ranges`` (the very ranges bookings are
    checked against, so a gap shown is time the engine calls free), the
    appointments in one search.

    The client books into a gap through the booking assistant and moves a
    booking by writing its ``start``/``provider_id``: the same create and
    write paths as everywhere else, with their checks and messages. Nothing
    here writes.

    Called from the web client through ``orm.call``, so it is public: it
    checks the Booking User group itself (an abstract model has no access
    rights of its own) and reads everything with the caller's rights, record
    rules included (a page, a provider or a booking of a company the caller
    may not see is not there).
    """

    _name = "booking.day.sheet"
    _description = "Day Sheet"

    # === THE CLIENT'S CALL === #

    @api.model
    @api.readonly
    def get_day_sheet(self, page_id=None, day=None, provider_id=None):
        """Everything the day sheet shows, in one answer.

        :param page_id: the page whose providers make the columns (default:
            the first page the user may see).
        :param day: ISO date, in the page's time zone (default: today there).
        :param provider_id: one provider of the page: their week (the week
            holding ``day``) instead of everybody's day.
        :return: a dict: ``pages`` (those the user may choose from),
            ``page`` (``id``, ``name``, ``tz``), ``mode`` (``day`` or
            ``week``), ``day``, ``today``, ``dates``, ``providers``,
            ``columns`` (one per provider, or per day of the week: ``work``,
            ``time_off``, ``blocked`` and ``gaps`` as ``[begin, end]``
            minutes since the column's local midnight, and its
            ``appointments``), ``range`` (the minutes to show) and ``now``.
        :raise AccessError: not a Booking user, or a page or provider the
            user may not see.
        :raise UserError: a malformed argument.
        """
        self._check_day_sheet_user()
        page_id = self._check_id_argument(page_id, "page_id")
        provider_id = self._check_id_argument(provider_id, "provider_id")
        day = self._check_day_argument(day)
        pages = self.env["booking.page"].search([("company_id", "in", self.env.companies.ids)])
        answer = {
            "pages": [{"id": page.id, "name": page.name} for page in pages],
            "page": False, "mode": "week" if provider_id else "day", "day": False, "today": False, "dates": [],
            "providers": [], "columns": [], "range": list(DEFAULT_RANGE), "now": False,
        }
        if page_id and page_id not in pages.ids:
            raise AccessError(self.env._("This booking page does not exist or is not one of your companies'."))
        page = pages.browse(page_id) if page_id else pages[:1]
        if not page:
            return answer
        providers = self.env["booking.provider"].search([("page_ids", "in", page.ids)])
        if provider_id and provider_id not in providers.ids:
            raise AccessError(self.env._("This provider does not exist or does not work on this page."))
        today = page._local_today()
        day = day or today
        if provider_id:
            week_start = int(self.env["res.lang"]._get_data(code=self.env.lang or "en_US").week_start or 1)
            first = day - timedelta(days=(day.isoweekday() - week_start) % 7)
            dates = [first + timedelta(days=i) for i in range(7)]
            shown = providers.browse(provider_id)
        else:
            dates = [day]
            shown = providers
        answer.update({
            "page": {"id": page.id, "name": page.name, "tz": page.tz},
            "day": day.isoformat(),
            "today": today.isoformat(),
            "dates": [value.isoformat() for value in dates],
            "providers": [{"id": provider.id, "name": provider.name, "color": provider.color}
                          for provider in providers],
        })
        answer.update(self._get_columns(page, shown, dates))
        return answer

    # === ARGUMENTS AND ACCESS === #

    @api.model
    def _check_day_sheet_user(self):
        """Booking users only: an abstract model has no access rights to do it for us."""
        if not (self.env.su or self.env.user.has_group("self_serve_booking.group_booking_user")):
            raise AccessError(self.env._("The day sheet is for the staff of a business (Booking users)."))

    @api.model
    def _check_id_argument(self, value, name):
        if value in (None, False):
            return False
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise UserError(self.env._("%(name)s must be a record id.", name=name))
        return value

    @api.model
    def _check_day_argument(self, value):
        if value in (None, False, ""):
            return False
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            raise UserError(self.env._("The day must be a date (YYYY-MM-DD)."))
        return day

    # === COLUMNS === #

    @api.model
    def _get_columns(self, page, providers, dates):
        """The columns of ``providers`` × ``dates`` (one of them is a single record), their hours and now."""
        Availability = self.env["booking.availability"]
        now = fields.Datetime.now()
        midnights = engine.local_midnights(page.tz, dates[0], dates[-1])
        begin, end = from_epoch(midnights[0]), from_epoch(midnights[-1])
        work = Availability._get_work_intervals(providers, begin, end)
        attendances = self._get_attendances(providers, begin, end)
        busy = {provider_id: engine.normalize(ranges) for provider_id, ranges in
                Availability._get_busy_ranges(providers, begin, end, now=now).items()}
        appointments = self._get_appointments(providers, begin, end, now, busy)
        clock = _Clock(page.tz, dates, midnights)
        # free time starts now at the earliest, on a 5-minute mark
        now_epoch = to_epoch(now)
        free_from = now_epoch + (-now_epoch) % (GAP_MIN_MINUTES * 60)
        columns = []
        for provider in providers:
            for index, day in enumerate(dates):
                columns.append(self._get_column(
                    provider, day, clock, index, work[provider.id], attendances[provider.id], busy[provider.id],
                    appointments[provider.id], free_from))
        local_now = pytz.utc.localize(now).astimezone(pytz.timezone(page.tz))
        local_today = local_now.date()
        return {
            "columns": columns,
            "range": self._get_range(columns),
            "now": {"date": local_today.isoformat(), "minute": local_now.hour * 60 + local_now.minute}
            if local_today in dates else False,
        }

    @api.model
    def _get_column(self, provider, day, clock, index, work, attendance, busy, appointments, free_from):
        """One column: a provider's local day, in minutes since its midnight."""
        day_begin, day_end = clock.midnights[index], clock.midnights[index + 1]
        work = _clip(engine.normalize(work), day_begin, day_end)
        busy = _clip(busy, day_begin, day_end)
        shown = [a for a in appointments if a.busy_start_epoch < day_end and a.busy_stop_epoch > day_begin]
        free = engine.subtract(work, busy)
        gaps = [(start, stop) for start, stop in _clip(free, max(day_begin, free_from), day_end)
                if stop - start >= GAP_MIN_MINUTES * 60]
        minute = clock.minute_of(index)

        def minutes(intervals):
            return [[minute(start), minute(stop)] for start, stop in intervals]

        return {
            "key": f"{provider.id}-{day.isoformat()}",
            "provider_id": provider.id,
            "provider_name": provider.name,
            "date": day.isoformat(),
            "work": minutes(work),
            "time_off": minutes(_clip(engine.subtract(attendance, work), day_begin, day_end)),
            # working time busy with no booking shown to explain it: calendar events, a hold being paid
            "blocked": minutes(engine.subtract(engine.subtract(work, free),
                                               [(a.busy_start_epoch, a.busy_stop_epoch) for a in shown])),
            "gaps": minutes(gaps),
            "appointments": [
                {**a.values, "begin": minute(a.start_epoch), "end": minute(a.stop_epoch),
                 "busy_begin": minute(a.busy_start_epoch), "busy_end": minute(a.busy_stop_epoch)}
                for a in shown
            ],
        }

    @api.model
    def _get_range(self, columns):
        """The minutes to show: working time, time off and bookings (buffers included), on whole hours, with a
        margin (or 8 to 18)."""
        starts, stops = [], []
        for column in columns:
            for key in ("work", "time_off", "blocked"):
                starts.extend(begin for begin, _end in column[key])
                stops.extend(end for _begin, end in column[key])
            starts.extend(appointment["busy_begin"] for appointment in column["appointments"])
            stops.extend(appointment["busy_end"] for appointment in column["appointments"])
        if not starts:
            return list(DEFAULT_RANGE)
        first = max(0, min(starts) // 60 * 60 - RANGE_MARGIN)
        last = min(24 * 60, -(-max(stops) // 60) * 60 + RANGE_MARGIN)
        return [first, last]

    # === DATA (a fixed number of queries) === #

    @api.model
    def _get_attendances(self, providers, begin, end):
        """The weekly hours of each provider, time off not removed, as epochs per provider id.

        One batch per calendar, as ``booking.availability._get_work_intervals``
        (whose cache it shares): working time subtracted from them is the time off.
        """
        Availability = self.env["booking.availability"]
        start, stop = pytz.utc.localize(begin), pytz.utc.localize(end)
        result = {provider.id: [] for provider in providers}
        by_calendar = defaultdict(lambda: self.env["booking.provider"])
        for provider in providers:
            if provider.resource_calendar_id:
                by_calendar[provider.resource_calendar_id] |= provider
        attendance_tz = self.env.context.get("employee_timezone")
        for calendar, group in by_calendar.items():
            epochs = Availability._get_attendance_epochs(calendar, group.resource_id, start, stop, attendance_tz)
            for provider in group:
                result[provider.id] = epochs[provider.resource_id.id]
        return result

    @api.model
    def _get_appointments(self, providers, begin, end, now, busy):
        """The bookings holding the providers' time between ``begin`` and ``end``, per provider id, by start.

        Read with the caller's rights (one search, then the names of the
        customers and services in one query each). An unpaid hold past its
        deadline is free time (the engine offers it): it is shown only while
        its time still counts as busy (its deposit is being paid).
        """
        result = {provider.id: [] for provider in providers}
        appointments = self.env["booking.appointment"].search_fetch(
            [("provider_id", "in", providers.ids), ("state", "in", TIME_HOLDING_STATES),
             ("busy_start", "<", end), ("busy_stop", ">", begin)],
            ["name", "start", "stop", "busy_start", "busy_stop", "state", "hold_expires_at", "provider_id",
             "partner_id", "service_id", "channel"],
            order="start, id",
        )
        states = dict(appointments._fields["state"]._description_selection(self.env))
        for appointment in appointments:
            item = _Booking(appointment)
            if appointment.state == "pending_payment" and appointment.hold_expires_at \
                    and appointment.hold_expires_at < now \
                    and not _covers(busy[appointment.provider_id.id], item.busy_start_epoch, item.busy_stop_epoch):
                continue
            item.values = {
                "id": appointment.id,
                "name": appointment.name,
                "partner": appointment.partner_id.display_name or "",
                "service": appointment.service_id.display_name or "",
                "state": appointment.state,
                "state_label": states[appointment.state],
                "color": appointment.state_color,
                "channel": appointment.channel,
                "movable": appointment.state in MOVABLE_STATES,
                "start": fields.Datetime.to_string(appointment.start),
            }
            result[appointment.provider_id.id].append(item)
        return result


class _Booking:
    """An appointment's epochs and what the client reads of it."""

    __slots__ = ("busy_start_epoch", "busy_stop_epoch", "start_epoch", "stop_epoch", "values")

    def __init__(self, appointment):
        self.start_epoch = to_epoch(appointment.start)
        self.stop_epoch = to_epoch(appointment.stop)
        self.busy_start_epoch = to_epoch(appointment.busy_start)
        self.busy_stop_epoch = to_epoch(appointment.busy_stop)
        self.values = {}


class _Clock:
    """Epochs as minutes since a column's local midnight (a DST day has 23 or 25 hours of them)."""

    def __init__(self, tz, dates, midnights):
        self.zone = pytz.timezone(tz)
        self.dates = dates
        self.midnights = midnights

    def minute_of(self, index):
        """A function: an epoch as minutes since the local midnight of column ``index``'s day."""
        midnight = self.midnights[index]
        if self.midnights[index + 1] - midnight == DAY_SECONDS:
            # no clock change that day (a booking reaching into a day with one is placed by this day's offset)
            return lambda value: (value - midnight) // 60
        day = self.dates[index]

        def wall_clock(value):
            local = datetime.fromtimestamp(value, self.zone)
            return (local.date() - day).days * 1440 + local.hour * 60 + local.minute

        return wall_clock


def _clip(intervals, begin, end):
    """Sorted intervals cut to ``[begin, end)``, the empty ones left out."""
    return [(max(start, begin), min(stop, end)) for start, stop in intervals if start < end and stop > begin]


def _covers(intervals, start, stop):
    """Whether one of the normalised ``intervals`` holds ``[start, stop)``."""
    return any(begin <= start and stop <= end for begin, end in intervals)
