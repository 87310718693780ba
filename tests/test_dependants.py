from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.mail.tests.common import mail_new_test_user

from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from .common import MONDAY
from .common import NOW
from .common import BookingCommon


class DependantDataMixin:
    """A grooming service for pets (two per booking at most), Paula's two dogs and Pete's cat."""

    @classmethod
    def _setup_dependant_data(cls):
        cls.grooming = cls.env["booking.service"].create({
            "name": "Grooming", "duration_minutes": 60, "price": 50, "is_published": True,
            "for_dependant": True, "dependant_kind_pet": True, "dependant_multi": True, "dependant_max": 2,
            "provider_ids": [Command.set((cls.provider_a | cls.provider_b).ids)],
        })
        cls.page.service_ids = [Command.link(cls.grooming.id)]
        cls.paula = cls.user_portal_1.partner_id
        cls.pete = cls.user_portal_2.partner_id
        Dependant = cls.env["booking.dependant"]
        cls.bella = Dependant.create({"name": "Bella", "kind": "pet", "species": "dog", "breed": "Poodle",
                                      "weight": 7.5, "medical_notes": "Allergic to lavender shampoo",
                                      "partner_id": cls.paula.id, "company_id": False})
        cls.max = Dependant.create({"name": "Max", "kind": "pet", "species": "dog", "partner_id": cls.paula.id,
                                    "company_id": False})
        cls.tom = Dependant.create({"name": "Tom", "kind": "pet", "species": "cat", "partner_id": cls.pete.id,
                                    "company_id": False})


