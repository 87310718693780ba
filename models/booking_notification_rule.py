from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# event: (recipient, default mail template, default SMS template, record model)
EVENTS = {
    "request_received": ("customer", "mail_template_booking_request_received", "sms_template_booking_request_received",
                         "booking.appointment"),
    "confirmed": ("customer", "mail_template_booking_confirmed", "sms_template_booking_confirmed",
                  "booking.appointment"),
    "declined": ("customer", "mail_template_booking_declined", "sms_template_booking_declined",
                 "booking.appointment"),
    "cancelled": ("customer", "mail_template_booking_cancelled", "sms_template_booking_cancelled",
                  "booking.appointment"),
    "rescheduled": ("customer", "mail_template_booking_rescheduled", "sms_template_booking_rescheduled",
                    "booking.appointment"),
    "reminder": ("customer", "mail_template_booking_reminder", "sms_template_booking_reminder",
                 "booking.appointment"),
    "rebook_reminder": ("customer", "mail_template_booking_rebook_reminder", "sms_template_booking_rebook_reminder",
                        "booking.appointment"),
    "receipt": ("customer", "mail_template_booking_receipt", "sms_template_booking_receipt", "booking.appointment"),
    "waitlist_offer": ("customer", "mail_template_booking_waitlist_offer", "sms_template_booking_waitlist_offer",
                       "booking.waitlist"),
    "waitlist_joined": ("customer", "mail_template_booking_waitlist_joined", "sms_template_booking_waitlist_joined",
                        "booking.waitlist"),
    # at checkout while something is still due (else the receipt carries it): what was done, care instructions
    "visit_summary": ("customer", "mail_template_booking_visit_summary", "sms_template_booking_visit_summary",
                      "booking.appointment"),
    "new_booking": ("merchant", "mail_template_booking_new_booking", "sms_template_booking_merchant_new_booking",
                    "booking.appointment"),
    "new_request": ("merchant", "mail_template_booking_new_request", "sms_template_booking_merchant_new_request",
                    "booking.appointment"),
    "request_nudge": ("merchant", "mail_template_booking_request_nudge", "sms_template_booking_merchant_request_nudge",
                      "booking.appointment"),
    "customer_cancelled": ("merchant", "mail_template_booking_customer_cancelled",
                           "sms_template_booking_merchant_cancelled", "booking.appointment"),
    "customer_rescheduled": ("merchant", "mail_template_booking_customer_rescheduled",
                             "sms_template_booking_merchant_rescheduled", "booking.appointment"),
    "agenda": ("merchant", "mail_template_booking_agenda", "sms_template_booking_agenda", "booking.provider"),
    # after a completed booking, the customer is asked for a review
    "review_request": ("customer", "mail_template_booking_review_request", "sms_template_booking_review_request",
                       "booking.appointment"),
    # not a page rule's occasion: what the receptionist says by SMS after the conversation (the request's news)
    "receptionist_message": ("customer", False, "sms_template_booking_receptionist_message", "booking.appointment"),
    # not a page rule's occasion: the provider's "on my way" (booking_appointment_on_my_way.py)
    "on_my_way": ("customer", "mail_template_booking_on_my_way", "sms_template_booking_on_my_way",
                  "booking.appointment"),
}
EVENT_SELECTION = [
    ("request_received", "Customer: request received"),
    ("confirmed", "Customer: booking confirmed"),
    ("declined", "Customer: request declined or expired"),
    ("cancelled", "Customer: booking cancelled"),
    ("rescheduled", "Customer: booking moved"),
    ("reminder", "Customer: reminder"),
    ("rebook_reminder", "Customer: time to book again (follow-up)"),
    ("receipt", "Customer: receipt"),
    ("waitlist_joined", "Customer: on the waitlist (what they asked for)"),
    ("waitlist_offer", "Customer: waitlist offer"),
    ("visit_summary", "Customer: visit summary (when a balance is still due)"),
    ("new_booking", "Merchant: new online booking"),
    ("new_request", "Merchant: new request to approve"),
    ("request_nudge", "Merchant: request still unanswered"),
    ("customer_cancelled", "Merchant: customer cancelled"),
    ("customer_rescheduled", "Merchant: customer moved a booking"),
    ("agenda", "Merchant: tomorrow's agenda (each provider)"),
    ("review_request", "Customer: review request (after the visit)"),
]
# The outbox's occasions: the rules' and the receptionist's own messages
OUTBOX_EVENT_SELECTION = [*EVENT_SELECTION, ("receptionist_message", "Customer: the receptionist's message"),
                          ("on_my_way", "Customer: the provider is on the way")]
