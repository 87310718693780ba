"""Tests of the pure availability engine (no Odoo needed)."""

from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest
import pytz
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from engine.slots import ProviderInput
from engine.slots import Rules
from engine.slots import as_zone
from engine.slots import compute_slots
from engine.slots import distinct_starts
from engine.slots import epoch
from engine.slots import local_midnights
from engine.slots import localize
from engine.slots import normalize
from engine.slots import open_days
from engine.slots import provider_starts
from engine.slots import starts_by_day
from engine.slots import subtract
from engine.tests.helpers import brute_force_starts
from engine.tests.helpers import local_date
from engine.tests.helpers import pick_provider
from engine.tests.helpers import weekly_work_intervals

H = 3600
M = 60
PARIS = pytz.timezone("Europe/Paris")
NEW_YORK = pytz.timezone("America/New_York")
HAVANA = pytz.timezone("America/Havana")  # clocks change at midnight
SANTIAGO = pytz.timezone("America/Santiago")
MON = date(2025, 6, 2)  # a Monday, no DST change around it


def at(day, hh, mm=0, tz=PARIS):
    return epoch(tz.localize(datetime.combine(day, time(hh, mm))))


def local_times(starts, tz=PARIS):
    return [datetime.fromtimestamp(s, tz).strftime("%H:%M") for s in starts]


def utc(ts):
    return datetime.fromtimestamp(ts, pytz.utc).strftime("%Y-%m-%d %H:%M")


def rules(duration=60 * M, **kw):
    kw.setdefault("earliest", 0)
    kw.setdefault("latest", 2**40)
    return Rules(duration=duration, **kw)


WEEKDAYS_9_TO_5_WITH_LUNCH = {
    d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)
}


# ---------------------------------------------------------------------------
# Interval helpers
# ---------------------------------------------------------------------------


def test_normalize_merges_overlapping_and_touching_intervals():
    assert normalize([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10)]) == [(1, 4), (5, 9)]


def test_subtract_cuts_holes():
    assert subtract([(0, 10), (20, 30)], [(2, 3), (8, 22), (29, 40)]) == [
        (0, 2),
        (3, 8),
        (22, 29),
    ]


# ---------------------------------------------------------------------------
# The sweep, rule by rule
# ---------------------------------------------------------------------------


def test_working_hours_with_a_lunch_break():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    starts = provider_starts(work, [], rules())
    assert local_times(starts) == ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]


def test_a_slot_never_straddles_the_break():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    starts = provider_starts(work, [], rules(duration=90 * M, step=30 * M))
    assert "11:00" not in local_times(starts)
    assert local_times(starts) == [
        "09:00", "09:30", "10:00", "10:30",
        "13:00", "13:30", "14:00", "14:30", "15:00", "15:30",
    ]


def test_contiguous_attendances_form_one_working_interval():
    schedule = {0: [(time(9), time(12)), (time(12), time(15))]}
    work = weekly_work_intervals(schedule, PARIS, MON, MON)
    assert len(work) == 1
    starts = provider_starts(work, [], rules(duration=90 * M))
    assert local_times(starts) == ["09:00", "10:30", "12:00", "13:30"]


def test_time_off_splits_the_day_and_restarts_the_grid():
    off = [(at(MON, 10, 30), at(MON, 11, 15))]
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON, time_off=off)
    starts = provider_starts(work, [], rules(duration=30 * M))
    # 11:15-12:00 is its own working interval: one start at 11:15, none at
    # 11:45 (it would run into lunch), and nothing inside the time off
    assert local_times(starts)[:6] == ["09:00", "09:30", "10:00", "11:15", "13:00", "13:30"]


def test_time_off_covering_a_whole_day():
    off = [(at(MON, 0), at(MON + timedelta(days=1), 0))]
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON + timedelta(days=1), off)
    starts = provider_starts(work, [], rules())
    assert {local_date(s, PARIS) for s in starts} == {MON + timedelta(days=1)}


def test_busy_range_removes_overlapping_starts_only():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    busy = [(at(MON, 10), at(MON, 11))]
    starts = provider_starts(work, busy, rules())
    assert local_times(starts) == ["09:00", "11:00", "13:00", "14:00", "15:00", "16:00"]


