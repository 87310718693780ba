import json
import logging
from datetime import timedelta

import pytz
from babel.dates import format_date
from babel.dates import format_time
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.translate import get_translation

from ..const import MAX_SLOT_RANGE_DAYS
from ..engine import conversation as engine
from ..exceptions import SlotUnavailableError

_logger = logging.getLogger(__name__)

MAX_TEXT = 500  # characters of one message the receptionist reads
ALERTS_PER_HOUR = 10  # urgent SMS to a page's people by hand-offs: beyond, the activity only
HAND_OFF_REASONS = [
    ("asked", "Asked for a person"),
    ("beyond", "More than a booking"),
    ("misunderstood", "Misunderstood twice"),
    ("refused", "Refused by the page's rules"),
    ("nothing_bookable", "Nothing to book"),
]


class BookingConversation(models.Model):
    """A customer booking by conversation with the receptionist, over SMS or the website's live chat.

    The conversation itself is ``engine/conversation.py`` (plain Python): this
    model keeps its state (``engine_state``, JSON), the transcript staff read,
    and what it led to. :class:`PageDesk` gives the engine the page's rules:
    the services, free times and booking of the page itself, so a booking made
    here is checked like one made on the page.
    """

    _name = "booking.conversation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Booking Conversation"
    _order = "last_activity desc, id desc"
    _rec_names_search = ["customer_name", "customer_contact", "number"]

    # === WHERE === #
    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    channel = fields.Selection([("sms", "SMS"), ("livechat", "Live chat")], required=True, readonly=True)
    number = fields.Char(readonly=True, index="btree_not_null", help="The customer's number (SMS), E.164.")
    discuss_channel_id = fields.Many2one("discuss.channel", string="Live Chat", readonly=True,
                                         ondelete="set null", index="btree_not_null")
    lang = fields.Char(readonly=True, help="The language the receptionist speaks in this conversation.")
    remote_addr = fields.Char(string="Address", readonly=True,
                              help="The live-chat visitor's network address: limits count per address.")

    # === WHO AND WHAT CAME OF IT === #
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, ondelete="set null")
    customer_name = fields.Char(readonly=True)
    customer_contact = fields.Char(string="Contact", readonly=True)
    appointment_id = fields.Many2one("booking.appointment", string="Booking", readonly=True, ondelete="set null",
                                     index="btree_not_null")
    waitlist_id = fields.Many2one("booking.waitlist", readonly=True, ondelete="set null")
    state = fields.Selection(
        selection=[("open", "Open"), ("handed_off", "Handed off"), ("closed", "Closed")],
        required=True, default="open", readonly=True, tracking=True, index=True,
    )
    hand_off_reason = fields.Selection(HAND_OFF_REASONS, readonly=True)
    engine_state = fields.Text(readonly=True, groups="base.group_system", default="{}")
    turn_ids = fields.One2many("booking.conversation.turn", "conversation_id", string="Transcript", readonly=True)
    last_activity = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    last_message_id = fields.Integer(readonly=True, help="The last live-chat message answered: each is answered once.")
    next_reply = fields.Text(readonly=True, help="The live chat's answer, posted as the receptionist's next step.")

    # === FIGURES (the rates are computed by the analysis, booking.conversation.report) === #
    is_booked = fields.Boolean(string="Became a Booking", readonly=True)
    is_handed_off = fields.Boolean(string="Handed Off", readonly=True)
    turn_count = fields.Integer(string="Messages Exchanged", readonly=True)

    @api.depends("channel", "customer_name", "number", "create_date")
    def _compute_display_name(self):
        for conversation in self:
            who = conversation.customer_name or conversation.number or self.env._("Visitor")
            channel = dict(self._fields["channel"]._description_selection(self.env)).get(conversation.channel, "")
            conversation.display_name = f"{channel}: {who}"

    # === FINDING THE CONVERSATION OF A MESSAGE === #

    @api.model
    def _get_open(self, page, domain):
        """The conversation going on (open, or handed off) matching ``domain`` on ``page``.

        One quiet for longer than the page's period is closed first: the next
        message starts a new one.
        """
        conversation = self.sudo().search(
            [("page_id", "=", page.id), ("state", "in", ("open", "handed_off")), *domain], limit=1)
        quiet = timedelta(hours=page.receptionist_quiet_hours or 12)
        if conversation and conversation.last_activity < fields.Datetime.now() - quiet:
            conversation.state = "closed"
            return self.sudo()
        return conversation

    @api.model
    def _start(self, page, channel, **values):
        partner = values.get("partner_id") and self.env["res.partner"].browse(values["partner_id"])
        state = engine.new_state(phone=values.get("number"), email=partner.email if partner else None,
                                 name=partner.name if partner else None)
        lang = values.pop("lang", None) or page.company_id.partner_id.lang or "en_US"
        return self.sudo().create({"page_id": page.id, "channel": channel, "lang": lang,
                                   "engine_state": json.dumps(state), **values})

    # === THE SMS CHANNEL === #

    @api.model
    def _sms_route(self, page, number, text, appointment):
        """Where an SMS that is no keyword reply goes, for ``booking.sms``.

        ``"cancel"`` or ``"reschedule"``: the SMS replies that cancel or move
        ``appointment`` (the sender's next upcoming booking), for free text
        that asks it ("Need to reschedule, can we do another day?"), as the
        C and R keywords do; unless the customer is choosing a time for a
        new booking in the conversation (then "another day" is about the times
        offered). ``"receptionist"``: an open conversation continues; a sender
        without an upcoming booking starts one; a customer with a booking does
        only when the message names a service (a new booking). False: a
        person answers ("running late" is for a person; an unpublished page
        takes no bookings).
        """
        if not page.is_published:
            return False
        conversation = self._get_open(page, [("channel", "=", "sms"), ("number", "=", number)])
        if not appointment:
            return "receptionist"
        services = [(s.id, s.name, s.receptionist_keywords or "") for s in page.sudo()._get_bookable_services()]
        reading = engine.RuleUnderstanding().read(text[:MAX_TEXT], services=services,
                                                  now=page._local_now().replace(tzinfo=None))
        choosing = conversation and json.loads(conversation.engine_state or "{}").get("step") in \
            ("times", "day", "waitlist")
        if reading.intent == "cancel" or (reading.intent == "reschedule" and not choosing):
            return reading.intent
        if conversation:
            return "receptionist"
        return "receptionist" if reading.services and reading.intent not in ("human", "beyond") else False

    @api.model
    def _receive_sms(self, page, number, text):
        """An SMS for the receptionist: ``(reply, outcome, appointment)`` for ``booking.sms``."""
        conversation = self._get_open(page, [("channel", "=", "sms"), ("number", "=", number)]) or \
            self._start(page, "sms", number=number)
        if conversation._over_rate_limit():
            return "", "receptionist: rate limited", None
        turn = conversation._receive(text)
        outcome = f"receptionist: {turn.event}" if turn.event else "receptionist"
        return turn.reply, outcome, conversation.appointment_id or None

    def _over_rate_limit(self):
        """More customer messages in the last hour than the page allows (by number for SMS, by chat otherwise)."""
        self.ensure_one()
        limit = self.page_id.receptionist_messages_per_hour
        if not limit:
            return False
        domain = [("author", "=", "customer"), ("create_date", ">", fields.Datetime.now() - timedelta(hours=1))]
        if self.channel == "sms":
            domain += [("conversation_id.page_id", "=", self.page_id.id), ("conversation_id.number", "=", self.number)]
        elif self.remote_addr:  # every chat of one address: a new chat is no new allowance
            domain += [("conversation_id.page_id", "=", self.page_id.id),
                       ("conversation_id.remote_addr", "=", self.remote_addr)]
        else:
            domain += [("conversation_id", "=", self.id)]
        return self.env["booking.conversation.turn"].sudo().search_count(domain, limit=limit) >= limit

    # === THE LIVE CHAT CHANNEL === #

    @api.model
    def _for_livechat(self, page, discuss_channel):
        """The conversation of a live chat, started on its first message.

        A signed-in visitor (not the public user) is the customer they proved
        to be; a guest is a stranger whose details are asked.
        """
        conversation = self._get_open(page, [("discuss_channel_id", "=", discuss_channel.id)])
        if conversation:
            return conversation
        user = self.env.user
        partner = user.partner_id if not user._is_public() and not user._is_superuser() else False
        remote_addr = request.httprequest.remote_addr if request else False
        return self._start(page, "livechat", discuss_channel_id=discuss_channel.id, remote_addr=remote_addr,
                           partner_id=partner.id if partner else False, lang=self.env.lang)

    def _receive_livechat(self, message):
        """A visitor's chat message: answered once; the answer waits in ``next_reply`` for the bot's step."""
        self.ensure_one()
        if message.id <= self.last_message_id:
            return None
        self.last_message_id = message.id
        if self._over_rate_limit():
            self.next_reply = self.env._("Let's pause here: the team will read this conversation and get back "
                                         "to you.")
            return None
        turn = self._receive(tools.html2plaintext(message.body or ""))
        self.next_reply = turn.reply
        return turn

    # === TALKING === #

    def _receptionist(self):
        self.ensure_one()
        return engine.Receptionist(PageDesk(self))

    def _greeting(self):
        return self._receptionist().greet()

    def _receive(self, text):
        """The customer's message: recorded, answered. Returns the engine's :class:`~engine.conversation.Turn`.

        Runs as superuser (the customer is a stranger; the page's rules are
        what protects the merchant) inside a savepoint per booking attempt.
        """
        self.ensure_one()
        conversation = self.sudo()
        text = " ".join((text or "").split())[:MAX_TEXT]
        # the customer's words first: a hand-off during this turn sends the whole transcript
        said = conversation.turn_ids.create({"conversation_id": conversation.id, "author": "customer", "body": text})
        state = json.loads(conversation.engine_state or "{}")
        turn = conversation.with_context(lang=conversation.lang)._receptionist().reply(state, text)
        said.understood = turn.understood
        values = {
            "engine_state": json.dumps(turn.state),
            "last_activity": fields.Datetime.now(),
            "turn_count": conversation.turn_count + 2,
            "customer_name": turn.state.get("name") or conversation.customer_name,
            "customer_contact": turn.state.get("phone") or turn.state.get("email") or conversation.customer_contact,
            "turn_ids": [fields.Command.create({"author": "receptionist", "body": turn.reply})],
        }
        if turn.event == "handed_off":
            values.update(state="handed_off", hand_off_reason=turn.state.get("hand_off_reason"), is_handed_off=True)
        conversation.write(values)
        if turn.event == "contact_given":
            conversation._message_log(body=self.env._("The customer left a way to reach them: %(contact)s",
                                                      contact=values["customer_contact"]))
        return turn

    @api.model
    def _html(self, text):
        """A receptionist's answer as chat HTML: lines kept, links clickable."""
        return tools.plaintext2html(text)

    def _transcript_html(self):
        self.ensure_one()
        labels = dict(self.env["booking.conversation.turn"]._fields["author"]._description_selection(self.env))
        lines = [Markup("<li><b>%s</b>: %s</li>") % (labels[turn.author], turn.body or "") for turn in self.turn_ids]
        return Markup("<ul>%s</ul>") % Markup().join(lines)

    # === WHAT STAFF DO === #

    def action_close(self):
        """Staff end the receptionist's part (the conversation is read-only to them otherwise)."""
        self.check_access("read")
        self.sudo().write({"state": "closed"})

    def action_open_booking(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "booking.appointment", "res_id": self.appointment_id.id,
                "view_mode": "form"}

    # === THE BOOKING'S NEWS, TOLD IN THE CONVERSATION === #

    def _on_booking_state_changed(self, appointment, old_state):
        """The booking made in these conversations went from ``old_state`` to its state: the conversation follows.

        Called by the appointment's conversation layer
        (``booking_appointment_conversation.py``, ``_on_state_changed``;
        ``self``: the conversations of ``appointment``, sudo) on every state
        change of a booking made by SMS or in the chat, whoever made the
        change and whatever channel tells the customer. The conversation's state always follows
        (:meth:`engine.conversation.Receptionist.booking_update`): a declined
        request, an unpaid hold or a cancelled booking reopens it at "which
        day?", an expired request or a finished visit closes it, so the
        customer's next text is never answered "You're all set" for a booking
        that will not take place. What the customer is told is said in the
        conversation, unless the page's own rule sends it by SMS already (an
        SMS conversation does not say it twice) or the customer cancelled
        (they know).
        """
        event = self._booking_event(appointment, old_state)
        if not event:
            return
        rule_event = {"approved": "confirmed", "declined": "declined", "expired": "declined",
                      "cancelled": "cancelled"}.get(event)
        texted = bool(rule_event) and any(
            rule.active and rule.event == rule_event and rule.channel in ("sms", "email_sms")
            for rule in appointment.page_id.sudo().notification_rule_ids)
        for conversation in self.sudo().filtered(lambda c: c.appointment_id == appointment):
            before = json.loads(conversation.engine_state or "{}")
            receptionist = conversation.with_context(lang=conversation.lang)._receptionist()
            state, text = receptionist.booking_update(before, event, reference=appointment.name)
            values = {"engine_state": json.dumps(state)}
            if event in ("declined", "expired", "hold_expired"):
                values["is_booked"] = False  # a request nobody took, a hold nobody paid: no conversion
            if state["status"] != before.get("status", engine.OPEN):
                values["state"] = {engine.CLOSED: "closed", engine.HANDED_OFF: "handed_off"}.get(state["status"],
                                                                                                 "open")
                if values["state"] == "open":
                    values["last_activity"] = fields.Datetime.now()  # reopened: the quiet period starts again
            conversation.write(values)
            if text and not (conversation.channel == "sms" and texted):
                conversation._say(text, appointment=appointment)

    @api.model
    def _booking_event(self, appointment, old_state):
        """What a state change of ``appointment`` means to its conversation (``engine`` events), or None."""
        state = appointment.state
        if state == old_state:
            return None
        if state == "confirmed":
            return "approved" if old_state == "pending" else None
        if state == "rejected":
            return "declined"
        if state == "expired":
            return "expired" if old_state == "pending" else "hold_expired"
        if state == "cancelled":
            return "cancelled_by_customer" if appointment.cancelled_by == "customer" else "cancelled"
        if state in ("done", "no_show"):
            return "finished"
        return None

    def _say(self, text, appointment=None):
        """Send ``text`` to the customer on the conversation's channel, and keep it in the transcript."""
        self.ensure_one()
        self.write({"turn_ids": [fields.Command.create({"author": "receptionist", "body": text})],
                    "turn_count": self.turn_count + 1})
        if self.channel == "sms" and appointment:
            # through the outbox, after this transaction, retried: an SMS gateway never blocks nor rolls back
            # the approval or the expiry that this message tells (DESIGN.md invariant 6)
            self.env["booking.notification"].sudo()._enqueue(
                self.page_id, "receptionist_message", f"receptionist_message:{self.id}:{self.turn_ids[-1:].id}",
                appointment, channel="sms", values={"text": text})
        elif self.channel == "livechat" and self.discuss_channel_id:
            script = self.discuss_channel_id.sudo().chatbot_current_step_id.chatbot_script_id or \
                self.page_id.chatbot_script_id
            if script:
                self.discuss_channel_id._chatbot_post_message(script, self._html(text))

    # === A PERSON TAKES OVER === #

    def _hand_off(self, reason, details):
        """A person takes over: a live-chat operator online now, else the page's responsible by activity and SMS.

        :return: an :class:`engine.conversation.HandOff` saying who answers.
        """
        self.ensure_one()
        operators = self._live_operators()
        if operators:
            # Odoo's forward step picks one of them: a name only when there is no choice
            who = operators.livechat_username or operators.name if len(operators) == 1 else self.env._("Someone")
            return engine.HandOff(live=True, who=who)
        return self._hand_off_offline(reason, details)

    def _hand_off_offline(self, reason, details):
        """An Odoo activity with the transcript for the page's responsible, and an urgent SMS (rate-limited)."""
        self.ensure_one()
        page = self.page_id
        who_user = page.responsible_user_id or self.env.ref("base.user_admin")
        staff = self.with_context(lang=who_user.lang or self.env.lang)  # the merchant reads it in their language
        reasons = dict(self._fields["hand_off_reason"]._description_selection(staff.env))
        contact = details.get("phone") or details.get("email") or self.number or ""
        name = details.get("name") or staff.env._("A customer")
        summary = staff.env._("Call %(name)s %(contact)s: %(reason)s", name=name, contact=contact,
                              reason=reasons.get(reason, reason))
        last = next((t.body for t in reversed(self.turn_ids) if t.author == "customer"), "")
        note = Markup("<p>%s</p>%s") % (details.get("why") or "", self._transcript_html())
        self.activity_schedule("mail.mail_activity_data_call", summary=summary[:200], note=note,
                               user_id=who_user.id)
        allowed, _retry, _hit = self.env["booking.rate.limit"].sudo()._take(
            f"receptionist-alerts:{page.id}", ALERTS_PER_HOUR, 60)
        if allowed:
            alert = staff.env._(
                "URGENT: %(name)s wants to talk to someone (%(channel)s). Contact: %(contact)s. "
                "Context: \u201c%(text)s\u201d Please get back to them ASAP.",
                name=name, channel=dict(self._fields["channel"]._description_selection(staff.env))[self.channel],
                contact=contact or staff.env._("asked in the chat"), text=(last or "")[:200])
            self.env["booking.sms"].sudo()._alert_merchants(page, alert, record=self)
        return engine.HandOff(live=False, who=who_user.partner_id.name or page.name)

    def _live_operators(self):
        """The live-chat operators online now, for a conversation in the live chat; else an empty recordset."""
        self.ensure_one()
        channel = self.discuss_channel_id.sudo()
        if self.channel != "livechat" or not channel.livechat_channel_id:
            return self.env["res.users"]
        return channel.livechat_channel_id.available_operator_ids.filtered(lambda user: not user._is_public())

    def _hand_off_missed(self):
        """The live hand-off found nobody after all (the operator left meanwhile): the offline hand-off, its words."""
        self.ensure_one()
        state = json.loads(self.engine_state or "{}")
        receptionist = self.with_context(lang=self.lang)._receptionist()
        details = {key: state.get(key) for key in ("name", "phone", "email")}
        hand_off = self._hand_off_offline(state.get("hand_off_reason") or "asked", details)
        text = receptionist.hand_off_text(state, state.get("hand_off_reason") or "asked", hand_off)
        self.write({"turn_ids": [fields.Command.create({"author": "receptionist", "body": text})],
                    "turn_count": self.turn_count + 1})
        return text