class TestDependantAccess(DependantDataMixin, BookingCommon):
    """Dependants belong to their owner (portal) and to the staff of the merchants they book with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dependant_data()
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon"})
        cls.user_staff_b = mail_new_test_user(
            cls.env, login="booking_staff_b", name="Stan Other", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")
        cls.rex = cls.env["booking.dependant"].with_company(cls.company_b).create(
            {"name": "Rex", "kind": "pet", "partner_id": cls.customer.id, "company_id": cls.company_b.id})

    def test_portal_customer_sees_only_their_own(self):
        Dependant = self.env["booking.dependant"].with_user(self.user_portal_1)
        self.assertEqual(Dependant.search([]), self.bella | self.max)
        with self.assertRaises(AccessError):
            self.tom.with_user(self.user_portal_1).read(["name"])
        with self.assertRaises(AccessError):
            self.tom.with_user(self.user_portal_1).write({"medical_notes": "hacked"})
        with self.assertRaises(AccessError):
            Dependant.create({"name": "Sneaky", "kind": "pet", "partner_id": self.pete.id})

    def test_portal_customer_cannot_give_a_dependant_away(self):
        with self.assertRaises(AccessError):
            self.bella.with_user(self.user_portal_1).write({"partner_id": self.pete.id})
        self.bella.with_user(self.user_portal_1).write({"weight": 8.0})
        self.assertEqual(self.bella.weight, 8.0)

    def test_staff_see_their_company_dependants_only(self):
        Dependant = self.env["booking.dependant"].with_user(self.user_staff)
        # the customers' own dependants appear to a merchant once booked with them
        self.assertFalse(Dependant.search([("id", "in", (self.bella | self.tom | self.rex).ids)]))
        self._book(self.at(10), service=self.grooming, partner_id=self.paula.id,
                   dependant_ids=[Command.set(self.bella.ids)])
        self.assertEqual(Dependant.search([("id", "in", (self.bella | self.tom | self.rex).ids)]), self.bella)
        # Paula is now their customer: the pets she added herself are shown to them, Pete's are not
        self.assertEqual(Dependant.search([("id", "in", (self.max | self.tom).ids)]), self.max)
        # another merchant's staff see neither Bella nor her visit
        other = self.env["booking.dependant"].with_user(self.user_staff_b)
        self.assertEqual(other.search([("id", "in", (self.bella | self.rex).ids)]), self.rex)
        with self.assertRaises(AccessError):
            self.bella.with_user(self.user_staff_b).read(["medical_notes"])
        with self.assertRaises(AccessError):
            self.rex.with_user(self.user_staff).read(["name"])

    def test_staff_history_is_their_company_visits(self):
        first = self._book(self.at(10), service=self.grooming, partner_id=self.paula.id,
                           dependant_ids=[Command.set(self.bella.ids)])
        first.write({"state": "done", "visit_summary": "Full groom"})
        second = self._book(self.at(14), service=self.grooming, partner_id=self.paula.id,
                            dependant_ids=[Command.set(self.bella.ids)])
        seen = second.with_user(self.user_staff)
        self.assertEqual(seen.dependant_history_ids, first)
        self.assertIn("Poodle", seen.dependant_details)
        self.assertIn("lavender", seen.dependant_details)

    def test_backend_refuses_another_customers_dependant(self):
        with self.assertRaises(ValidationError):
            self._book(self.at(10), service=self.grooming, partner_id=self.paula.id,
                       dependant_ids=[Command.set(self.tom.ids)])
        with self.assertRaises(ValidationError):  # not a service for dependants
            self._book(self.at(10), partner_id=self.paula.id, dependant_ids=[Command.set(self.bella.ids)])


class TestDependantBooking(DependantDataMixin, BookingCommon):
    """Booking for two pets: one booking each, or one for both with the duration adding up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dependant_data()

    def book_online(self, hour, dependant_ids, partner=None, provider=None, minute=0):
        with freeze_time(NOW):
            return self.env["booking.appointment"]._book_online(
                self.page, self.grooming, provider or self.provider_a, self.at(hour, minute),
                partner=partner or self.paula, dependant_ids=dependant_ids)

    def test_one_booking_for_two_pets_lasts_twice_as_long(self):
        appointment = self.book_online(9, [self.bella.id, self.max.id])
        self.assertEqual(appointment.dependant_ids, self.bella | self.max)
        self.assertEqual(appointment.duration_minutes, 120)
        self.assertEqual(appointment.stop, self.at(11))
        # the slots for two pets are two hours long: 11:00 would run into lunch
        with freeze_time(NOW):
            starts = self.local_times(self.env["booking.availability"]._get_slots(
                self.page, self.grooming, MONDAY, MONDAY, providers=self.provider_a, now=NOW,
                duration_minutes=self.grooming._duration_for(2)))
        self.assertEqual(starts, ["13:00", "14:00", "15:00"])
        with self.assertRaises(BookingInputError):  # 11:00-13:00 crosses the lunch break
            self.book_online(11, [self.bella.id, self.max.id], provider=self.provider_b)

    def test_declined_booking_for_two_is_offered_times_that_fit_both(self):
        """The alternatives of a declined request take the booking's own length (two pets: two hours)."""
        single = self.book_online(9, [self.tom.id], partner=self.pete, provider=self.provider_b)
        both = self.book_online(9, [self.bella.id, self.max.id])
        with freeze_time(NOW):
            eleven = both._when_label(self.at(11))
            self.assertIn(eleven, single._get_alternative_slots(limit=10))
            alternatives = both._get_alternative_slots(limit=10)
        self.assertTrue(alternatives)
        self.assertNotIn(eleven, alternatives)  # 11:00-13:00 crosses the lunch break
        self.assertNotIn(both._when_label(self.at(9)), alternatives)  # never the declined time itself

    def test_a_booking_for_two_moves_to_a_time_that_fits_both(self):
        appointment = self.book_online(9, [self.bella.id, self.max.id])
        with freeze_time(NOW):
            starts = self.local_times(appointment._get_reschedule_slots(MONDAY, MONDAY))
            self.assertEqual(starts, ["09:00", "10:00", "13:00", "14:00", "15:00"])
            with self.assertRaises(BookingInputError):  # two hours from 11:00 cross the lunch break
                appointment._reschedule(self.at(11), "merchant")
            appointment._reschedule(self.at(14), "merchant")
        self.assertEqual((appointment.start, appointment.stop), (self.at(14), self.at(16)))

    def test_price_per_dependant_multiplies_the_service_line(self):
        """A nail clip for two pets takes twice as long and, priced per pet, costs twice the price."""
        one_price = self.book_online(9, [self.bella.id, self.max.id])
        self.assertEqual((one_price.duration_minutes, one_price.price), (120, 50), "one price by default")
        self.grooming.price_per_dependant = True
        both = self.book_online(13, [self.bella.id, self.max.id])
        line = both._get_service_line()
        self.assertEqual((line.quantity, line.price_unit, both.price), (2, 50, 100))
        self.assertEqual(both.contract_id.amount_total, 100, "the payment contract follows the bill")
        both.with_user(self.user_staff).dependant_ids = [Command.unlink(self.max.id)]
        self.assertEqual((line.quantity, both.price), (1, 50), "one pet left: one price")
        alone = self.book_online(10, [self.tom.id], partner=self.pete, provider=self.provider_b)
        self.assertEqual(alone.price, 50)
        both.dependant_ids = [Command.link(self.max.id)]
        with freeze_time("2025-06-02 11:05:00"):
            both.action_check_in()
            both.action_complete(charge_card=False)
        self.assertEqual(both.price, 100)
        both.dependant_ids = [Command.unlink(self.max.id)]  # a record corrected after checkout
        self.assertEqual(both.price, 100, "the bill is final after checkout: it was invoiced")

    def test_a_booking_each(self):
        first = self.book_online(9, [self.bella.id])
        second = self.book_online(10, [self.max.id])
        self.assertEqual((first.duration_minutes, second.duration_minutes), (60, 60))
        self.assertEqual(first.dependant_ids, self.bella)
        self.assertEqual(second.dependant_ids, self.max)

    def test_more_than_the_service_allows(self):
        self.grooming.dependant_multi = False
        with self.assertRaises(BookingInputError):
            self.book_online(9, [self.bella.id, self.max.id])

    def test_refuses_foreign_unknown_and_guest_dependants(self):
        for ids in ([self.tom.id], [999999], [self.bella.id, self.bella.id], [self.bella.id, "1"]):
            with self.subTest(ids=ids), self.assertRaises(BookingInputError):
                self.book_online(9, ids)
        with freeze_time(NOW), self.assertRaises(BookingInputError):
            self.env["booking.appointment"]._book_online(
                self.page, self.grooming, self.provider_a, self.at(9),
                customer={"name": "Guest", "email": "guest@example.com"}, dependant_ids=[self.bella.id])
        with freeze_time(NOW), self.assertRaises(LoginRequiredError):
            self.env["booking.appointment"]._book_online(
                self.page, self.grooming, self.provider_a, self.at(9),
                customer={"name": "Guest", "email": "guest@example.com"})
        with self.assertRaises(BookingInputError):  # a proven customer must say for whom
            self.book_online(9, [])
        self.assertFalse(self.env["booking.appointment"].search([("service_id", "=", self.grooming.id)]))

    def test_assistant_books_one_each_or_one_for_all(self):
        # Paula is a customer of the salon: its staff see the pets she added in the portal
        self._book(self.at(16), provider=self.provider_b, partner_id=self.paula.id)
        Assistant = self.env["booking.assistant"].with_user(self.user_staff)
        with freeze_time(NOW):
            wizard = Assistant.create({"page_id": self.page.id, "service_id": self.grooming.id,
                                       "provider_id": self.provider_a.id, "date": MONDAY,
                                       "partner_id": self.paula.id,
                                       "dependant_ids": [Command.set((self.bella | self.max).ids)],
                                       "dependant_mode": "separate"})
            wizard.action_search()
            wizard.slot_ids.filtered(lambda s: s.start == self.at(9)).action_book()
        booked = self.env["booking.appointment"].search([("service_id", "=", self.grooming.id)], order="start")
        self.assertEqual([(a.start, a.dependant_ids.name) for a in booked],
                         [(self.at(9), "Bella"), (self.at(10), "Max")])
        with freeze_time(NOW):
            wizard = Assistant.create({"page_id": self.page.id, "service_id": self.grooming.id,
                                       "provider_id": self.provider_a.id, "date": MONDAY,
                                       "partner_id": self.paula.id,
                                       "dependant_ids": [Command.set((self.bella | self.max).ids)],
                                       "dependant_mode": "together"})
            wizard.action_search()
            self.assertEqual(self.local_times(wizard.slot_ids), ["13:00", "14:00", "15:00"])
            wizard.slot_ids[:1].action_book()
        together = self.env["booking.appointment"].search(
            [("service_id", "=", self.grooming.id), ("start", "=", self.at(13))])
        self.assertEqual((together.duration_minutes, len(together.dependant_ids)), (120, 2))