# What a new page sends, by which channel (and, for reminders, how long before).
DEFAULT_RULES = [
    ("request_received", "email", 0.0),
    ("confirmed", "email", 0.0),
    ("declined", "email", 0.0),
    ("cancelled", "email", 0.0),
    ("rescheduled", "email", 0.0),
    ("reminder", "email", 24.0),
    ("reminder", "sms", 2.0),
    ("rebook_reminder", "email", 0.0),
    ("receipt", "email", 0.0),
    ("waitlist_offer", "email_sms", 0.0),
    ("new_booking", "email", 0.0),
    ("new_booking", "inbox", 0.0),
    ("new_request", "email", 0.0),
    ("new_request", "inbox", 0.0),
    ("request_nudge", "email", 0.0),
    ("customer_cancelled", "email", 0.0),
    ("customer_rescheduled", "email", 0.0),
    ("agenda", "email", 18.0),
    # by e-mail: the receipt's SMS goes at the same moment, one text at checkout is enough (a page may choose
    # "E-mail and SMS" for this rule; the SMS text is there)
    ("review_request", "email", 0.0),
    # by the channel the customer gave (e-mail, else SMS; see booking.waitlist._notify_joined)
    ("waitlist_joined", "email_sms", 0.0),
    ("visit_summary", "email", 0.0),
]
# The occasions people act on from their phone: with an SMS gateway set up, a new page sends them by e-mail and SMS
# (of the reminders, the one shortly before: the day-before reminder stays an e-mail).
SMS_WORTHY_EVENTS = ("confirmed", "reminder", "new_request", "declined", "rescheduled", "request_nudge")
SMS_WORTHY_REMINDER_HOURS = 3.0
# Hours a reminder or the agenda gets when none is given
DEFAULT_OFFSETS = {"reminder": 24.0, "agenda": 18.0}


def is_sms_worthy(event, offset_hours=0.0):
    """Whether the occasion ``event`` (a reminder ``offset_hours`` before) goes by SMS too once SMS is set up."""
    return event in SMS_WORTHY_EVENTS and (event != "reminder" or (offset_hours or 0) <= SMS_WORTHY_REMINDER_HOURS)


def default_rules(sms=False):
    """``(event, channel, offset)`` of a new page's rules; ``sms``: the page can send SMS."""
    return [
        (event, "email_sms" if sms and channel in ("email", "sms") and is_sms_worthy(event, offset) else channel,
         offset)
        for event, channel, offset in DEFAULT_RULES
    ]


