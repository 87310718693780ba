from datetime import date, datetime, time

import pytz
from freezegun import freeze_time

from odoo import Command

from ..engine import slots as engine
from ..models.booking_availability import to_epoch
from .common import MONDAY
from .common import NOW
from .common import PARIS
from .common import BookingCommon
from .common import local_to_utc

NEW_YORK = "America/New_York"


class TestAvailability(BookingCommon):
    """The Odoo layer of the engine: resource calendars, time off, bookings."""

    def test_working_hours_with_lunch_break(self):
        self.assertEqual(
            self.local_times(self.slots(providers=self.provider_a)),
            ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"],
        )

    def test_edited_weekly_hours_are_seen_at_once(self):
        """The weekly hours are cached by content: an edit shows in the next answer, even uncommitted."""
        self.assertIn("16:00", self.local_times(self.slots(providers=self.provider_a)))
        afternoon = self.calendar.attendance_ids.filtered(lambda a: a.dayofweek == "0" and a.hour_from == 13)
        afternoon.hour_to = 15
        self.assertNotIn("16:00", self.local_times(self.slots(providers=self.provider_a)))
        afternoon.unlink()
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["09:00", "10:00", "11:00"])
        self.provider_a.resource_id.tz = "Europe/London"  # the same hours, an hour later in Paris
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["10:00", "11:00", "12:00"])

    def test_page_step_makes_a_finer_grid(self):
        self.page.slot_step_minutes = 30
        self.assertEqual(
            self.local_times(self.slots(providers=self.provider_a))[:5],
            ["09:00", "09:30", "10:00", "10:30", "11:00"],
        )

    def test_weekend_has_no_slot(self):
        self.assertEqual(self.slots(day=date(2025, 6, 7), last=date(2025, 6, 8)), [])

    def test_time_off_from_resource_module(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Dentist",
            "resource_id": self.provider_a.resource_id.id,
            "calendar_id": self.calendar.id,
            "date_from": self.at(10, 30),
            "date_to": self.at(14),
        })
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["09:00", "14:00", "15:00", "16:00"])
        # Bob is not affected
        self.assertEqual(len(self.slots(providers=self.provider_b)), 7)

    def test_public_holiday_of_the_calendar_blocks_everybody(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday",
            "calendar_id": self.calendar.id,
            "date_from": self.at(0),
            "date_to": self.at(23, 59),
        })
        self.assertEqual(self.slots(), [])

    def test_bookings_and_buffers_remove_slots(self):
        with freeze_time(NOW):
            self._book(self.at(10), service=self.service_buffered)  # busy 9:45-10:45
        self.assertEqual(
            self.local_times(self.slots(providers=self.provider_a)),
            ["11:00", "13:00", "14:00", "15:00", "16:00"],
        )
        self.page.slot_step_minutes = 15
        times = self.local_times(self.slots(service=self.service_buffered, providers=self.provider_a))
        # a 30-minute colour with 15-minute buffers needs 9:00 + 30 + 15 <= 9:45 -> 9:00 fits exactly
        self.assertEqual(times[:3], ["09:00", "11:00", "11:15"])
        self.assertNotIn("10:45", times)

    def test_released_appointments_free_their_time(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
            appointment.action_cancel()
        self.assertIn("10:00", self.local_times(self.slots(providers=self.provider_a)))

    def test_minimum_notice_and_horizon(self):
        # 2 hours notice from Monday 9:30 Paris: 11:00 is the first start
        monday_0930 = local_to_utc(MONDAY, 9, 30)
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a, now=monday_0930))[0], "13:00")
        self.page.min_notice_hours = 1
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a, now=monday_0930))[0], "11:00")
        # horizon: 1 day ahead from Sunday noon ends Monday noon
        self.page.max_advance_days = 1
        self.assertEqual(
            self.local_times(self.slots(providers=self.provider_a)), ["09:00", "10:00", "11:00"]
        )
        # staff (not strict) ignore notice and horizon, but not the past
        self.assertEqual(
            self.local_times(self.slots(providers=self.provider_a, now=monday_0930, strict=False))[0], "10:00"
        )

    def test_provider_in_another_time_zone(self):
        new_york_hours = self._create_calendar("NY week", NEW_YORK, range(5), [(9, 17)])
        remote = self.env["booking.provider"].create({
            "name": "Nora in New York",
            "resource_calendar_id": new_york_hours.id,
            "tz": NEW_YORK,
            "service_ids": [Command.set(self.service.ids)],
        })
        self.page.provider_ids = [Command.link(remote.id)]
        # 9:00-17:00 in New York is 15:00-23:00 in Paris (both on summer time)
        self.assertEqual(
            self.local_times(self.slots(providers=remote)),
            ["15:00", "16:00", "17:00", "18:00", "19:00", "20:00", "21:00", "22:00"],
        )
        self.assertEqual(self.local_times(self.slots(providers=remote), NEW_YORK)[0], "09:00")

    def test_dst_change_in_paris_neither_creates_nor_loses_slots(self):
        every_day = self._create_calendar("Every day", PARIS, range(7), [(9, 12), (13, 17)])
        self.provider_a.resource_calendar_id = every_day
        for day in (date(2025, 3, 30), date(2025, 10, 26)):
            with self.subTest(day=day):
                slots = self.slots(day=day, providers=self.provider_a, now=datetime.combine(day, time()) - self.days(3))
                self.assertEqual(
                    self.local_times(slots), ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
                )

    def test_any_available_assigns_the_least_loaded_provider(self):
        with freeze_time(NOW):
            self._book(self.at(9), provider=self.provider_a)
        slots = self.slots()
        at_ten = [slot.provider_id for slot in slots if slot.start == self.at(10)]
        self.assertEqual(at_ten, [self.provider_b.id, self.provider_a.id])
        found = self.env["booking.availability"]._find_slot(self.page, self.service, self.at(10), now=NOW)
        self.assertEqual(found.provider_id, self.provider_b.id)
        # at 9:00 only Bob is free
        self.assertEqual([s.provider_id for s in slots if s.start == self.at(9)], [self.provider_b.id])

    def test_only_providers_of_the_page_and_service(self):
        outsider = self.env["booking.provider"].create({
            "name": "Not on the page",
            "resource_calendar_id": self.calendar.id,
            "service_ids": [Command.set(self.service.ids)],
        })
        self.assertNotIn(outsider.id, {s.provider_id for s in self.slots()})
        self.assertEqual(self.slots(providers=outsider), [])
        self.provider_b.service_ids = [Command.unlink(self.service.id)]
        self.assertEqual({s.provider_id for s in self.slots()}, {self.provider_a.id})
        self.provider_a.active = False
        self.assertEqual(self.slots(), [])

    def test_find_slot_refuses_starts_off_the_grid(self):
        Availability = self.env["booking.availability"]
        self.assertTrue(Availability._find_slot(self.page, self.service, self.at(10), self.provider_a, now=NOW))
        self.assertFalse(Availability._find_slot(self.page, self.service, self.at(10, 15), self.provider_a, now=NOW))
        self.assertFalse(Availability._find_slot(self.page, self.service, self.at(12), self.provider_a, now=NOW))

    def test_a_refused_time_is_never_its_own_alternative(self):
        """In a race the winner's booking is not visible yet: the 409 must not offer the time that was just won."""
        Availability = self.env["booking.availability"]
        with freeze_time(NOW):
            for provider in (self.provider_a, self.env["booking.provider"]):
                error = Availability._slot_unavailable(self.page, self.service, self.at(10), provider)
                self.assertTrue(error.alternatives)
                self.assertNotIn(self.at(10), [slot.start for slot in error.alternatives])

    def test_fits_working_time(self):
        Availability = self.env["booking.availability"]
        self.assertTrue(Availability._fits_working_time(self.provider_a, self.at(9), self.at(12)))
        self.assertTrue(Availability._fits_working_time(self.provider_a, self.at(10, 7), self.at(11, 7)))
        self.assertFalse(Availability._fits_working_time(self.provider_a, self.at(11, 30), self.at(12, 30)))
        self.assertFalse(Availability._fits_working_time(self.provider_a, self.at(8), self.at(9)))

    def test_work_intervals_are_odoos_work_intervals(self):
        """The adapter's working time is ``resource.calendar._work_intervals_batch``'s, calendar by calendar.

        Two calendars, providers in two time zones on one calendar, an
        attendance of one resource only, time off of one provider (over two
        days), a public holiday of one calendar and a company-wide one.
        """
        Availability = self.env["booking.availability"]
        new_york_hours = self._create_calendar("NY week", NEW_YORK, range(5), [(8, 16)])
        Provider = self.env["booking.provider"]
        nora = Provider.create({"name": "Nora", "resource_calendar_id": new_york_hours.id, "tz": NEW_YORK})
        paul = Provider.create({"name": "Paul", "resource_calendar_id": self.calendar.id, "tz": NEW_YORK})
        self.env["resource.calendar.attendance"].create({
            "name": "Bob's Saturdays", "calendar_id": self.calendar.id, "resource_id": self.provider_b.resource_id.id,
            "dayofweek": "5", "hour_from": 10, "hour_to": 14, "day_period": "morning",
        })
        Leave = self.env["resource.calendar.leaves"]
        Leave.create({"name": "Trip", "resource_id": self.provider_a.resource_id.id, "calendar_id": self.calendar.id,
                      "date_from": self.at(10, 30), "date_to": self.at(14, day=date(2025, 6, 3))})
        Leave.create({"name": "Holiday", "calendar_id": self.calendar.id,
                      "date_from": self.at(0, day=date(2025, 6, 5)), "date_to": self.at(23, 59, day=date(2025, 6, 5))})
        Leave.create({"name": "Company day", "company_id": self.company.id, "calendar_id": False,
                      "date_from": self.at(12, day=date(2025, 6, 6)), "date_to": self.at(18, day=date(2025, 6, 6))})
        providers = self.provider_a | self.provider_b | nora | paul
        start, stop = datetime(2025, 6, 1), datetime(2025, 6, 9)
        work = Availability._get_work_intervals(providers, start, stop)
        utc = pytz.utc
        for provider in providers:
            with self.subTest(provider=provider.name):
                expected = provider.resource_calendar_id._work_intervals_batch(
                    utc.localize(start), utc.localize(stop), resources=provider.resource_id)[provider.resource_id.id]
                expected = engine.normalize([(to_epoch(begin), to_epoch(end)) for begin, end, _meta in expected])
                self.assertTrue(expected)
                self.assertEqual(engine.normalize(work[provider.id]), expected)
        # and the slots follow: Alice's trip, Bob's Saturday, the holidays
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a)), ["09:00"])
        self.assertEqual(self.local_times(self.slots(providers=self.provider_a, day=date(2025, 6, 3))),
                         ["14:00", "15:00", "16:00"])
        self.assertEqual(self.local_times(self.slots(providers=self.provider_b, day=date(2025, 6, 7))),
                         ["10:00", "11:00", "12:00", "13:00"])
        self.assertEqual(self.slots(day=date(2025, 6, 5)), [])
        self.assertEqual(self.local_times(self.slots(day=date(2025, 6, 6), providers=self.provider_b)),
                         ["09:00", "10:00", "11:00"])

    def _count_queries(self, providers, days):
        """SQL queries of one slots computation, from a cold cache as in a request."""
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["booking.availability"]._get_slots(
            self.page, self.service, MONDAY, MONDAY + self.days(days - 1), providers=providers, now=NOW
        )
        return self.env.cr.sql_log_count - before

    def test_query_count_is_constant_in_providers_and_days(self):
        Provider = self.env["booking.provider"]
        many = Provider.create([
            {
                "name": f"Provider {i}",
                "resource_calendar_id": self.calendar.id,
                "tz": PARIS,
                "service_ids": [Command.set(self.service.ids)],
            }
            for i in range(18)
        ])
        self.page.provider_ids = [Command.link(p.id) for p in many]
        two = self.provider_a | self.provider_b
        twenty = two | many
        self.assertEqual(len(twenty), 20)
        with freeze_time(NOW):
            for i, provider in enumerate(twenty):
                self._book(self.at(9 + i % 3), provider=provider, day=MONDAY + self.days(i % 5))
        # warm registry-level caches (ir.rule, ...) and the weekly hours of each set and range (cached by content:
        # a first request of a range makes Odoo's own two attendance queries)
        cold = max(self._count_queries(providers, days) for providers, days in
                   ((two, 7), (twenty, 7), (two, 31), (twenty, 31)))
        baseline = self._count_queries(two, 7)
        self.assertLessEqual(cold, baseline + 4)
        self.assertEqual(self._count_queries(twenty, 7), baseline, "2 vs 20 providers")
        self.assertEqual(self._count_queries(two, 31), baseline, "7 vs 31 days")
        self.assertEqual(self._count_queries(twenty, 31), baseline, "20 providers, 31 days")
        self.assertLessEqual(baseline, 12)

    def _book(self, start, provider=None, service=None, day=None, **vals):
        if day:
            start = start.replace(year=day.year, month=day.month, day=day.day)
        return super()._book(start, provider=provider, service=service, **vals)