class TestVisitRecordAndRebook(DependantDataMixin, BookingCommon):
    """The visit record goes with the receipt; "Book again" and the follow-up reminder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dependant_data()
        cls.grooming.rebook_after_days = 42
        cls.page.auto_confirm = True

    def done_visit(self, hour=10, day=MONDAY, dependants=None):
        with freeze_time(self.at(hour, day=day) - timedelta(minutes=5)):
            appointment = self._book(self.at(hour, day=day), service=self.grooming, partner_id=self.paula.id,
                                     dependant_ids=[Command.set((dependants or self.bella).ids)])
            appointment.action_check_in()
        with freeze_time(self.at(hour, day=day) + timedelta(hours=1)):
            appointment.write({"visit_summary": "Full groom, nails trimmed.",
                               "care_instructions": "Brush twice a week."})
            appointment.action_complete(charge_card=False)
        return appointment

    def rebook_reminders(self, visit):
        return self.outbox(visit, "rebook_reminder")

    def test_receipt_carries_the_visit_record_and_book_again(self):
        visit = self.done_visit()
        receipt = visit.contract_id._get_receipt_values()
        self.assertEqual(receipt["visit"]["summary"], "Full groom, nails trimmed.")
        self.assertEqual(receipt["visit"]["care_instructions"], "Brush twice a week.")
        self.assertEqual(receipt["visit"]["dependants"], "Bella")
        self.assertIn(f"service={self.grooming.id}", receipt["rebook_url"])
        self.assertIn(f"provider={self.provider_a.id}", receipt["rebook_url"])
        self.assertIn(f"dependant={self.bella.id}", receipt["rebook_url"])

    def test_reminder_once_when_due(self):
        visit = self.done_visit()
        due = visit.completed_at + timedelta(days=42)
        Scheduler = self.env["booking.scheduler"]
        with freeze_time(due - timedelta(hours=1)):
            Scheduler._cron_send_rebook_reminders()
        self.assertFalse(self.rebook_reminders(visit))
        with freeze_time(due + timedelta(minutes=5)):
            Scheduler._cron_send_rebook_reminders()
            Scheduler._cron_send_rebook_reminders()
        with freeze_time(due + timedelta(days=2)):
            Scheduler._cron_send_rebook_reminders()
            self.dispatch()
        reminder = self.rebook_reminders(visit)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.state, "sent")
        message = self.sent_messages(visit, "Time for the next Grooming for Bella")
        self.assertEqual(len(message), 1)
        self.assertIn(f"dependant={self.bella.id}", str(message.body))

    def test_never_after_a_new_booking(self):
        visit = self.done_visit()
        due = visit.completed_at + timedelta(days=42)
        with freeze_time(due - timedelta(days=3)):
            self._book(self.at(10, day=MONDAY + timedelta(days=45)), service=self.grooming,
                       partner_id=self.paula.id, dependant_ids=[Command.set(self.bella.ids)])
        with freeze_time(due + timedelta(hours=1)):
            self.env["booking.scheduler"]._cron_send_rebook_reminders()
        self.assertFalse(self.rebook_reminders(visit))

    def test_booked_while_the_reminder_waited(self):
        visit = self.done_visit()
        due = visit.completed_at + timedelta(days=42)
        with freeze_time(due + timedelta(minutes=1)):
            self.env["booking.scheduler"]._cron_send_rebook_reminders()
            self._book(self.at(10, day=MONDAY + timedelta(days=49)), service=self.grooming,
                       partner_id=self.paula.id, dependant_ids=[Command.set(self.bella.ids)])
            self.dispatch()
        self.assertEqual(self.rebook_reminders(visit).state, "cancelled")

    def test_old_visits_and_services_without_interval(self):
        visit = self.done_visit()
        with freeze_time(visit.completed_at + timedelta(days=42 + 30)):  # switched on long after
            self.env["booking.scheduler"]._cron_send_rebook_reminders()
        self.assertFalse(self.rebook_reminders(visit))
        self.grooming.rebook_after_days = 0
        with freeze_time(visit.completed_at + timedelta(days=43)):
            self.env["booking.scheduler"]._cron_send_rebook_reminders()
        self.assertFalse(self.rebook_reminders(visit))

    def test_rebook_after_checked(self):
        with self.assertRaises(ValidationError):
            self.grooming.rebook_after_days = -1
        with self.assertRaises(ValidationError):
            self.grooming.write({"dependant_kind_pet": False})