class PageDesk(engine.Desk):
    """The business behind the receptionist: a page, its rules and its people (``engine.Desk``)."""

    def __init__(self, conversation):
        self.conversation = conversation
        self.page = conversation.page_id.sudo()
        self.env = conversation.env
        self.lang = conversation.lang or "en_US"
        self.business_name = self.page.name
        partner = self.page.partner_id or self.page.company_id.partner_id
        self.business_phone = partner.phone or partner.mobile or ""
        self.zone = pytz.timezone(self.page.tz or "UTC")

    # --- words --- #

    def translate(self, text, **params):
        return get_translation("self_serve_booking", self.lang, text, params)

    def when(self, start):
        locale = self.lang if self.lang in self._languages() else "en_US"
        return f"{format_date(start, 'EEEE', locale=locale)} {format_time(start, 'short', locale=locale)}"

    def day_label(self, day):
        locale = self.lang if self.lang in self._languages() else "en_US"
        return format_date(day, "EEEE d MMMM", locale=locale)

    def _languages(self):
        return dict(self.env["res.lang"].get_installed())

    # --- time --- #

    def now(self):
        return self.page._local_now().replace(tzinfo=None)

    def _to_utc(self, local):
        return self.zone.localize(local).astimezone(pytz.utc).replace(tzinfo=None)

    # --- what can be booked --- #

    def services(self):
        return [engine.Service(service.id, service.name, at_customer=service.location == "customer",
                               keywords=service.receptionist_keywords or "")
                for service in self.page._get_bookable_services()]

    def free_times(self, service_id, day_from, day_to):
        page = self.page
        service = page._get_bookable_services().filtered(lambda s: s.id == service_id)
        day_from = max(day_from, page._local_today())
        day_to = min(day_to, page._last_bookable_date(), day_from + timedelta(days=MAX_SLOT_RANGE_DAYS - 1))
        if not service or day_to < day_from:
            return []
        slots, _open = page._get_open_slots(service, self.env["booking.provider"], day_from, day_to)
        return sorted({page._local(slot.start).replace(tzinfo=None) for slot in slots})

    # --- acting --- #

    def _customer(self, details):
        return {"name": details.get("name") or "", "email": details.get("email") or "",
                "phone": details.get("phone") or ""}

    def _proven_partner(self):
        """The customer who proved who they are: a signed-in visitor of the live chat. SMS senders never are."""
        partner = self.conversation.partner_id
        return partner if partner and not partner.booking_unverified and self.conversation.channel == "livechat" \
            else None

    def _take_rate_limit(self):
        """Count a booking or a waitlist entry against the customer, on the API's own counters.

        :raise engine.Limited: beyond the page's limit; nobody is alerted.
        """
        page, conversation = self.page, self.conversation
        if conversation.channel == "sms":
            client = f"sms:{conversation.number}"
        elif conversation.partner_id and not conversation.partner_id.booking_unverified:
            users = conversation.partner_id.user_ids
            client = f"user:{users[0].id}" if users else f"partner:{conversation.partner_id.id}"  # the API's key
        else:
            client = conversation.remote_addr or "unknown"
        allowed, retry_after, _hit = self.env["booking.rate.limit"].sudo()._take_page_write(page, client)
        if not allowed:
            raise engine.Limited(self.env._("Too many requests from you. Try again in %(minutes)s minute(s).",
                                            minutes=max(1, round(retry_after / 60))))

    def book(self, details):
        page, conversation = self.page, self.conversation
        Appointment = self.env["booking.appointment"].sudo()
        self._take_rate_limit()
        service = page._get_bookable_services().filtered(lambda s: s.id == details["service_id"])
        try:
            with self.env.cr.savepoint():
                appointment = Appointment._book_online(
                    page, service, self.env["booking.provider"], self._to_utc(details["start"]),
                    customer=self._customer(details), note=details.get("notes") or None,
                    source=conversation.channel if conversation.channel == "sms" else "chat",
                    partner=self._proven_partner(), address=details.get("address"))
        except SlotUnavailableError:
            raise engine.TimeTaken() from None
        except (UserError, ValidationError) as error:
            raise engine.Refused(str(error.args[0])) from error
        conversation.write({"appointment_id": appointment.id, "partner_id": appointment.partner_id.id,
                            "is_booked": True})
        link = page.get_base_url() + appointment._get_confirmation_url()
        deposit = ""
        if appointment.state == "pending_payment" and appointment.contract_id:
            deposit = appointment.contract_id._fmt(appointment.contract_id.amount_deposit)
        return engine.Booked(reference=appointment.name, state=appointment.state,
                             start=page._local(appointment.start).replace(tzinfo=None),
                             pay_url=link, deposit=deposit, pay_within_minutes=page.payment_hold_minutes or 15,
                             link="" if appointment.state == "pending_payment" else link)

    def join_waitlist(self, details, day):
        page, conversation = self.page, self.conversation
        service = page._get_bookable_services().filtered(lambda s: s.id == details["service_id"])
        self._take_rate_limit()
        try:
            with self.env.cr.savepoint():
                entry = self.env["booking.waitlist"].sudo()._join(
                    page, service, self.env["booking.provider"], day, customer=self._customer(details),
                    note=details.get("notes") or None, source="chat" if conversation.channel == "livechat" else "sms",
                    partner=self._proven_partner(), address=details.get("address"))
        except (UserError, ValidationError) as error:
            raise engine.Refused(str(error.args[0])) from error
        conversation.write({"waitlist_id": entry.id, "partner_id": entry.partner_id.id})

    def hand_off(self, reason, details):
        return self.conversation._hand_off(reason, details)

    def check_contact(self, phone=None, email=None):
        Partner = self.env["res.partner"]
        return (Partner._booking_phone_e164(phone, self.page._get_country()) if phone else None) or None, \
            (tools.email_normalize(email) if email else None) or None
