import json

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db
from odoo.addons.bus.models.bus import json_dump
from odoo.addons.bus.tests.common import WebsocketCase

from ..booking_api import schemas
from ..booking_api import validator
from .common import NOW
from .common import BookingDataMixin

API = "/booking/api/v1"
BOOKING = "self_serve_booking/booking"
MESSAGE = "self_serve_booking/message"


@tagged("post_install", "-at_install")
class TestLiveStatus(BookingDataMixin, WebsocketCase):
    """API customers follow their bookings over Odoo's websocket, on a channel only their token opens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_data()
        cls.other = cls.env["res.partner"].create({"name": "Otto Other", "email": "otto@example.com"})
        Session = cls.env["booking.customer.session"].sudo()
        cls.session = Session.create({"partner_id": cls.customer.id, "page_id": cls.page.id, "channel": "email",
                                      "state": "active", "expires_at": NOW + cls.days(1)})
        cls.other_session = Session.create({"partner_id": cls.other.id, "page_id": cls.page.id,
                                            "channel": "email", "state": "active", "expires_at": NOW + cls.days(1)})
        with freeze_time(NOW):
            Appointment = cls.env["booking.appointment"]
            cls.mine = Appointment.create({
                "page_id": cls.page.id, "service_id": cls.service_approval.id, "provider_id": cls.provider_a.id,
                "partner_id": cls.customer.id, "start": cls.at(10), "state": "pending"})
            cls.theirs = Appointment.create({
                "page_id": cls.page.id, "service_id": cls.service_approval.id, "provider_id": cls.provider_b.id,
                "partner_id": cls.other.id, "start": cls.at(10), "state": "pending"})

    # === HELPERS === #

    def live_channel(self, session):
        """The channel name, as the customer gets it: GET /me/live with their token."""
        response = self.url_open(f"{API}/me/live", headers={"Authorization": f"Bearer {session._make_token()}"})
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()
        self.assertTrue(data["websocket_url"].startswith("ws://") and "/websocket?version=" in data["websocket_url"])
        return data["channel"]

    def follow(self, *channels):
        """A websocket from another origin, with no Odoo session, subscribed to ``channels``."""
        ws = self.websocket_connect(cookie="", origin="https://shop.example.com")
        self.env.cr.precommit.run()
        self.subscribe(ws, list(channels), self.env["bus.bus"]._bus_last_id())
        return ws

    def receive(self, ws, *targets):
        """The notifications the websocket gets once ``targets``' notifications are dispatched."""
        self.trigger_notification_dispatching(list(targets))
        return [notification["message"] for notification in json.loads(ws.recv())]

    def bus_messages(self, session):
        """What the bus holds for ``session``'s live channel."""
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, (session, "live")))
        return [json.loads(row.message) for row in self.env["bus.bus"].sudo().search([("channel", "=", channel)])]

    # === TESTS === #

    @freeze_time(NOW)
    def test_a_token_receives_its_own_bookings_changes_only(self):
        channel = self.live_channel(self.session)
        page_channel = self.page._bus_channel()
        ws = self.follow(channel, page_channel)
        self.theirs.with_user(self.user_staff).action_approve()
        self.mine.with_user(self.user_staff).action_approve()
        received = self.receive(ws, (self.session, "live"), (self.other_session, "live"), page_channel)
        bookings = [message["payload"] for message in received if message["type"] == BOOKING]
        self.assertEqual(len(bookings), 1, received)
        self.assertEqual((bookings[0]["booking_id"], bookings[0]["event"], bookings[0]["state"]),
                         (self.mine.id, "approved", "confirmed"))
        self.assertEqual(validator.validate(bookings[0], schemas.ref("LiveBookingEvent")), {})
        # the other customer's change was dispatched in the same frame, on the public page channel only
        self.assertIn("self_serve_booking/availability", [message["type"] for message in received])
        self.assertEqual([m["payload"]["booking_id"] for m in self.bus_messages(self.other_session)],
                         [self.theirs.id], "the other customer's own channel got theirs")

    @freeze_time(NOW)
    def test_moves_cancellations_and_messages(self):
        self.mine.with_user(self.user_staff).action_approve()
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()
        self.mine.with_user(self.user_staff).write({"start": self.at(14)})
        self.mine.with_user(self.user_staff).message_post(
            body="See you at two!", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.mine.with_user(self.user_staff).message_post(
            body="Staff only", message_type="comment", subtype_xmlid="mail.mt_note")
        self.mine.with_user(self.user_staff).message_post(
            body="Employees only", message_type="comment", subtype_xmlid="mail.mt_comment", is_internal=True)
        self.mine.with_user(self.user_staff).action_cancel(reason="Closed")
        messages = self.bus_messages(self.session)
        self.assertEqual([(m["type"], m["payload"].get("event")) for m in messages],
                         [(BOOKING, "moved"), (MESSAGE, None), (BOOKING, "cancelled")])
        self.assertEqual(messages[0]["payload"]["start"], "2025-06-02T12:00:00Z")
        self.assertEqual(messages[1]["payload"]["message"]["body"], "See you at two!")
        self.assertEqual(validator.validate(messages[1]["payload"], schemas.ref("LiveMessageEvent")), {})
        self.assertFalse(self.bus_messages(self.other_session))

    @freeze_time(NOW)
    def test_a_revoked_token_stops_receiving(self):
        channel = self.live_channel(self.session)
        page_channel = self.page._bus_channel()
        ws = self.follow(channel, page_channel)
        response = self.opener.request("DELETE", f"{self.base_url()}{API}/me/session", timeout=30,
                                       headers={"Authorization": f"Bearer {self.session._make_token()}"})
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.session.state, "revoked")
        self.mine.with_user(self.user_staff).action_decline(reason="Sorry")
        received = self.receive(ws, (self.session, "live"), page_channel)
        self.assertEqual([message["type"] for message in received], ["self_serve_booking/availability"],
                         "the page's news still arrives on that websocket, the revoked token's no more")
        self.assertFalse(self.bus_messages(self.session))
        # nor does the channel name subscribe again: even what reached the session's channel stays unseen
        ws = self.follow(channel, page_channel)
        self.env["bus.bus"]._sendone((self.session, "live"), BOOKING, {"booking_id": self.mine.id})
        self.env["bus.bus"]._sendone(page_channel, "probe", {})
        received = self.receive(ws, (self.session, "live"), page_channel)
        self.assertEqual([message["type"] for message in received], ["probe"])
        response = self.url_open(f"{API}/me/live", headers={"Authorization": f"Bearer {self.session._make_token()}"})
        self.assertEqual(response.status_code, 401)

    @freeze_time(NOW)
    def test_an_active_channel_subscribes_over_the_websocket(self):
        """The control of the test above: the same direct send reaches a valid channel's websocket."""
        ws = self.follow(self.live_channel(self.session))
        self.env["bus.bus"]._sendone((self.session, "live"), BOOKING, {"booking_id": self.mine.id})
        received = self.receive(ws, (self.session, "live"))
        self.assertEqual([message["type"] for message in received], [BOOKING])

    @freeze_time(NOW)
    def test_expired_forged_and_foreign_channel_names_open_nothing(self):
        Session = self.env["booking.customer.session"]
        channel = self.session._live_channel()
        self.assertEqual(Session._from_live_channels([channel]), self.session)
        session_id, signature = channel.rsplit(".", 2)[1:]
        forged = [
            f"self_serve_booking.live.{self.other_session.id}.{signature}",  # another session's id
            f"self_serve_booking.live.{session_id}.{'0' * 64}",
            f"self_serve_booking.live.{session_id}.{signature.upper()}",
            f"self_serve_booking.live.{session_id}",
            "self_serve_booking.live." + "9" * 40 + "." + signature,
            self.session._make_token(),  # the token itself is no channel name
            None,
        ]
        for name in forged:
            with self.subTest(name=str(name)[:60]):
                self.assertFalse(Session._from_live_channels([name]))
        with freeze_time(NOW + self.days(2)):  # the token expired
            self.assertFalse(Session._from_live_channels([channel]))
            self.mine.with_user(self.user_staff).action_approve()
            self.assertFalse(self.bus_messages(self.session))
