import re
import secrets
from datetime import timedelta

from odoo import api, fields, models

from ..tools import clean_text
from ..tools import safe_consteq
from .booking_availability import to_epoch


class BookingAppointment(models.Model):
    """Requests the merchant answers: the deadline, and one-tap approve/decline links (e-mail, SMS).

    A request's links are signed with a secret of that request
    (``approval_nonce``), renewed each time the appointment becomes a
    request, so links of an earlier request never answer a later one.
    """

    _inherit = "booking.appointment"

    # === REQUEST === #
    approval_deadline = fields.Datetime(
        string="Answer By",
        compute="_compute_approval_deadline",
        store=True,
        precompute=True,  # in the booking's INSERT
        help="When this request expires unanswered (or starts): the most urgent requests come first.",
    )
    approval_nonce = fields.Char(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Secret of the approve and decline links of the current request; a new request gets a new one.",
    )

    @api.depends("state", "pending_since", "start", "page_id.approval_expiry_hours")
    def _compute_approval_deadline(self):
        for appointment in self:
            appointment.approval_deadline = appointment._approval_deadline() \
                if appointment.state == "pending" and appointment.start else False

    # === HOOKS === #

    def _on_state_changed(self, old_state):
        if self.state == "pending":
            self._renew_request_secret()
        result = super()._on_state_changed(old_state)
        return result

    def _renew_request_secret(self):
        """A new secret for the approve and decline links of a new request.

        Links of an earlier request of the same appointment stop working.
        Written as superuser: nobody reads or writes it but the link checks.
        """
        for appointment in self.sudo():
            appointment.approval_nonce = secrets.token_urlsafe(16)

    # === ONE-TAP APPROVAL LINKS === #

    def _approval_deadline(self):
        """When the approve and decline links stop working: when the request expires, or at its start."""
        self.ensure_one()
        hours = self.page_id.approval_expiry_hours
        deadline = self.start
        if hours and self.pending_since:
            deadline = min(deadline, self.pending_since + timedelta(hours=hours))
        return deadline

    def _approval_signature(self, action, expires):
        self.ensure_one()
        return self._link_signature("approval", action, self.sudo().approval_nonce or "", expires)

    def _approval_url(self, action):
        """A signed link that approves (``confirm``) or declines (``reject``) this request, no login needed."""
        self.ensure_one()
        expires = int(to_epoch(self._approval_deadline()))
        signature = self._approval_signature(action, expires)
        return f"{self.get_base_url()}/booking/approval/{self.id}/{action}/{expires}/{signature}"

    def _check_approval_link(self, action, expires, signature):
        """What an approval link may do now: ``ok``, ``already`` (answered), ``expired`` or ``invalid``.

        The signature covers the appointment, the action, the deadline and
        the request's secret, so a link cannot be altered, nor reused for a
        later request of the same appointment; once the request is answered
        the state machine refuses a second answer.
        """
        self.ensure_one()
        if action not in ("confirm", "reject") or not re.fullmatch(r"[0-9]{1,12}", str(expires)):
            return "invalid"
        if not self._link_signature_ok("approval", signature, action, self.sudo().approval_nonce or "",
                                       int(expires)):
            return "invalid"
        if self.state != "pending":
            return "already"
        if to_epoch(fields.Datetime.now()) >= int(expires):
            return "expired"
        return "ok"

    def _answer_by_link(self, action, reason=None):
        """Approve or decline from the e-mail's link, as the page's responsible user."""
        self.ensure_one()
        actor = self.page_id.responsible_user_id or self.env.ref("base.user_root")
        appointment = self.with_user(actor).sudo()
        note = self.env._("Answered with the link of the new-request e-mail.")
        if action == "confirm":
            appointment.action_approve(note=note)
        else:
            appointment.action_decline(reason=clean_text(self.env, reason, "reason", 500) or None)
        return appointment

    def _approval_sms_code(self):
        """The six digits staff reply with the reference to answer this request by SMS.

        A text's sender number can be forged; the code cannot: it is derived
        (HMAC, the database secret) from the request's secret, so it comes
        only in the request's SMS to staff, dies when the request is answered
        (a new request has a new secret), and is never stored.
        """
        self.ensure_one()
        signature = self._link_signature("approval-sms", self.sudo().approval_nonce or "")
        return f"{int(signature[:12], 16) % 10**6:06d}"

    def _check_approval_sms_code(self, code):
        """Whether ``code`` (anything a text held) is this request's SMS code."""
        self.ensure_one()
        return bool(self.sudo().approval_nonce) and safe_consteq(self._approval_sms_code(), code)

    def _answer_by_sms(self, action):
        """Approve or decline from the merchant's SMS reply (YES / NO), as the replying user."""
        self.ensure_one()
        appointment = self.sudo().with_user(self.env.user)
        note = self.env._("Answered by SMS by %(user)s.", user=self.env.user.name)
        if action == "confirm":
            appointment.action_approve(note=note)
        else:
            appointment.action_decline(reason=note)
        return appointment
