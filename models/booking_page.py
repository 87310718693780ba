import json
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote as url_quote

import phonenumbers
import pytz
from babel import dates as babel_dates
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import html2plaintext, is_html_empty
from odoo.tools.misc import babel_locale_parse

from odoo.addons.base.models.res_partner import _tz_get

from ..const import MAX_SLOT_RANGE_DAYS
from ..const import SLUG_MAX_LENGTH
from ..const import SLUG_RE
from ..exceptions import BookingInputError
from .booking_sms import check_in_text
from .booking_sms import is_reserved_reply


class BookingPage(models.Model):
    """A merchant's public booking page, served at ``/p/<slug>``.

    The page is the unit a customer sees: which services and providers are
    offered, in which time zone, under which rules (notice, horizon, slot
    grid, approval, guests) and which cancellation policy.
    """

    _name = "booking.page"
    _inherit = [
        "website.published.multi.mixin", "website.seo.metadata", "mail.thread", "mail.activity.mixin", "image.mixin",
    ]
    _description = "Booking Page"
    _order = "sequence, name, id"
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(required=True, translate=True, tracking=True)
    slug = fields.Char(
        required=True,
        copy=False,
        index=True,
        tracking=True,
        help="The page address: /p/<slug>. Lower-case letters, digits and dashes.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Business Address",
        default=lambda self: self.env.company.partner_id,
        check_company=True,
        help="Address, phone and e-mail shown on the page and in messages.",
    )
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        required=True,
        default=lambda self: self.env.user.tz or self.env.company.partner_id.tz or "UTC",
        help="Times on the page, in messages and in the portal are shown in this time zone.",
    )
    description = fields.Html(translate=True, sanitize_attributes=True, help="Introduction shown on the page.")
    # image_1920 (image.mixin): the picture a link to the page shows when shared (Open Graph), e.g. the shop front
    currency_id = fields.Many2one(related="company_id.currency_id")

    # === OFFER === #
    service_ids = fields.Many2many(
        "booking.service", "booking_page_service_rel", "page_id", "service_id", string="Services", check_company=True
    )
    provider_ids = fields.Many2many(
        "booking.provider",
        "booking_page_provider_rel",
        "page_id",
        "provider_id",
        string="Providers",
        check_company=True,
    )
    show_providers = fields.Boolean(
        default=True, help="Let customers see and choose providers; otherwise one is assigned."
    )

    # === RULES === #
    auto_confirm = fields.Boolean(
        string="Skip Approvals",
        default=False,
        help="Confirm every booking at once, also of services that require approval. Off: what each service "
        "says happens (services that require approval wait for your answer, the others are confirmed at once).",
    )
    auto_confirmed_service_ids = fields.Many2many(
        "booking.service", string="Confirmed Without Approval", compute="_compute_auto_confirmed_service_ids",
        help="Services of this page that require approval, but are confirmed at once here because the page "
        "skips approvals.",
    )
    allow_guest_booking = fields.Boolean(
        string="Guest Booking", default=True, help="Customers may book without signing in."
    )
    allow_overlapping_bookings = fields.Boolean(
        string="Overlapping Bookings",
        help="Let a customer hold bookings at the same time (two services side by side, several people). "
        "Otherwise a second booking of theirs overlapping the first is refused.",
    )
    cancellation_policy_id = fields.Many2one(
        "booking.cancellation.policy",
        default=lambda self: self.env.ref(
            "self_serve_booking.booking_cancellation_policy_standard", raise_if_not_found=False
        ),
        check_company=True,
    )
    min_notice_hours = fields.Float(
        string="Minimum Notice", default=2.0, help="Hours between the moment of booking and the start, at least.")
    max_advance_days = fields.Integer(string="Book Up To (days ahead)", default=60)
    slot_step_minutes = fields.Integer(
        string="Slot Interval (minutes)",
        help="Distance between two proposed start times. Empty: the duration of the service.",
    )

    # === PAYMENTS AND FOLLOW-UP === #
    payment_hold_minutes = fields.Integer(
        string="Payment Hold (minutes)",
        default=15,
        help="How long a booking waiting for its deposit keeps its time.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        check_company=True,
        domain="[('share', '=', False)]",
        help="Gets the to-dos nobody else is assigned: refunds to make by hand, unpaid balances.",
    )

    check_in_opens_minutes = fields.Integer(
        string="Check-in Opens (minutes before)",
        default=60,
        help="From when customers can check in with their QR code; it closes at the end of the appointment.",
    )
    sms_check_in_words = fields.Char(
        string="Check-in Words (SMS)",
        help="Besides HERE, what a customer may reply to the reminder's SMS to check in (Twilio), separated by "
             "commas: e.g. ARRIVED, IM HERE. Within the check-in window only, as the QR code.",
    )

    # === AUTOMATION === #
    notification_rule_ids = fields.One2many(
        "booking.notification.rule", "page_id", string="Notifications", copy=True,
        default=lambda self: self._default_notification_rules(),
        help="Which messages this page sends, by which channel; reminders say how long before.",
    )
    approval_nudge_hours = fields.Float(
        string="Remind Approvers After",
        default=2.0,
        help="A request nobody answered within this time is sent to the approvers again. 0: never.",
    )
    approval_expiry_hours = fields.Float(
        string="Requests Expire After",
        default=4.0,
        help="A request nobody answered within this time expires: the customer is told, refunded and "
        "invited to book another time. 0: requests wait until their start.",
    )
    waitlist_offer_minutes = fields.Integer(
        string="Waitlist Offers Last (minutes)",
        default=30,
        help="When a time frees up, the first matching customer on the waitlist has it to themselves "
        "this long; then it goes to the next one.",
    )
    sync_provider_calendars = fields.Boolean(
        string="Providers' Calendars",
        default=True,
        help="Put each appointment in its provider's Odoo Calendar (and so in their Google or Outlook "
        "calendar when synchronised); busy events there block the provider's availability.",
    )

    # === SMS GATEWAY === #
    sms_gateway = fields.Selection(
        selection=[("odoo", "Odoo SMS (outbound only)"), ("twilio", "Twilio (two-way)")],
        string="SMS Gateway", default="odoo", required=True,
        help="Odoo SMS (IAP) sends; Twilio sends and receives: customers and staff can answer by SMS.",
    )
    # secrets, as payment providers keep theirs: read and written by administrators only
    twilio_account_sid = fields.Char(string="Twilio Account SID", groups="base.group_system", copy=False)
    twilio_auth_token = fields.Char(
        groups="base.group_system", copy=False,
        help="Signs Twilio's requests to this page's webhooks: requests without its signature are refused.")
    twilio_number = fields.Char(groups="self_serve_booking.group_booking_manager",
                                help="The number messages come from, in E.164 (+14155550123).")
    twilio_sms_url = fields.Char(string="Messaging Webhook", compute="_compute_twilio_urls",
                                 help="Paste it in Twilio: the number's \"A message comes in\" webhook (HTTP POST).")

    # === THE RECEPTIONIST (booking by conversation) === #
    receptionist_sms = fields.Boolean(
        string="Receptionist by SMS",
        help="A text to the page's Twilio number that is no keyword reply starts a conversation with the "
        "receptionist, which books, offers the waitlist or hands over to a person.",
    )
    receptionist_livechat = fields.Boolean(
        string="Receptionist in the Live Chat",
        help="On the page's website, the live chat's \"Book by chat\" receptionist answers first; a person "
        "takes over when asked, or when it is more than a booking.",
    )
    chatbot_script_id = fields.Many2one("chatbot.script", string="Chat Receptionist", readonly=True, copy=False,
                                        ondelete="set null")
    livechat_channel_id = fields.Many2one(
        "im_livechat.channel", string="Live Chat Channel", copy=False,
        help="The live chat of the page's website; its operators take over from the receptionist.")
    receptionist_quiet_hours = fields.Float(
        string="Conversation Expires After", default=12.0,
        help="A conversation nobody wrote in for this long is closed: the next message starts a new one.")
    receptionist_messages_per_hour = fields.Integer(
        string="Messages per Number and Hour", default=20,
        help="Beyond this, the receptionist stops answering that number for the hour (abuse, loops with "
        "another robot).",
    )

    # === ABUSE LIMITS === #
    rate_limit_count = fields.Integer(
        string="Bookings per Visitor",
        default=5,
        help="How many bookings and waitlist requests one address may send in the window. 0: no limit.",
    )
    rate_limit_minutes = fields.Integer(string="Per (minutes)", default=10)

    # === FOLLOW-UP === #
    appointment_ids = fields.One2many("booking.appointment", "page_id", string="Appointments")
    appointment_count = fields.Integer(compute="_compute_appointment_count")

    _sql_constraints = [
        ("slug_unique", "UNIQUE(slug)", "This page address is already used by another page."),
    ]

    # === COMPUTES === #

    @api.depends("slug")
    def _compute_twilio_urls(self):
        for page in self:
            page.twilio_sms_url = page._twilio_url("sms") if page.slug else False

    @api.depends("slug")
    def _compute_website_url(self):
        for page in self:
            page.website_url = f"/p/{page.slug}" if page.slug else "#"

    @api.depends("auto_confirm", "service_ids.requires_approval")
    def _compute_auto_confirmed_service_ids(self):
        for page in self:
            page.auto_confirmed_service_ids = page.service_ids.filtered("requires_approval") if page.auto_confirm \
                else page.service_ids.browse()

    def _compute_appointment_count(self):
        counts = dict(
            self.env["booking.appointment"]._read_group([("page_id", "in", self.ids)], ["page_id"], ["__count"])
        )
        for page in self:
            page.appointment_count = counts.get(page, 0)

    # === CONSTRAINTS === #

    @api.constrains("sms_gateway", "twilio_account_sid", "twilio_auth_token", "twilio_number")
    def _check_twilio(self):
        for page in self.sudo().filtered(lambda p: p.sms_gateway == "twilio"):
            if not (page.twilio_account_sid and page.twilio_auth_token and page.twilio_number):
                raise ValidationError(self.env._(
                    "Twilio needs the account SID, the auth token (an administrator enters them) and the number."))
            if not re.fullmatch(r"\+[1-9]\d{6,14}", page.twilio_number.strip()):
                raise ValidationError(self.env._("Write the Twilio number in E.164, e.g. +14155550123."))

    @api.constrains("slug")
    def _check_slug(self):
        for page in self:
            if len(page.slug) > SLUG_MAX_LENGTH or not SLUG_RE.match(page.slug):
                raise ValidationError(
                    self.env._(
                        "The page address %(slug)r may only hold lower-case letters, digits and single dashes "
                        "(at most %(max)s characters), e.g. serenity-spa.",
                        slug=page.slug,
                        max=SLUG_MAX_LENGTH,
                    )
                )

    @api.constrains("sms_check_in_words")
    def _check_sms_check_in_words(self):
        """A check-in word never shadows a reply that means something else (C confirming a cancellation, STOP,
        a number picking a new time): a customer's reply does what it says."""
        for page in self:
            for raw in (page.sms_check_in_words or "").split(","):
                word = check_in_text(raw)
                if word and is_reserved_reply(word):
                    raise ValidationError(self.env._(
                        "%(word)r already means something in a reply (cancel, reschedule, stop, start, help or "
                        "a number): choose another check-in word.", word=raw.strip()))

    @api.constrains("receptionist_sms", "sms_gateway")
    def _check_receptionist_sms(self):
        if self.filtered(lambda page: page.receptionist_sms and page.sms_gateway != "twilio"):
            raise ValidationError(self.env._("The receptionist answers SMS through Twilio: choose Twilio (two-way) "
                                             "as the SMS gateway first."))

    @api.constrains("min_notice_hours", "max_advance_days", "slot_step_minutes", "rate_limit_count",
                    "rate_limit_minutes", "payment_hold_minutes", "check_in_opens_minutes", "approval_nudge_hours",
                    "receptionist_quiet_hours", "receptionist_messages_per_hour",
                    "approval_expiry_hours", "waitlist_offer_minutes")
    def _check_rules(self):
        for page in self:
            if page.min_notice_hours < 0:
                raise ValidationError(self.env._("The minimum notice cannot be negative."))
            if not 1 <= page.max_advance_days <= 730:
                raise ValidationError(self.env._("Bookings can be taken from 1 to 730 days ahead."))
            if page.slot_step_minutes and not 5 <= page.slot_step_minutes <= 24 * 60:
                raise ValidationError(self.env._("The slot interval lies between 5 minutes and 24 hours."))
            if not 0 <= page.check_in_opens_minutes <= 24 * 60:
                raise ValidationError(self.env._("Check-in opens between 0 minutes and 24 hours before the start."))
            if not 1 <= page.payment_hold_minutes <= 24 * 60:
                raise ValidationError(self.env._("A payment hold lasts from 1 minute to 24 hours."))
            if page.approval_nudge_hours < 0 or page.approval_expiry_hours < 0:
                raise ValidationError(self.env._("Approval delays cannot be negative."))
            if page.approval_expiry_hours and page.approval_nudge_hours >= page.approval_expiry_hours:
                raise ValidationError(
                    self.env._("Approvers are reminded of a request before it expires, not after."))
            if not 1 <= page.waitlist_offer_minutes <= 7 * 24 * 60:
                raise ValidationError(self.env._("A waitlist offer lasts from 1 minute to 7 days."))
            if page.receptionist_quiet_hours <= 0 or page.receptionist_messages_per_hour < 0:
                raise ValidationError(self.env._(
                    "A conversation expires after a positive number of hours, and the messages per hour cannot "
                    "be negative."))
            if page.rate_limit_count < 0 or not 1 <= page.rate_limit_minutes <= 24 * 60:
                raise ValidationError(
                    self.env._("The booking limit is a number of requests per 1 minute to 24 hours.")
                )

    # === CRUD === #

    @api.model
    def _slug_from_name(self, name, exclude_ids=()):
        """A free slug derived from ``name`` (``spa``, ``spa-2``, ...)."""
        base = self.env["ir.http"]._slugify(name or "", max_length=SLUG_MAX_LENGTH - 4) or "booking"
        candidate, n = base, 1
        while self.with_context(active_test=False).search_count(
            [("slug", "=", candidate), ("id", "not in", list(exclude_ids))], limit=1
        ):
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("slug"):
                vals["slug"] = vals["slug"].strip().lower()
            else:
                vals["slug"] = self._slug_from_name(vals.get("name"))
        pages = super().create(vals_list)
        pages.filtered("receptionist_livechat")._ensure_chat_receptionist()
        return pages

    def write(self, vals):
        if vals.get("slug"):
            vals["slug"] = vals["slug"].strip().lower()
        result = super().write(vals)
        if vals.get("receptionist_livechat"):
            self._ensure_chat_receptionist()
        elif "receptionist_livechat" in vals or vals.get("active") is False:
            # switched off: the chat no longer offers it (the script stays, for its conversations' history)
            self.sudo().chatbot_script_id.active = False
        if vals.get("receptionist_livechat") or vals.get("active"):
            self.sudo().filtered("receptionist_livechat").chatbot_script_id.active = True
        return result

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for page, vals in zip(self, vals_list, strict=True):
            vals["name"] = self.env._("%s (copy)", page.name)
        return vals_list

    @api.onchange("name")
    def _onchange_name(self):
        if self.name and not self.slug:
            self.slug = self._slug_from_name(self.name, exclude_ids=self._origin.ids)

    # === BUSINESS METHODS === #

    @api.model
    def _get_served_page(self, slug, website=None, preview=False):
        """The published page at ``slug`` served by ``website``, or an empty recordset (sudo).

        :param preview: also return unpublished pages of the user's companies
            (managers previewing).
        """
        if not isinstance(slug, str) or not slug or len(slug) > SLUG_MAX_LENGTH or not SLUG_RE.match(slug):
            return self.browse()
        page = self.sudo().search([("slug", "=", slug)], limit=1)
        if not page or not (page.is_published or (preview and page.company_id in self.env.user.company_ids)):
            return self.browse()
        if website and not page._is_served_by(website):
            return self.browse()
        return page

    def _is_served_by(self, website):
        """A page is served by its website, or, without one, by the websites of its company only."""
        self.ensure_one()
        if self.website_id:
            return self.website_id == website
        return self.company_id == website.company_id

    def _get_bookable_services(self):
        """Published, active services of this page that somebody can deliver."""
        self.ensure_one()
        providers = self._get_bookable_providers()
        return self.service_ids.filtered(lambda s: s.is_published and s.active and s.provider_ids & providers)

    def _get_bookable_providers(self, service=None):
        """Active providers of this page, restricted to ``service`` if given."""
        self.ensure_one()
        providers = self.provider_ids.filtered("active")
        if service:
            providers &= service.provider_ids
        return providers

    def _get_bookable_service(self, service_id, field="service_id", offer=None):
        """The service ``service_id`` if customers can book it here; else a 400 on ``field``.

        As ``_get_bookable_services``, from the page's offer
        (``booking.availability._get_offer``: one query, no record read).
        """
        self.ensure_one()
        if not isinstance(self.id, int):
            service = self._get_bookable_services().filtered(lambda s: s.id == service_id)
        else:
            offer = offer or self.env["booking.availability"]._get_offer(self)
            published, provider_ids = offer.services.get(service_id, (False, ())) \
                if isinstance(service_id, (int, float)) else (False, ())
            service = self.env["booking.service"].browse(int(service_id) if published and provider_ids else ())
        if not service:
            raise BookingInputError({field: self.env._("is not a service offered on this page")})
        return service

    def _get_bookable_provider(self, service, provider_id, field="provider_id", offer=None):
        """The provider ``provider_id`` if customers can choose them for ``service`` here.

        As ``_get_bookable_providers(service)``, from the page's offer.

        :return: the provider, or an empty recordset for "any available" (no ``provider_id``).
        :raise BookingInputError: a 400 on ``field``.
        """
        self.ensure_one()
        if not provider_id:
            return self.env["booking.provider"].sudo()
        if not self.show_providers:
            raise BookingInputError({field: self.env._("cannot be chosen on this page: leave it empty")})
        if not isinstance(self.id, int):
            provider = self._get_bookable_providers(service).filtered(lambda p: p.id == provider_id)
        else:
            Availability = self.env["booking.availability"]
            provider_ids = Availability._offer_provider_ids(offer or Availability._get_offer(self), service.id)
            found = isinstance(provider_id, (int, float)) and provider_id in provider_ids
            provider = self.env["booking.provider"].browse(int(provider_id) if found else ())
        if not provider:
            raise BookingInputError({field: self.env._("does not deliver this service on this page")})
        return provider

    def _get_bookable_service_provider(self, service_id, provider_id):
        """``(service, provider)`` of a customer's request: ``_get_bookable_service`` and
        ``_get_bookable_provider`` on one reading of the page's offer (400s on ``service_id``, ``provider_id``).
        """
        self.ensure_one()
        offer = self.env["booking.availability"]._get_offer(self) if isinstance(self.id, int) else None
        service = self._get_bookable_service(service_id, offer=offer)
        return service, self._get_bookable_provider(service, provider_id, offer=offer)

    def _get_open_slots(self, service, provider, date_from, date_to=None, duration_minutes=None):
        """What customers may book between two local dates: ``(slots, open_dates)``.

        Within ``MAX_SLOT_RANGE_DAYS`` and the booking horizon, else a 400
        naming the date at fault; see ``booking.availability._get_days``.
        """
        self.ensure_one()
        date_to = self._check_slot_range(date_from, date_to)
        return self.env["booking.availability"].sudo()._get_days(
            self, service, date_from, date_to, providers=provider or None, duration_minutes=duration_minutes)

    def _get_open_start_days(self, service, provider, date_from, date_to=None, duration_minutes=None):
        """``_get_open_slots`` in the size of what a customer sees: ``(days, open_dates)``.

        Each free time once per local day, "any available" included (the
        provider is assigned at booking); see
        ``booking.availability._get_start_days``. Same limits and errors.
        """
        self.ensure_one()
        date_to = self._check_slot_range(date_from, date_to)
        return self.env["booking.availability"].sudo()._get_start_days(
            self, service, date_from, date_to, providers=provider or None, duration_minutes=duration_minutes,
            with_open_days=True)

    def _check_slot_range(self, date_from, date_to=None):
        """The range's last date (``date_from`` when none); a 400 naming the date at fault when too long or
        beyond the horizon."""
        self.ensure_one()
        date_to = date_to or date_from
        errors = {}
        if date_to < date_from:
            errors["date_to"] = self.env._("must not be before date_from")
        elif (date_to - date_from).days >= MAX_SLOT_RANGE_DAYS:
            errors["date_to"] = self.env._("is more than %(days)s days after date_from", days=MAX_SLOT_RANGE_DAYS)
        last = self._last_bookable_date()
        if date_from > last:
            errors["date_from"] = self.env._("is beyond the booking horizon (%(date)s)", date=last.isoformat())
        elif date_to > last:
            errors["date_to"] = self.env._("is beyond the booking horizon (%(date)s)", date=last.isoformat())
        if errors:
            raise BookingInputError(errors)
        return date_to

    def _check_start(self, start, field="start"):
        """Refuse a customer's start (naive UTC) in the past, within the minimum notice or beyond the horizon."""
        self.ensure_one()
        now = fields.Datetime.now()
        if start <= now:
            raise BookingInputError({field: self.env._("is in the past")})
        if start < now + timedelta(hours=self.min_notice_hours):
            hours = f"{self.min_notice_hours:g}"
            raise BookingInputError({field: self.env._("is too soon: bookings need %(hours)s hours' notice",
                                                       hours=hours)})
        if start >= now + timedelta(days=self.max_advance_days):
            raise BookingInputError({field: self.env._(
                "is too far ahead: bookings open %(days)s days in advance", days=self.max_advance_days)})

    def _get_slot_step_minutes(self, service):
        self.ensure_one()
        return self.slot_step_minutes or service.duration_minutes

    def _has_description(self):
        self.ensure_one()
        return not is_html_empty(self.description)

    @api.model
    def _demo_enable_payment_provider(self):
        """Demo data: let the spa take deposits with Odoo's demo provider, when installed.

        The addon does not depend on payment_demo; ``bin/demo`` installs it
        first so a fresh demo database takes (fake) payments out of the box.
        """
        if self.env["ir.module.module"]._get("payment_demo").state != "installed":
            return False
        provider = self.env.ref("payment.payment_provider_demo", raise_if_not_found=False)
        if provider:
            provider.write({"state": "test", "is_published": True})
        return bool(provider)

    def _get_merchant_partners(self, provider=None):
        """Who gets the merchant's messages: the page's responsible and the provider's user."""
        self.ensure_one()
        users = self.responsible_user_id | (provider.user_id if provider else self.env["res.users"])
        return users.filtered("active").partner_id

    def _bus_channel(self):
        """Public bus channel of the page: availability changes are announced there."""
        self.ensure_one()
        return f"self_serve_booking.page.{self.id}"

    def _local_now(self):
        """Now, on the page's wall clock (aware datetime; ``fields.Datetime.now`` so tests can freeze it)."""
        self.ensure_one()
        return pytz.utc.localize(fields.Datetime.now()).astimezone(pytz.timezone(self.tz))

    def _local_today(self):
        """Today's date in the page's time zone."""
        self.ensure_one()
        return self._local_now().date()

    def _last_bookable_date(self):
        """The last local date with a possible slot: the horizon's day."""
        self.ensure_one()
        horizon = datetime.now(pytz.utc) + timedelta(days=self.max_advance_days)
        return horizon.astimezone(pytz.timezone(self.tz)).date()

    # === THE RECEPTIONIST === #

    def _ensure_chat_receptionist(self):
        """Make the live chat of the page's website answer with the receptionist.

        Odoo's live chat, with a bot script whose answering step is the
        conversation engine (see ``chatbot.script.step``) and a rule that
        shows it on the website; its operators take over on a hand-off.
        """
        Channel = self.env["im_livechat.channel"].sudo()
        for page in self.sudo():
            website = page.website_id or self.env["website"].sudo().search(
                [("company_id", "=", page.company_id.id)], order="sequence, id", limit=1)
            channel = page.livechat_channel_id or website.channel_id or Channel.create({"name": page.name})
            channel.is_published = True
            script = page.chatbot_script_id or page._create_chatbot_script()
            if script not in channel.rule_ids.chatbot_script_id:
                # on the page itself (the rule reads the full URL; a slug is letters, digits and dashes):
                # the website's other chat rules (a hidden chat, another bot) stay as they are
                self.env["im_livechat.channel.rule"].sudo().create({
                    "channel_id": channel.id, "chatbot_script_id": script.id, "action": "display_button",
                    "sequence": 5, "regex_url": f"/p/{page.slug}(?:[/?#]|$)",
                })
            page.write({"livechat_channel_id": channel.id, "chatbot_script_id": script.id})
            if website and not website.channel_id:
                website.channel_id = channel

    def _create_chatbot_script(self):
        """The chat bot of the receptionist: the engine's step, then Odoo's forward to an operator."""
        self.ensure_one()
        page = self.with_context(lang=self.company_id.partner_id.lang or "en_US")
        return self.env["chatbot.script"].sudo().create({
            "title": page.env._("%(page)s booking assistant", page=page.name),
            "booking_page_id": page.id,
            "script_step_ids": [
                Command.create({"sequence": 1, "step_type": "free_input_single", "message": page.env._(
                    "Hi! I'm the booking assistant of %(business)s. What would you like to book?",
                    business=page.name)}),
                Command.create({"sequence": 2, "step_type": "forward_operator", "message": False}),
            ],
        })

    # === DATES AND TIMES FOR PEOPLE === #

    def _local(self, value):
        """``value`` (naive UTC, or its string) as an aware datetime in the page's time zone."""
        self.ensure_one()
        value = fields.Datetime.to_datetime(value)
        return pytz.utc.localize(value).astimezone(pytz.timezone(self.tz or "UTC"))

    def _tz_abbreviation(self, local):
        """The zone's usual abbreviation at that moment (CET, CEST, PST), else its offset (UTC+03:00)."""
        name = local.tzname() or ""
        if name.isalpha():
            return name
        offset = local.strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"

    def _format_when(self, value, style="long", with_tz=True, lang=None):
        """A date and time for a customer, the one format of each style everywhere they read it.

        In the page's time zone, in the reader's language (``lang``, else the
        environment's), with the zone's abbreviation so that nobody has to
        guess which 10:00 it is:

        - ``long``: Sunday, November 29, 2026, 10:00 AM CET (pages, e-mails)
        - ``short``: Sun, Nov 29, 10:00 AM CET (lists, SMS, buttons)
        - ``date``: Sunday, November 29, 2026 · ``day``: Sun, Nov 29
        - ``time``: 10:00 AM
        """
        self.ensure_one()
        if not value:
            return ""
        locale = babel_locale_parse(lang or self.env.lang or "en_US")
        if isinstance(value, date) and not isinstance(value, datetime):  # a local day already
            return babel_dates.format_date(value, "full", locale=locale) if style == "date" else \
                babel_dates.format_skeleton("MMMEd", datetime.combine(value, time(12)), locale=locale)
        local = self._local(value)
        clock = babel_dates.format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
        zone = f" {self._tz_abbreviation(local)}" if with_tz else ""
        if style == "time":
            return f"{clock}{zone}"
        if style in ("date", "day"):
            day = babel_dates.format_date(local.date(), "full", locale=locale) if style == "date" else \
                babel_dates.format_skeleton("MMMEd", local, tzinfo=local.tzinfo, locale=locale)
            return day
        if style == "short":
            day = babel_dates.format_skeleton("MMMEd", local, tzinfo=local.tzinfo, locale=locale)
        else:
            day = babel_dates.format_date(local.date(), "full", locale=locale)
        return f"{day}, {clock}{zone}"

    def _tz_label(self, lang=None):
        """The page's time zone for people: "Central European Time (CET)", never an IANA name."""
        self.ensure_one()
        local = self._local(fields.Datetime.now())
        locale = babel_locale_parse(lang or self.env.lang or "en_US")
        name = babel_dates.get_timezone_name(local, width="long", locale=locale)
        return f"{name} ({self._tz_abbreviation(local)})"

    # === SMS THROUGH TWILIO === #

    def _twilio_url(self, kind):
        """The webhook Twilio calls for this page: ``sms`` (replies) or ``status`` (delivery reports)."""
        self.ensure_one()
        return f"{self.get_base_url()}/booking/twilio/{self.slug}/{kind}"

    def _merchant_user_for_number(self, number):
        """The staff user (page responsible, or a provider's user) whose phone is ``number``, if exactly one."""
        self.ensure_one()
        users = (self.responsible_user_id | self.provider_ids.user_id).filtered(
            lambda user: user.active and not user.share)
        Partner = self.env["res.partner"]
        matches = users.filtered(lambda user: number in {
            Partner._booking_phone_e164(phone, self._get_country())
            for phone in (user.partner_id.mobile, user.partner_id.phone) if phone})
        return matches if len(matches) == 1 else self.env["res.users"]

    def _pending_requests_for(self, user):
        """Requests of this page waiting for ``user``'s answer (the responsible answers all), oldest first."""
        self.ensure_one()
        domain = [("page_id", "=", self.id), ("state", "=", "pending")]
        if user != self.responsible_user_id:
            domain.append(("provider_id.user_id", "=", user.id))
        return self.env["booking.appointment"].sudo().search(domain, order="pending_since, id")

    def _upcoming_bookings_for_number(self, number):
        return self._bookings_for_number(number, [("state", "in", ("pending", "confirmed")),
                                                  ("start", ">", fields.Datetime.now())])

    def _bookings_for_number(self, number, domain):
        """Bookings on this page (``domain`` among them) made from the phone ``number`` or of a contact verified
        for it; ``_upcoming_bookings_for_number``: the upcoming ones (the C and R replies).

        A contact verified for that very number (DESIGN.md invariant 11), or
        a booking its owner made by texting from it (the SMS receptionist),
        while it is still the customer's it was made for: a booking staff
        gave to another customer since is theirs, out of the texter's reach
        (as the booking's signed links). A stranger who typed someone's
        number on a form made a contact holding it, which the number's owner
        must never act on.
        """
        self.ensure_one()
        texted = self.env["booking.conversation"].sudo().search([
            ("page_id", "=", self.id), ("channel", "=", "sms"), ("number", "=", number),
            ("appointment_id", "!=", False)]).filtered(
            lambda conversation: conversation.appointment_id.partner_id == conversation.partner_id).appointment_id
        return self.env["booking.appointment"].sudo().search([
            ("page_id", "=", self.id),
            "|", ("partner_id.booking_verified_phone", "=", number), ("id", "in", texted.ids),
            *domain,
        ], order="start")

    def _get_country(self):
        """Country used to read phone numbers given without an international prefix."""
        self.ensure_one()
        return self.partner_id.country_id or self.company_id.country_id

    def _phone_example(self):
        """An example mobile number of the page's country, written internationally, for form hints."""
        self.ensure_one()
        country = self._get_country()
        if not country.code:
            return ""
        number = phonenumbers.example_number_for_type(country.code, phonenumbers.PhoneNumberType.MOBILE)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL) if number else ""

    def _get_address_text(self):
        self.ensure_one()
        partner = self.partner_id
        if not partner:
            return ""
        parts = [partner.street, partner.street2, " ".join(filter(None, [partner.zip, partner.city])),
                 partner.state_id.name, partner.country_id.name]
        return ", ".join(part for part in parts if part)

    def _get_map_url(self):
        self.ensure_one()
        address = self._get_address_text()
        return f"https://www.google.com/maps/search/?api=1&query={url_quote(address)}" if address else ""

    def _get_opening_hours(self):
        """Weekly opening hours: the union of the providers' attendances, per weekday.

        :return: list of ``(weekday name, [(from, to), ...])`` with ``HH:MM``
            strings, Monday first; days without hours are listed as closed.
        """
        self.ensure_one()
        per_day = {day: [] for day in range(7)}
        calendars = self._get_bookable_providers().resource_calendar_id
        for attendance in calendars.attendance_ids.filtered(lambda a: not a.display_type and a.day_period != "lunch"):
            if attendance.resource_id or (attendance.date_to and attendance.date_to < fields.Date.today()):
                continue
            per_day[int(attendance.dayofweek)].append((attendance.hour_from, attendance.hour_to))
        names = dict(self.env["resource.calendar.attendance"]._fields["dayofweek"]._description_selection(self.env))

        def hhmm(value):
            hours, minutes = divmod(round(value * 60), 60)
            return f"{hours:02d}:{minutes:02d}"

        hours = []
        for day in range(7):
            merged = []
            for start, stop in sorted(per_day[day]):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], stop)
                else:
                    merged.append([start, stop])
            hours.append((names[str(day)], [(hhmm(a), hhmm(b)) for a, b in merged]))
        return hours

    def _default_website_meta(self):
        res = super()._default_website_meta()
        description = self.website_meta_description or html2plaintext(self.description or "")[:300]
        res["default_opengraph"].update({
            "og:title": self.website_meta_title or self.name,
            "og:description": description,
            "og:url": f"{self.get_base_url()}{self.website_url}",
        })
        image = self._get_share_image_url()
        if image:
            res["default_opengraph"]["og:image"] = image
            res["default_twitter"]["twitter:image"] = image
        res["default_twitter"].update({"twitter:title": self.website_meta_title or self.name,
                                       "twitter:description": description})
        res["default_meta_description"] = description
        return res

    def _get_share_image_url(self):
        """The picture a shared link to the page shows: the page's image, else the company's logo.

        Through the page's own public image route: visitors cannot read the
        page record, so ``/web/image`` would not serve them its image. A
        picture set in the website's SEO dialog still wins (``get_website_meta``).
        """
        self.ensure_one()
        base = self.get_base_url()
        if self.image_1920:
            unique = int(self.write_date.timestamp()) if self.write_date else 0
            return f"{base}/p/{self.slug}/image/page/{self.id}?unique={unique}"
        if self.company_id.logo:
            return f"{base}/logo.png?company={self.company_id.id}"
        return ""

    # === REVIEWS === #
    # Answered ratings of the page's bookings (rating.rating, see
    # models/rating_rating.py): averages per service and provider and the
    # latest published ones, for the page, its structured data and the API.

    reviews_enabled = fields.Boolean(
        string="Ask for Reviews", default=True,
        help="After a completed booking the customer is asked once for 1-5 stars and a comment.")
    reviews_auto_publish = fields.Boolean(
        string="Publish Reviews at Once", default=True,
        help="Off: staff publish each review themselves before it shows on the page.")
    reviews_show = fields.Boolean(string="Show Reviews on the Page", default=True)

    def _review_domain(self, service=None, provider=None):
        self.ensure_one()
        # answered through the review link (booking_answered_at), published
        domain = [("booking_page_id", "=", self.id), ("consumed", "=", True), ("is_internal", "=", False),
                  ("booking_answered_at", "!=", False),
                  ("booking_service_id", "in", self._get_bookable_services().ids)]
        if service:
            domain.append(("booking_service_id", "=", service.id))
        if provider:
            domain.append(("booking_provider_id", "=", provider.id))
        return domain

    def _get_review_stats(self):
        """Published reviews' average and count: the page's, and per service and per provider (one query each).

        :return: ``{"page": (avg, count), "services": {id: (avg, count)}, "providers": {id: (avg, count)}}``
        """
        self.ensure_one()
        Rating = self.env["rating.rating"].sudo()
        domain = self._review_domain()
        stats = {"page": (0.0, 0), "services": {}, "providers": {}}
        for (avg, count) in Rating._read_group(domain, [], ["rating:avg", "__count"]):
            stats["page"] = (round(avg or 0.0, 1), count)
        for key, field in (("services", "booking_service_id"), ("providers", "booking_provider_id")):
            for record, avg, count in Rating._read_group(domain, [field], ["rating:avg", "__count"]):
                if record:
                    stats[key][record.id] = (round(avg or 0.0, 1), count)
        return stats

    def _get_recent_reviews(self, service=None, provider=None, limit=5):
        """The latest published reviews (``rating.rating``, sudo), newest first."""
        self.ensure_one()
        return self.env["rating.rating"].sudo().search(
            self._review_domain(service, provider), order="booking_answered_at desc, id desc", limit=limit)

    def _get_review_json_ld(self, stats=None, reviews=None):
        """schema.org structured data of the page's reviews: the business's ``aggregateRating`` and its
        services' (search engines show the stars), with the latest reviews; "" when there are none."""
        self.ensure_one()
        stats = stats or self._get_review_stats()
        avg, count = stats["page"]
        if not count:
            return ""
        reviews = reviews if reviews is not None else self._get_recent_reviews()

        def aggregate(value, number):
            return {"@type": "AggregateRating", "ratingValue": value, "reviewCount": number,
                    "bestRating": 5, "worstRating": 1}

        offers = []
        for service in self._get_bookable_services():
            if service.id in stats["services"]:
                offers.append({"@type": "Offer", "itemOffered": {
                    "@type": "Service", "name": service.name,
                    "aggregateRating": aggregate(*stats["services"][service.id])}})
        data = {
            "@context": "https://schema.org",
            "@type": "LocalBusiness",
            "name": self.name,
            "url": f"{self.get_base_url()}/p/{self.slug}",
            "aggregateRating": aggregate(avg, count),
            "review": [{
                "@type": "Review",
                "author": {"@type": "Person", "name": review._booking_author_label()},
                "datePublished": review._booking_public_payload()["date"],
                "reviewRating": {"@type": "Rating", "ratingValue": round(review.rating),
                                 "bestRating": 5, "worstRating": 1},
                "reviewBody": review.feedback or "",
            } for review in reviews],
        }
        if offers:
            data["makesOffer"] = offers
        # inside <script>: no "<" may close it early, whatever a customer wrote
        return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
                      .replace("&", "\\u0026"))

    # === LOYALTY === #

    loyalty_program_id = fields.Many2one(
        "loyalty.program", string="Loyalty Programme", check_company=True,
        domain="[('program_type', '=', 'loyalty'), ('company_id', 'in', (company_id, False))]",
        help="Completed bookings earn points on the customer's card by the programme's rules (the bill's "
        "products, minimum quantity and amount, per booking, unit or amount spent); its discount rewards are "
        "spent on a later booking (whole bill, cheapest item or specific products, maximum amount), never on "
        "what the deposit covers. Free-product rewards are not offered on bookings. A loyalty card programme "
        "(points kept for current and future orders) without promotion codes: a booking takes none "
        "(Loyalty > Programmes).")

    @api.constrains("loyalty_program_id")
    def _check_loyalty_program(self):
        """Only a programme the booking flow honours: points on a card, earned without a code."""
        for page in self.filtered("loyalty_program_id"):
            program = page.loyalty_program_id.sudo()
            if program.program_type != "loyalty" or program.applies_on != "both":
                raise ValidationError(self.env._(
                    "%(program)s cannot be used on a booking page: choose a loyalty card programme (points kept on "
                    "the customer's card for current and future orders).", program=program.name))
            if program.trigger == "with_code" or program.rule_ids.filtered(lambda rule: rule.mode == "with_code"):
                raise ValidationError(self.env._(
                    "%(program)s needs a promotion code, and a booking takes none: make its rules automatic.",
                    program=program.name))