class BookingNotificationRule(models.Model):
    """Which message a page sends on which occasion, by e-mail, SMS or both.

    The texts are editable ``mail.template`` and ``sms.template`` records
    (defaults per occasion, or one chosen here); reminders say how many hours
    before the start they go out, and a page may have several.
    """

    _name = "booking.notification.rule"
    _description = "Booking Notification Rule"
    _order = "page_id, sequence, id"

    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    event = fields.Selection(selection=EVENT_SELECTION, string="Occasion", required=True)
    recipient = fields.Selection(
        selection=[("customer", "Customer"), ("merchant", "Merchant")], compute="_compute_recipient"
    )
    channel = fields.Selection(
        selection=[("email", "E-mail"), ("sms", "SMS"), ("email_sms", "E-mail and SMS"),
                   ("inbox", "Odoo notification")],
        required=True,
        default="email",
    )
    offset_hours = fields.Float(
        string="Hours", help="Reminders: how long before the start they go out. Agenda: the local hour it goes "
        "out the evening before (e.g. 18 for 6 PM).")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', 'in', ('booking.appointment', 'booking.waitlist', 'booking.provider'))]",
        help="Empty: the default template of this occasion.",
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template",
        domain="[('model', 'in', ('booking.appointment', 'booking.waitlist', 'booking.provider'))]",
        help="Empty: the default SMS template of this occasion.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # a reminder (or the agenda) saved without its hours gets the usual ones, not an error
            if vals.get("event") in DEFAULT_OFFSETS and not vals.get("offset_hours"):
                vals["offset_hours"] = DEFAULT_OFFSETS[vals["event"]]
        return super().create(vals_list)

    def write(self, vals):
        if "page_id" in vals and any(rule.page_id.id != vals["page_id"] for rule in self):
            # a rule is part of its page's set-up (and the company's rules guard the page it is on, not
            # the one it would move to)
            raise UserError(self.env._("A notification rule stays on its page: add the rule to the other page."))
        if vals.get("event") in DEFAULT_OFFSETS and "offset_hours" not in vals:
            # a rule turned into a reminder (or the agenda) without its hours gets the usual ones
            bare = self.filtered(lambda rule: not rule.offset_hours)
            if bare:
                super(BookingNotificationRule, bare).write({"offset_hours": DEFAULT_OFFSETS[vals["event"]]})
        pages = self.page_id
        result = super().write(vals)
        if {"active", "event", "channel"} & set(vals):
            pages._check_confirmation_rule()
        return result

    def unlink(self):
        pages = self.page_id
        result = super().unlink()
        pages.exists()._check_confirmation_rule()
        return result

    @api.onchange("event")
    def _onchange_event(self):
        """The form: a reminder starts at 24 h, the agenda at 18 h (6 PM the evening before)."""
        if self.event in DEFAULT_OFFSETS and not self.offset_hours:
            self.offset_hours = DEFAULT_OFFSETS[self.event]

    @api.depends("event")
    def _compute_recipient(self):
        for rule in self:
            rule.recipient = EVENTS[rule.event][0] if rule.event else False

    @api.constrains("event", "offset_hours", "channel")
    def _check_rule(self):
        for rule in self:
            if rule.event == "reminder" and not 0 < rule.offset_hours <= 24 * 14:
                raise ValidationError(self.env._("A reminder goes out between a few minutes and 14 days before."))
            if rule.event == "agenda" and not 12 <= rule.offset_hours < 24:
                raise ValidationError(self.env._("The agenda goes out the evening before: between 12 and 24 h."))
            if rule.channel == "inbox" and EVENTS[rule.event][0] != "merchant":
                raise ValidationError(self.env._(
                    "Odoo notifications reach staff: customers get e-mails and SMS."))
            if rule.channel in ("sms", "email_sms") and not rule._get_sms_template():
                raise ValidationError(self.env._("There is no SMS text for %(event)s: pick an SMS template.",
                                                 event=dict(EVENT_SELECTION)[rule.event]))

    def _get_mail_template(self):
        self.ensure_one()
        xmlid = EVENTS[self.event][1]
        return self.mail_template_id or self.env.ref(f"self_serve_booking.{xmlid}", raise_if_not_found=False)

    def _get_sms_template(self):
        self.ensure_one()
        xmlid = EVENTS[self.event][2]
        return self.sms_template_id or (
            self.env.ref(f"self_serve_booking.{xmlid}", raise_if_not_found=False) if xmlid else False
        )

    def _channels(self):
        self.ensure_one()
        return ("email", "sms") if self.channel == "email_sms" else (self.channel,)
