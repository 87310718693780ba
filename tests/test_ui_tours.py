import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db
from odoo.addons.bus.models.bus import dispatch
from odoo.addons.bus.models.bus import hashable
from odoo.addons.bus.tests.common import WebsocketCase
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from ..models import booking_customer_session

ZONE = "Europe/Brussels"


class TourDataMixin:
    """Two tour pages in Brussels, open every day 8:00-20:00: /p/tour-spa (two providers, a service with a
    deposit) and /p/tour-full (one provider)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tour_data()

    @classmethod
    def _setup_tour_data(cls):
        calendar = cls.env["resource.calendar"].create({
            "name": "Tour hours",
            "tz": ZONE,
            "attendance_ids": [Command.clear()] + [
                Command.create({"name": str(day), "dayofweek": str(day), "hour_from": 8, "hour_to": 20,
                                "day_period": "morning"})
                for day in range(7)
            ],
        })
        cls.service = cls.env["booking.service"].create({
            "name": "Tour Massage", "duration_minutes": 60, "price": 80, "is_published": True,
        })
        cls.deposit_service = cls.env["booking.service"].create({
            "name": "Tour Deposit Facial", "duration_minutes": 60, "price": 100, "is_published": True,
            "deposit_type": "percent", "deposit_value": 40,
        })
        cls.providers = cls.env["booking.provider"].create([
            {"name": name, "resource_calendar_id": calendar.id, "tz": ZONE,
             "service_ids": [Command.set((cls.service | cls.deposit_service).ids)]}
            for name in ("Tour Anna", "Tour Ben")
        ])
        common = {
            "tz": ZONE, "is_published": True, "auto_confirm": True, "min_notice_hours": 1,
            "max_advance_days": 30, "service_ids": [Command.set(cls.service.ids)],
        }
        cls.page = cls.env["booking.page"].create({
            **common, "name": "Tour Spa", "slug": "tour-spa",
            "provider_ids": [Command.set(cls.providers.ids)],
            "service_ids": [Command.set((cls.service | cls.deposit_service).ids)],
        })
        cls.full_page = cls.env["booking.page"].create({
            **common, "name": "Tour Full", "slug": "tour-full",
            "provider_ids": [Command.set(cls.providers[:1].ids)],
        })

    @staticmethod
    def _in_days(days):
        """The date ``days`` from today in the tour pages' zone (the tours run against the real clock)."""
        return datetime.now(pytz.timezone(ZONE)).date() + timedelta(days=days)

    @staticmethod
    def _utc(day, hour):
        """Naive UTC datetime of ``day`` at ``hour``:00 in the tour pages' zone."""
        zone = pytz.timezone(ZONE)
        return zone.localize(datetime(day.year, day.month, day.day, hour)).astimezone(pytz.utc).replace(tzinfo=None)

    @classmethod
    def _book_full_day(cls):
        """The day after tomorrow fully booked on /p/tour-full (one provider); return that day."""
        day = cls._in_days(2)
        customer = cls.env["res.partner"].create({"name": "Regular"})
        cls.env["booking.appointment"].create([{
            "page_id": cls.full_page.id, "service_id": cls.service.id, "provider_id": cls.providers[0].id,
            "partner_id": customer.id, "start": cls._utc(day, hour),
        } for hour in range(8, 20)])
        return day

    @classmethod
    def _setup_paid_portal_booking(cls, login, name, email):
        """A portal customer (``login``) with a booking three days from now on /p/tour-spa, its deposit paid.

        The payment is post-processed in ``setUp``, with account_payment's post-processing patch off.
        """
        cls.demo = cls._prepare_provider("demo")
        cls.customer_user = mail_new_test_user(cls.env, login=login, name=name, email=email,
                                               groups="base.group_portal")
        cls.appointment = cls.env["booking.appointment"].create({
            "page_id": cls.page.id, "service_id": cls.deposit_service.id, "provider_id": cls.providers[0].id,
            "partner_id": cls.customer_user.partner_id.id, "start": cls._utc(cls._in_days(3), 10),
            "source": "website", "state": "pending_payment",
        })
        contract = cls.appointment.contract_id
        Transaction = cls.env["payment.transaction"].sudo()
        link = {"booking_contract_ids": [Command.set(contract.ids)], "booking_payment_kind": "deposit"}
        tx = Transaction.create({
            "provider_id": cls.demo.id, "payment_method_id": cls.demo.payment_method_ids[:1].id,
            "reference": Transaction._compute_reference("demo", **link), "amount": contract.amount_deposit,
            "currency_id": contract.currency_id.id, "partner_id": cls.customer_user.partner_id.id,
            "operation": "online_direct", **link,
        })
        tx._handle_notification_data("demo", {"reference": tx.reference, "simulated_state": "done"})

    def _tour_bookings(self, url, tour, page, **kwargs):
        """Run ``tour`` from ``url``; return what it booked on ``page``."""
        self.start_tour(url, tour, **kwargs)
        return self.env["booking.appointment"].search([("page_id", "=", page.id)])


