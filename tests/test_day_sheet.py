import logging
import time as clock
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from ..exceptions import SlotUnavailableError
from .common import MONDAY
from .common import NOW
from .common import PARIS
from .common import BookingCommon

_logger = logging.getLogger(__name__)

DAY = MONDAY.isoformat()


@tagged("at_install")
class TestDaySheet(BookingCommon):
    """The day sheet's one call: columns, gaps and bookings, with the caller's rights, in constant queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon Ltd"})
        cls.user_staff_b = mail_new_test_user(
            cls.env, login="day_sheet_staff_b", name="Berta Staff", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user",
        )
        Env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company_b.ids))
        calendar_b = Env["resource.calendar"].create({"name": "B hours", "company_id": cls.company_b.id, "tz": PARIS})
        cls.service_b = Env["booking.service"].create({
            "name": "B service", "duration_minutes": 60, "company_id": cls.company_b.id,
        })
        cls.provider_other = Env["booking.provider"].create({
            "name": "Otto Other", "company_id": cls.company_b.id, "resource_calendar_id": calendar_b.id,
            "tz": PARIS, "service_ids": [Command.set(cls.service_b.ids)],
        })
        cls.page_b = Env["booking.page"].create({
            "name": "B page", "slug": "b-day-sheet", "company_id": cls.company_b.id, "tz": PARIS,
            "service_ids": [Command.set(cls.service_b.ids)],
            "provider_ids": [Command.set(cls.provider_other.ids)],
        })
        cls.user_internal = mail_new_test_user(cls.env, login="day_sheet_internal", name="Ivan Internal",
                                               groups="base.group_user")
        # the sheet opens on the company's first page: a database's own pages (demo data) are not this world's
        cls.env["booking.page"].search([("id", "not in", (cls.page | cls.page_b).ids)]).active = False

    def sheet(self, user=None, **kwargs):
        kwargs.setdefault("page_id", self.page.id)
        kwargs.setdefault("day", DAY)
        return self.env["booking.day.sheet"].with_user(user or self.user_staff).get_day_sheet(**kwargs)

    def column(self, sheet, provider, day=DAY):
        return next(c for c in sheet["columns"] if c["provider_id"] == provider.id and c["date"] == day)

    # === WHAT IS SHOWN === #

    @freeze_time(NOW)
    def test_one_column_per_provider_with_hours_gaps_and_bookings(self):
        cut = self._book(self.at(10), provider=self.provider_a)
        colour = self._book(self.at(9), provider=self.provider_b, service=self.service_buffered)
        sheet = self.sheet()
        self.assertEqual((sheet["mode"], sheet["day"], sheet["dates"]), ("day", DAY, [DAY]))
        self.assertEqual(sheet["page"], {"id": self.page.id, "name": "Test Salon", "tz": PARIS})
        self.assertEqual([c["provider_name"] for c in sheet["columns"]], ["Alice", "Bob"])
        alice, bob = self.column(sheet, self.provider_a), self.column(sheet, self.provider_b)
        self.assertEqual(alice["work"], [[540, 720], [780, 1020]], "9-12 and 13-17, in minutes of the day")
        self.assertEqual(alice["gaps"], [[540, 600], [660, 720], [780, 1020]], "free around the 10:00 cut")
        # the colour's buffers (15 minutes either side) hold 8:45-9:45: free from 9:45
        self.assertEqual(bob["gaps"], [[585, 720], [780, 1020]])
        [card] = alice["appointments"]
        self.assertEqual(
            {key: card[key] for key in ("id", "name", "partner", "service", "state", "color", "movable", "begin",
                                        "end", "start")},
            {"id": cut.id, "name": cut.name, "partner": "Carla Customer", "service": "Cut", "state": "confirmed",
             "color": cut.state_color, "movable": True, "begin": 600, "end": 660,
             "start": "2025-06-02 08:00:00"})
        self.assertEqual(cut.state_color, 10, "confirmed is green")
        [card] = bob["appointments"]
        self.assertEqual((card["id"], card["begin"], card["end"], card["busy_begin"], card["busy_end"]),
                         (colour.id, 540, 570, 525, 585))
        self.assertEqual(sheet["range"], [420, 1080], "the day's hours and bookings, an hour either side")
        self.assertFalse(sheet["now"], "not today")
        self.assertEqual(sheet["pages"], [{"id": self.page.id, "name": "Test Salon"}])

    @freeze_time(NOW)
    def test_time_off_is_shown_and_not_free(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Dentist", "resource_id": self.provider_a.resource_id.id, "calendar_id": self.calendar.id,
            "date_from": self.at(13), "date_to": self.at(15),
        })
        alice = self.column(self.sheet(), self.provider_a)
        self.assertEqual(alice["time_off"], [[780, 900]])
        self.assertEqual(alice["work"], [[540, 720], [900, 1020]])
        self.assertEqual(alice["gaps"], [[540, 720], [900, 1020]])

    @freeze_time(NOW)
    def test_an_event_in_the_provider_calendar_is_busy_not_free(self):
        alice_user = mail_new_test_user(self.env, login="day_sheet_alice", name="Alice Provider",
                                        groups="base.group_user")
        self.provider_a.user_id = alice_user
        self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Dentist", "start": self.at(7), "stop": self.at(10), "user_id": alice_user.id,
            "partner_ids": [Command.set(alice_user.partner_id.ids)]})
        alice = self.column(self.sheet(), self.provider_a)
        self.assertEqual(alice["blocked"], [[540, 600]], "busy within working time only")
        self.assertEqual(alice["gaps"], [[600, 720], [780, 1020]])
        self.assertEqual(self.sheet()["range"], [480, 1080], "an event before hours does not stretch the day")

    def test_today_is_free_from_now_on(self):
        with freeze_time(self.at(10, 7)):
            self._book(self.at(11), provider=self.provider_a)
            sheet = self.sheet()
        self.assertEqual(sheet["today"], DAY)
        self.assertEqual(sheet["now"], {"date": DAY, "minute": 607})
        alice = self.column(sheet, self.provider_a)
        self.assertEqual(alice["gaps"], [[610, 660], [780, 1020]], "from 10:10, the next 5 minutes")
        with freeze_time(self.at(10, 7) + timedelta(days=1)):
            self.assertEqual(self.column(self.sheet(), self.provider_a)["gaps"], [], "a past day has no gaps")

    def test_expired_hold_is_free_time_not_a_booking(self):
        with freeze_time(NOW):
            held = self._book(self.at(10), provider=self.provider_a, service=self.service_deposit,
                              state="pending_payment")
            pending = self._book(self.at(14), provider=self.provider_a, service=self.service_approval,
                                 state="pending")
        with freeze_time(NOW + timedelta(hours=1)):
            alice = self.column(self.sheet(), self.provider_a)
        self.assertEqual([a["id"] for a in alice["appointments"]], [pending.id])
        self.assertEqual(alice["appointments"][0]["color"], 3, "awaiting approval is yellow")
        self.assertIn([540, 720], alice["gaps"], "the unpaid hold's time is free again, as the engine says")
        with freeze_time(NOW):
            alice = self.column(self.sheet(), self.provider_a)
        self.assertEqual([(a["id"], a["color"]) for a in alice["appointments"]], [(held.id, 2), (pending.id, 3)])

    @freeze_time(NOW)
    def test_closed_bookings_are_not_shown_and_done_ones_cannot_move(self):
        cancelled = self._book(self.at(9), provider=self.provider_a)
        cancelled.action_cancel()
        done = self._book(self.at(11), provider=self.provider_a)
        done.write({"state": "done"})
        alice = self.column(self.sheet(), self.provider_a)
        self.assertEqual([(a["id"], a["movable"]) for a in alice["appointments"]], [(done.id, False)])
        self.assertEqual(alice["gaps"][0], [540, 660], "the cancelled booking's time is free")

    @freeze_time(NOW)
    def test_week_of_one_provider(self):
        wednesday = MONDAY + timedelta(days=2)
        self._book(self.at(10, day=wednesday), provider=self.provider_a)
        sheet = self.sheet(day=wednesday.isoformat(), provider_id=self.provider_a.id)
        week_start = int(self.env["res.lang"]._lang_get(self.env.lang or "en_US").week_start)
        first = date.fromisoformat(sheet["dates"][0])
        self.assertEqual(first.isoweekday(), week_start, "the week starts as the language says")
        week = [first + timedelta(days=i) for i in range(7)]
        self.assertEqual((sheet["mode"], sheet["dates"]), ("week", [day.isoformat() for day in week]))
        self.assertIn(wednesday, week)
        self.assertEqual([(c["provider_id"], c["date"]) for c in sheet["columns"]],
                         [(self.provider_a.id, day.isoformat()) for day in week])
        self.assertEqual([len(c["appointments"]) for c in sheet["columns"]],
                         [int(day == wednesday) for day in week])
        self.assertEqual([bool(c["work"]) for c in sheet["columns"]], [day.isoweekday() <= 5 for day in week],
                         "no weekend hours")
        self.assertEqual([p["id"] for p in sheet["providers"]], [self.provider_a.id, self.provider_b.id])

    @freeze_time(NOW)
    def test_default_page_and_day(self):
        sheet = self.env["booking.day.sheet"].with_user(self.user_staff).get_day_sheet()
        self.assertEqual(sheet["page"]["id"], self.page.id)
        self.assertEqual(sheet["day"], "2025-06-01", "today in the page's time zone")

    def test_a_day_across_a_clock_change_keeps_wall_clock_minutes(self):
        self.calendar.attendance_ids = [Command.create({
            "name": "Sunday", "dayofweek": "6", "hour_from": 9, "hour_to": 17, "day_period": "morning"})]
        sunday = date(2025, 10, 26)  # Paris goes back from 3:00 to 2:00
        with freeze_time(datetime(2025, 10, 20)):
            self._book(self.at(10, day=sunday), provider=self.provider_a)
            alice = self.column(self.sheet(day=sunday.isoformat()), self.provider_a, day=sunday.isoformat())
        self.assertEqual(alice["work"], [[540, 1020]])
        self.assertEqual((alice["appointments"][0]["begin"], alice["appointments"][0]["end"]), (600, 660))

    # === ACCESS (an attacker's reading) === #

    def test_only_booking_users(self):
        for user in (self.user_portal_1, self.user_internal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.sheet(user=user)
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.sheet(user=user, page_id=None)

    @freeze_time(NOW)
    def test_staff_of_another_company_see_nothing_of_this_one(self):
        self._book(self.at(10), provider=self.provider_a)
        with self.assertRaises(AccessError):
            self.sheet(user=self.user_staff_b)
        with self.assertRaises(AccessError):
            self.sheet(user=self.user_staff_b, page_id=self.page_b.id, provider_id=self.provider_a.id)
        sheet = self.sheet(user=self.user_staff_b, page_id=None)
        self.assertEqual(sheet["page"]["id"], self.page_b.id)
        self.assertEqual(sheet["pages"], [{"id": self.page_b.id, "name": "B page"}])
        self.assertEqual([c["provider_id"] for c in sheet["columns"]], [self.provider_other.id])
        self.assertNotIn("Alice", str(sheet))
        self.assertNotIn("Carla", str(sheet))
        # nor the other way round
        with self.assertRaises(AccessError):
            self.sheet(page_id=self.page_b.id)
        with self.assertRaises(AccessError):
            self.sheet(provider_id=self.provider_other.id)

    @freeze_time(NOW)
    def test_a_user_of_both_companies_sees_the_active_ones_only(self):
        self.user_staff.company_ids = [Command.link(self.company_b.id)]
        DaySheet = self.env["booking.day.sheet"].with_user(self.user_staff)
        sheet = DaySheet.with_context(allowed_company_ids=self.company.ids).get_day_sheet()
        self.assertEqual([p["id"] for p in sheet["pages"]], self.page.ids)
        with self.assertRaises(AccessError):
            DaySheet.with_context(allowed_company_ids=self.company.ids).get_day_sheet(page_id=self.page_b.id)
        both = DaySheet.with_context(allowed_company_ids=(self.company | self.company_b).ids).get_day_sheet()
        self.assertEqual({p["id"] for p in both["pages"]}, {self.page.id, self.page_b.id})

    def test_malformed_arguments_are_refused_cleanly(self):
        for kwargs in ({"page_id": "1"}, {"page_id": True}, {"page_id": -3}, {"page_id": 2**40},
                       {"provider_id": [1]}, {"day": "2025-13-01"}, {"day": 20250602}, {"day": "0001-01-01"},
                       {"day": "9999-12-31"}, {"day": ["2025-06-02"]}):
            with self.subTest(kwargs=kwargs), self.assertRaises(UserError):
                self.sheet(**kwargs)
        with self.assertRaises(AccessError):
            self.sheet(page_id=999999)

    def test_a_page_without_providers_and_no_page_at_all(self):
        self.page.provider_ids = [Command.clear()]
        sheet = self.sheet()
        self.assertEqual((sheet["columns"], sheet["providers"]), ([], []))
        lonely = mail_new_test_user(self.env, login="day_sheet_lonely", name="Lonely",
                                    company_id=self.company_b.id, company_ids=[Command.set(self.company_b.ids)],
                                    groups="base.group_user,self_serve_booking.group_booking_user")
        self.page_b.active = False
        sheet = self.sheet(user=lonely, page_id=None)
        self.assertEqual((sheet["page"], sheet["pages"], sheet["columns"]), (False, [], []))

    # === QUERIES AND TIME === #

    def _count_queries(self, page, day=DAY):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["booking.day.sheet"].with_user(self.user_staff).get_day_sheet(page_id=page.id, day=day)
        return self.env.cr.sql_log_count - before

    def _busy_salon(self, count, slug):
        """A page with ``count`` providers on two calendars, each booked solid on Monday (7 bookings each)."""
        calendar_2 = self._create_calendar("Late week", PARIS, range(5), [(10, 13), (14, 18)])
        providers = self.env["booking.provider"].create([
            {"name": f"Stylist {i:02d}", "tz": PARIS, "service_ids": [Command.set(self.services.ids)],
             "resource_calendar_id": (self.calendar if i % 2 else calendar_2).id}
            for i in range(count)
        ])
        page = self.page.copy({"name": f"Salon {count}", "slug": slug,
                               "provider_ids": [Command.set(providers.ids)]})
        vals_list = []
        for provider in providers:
            first = 9 if provider.resource_calendar_id == self.calendar else 10
            hours = [hour for hour in range(first, first + 8) if hour != first + 3]
            vals_list += [{"page_id": page.id, "service_id": self.service.id, "provider_id": provider.id,
                           "partner_id": self.customer.id, "start": self.at(hour)} for hour in hours]
        self.env["booking.appointment"].create(vals_list)
        return page

    @freeze_time(NOW)
    def test_queries_are_constant_in_providers_and_bookings(self):
        small, large = self._busy_salon(4, "salon-4"), self._busy_salon(40, "salon-40")
        for page in (small, large, small, large):  # warm the registry caches and the weekly hours
            self._count_queries(page)
        four, forty = self._count_queries(small), self._count_queries(large)
        self.assertEqual(four, forty, "4 vs 40 providers, 28 vs 280 bookings")
        self.assertLessEqual(forty, 20)
        sheet = self.sheet(page_id=large.id)
        self.assertEqual(len(sheet["columns"]), 40)
        self.assertEqual(sum(len(c["appointments"]) for c in sheet["columns"]), 280)
        self.assertTrue(all(c["gaps"] == [] for c in sheet["columns"]), "booked solid")
        # the figure for the README (an in-process call; the RPC adds its JSON)
        timings = []
        for _run in range(5):
            self.env.invalidate_all()
            started = clock.process_time()  # freezegun stops perf_counter, not the CPU time
            self.sheet(page_id=large.id)
            timings.append(clock.process_time() - started)
        _logger.info("Day sheet of 40 providers x 280 bookings: %d queries, best %.1f ms, median %.1f ms of CPU",
                     forty, min(timings) * 1000, sorted(timings)[2] * 1000)

    # === BOOKING INTO A GAP (the assistant, prefilled) === #

    def _assistant(self, user=None, **vals):
        context = {"default_page_id": self.page.id, "default_provider_id": self.provider_b.id,
                   "default_date": DAY, "default_start": self.at(14, 30)}
        context.update(vals)
        return Form(self.env["booking.assistant"].with_user(user or self.user_staff).with_context(**context))

    @freeze_time(NOW)
    def test_a_gap_clicked_books_that_time_through_the_assistant(self):
        form = self._assistant()
        self.assertEqual((form.provider_id, form.start, form.date), (self.provider_b, self.at(14, 30), MONDAY))
        self.assertRegex(form.start_label, r"\b2:30\b", "the time where the business is (Paris), whoever reads it")
        form.service_id = self.service
        form.partner_id = self.customer
        wizard = form.save()
        self.assertEqual(wizard.action_book_start(), {"type": "ir.actions.act_window_close"})
        appointment = self.env["booking.appointment"].search([("provider_id", "=", self.provider_b.id)])
        self.assertEqual((appointment.start, appointment.state, appointment.source), (self.at(14, 30), "confirmed",
                                                                                     "backend"))
        self.assertTrue(self.outbox(appointment, "confirmed"), "the customer is told, as for any staff booking")
        bob = self.column(self.sheet(), self.provider_b)
        self.assertEqual([a["id"] for a in bob["appointments"]], appointment.ids)

    @freeze_time(NOW)
    def test_the_assistant_refuses_a_taken_time_or_one_outside_hours(self):
        self._book(self.at(14), provider=self.provider_b)
        for start in (self.at(14, 30), self.at(16, 30), self.at(12)):
            with self.subTest(start=start):
                form = self._assistant(default_start=start)
                form.service_id = self.service
                form.partner_id = self.customer
                with self.assertRaises(SlotUnavailableError):
                    form.save().action_book_start()
        self.assertEqual(self.env["booking.appointment"].search_count([("provider_id", "=", self.provider_b.id)]), 1)

    @freeze_time(NOW)
    def test_the_assistant_offers_the_provider_services_and_drops_the_time_for_another_day(self):
        self.provider_b.service_ids = [Command.set(self.service.ids)]
        form = self._assistant()
        self.assertEqual([service.id for service in form.allowed_service_ids], self.service.ids)
        form.date = MONDAY + timedelta(days=1)
        self.assertFalse(form.start, "a time chosen for Monday does not hold on Tuesday")
        self.assertEqual(len(form.allowed_service_ids), 4, "no time chosen: every service of the page")

    @freeze_time(NOW)
    def test_the_assistant_books_nothing_for_another_company(self):
        wizard = self.env["booking.assistant"].with_user(self.user_staff_b).create({
            "page_id": self.page.id, "service_id": self.service.id, "provider_id": self.provider_b.id,
            "date": MONDAY, "start": self.at(14), "partner_id": self.user_staff_b.partner_id.id,
        })
        with self.assertRaises(AccessError):
            wizard.action_book_start()
        self.assertFalse(self.env["booking.appointment"].search([("provider_id", "=", self.provider_b.id)]))
        for user in (self.user_internal, self.user_portal_1):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["booking.assistant"].with_user(user).create({
                    "page_id": self.page.id, "service_id": self.service.id, "provider_id": self.provider_b.id,
                    "date": MONDAY, "start": self.at(14), "partner_id": user.partner_id.id,
                }).action_book_start()