def test_buffers_widen_the_new_booking_against_existing_busy_time():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    busy = [(at(MON, 10), at(MON, 11))]
    r = rules(duration=30 * M, step=15 * M, buffer_before=15 * M, buffer_after=30 * M)
    times = local_times(provider_starts(work, busy, r))
    # before 10:00 a start must end, plus its 30 min after-buffer, by 10:00;
    # after 11:00 it must begin, minus its 15 min before-buffer, at 11:00 or later
    assert times[:4] == ["09:00", "11:15", "11:30", "13:00"]
    assert "09:15" not in times and "11:00" not in times


def test_travel_to_the_customer_is_reserved_before_each_job():
    """After an on-site job 10:00-11:00 with 30 minutes' drive, the next on-site job starts at 11:30."""
    work = [(at(MON, 8), at(MON, 18))]
    travel = 30 * M
    busy = [(at(MON, 10) - travel, at(MON, 11))]  # the booked job, its own drive included
    starts = local_times(provider_starts(work, busy, rules(duration=60 * M, step=30 * M), travel))
    assert "11:00" not in starts and starts[starts.index("11:30") - 1] == "08:30"
    assert starts[:2] == ["08:00", "08:30"], "08:30 + 1 h ends at the next job's drive (09:30)"
    with pytest.raises(ValueError):
        provider_starts(work, busy, rules(), -1)


def test_each_provider_has_their_own_drive():
    work = [(at(MON, 8), at(MON, 18))]
    busy = [(at(MON, 10), at(MON, 11))]
    near, far = ProviderInput(1, work, busy, travel=0), ProviderInput(2, work, busy, travel=45 * M)
    slots = compute_slots([near, far], rules(duration=60 * M, step=15 * M), PARIS, MON, MON)
    first_after = {p: min(s for s, _e, pid in slots if pid == p and s >= at(MON, 11)) for p in (1, 2)}
    assert first_after == {1: at(MON, 11), 2: at(MON, 11) + 45 * M}


def test_buffers_before_and_after_are_not_confused():
    work = [(0, 10 * H)]
    busy = [(5 * H, 6 * H)]
    r = rules(duration=H, buffer_before=0, buffer_after=H)
    # a start at 3h ends at 4h plus 1h after-buffer = 5h: touches, allowed
    assert 3 * H in provider_starts(work, busy, r)
    assert 4 * H not in provider_starts(work, busy, r)
    assert 6 * H in provider_starts(work, busy, r)
    r = rules(duration=H, buffer_before=H, buffer_after=0)
    assert 4 * H in provider_starts(work, busy, r)
    assert 6 * H not in provider_starts(work, busy, r)
    assert 7 * H in provider_starts(work, busy, r)


def test_minimum_notice_filters_but_keeps_the_grid():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    now = at(MON, 9, 20)
    starts = provider_starts(work, [], rules(earliest=now + 2 * H))
    # 11:20 is the earliest; the grid still starts at 09:00, so 13:00 is next
    assert local_times(starts) == ["13:00", "14:00", "15:00", "16:00"]


def test_horizon_is_exclusive():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    starts = provider_starts(work, [], rules(latest=at(MON, 14)))
    assert local_times(starts) == ["09:00", "10:00", "11:00", "13:00"]


def test_step_defaults_to_the_duration_and_can_be_finer():
    work = [(0, 3 * H)]
    assert provider_starts(work, [], rules(duration=H)) == [0, H, 2 * H]
    assert provider_starts(work, [], rules(duration=H, step=30 * M)) == [
        0, 30 * M, H, 90 * M, 2 * H,
    ]


def test_rules_reject_nonsense():
    with pytest.raises(ValueError):
        Rules(duration=0, earliest=0, latest=1)
    with pytest.raises(ValueError):
        Rules(duration=60, earliest=0, latest=1, step=-1)


# ---------------------------------------------------------------------------
# Time zones and DST
# ---------------------------------------------------------------------------


def test_provider_in_another_time_zone_than_the_page():
    # Page in Paris, provider works 9-17 in New York: in Paris that is 15-23.
    schedule = {d: [(time(9), time(17))] for d in range(5)}
    work = weekly_work_intervals(schedule, NEW_YORK, MON - timedelta(days=1), MON + timedelta(days=1))
    provider = ProviderInput(1, work)
    slots = compute_slots([provider], rules(), PARIS, MON, MON)
    assert local_times([s for s, _e, _p in slots], PARIS) == [
        "15:00", "16:00", "17:00", "18:00", "19:00", "20:00", "21:00", "22:00",
    ]
    assert local_times([s for s, _e, _p in slots], NEW_YORK)[0] == "09:00"