@tagged("post_install", "-at_install")
class TestBookingTours(TourDataMixin, HttpCase):
    """The public page in Chromium, against the real clock (tours run in a browser)."""

    def test_guest_books_any_available(self):
        appointment = self._tour_bookings("/p/tour-spa", "self_serve_booking_guest_books_any", self.page)
        self.assertEqual(len(appointment), 1)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.source, "website")
        self.assertIn(appointment.provider_id, self.providers)
        self.assertEqual(appointment.partner_id.email, "tess.tourist@example.com")
        self.assertEqual(appointment.partner_id.phone, "+32470123456")

    def test_guest_pays_the_deposit_with_the_demo_provider(self):
        self.env.ref("payment.payment_provider_demo").write({"state": "test", "is_published": True})
        appointment = self._tour_bookings("/p/tour-spa", "self_serve_booking_deposit", self.page)
        self.assertEqual(appointment.state, "confirmed")
        contract = appointment.contract_id
        self.assertEqual((contract.amount_deposit_paid, contract.amount_balance_due), (40.0, 60.0))
        self.assertTrue(contract.transaction_ids.token_id, "the card is saved for the balance")

    def test_returning_customer_books_as_themselves_with_a_code(self):
        regular = self.env["res.partner"].create({"name": "Rita Regular", "email": "rita.regular@example.com",
                                                   "phone": "+32 470 99 88 77"})
        with patch.object(booking_customer_session.secrets, "randbelow", return_value=424242):
            appointment = self._tour_bookings("/p/tour-spa", "self_serve_booking_returning_customer_code", self.page)
        self.assertEqual(appointment.partner_id, regular, "the proven customer, not a new contact")
        self.assertEqual(appointment.source, "website")
        self.assertTrue(appointment.customer_exclusive)

    def test_visitor_joins_the_waitlist_of_a_full_day(self):
        day = self._book_full_day()
        self.start_tour("/p/tour-full", "self_serve_booking_waitlist")
        entry = self.env["booking.waitlist"].search([("page_id", "=", self.full_page.id)])
        self.assertEqual(len(entry), 1)
        self.assertEqual((entry.date, entry.time_from, entry.time_to), (day, 10.0, 15.0))
        self.assertEqual(entry.partner_id.email, "wanda@example.com")
        self.assertEqual((entry.state, entry.source), ("waiting", "website"))

    def test_visitor_joins_the_waitlist_of_a_job_at_their_address(self):
        house_call = self.env["booking.service"].create({
            "name": "Tour House Call", "duration_minutes": 60, "price": 90, "location": "customer",
            "is_published": True})
        self.full_page.service_ids = [Command.link(house_call.id)]
        self.providers[0].service_ids = [Command.link(house_call.id)]
        self._book_full_day()
        self.start_tour("/p/tour-full", "self_serve_booking_waitlist_at_home")
        entry = self.env["booking.waitlist"].search([("page_id", "=", self.full_page.id)])
        self.assertEqual((entry.service_id, entry.address), (house_call, "12 Rue Haute, 1000 Brussels"))


