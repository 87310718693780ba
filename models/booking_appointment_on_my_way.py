from datetime import timedelta

from markupsafe import escape

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

# What the provider picks on the link's page; the backend button sends the computed default
ON_MY_WAY_CHOICES = (10, 20, 30, 45)
ON_MY_WAY_EVERY_MINUTES = 5  # one message per booking in this time, whoever asks (no spam, no SMS bill)
ON_MY_WAY_OPENS_HOURS = 6  # "on my way" makes sense on the day: from this long before the start until its end


class BookingAppointment(models.Model):
    """"On my way": the provider tells the customer they are coming, with an arrival estimate.

    From the backend (the booking's form, staff of its company) or from the
    provider's agenda SMS, by a link signed for this booking, its provider,
    its customer and its start (a move or another customer voids it) under a
    scope of its own (a check-in or approval signature is worth nothing
    here). The link's page changes nothing when opened (SMS previews open
    it); its buttons send. Either way: only while the booking is confirmed,
    from a few hours before its start until its end, once per booking every
    few minutes. The customer gets an SMS, by e-mail when they cannot be
    texted, through their preferences (``_notification_channels``).
    """

    _inherit = "booking.appointment"

    # === THE BUTTON === #

    def action_on_my_way(self, minutes=None):
        """Staff of the booking's company: tell the customer the provider is coming (``minutes``: the estimate)."""
        self.ensure_one()
        if not self.env.su and not self._is_staff(self.env.user):
            raise AccessError(self.env._("Only the merchant's staff tell a customer they are on the way."))
        self.sudo()._send_on_my_way(minutes)
        return True

    def _on_my_way_default_minutes(self):
        """The arrival estimate when none is picked: the travel time reserved for the job, else the time left
        before the start, between 10 and 45 minutes, in steps of 5."""
        self.ensure_one()
        travel = self.travel_minutes if "travel_minutes" in self._fields else 0
        left = (self.start - fields.Datetime.now()).total_seconds() / 60 if self.start else 0
        minutes = travel or left or 15
        return int(min(45, max(10, 5 * round(minutes / 5))))

    def _on_my_way_refusal(self):
        """Why "on my way" cannot be sent now, or None."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.state != "confirmed":
            return self.env._("%(ref)s is %(state)s: nobody is on the way.", ref=self.name, state=self._state_label())
        if now >= self.stop:
            return self.env._("%(ref)s has ended.", ref=self.name)
        if now < self.start - timedelta(hours=ON_MY_WAY_OPENS_HOURS):
            return self.env._("%(ref)s is on %(when)s: send it on the day, when you leave.", ref=self.name,
                              when=self._when_label(style="short"))
        return None

    def _on_my_way_channels(self):
        """How the customer hears it: by SMS, else by e-mail, as their preferences say; STOP is never texted."""
        self.ensure_one()
        partner = self.partner_id
        reach = {"sms": partner._booking_can_text(self.page_id), "email": bool(partner.email)}
        channels = [channel for channel in self._notification_channels("on_my_way", ("sms",)) if reach[channel]]
        return channels or [channel for channel in ("sms", "email") if reach[channel]][:1]

    def _send_on_my_way(self, minutes=None):
        """Queue the customer's "on my way" (the caller's right to this booking was checked)."""
        self.ensure_one()
        minutes = minutes if minutes is not None else self._on_my_way_default_minutes()
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 240:
            raise UserError(self.env._("The arrival estimate is a number of minutes, up to 4 hours."))
        refusal = self._on_my_way_refusal()
        if refusal:
            raise UserError(refusal)
        channels = self._on_my_way_channels()
        if not channels:
            raise UserError(self.env._("%(customer)s has no phone number or e-mail to tell.",
                                       customer=self.partner_id.name))
        # the booking's row lock serialises two taps; the last message queued says when the customer was told
        if not self._try_lock():
            raise UserError(self.env._("One moment: %(ref)s is being updated. Try again.", ref=self.name))
        now = fields.Datetime.now()
        Outbox = self.env["booking.notification"].sudo()
        last = Outbox.search([("appointment_id", "=", self.id), ("event", "=", "on_my_way")], order="id desc",
                             limit=1)
        wait = last and last.create_date + timedelta(minutes=ON_MY_WAY_EVERY_MINUTES) - now
        if wait and wait.total_seconds() > 0:
            raise UserError(self.env._("The customer was just told: try again in %(minutes)s minute(s).",
                                       minutes=max(1, round(wait.total_seconds() / 60))))
        eta = now + timedelta(minutes=minutes)
        values = {"minutes": minutes, "eta": fields.Datetime.to_string(eta),
                  "eta_label": self._format_local(eta, style="time")}
        for channel in channels:
            Outbox._enqueue(self.page_id, "on_my_way", f"on_my_way:booking.appointment:{self.id}:{channel}:"
                            f"{now.isoformat()}", self, channel=channel, values=values)
        self._message_log(body=escape(self.env._(
            "On my way: %(customer)s told by %(channels)s, arriving around %(eta)s (about %(minutes)s min).",
            customer=self.partner_id.name, eta=values["eta_label"], minutes=minutes,
            channels=", ".join(self.env._("SMS") if c == "sms" else self.env._("e-mail") for c in channels))))
        return values

    # === THE PROVIDER'S LINK (agenda SMS) === #

    def _on_my_way_signature(self):
        self.ensure_one()
        return self._link_signature("on_my_way", self.provider_id.id, self.partner_id.id,
                                    fields.Datetime.to_string(self.start))

    def _on_my_way_signature_ok(self, signature):
        self.ensure_one()
        return self._link_signature_ok("on_my_way", signature, self.provider_id.id, self.partner_id.id,
                                       fields.Datetime.to_string(self.start))

    def _on_my_way_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/booking/on-my-way/{self.id}/{self._on_my_way_signature()}"

    def _on_my_way_by_link(self, signature, minutes=None, act=False):
        """The link's page: ``(result, appointment)``.

        Results: ``invalid`` (forged, foreign, another scope's signature, a
        booking moved or given to someone else since), ``closed`` (not now:
        see ``_on_my_way_refusal``), ``ready`` (the page offers the choices),
        ``sent`` and ``refused`` (too soon after the last one, no way to reach
        the customer, an estimate not offered); only ``sent`` changes anything.
        """
        appointment = self.sudo().exists()
        if len(appointment) != 1 or not isinstance(signature, str) \
                or not appointment._on_my_way_signature_ok(signature):
            return "invalid", self.browse(), None
        refusal = appointment._on_my_way_refusal()
        if refusal:
            return "closed", appointment, refusal
        if not act:
            return "ready", appointment, None
        if minutes not in ON_MY_WAY_CHOICES:
            return "refused", appointment, self.env._("Pick one of the times offered.")
        try:
            values = appointment._send_on_my_way(minutes)
        except UserError as error:
            return "refused", appointment, str(error.args[0])
        return "sent", appointment, values["eta_label"]

    def _agenda_sms_item(self):
        """This booking in its provider's agenda SMS: time, service, customer; the "on my way" link for a job
        the provider travels to."""
        self.ensure_one()
        item = f"{self._format_local(self.start, style='time')} {self.service_id.name} ({self.partner_id.name})"
        if self._is_checked_in_by_provider():
            item += " " + self.env._("On my way: %(url)s", url=self._on_my_way_url())
        return item