def test_page_day_filter_uses_the_page_time_zone():
    # New York provider working 18:00-22:00 local: in Paris those slots fall
    # after midnight, so they belong to the next Paris day.
    schedule = {d: [(time(18), time(22))] for d in range(7)}
    work = weekly_work_intervals(schedule, NEW_YORK, MON - timedelta(days=1), MON + timedelta(days=2))
    slots = compute_slots([ProviderInput(1, work)], rules(), PARIS, MON, MON)
    assert {local_date(s, PARIS) for s, _e, _p in slots} == {MON}
    # Paris Monday 00:00-04:00 is New York Sunday 18:00-22:00
    assert local_times([s for s, _e, _p in slots], PARIS) == ["00:00", "01:00", "02:00", "03:00"]


@pytest.mark.parametrize(
    "tz,day,hours",
    [
        (NEW_YORK, date(2025, 3, 9), 5),  # spring forward: 02:00 does not exist
        (NEW_YORK, date(2025, 11, 2), 7),  # fall back: 01:00 happens twice
        (PARIS, date(2025, 3, 30), 5),
        (PARIS, date(2025, 10, 26), 7),
    ],
)
def test_dst_night_shift_has_exactly_the_real_working_time(tz, day, hours):
    schedule = {day.weekday(): [(time(0), time(6))]}
    work = weekly_work_intervals(schedule, tz, day, day)
    assert work[0][1] - work[0][0] == hours * H
    slots = compute_slots([ProviderInput(1, work)], rules(), tz, day, day)
    starts = [s for s, _e, _p in slots]
    assert len(starts) == hours
    assert len(set(starts)) == hours
    assert all(b - a == H for a, b in pairwise(starts))


@pytest.mark.parametrize(
    "tz,day",
    [
        (NEW_YORK, date(2025, 3, 9)),
        (NEW_YORK, date(2025, 11, 2)),
        (PARIS, date(2025, 3, 30)),
        (PARIS, date(2025, 10, 26)),
    ],
)
def test_dst_day_keeps_the_same_wall_clock_slots(tz, day):
    schedule = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(7)}
    before = day - timedelta(days=7)
    for d in (before, day):
        work = weekly_work_intervals(schedule, tz, d, d)
        slots = compute_slots([ProviderInput(1, work)], rules(), tz, d, d)
        assert local_times([s for s, _e, _p in slots], tz) == [
            "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00",
        ]


def test_dst_week_slots_lie_on_their_local_day():
    schedule = {d: [(time(8), time(20))] for d in range(7)}
    first, last = date(2025, 3, 28), date(2025, 4, 1)
    work = weekly_work_intervals(schedule, PARIS, first, last)
    slots = compute_slots([ProviderInput(1, work)], rules(), PARIS, first, last)
    per_day = {}
    for s, _e, _p in slots:
        per_day.setdefault(local_date(s, PARIS), []).append(s)
    assert sorted(per_day) == [first + timedelta(days=i) for i in range(5)]
    assert all(len(v) == 12 for v in per_day.values())


def test_as_zone_takes_a_zone_name_or_a_tzinfo():
    assert as_zone("Europe/Paris") is PARIS
    assert as_zone(PARIS) is PARIS
    india = timezone(timedelta(hours=5, minutes=30))
    assert as_zone(india) is india
    assert local_midnights("Europe/Paris", MON, MON) == local_midnights(PARIS, MON, MON) == [
        at(MON, 0), at(MON + timedelta(days=1), 0),
    ]
    assert [utc(m) for m in local_midnights(india, MON, MON)] == ["2025-06-01 18:30", "2025-06-02 18:30"]


@pytest.mark.parametrize(
    "tz,local,fold,expected",
    [
        # a skipped time takes the offset from before the change with fold 0 (02:30 EST is 03:30 EDT),
        # the one after it with fold 1; a repeated time is its first occurrence with fold 0
        (NEW_YORK, datetime(2025, 3, 9, 2, 30), 0, "2025-03-09 07:30"),
        (NEW_YORK, datetime(2025, 3, 9, 2, 30), 1, "2025-03-09 06:30"),
        (NEW_YORK, datetime(2025, 11, 2, 1, 30), 0, "2025-11-02 05:30"),
        (NEW_YORK, datetime(2025, 11, 2, 1, 30), 1, "2025-11-02 06:30"),
        (PARIS, datetime(2025, 3, 30, 2, 30), 0, "2025-03-30 01:30"),
        (PARIS, datetime(2025, 3, 30, 2, 30), 1, "2025-03-30 00:30"),
        (PARIS, datetime(2025, 10, 26, 2, 30), 0, "2025-10-26 00:30"),
        (PARIS, datetime(2025, 10, 26, 2, 30), 1, "2025-10-26 01:30"),
        (PARIS, datetime(2025, 6, 2, 9, 0), 1, "2025-06-02 07:00"),
    ],
)
def test_wall_clock_times_a_clock_change_skips_or_repeats(tz, local, fold, expected):
    assert utc(epoch(localize(tz, local.replace(fold=fold)))) == expected


