"""Helpers of the engine tests and of ``bench/engine_bench.py``, not of the addon.

The definition of "bookable" checked candidate by candidate, "any available"
read off an answer, working intervals from weekly hours and local dates: the
references the engine (``engine/slots.py``) is tested and benchmarked against.
The Odoo layer gets its working time from ``resource.calendar`` and needs none
of this.
"""

from datetime import datetime, time, timedelta

from engine.slots import as_zone
from engine.slots import epoch
from engine.slots import localize
from engine.slots import normalize
from engine.slots import subtract


def brute_force_starts(work, busy, rules, travel=0):
    """The definition of "bookable", checked candidate by candidate.

    Quadratic and obviously right; the sweep must always agree with it.
    """
    starts = []
    busy = [(bs, be) for bs, be in busy if be > bs]
    for ws, we in normalize(work):
        t = ws
        while t + rules.duration <= we:
            lo = t - rules.buffer_before - travel
            hi = t + rules.duration + rules.buffer_after
            if (
                rules.earliest <= t < rules.latest
                and not any(bs < hi and lo < be for bs, be in busy)
            ):
                starts.append(t)
            t += rules.grid
    return starts


def pick_provider(slots, start):
    """The provider "any available" assigns at ``start``, or None."""
    for s, _stop, provider_id in slots:
        if s == start:
            return provider_id
    return None


def weekly_work_intervals(schedule, tz, date_from, date_to, time_off=()):
    """Working intervals from weekly hours, expressed in a time zone.

    ``schedule`` maps a weekday (Monday is 0) to ``[(from, to), ...]`` of
    ``datetime.time`` in local wall-clock time (``time.max`` or ``None`` as
    ``to`` means midnight at the end of the day). Each local time is resolved
    to UTC on its own date, so a DST change neither adds nor removes working
    time beyond what the wall clock says (a time the change makes ambiguous or
    skips resolves as :func:`engine.slots.localize` says). ``time_off`` is
    subtracted. The Odoo layer gets the same from ``resource.calendar``.
    """
    zone = as_zone(tz)
    intervals = []
    day = date_from
    while day <= date_to:
        for start, stop in schedule.get(day.weekday(), ()):
            begin = localize(zone, datetime.combine(day, start))
            if stop is None or stop == time.max:
                end = localize(zone, datetime.combine(day + timedelta(days=1), time.min))
            else:
                end = localize(zone, datetime.combine(day, stop))
            intervals.append((epoch(begin), epoch(end)))
        day += timedelta(days=1)
    return subtract(intervals, time_off) if time_off else normalize(intervals)


def local_date(ts, tz):
    """The date in ``tz`` of epoch seconds ``ts``."""
    # fromtimestamp converts through tz.fromutc, which pytz zones implement
    return datetime.fromtimestamp(ts, as_zone(tz)).date()
