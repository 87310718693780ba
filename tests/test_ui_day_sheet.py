from datetime import datetime, time, timedelta

import pytz

from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

ZONE = "Europe/Brussels"


@tagged("post_install", "-at_install")
class TestDaySheetTour(HttpCase):
    """The day sheet by hand, in Chromium, as a Booking user (real clock): book into a gap, move by drag."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calendar = cls.env["resource.calendar"].create({
            "name": "Sheet hours", "tz": ZONE,
            "attendance_ids": [Command.clear()] + [
                Command.create({"name": f"{day}-{half}", "dayofweek": str(day), "hour_from": start, "hour_to": stop,
                                "day_period": half})
                for day in range(7) for half, start, stop in (("morning", 9, 12), ("afternoon", 12, 17))
            ],
        })
        cls.service = cls.env["booking.service"].create({
            "name": "Desk Massage", "duration_minutes": 30, "price": 50, "is_published": True})
        cls.anna, cls.ben = cls.env["booking.provider"].create([
            {"name": name, "resource_calendar_id": calendar.id, "tz": ZONE, "sequence": sequence,
             "service_ids": [Command.set(cls.service.ids)]}
            for sequence, name in ((1, "Desk Anna"), (2, "Desk Ben"))
        ])
        cls.page = cls.env["booking.page"].create({
            "name": "Sheet Spa", "slug": "sheet-spa", "tz": ZONE, "is_published": True, "min_notice_hours": 0,
            "sequence": 0,
            "service_ids": [Command.set(cls.service.ids)], "provider_ids": [Command.set((cls.anna | cls.ben).ids)],
        })
        cls.rita, cls.oscar, cls.walter = cls.env["res.partner"].create([
            {"name": "Rita Regular", "email": "rita@example.com"},
            {"name": "Oscar Often", "email": "oscar@example.com"},
            {"name": "Walter Walkin", "email": "walter@example.com"},
        ])
        cls.staff = mail_new_test_user(cls.env, login="sheet_staff", name="Sam Sheet", tz=ZONE,
                                       groups="base.group_user,self_serve_booking.group_booking_user")

    def _tomorrow_at(self, hour):
        zone = pytz.timezone(ZONE)
        day = datetime.now(zone).date() + timedelta(days=1)
        return zone.localize(datetime.combine(day, time(hour))).astimezone(pytz.utc).replace(tzinfo=None)

    def test_book_into_a_gap_and_move_by_drag(self):
        Appointment = self.env["booking.appointment"]
        vals = {"page_id": self.page.id, "service_id": self.service.id, "start": self._tomorrow_at(10)}
        ritas = Appointment.create(dict(vals, provider_id=self.anna.id, partner_id=self.rita.id))
        oscars = Appointment.create(dict(vals, provider_id=self.ben.id, partner_id=self.oscar.id))
        self.start_tour("/odoo/action-self_serve_booking.booking_day_sheet_action", "self_serve_booking_day_sheet",
                        login="sheet_staff")
        walters = Appointment.search([("partner_id", "=", self.walter.id)])
        self.assertEqual(len(walters), 1, "booked into the gap")
        self.assertEqual((walters.provider_id, walters.start, walters.state, walters.source),
                         (self.anna, self._tomorrow_at(14), "confirmed", "backend"))
        self.assertEqual((oscars.provider_id, oscars.start), (self.anna, self._tomorrow_at(11)), "moved by drag")
        moved = self.env["booking.notification"].search([("appointment_id", "=", oscars.id),
                                                         ("event", "=", "rescheduled")])
        self.assertTrue(moved, "the customer's 'moved' message is queued")
        self.assertEqual((ritas.provider_id, ritas.start), (self.anna, self._tomorrow_at(10)),
                         "the refused moves changed nothing")
        self.assertFalse(self.env["booking.notification"].search([("appointment_id", "=", ritas.id),
                                                                  ("event", "=", "rescheduled")]))