def test_working_hours_starting_in_a_skipped_or_repeated_hour():
    spring, autumn = date(2025, 3, 9), date(2025, 11, 2)
    work = weekly_work_intervals({spring.weekday(): [(time(2, 30), time(4))]}, NEW_YORK, spring, spring)
    assert [(utc(a), utc(b)) for a, b in work] == [("2025-03-09 07:30", "2025-03-09 08:00")]
    work = weekly_work_intervals({autumn.weekday(): [(time(1, 30), time(3))]}, NEW_YORK, autumn, autumn)
    assert [(utc(a), utc(b)) for a, b in work] == [("2025-11-02 05:30", "2025-11-02 08:00")]
    work = weekly_work_intervals({autumn.weekday(): [(time(1, 30, fold=1), time(3))]}, NEW_YORK, autumn, autumn)
    assert [(utc(a), utc(b)) for a, b in work] == [("2025-11-02 06:30", "2025-11-02 08:00")]


@pytest.mark.parametrize(
    "tz,first,midnights,per_day",
    [
        # 2025-03-09 00:00 does not exist in Havana, 2025-11-02 00:00 happens twice
        (HAVANA, date(2025, 3, 8), ["2025-03-08 05:00", "2025-03-09 05:00", "2025-03-10 04:00", "2025-03-11 04:00"],
         [24, 23, 24]),
        (HAVANA, date(2025, 11, 1), ["2025-11-01 04:00", "2025-11-02 04:00", "2025-11-03 05:00", "2025-11-04 05:00"],
         [24, 25, 24]),
        # 2025-09-07 00:00 does not exist in Santiago; 2025-04-05 23:00-24:00 happens twice
        (SANTIAGO, date(2025, 9, 6), ["2025-09-06 04:00", "2025-09-07 04:00", "2025-09-08 03:00", "2025-09-09 03:00"],
         [24, 23, 24]),
        (SANTIAGO, date(2025, 4, 5), ["2025-04-05 03:00", "2025-04-06 04:00", "2025-04-07 04:00", "2025-04-08 04:00"],
         [25, 24, 24]),
    ],
)
def test_days_around_a_clock_change_at_midnight(tz, first, midnights, per_day):
    last = first + timedelta(days=2)
    assert [utc(m) for m in local_midnights(tz, first, last)] == midnights
    around_the_clock = {d: [(time(0), time.max)] for d in range(7)}
    work = weekly_work_intervals(around_the_clock, tz, first - timedelta(days=1), last + timedelta(days=1))
    slots = compute_slots([ProviderInput(1, work)], rules(), tz.zone, first, last)
    per_local_day = {}
    for s, _e, _p in slots:
        per_local_day.setdefault(local_date(s, tz), []).append(s)
    assert sorted(per_local_day) == [first + timedelta(days=i) for i in range(3)]
    assert [len(per_local_day[d]) for d in sorted(per_local_day)] == per_day


# ---------------------------------------------------------------------------
# Several providers, "any available"
# ---------------------------------------------------------------------------


def test_any_available_prefers_the_least_loaded_provider_of_the_day():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    busy_a = [(at(MON, 9), at(MON, 10)), (at(MON, 14), at(MON, 15))]
    busy_b = [(at(MON, 9), at(MON, 10))]
    a = ProviderInput(1, work, busy_a, last_booked=100)
    b = ProviderInput(2, work, busy_b, last_booked=900)
    slots = compute_slots([a, b], rules(), PARIS, MON, MON)
    assert pick_provider(slots, at(MON, 10)) == 2
    # only A is free at 9? no: both busy at 9
    assert pick_provider(slots, at(MON, 9)) is None
    # at 14:00 only B is free
    assert pick_provider(slots, at(MON, 14)) == 2
    # one entry per (start, provider)
    assert [p for s, _e, p in slots if s == at(MON, 10)] == [2, 1]


