from datetime import timedelta

from odoo import api, fields, models


class BookingAppointment(models.Model):
    """Check-in by QR code: a signed link that grants this booking's check-in and nothing else.

    Opening the link changes nothing (e-mail scanners and previews open it);
    its page's button checks the customer in within the page's check-in
    window, once. Staff signed in check the customer in at any time.
    """

    _inherit = "booking.appointment"

    check_in_method = fields.Selection(selection_add=[
        ("qr", "QR code"), ("portal", "Customer portal"), ("provider", "By the provider on arrival"),
        ("sms", "SMS reply (HERE)")])
    checked_in_by_provider = fields.Boolean(
        compute="_compute_checked_in_by_provider",
        help="The provider checks the customer in on arrival (a job at the customer's place): the customer has no "
             "desk to check in at.")

    # === TIMING === #
    check_in_due = fields.Boolean(
        compute="_compute_timing",
        help="Check-in is open: from the page's check-in window before the start until the end.",
    )
    has_started = fields.Boolean(compute="_compute_timing")

    @api.depends("start", "stop", "page_id.check_in_opens_minutes")
    @api.depends_context("uid")
    def _compute_timing(self):
        now = fields.Datetime.now()
        for appointment in self:
            started = bool(appointment.start and appointment.start <= now)
            appointment.has_started = started
            appointment.check_in_due = bool(
                appointment.start and appointment._check_in_opens_at() <= now < appointment.stop)

    @api.depends("service_id")
    def _compute_checked_in_by_provider(self):
        for appointment in self:
            appointment.checked_in_by_provider = bool(appointment.service_id) \
                and appointment._is_checked_in_by_provider()

    def _is_checked_in_by_provider(self):
        """Whether the provider checks the customer in on arrival rather than the customer (layers say when)."""
        self.ensure_one()
        return False

    def action_check_in(self, method="staff"):
        """The provider's own "Arrived" on a job at the customer's place is a check-in by the provider."""
        if method == "staff" and all(appointment._is_checked_in_by_provider()
                                     and appointment.provider_id.user_id == self.env.user for appointment in self):
            method = "provider"
        return super().action_check_in(method=method)

    # === CHECK-IN BY QR CODE === #

    def _check_in_signature(self):
        """The QR's proof: the booking and its customer, signed (a link grants this booking only)."""
        self.ensure_one()
        return self._link_signature("check_in", self.partner_id.id)

    def _check_in_signature_ok(self, signature):
        self.ensure_one()
        return self._link_signature_ok("check_in", signature, self.partner_id.id)

    def _check_in_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/booking/check-in/{self.id}/{self._check_in_signature()}"

    def _check_in_qr_url(self):
        """The check-in QR code as an image address, for e-mails (clients block inline images)."""
        self.ensure_one()
        return f"{self._check_in_url()}/qr.png"

    def _check_in_qr_png(self):
        self.ensure_one()
        return self._qr_png(self._check_in_url())

    def _check_in_qr_code(self):
        """The check-in QR code as a data URI, for pages."""
        self.ensure_one()
        return self._qr_data_uri(self._check_in_url())

    def _check_in_opens_at(self):
        self.ensure_one()
        return self.start - timedelta(minutes=self.page_id.check_in_opens_minutes)

    def _check_in_link_with_confirmation(self):
        """Whether the confirmation carries the check-in link (and its QR code): no reminder brings it in time.

        The link travels in the reminders (the e-mail's QR code, the SMS's
        link), and no reminder goes for a booking confirmed inside its window
        (the confirmation just said it all): a booking made two hours ahead,
        or on the day by a customer without a phone, would get no check-in
        link at all. So the confirmation carries it when no reminder that can
        reach the customer goes out between the confirmation and the opening
        of check-in (never for a job the provider checks in on arrival).
        """
        self.ensure_one()
        if self.state != "confirmed" or not self.start or self._is_checked_in_by_provider():
            return False  # at the customer's place the provider checks them in: no link of theirs
        confirmed = self.confirmed_at or self.create_date or fields.Datetime.now()
        opens = self._check_in_opens_at()
        partner = self.partner_id
        reachable = {
            "email": bool(partner.email),
            "sms": bool(partner.mobile or partner.phone) and not partner.phone_sanitized_blacklisted,
        }
        for rule in self.page_id.notification_rule_ids:
            sent_at = self.start - timedelta(hours=rule.offset_hours)
            if rule.active and rule.event == "reminder" and confirmed <= sent_at <= opens \
                    and any(reachable.get(channel) for channel in self._notification_channels(
                        "reminder", rule._channels(), rule=rule)):
                return False
        return True

    # === CHECK-IN BY THE PROVIDER ON ARRIVAL === #
    # The provider's own link (in their agenda and their calendar): it grants
    # this booking's check-in to whoever delivers it, signed for the booking,
    # its provider and its customer, so a move to another provider or another
    # customer voids it. It opens from when the provider's time for the job
    # begins (the drive and the buffer) and, like the customer's, acts only
    # through the page's button.

    def _provider_check_in_signature(self):
        self.ensure_one()
        return self._link_signature("provider_check_in", self.provider_id.id, self.partner_id.id)

    def _provider_check_in_signature_ok(self, signature):
        self.ensure_one()
        return self._link_signature_ok("provider_check_in", signature, self.provider_id.id, self.partner_id.id)

    def _provider_check_in_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/booking/check-in/{self.id}/{self._provider_check_in_signature()}"

    def _provider_check_in_opens_at(self):
        self.ensure_one()
        return min(self.busy_start or self.start, self.start) - timedelta(minutes=self.page_id.check_in_opens_minutes)

    def _check_in_by_link(self, signature, user, act=True):
        """Check in from the QR code's link: ``(result code, appointment)``.

        Result codes: ``checked_in``, ``ready`` (it would, with ``act`` False),
        ``already`` (idempotent), ``busy`` (another tap holds the booking),
        ``too_early``, ``ended``, ``invalid_state``, ``by_provider`` (the
        customer's link of a job the provider checks in on arrival) and
        ``invalid`` (forged or foreign link, or no such booking); only
        ``checked_in`` changes anything. Staff signed in check the customer in
        whenever the booking is confirmed; the provider's link (see
        ``_provider_check_in_url``) from when their time for the job begins.
        """
        appointment = self.sudo().exists()
        if len(appointment) != 1:
            return "invalid", self.browse()
        by_provider = appointment._provider_check_in_signature_ok(signature)
        if not by_provider and not appointment._check_in_signature_ok(signature):
            return "invalid", self.browse()
        if act and not appointment._try_lock():
            return "busy", appointment
        if appointment.state in ("checked_in", "done"):
            return "already", appointment
        if appointment.state != "confirmed":
            return "invalid_state", appointment
        staff = appointment._is_staff(user)
        refusal = not staff and appointment._check_in_refusal(by_provider=by_provider)
        if refusal:
            return refusal, appointment
        if not act:
            return "ready", appointment
        appointment.with_user(user if staff else self.env.user).sudo().action_check_in(
            method="staff" if staff else "provider" if by_provider else "qr")
        return "checked_in", appointment

    def _check_in_refusal(self, by_provider=False):
        """Why the customer (``by_provider``: the provider's link) cannot check in now: a result code, or None.

        The rules of every check-in that is not staff's: the QR link, the
        provider's link, the reminder's SMS reply.
        """
        self.ensure_one()
        if not by_provider and self._is_checked_in_by_provider():
            return "by_provider"
        now = fields.Datetime.now()
        if now < (self._provider_check_in_opens_at() if by_provider else self._check_in_opens_at()):
            return "too_early"
        if now >= self.stop:
            return "ended"
        return None

    # === CHECK-IN BY REPLYING TO THE REMINDER === #

    def _check_in_by_reply(self):
        """The customer replied HERE to this booking's reminder SMS: ``(result code, appointment)``.

        The QR link's rules and result codes (``_check_in_by_link``): the
        caller found this booking as the reminder's, for the sender's number
        (``booking.sms._answer_check_in``).
        """
        appointment = self.sudo()
        appointment.ensure_one()
        if not appointment._try_lock():
            return "busy", appointment
        if appointment.state in ("checked_in", "done"):
            return "already", appointment
        if appointment.state != "confirmed":
            return "invalid_state", appointment
        refusal = appointment._check_in_refusal()
        if refusal:
            return refusal, appointment
        appointment.action_check_in(method="sms")
        return "checked_in", appointment
