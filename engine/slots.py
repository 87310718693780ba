"""Bookable slots from working time and busy time, in one sweep per provider.

This module is the availability engine of DESIGN.md section 5. It knows nothing
about Odoo: the Odoo layer (``models/booking_availability.py``) turns records
into plain numbers, calls :func:`compute_slots` and turns the answer back into
datetimes. Keeping it pure lets it be tested exhaustively (property tests
against ``brute_force_starts`` in ``engine/tests/helpers.py``) and benchmarked
on its own.

All instants are integers: seconds since the Unix epoch, UTC. An interval is a
half-open pair ``(start, stop)``.

What "bookable" means for a provider and a start ``t``:

1. ``t`` lies on the grid ``ws + k * step`` of the working interval
   ``[ws, we)`` it belongs to (a working interval is one maximal contiguous
   stretch of working time, time off already removed);
2. ``[t, t + duration)`` lies inside that working interval;
3. the buffered range ``[t - before - travel, t + duration + after)``
   overlaps no busy range of the provider (busy ranges are already
   buffered); ``travel`` is the provider's drive to a job at the customer's
   place, reserved before it (0 for services at the business);
4. ``earliest <= t < latest`` (minimum notice and booking horizon).
"""

from bisect import bisect_right
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

import pytz


@dataclass(frozen=True, slots=True)
class Rules:
    """What the service and the page ask of a slot, in seconds."""

    duration: int
    earliest: int
    latest: int
    buffer_before: int = 0
    buffer_after: int = 0
    step: int = 0  # 0 means "the service duration"

    def __post_init__(self):
        if self.duration <= 0:
            raise ValueError("duration must be positive")
        if self.step < 0 or self.buffer_before < 0 or self.buffer_after < 0:
            raise ValueError("step and buffers cannot be negative")

    @property
    def grid(self):
        return self.step or self.duration


@dataclass(slots=True)
class ProviderInput:
    """One provider's time, as the Odoo layer fetched it.

    ``busy`` holds buffered ranges of time-holding appointments (and, once
    calendars sync, busy calendar events); ``last_booked`` is the epoch of the
    provider's most recent booking, used to break ties in "any available";
    ``travel`` (seconds) is reserved before each of this provider's slots on
    top of the service's buffer: the drive to a job at the customer's place.
    """

    provider_id: int
    work: list
    busy: list = field(default_factory=list)
    last_booked: int | None = None
    travel: int = 0


# ---------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------


def normalize(intervals):
    """Sort intervals and merge the ones that overlap or touch.

    Touching intervals merge because a working interval is a *maximal*
    contiguous stretch: 09:00-12:00 and 12:00-17:00 are one day of work and
    the slot grid runs through noon.
    """
    merged = []
    append = merged.append
    current = None  # the (start, stop) being extended, not yet appended
    for start, stop in sorted(intervals):
        if stop <= start:
            continue
        if current is None:
            current = (start, stop)
        elif start <= current[1]:
            if stop > current[1]:
                current = (current[0], stop)
        else:
            append(current)
            current = (start, stop)
    if current is not None:
        append(current)
    return merged


def subtract(intervals, holes):
    """``intervals`` minus ``holes``; both are normalised first."""
    result = []
    holes = normalize(holes)
    j = 0
    for start, stop in normalize(intervals):
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(holes) and holes[k][0] < stop:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < stop:
            result.append((cursor, stop))
    return result


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------


def provider_starts(work, busy, rules, travel=0):
    """Every bookable start of one provider, sorted, in one pass.

    A busy range ``[bs, be)`` forbids exactly the starts in the open interval
    ``(bs - duration - after, be + before + travel)``. Busy ranges are merged and
    sorted, so the forbidden intervals come sorted too and one pointer walks
    them alongside the working intervals. Within each free stretch the grid
    points are produced by ``range``, so the cost is linear in the number of
    intervals plus the number of slots, with no per-candidate overlap test.
    """
    duration = rules.duration
    step = rules.grid
    reach_back = duration + rules.buffer_after
    if travel < 0:
        raise ValueError("travel cannot be negative")
    reach_fwd = rules.buffer_before + travel
    forbidden = [(bs - reach_back, be + reach_fwd) for bs, be in normalize(busy)]
    n_forbidden = len(forbidden)
    earliest, latest = rules.earliest, rules.latest
    starts = []
    extend = starts.extend
    j = 0
    for ws, we in normalize(work):
        lo = ws if ws >= earliest else earliest
        hi = we - duration
        if hi >= latest:
            hi = latest - 1
        if hi < lo:
            continue
        while j < n_forbidden and forbidden[j][1] <= lo:
            j += 1
        cursor = lo
        k = j
        while k < n_forbidden and forbidden[k][0] < hi:
            fs, fe = forbidden[k]
            if fs >= cursor:
                first = cursor + (-(cursor - ws)) % step
                extend(range(first, fs + 1, step))
            cursor = max(cursor, fe)
            k += 1
        if cursor <= hi:
            first = cursor + (-(cursor - ws)) % step
            extend(range(first, hi + 1, step))
    return starts