def test_any_available_ties_go_to_the_least_recently_booked():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON)
    a = ProviderInput(1, work, [], last_booked=500)
    b = ProviderInput(2, work, [], last_booked=100)
    c = ProviderInput(3, work, [], last_booked=None)
    slots = compute_slots([a, b, c], rules(), PARIS, MON, MON)
    assert [p for s, _e, p in slots if s == at(MON, 9)] == [3, 2, 1]


def test_load_is_counted_per_local_day():
    days = [MON, MON + timedelta(days=1)]
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, days[0], days[1])
    # A is loaded on Monday only, B on Tuesday only
    a = ProviderInput(1, work, [(at(days[0], 9), at(days[0], 12))])
    b = ProviderInput(2, work, [(at(days[1], 9), at(days[1], 12))])
    slots = compute_slots([a, b], rules(), PARIS, days[0], days[1])
    assert pick_provider(slots, at(days[0], 13)) == 2
    assert pick_provider(slots, at(days[1], 13)) == 1


def test_slots_are_sorted_and_match_each_providers_own_answer():
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, MON, MON + timedelta(days=4))
    providers = [
        ProviderInput(i, work, [(at(MON, 9 + i), at(MON, 10 + i))], last_booked=i)
        for i in range(1, 5)
    ]
    r = rules(duration=45 * M, step=15 * M)
    slots = compute_slots(providers, r, PARIS, MON, MON + timedelta(days=4))
    assert [s for s, _e, _p in slots] == sorted(s for s, _e, _p in slots)
    for p in providers:
        assert [s for s, _e, q in slots if q == p.provider_id] == provider_starts(p.work, p.busy, r)


# ---------------------------------------------------------------------------
# Property: the sweep is the definition
# ---------------------------------------------------------------------------

small = st.integers(min_value=0, max_value=400)


@st.composite
def scenarios(draw):
    work = draw(st.lists(st.tuples(small, st.integers(1, 120)), max_size=8))
    busy = draw(st.lists(st.tuples(small, st.integers(0, 60)), max_size=12))
    r = Rules(
        duration=draw(st.integers(1, 60)),
        step=draw(st.integers(0, 45)),
        buffer_before=draw(st.integers(0, 20)),
        buffer_after=draw(st.integers(0, 20)),
        earliest=draw(st.integers(-10, 300)),
        latest=draw(st.integers(0, 600)),
    )
    return [(s, s + d) for s, d in work], [(s, s + d) for s, d in busy], r


@settings(max_examples=1500, deadline=None)
@given(scenarios(), st.sampled_from((0, 0, 5, 17, 40)))
def test_sweep_agrees_with_brute_force(case, travel):
    work, busy, r = case
    assert provider_starts(work, busy, r, travel) == brute_force_starts(work, busy, r, travel)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.tuples(small, st.integers(1, 90)), max_size=6), min_size=1, max_size=4),
    st.integers(20, 60),
)
def test_compute_slots_is_the_union_of_brute_force_answers(busy_lists, duration):
    day = MON
    work = [(at(day, 8), at(day, 18))]
    base = at(day, 8)
    providers = [
        ProviderInput(i + 1, work, [(base + s * M, base + (s + d) * M) for s, d in busy])
        for i, busy in enumerate(busy_lists)
    ]
    r = rules(duration=duration * M, step=15 * M)
    slots = compute_slots(providers, r, PARIS, day, day)
    expected = sorted(
        (s, p.provider_id)
        for p in providers
        for s in brute_force_starts(p.work, p.busy, r)
    )
    assert sorted((s, p) for s, _e, p in slots) == expected


# ---------------------------------------------------------------------------
# Property: open days are the days of the slots nobody has booked
# ---------------------------------------------------------------------------

# ranges around clock changes, at midnight in Havana and Santiago
OPEN_DAY_RANGES = [
    (PARIS, date(2025, 10, 24)),
    (NEW_YORK, date(2025, 3, 7)),
    (HAVANA, date(2025, 3, 7)),
    (HAVANA, date(2025, 10, 31)),
    (SANTIAGO, date(2025, 9, 5)),
    (SANTIAGO, date(2025, 4, 3)),
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(OPEN_DAY_RANGES),
    st.lists(
        st.lists(st.tuples(st.integers(0, 6 * 24 * 4), st.integers(1, 3 * 24 * 4)), max_size=5),
        min_size=1, max_size=4,
    ),
    st.integers(1, 26 * 4),
    st.integers(0, 30 * 4),
    st.integers(0, 5 * 24 * 4),
    st.integers(0, 5 * 24 * 4),
    st.integers(1, 5),
    st.booleans(),
)
def test_open_days_are_the_local_dates_of_the_free_slots(zone_day, works, duration, step, earliest, latest, days,
                                                         same_work):
    tz, first = zone_day
    q = 15 * M
    base = at(first, 0, tz=tz) - 12 * H
    works = [[(base + s * q, base + (s + d) * q) for s, d in work] for work in works]
    if same_work:
        works = [works[0]] * len(works)
    r = Rules(duration=duration * q, step=step * q, earliest=base + earliest * q, latest=base + latest * q)
    last = first + timedelta(days=days - 1)
    free = [ProviderInput(i + 1, work) for i, work in enumerate(works)]
    expected = {local_date(s, tz) for s, _e, _p in compute_slots(free, r, tz.zone, first, last)}
    assert open_days(works, r, tz.zone, first, last) == expected