@tagged("post_install", "-at_install")
class TestLiveAvailabilityTour(TourDataMixin, WebsocketCase):
    """Odoo disables websockets in tests; its own WebsocketCase turns them on."""

    @contextmanager
    def _bus_wake_ups(self, channel):
        """Do what PostgreSQL's ``NOTIFY imbus`` does in production, which tests never send.

        A test cursor drops post-commit hooks, so the bus's NOTIFY after the
        booking's commit never comes, and a websocket only reads the bus when
        it subscribes: whether the widget heard of the booking then depended
        on its subscription arriving after it (a flaky test). Like
        ``WebsocketCase.trigger_notification_dispatching``, this wakes the
        websockets subscribed to ``channel`` (every 200 ms, from a thread,
        since the tour runs while the test waits); each then reads what the
        bus holds for it, as after a NOTIFY. It sends nothing itself.

        And what ``NOTIFY cron_trigger`` does: a booking answered first wakes
        the scheduled action that completes it (its news to open pages among
        the rest); Odoo's cron worker runs it right after the commit, this
        thread in its place (crons do not run in tests).
        """
        key = hashable(channel_with_db(self.registry.db_name, channel))
        stop = threading.Event()

        def wake_up():
            while not stop.wait(0.2):
                with self.registry.cursor() as cr:
                    api.Environment(cr, SUPERUSER_ID, {})["booking.scheduler"]._cron_complete_bookings()
                for websocket in list(dispatch._channels_to_ws.get(key, ())):
                    websocket.trigger_notification_dispatching()

        thread = threading.Thread(target=wake_up, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def test_time_booked_elsewhere_disappears_live(self):
        with self._bus_wake_ups(self.full_page._bus_channel()):
            taken = self._tour_bookings("/p/tour-full", "self_serve_booking_live_availability", self.full_page)
        self.assertEqual(taken.partner_id.email, "someone.else@example.com")


@tagged("post_install", "-at_install")
class TestPortalTours(TourDataMixin, PaymentHttpCommon):
    """A portal customer manages a paid booking three days from now (real clock)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_paid_portal_booking("tour_customer", "Tina Tour", "tina@example.com")

    def setUp(self):
        self.enable_post_process_patcher = False
        super().setUp()
        self.appointment.contract_id.transaction_ids._post_process()

    def test_portal_customer_cancels_seeing_the_refund_first(self):
        self.assertEqual(self.appointment.state, "confirmed")
        self.start_tour("/my/bookings", "self_serve_booking_portal_cancel", login="tour_customer")
        self.assertEqual((self.appointment.state, self.appointment.cancelled_by), ("cancelled", "customer"))
        self.assertEqual(self.appointment.contract_id.amount_refunded, 40.0)

    def test_portal_customer_reschedules(self):
        before = self.appointment.start
        self.start_tour("/my/bookings", "self_serve_booking_portal_reschedule", login="tour_customer")
        self.assertNotEqual(self.appointment.start, before)
        self.assertEqual(self.appointment.state, "confirmed")
        self.assertEqual(self.appointment.contract_id.amount_deposit_paid, 40.0)


@tagged("post_install", "-at_install")
class TestPhoneTours(TourDataMixin, HttpCase):
    """The customer's journeys on a phone (390 x 844, touch): pay the deposit first, money in words, moves confirmed."""

    browser_size = "390x844"
    touch_enabled = True

    def test_phone_guest_pays_the_deposit_first(self):
        self.env.ref("payment.payment_provider_demo").write({"state": "test", "is_published": True})
        appointment = self._tour_bookings("/p/tour-spa", "self_serve_booking_phone_deposit", self.page)
        self.assertEqual(appointment.state, "confirmed")
        money = appointment.contract_id._get_money_summary()
        self.assertEqual((money["due_now"], money["at_visit"]), (0.0, 60.0))


@tagged("post_install", "-at_install")
class TestPhonePortalTours(TestPortalTours):
    """The same portal journeys on a phone: cancel seeing the refund first, move with a confirmation."""

    allow_inherited_tests_method = True  # Odoo runs only the tests a class defines, unless told
    browser_size = "390x844"
    touch_enabled = True


@tagged("post_install", "-at_install")
class TestReceptionistTour(TourDataMixin, HttpCase):
    """The live chat's receptionist in Chromium: a visitor books by chatting; staff see the request."""

    def test_visitor_books_through_the_live_chat(self):
        consultation = self.env["booking.service"].create({
            "name": "Chat Consultation", "duration_minutes": 60, "price": 50, "is_published": True,
            "requires_approval": True, "provider_ids": [Command.set(self.providers.ids)],
        })
        page = self.env["booking.page"].create({
            "name": "Tour Chat", "slug": "tour-chat", "tz": ZONE, "is_published": True, "auto_confirm": False,
            "min_notice_hours": 1, "max_advance_days": 30, "service_ids": [Command.set(consultation.ids)],
            "provider_ids": [Command.set(self.providers.ids)], "receptionist_livechat": True,
        })
        self.start_tour("/p/tour-chat", "self_serve_booking_receptionist_chat")
        appointment = self.env["booking.appointment"].search([("page_id", "=", page.id)])
        self.assertEqual((appointment.state, appointment.source), ("pending", "chat"))
        self.assertEqual(appointment.partner_id.email, "tina.tour@example.com")
        self.assertEqual(appointment.note, "First visit")
        self.assertEqual(page._local(appointment.start).date(), self._in_days(1))
        self.assertEqual(page._local(appointment.start).hour, 9, "the second of 8:00, 9:00, 10:00")
        mail_new_test_user(self.env, login="chat_staff", name="Chat Staff",
                           groups="base.group_user,self_serve_booking.group_booking_user")
        self.start_tour("/odoo", "self_serve_booking_receptionist_request_in_backend", login="chat_staff")
