from odoo import models

from .booking_customer_session import LIVE_PREFIX
from .booking_customer_session import LIVE_SUBCHANNEL


class IrWebsocket(models.AbstractModel):
    """Live status for API customers: a token's channel name subscribes to that session's notifications.

    The bus subscribes a websocket to any string channel it names; the
    sessions' notifications go to record channels instead, which a client
    cannot name: only a valid live channel name of an active session
    (``booking.customer.session._live_channel``) adds its session's channel.
    """

    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        live = [channel for channel in channels if isinstance(channel, str) and channel.startswith(LIVE_PREFIX)]
        if live:
            channels = [channel for channel in channels if channel not in live]
        channels = super()._build_bus_channel_list(channels)
        if live:
            sessions = self.env["booking.customer.session"].sudo()._from_live_channels(live)
            channels.extend((session, LIVE_SUBCHANNEL) for session in sessions)
        return channels