def test_open_days_skip_closed_days_and_the_notice():
    days = [MON + timedelta(days=i) for i in range(7)]
    work = weekly_work_intervals(WEEKDAYS_9_TO_5_WITH_LUNCH, PARIS, days[0], days[-1])
    # notice until Tuesday 16:30: a 60-minute service still fits Tuesday at 16:00? no, 16:30 is off the grid
    r = rules(earliest=at(days[1], 16, 30))
    assert open_days([work], r, PARIS.zone, days[0], days[-1]) == set(days[2:5])
    r = rules(earliest=at(days[1], 16))
    assert open_days([work, []], r, PARIS.zone, days[0], days[-1]) == set(days[1:5])
    assert open_days([[], []], r, PARIS.zone, days[0], days[-1]) == set()


# ---------------------------------------------------------------------------
# Property: each start once, by local day, exactly (issue 26, answers sized to the screen)
# ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(OPEN_DAY_RANGES),
    st.lists(
        st.lists(st.tuples(st.integers(0, 6 * 24 * 4), st.integers(1, 3 * 24 * 4)), max_size=5),
        min_size=1, max_size=4,
    ),
    st.lists(st.lists(st.tuples(st.integers(0, 6 * 24 * 4), st.integers(1, 12)), max_size=6), min_size=4,
             max_size=4),
    st.integers(1, 8),
    st.integers(0, 4),
    st.integers(1, 5),
)
def test_distinct_starts_by_day_give_back_every_start_of_compute_slots_once(zone_day, works, busies, duration, step,
                                                                            days):
    """Around clock changes too: midnight + offset is the start, its local date is the day, nothing lost."""
    tz, first = zone_day
    q = 15 * M
    base = at(first, 0, tz=tz) - 12 * H
    providers = [
        ProviderInput(i + 1, [(base + s * q, base + (s + d) * q) for s, d in work],
                      [(base + s * q, base + (s + d) * q) for s, d in busies[i]])
        for i, work in enumerate(works)
    ]
    r = Rules(duration=duration * q, step=step * q, earliest=base, latest=base + 8 * 24 * H)
    last = first + timedelta(days=days - 1)
    slots = compute_slots(providers, r, tz.zone, first, last)
    starts = distinct_starts(providers, r, tz.zone, first, last)
    assert starts == sorted({s for s, _e, _p in slots})
    grouped = starts_by_day(starts, tz.zone, first, last)
    rebuilt = [midnight + offset for _day, midnight, offsets in grouped for offset in offsets]
    assert rebuilt == starts
    assert all(local_date(midnight + offset, tz) == day for day, midnight, offsets in grouped for offset in offsets)
    assert [day for day, _m, _o in grouped] == sorted({local_date(s, tz) for s in starts})
    assert all(offsets for _d, _m, offsets in grouped), "only days with starts"


def test_offsets_count_elapsed_time_on_a_25_hour_day():
    """Paris falls back on 26 October 2025 (03:00 is 02:00 again): 02:00 and 02:30 happen twice, each with its
    own offset."""
    day = date(2025, 10, 26)
    midnight = at(day, 0)
    work = [(midnight, midnight + 5 * H)]  # 00:00 to 04:00 on the wall clock: 5 hours
    starts = distinct_starts([ProviderInput(1, work)], rules(duration=30 * M, step=30 * M), PARIS.zone, day, day)
    ((found_day, found_midnight, offsets),) = starts_by_day(starts, PARIS.zone, day, day)
    assert (found_day, found_midnight) == (day, midnight)
    assert offsets == [k * 30 * M for k in range(10)], "every half hour of 5 elapsed hours, none repeated"
    wall = [datetime.fromtimestamp(midnight + o, PARIS).strftime("%H:%M") for o in offsets]
    assert wall == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30"]
