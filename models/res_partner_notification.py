from odoo import fields, models
from odoo.exceptions import UserError

# Messages a customer may turn off and still hear about their bookings: asking for a review, inviting them back
MARKETING_EVENTS = frozenset({"review_request", "rebook_reminder"})
NOTIFY_CHANNELS = [("email", "E-mail"), ("sms", "SMS"), ("both", "E-mail and SMS")]
CHANNELS_OF = {"email": ("email",), "sms": ("sms",), "both": ("email", "sms")}


class ResPartner(models.Model):
    """How a customer wants to be told: the channel, and whether they take messages that sell.

    The contact's own choice, made by its owner signed in (the portal) or
    through a customer session of the API (a one-time code to a detail on
    file): a booking's link grants that booking, never its customer's
    preferences (DESIGN.md invariant 8). Every rule of every page obeys it
    through one decision, ``_booking_message_channels``, which the outbox
    asks when it chooses a customer's channels; a number that replied STOP
    is never texted, whatever the preference.
    """

    _inherit = "res.partner"

    booking_notify_channel = fields.Selection(
        selection=NOTIFY_CHANNELS, string="Booking Messages By",
        help="How this customer wants to hear about their bookings. Empty: as each business's rules send them. "
             "A message that cannot reach them this way (no phone, no e-mail, STOP) goes by the other way.")
    booking_marketing_messages = fields.Boolean(
        string="Review Requests and Follow-ups", default=True,
        help="Off: no review requests, no invitations to book again. Confirmations, reminders, changes and "
             "receipts still come.")

    def _booking_can_text(self, page):
        """Whether ``page`` may text this contact: a number, and no STOP (to the page's number) nor blacklist."""
        self.ensure_one()
        raw = self.mobile or self.phone
        if not raw or self.phone_sanitized_blacklisted:
            return False
        if page.sms_gateway != "twilio":
            return True
        number = self._booking_phone_e164(raw, page._get_country())
        return bool(number) and not self.env["booking.sms"]._is_opted_out(page, number)

    def _booking_message_channels(self, page, event, channels, sms_text=True):
        """The channels a message of ``event`` from ``page`` reaches this customer by, out of the rule's ``channels``.

        - review requests and follow-ups: none when the customer turned them off;
        - a customer without a preference gets what the page's rule says;
        - a preference replaces the rule's channels; what cannot reach them
          (no e-mail, no phone, STOP, an occasion without SMS text) is
          dropped, and a message about their booking that would then reach
          them by nothing goes by the other channel.

        :param sms_text: whether the occasion has an SMS text (a message never goes by SMS without one).
        :return: a tuple of ``"email"`` / ``"sms"``, maybe empty.
        """
        self.ensure_one()
        marketing = event in MARKETING_EVENTS
        if marketing and not self.booking_marketing_messages:
            return ()
        if not self.booking_notify_channel:
            return tuple(channels)
        reach = {"email": bool(self.email), "sms": bool(sms_text) and self._booking_can_text(page)}
        chosen = tuple(channel for channel in CHANNELS_OF[self.booking_notify_channel] if reach[channel])
        if chosen or marketing:
            return chosen
        return tuple(channel for channel in ("email", "sms") if reach[channel])[:1]

    def _booking_notification_preferences(self):
        """The preferences as the portal and the API show them."""
        self.ensure_one()
        return {"channel": self.booking_notify_channel or "default",
                "marketing": bool(self.booking_marketing_messages)}

    def _booking_set_notification_preferences(self, channel=None, marketing=None):
        """Change this customer's preferences; the caller proved to be them (signed in, or a customer session).

        :param channel: ``"default"`` (the businesses' rules), ``"email"``, ``"sms"`` or ``"both"``; None: unchanged.
        :param marketing: review requests and follow-ups on (True) or off (False); None: unchanged.
        """
        self.ensure_one()
        vals = {}
        if channel is not None:
            if channel != "default" and channel not in CHANNELS_OF:
                raise UserError(self.env._("Choose e-mail, SMS or both."))
            if channel in ("sms", "both") and not (self.mobile or self.phone):
                raise UserError(self.env._("Add a phone number to your account to receive text messages."))
            if channel in ("email", "both") and not self.email:
                raise UserError(self.env._("Add an e-mail address to your account to receive e-mails."))
            vals["booking_notify_channel"] = False if channel == "default" else channel
        if marketing is not None:
            vals["booking_marketing_messages"] = bool(marketing)
        if vals:
            self.sudo().write(vals)
        return self._booking_notification_preferences()
