from collections import defaultdict

from odoo import api, models
from odoo.tools import html2plaintext

# Live status: the fields whose changes reach API customers, and the events a change of state is told as
LIVE_FIELDS = {"state", "start", "provider_id"}
LIVE_BOOKING_TYPE = "self_serve_booking/booking"
LIVE_MESSAGE_TYPE = "self_serve_booking/message"
LIVE_MESSAGE_CHARS = 2000
LIVE_STATE_EVENTS = {
    ("pending", "confirmed"): "approved",
    (None, "rejected"): "declined",
    (None, "checked_in"): "checked_in",
    (None, "done"): "completed",
}


class BookingAppointment(models.Model):
    """Live news over Odoo's bus: open booking pages learn which days changed; API customers, their bookings'
    changes and messages, as they happen."""

    _inherit = "booking.appointment"

    # === HOOKS === #

    def _after_created(self):
        result = super()._after_created()
        self._notify_availability()
        return result

    def write(self, vals):
        before = self._live_snapshot(vals)
        # the days a move or a change of state frees, as well as those it takes
        days_before = {(a.page_id, a._local_day()) for a in self} if self._get_slot_fields() & vals.keys() else None
        result = super().write(vals)
        if days_before is not None:
            self._notify_availability(extra_days=days_before)
        self._live_notify_changes(before)
        return result

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        message = super().message_post(**kwargs)
        if len(self) == 1 and message.message_type in ("comment", "email", "email_outgoing") \
                and not message.subtype_id.internal and message.subtype_id and not message.is_internal:
            self._live_send_message(message)
        return message

    # === AVAILABILITY NEWS (bus, for open booking pages) === #

    def _notify_availability(self, extra_days=()):
        """Tell open booking pages which local days just changed availability.

        Sent on the page's public bus channel when the transaction commits
        (Odoo's bus is transactional), so widgets refresh those days without a
        reload. The payload is public information: a page id and dates.
        """
        days_per_page = defaultdict(set)
        for page, day in {(a.page_id, a._local_day()) for a in self} | set(extra_days):
            if page and day:
                days_per_page[page].add(day.isoformat())
        for page, days in days_per_page.items():
            self.env["bus.bus"]._sendone(
                page._bus_channel(), "self_serve_booking/availability", {"page_id": page.id, "dates": sorted(days)}
            )

    # === LIVE STATUS (bus, for API customers) === #

    def _live_snapshot(self, vals):
        """What live subscribers follow, before a write that may change it (None when it cannot)."""
        if not LIVE_FIELDS & vals.keys():
            return None
        return {a.id: (a.state, a.start, a.provider_id.id) for a in self}

    def _live_notify_changes(self, before):
        """Tell the customers' live sessions how their bookings changed (state, time or provider)."""
        for appointment in self.filtered(lambda a: before and a.id in before):
            old_state, old_start, old_provider = before[appointment.id]
            if appointment.state != old_state:
                event = LIVE_STATE_EVENTS.get((old_state, appointment.state)) \
                    or LIVE_STATE_EVENTS.get((None, appointment.state), appointment.state)
                appointment._live_send_booking(event)
            elif (appointment.start, appointment.provider_id.id) != (old_start, old_provider):
                appointment._live_send_booking("moved")

    def _live_send_booking(self, event, **extra):
        """One change of this booking, to its customer's live sessions: what changed and where it is now."""
        self.ensure_one()
        self.env["booking.customer.session"]._live_send(self.partner_id, self.company_id, LIVE_BOOKING_TYPE, {
            "event": event,
            "booking_id": self.id,
            "reference": self.name,
            "state": self.state,
            "start": f"{self.start:%Y-%m-%dT%H:%M:%S}Z",
            "end": f"{self.stop:%Y-%m-%dT%H:%M:%S}Z",
            "provider_id": self.provider_id.id,
            **extra,
        })

    def _live_send_message(self, message):
        """A message the customer can read on their booking, to their live sessions."""
        self.ensure_one()
        message = message.sudo()  # whoever posted it: the customer may read it
        self.env["booking.customer.session"]._live_send(self.partner_id, self.company_id, LIVE_MESSAGE_TYPE, {
            "booking_id": self.id,
            "reference": self.name,
            "message": {
                "id": message.id,
                "author": message.author_id.name or None,
                "date": f"{message.date:%Y-%m-%dT%H:%M:%S}Z",
                "body": html2plaintext(message.body or "")[:LIVE_MESSAGE_CHARS],
            },
        })
