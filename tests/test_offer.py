"""Issue 26: the availability of one booking from a cached offer, with the same guarantees."""

from datetime import date, datetime

import pytz
from freezegun import freeze_time

from odoo import Command, api
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import slots as engine
from ..exceptions import BookingInputError
from ..exceptions import SlotUnavailableError
from ..models.booking_availability import _CHECKED
from ..models.booking_availability import BLOCK_DAYS
from ..models.booking_availability import to_epoch
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .test_write_path import QueryLog

# the queries of the availability part of a booking, by what they read
AVAILABILITY_TABLES = (
    "booking_page_offer(", 'FROM "resource_calendar', "FROM resource_calendar", 'FROM "resource_resource"',
    'FROM "booking_provider"', 'FROM "booking_service"', "FROM booking_appointment a", "resource_calendar_leaves",
)

RECORD_READS = ('SELECT "booking_provider"."id", "booking_provider"."resource_id"',
                'SELECT "booking_service"."id", "booking_service"."is_published"')


def availability_queries(log):
    return [" ".join(query.split()) for query in log.queries if any(table in query for table in AVAILABILITY_TABLES)]


@tagged("post_install", "-at_install")
class TestOffer(BookingCommon):
    """What a page offers is read in one query, cached per content; a booking's constraints reuse its slot check."""

    def setUp(self):
        super().setUp()
        self.Availability = self.env["booking.availability"].sudo()
        self.Appointment = self.env["booking.appointment"].sudo()

    def book_checked(self, start, provider=None, service=None):
        """What ``_book_online`` does about time: check the slot as a customer, then create the appointment."""
        service = service or self.service
        slot = self.Availability._find_slot_or_raise(self.page, service, start, provider or self.provider_a)
        return self.Appointment.create({
            "page_id": self.page.id, "service_id": service.id, "provider_id": slot.provider_id,
            "partner_id": self.customer.id, "start": slot.start, "source": "api", "channel": "online",
        })

    # === WHAT A BOOKING COSTS === #

    @freeze_time(NOW)
    def test_the_slot_check_and_the_constraints_of_a_booking_cost_two_queries(self):
        self.book_checked(self.at(9))  # a worker's caches warm
        self.env.flush_all()
        self.env.invalidate_all()  # a new request: nothing read yet
        with QueryLog().recording() as log:
            appointment = self.book_checked(self.at(11, day=MONDAY + self.days(1)))
            self.env.flush_all()
        self.assertEqual(appointment.provider_id, self.provider_a)
        queries = availability_queries(log)
        # the offer with the time off of its range, the busy ranges
        self.assertEqual(len([q for q in queries if "booking_page_offer(" in q]), 1, queries)
        self.assertEqual(len([q for q in queries if "FROM booking_appointment a" in q]), 1, queries)
        # no relation, calendar, attendance, time off or resource read; the provider's and the service's records
        # are read once, by the appointment itself (its company check, its snapshot of the service)
        records = [q for q in queries if q.startswith(RECORD_READS)]
        self.assertLessEqual(len(records), 2, records)
        self.assertEqual(len(queries), 2 + len(records), queries)

    @freeze_time(NOW)
    def test_a_checked_slot_spares_the_constraints_once(self):
        slot = self.Availability._find_slot_or_raise(self.page, self.service, self.at(10), self.provider_b)
        vals = {"page_id": self.page.id, "service_id": self.service.id, "provider_id": slot.provider_id,
                "partner_id": self.customer.id, "start": slot.start}
        with QueryLog().recording() as log:
            appointment = self.Appointment.create(vals)
        self.assertFalse([q for q in availability_queries(log) if not q.startswith(RECORD_READS)],
                         "neither the offer nor the working time read again (the provider record is, for its company)")
        for check in ("offer", "working_time"):
            self.assertFalse(self.Availability._reuse_check(appointment, check), "used up")
        # the same values again (the first one released): checked anew, and refused now that Bob is off
        appointment.action_cancel()
        self.env["resource.calendar.leaves"].create({
            "name": "Off", "resource_id": self.provider_b.resource_id.id, "calendar_id": self.calendar.id,
            "date_from": self.at(8), "date_to": self.at(18)})
        with self.assertRaises(SlotUnavailableError):
            self.Appointment.create(vals)

    # === THE CONSTRAINTS STILL REFUSE === #

    @freeze_time(NOW)
    def test_backend_creates_are_still_checked(self):
        # a slot check of other values in the same transaction changes nothing for these
        self.Availability._find_slot_or_raise(self.page, self.service, self.at(10), self.provider_a)
        with self.assertRaises(SlotUnavailableError, msg="Alice's lunch"):
            self._book(self.at(12), provider=self.provider_a)
        self.provider_b.service_ids = [Command.unlink(self.service.id)]
        with self.assertRaisesRegex(ValidationError, "does not deliver"):
            self._book(self.at(10), provider=self.provider_b)
        other = self.env["booking.service"].create({"name": "Elsewhere", "duration_minutes": 60,
                                                    "provider_ids": [Command.set(self.provider_a.ids)]})
        with self.assertRaisesRegex(ValidationError, "is not offered on the page"):
            self._book(self.at(10), provider=self.provider_a, service=other)
        # the checked values themselves, moved to a time nobody checked, by a write
        appointment = self._book(self.at(10), provider=self.provider_a)
        with self.assertRaises(SlotUnavailableError):
            appointment.write({"start": self.at(12)})

    def test_the_slot_checks_do_not_outlive_their_transaction(self):
        key = (self.page.id, self.service.id, self.provider_a.id, self.at(10), self.at(11))
        appointment = self.env["booking.appointment"].new({
            "page_id": key[0], "service_id": key[1], "provider_id": key[2], "start": key[3]})
        self.assertEqual(appointment.stop, key[4])
        other = self.env["booking.appointment"].new({
            "page_id": key[0], "service_id": key[1], "provider_id": self.provider_b.id, "start": key[3]})
        with self.registry.cursor() as cr:
            Availability = api.Environment(cr, self.env.uid, {})["booking.availability"]
            Availability._remember_checked(*key)
            cr.rollback()
            self.assertFalse(Availability._reuse_check(appointment, "offer"), "forgotten at rollback")
            Availability._remember_checked(*key)
            self.assertFalse(self.env["booking.availability"]._reuse_check(appointment, "offer"),
                             "another transaction")
            self.assertFalse(Availability._reuse_check(other, "offer"), "other values")
            self.assertTrue(Availability._reuse_check(appointment, "offer"))
            self.assertFalse(Availability._reuse_check(appointment, "offer"), "once")
            self.assertTrue(Availability._reuse_check(appointment, "working_time"))
            Availability._remember_checked(*key)
            self.assertIn(cr, _CHECKED)
            committed = cr
        # leaving the block committed the transaction
        self.assertNotIn(committed, _CHECKED, "forgotten at commit")

    # === THE OFFER SEES EVERY CHANGE AT ONCE === #

    def offered(self, service=None, provider=None):
        """The local times of Monday offered for ``service`` (with ``provider``), after a warm-up of the caches."""
        return self.local_times(self.slots(service=service, providers=provider))

    @freeze_time(NOW)
    def test_a_providers_services(self):
        self.assertEqual(len(self.offered(provider=self.provider_b)), 7)
        self.provider_b.service_ids = [Command.unlink(self.service.id)]
        self.assertEqual(self.offered(provider=self.provider_b), [])
        with self.assertRaises(BookingInputError):
            self.page._get_bookable_provider(self.service, self.provider_b.id)
        with self.assertRaises(BookingInputError):
            self.book_checked(self.at(10), provider=self.provider_b)
        self.service.provider_ids = [Command.link(self.provider_b.id)]  # from the other side
        self.assertEqual(self.page._get_bookable_provider(self.service, self.provider_b.id), self.provider_b)
        self.assertEqual(self.book_checked(self.at(10), provider=self.provider_b).provider_id, self.provider_b)

    @freeze_time(NOW)
    def test_a_pages_providers(self):
        self.assertEqual(len(self.slots()), 14, "Alice and Bob")
        self.page.provider_ids = [Command.unlink(self.provider_a.id)]
        self.assertEqual({slot.provider_id for slot in self.slots()}, {self.provider_b.id})
        with self.assertRaises(BookingInputError):
            self.page._get_bookable_provider(self.service, self.provider_a.id)
        self.provider_a.page_ids = [Command.link(self.page.id)]  # from the other side
        self.assertEqual(len(self.slots()), 14)
        self.provider_a.active = False
        self.assertEqual({slot.provider_id for slot in self.slots()}, {self.provider_b.id}, "archived")

    @freeze_time(NOW)
    def test_a_pages_services(self):
        self.assertEqual(self.page._get_bookable_service(self.service.id), self.service)
        self.service.is_published = False
        with self.assertRaises(BookingInputError):
            self.page._get_bookable_service(self.service.id)
        self.service.is_published = True
        self.page.service_ids = [Command.unlink(self.service.id)]
        with self.assertRaises(BookingInputError):
            self.page._get_bookable_service(self.service.id)
        self.assertEqual(self.slots(), [], "nothing to book of a service the page does not offer")
        self.page.service_ids = [Command.link(self.service.id)]
        self.service.active = False
        with self.assertRaises(BookingInputError):
            self.page._get_bookable_service(self.service.id)

    @freeze_time(NOW)
    def test_a_calendars_attendances(self):
        self.assertIn("16:00", self.offered(provider=self.provider_a))
        monday_afternoon = self.calendar.attendance_ids.filtered(lambda a: a.dayofweek == "0" and a.hour_from == 13)
        monday_afternoon.hour_to = 16
        self.assertNotIn("16:00", self.offered(provider=self.provider_a))
        with self.assertRaises(BookingInputError):
            self.book_checked(self.at(16))
        # hours of Alice's own
        self.env["resource.calendar.attendance"].create({
            "name": "Alice's evening", "calendar_id": self.calendar.id, "resource_id": self.provider_a.resource_id.id,
            "dayofweek": "0", "hour_from": 18, "hour_to": 20, "day_period": "afternoon"})
        self.assertEqual(self.offered(provider=self.provider_a)[-2:], ["18:00", "19:00"])
        self.assertNotIn("18:00", self.offered(provider=self.provider_b))
        self.assertEqual(self.book_checked(self.at(18)).provider_id, self.provider_a)
        # another calendar for Bob
        self.provider_b.resource_calendar_id = self._create_calendar("Mornings", "Europe/Paris", range(5), [(8, 10)])
        self.assertEqual(self.offered(provider=self.provider_b), ["08:00", "09:00"])

    @freeze_time(NOW)
    def test_time_off(self):
        self.assertIn("10:00", self.offered(provider=self.provider_a))
        self.env["resource.calendar.leaves"].create({
            "name": "Dentist", "resource_id": self.provider_a.resource_id.id, "calendar_id": self.calendar.id,
            "date_from": self.at(10), "date_to": self.at(11)})
        self.assertNotIn("10:00", self.offered(provider=self.provider_a))
        with self.assertRaises(SlotUnavailableError):
            self._book(self.at(10), provider=self.provider_a)
        with self.assertRaises(BookingInputError):
            self.book_checked(self.at(10))

    @freeze_time(NOW)
    def test_a_services_duration(self):
        self.assertIn("11:00", self.offered(provider=self.provider_a))
        self.service.duration_minutes = 90
        self.assertNotIn("11:00", self.offered(provider=self.provider_a), "11:00-12:30 runs into lunch")
        with self.assertRaises(BookingInputError):
            self.book_checked(self.at(11))
        self.assertEqual(self.book_checked(self.at(9)).stop, self.at(10, 30))

    @freeze_time(NOW)
    def test_a_change_made_in_sql(self):
        """Nothing to signal (imports, other workers): the offer is cached per content, read each time."""
        self.assertEqual(len(self.slots()), 14)
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM booking_page_provider_rel WHERE page_id = %s AND provider_id = %s",
                            [self.page.id, self.provider_b.id])
        self.env.invalidate_all()
        self.assertEqual({slot.provider_id for slot in self.slots()}, {self.provider_a.id})

    # === THE WEEKLY HOURS, BY BLOCKS === #

    def test_hours_by_blocks_are_odoos_hours(self):
        """Across blocks, a change of time, two-week calendars, hours of a resource's own and dated lines."""
        calendar = self._create_calendar("Two weeks", "Europe/Paris", range(6), [(8, 12), (13, 19.5)])
        calendar.switch_calendar_type()
        self.assertTrue(calendar.two_weeks_calendar)
        odd = calendar.attendance_ids.filtered(lambda a: a.week_type == "1" and not a.display_type)
        odd_friday = odd.filtered(lambda a: a.dayofweek == "4")[:1]
        odd.filtered(lambda a: a.dayofweek == "2").unlink()
        odd_friday.write({"date_to": date(2025, 10, 29)})
        Provider = self.env["booking.provider"]
        late = Provider.create({"name": "Late", "resource_calendar_id": calendar.id, "tz": "America/Los_Angeles"})
        own = Provider.create({"name": "Own", "resource_calendar_id": calendar.id, "tz": "Europe/Paris"})
        self.env["resource.calendar.attendance"].create({
            "name": "Own Sunday", "calendar_id": calendar.id, "resource_id": own.resource_id.id, "dayofweek": "6",
            "week_type": "0", "hour_from": 22, "hour_to": 24, "day_period": "afternoon"})
        providers = late | own | self.provider_a
        start, stop = datetime(2025, 10, 1, 3, 17), datetime(2025, 11, 20, 22, 0)
        self.assertGreater((stop - start).days, BLOCK_DAYS, "several blocks")
        self.assertWorkIsOdoos(providers, start, stop, nonempty=True)

    def assertWorkIsOdoos(self, providers, start, stop, nonempty=False):
        """Each provider's working time between naive UTC ``start`` and ``stop`` is what Odoo's calendar gives."""
        work = self.env["booking.availability"]._get_work_intervals(providers, start, stop)
        for provider in providers:
            with self.subTest(provider=provider.name):
                expected = provider.resource_calendar_id._work_intervals_batch(
                    pytz.utc.localize(start), pytz.utc.localize(stop), resources=provider.resource_id,
                )[provider.resource_id.id]
                expected = engine.normalize([(to_epoch(begin), to_epoch(end)) for begin, end, _meta in expected])
                if nonempty:
                    self.assertTrue(expected)
                self.assertEqual(engine.normalize(work[provider.id]), expected)

    def test_time_off_is_odoos_time_off(self):
        """The one query of time off finds what Odoo's _leave_intervals_batch finds, and nothing else."""
        Leave = self.env["resource.calendar.leaves"]
        other_company = self.env["res.company"].create({"name": "Elsewhere"})
        other_calendar = self._create_calendar("Other", "Europe/Paris", range(5), [(9, 17)])
        day = datetime(2025, 6, 2)
        Leave.create([
            {"name": "Alice's", "resource_id": self.provider_a.resource_id.id, "calendar_id": self.calendar.id,
             "date_from": day.replace(hour=7), "date_to": day.replace(hour=8)},
            {"name": "Alice's, no calendar", "resource_id": self.provider_a.resource_id.id, "calendar_id": False,
             "date_from": day.replace(hour=12), "date_to": day.replace(hour=13)},
            {"name": "Holiday", "calendar_id": self.calendar.id, "resource_id": False,
             "date_from": datetime(2025, 6, 3, 0), "date_to": datetime(2025, 6, 3, 23)},
            {"name": "Holiday of all calendars", "calendar_id": False, "resource_id": False,
             "date_from": datetime(2025, 6, 4, 6), "date_to": datetime(2025, 6, 4, 10)},
            {"name": "Another company's holiday", "calendar_id": False, "resource_id": False,
             "company_id": other_company.id, "date_from": datetime(2025, 6, 5, 6),
             "date_to": datetime(2025, 6, 5, 10)},
            {"name": "Another calendar's", "calendar_id": other_calendar.id, "resource_id": False,
             "date_from": datetime(2025, 6, 6, 6), "date_to": datetime(2025, 6, 6, 10)},
            {"name": "Not time off", "resource_id": self.provider_b.resource_id.id, "calendar_id": self.calendar.id,
             "time_type": "other", "date_from": datetime(2025, 6, 6, 9), "date_to": datetime(2025, 6, 6, 10)},
            {"name": "Across the range", "resource_id": self.provider_b.resource_id.id,
             "calendar_id": self.calendar.id, "date_from": datetime(2025, 5, 30, 14),
             "date_to": datetime(2025, 6, 2, 8, 30)},
        ])
        providers = self.provider_a | self.provider_b
        start, stop = datetime(2025, 6, 1, 22), datetime(2025, 6, 9)
        self.assertWorkIsOdoos(providers, start, stop)
        self.assertNotIn("09:00", self.local_times(self.slots(providers=self.provider_a)), "07:00-08:00 UTC off")
        self.assertEqual(self.local_times(self.slots(providers=self.provider_b))[0], "10:30", "off until 08:30 UTC")
        friday = self.local_times(self.slots(providers=self.provider_b, day=date(2025, 6, 6)))
        self.assertIn("11:00", friday, "'other' is no time off, another calendar's holiday is not this one's")
        self.assertEqual(self.slots(day=date(2025, 6, 3)), [], "the calendar's holiday")

    def test_flexible_hours_are_odoos(self):
        """Flexible hours are no weekly hours: Odoo's own computation, time off as whole days."""
        flexible = self._create_calendar("Flexible", "Europe/Paris", range(5), [(9, 17)])
        flexible.write({"flexible_hours": True, "hours_per_day": 8})
        free = self.env["booking.provider"].create({"name": "Free", "resource_calendar_id": flexible.id,
                                                    "tz": "Europe/Paris"})
        self.env["resource.calendar.leaves"].create({
            "name": "Off", "resource_id": free.resource_id.id, "calendar_id": flexible.id,
            "date_from": datetime(2025, 6, 3, 10), "date_to": datetime(2025, 6, 3, 12)})
        start, stop = datetime(2025, 6, 1, 22), datetime(2025, 6, 9)
        self.assertWorkIsOdoos(free, start, stop, nonempty=True)

    def test_odd_ids_are_refused_cleanly(self):
        for odd in ("1", [self.service.id], None, 10**12, -1):
            with self.subTest(odd=odd), self.assertRaises(BookingInputError):
                self.page._get_bookable_service(odd)
        for odd in (str(self.provider_a.id), [self.provider_a.id], 10**12):
            with self.subTest(odd=odd), self.assertRaises(BookingInputError):
                self.page._get_bookable_provider(self.service, odd)
        self.assertEqual(self.page._get_bookable_service(float(self.service.id)), self.service)

    def test_uninstalling_drops_the_offer_function(self):
        """The function lives outside Odoo's models: the addon's uninstall hook removes it."""
        from .. import uninstall_hook  # noqa: PLC0415

        def exists():
            self.env.cr.execute("SELECT count(*) FROM pg_proc WHERE proname = 'booking_page_offer'")
            return self.env.cr.fetchone()[0]

        self.assertEqual(exists(), 1)
        with self.env.cr.savepoint(flush=False) as savepoint:
            uninstall_hook(self.env)
            self.assertEqual(exists(), 0)
            savepoint.rollback()
        self.assertEqual(exists(), 1)
