import json
import logging
import re
from datetime import timedelta

import requests
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import UPCOMING_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import SlotUnavailableError
from .booking_sms_opt_out import OPT_IN_WORDS
from .booking_sms_opt_out import OPT_OUT_WORDS

_logger = logging.getLogger(__name__)

# How long a question asked by SMS ("reply CANCEL again", "reply 1, 2 or 3") waits for its answer.
AWAIT_MINUTES = 30
REFERENCE_RE = re.compile(r"[A-Z0-9][A-Z0-9/\-]{2,30}")
SMS_CODE_RE = re.compile(r"[0-9]{6}")  # a request's code in staff's YES / NO (booking.appointment)
SMS_ANSWERS_PER_HOUR = 30  # YES / NO with a reference and a code, per staff number and page
CHECK_IN_WORD = "HERE"  # the whole reply, in reply to a reminder: check in (and the page's own words)
# Replies that already mean something else (opting out and in as the carriers read them, cancel, reschedule,
# help): never a page's check-in word, or "C" confirming a cancellation would check the customer in instead
RESERVED_REPLIES = OPT_OUT_WORDS | OPT_IN_WORDS | frozenset({"C", "R", "RESCHEDULE", "HELP", "INFO"})


def check_in_text(text):
    """A reply as check-in words compare: upper case, apostrophes dropped, punctuation as spaces, one space."""
    text = re.sub(r"['\u2019]", "", (text or "").upper())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def is_reserved_reply(word):
    """Whether ``word`` (as ``check_in_text`` writes it) already means something in a reply: a keyword, a number
    (the pick of a new time), or nothing at all."""
    return not word or word in RESERVED_REPLIES or word.replace(" ", "").isdigit()


