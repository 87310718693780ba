from odoo import api, fields, models

from ..const import RESCHEDULABLE_STATES


class BookingAppointment(models.Model):
    """What people are told about an appointment, and who follows it.

    Messages are queued in the outbox (``booking.notification``) as the
    life cycle moves, by the page's rules; they are sent later, so a mail or
    SMS outage never blocks or rolls back a booking (DESIGN.md invariant 6).
    """

    _name = "booking.appointment"
    _inherit = ["booking.appointment", "booking.notification.mixin"]

    notification_ids = fields.One2many("booking.notification", "appointment_id", string="Messages Sent")

    # === HOOKS === #

    def _after_created(self):
        result = super()._after_created()
        self._subscribe_people()
        return result

    def _on_state_changed(self, old_state):
        result = super()._on_state_changed(old_state)
        self._queue_state_notifications(old_state)
        return result

    def _on_moved(self, old_start, old_provider):
        result = super()._on_moved(old_start, old_provider)
        self._queue_move_notifications(old_start, old_provider, moved_by=self.moved_by or "merchant")
        return result

    # === WHO FOLLOWS A BOOKING === #

    def _subscribe_people(self):
        """The customer follows their booking, staff (page responsible, provider's user) what is for them.

        As with a sale order: a staff reply in the chatter reaches the
        customer by e-mail, and a message the customer writes on their
        booking page reaches staff (``message_post``). Staff follow the
        booking's own subtype "For staff" (what they act on: a new booking or
        request, the customer cancelled or moved, a review), not Odoo's
        internal notes (payment progress, the SMS sent to the customer) nor
        the customer's own e-mails (confirmations, reminders, receipts).
        """
        customer_subtypes = self.env.ref("mail.mt_comment")
        staff_subtypes = self.env.ref("self_serve_booking.mt_booking_staff")
        for appointment in self:
            if appointment.partner_id:
                appointment.sudo().message_subscribe(partner_ids=appointment.partner_id.ids,
                                                     subtype_ids=customer_subtypes.ids)
            staff = appointment._merchant_partners().filtered(lambda p: p.user_ids and not p.partner_share)
            if staff:
                appointment.sudo().message_subscribe(partner_ids=staff.ids, subtype_ids=staff_subtypes.ids)

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A message from outside (the customer on their booking page, an e-mail reply) reaches staff."""
        if len(self) == 1 and kwargs.get("message_type") in ("comment", "email"):
            author = self.env["res.partner"].browse(kwargs.get("author_id") or self.env.user.partner_id.id)
            if not author.sudo().user_ids.filtered(lambda user: not user.share):
                staff = self._merchant_partners().filtered(
                    lambda partner: partner.user_ids.filtered(lambda user: not user.share))
                kwargs["partner_ids"] = list({*(kwargs.get("partner_ids") or []), *staff.ids})
        return super().message_post(**kwargs)

    # === MESSAGES (queued, DESIGN.md section 4.6) === #

    def _notification_title(self, recipient="customer"):
        """The title of this booking's e-mails: the customer reads the service and the time."""
        self.ensure_one()
        if recipient != "customer":
            return self.display_name
        return f"{self.service_id.name} · {self._when_label(style='short')}"

    def _queue_state_notifications(self, old_state):
        """Queue what the customer and the merchant are told when the state changes from ``old_state``."""
        self.ensure_one()
        state = self.state
        if not old_state and state not in ("pending", "confirmed"):
            return  # created awaiting payment: told once paid
        if state == "pending":
            # each request (an appointment may go back to pending after a late payment) is told once
            stamp = self.pending_since.strftime("%Y%m%d%H%M%S") if self.pending_since else ""
            self._notify("request_received", stamp)
            self._notify("new_request", stamp)
        elif state == "confirmed" and old_state != "confirmed" and self.channel != "walk_in":
            self._notify("confirmed")
            if old_state in (False, "pending_payment") and self.source != "backend":
                self._notify("new_booking")  # staff did not make it: tell them (a request was told already)
        elif state == "rejected" or (state == "expired" and old_state == "pending"):
            self._notify("declined")
        elif state == "cancelled":
            self._notify("cancelled")
            if self.cancelled_by == "customer":
                self._notify("customer_cancelled")

    def _queue_move_notifications(self, old_start, old_provider, moved_by="merchant"):
        """Queue "moved" messages: to the customer always, to the merchant when the customer moved it.

        Keyed by the new time: a move is told once, however many writes it took.
        """
        self.ensure_one()
        if self.state not in RESCHEDULABLE_STATES:
            return
        key = f"{self.start:%Y%m%d%H%M%S}-{self.provider_id.id}"
        values = {"old_start": fields.Datetime.to_string(old_start), "old_provider": old_provider.name}
        self._notify("rescheduled", key, values)
        if moved_by == "customer":
            self._notify("customer_rescheduled", key, values)

    # === WHAT THE SMS SAY (pieces of the default texts) === #

    def _sms_where(self):
        """", at <address>": where it takes place (the customer's address for a job there), or nothing."""
        self.ensure_one()
        address = self._get_agenda_address()
        business = self.page_id.sudo().partner_id
        if address == self.page_id._get_address_text() and not (business.street or business.city):
            return ""  # the business has no address yet (a country alone says nothing)
        return self.env._(", at %(address)s", address=address) if address else ""

    def _sms_business_phone(self):
        """" Questions: <the business's phone>." or nothing."""
        self.ensure_one()
        partner = self.page_id.sudo().partner_id
        phone = partner.phone or partner.mobile
        return self.env._(" Questions: %(phone)s.", phone=phone) if phone else ""

    def _sms_manage_hint(self):
        """How to reschedule or cancel: by reply where the page reads replies (Twilio), else by its link."""
        self.ensure_one()
        if self.page_id.sms_gateway == "twilio":
            return self.env._("Reply R to reschedule or C to cancel.")
        return self.env._("Manage: %(url)s", url=self.get_base_url() + self.get_portal_url())

    def _sms_customer(self):
        """"<customer>, <phone>": who asks, and how to reach them."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        phone = partner.mobile or partner.phone
        return f"{partner.name}, {phone}" if phone else partner.name or ""

    def _sms_approval_hint(self):
        """How staff answer a request: YES / NO by reply where the page reads replies, and the signed link."""
        self.ensure_one()
        link = self._approval_url("confirm")
        if self.page_id.sms_gateway != "twilio":
            return self.env._("Approve: %(link)s", link=link)
        code = self._approval_sms_code()
        return self.env._("Reply YES %(ref)s %(code)s to approve or NO %(ref)s %(code)s to decline, or "
                          "approve at %(link)s", ref=self.name, code=code, link=link)

    # === WHAT THE MESSAGES LINK TO === #

    def _get_confirmation_url(self, suffix=""):
        """The booking's public page (its confirmation), or ``suffix`` below it, with the link's token."""
        self.ensure_one()
        return f"/p/{self.page_id.slug}/booking/{self.id}{suffix}?access_token={self._portal_ensure_token()}"

    def _rebook_url(self):
        """The page, with this service chosen: where a declined or expired customer books again."""
        self.ensure_one()
        return f"{self.page_id.get_base_url()}/p/{self.page_id.slug}?service={self.service_id.id}"

    def _sms_alternatives_text(self):
        """"Free: Tue 10:00, Wed 14:30. " — the nearest free times, for a short message; or nothing."""
        self.ensure_one()
        slots = self.env["booking.availability"].sudo()._nearest_slots(
            self.page_id, self.service_id, self.start, limit=3, duration_minutes=self.duration_minutes,
            exclude_start=True)
        times = [self._when_label(slot.start, style="short") for slot in slots]
        return self.env._("Free: %(times)s. ", times=", ".join(times)) if times else ""

    def _get_alternative_slots(self, limit=3):
        """Up to ``limit`` free times near this one, in local time, for the "declined" message.

        The declined time itself is left out: the merchant said no to it.
        """
        self.ensure_one()
        slots = self.env["booking.availability"].sudo()._nearest_slots(
            self.page_id, self.service_id, self.start, limit=limit, duration_minutes=self.duration_minutes,
            exclude_start=True)
        return [self._when_label(slot.start) for slot in slots]
