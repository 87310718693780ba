from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..exceptions import SlotUnavailableError
from .common import MONDAY
from .common import NOW
from .test_notifications import NotificationCase

SECOND = timedelta(seconds=1)


@tagged("post_install", "-at_install")
class TestWaitlistOffers(NotificationCase):
    """Freed time goes to the oldest matching entry, held for it alone, then to the next."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dora = cls.env["res.partner"].create({"name": "Dora Next", "email": "dora@example.com"})

    def setUp(self):
        super().setUp()
        with freeze_time(NOW - timedelta(hours=1)):
            self.morning = [self._book(self.at(hour)) for hour in (9, 10, 11)]  # Alice's morning is full
            self.first = self._entry(self.customer)
        with freeze_time(NOW):
            self.second = self._entry(self.dora)

    def _entry(self, partner, **vals):
        return self.env["booking.waitlist"].create({
            "page_id": self.page.id, "service_id": self.service.id, "provider_id": self.provider_a.id,
            "partner_id": partner.id, "date": MONDAY, "time_from": 9, "time_to": 12, "source": "website",
            **vals,
        })

    def offer_run(self, when=NOW):
        with freeze_time(when):
            return self.env["booking.scheduler"]._cron_offer_freed_slots()

    def free_ten_and_offer(self):
        """Alice's 10:00 cancelled (at NOW), then the offer job run; return what it offered."""
        with freeze_time(NOW):
            self.morning[1].action_cancel()
        return self.offer_run()

    def holding_at(self, start, provider=None):
        return self.env["booking.appointment"].search([
            ("provider_id", "=", (provider or self.provider_a).id), ("start", "=", start),
            ("state", "in", ("pending_payment", "pending", "confirmed", "checked_in", "done"))])

    def test_nothing_free_nothing_offered(self):
        self.assertEqual(self.offer_run(), 0)
        self.assertEqual((self.first.state, self.second.state), ("waiting", "waiting"))

    def test_cancellation_offers_the_time_to_the_oldest_entry(self):
        trigger = self.env.ref("self_serve_booking.ir_cron_waitlist_offers")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)])
        with freeze_time(NOW):
            self.morning[1].action_cancel(reason="Customer is ill")
        self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)]),
                           triggers_before, "freed time wakes the waitlist scheduler up")
        self.assertEqual(self.offer_run(), 1)
        self.assertEqual((self.first.state, self.second.state), ("offered", "waiting"))
        hold = self.first.appointment_id
        self.assertEqual((hold.state, hold.start, hold.provider_id, hold.waitlist_id, hold.source),
                         ("pending_payment", self.at(10), self.provider_a, self.first, "waitlist"))
        self.assertEqual(hold.hold_expires_at, NOW + timedelta(minutes=30))
        self.assertEqual(self.first.offer_expires_at, hold.hold_expires_at)
        self.assertEqual(sorted(self.outbox(self.first, "waitlist_offer").mapped("channel")), ["email", "sms"])
        with freeze_time(NOW):
            self.dispatch()
        [offer_mail] = self.sent_messages(self.first, "A time opened up")
        self.assertIn(self.first._offer_url(), str(offer_mail.body))
        self.assertEqual(self.offer_run(), 0, "a second run offers nothing more")
        # the held time is nobody else's: not shown, not bookable
        self.assertNotIn(self.at(10), [s.start for s in self.slots(providers=self.provider_a)])
        with freeze_time(NOW), self.assertRaises(SlotUnavailableError):
            self._book(self.at(10))

    def test_an_offer_withdrawn_before_it_went_out_is_not_sent(self):
        self.assertEqual(self.free_ten_and_offer(), 1)
        with freeze_time(NOW):
            self.first.action_cancel()
            self.dispatch()
        offers = self.outbox(self.first, "waitlist_offer")
        self.assertEqual(sorted(offers.mapped("channel")), ["email", "sms"])
        self.assertEqual(set(offers.mapped("state")), {"cancelled"})
        self.assertFalse(self.sent_messages(self.first, "A time opened up"))

    def test_a_move_frees_the_old_time_for_the_waitlist(self):
        trigger = self.env.ref("self_serve_booking.ir_cron_waitlist_offers")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)])
        with freeze_time(NOW):
            self.morning[1].write({"start": self.at(15)})
        self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)]), triggers_before)
        self.assertEqual(self.offer_run(), 1)
        self.assertEqual(self.first.appointment_id.start, self.at(10))

    def test_accepting_books_the_held_time_itself(self):
        self.free_ten_and_offer()
        hold = self.first.appointment_id
        with freeze_time(NOW + timedelta(minutes=10)):
            booked = self.first.action_accept_offer()
        self.assertEqual(booked, hold, "the hold becomes the booking: no second row")
        self.assertEqual((hold.state, hold.hold_expires_at, self.first.state), ("confirmed", False, "booked"))
        self.assertEqual(len(self.holding_at(self.at(10))), 1)
        self.assertTrue(self.outbox(hold, "confirmed"))
        # an accepted offer cannot be accepted again nor double-book
        with self.assertRaises(UserError):
            self.first.action_accept_offer()
        self.assertEqual(len(self.holding_at(self.at(10))), 1)
        self.assertEqual(self.offer_run(NOW + timedelta(hours=1)), 0, "the second entry gets nothing")
        self.assertEqual(self.second.state, "waiting")

    def test_an_unanswered_offer_expires_and_passes_to_the_next_entry(self):
        self.free_ten_and_offer()
        first_hold = self.first.appointment_id
        deadline = first_hold.hold_expires_at
        self.assertEqual(self.offer_run(deadline), 0, "not before its deadline")
        self.assertEqual(self.first.state, "offered")
        self.assertEqual(self.offer_run(deadline + SECOND), 1)
        self.assertEqual((self.first.state, first_hold.state), ("expired", "expired"))
        self.assertEqual(self.second.state, "offered")
        second_hold = self.second.appointment_id
        self.assertNotEqual(second_hold, first_hold)
        self.assertEqual(second_hold.start, self.at(10))
        self.assertEqual(len(self.holding_at(self.at(10))), 1, "one entry at a time")
        # the expired entry's link no longer books anything
        self.assertEqual(self.first._check_offer_link(first_hold.id, self.first._offer_signature(first_hold))[0],
                         "lapsed")

    def test_the_hold_expiry_job_also_passes_offers_on(self):
        self.free_ten_and_offer()
        with freeze_time(self.first.offer_expires_at + SECOND):
            self.env["booking.scheduler"]._cron_expire_payment_holds()
        self.assertEqual(self.first.state, "expired")
        self.assertEqual(self.offer_run(self.first.offer_expires_at + SECOND), 1)
        self.assertEqual(self.second.state, "offered")

    def test_a_time_is_never_offered_to_two_entries_at_once(self):
        self.free_ten_and_offer()
        self.offer_run()
        self.assertEqual((self.first.state, self.second.state), ("offered", "waiting"))
        # even forced, a second offer of the same time is refused by the database
        slot = self.env["booking.availability"]._find_slot(
            self.page, self.service, self.at(10), self.provider_a, now=NOW, ignore_busy=True)
        with freeze_time(NOW), self.assertRaises(SlotUnavailableError):
            self.second._action_offer(slot, NOW + timedelta(minutes=30))
        self.assertEqual(self.second.state, "waiting")

    def test_two_freed_times_go_to_two_entries(self):
        with freeze_time(NOW):
            self.morning[0].action_cancel()
            self.morning[2].action_cancel()
        self.assertEqual(self.offer_run(), 2)
        self.assertEqual(self.first.appointment_id.start, self.at(9), "the oldest entry gets the earliest")
        self.assertEqual(self.second.appointment_id.start, self.at(11))

    def test_declining_passes_the_time_on_and_leaves_the_list(self):
        self.free_ten_and_offer()
        hold = self.first.appointment_id
        with freeze_time(NOW + timedelta(minutes=5)):
            self.first.action_decline_offer()
        self.assertEqual((self.first.state, hold.state), ("cancelled", "expired"))
        self.assertEqual(self.offer_run(NOW + timedelta(minutes=5)), 1)
        self.assertEqual(self.second.appointment_id.start, self.at(10))

    def test_only_matching_entries_get_offers_and_past_wishes_expire(self):
        late = self._entry(self.dora, time_from=11, time_to=12)  # 11:00 is still taken
        past = self._entry(self.dora, date=MONDAY - timedelta(days=7))
        self.free_ten_and_offer()
        self.assertEqual((late.state, past.state), ("waiting", "expired"))

    def test_deposit_offers_are_accepted_by_paying(self):
        for entry in (self.first, self.second):
            entry.service_id = self.service_deposit
        self.free_ten_and_offer()
        hold = self.first.appointment_id
        self.assertEqual(hold.contract_id.amount_deposit, 40.0)
        with freeze_time(NOW + timedelta(minutes=29)):
            accepted = self.first.action_accept_offer()
        self.assertEqual(accepted, hold)
        self.assertEqual(hold.state, "pending_payment", "booked once the deposit is paid")
        self.assertEqual(hold.hold_expires_at, NOW + timedelta(minutes=29 + 15), "time to pay")
        self.assertEqual(self.first.state, "offered")
        with freeze_time(NOW + timedelta(minutes=30)):
            hold._action_payment_done()
        self.assertEqual((hold.state, self.first.state), ("confirmed", "booked"))

    def test_staff_booking_an_entry_releases_its_offer(self):
        self.free_ten_and_offer()
        hold = self.first.appointment_id
        with freeze_time(NOW):
            booked = self.first.action_book(start=self.at(14), provider=self.provider_a, by_staff=True)
        self.assertEqual((booked.state, booked.start, self.first.state), ("confirmed", self.at(14), "booked"))
        self.assertEqual(hold.state, "expired", "the offered time is free for the next one")
        self.assertEqual(self.offer_run(), 1)
        self.assertEqual(self.second.state, "offered")