class BookingSms(models.Model):
    """Text messages a page exchanges through Twilio, both ways.

    Outbound messages carry Twilio's ``MessageSid`` and the delivery status
    its callbacks report; inbound ones are what customers and the merchant
    reply, with what the reply did. A question asked by SMS (confirm a
    cancellation, pick a time) is remembered on the outbound message that
    asked it, for ``AWAIT_MINUTES``.
    """

    _name = "booking.sms"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Booking SMS (Twilio)"
    _order = "id desc"

    # === IDENTITY === #
    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True)
    appointment_id = fields.Many2one("booking.appointment", ondelete="set null", index="btree_not_null",
                                     readonly=True)
    partner_id = fields.Many2one("res.partner", ondelete="set null", readonly=True)
    direction = fields.Selection([("in", "Received"), ("out", "Sent")], required=True, readonly=True)
    number = fields.Char(required=True, readonly=True, index=True, help="The other side's number (E.164).")
    body = fields.Text(readonly=True)
    twilio_sid = fields.Char(string="Twilio SID", readonly=True, copy=False)
    status = fields.Selection(
        selection=[("queued", "Queued"), ("sent", "Sent"), ("delivered", "Delivered"),
                   ("undelivered", "Undelivered"), ("failed", "Failed"), ("received", "Received")],
        readonly=True, default="queued",
    )
    error = fields.Char(readonly=True)
    outcome = fields.Char(readonly=True, help="What an inbound message did.")

    # === A QUESTION WAITING FOR ITS ANSWER === #
    awaiting = fields.Selection(
        selection=[("cancel", "Confirm a cancellation"), ("reschedule", "Pick a new time"),
                   ("which", "Which request")],
        readonly=True,
    )
    awaiting_data = fields.Text(readonly=True)
    awaiting_until = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("twilio_sid_unique", "UNIQUE(twilio_sid)", "Twilio sent this message once."),
    ]

    # === SENDING === #

    @api.model
    def _twilio_client(self, page):
        from twilio.rest import Client  # noqa: PLC0415 - an optional gateway: imported where it is used

        return Client(page.twilio_account_sid, page.twilio_auth_token)

    @api.model
    def _is_opted_out(self, page, number):
        """Whether ``number`` replied STOP to ``page``, or staff blacklisted it (Odoo's phone blacklist)."""
        return self.env["booking.sms.opt.out"]._is_opted_out(page, number) or bool(
            self.env["phone.blacklist"].sudo().search_count([("number", "=", number), ("active", "=", True)]))

    @api.model
    def _send(self, page, number, body, appointment=None, partner=None, awaiting=None, awaiting_data=None):
        """Send ``body`` to ``number`` through the page's Twilio account; the message, recorded.

        A number that replied STOP gets nothing (a message ``failed``,
        "opted out", is kept so staff see why). A refusal by Twilio raises,
        so that the outbox retries later.
        """
        message = self.sudo().create({
            "page_id": page.id, "appointment_id": appointment.id if appointment else False,
            "partner_id": partner.id if partner else False, "direction": "out", "number": number, "body": body,
            **self._awaiting_values(awaiting, awaiting_data),
        })
        if self._is_opted_out(page, number):
            message.write({"status": "failed", "error": "opted out (STOP)"})
            return message
        from twilio.base.exceptions import TwilioException  # noqa: PLC0415

        try:
            sent = self._twilio_client(page).messages.create(
                to=number, from_=page.twilio_number, body=body, status_callback=page._twilio_url("status"))
        except (TwilioException, requests.RequestException, OSError) as error:  # refused, or unreachable
            message.write({"status": "failed", "error": str(error)[:500]})
            raise UserError(self.env._("Twilio refused the SMS to %(number)s: %(error)s", number=number,
                                       error=error)) from error
        message.write({"twilio_sid": sent.sid, "status": sent.status if sent.status in (
            "queued", "sent", "delivered", "undelivered", "failed") else "queued"})
        return message

    @api.model
    def _awaiting_values(self, awaiting, data):
        if not awaiting:
            return {}
        return {"awaiting": awaiting, "awaiting_data": json.dumps(data or {}),
                "awaiting_until": fields.Datetime.now() + timedelta(minutes=AWAIT_MINUTES)}

    # === STATUS CALLBACKS === #

    @api.model
    def _on_status(self, page, params):
        """Twilio's delivery report for one of our messages; unknown messages are ignored."""
        message = self.sudo().search([("twilio_sid", "=", params.get("MessageSid") or "-"),
                                      ("page_id", "=", page.id), ("direction", "=", "out")], limit=1)
        status = params.get("MessageStatus")
        if message and status in dict(self._fields["status"].selection):
            message.write({"status": status, "error": params.get("ErrorCode") or False})
        return message

    # === RECEIVING === #

    @api.model
    def _receive(self, page, params):
        """An SMS Twilio received for ``page``: record it, act on it, return the reply text (or "").

        A message received twice (Twilio retries, a replay) is acted on once.
        """
        sid = params.get("MessageSid") or ""
        if not sid or self.sudo().search_count([("twilio_sid", "=", sid)]):
            return ""
        number = self.env["res.partner"]._booking_phone_e164(params.get("From") or "", page._get_country()) or \
            (params.get("From") or "")[:32]
        text = (params.get("Body") or "").strip()[:1600]
        message = self.sudo().create({"page_id": page.id, "direction": "in", "number": number, "body": text,
                                      "twilio_sid": sid, "status": "received"})
        reply, outcome, appointment = message._answer(page, number, text)
        message.write({"outcome": outcome, "appointment_id": appointment.id if appointment else False})
        return reply

    def _answer(self, page, number, text):
        """``(reply, outcome, appointment)`` for this received ``text`` from ``number``: keywords, or a hand-off."""
        words = text.upper().split()
        keyword = words[0].strip(".!") if words else ""
        # opt-out as Twilio and the carriers read it: the whole message is the keyword, for this page only
        OptOut = self.env["booking.sms.opt.out"]
        direction, word = OptOut._keyword(text)
        if direction == "out":
            OptOut._opt_out(page, number, word)
            return (self.env._("%(page)s: you will receive no more text messages. Reply START to receive them "
                               "again.", page=page.name), "opted out", None)
        # YES opts in only a number that opted out (otherwise it is a message like any other)
        if direction == "in" and (word != "YES" or OptOut._is_opted_out(page, number)):
            OptOut._opt_in(page, number)
            return self.env._("%(page)s: text messages are on again.", page=page.name), "opted in", None
        merchant = page._merchant_user_for_number(number)
        if merchant:
            return self._answer_merchant(page, merchant, number, keyword, words)
        return self._answer_customer(page, number, keyword, text)

    # --- the merchant --- #

    @api.model
    def _answer_merchant(self, page, user, number, keyword, words):
        """YES / NO, the reference and the request's code: approve or decline, as the one-tap links do.

        The sender's number names the staff member but proves nothing (a
        sender number can be forged): the answer also carries the six-digit
        code that came only in that request's SMS to staff
        (``_approval_sms_code``). Tries per number are limited, so a code
        cannot be guessed.
        """
        help_text = self.env._("Reply YES or NO with the reference and the code of the request's message, "
                               "e.g. YES BK25-00012 123456.")
        if keyword not in ("YES", "Y", "NO", "N"):
            return help_text, "merchant: not understood", None
        code = next((word for word in words[1:] if SMS_CODE_RE.fullmatch(word)), None)
        reference = next((word for word in words[1:] if REFERENCE_RE.fullmatch(word)
                          and not SMS_CODE_RE.fullmatch(word)), None)
        if not reference or not code:
            return help_text, "merchant: reference and code needed", None
        allowed, _retry = self.env["booking.rate.limit"].sudo()._hit(
            f"sms-approval:{page.id}:{number}", SMS_ANSWERS_PER_HOUR, 60)
        if not allowed:
            return (self.env._("Too many answers from this number: use the link of the request's e-mail."),
                    "merchant: too many tries", None)
        requests = page._pending_requests_for(user).filtered(lambda a: a.name.upper() == reference)
        if len(requests) != 1 or not requests._check_approval_sms_code(code):
            return (self.env._("No request %(ref)s with this code waits for your answer.", ref=reference),
                    "merchant: no such request", None)
        appointment = requests
        try:
            if keyword in ("YES", "Y"):
                appointment.with_user(user)._answer_by_sms("confirm")
                return (self.env._("Approved: %(ref)s, %(customer)s, %(when)s.", ref=appointment.name,
                                   customer=appointment.partner_id.name,
                                   when=appointment._when_label(style="short")), "merchant: approved", appointment)
            appointment.with_user(user)._answer_by_sms("reject")
            return (self.env._("Declined: %(ref)s. The customer is told, with other times.", ref=appointment.name),
                    "merchant: declined", appointment)
        except (UserError, BookingActionRefused) as error:
            return str(error.args[0]), "merchant: refused", appointment

    # --- the customer --- #

    def _answer_customer(self, page, number, keyword, text):
        """C (twice), R / RESCHEDULE then a number; anything else to the receptionist or a person.

        "CANCEL" alone is an opt-out, as for Twilio and the carriers (handled
        before); "cancel my 10:00" asks to cancel, as "C" does.

        With the receptionist on, a message that is no keyword reply talks to
        it, unless it asks to cancel or move the sender's booking (the C and R
        replies), or the sender has a booking and does not ask for another
        (a "running late" is for a person)."""
        appointments = page._upcoming_bookings_for_number(number)
        appointment = appointments[:1]
        cancel = self._question(page, number, "cancel")
        reschedule = self._question(page, number, "reschedule")
        if reschedule and keyword.isascii() and keyword.isdigit() and len(keyword) <= 2:  # "²" is a digit too
            return self._pick_new_time(page, number, reschedule, int(keyword))
        checked_in = self._is_check_in_reply(page, text) and self._answer_check_in(page, number)
        if checked_in:
            return checked_in
        if keyword in ("C", "CANCEL"):
            if cancel:
                return self._confirm_cancel(page, cancel)
            if not appointment:
                return self.env._("You have no upcoming booking with %(page)s.", page=page.name), "no booking", None
            return self._ask_cancel(page, number, appointment)
        if keyword in ("R", "RESCHEDULE"):
            if not appointment:
                return self.env._("You have no upcoming booking with %(page)s.", page=page.name), "no booking", None
            return self._offer_new_times(page, number, appointment)
        Conversation = self.env["booking.conversation"].sudo()
        route = page.receptionist_sms and Conversation._sms_route(page, number, text, appointment)
        if route == "cancel":  # "I need to cancel": as C
            return self._ask_cancel(page, number, appointment)
        if route == "reschedule":  # "Need to reschedule, can we do another day?": as R
            return self._offer_new_times(page, number, appointment)
        if route:
            return Conversation._receive_sms(page, number, text)
        return self._hand_off(page, number, text, appointment)

    @api.model
    def _is_check_in_reply(self, page, text):
        """Whether the whole reply is HERE or one of the page's check-in words."""
        words = {CHECK_IN_WORD, *(check_in_text(word) for word in (page.sms_check_in_words or "").split(","))}
        reply = check_in_text(text)
        return reply in words and not is_reserved_reply(reply)  # a page's word saved before the check holds none

    def _answer_check_in(self, page, number):
        """HERE in reply to a reminder: check in the booking that reminder was about, with the QR link's rules.

        The sender is matched as for C and R (``booking.page._bookings_for_number``:
        a contact verified for the number, or a booking made by texting from
        it); the booking is one whose reminder went out by SMS for its
        present time, the one whose check-in is open first. None when there is
        none: the reply is then a message like any other.
        """
        now = fields.Datetime.now()
        bookings = page._bookings_for_number(number, [("state", "in", ("confirmed", "checked_in")),
                                                      ("stop", ">", now)])
        reminders = self.env["booking.notification"].sudo().search([
            ("appointment_id", "in", bookings.ids), ("event", "=", "reminder"), ("channel", "=", "sms"),
            ("state", "=", "sent")])
        reminded = reminders.filtered(
            lambda n: n.occurrence == f"{n.appointment_id.start:%Y%m%d%H%M%S}").appointment_id.sorted("start")
        appointment = reminded.filtered("check_in_due")[:1] or reminded[:1]
        if not appointment:
            return None  # no reminder of theirs: a message like any other (a person, or the receptionist)
        result, appointment = appointment._check_in_by_reply()
        ref, provider = appointment.name, appointment.provider_id.name
        replies = {
            "checked_in": self.env._("%(page)s: you're checked in for %(service)s. %(provider)s knows you are "
                                     "here.", page=page.name, service=appointment.service_id.name,
                                     provider=provider),
            "already": self.env._("%(page)s: you're already checked in.", page=page.name),
            "too_early": self.env._("%(page)s: check-in for %(ref)s opens at %(time)s. Reply HERE again then.",
                                    page=page.name, ref=ref, time=appointment._format_local(
                                        appointment._check_in_opens_at(), style="time")),
            "ended": self.env._("%(page)s: %(ref)s has ended. Please see the front desk.", page=page.name, ref=ref),
            "by_provider": self.env._("%(page)s: %(provider)s checks you in on arrival, nothing to do.",
                                      page=page.name, provider=provider),
            "busy": self.env._("%(page)s: one moment, reply HERE again in a minute.", page=page.name),
        }
        reply = replies.get(result) or self.env._("%(page)s: %(ref)s cannot be checked in by text message. "
                                                  "Please see the front desk.", page=page.name, ref=ref)
        return reply, f"check-in: {result}", appointment

    def _ask_cancel(self, page, number, appointment):
        preview = appointment._get_cancel_preview()
        if not preview["allowed"]:
            return preview["reason"], "cancel refused", appointment
        refund = preview["refund_amount"]
        money = self.env._(" %(amount)s will be refunded.", amount=appointment.contract_id._fmt(refund)) \
            if refund else (self.env._(" Nothing is refunded under the policy.") if preview["paid"] else "")
        self._send_question(page, number, "cancel", {"id": appointment.id}, appointment=appointment)
        return (self.env._("Cancel %(ref)s, %(service)s %(when)s?%(money)s Reply C to confirm.",
                           ref=appointment.name, service=appointment.service_id.name,
                           when=appointment._when_label(style="short"), money=money), "cancel asked", appointment)

    def _confirm_cancel(self, page, question):
        appointment = self.env["booking.appointment"].sudo().browse(json.loads(question.awaiting_data)["id"]).exists()
        question.awaiting = False
        if not appointment or appointment.state not in UPCOMING_STATES:
            return self.env._("That booking can no longer be cancelled."), "cancel refused", appointment or None
        try:
            appointment._customer_cancel(reason=self.env._("Cancelled by SMS"))
        except BookingActionRefused as error:
            return error.args[0], "cancel refused", appointment
        return (self.env._("%(ref)s is cancelled. %(money)s", ref=appointment.name,
                           money=appointment._format_refund() or ""), "cancelled", appointment)

    def _offer_new_times(self, page, number, appointment):
        check = appointment._get_change_check("reschedule")
        if not check["allowed"]:
            return check["reason"], "reschedule refused", appointment
        today = page._local_today()
        slots = appointment._get_reschedule_slots(today, today + timedelta(days=14))
        picked, days = [], set()
        for slot in slots:  # one per day first: three real choices
            day = page._local(slot.start).date()
            if day not in days:
                picked.append(slot)
                days.add(day)
            if len(picked) == 3:
                break
        picked = picked or slots[:3]
        if not picked:
            return (self.env._("No free time in the next two weeks. Reply with a message and the team will "
                               "help."), "no times", appointment)
        starts = [fields.Datetime.to_string(slot.start) for slot in picked]
        self._send_question(page, number, "reschedule", {"id": appointment.id, "starts": starts},
                            appointment=appointment)
        choices = " ".join(f"{index}) {appointment._when_label(slot.start, style='short')}"
                           for index, slot in enumerate(picked, start=1))
        return (self.env._("Move %(ref)s to: %(choices)s. Reply with the number.", ref=appointment.name,
                           choices=choices), "times offered", appointment)

    def _pick_new_time(self, page, number, question, choice):
        data = json.loads(question.awaiting_data)
        appointment = self.env["booking.appointment"].sudo().browse(data["id"]).exists()
        if not appointment or not 1 <= choice <= len(data["starts"]):
            return self.env._("Reply with one of the numbers offered."), "not understood", appointment or None
        question.awaiting = False
        try:
            appointment._reschedule(fields.Datetime.to_datetime(data["starts"][choice - 1]), moved_by="customer")
        except (SlotUnavailableError, BookingActionRefused) as error:
            return (self.env._("%(reason)s Reply R for other times.", reason=error.args[0]), "move refused",
                    appointment)
        return (self.env._("Done: %(ref)s is now %(when)s.", ref=appointment.name,
                           when=appointment._when_label(style="short")), "moved", appointment)

    def _hand_off(self, page, number, text, appointment):
        """Not a keyword: a person answers. The merchant gets a to-do with the text, and an SMS.

        The to-do is on the booking the sender has, else on this received message.
        """
        record = appointment or self
        summary = self.env._("SMS from %(number)s", number=number)
        note = escape(text)
        user = (appointment.provider_id.user_id if appointment else False) or page.responsible_user_id
        record.sudo().activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note,
                                        user_id=user.id if user else self.env.ref("base.user_admin").id)
        if appointment:
            appointment.sudo()._message_log(body=escape(self.env._("SMS from the customer: %s", text)))
        ref = f" ({appointment.name})" if appointment else ""
        self._alert_merchants(page, self.env._(
            "Customer %(number)s wants to talk to someone%(ref)s: \u201c%(text)s\u201d",
            number=number, ref=ref, text=text[:300]),
            appointment=appointment or None)
        return (self.env._("Thanks, we have passed your message to the team at %(page)s: someone will get back "
                           "to you.", page=page.name), "handed off", appointment or None)

    @api.model
    def _alert_merchants(self, page, text, appointment=None, record=None):
        """An SMS to the page's people (its responsible, the booking's provider).

        Through Twilio when the page has it; else through Odoo SMS, posted on
        ``record`` (the thread the alert is about) when one is given.
        """
        merchants = page._get_merchant_partners(appointment.provider_id if appointment else None)
        if page.sms_gateway != "twilio":
            if record is not None:
                reachable = merchants.filtered(lambda partner: partner.mobile or partner.phone)
                if reachable:
                    record.sudo()._message_sms(text, partner_ids=reachable.ids)
            return
        for merchant in merchants:
            merchant_number = self.env["res.partner"]._booking_phone_e164(
                merchant.mobile or merchant.phone or "", page._get_country())
            if not merchant_number:
                continue
            try:
                self._send(page, merchant_number, text, appointment=appointment, partner=merchant)
            except UserError:
                _logger.info("SMS to the merchant %s not sent", merchant_number)

    # --- questions and answers --- #

    @api.model
    def _question(self, page, number, kind):
        """The open question of ``kind`` sent to ``number`` by ``page``, if any."""
        return self.sudo().search([("page_id", "=", page.id), ("number", "=", number), ("direction", "=", "out"),
                                   ("awaiting", "=", kind), ("awaiting_until", ">", fields.Datetime.now())],
                                  limit=1)

    @api.model
    def _send_question(self, page, number, kind, data, appointment=None):
        """Remember a question the reply (sent as the webhook's answer) asks; older ones of the number close."""
        self.sudo().search([("page_id", "=", page.id), ("number", "=", number), ("awaiting", "!=", False)]).write(
            {"awaiting": False})
        return self.sudo().create({
            "page_id": page.id, "direction": "out", "number": number, "status": "sent",
            "appointment_id": appointment.id if appointment else False,
            "body": self.env._("(question: %s)", kind), **self._awaiting_values(kind, data),
        })