# ---------------------------------------------------------------------------
# Local days, ranking and the whole answer
# ---------------------------------------------------------------------------


def as_zone(tz):
    """A time zone from its name (a pytz zone) or a tzinfo, returned as is."""
    return pytz.timezone(tz) if isinstance(tz, str) else tz


def localize(zone, naive):
    """The aware datetime of the local wall-clock time ``naive`` in ``zone``.

    Wall-clock times a clock change makes ambiguous or skips resolve as the
    standard library does for ``datetime(..., tzinfo=zone)`` (PEP 495): with
    ``naive.fold`` 0, the first of two repeated times, and a skipped time
    taken with the offset in force before the change (so 02:30 on a spring-
    forward night is 03:30 after it); with ``fold`` 1, the second time and the
    offset after the change. pytz zones get there through ``zone.localize``
    (a pytz zone must never be passed as ``tzinfo=``); any other tzinfo
    resolves ``fold`` itself.
    """
    to_local = getattr(zone, "localize", None)
    if to_local is None:
        return naive.replace(tzinfo=zone)
    later = naive.fold == 1
    naive = naive.replace(fold=0)
    try:
        return to_local(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        both = (to_local(naive, is_dst=True), to_local(naive, is_dst=False))
        return max(both) if later else min(both)  # aware datetimes compare as instants
    except pytz.NonExistentTimeError:
        # pytz: is_dst=False keeps the offset from before the change, True the one after
        return to_local(naive, is_dst=later)


def epoch(dt):
    """Epoch seconds of an aware datetime (or of a naive one taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def local_midnights(tz, date_from, date_to):
    """Epochs of local midnight for each day of ``[date_from, date_to + 1]``.

    The list has one more entry than there are days, so day ``i`` is
    ``[m[i], m[i + 1])``; on DST days that is 23 or 25 hours long.
    """
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 2)]
    if isinstance(tz, str):
        return [_named_midnight(tz, day) for day in days]
    return [_midnight(tz, day) for day in days]


def _midnight(zone, day):
    """Epoch of the local midnight that starts ``day`` in the tzinfo ``zone``."""
    return epoch(localize(zone, datetime.combine(day, time.min)))


@lru_cache(maxsize=4096)
def _named_midnight(name, day):
    """:func:`_midnight` in the pytz zone ``name``, cached: ``localize`` costs
    some 15 microseconds, and a zone's rules do not change while the process
    runs (the Odoo layer always passes a zone name)."""
    return _midnight(pytz.timezone(name), day)


def daily_load(busy, midnights):
    """Busy seconds per local day index, for "least loaded" ranking."""
    load = [0] * (len(midnights) - 1)
    last = len(load) - 1
    for bs, be in busy:
        day = bisect_right(midnights, bs) - 1
        if 0 <= day <= last:
            load[day] += be - bs
    return load


def _window(rules, midnights):
    """``rules`` with ``earliest`` and ``latest`` clipped to the local days ``midnights`` span."""
    return Rules(
        duration=rules.duration,
        buffer_before=rules.buffer_before,
        buffer_after=rules.buffer_after,
        step=rules.step,
        earliest=max(rules.earliest, midnights[0]),
        latest=min(rules.latest, midnights[-1]),
    )


def open_days(works, rules, tz, date_from, date_to):
    """The local dates in range with at least one start when nobody has booked.

    The same as the local dates of ``compute_slots`` for providers with these
    working intervals and no busy time, without producing the slots: in each
    working interval it visits one start per local day, jumping from a start
    to the first grid point past the next midnight, so the cost is the number
    of intervals plus open days. Identical working intervals (providers on
    one calendar without time off) are looked at once.
    """
    midnights = local_midnights(tz, date_from, date_to)
    window = _window(rules, midnights)
    duration, step = window.duration, window.grid
    earliest, latest = window.earliest, window.latest
    found = set()
    seen = set()
    for work in works:
        key = tuple(work)
        if key in seen:
            continue
        seen.add(key)
        for ws, we in normalize(work):
            lo = ws if ws >= earliest else earliest
            hi = we - duration
            if hi >= latest:
                hi = latest - 1
            t = lo + (-(lo - ws)) % step
            while t <= hi:
                day = bisect_right(midnights, t) - 1
                found.add(day)
                boundary = midnights[day + 1]
                t = boundary + (-(boundary - ws)) % step
    return {date_from + timedelta(days=day) for day in found}


def compute_slots(providers, rules, tz, date_from, date_to):
    """All bookable ``(start, stop, provider_id)`` whose local date is in range.

    Sorted by start; at equal starts, providers come in "any available" order:
    least loaded that local day, then least recently booked, then lowest id.
    So the first entry of each start is the provider "any" assigns.
    """
    midnights = local_midnights(tz, date_from, date_to)
    window = _window(rules, midnights)
    per_provider = [
        (p, provider_starts(p.work, p.busy, window, p.travel)) for p in providers
    ]
    if len(per_provider) == 1:
        p, starts = per_provider[0]
        d = rules.duration
        return [(s, s + d, p.provider_id) for s in starts]

    n_days = len(midnights) - 1
    loads = [daily_load(p.busy, midnights) for p, _ in per_provider]
    ranks = []  # ranks[day][provider index]
    for day in range(n_days):
        order = sorted(
            range(len(per_provider)),
            key=lambda i: (
                loads[i][day],
                per_provider[i][0].last_booked if per_provider[i][0].last_booked is not None else -1,
                per_provider[i][0].provider_id,
            ),
        )
        rank = [0] * len(per_provider)
        for position, i in enumerate(order):
            rank[i] = position
        ranks.append(rank)

    width = len(per_provider)
    keys = []
    for i, (_p, starts) in enumerate(per_provider):
        day = 0
        boundary = midnights[1]
        for s in starts:
            while s >= boundary:
                day += 1
                boundary = midnights[day + 1]
            keys.append(s * width + ranks[day][i])
    keys.sort()
    rank_to_index = [[0] * width for _ in range(n_days)]
    for day in range(n_days):
        for i, r in enumerate(ranks[day]):
            rank_to_index[day][r] = i
    d = rules.duration
    result = []
    day = 0
    boundary = midnights[1]
    for key in keys:
        s, r = divmod(key, width)
        while s >= boundary:
            day += 1
            boundary = midnights[day + 1]
        result.append((s, s + d, per_provider[rank_to_index[day][r]][0].provider_id))
    return result


__all__ = [
    "ProviderInput",
    "Rules",
    "as_zone",
    "compute_slots",
    "daily_load",
    "epoch",
    "local_midnights",
    "localize",
    "normalize",
    "open_days",
    "provider_starts",
    "subtract",
]


# ---------------------------------------------------------------------------
# What a customer picks from: each start once, by local day
# ---------------------------------------------------------------------------


def distinct_starts(providers, rules, tz, date_from, date_to):
    """The starts of :func:`compute_slots`, each once whoever can take it, sorted.

    What "any available" offers a customer: a time is free when at least one
    provider is, and which one takes it is decided when the booking is made
    (the first provider of that start in :func:`compute_slots`). No ranking,
    no entry per provider: the cost is the providers' starts, and the answer
    is as long as the distinct times.
    """
    midnights = local_midnights(tz, date_from, date_to)
    window = _window(rules, midnights)
    if len(providers) == 1:
        p = providers[0]
        return provider_starts(p.work, p.busy, window, p.travel)
    found = set()
    for p in providers:
        found.update(provider_starts(p.work, p.busy, window, p.travel))
    return sorted(found)


def starts_by_day(starts, tz, date_from, date_to):
    """Sorted starts grouped by local day: ``[(date, midnight epoch, [seconds after midnight])]``.

    Only the days with starts are listed. The offsets count the time elapsed
    since the day's local midnight, so a start is ``midnight + offset`` exactly,
    on a day a clock change makes 23 or 25 hours long too (where wall-clock
    times would repeat or skip an hour); they equal the wall-clock time of
    the start on every other day.
    """
    midnights = local_midnights(tz, date_from, date_to)
    days = []
    day, boundary, current = -1, midnights[0], None
    for s in starts:
        if s < midnights[0] or s >= midnights[-1]:
            continue
        if s >= boundary:
            day = bisect_right(midnights, s) - 1
            boundary = midnights[day + 1]
            current = []
            days.append((date_from + timedelta(days=day), midnights[day], current))
        current.append(s - midnights[day])
    return days
