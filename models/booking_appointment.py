import logging
import re
import secrets
from collections import defaultdict
from datetime import timedelta
from urllib.parse import quote as url_quote
from urllib.parse import urlparse

import psycopg2
import pytz
import vobject
from markupsafe import Markup
from markupsafe import escape
from werkzeug.urls import url_encode

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount, html2plaintext
from odoo.tools.sql import create_index

from odoo.addons.auth_signup.models.res_partner import SignupError

from ..booking_api.schemas import MAX_DEPENDANTS
from ..const import CANCELLABLE_STATES
from ..const import CANCELLED_STATES
from ..const import MOVABLE_STATES
from ..const import ONLINE_SOURCES
from ..const import PIPELINE_STATES
from ..const import RESCHEDULABLE_STATES
from ..const import TIME_HOLDING_STATES
from ..const import UPCOMING_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from ..exceptions import SlotUnavailableError
from ..tools import clean_text
from ..tools import text_error
from .booking_availability import to_epoch

_logger = logging.getLogger(__name__)

EXCLUSION_CONSTRAINT = "booking_appointment_no_overlap"
CUSTOMER_EXCLUSION_CONSTRAINT = "booking_appointment_no_customer_overlap"

# Fields whose change can make two appointments overlap: writes touching
# them are checked against the exclusion constraint inside a savepoint.
# Odoo's colour palette: 1 red, 2 orange, 3 yellow, 4 blue, 10 green
STATE_COLORS = {"pending_payment": 2, "pending": 3, "confirmed": 10, "checked_in": 10, "done": 4,
                "cancelled": 1, "rejected": 1, "expired": 1, "no_show": 1}
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
SLOT_FIELDS = {
    "start",
    "stop",
    "busy_start",
    "busy_stop",
    "provider_id",
    "state",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "travel_minutes",
    "service_id",
    "partner_id",
    "customer_exclusive",
}


class BookingAppointment(models.Model):
    """An appointment of a customer with a provider for a service.

    Times are stored in UTC; ``busy_start``/``busy_stop`` widen them by the
    service's buffers and are what PostgreSQL's exclusion constraint keeps
    from overlapping for one provider, so double bookings are impossible
    whatever the number of workers or nodes. Every change of state goes
    through an ``action_*`` method that refuses illegal moves and leaves a
    line in the chatter.
    """

    _name = "booking.appointment"
    _inherit = [
        "portal.mixin",
        "rating.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "booking.lock.mixin",
        "booking.signed.link.mixin",
        "booking.notification.mixin",
        "booking.calendar.sync",
    ]
    _description = "Appointment"
    _order = "start desc, id desc"
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="/", index="trigram")
    page_id = fields.Many2one(
        "booking.page",
        string="Booking Page",
        required=True,
        index=True,
        check_company=True,
        default=lambda self: self._default_page_id(),
    )
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    tz = fields.Selection(related="page_id.tz", string="Time Zone")
    source = fields.Selection(
        selection=[("website", "Website"), ("backend", "Backend"), ("api", "API"), ("waitlist", "Waitlist"),
                   ("sms", "SMS receptionist"), ("chat", "Chat receptionist")],
        required=True,
        default="backend",
        readonly=True,
    )
    customer_exclusive = fields.Boolean(
        string="One at a Time",
        readonly=True,
        copy=False,
        help="Booked online on a page that lets a customer hold one booking at a time: PostgreSQL refuses "
        "another of theirs overlapping it.",
    )
    channel = fields.Selection(
        selection=[("online", "Online"), ("phone", "Phone"), ("walk_in", "Walk-in"), ("other", "In person")],
        required=True,
        default="phone",
        help="How the booking reached the merchant: online bookings say so; staff book phone calls (the "
        "default), walk-ins and visits in person.",
    )

    # === WHAT, WHO, WITH WHOM === #
    service_id = fields.Many2one("booking.service", required=True, index=True, check_company=True, tracking=True)
    provider_id = fields.Many2one("booking.provider", required=True, index=True, check_company=True, tracking=True)
    # no check_company: a customer may book with several merchants (their
    # contact then belongs to none of them); visitors' contacts belong to the
    # page's company (see res.partner._booking_create_guest)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True)
    partner_same_as_id = fields.Many2one(related="partner_id.booking_same_as_id",
                                         groups="self_serve_booking.group_booking_user")
    partner_email = fields.Char(related="partner_id.email", string="E-mail")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    note = fields.Text(help="Anything the customer or staff want the provider to know.")
    color = fields.Integer(related="provider_id.color")
    state_color = fields.Integer(compute="_compute_state_color",
                                 help="Colour by state: pending yellow, confirmed green, done blue, closed red.")

    # === WHEN === #
    start = fields.Datetime(required=True, index=True, tracking=True)
    duration_minutes = fields.Integer(
        string="Duration (minutes)",
        compute="_compute_service_snapshot",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    address = fields.Char(
        string="Customer's Address", tracking=True,
        help="Where the job takes place, for services delivered at the customer's address.")
    travel_minutes = fields.Integer(
        string="Travel (minutes)", compute="_compute_travel_minutes", store=True, readonly=False, precompute=True,
        help="The provider's drive to the customer's address, reserved before the job with the buffer.")
    buffer_before_minutes = fields.Integer(
        string="Buffer Before (minutes)", compute="_compute_service_snapshot", store=True, readonly=False,
        precompute=True,
    )
    buffer_after_minutes = fields.Integer(
        string="Buffer After (minutes)", compute="_compute_service_snapshot", store=True, readonly=False,
        precompute=True,
    )
    stop = fields.Datetime(compute="_compute_stop", store=True, precompute=True, required=True, index=True)
    busy_start = fields.Datetime(
        string="Busy From",
        compute="_compute_busy_range",
        store=True,
        precompute=True,
        required=True,
        help="Start widened by the service's buffer: the provider is busy from here.",
    )
    busy_stop = fields.Datetime(string="Busy Until", compute="_compute_busy_range", store=True, precompute=True,
                                required=True, help="End widened by the service's buffer.")

    # === STATE === #
    state = fields.Selection(
        selection=[
            ("pending_payment", "Awaiting Payment"),
            ("pending", "Awaiting Approval"),
            ("confirmed", "Confirmed"),
            ("checked_in", "Checked In"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
            ("rejected", "Declined"),
            ("expired", "Expired"),
            ("no_show", "No-show"),
        ],
        required=True,
        default="confirmed",
        readonly=True,
        copy=False,
        index=True,
        group_expand="_expand_states",
    )
    hold_expires_at = fields.Datetime(
        string="Hold Expires",
        copy=False,
        help="An unpaid booking keeps its slot until then.",
    )
    confirmed_at = fields.Datetime(string="Confirmed On", readonly=True, copy=False)
    approval_deadline = fields.Datetime(
        string="Answer By",
        compute="_compute_approval_deadline",
        store=True,
        help="When this request expires unanswered (or starts): the most urgent requests come first.",
    )
    check_in_due = fields.Boolean(
        compute="_compute_timing",
        help="Check-in is open: from the page's check-in window before the start until the end.",
    )
    has_started = fields.Boolean(compute="_compute_timing")
    pending_since = fields.Datetime(
        string="Awaiting Approval Since",
        readonly=True,
        copy=False,
        help="When the request reached the merchant: approvers are reminded, then it expires, from then.",
    )
    approval_nonce = fields.Char(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Secret of the approve and decline links of the current request; a new request gets a new one.",
    )
    waitlist_id = fields.Many2one(
        "booking.waitlist",
        string="From Waitlist Entry",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The waitlist entry this time was offered to (held until the offer's deadline).",
    )
    notification_ids = fields.One2many("booking.notification", "appointment_id", string="Messages Sent")

    # === CANCELLATION === #
    cancelled_at = fields.Datetime(string="Cancelled On", readonly=True, copy=False)
    cancelled_by = fields.Selection(
        selection=[("customer", "Customer"), ("merchant", "Merchant"), ("system", "System")],
        readonly=True,
        copy=False,
    )
    cancel_reason = fields.Text(string="Reason", readonly=True, copy=False)

    # === CHECK-IN AND CHECKOUT === #
    checked_in_at = fields.Datetime(string="Checked In On", readonly=True, copy=False)
    check_in_method = fields.Selection(
        selection=[("staff", "By staff"), ("qr", "QR code"), ("portal", "Customer portal")],
        readonly=True,
        copy=False,
    )
    completed_at = fields.Datetime(string="Completed On", readonly=True, copy=False)

    # === MONEY === #
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_ids = fields.One2many("booking.appointment.line", "appointment_id", string="Bill", copy=False)
    price_subtotal = fields.Monetary(string="Untaxed", compute="_compute_amounts", store=True)
    price_tax = fields.Monetary(string="Taxes", compute="_compute_amounts", store=True)
    price = fields.Monetary(
        string="Total", compute="_compute_amounts", store=True, currency_field="currency_id",
        help="The bill: the service, add-ons and discounts, taxes included. What the customer owes for the visit.",
    )
    tax_totals = fields.Binary(compute="_compute_tax_totals", exportable=False)
    contract_id = fields.Many2one("booking.payment.contract", string="Payment Contract", readonly=True, copy=False)
    prepay_full = fields.Boolean(
        string="Full Prepayment", readonly=True, copy=False,
        help="The customer was at risk of not showing up (no-show protection): the whole price is the deposit.")
    payment_state = fields.Selection(related="contract_id.state", string="Payment")
    amount_paid = fields.Monetary(related="contract_id.amount_net", string="Net Charged")
    amount_due = fields.Monetary(related="contract_id.amount_balance_due", string="Balance Due")
    amount_deposit_paid = fields.Monetary(related="contract_id.amount_deposit_paid")
    amount_balance_paid = fields.Monetary(related="contract_id.amount_balance_paid")
    amount_tip = fields.Monetary(related="contract_id.amount_tip")
    amount_refunded = fields.Monetary(related="contract_id.amount_refunded")
    final_invoice_id = fields.Many2one(related="contract_id.final_invoice_id")
    saved_card_label = fields.Char(compute="_compute_saved_card_label",
                                   help="The card checkout charges, if the customer saved one.")

    # === DEPENDANTS AND VISIT RECORD === #
    dependant_ids = fields.Many2many(
        "booking.dependant", "booking_appointment_dependant_rel", "appointment_id", "dependant_id",
        string="For", domain="[('partner_id', '=', partner_id)]",
        help="The customer's pets, children... this visit is for. One booking covering several lasts as long as "
             "theirs added up.")
    service_for_dependant = fields.Boolean(related="service_id.for_dependant")
    dependant_details = fields.Text(
        string="About Them", compute="_compute_dependant_details",
        help="What the provider should know: kind, breed, age, weight, allergies and medical notes.")
    dependant_history_ids = fields.Many2many(
        "booking.appointment", compute="_compute_dependant_history", string="Previous Visits",
        help="Earlier visits of the same dependants with this merchant, most recent first.")
    visit_summary = fields.Text(
        tracking=True, copy=False,
        help="What was done at the visit, written at checkout: the customer gets it with the receipt.")
    care_instructions = fields.Text(
        tracking=True, copy=False,
        help="Follow-up instructions for the customer (aftercare, what to watch, when to come back).")

    # === DEFAULTS === #

    @api.model
    def _default_page_id(self):
        return self.env["booking.page"].search([("company_id", "in", self.env.companies.ids)], limit=1)

    def _expand_states(self, states, domain):
        return list(PIPELINE_STATES)

    # === COMPUTES === #

    @api.depends("service_id")
    def _compute_service_snapshot(self):
        """Copy the service's duration and buffers when the service is chosen.

        They are a snapshot on purpose: editing a service later must neither
        move existing appointments nor make them overlap.
        """
        for appointment in self:
            service = appointment.service_id
            # one booking for several dependants lasts as long as theirs added up
            appointment.duration_minutes = (service.duration_minutes and service._duration_for(
                len(appointment.dependant_ids))) or appointment.duration_minutes or 60
            appointment.buffer_before_minutes = service.buffer_before_minutes
            appointment.buffer_after_minutes = service.buffer_after_minutes

    @api.depends("line_ids.price_subtotal", "line_ids.price_tax", "line_ids.price_total")
    def _compute_amounts(self):
        for appointment in self:
            lines = appointment.line_ids
            appointment.price_subtotal = sum(lines.mapped("price_subtotal"))
            appointment.price_tax = sum(lines.mapped("price_tax"))
            appointment.price = appointment.currency_id.round(sum(lines.mapped("price_total")))

    @api.depends("line_ids.price_subtotal", "line_ids.price_total", "line_ids.tax_ids")
    def _compute_tax_totals(self):
        """Odoo's tax summary of the bill (the widget of sale orders and invoices)."""
        AccountTax = self.env["account.tax"]
        for appointment in self:
            company = appointment.company_id or self.env.company
            base_lines = [line._prepare_base_line_for_taxes_computation() for line in appointment.line_ids]
            AccountTax._add_tax_details_in_base_lines(base_lines, company)
            AccountTax._round_base_lines_tax_details(base_lines, company)
            appointment.tax_totals = AccountTax._get_tax_totals_summary(
                base_lines=base_lines, currency=appointment.currency_id or company.currency_id, company=company)

    def _compute_saved_card_label(self):
        for appointment in self:
            token = appointment.contract_id.sudo()._get_token() if appointment.contract_id else False
            appointment.saved_card_label = token.display_name if token else False

    @api.depends("state")
    def _compute_state_color(self):
        for appointment in self:
            appointment.state_color = STATE_COLORS.get(appointment.state, 0)

    @api.depends("start", "duration_minutes")
    def _compute_stop(self):
        for appointment in self:
            appointment.stop = (
                appointment.start + timedelta(minutes=appointment.duration_minutes) if appointment.start else False
            )

    @api.constrains("service_id", "address")
    def _check_address(self):
        for appointment in self:
            if appointment.service_id.location == "customer" and not (appointment.address or "").strip():
                raise ValidationError(self.env._(
                    "%(service)s takes place at the customer's address: give the address.",
                    service=appointment.service_id.name))

    @api.depends("service_id", "provider_id")
    def _compute_travel_minutes(self):
        """A snapshot of the provider's travel time, for jobs at the customer's address (like the buffers)."""
        for appointment in self:
            appointment.travel_minutes = appointment.provider_id.travel_minutes \
                if appointment.service_id.location == "customer" else 0

    @api.depends("start", "stop", "buffer_before_minutes", "buffer_after_minutes", "travel_minutes")
    def _compute_busy_range(self):
        for appointment in self:
            if not appointment.start or not appointment.stop:
                appointment.busy_start = appointment.busy_stop = False
                continue
            appointment.busy_start = appointment.start - timedelta(
                minutes=appointment.buffer_before_minutes + appointment.travel_minutes)
            appointment.busy_stop = appointment.stop + timedelta(minutes=appointment.buffer_after_minutes)

    @api.depends("state", "pending_since", "start", "page_id.approval_expiry_hours")
    def _compute_approval_deadline(self):
        for appointment in self:
            appointment.approval_deadline = appointment._approval_deadline() \
                if appointment.state == "pending" and appointment.start else False

    @api.depends("start", "stop", "page_id.check_in_opens_minutes")
    @api.depends_context("uid")
    def _compute_timing(self):
        now = fields.Datetime.now()
        for appointment in self:
            started = bool(appointment.start and appointment.start <= now)
            appointment.has_started = started
            appointment.check_in_due = bool(
                appointment.start and appointment._check_in_opens_at() <= now < appointment.stop)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for appointment in self:
            appointment.access_url = f"/my/bookings/{appointment.id}"
        return res

    @api.depends("name", "service_id", "partner_id")
    def _compute_display_name(self):
        for appointment in self:
            parts = [appointment.name if appointment.name != "/" else "", appointment.partner_id.name,
                     appointment.service_id.name]
            appointment.display_name = " · ".join(part for part in parts if part)

    # === DATABASE CONSTRAINT === #

    def init(self):
        """Create the exclusion constraints that make double bookings impossible.

        Created here rather than in ``_sql_constraints`` because they need the
        ``btree_gist`` extension first. Runs on install and on every upgrade;
        each is (re)created only when missing or when its definition changed
        (recorded in its comment).

        - ``booking_appointment_no_overlap``: one provider, one buffered time;
        - ``booking_appointment_no_customer_overlap``: a customer who booked
          online holds one time per page (unless the page allows more), so
          a retried request cannot book them twice with two providers.
        """
        res = super().init()
        cr = self.env.cr
        cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        states = SQL("state IN %s", TIME_HOLDING_STATES)
        self._ensure_exclusion_constraint(
            EXCLUSION_CONSTRAINT,
            SQL("provider_id WITH =, tsrange(busy_start, busy_stop, '[)') WITH &&"),
            states,
            "states:" + ",".join(TIME_HOLDING_STATES),
        )
        self._ensure_exclusion_constraint(
            CUSTOMER_EXCLUSION_CONSTRAINT,
            SQL("page_id WITH =, partner_id WITH =, tsrange(start, stop, '[)') WITH &&"),
            SQL("%s AND customer_exclusive", states),
            "customer-v1 states:" + ",".join(TIME_HOLDING_STATES),
        )
        # when each provider was last booked ("any available" ties), without reading their whole history
        create_index(cr, "booking_appointment_provider_booked_index", self._table, ["provider_id", "create_date"],
                     where="state IN (%s)" % ", ".join(f"'{state}'" for state in TIME_HOLDING_STATES))
        return res

    def _ensure_exclusion_constraint(self, name, elements, where, signature):
        cr = self.env.cr
        cr.execute(
            """
            SELECT obj_description(c.oid, 'pg_constraint')
              FROM pg_constraint c
             WHERE c.conname = %s AND c.conrelid = 'booking_appointment'::regclass
            """,
            [name],
        )
        row = cr.fetchone()
        if row and row[0] == signature:
            return
        if row:
            cr.execute(SQL("ALTER TABLE booking_appointment DROP CONSTRAINT %s", SQL.identifier(name)))
        cr.execute(SQL(
            "ALTER TABLE booking_appointment ADD CONSTRAINT %s EXCLUDE USING gist (%s) WHERE (%s)",
            SQL.identifier(name), elements, where,
        ))
        cr.execute(SQL("COMMENT ON CONSTRAINT %s ON booking_appointment IS %s", SQL.identifier(name), signature))
        _logger.info("Created exclusion constraint %s", name)

    def _slot_taken_error(self):
        return SlotUnavailableError(
            self.env._("This time is no longer available: the provider is already booked. Please choose another time.")
        )

    def _exclusion_error(self, error):
        """The refusal a violated exclusion constraint stands for."""
        if error.diag.constraint_name == CUSTOMER_EXCLUSION_CONSTRAINT:
            return self._customer_busy_error()
        return self._slot_taken_error()

    def _customer_busy_error(self, appointment=None, reference=None):
        """The refusal of a second booking of one customer at one time (their own booking named, if known)."""
        reference = reference or (appointment.name if appointment else None)
        if reference:
            return BookingActionRefused("already_booked", self.env._(
                "You already have a booking at this time (%(ref)s). Change that one, or choose another time.",
                ref=reference))
        return BookingActionRefused("already_booked", self.env._(
            "These contact details already hold a booking at this time: check your e-mail or text messages "
            "for its confirmation, or choose another time."))

    # === PYTHON CONSTRAINTS === #

    @api.constrains("start", "stop")
    def _check_times(self):
        for appointment in self:
            if appointment.stop <= appointment.start:
                raise ValidationError(self.env._("An appointment must end after it starts."))

    @api.constrains("service_id", "provider_id", "page_id")
    def _check_offer(self):
        for appointment in self:
            service, provider, page = appointment.service_id, appointment.provider_id, appointment.page_id
            if service not in provider.service_ids:
                raise ValidationError(
                    self.env._("%(provider)s does not deliver %(service)s.", provider=provider.name,
                               service=service.name)
                )
            if service not in page.service_ids or provider not in page.provider_ids:
                raise ValidationError(
                    self.env._(
                        "%(service)s with %(provider)s is not offered on the page %(page)s.",
                        service=service.name,
                        provider=provider.name,
                        page=page.name,
                    )
                )

    @api.constrains("start", "stop", "provider_id")
    def _check_working_time(self):
        """Appointments holding time must lie within the provider's working time.

        Overlaps are PostgreSQL's business (the exclusion constraint); this
        check covers hours and time off, which the database cannot see.
        """
        Availability = self.env["booking.availability"]
        for appointment in self.filtered(lambda a: a.state in TIME_HOLDING_STATES):
            if not Availability._fits_working_time(appointment.provider_id, appointment.start, appointment.stop):
                raise SlotUnavailableError(
                    self.env._(
                        "%(provider)s is not working at %(when)s for %(minutes)s minutes "
                        "(outside working hours or on time off).",
                        provider=appointment.provider_id.name,
                        when=appointment._format_local(appointment.start),
                        minutes=appointment.duration_minutes,
                    )
                )

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("booking.appointment") or "/"
        now = fields.Datetime.now()
        for vals in vals_list:
            state = vals.get("state", "confirmed")
            if state == "pending_payment" and not vals.get("hold_expires_at"):
                page = self.env["booking.page"].browse(vals.get("page_id"))
                vals["hold_expires_at"] = now + timedelta(minutes=page.payment_hold_minutes or 15)
            vals.update(self._state_entry_values(state, vals))
        drafts = self._new_drafts(vals_list)
        # holds nobody paid for give way to the new booking, as the engine
        # (which already shows their time as free) promised
        drafts._release_expired_holds()
        drafts._lock_schedules(
            [(a.provider_id.id, a.partner_id.id if a.customer_exclusive else None)
             for a in drafts if a.state in TIME_HOLDING_STATES])
        # in memory first: a conflict with a committed booking is refused
        # before any INSERT; only true races reach the exclusion constraint
        drafts._check_no_overlap()
        try:
            with self.env.cr.savepoint():
                appointments = super().create(vals_list)
        except psycopg2.errors.ExclusionViolation as error:
            raise self._exclusion_error(error) from None
        appointments._notify_availability()
        appointments._subscribe_people()
        appointments._sync_service_line()
        appointments._create_contracts()
        appointments.filtered(lambda a: a.state == "pending")._renew_request_secret()
        for appointment in appointments:
            appointment._queue_state_notifications(False)
        return appointments

    def _create_contracts(self):
        """One payment contract per appointment that involves money."""
        vals_list = [
            {
                "appointment_id": appointment.id,
                "currency_id": appointment.currency_id.id,
                "amount_deposit": (appointment.price if appointment.prepay_full
                                   else appointment.service_id._get_deposit_amount(appointment.price))
                if appointment.state == "pending_payment" else 0.0,
            }
            for appointment in self
            if not appointment.contract_id and appointment.currency_id.compare_amounts(appointment.price, 0.0) > 0
        ]
        contracts = self.env["booking.payment.contract"].sudo().create(vals_list)
        for contract in contracts:
            contract.appointment_id.contract_id = contract
        return contracts

    # === WHO FOLLOWS A BOOKING === #

    def _subscribe_people(self):
        """The customer follows their booking, staff (page responsible, provider's user) its customer messages.

        As with a sale order: a staff reply in the chatter reaches the
        customer by e-mail, and a message the customer writes on their
        booking page reaches staff (``message_post``). Staff follow the
        internal notes, not the customer's own e-mails (confirmations,
        reminders), which would be noise.
        """
        customer_subtypes = self.env.ref("mail.mt_comment")
        staff_subtypes = self.env.ref("mail.mt_note")
        for appointment in self:
            if appointment.partner_id:
                appointment.sudo().message_subscribe(partner_ids=appointment.partner_id.ids,
                                                     subtype_ids=customer_subtypes.ids)
            staff = appointment._merchant_partners().filtered(lambda p: p.user_ids and not p.partner_share)
            if staff:
                appointment.sudo().message_subscribe(partner_ids=staff.ids, subtype_ids=staff_subtypes.ids)

    def _get_allowed_message_post_params(self):
        """A review is given through its signed link only (``_submit_review``), never with a chatter message."""
        return super()._get_allowed_message_post_params() - {"rating_value"}

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A message from outside (the customer on their booking page, an e-mail reply) reaches staff.

        A rating never comes with a message (portal_rating would make it a
        published review): reviews are answered through their signed link.
        """
        kwargs.pop("rating_value", None)
        if len(self) == 1 and kwargs.get("message_type") in ("comment", "email"):
            author = self.env["res.partner"].browse(kwargs.get("author_id") or self.env.user.partner_id.id)
            if not author.sudo().user_ids.filtered(lambda user: not user.share):
                staff = self._merchant_partners().filtered(
                    lambda partner: partner.user_ids.filtered(lambda user: not user.share))
                kwargs["partner_ids"] = list({*(kwargs.get("partner_ids") or []), *staff.ids})
        message = super().message_post(**kwargs)
        if len(self) == 1 and message.message_type in ("comment", "email", "email_outgoing") \
                and not message.subtype_id.internal and message.subtype_id and not message.is_internal:
            self._live_send_message(message)
        return message

    def _get_agenda_address(self):
        """Where the provider goes for this booking: the customer's address for an on-site job."""
        self.ensure_one()
        if self.service_id.location == "customer" and self.address:
            return self.address
        return self.page_id._get_address_text()

    def _map_url(self):
        """A map of where the job is (OpenStreetMap search), or nothing."""
        self.ensure_one()
        where = self._get_agenda_address()
        return f"https://www.openstreetmap.org/search?query={url_quote(where)}" if where else ""

    # === THE BILL === #

    def _sync_service_line(self):
        """The bill's service line follows the service: created with the booking, replaced when it changes.

        The price is the service's price list price at that moment; staff may
        then correct it on the line (a longer cut, a goodwill price).
        """
        Line = self.env["booking.appointment.line"].sudo().with_context(booking_bill_sync=True)
        for appointment in self:
            service = appointment.service_id
            line = appointment._get_service_line()
            product = service._get_product()
            if line and line.product_id == product and line.name == service.name:
                continue
            values = {"product_id": product.id, "name": service.name, "price_unit": service.price}
            if line:
                line.with_context(booking_bill_sync=True).write(values)
            else:
                Line.create({**values, "appointment_id": appointment.id, "line_type": "service", "sequence": 0})

    def _on_bill_changed(self):
        """After a bill line changed: the contract follows, and never falls below what was paid.

        A bill that becomes payable gets its contract; the deposit already
        paid stays, the balance is recomputed from the new total.
        """
        if self.env.context.get("booking_bill_migration"):
            return  # the bills of existing bookings are rebuilt as they were (migration 18.0.3.0.0)
        self._create_contracts()
        for appointment in self.filtered("contract_id"):
            contract = appointment.contract_id.sudo()
            paid = contract.currency_id.round(contract.amount_deposit_paid + contract.amount_balance_paid)
            if contract.currency_id.compare_amounts(appointment.price, paid) < 0:
                raise UserError(self.env._(
                    "The bill of %(ref)s (%(total)s) would be less than what was already paid (%(paid)s): "
                    "refund the difference first.",
                    ref=appointment.name, total=contract._fmt(appointment.price), paid=contract._fmt(paid)))

    def _release_expired_holds(self):
        """Expire unpaid holds past their deadline that overlap these appointments.

        A hold whose deposit is being processed (pending, authorized or done
        but not yet post-processed) is kept: the customer has paid.
        """
        now = fields.Datetime.now()
        for appointment in self:
            if appointment.state not in TIME_HOLDING_STATES or not appointment.busy_start:
                continue
            stale = self.sudo().search([
                ("provider_id", "=", appointment.provider_id.id),
                ("state", "=", "pending_payment"),
                ("hold_expires_at", "<", now),
                ("busy_start", "<", appointment.busy_stop),
                ("busy_stop", ">", appointment.busy_start),
                ("id", "not in", [i for i in self._ids if isinstance(i, int)]),
            ])
            stale.filtered(lambda a: not a.contract_id._has_deposit_in_flight())._action_expire(
                self.env._("The payment hold expired.")
            )

    def _new_drafts(self, vals_list):
        """In-memory appointments for ``vals_list`` (defaults applied), with their computed ranges."""
        drafts = self.browse()
        for vals in vals_list:
            drafts |= self.new(self._add_missing_default_values(vals))
        return drafts

    def write(self, vals):
        moving = {"start", "provider_id", "service_id", "duration_minutes"} & vals.keys()
        if moving:
            frozen = self.filtered(lambda a: a.state not in MOVABLE_STATES)
            if frozen:
                raise UserError(
                    self.env._(
                        "%(ref)s is %(state)s: its time, provider and service can no longer change.",
                        ref=frozen[0].name,
                        state=frozen[0]._state_label(),
                    )
                )
        before = {a.id: (a.start, a.provider_id) for a in self} if moving else {}
        live_before = self._live_snapshot(vals)
        if not SLOT_FIELDS & vals.keys():
            result = super().write(vals)
            if "service_id" in vals:
                self._sync_service_line()
            return result
        days_before = {(a.page_id, a._local_day()) for a in self}
        # before the UPDATE: constraints run inside super().write() and may flush it
        self._lock_schedules([
            (vals.get("provider_id") or a.provider_id.id,
             (vals.get("partner_id") or a.partner_id.id) if vals.get("customer_exclusive", a.customer_exclusive)
             else None)
            for a in self if vals.get("state", a.state) in TIME_HOLDING_STATES])
        try:
            with self.env.cr.savepoint():
                result = super().write(vals)
                # new values are in the cache, not yet in the table: check them
                # before the savepoint flushes them
                self._check_no_overlap()
        except psycopg2.errors.ExclusionViolation as error:
            raise self._exclusion_error(error) from None
        self._notify_availability(extra_days=days_before)
        moved = self.browse()
        for appointment in self.filtered(lambda a: a.id in before):
            old_start, old_provider = before[appointment.id]
            if (old_start, old_provider) != (appointment.start, appointment.provider_id):
                moved |= appointment
                appointment._message_log(
                    body=self.env._(
                        "Moved from %(old)s with %(old_provider)s to %(new)s with %(new_provider)s.",
                        old=appointment._format_local(old_start),
                        old_provider=old_provider.name,
                        new=appointment._format_local(appointment.start),
                        new_provider=appointment.provider_id.name,
                    )
                )
                appointment._queue_move_notifications(old_start, old_provider)
        if moved:  # a release of time by a change of state is handled with that change
            moved._offer_freed_time_to_waitlist()
        if "service_id" in vals:
            self._sync_service_line()
        self._live_notify_changes(live_before)
        return result

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

    def _lock_schedules(self, holders):
        """Lock the schedules of these providers (and one-at-a-time customers) until the transaction ends.

        Taken, in a fixed order, before an appointment that holds time is
        inserted or updated, so that a second booking of the same provider
        (or customer) waits here rather than in the exclusion constraint on
        the first one's uncommitted row. Otherwise the first one, updating
        its own row later (its ``contract_id``, flushed at commit), may land
        on another heap page, re-check the constraint, find the second one's
        uncommitted row in turn and wait for it: a deadlock where a clean
        "slot taken" was due. Bookings of one provider thus queue until
        commit; different providers never wait for each other.

        :param holders: ``(provider_id, partner_id or None)`` pairs.
        """
        providers = sorted({provider for provider, _partner in holders if provider})
        customers = sorted({partner for _provider, partner in holders if partner})
        for namespace, ids in (("booking.provider.schedule", providers), ("booking.customer.schedule", customers)):
            for record_id in ids:
                self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", namespace, record_id))

    def _check_no_overlap(self):
        """Refuse appointments of ``self`` that overlap a stored, time-holding one.

        Reads ``self`` from the cache (drafts, or records being written) and
        the others from the table, without flushing. The exclusion constraint
        stays the last word for concurrent transactions; this check keeps the
        ordinary case (a slot taken earlier) out of PostgreSQL's error log.
        """
        stored_ids = [rid for rid in self._ids if isinstance(rid, int)]
        for appointment in self:
            if appointment.state not in TIME_HOLDING_STATES or not appointment.provider_id:
                continue
            if not appointment.busy_start or not appointment.busy_stop:
                continue
            self.env.cr.execute(
                SQL(
                    """
                    SELECT 1
                      FROM booking_appointment
                     WHERE provider_id = %(provider)s
                       AND state IN %(states)s
                       AND busy_start < %(stop)s
                       AND busy_stop > %(start)s
                       AND id != ALL(%(exclude)s)
                     LIMIT 1
                    """,
                    provider=appointment.provider_id.id,
                    states=TIME_HOLDING_STATES,
                    start=appointment.busy_start,
                    stop=appointment.busy_stop,
                    exclude=stored_ids,
                )
            )
            if self.env.cr.fetchone():
                raise self._slot_taken_error()
            if appointment.customer_exclusive and appointment.partner_id:
                self.env.cr.execute(SQL(
                    """
                    SELECT name
                      FROM booking_appointment
                     WHERE page_id = %(page)s
                       AND partner_id = %(partner)s
                       AND customer_exclusive
                       AND state IN %(states)s
                       AND start < %(stop)s
                       AND stop > %(start)s
                       AND id != ALL(%(exclude)s)
                     LIMIT 1
                    """,
                    page=appointment.page_id.id, partner=appointment.partner_id.id, states=TIME_HOLDING_STATES,
                    start=appointment.start, stop=appointment.stop, exclude=stored_ids,
                ))
                row = self.env.cr.fetchone()
                if row:
                    raise self._customer_busy_error(reference=row[0])

    @api.ondelete(at_uninstall=False)
    def _unlink_except_holding_time(self):
        holding = self.filtered(lambda a: a.state in TIME_HOLDING_STATES)
        if holding:
            raise UserError(
                self.env._(
                    "%(ref)s is %(state)s: cancel it instead of deleting it, so its history stays.",
                    ref=holding[0].name,
                    state=holding[0]._state_label(),
                )
            )

    def _creation_message(self):
        """The first chatter line says how, for when and in which state it was booked."""
        self.ensure_one()
        return self.env._(
            "Booked (%(origin)s) for %(when)s: %(state)s.",
            origin=dict(self._fields["source"]._description_selection(self.env))[self.source],
            when=self._format_local(self.start),
            state=self._state_label(),
        )

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

    def _local_day(self):
        self.ensure_one()
        return self._local_start().date() if self.start and self.page_id else False

    # === HELPERS === #

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _format_local(self, value, style="short"):
        """``value`` (naive UTC) for a message about this appointment (chatter, refusals): the page's format."""
        self.ensure_one()
        return self.page_id._format_when(value, style=style)

    def _when_label(self, value=None, style="long"):
        """``value`` (default: the start) as customers read it everywhere: see ``booking.page._format_when``.

        Accepts a naive UTC datetime or its string (values stored with a queued message).
        """
        self.ensure_one()
        return self.page_id._format_when(value or self.start, style=style)

    def _local_start(self):
        self.ensure_one()
        return pytz.utc.localize(self.start).astimezone(pytz.timezone(self.page_id.tz or "UTC"))

    @api.model
    def _get_initial_state(self, page, service, source, prepay_full=False):
        """Where a new booking starts in the life cycle (DESIGN.md section 3).

        Customers pay the deposit first when there is one (the whole price
        when they must prepay it); staff bookings are made by the merchant,
        who is also the approver, so they are confirmed.
        """
        if source == "backend":
            return "confirmed"
        if service._get_deposit_amount() > 0 or (prepay_full and service.price > 0):
            return "pending_payment"
        return self._get_state_after_payment(page, service)

    @api.model
    def _get_state_after_payment(self, page, service):
        return "pending" if service.requires_approval and not page.auto_confirm else "confirmed"

    # === LIFE CYCLE === #

    def _transition(self, action, allowed, new_state, vals=None, note=None):
        """Move every appointment of ``self`` to ``new_state``, or none of them.

        :param str action: what the user did, for messages ("approved").
        :param tuple allowed: states the move is legal from.
        :param dict vals: other values to write along.
        :param str note: extra text for the chatter (a reason).
        """
        illegal = self.filtered(lambda a: a.state not in allowed)
        if illegal:
            appointment = illegal[0]
            raise UserError(
                self.env._(
                    "%(ref)s cannot be %(action)s: it is %(state)s.",
                    ref=appointment.name,
                    action=action,
                    state=appointment._state_label(),
                )
            )
        for appointment in self:
            old_state, old_label = appointment.state, appointment._state_label()
            appointment.write(dict(vals or {}, state=new_state, **appointment._state_entry_values(new_state, vals)))
            # online, the public user acts for the customer: name the customer
            actor = appointment.partner_id.name if self.env.user._is_public() else self.env.user.name
            body = escape(
                self.env._(
                    "%(action)s by %(user)s: %(old)s → %(new)s.",
                    action=action.capitalize(),
                    user=actor,
                    old=old_label,
                    new=appointment._state_label(),
                )
            )
            if note:
                body += Markup("<br/>") + escape(note)
            appointment._message_log(body=body)
            if new_state == "pending":
                appointment._renew_request_secret()
            appointment._queue_state_notifications(old_state)
        return True

    @api.model
    def _state_entry_values(self, state, vals=None):
        """Values that come with entering ``state`` (unless ``vals`` sets them)."""
        vals = vals or {}
        now = fields.Datetime.now()
        if state == "confirmed" and not vals.get("confirmed_at"):
            return {"confirmed_at": now}
        if state == "pending" and not vals.get("pending_since"):
            return {"pending_since": now}
        return {}

    def _renew_request_secret(self):
        """A new secret for the approve and decline links of a new request.

        Links of an earlier request of the same appointment stop working.
        Written as superuser: nobody reads or writes it but the link checks.
        """
        for appointment in self.sudo():
            appointment.approval_nonce = secrets.token_urlsafe(16)

    def action_approve(self, note=None):
        """Approve a request waiting for the merchant."""
        return self._transition(self.env._("approved"), ("pending",), "confirmed", note=note)

    def action_decline(self, reason=None):
        """Decline a request waiting for the merchant; its slot is freed, its deposit refunded."""
        self.contract_id._lock()
        self._transition(
            self.env._("declined"),
            ("pending",),
            "rejected",
            vals={"cancel_reason": reason or False, "cancelled_at": fields.Datetime.now(), "cancelled_by": "merchant"},
            note=reason,
        )
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._refund_for_cancellation("merchant", 0.0)
        return True

    def action_check_in(self, method="staff"):
        """The customer has arrived."""
        return self._transition(
            self.env._("checked in"),
            ("confirmed",),
            "checked_in",
            vals={"checked_in_at": fields.Datetime.now(), "check_in_method": method},
        )

    def action_complete(self, charge_card=True):
        """Checkout: the service was delivered; the bill is final and invoiced.

        The row is locked first, so a double click cannot charge twice. The
        final invoice is issued (the bill minus what was invoiced before);
        with ``charge_card`` the balance is charged on the saved card, and a
        failed or impossible charge leaves it due with a payment link sent to
        the customer. Without it, the desk takes the payment (counter or
        card) from the checkout screen. The receipt goes out once nothing
        remains due. The appointment is done either way.
        """
        self.contract_id._lock()
        self._transition(
            self.env._("completed"), ("checked_in",), "done", vals={"completed_at": fields.Datetime.now()}
        )
        for appointment in self.filtered("contract_id"):
            contract = appointment.contract_id.sudo()
            contract._issue_final_invoice()
            if charge_card:
                contract._charge_balance()
            # after the charge: the receipt shows what was paid
            contract._notify_receipt_when_settled()
        return True

    def action_checkout_complete(self):
        """The checkout screen's "Complete": done, bill invoiced, nothing charged (the desk takes payment)."""
        self.action_complete(charge_card=False)
        return self.action_open_checkout()

    def action_checkout_complete_and_charge(self):
        """The checkout screen's "Complete & charge card"."""
        self.action_complete(charge_card=True)
        return self.action_open_checkout()

    def action_cancel(self, reason=None, cancelled_by="merchant"):
        """Cancel a booking that has not started; its slot is freed and money refunded.

        The customer gets the policy's refund for the notice given; a
        cancellation by the merchant (or the system) refunds everything.
        """
        self.contract_id._lock()
        now = fields.Datetime.now()
        notice = {a.id: (a.start - now).total_seconds() / 3600.0 for a in self}
        self._transition(
            self.env._("cancelled"),
            CANCELLABLE_STATES,
            "cancelled",
            vals={
                "cancel_reason": reason or False,
                "cancelled_at": fields.Datetime.now(),
                "cancelled_by": cancelled_by,
            },
            note=reason,
        )
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._refund_for_cancellation(cancelled_by, notice[appointment.id])
        return True

    def action_no_show(self):
        """The customer did not come. Only once the appointment has started."""
        now = fields.Datetime.now()
        early = self.filtered(lambda a: a.state == "confirmed" and a.start > now)
        if early:
            raise UserError(
                self.env._(
                    "%(ref)s has not started yet (%(when)s): it cannot be a no-show.",
                    ref=early[0].name,
                    when=early[0]._format_local(early[0].start),
                )
            )
        self.contract_id._lock()
        self._transition(self.env._("marked as no-show"), ("confirmed",), "no_show")
        for appointment in self.filtered("contract_id"):
            appointment.contract_id.sudo()._charge_no_show_fee()
        return True

    def _action_expire(self, reason=None):
        """Release a hold nobody paid for, or a request nobody answered (deposit refunded).

        An expired waitlist offer passes to the next customer in line.
        """
        offers = self.filtered(lambda a: a.state == "pending_payment" and a.waitlist_id.state == "offered")
        self._transition(
            self.env._("expired"),
            ("pending_payment", "pending"),
            "expired",
            vals={"cancelled_at": fields.Datetime.now(), "cancelled_by": "system", "cancel_reason": reason or False},
            note=reason,
        )
        for appointment in self.filtered(lambda a: a.contract_id.amount_paid):
            appointment.contract_id.sudo()._refund_for_cancellation("system", 0.0)
        for appointment in offers:
            appointment.waitlist_id.sudo()._action_expire_offer()
        return True

    def _revive_after_late_payment(self, tx):
        """The deposit arrived after the hold expired: book it if the time is still free.

        Otherwise the deposit is refunded in full and the customer told.
        """
        self.ensure_one()
        new_state = self._get_state_after_payment(self.page_id, self.service_id)
        try:
            with self.env.cr.savepoint():
                self._transition(self.env._("booked after a late payment"), ("expired",), new_state, vals={
                    "hold_expires_at": False, "cancelled_at": False, "cancelled_by": False, "cancel_reason": False,
                })
        except SlotUnavailableError:
            self.contract_id._refund_duplicate(
                tx, self.env._("the time was taken by someone else after your hold expired")
            )
            return False
        return True

    def _action_payment_done(self):
        """The deposit is paid: go on to approval or confirmation."""
        return self._action_release_hold(self.env._("paid"))

    def _action_release_hold(self, action):
        """A held time becomes a booking (deposit paid, waitlist offer accepted).

        It goes on to approval or confirmation as any booking would; the
        waitlist entry it was offered to, if any, is booked.
        """
        for appointment in self:
            new_state = self._get_state_after_payment(appointment.page_id, appointment.service_id)
            appointment._transition(action, ("pending_payment",), new_state, vals={"hold_expires_at": False})
            if appointment.waitlist_id.state == "offered":
                appointment.waitlist_id.sudo()._action_offer_taken(appointment)
        return True

    # === NOTIFICATIONS (queued, DESIGN.md section 4.6) === #
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
            return  # created in a final state (an import): history, nothing to tell
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
        elif state == "done" and old_state != "done":
            self._queue_review_request()
            self._loyalty_earn()
        if state in ("cancelled", "rejected", "expired") and old_state != state:
            self._loyalty_give_back()
        if self.source in ("sms", "chat") and old_state == "pending":
            # a request made in a conversation: its answer (or the lack of one) is told there too
            event = {"confirmed": "approved", "rejected": "declined", "expired": "expired"}.get(state)
            if event:
                self.env["booking.conversation"].sudo().search([("appointment_id", "=", self.id)]) \
                    ._tell_request_update(self, event)
        if old_state in TIME_HOLDING_STATES and state not in TIME_HOLDING_STATES:
            self._offer_freed_time_to_waitlist()

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

    def _check_in_qr_url(self):
        """The check-in QR code as an image address, for e-mails (clients block inline images)."""
        self.ensure_one()
        return f"{self._check_in_url()}/qr.png"

    def _format_refund(self):
        """What was refunded on this booking, formatted, or an empty string."""
        self.ensure_one()
        contract = self.contract_id
        if not contract or contract.currency_id.is_zero(contract.amount_refunded):
            return ""
        return format_amount(self.env, contract.amount_refunded, contract.currency_id)

    # === THE CUSTOMER'S ACCOUNT === #

    def _can_invite_to_account(self):
        """A visitor's booking (its contact made from what they typed) may open an account."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        return bool(partner.booking_unverified and partner.email_normalized and not partner.user_ids)

    def _invite_to_account(self):
        """Open a portal account from this booking's link: the message to show.

        Whoever holds the link proved nothing, so the account is made on a
        contact of its own holding only the booking's name and e-mail (which
        its owner proves by choosing a password from the invitation), never
        on an existing customer's record; this booking moves to it. An
        address that already has an account, or a customer, gets nothing.
        """
        self.ensure_one()
        env = self.env
        partner = self.partner_id.sudo()
        email = partner.email_normalized
        if not self._can_invite_to_account():
            return env._("Sign in to see your bookings.")
        allowed, _retry = env["booking.rate.limit"].sudo()._hit(f"invite:{email}", 3, 60)
        if not allowed:
            return env._("We could not send an invitation. Please try again later.")
        Users = env["res.users"].sudo().with_context(active_test=False)
        if Users.search_count([("login", "=ilike", email)], limit=1):
            return env._("An account already uses this e-mail address: sign in with it, or reset its password.")
        if env["res.partner"]._booking_find_customers(self.company_id, email=email):
            return env._("This e-mail address is known to us: create your account from the sign-in page.")
        account = env["res.partner"].sudo().create({
            "name": partner.name, "email": partner.email, "lang": partner.lang, "company_id": False})
        try:
            user = Users.with_context(no_reset_password=True)._create_user_from_template({
                "login": email, "email": partner.email, "partner_id": account.id})
        except SignupError:
            return env._("An account already uses this e-mail address: sign in with it, or reset its password.")
        self.sudo().partner_id = account
        partner.booking_same_as_id = account
        account.signup_prepare(signup_type="signup")
        env.ref("auth_signup.set_password_email").sudo().send_mail(user.id, force_send=False, email_values={
            "email_to": user.email, "email_cc": False, "recipient_ids": [], "partner_ids": []})
        return env._("Check your inbox: we sent %(email)s a link to choose your password.", email=partner.email)

    # === THE CUSTOMER'S CALENDAR === #

    def _customer_event_texts(self):
        """Title, description and place of this booking in the customer's calendar."""
        self.ensure_one()
        page = self.page_id
        manage = f"{self.get_base_url()}{self.get_portal_url()}"
        description = "\n".join([
            self.env._("%(service)s with %(provider)s", service=self.service_id.name, provider=self.provider_id.name),
            self.env._("Reference: %(ref)s", ref=self.name),
            self.env._("Manage your booking: %(url)s", url=manage),
        ])
        return {
            "summary": f"{self.service_id.name} · {page.name}",
            "description": description,
            "location": page._get_address_text() or page.name,
            "url": manage,
        }

    def _get_ics_file(self):
        """The booking as an iCalendar file (built with vobject, as Odoo's calendar does), with a reminder.

        The UID is stable, so importing the file again after a move updates
        the event instead of adding a second one; a request is TENTATIVE.
        """
        self.ensure_one()
        texts = self._customer_event_texts()
        cal = vobject.iCalendar()
        cal.add("prodid").value = "-//Self-Serve Booking//Odoo 18//EN"
        cal.add("method").value = "PUBLISH"
        event = cal.add("vevent")
        event.add("uid").value = f"booking-{self.id}@{urlparse(self.get_base_url()).hostname or 'odoo'}"
        event.add("dtstamp").value = fields.Datetime.now().replace(tzinfo=pytz.utc)
        event.add("dtstart").value = self.start.replace(tzinfo=pytz.utc)
        event.add("dtend").value = self.stop.replace(tzinfo=pytz.utc)
        event.add("summary").value = texts["summary"]
        event.add("description").value = texts["description"]
        event.add("location").value = texts["location"]
        event.add("url").value = texts["url"]
        event.add("status").value = "TENTATIVE" if self.state in ("pending", "pending_payment") else "CONFIRMED"
        alarm = event.add("valarm")
        alarm.add("action").value = "DISPLAY"
        alarm.add("description").value = texts["summary"]
        trigger = alarm.add("trigger")
        trigger.params["related"] = ["START"]
        trigger.value = -timedelta(hours=1)
        return cal.serialize().encode("utf-8")

    def _calendar_links(self):
        """"Add to calendar" links: Google Calendar and Outlook.com take the event in the URL."""
        self.ensure_one()
        texts = self._customer_event_texts()
        google = "https://calendar.google.com/calendar/render?" + url_encode({
            "action": "TEMPLATE",
            "text": texts["summary"],
            "dates": f"{self.start:%Y%m%dT%H%M%SZ}/{self.stop:%Y%m%dT%H%M%SZ}",
            "details": texts["description"],
            "location": texts["location"],
        })
        outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + url_encode({
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": texts["summary"],
            "startdt": f"{self.start:%Y-%m-%dT%H:%M:%SZ}",
            "enddt": f"{self.stop:%Y-%m-%dT%H:%M:%SZ}",
            "body": texts["description"],
            "location": texts["location"],
        })
        return {"google": google, "outlook": outlook}

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

    # === BACKEND ACTIONS === #

    def _open_reason_wizard(self, action):
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.appointment.reason.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_appointment_ids": self.ids, "default_action": action},
        }

    def action_open_decline_wizard(self):
        return self._open_reason_wizard("decline")

    def action_open_cancel_wizard(self):
        return self._open_reason_wizard("cancel")

    def action_merge_customer(self):
        """Staff checked that the visitor is the known customer: merge the two contacts (Odoo's wizard)."""
        self.ensure_one()
        return self.partner_id.action_booking_merge_same_as()

    @api.model
    def _get_action_for(self, field, record):
        """The appointments' window action, showing those of ``record`` (by ``field``) and creating theirs."""
        action = self.env["ir.actions.act_window"]._for_xml_id("self_serve_booking.booking_appointment_action")
        action["domain"] = [(field, "=", record.id)]
        action["context"] = {f"default_{field}": record.id}
        return action

    # === CHECKOUT AT THE DESK === #

    def _get_service_line(self):
        self.ensure_one()
        return self.line_ids.filtered(lambda line: line.line_type == "service")[:1]

    def action_open_checkout(self):
        """The desk's checkout screen: what was done, paid and due, and the buttons to settle it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Checkout %(ref)s", ref=self.name),
            "res_model": "booking.appointment",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("self_serve_booking.booking_appointment_view_form_checkout").id, "form")],
            "target": "current",
        }

    def action_register_payment(self, pay_with="counter"):
        """Open the payment dialog of the checkout screen."""
        self.ensure_one()
        if not self.contract_id:
            raise UserError(self.env._("%(ref)s has nothing to pay.", ref=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Take a payment"),
            "res_model": "booking.counter.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_appointment_id": self.id, "default_pay_with": pay_with},
        }

    def action_charge_saved_card(self):
        return self.action_register_payment(pay_with="card")

    def _get_receipt_url(self):
        """The customer's page of this booking, where the receipt is (a link grants this booking only)."""
        self.ensure_one()
        return f"{self.get_base_url()}{self.get_portal_url()}"

    def _send_receipt(self, channel):
        """Send the receipt now, by ``email`` (with the PDF) or ``sms`` (a link to the receipt page)."""
        self.ensure_one()
        if self.state not in ("done", "no_show"):
            raise UserError(self.env._("The receipt exists once the appointment is checked out."))
        partner = self.partner_id
        if channel == "email" and not partner.email:
            raise UserError(self.env._("%(customer)s has no e-mail address.", customer=partner.name))
        if channel == "sms" and not (partner.mobile or partner.phone):
            raise UserError(self.env._("%(customer)s has no phone number.", customer=partner.name))
        key = f"receipt:booking.appointment:{self.id}:desk:{channel}:{fields.Datetime.now().isoformat()}"
        self.env["booking.notification"].sudo()._enqueue(self.page_id, "receipt", key, self, channel=channel)
        self._message_log(body=escape(self.env._("Receipt sent by %(channel)s.",
                                                 channel=self.env._("SMS") if channel == "sms" else
                                                 self.env._("e-mail"))))
        return True

    def action_send_receipt_by_email(self):
        return self._send_receipt("email")

    def action_send_receipt_by_sms(self):
        return self._send_receipt("sms")

    def action_view_contract(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.payment.contract",
            "res_id": self.contract_id.id,
            "view_mode": "form",
            "name": self.env._("Payments of %(ref)s", ref=self.name),
        }

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

    def _check_in_by_link(self, signature, user, act=True):
        """Check in from the QR code's link: ``(result code, appointment)``.

        Result codes: ``checked_in``, ``ready`` (it would, with ``act`` False),
        ``already`` (idempotent), ``busy`` (another tap holds the booking),
        ``too_early``, ``ended``, ``invalid_state`` and ``invalid`` (forged or
        foreign link, or no such booking); only ``checked_in`` changes
        anything. Staff signed in check the customer in whenever the booking
        is confirmed.
        """
        appointment = self.sudo().exists()
        if len(appointment) != 1 or not appointment._check_in_signature_ok(signature):
            return "invalid", self.browse()
        if act and not appointment._try_lock():
            return "busy", appointment
        if appointment.state in ("checked_in", "done"):
            return "already", appointment
        if appointment.state != "confirmed":
            return "invalid_state", appointment
        now = fields.Datetime.now()
        staff = appointment._is_staff(user)
        if not staff:
            if now < appointment._check_in_opens_at():
                return "too_early", appointment
            if now >= appointment.stop:
                return "ended", appointment
        if not act:
            return "ready", appointment
        appointment.with_user(user if staff else self.env.user).sudo().action_check_in(
            method="staff" if staff else "qr")
        return "checked_in", appointment

    def _is_staff(self, user):
        """Whether ``user`` works for this booking's merchant (staff of another company do not)."""
        self.ensure_one()
        return user.has_group("self_serve_booking.group_booking_user") and self.company_id in user.company_ids

    # === REVIEWS (rating.mixin) === #
    # After the visit the customer is asked once for 1-5 stars and a comment,
    # by a signed link that grants the review of this one booking and nothing
    # else: it covers the booking and its customer, needs no sign-in, and
    # takes one answer. The answer is a ``rating.rating`` of the booking.

    def _rating_get_operator(self):
        """Who is rated: the provider's user, when they have one."""
        return self.provider_id.user_id.partner_id if "provider_id" in self else self.env["res.partner"]

    def _queue_review_request(self):
        """Queue the review request of a completed booking, once (the outbox key is the booking's)."""
        self.ensure_one()
        if self.partner_id and self.page_id.reviews_enabled:
            self._notify("review_request")

    def _review_signature(self):
        self.ensure_one()
        return self._link_signature("review", self.partner_id.id)

    def _review_url(self, stars=None):
        """The signed link of this booking's review form (``stars``: pre-chosen, from the e-mail's stars)."""
        self.ensure_one()
        url = f"{self.page_id.get_base_url()}/p/{self.page_id.slug}/review/{self.id}/{self._review_signature()}"
        return f"{url}?stars={int(stars)}" if stars else url

    def _review_rating(self):
        """The customer's answered rating of this booking, if any."""
        self.ensure_one()
        return self.env["rating.rating"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "=", self.id), ("consumed", "=", True)], limit=1)

    def _check_review_link(self, signature):
        """What a review link (anything a visitor sent) allows: "invalid", "answered" or "open"."""
        self.ensure_one()
        if (not isinstance(signature, str) or len(signature) > 128 or self.state != "done"
                or not self.partner_id or not self._link_signature_ok("review", signature, self.partner_id.id)):
            return "invalid"
        return "answered" if self._review_rating() else "open"

    def _submit_review(self, signature, stars, comment=None):
        """The customer's answer through the signed link: once per booking.

        :return: the link's status after the attempt: "invalid", "answered"
            (a second answer: refused), "busy" or "done".
        :raise BookingInputError: stars not 1-5 or a comment too long.
        """
        self.ensure_one()
        status = self._check_review_link(signature)
        if status != "open":
            return status
        stars = int(stars) if isinstance(stars, (int, str)) and str(stars).strip() in ("1", "2", "3", "4", "5") else 0
        comment = comment.strip() if isinstance(comment, str) else ""
        errors = {}
        if not stars:
            errors["stars"] = self.env._("choose from 1 to 5 stars")
        if len(comment) > 2000:
            errors["comment"] = self.env._("at most 2,000 characters")
        elif text_error(comment):
            errors["comment"] = self.env._("must not contain control characters")
        if errors:
            raise BookingInputError(errors)
        if not self._try_lock():
            return "busy"
        if self._review_rating():  # answered meanwhile, by another request
            return "answered"
        appointment = self.sudo()
        rating = self.env["rating.rating"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "=", self.id), ("consumed", "=", False),
            ("partner_id", "=", self.partner_id.id)], limit=1)
        if not rating:
            rating = rating.create({
                "res_model_id": self.env["ir.model"]._get_id(self._name),
                "res_id": self.id,
                "partner_id": self.partner_id.id,
                "rated_partner_id": self._rating_get_operator().id,
            })
        appointment.rating_apply(stars, rating=rating, feedback=comment or False, subtype_xmlid="mail.mt_note")
        rating.write({"booking_answered_at": fields.Datetime.now(),
                      "is_internal": not self.page_id.reviews_auto_publish})
        return "done"

    # === SERIES (booking.series) === #

    series_id = fields.Many2one("booking.series", ondelete="set null", index="btree_not_null", readonly=True,
                                copy=False)

    def _customer_cancel_series(self, reason=None):
        """The customer cancels this occurrence and all following ones, each under the policy."""
        self.ensure_one()
        if not self.series_id:
            return self._customer_cancel(reason)
        return self.series_id._cancel_from(self, reason=reason, by_customer=True)

    def action_cancel_series_following(self):
        """Staff: cancel this occurrence and all following ones (refunded in full, as any merchant cancellation)."""
        self.ensure_one()
        if not self.series_id:
            raise UserError(self.env._("%(ref)s is not part of a series.", ref=self.name))
        self.series_id._cancel_from(self, by_customer=False)
        return True

    # === LOYALTY (Odoo's loyalty module) === #
    # A page may run a loyalty programme (``loyalty.program`` of type
    # "loyalty"): completed bookings earn points on the customer's loyalty
    # card by the programme's rules, and a discount reward is spent on a later
    # booking as a discount line of its bill (so the final invoice carries
    # it), taken off the balance; the points come back if that booking is
    # cancelled before the visit. Each card move is a ``loyalty.history`` line.

    loyalty_points_earned = fields.Float(readonly=True, copy=False, help="Points this visit earned.")

    def _loyalty_card(self, create=False):
        """The customer's card of the page's programme (sudo), created when asked."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id
        if not program or not self.partner_id:
            return self.env["loyalty.card"].sudo()
        Card = self.env["loyalty.card"].sudo()
        card = Card.search([("program_id", "=", program.id), ("partner_id", "=", self.partner_id.id)], limit=1)
        if not card and create:
            card = Card.create({"program_id": program.id, "partner_id": self.partner_id.id, "points": 0})
        return card

    def _loyalty_points_for_visit(self):
        """What this completed visit earns under the programme's rules (each rule that applies adds up)."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id.sudo()
        product = self.service_id.product_id
        amount = self.price
        points = 0.0
        for rule in program.rule_ids:
            if rule.mode == "with_code" or (rule.minimum_amount and amount < rule.minimum_amount):
                continue
            if product and not product.filtered_domain(rule._get_valid_product_domain()):
                continue
            if rule.reward_point_mode == "money":
                points += rule.reward_point_amount * amount
            else:  # "order" and "unit": one booking is one order of one unit
                points += rule.reward_point_amount
        return round(points, 2)

    def _loyalty_earn(self):
        """A completed visit earns its points, once."""
        for appointment in self.filtered(lambda a: a.page_id.loyalty_program_id and not a.loyalty_points_earned):
            program = appointment.page_id.loyalty_program_id.sudo()
            visit_day = appointment.page_id._local(appointment.start).date()
            if not program.active or (program.date_from and visit_day < program.date_from) or \
                    (program.date_to and visit_day > program.date_to):
                continue  # a programme that is off, or not running that day, earns nothing
            points = appointment._loyalty_points_for_visit()
            if points <= 0:
                continue
            card = appointment._loyalty_card(create=True)
            card.points += points
            appointment.sudo().loyalty_points_earned = points
            appointment._loyalty_history(card, issued=points)

    def _loyalty_history(self, card, issued=0.0, used=0.0):
        self.env["loyalty.history"].sudo().create({
            "card_id": card.id, "description": self.env._("Booking %(ref)s", ref=self.name),
            "issued": issued, "used": used, "order_model": self._name, "order_id": self.id,
        })

    def _loyalty_rewards_available(self):
        """The discount rewards the customer's points can buy on this booking now."""
        self.ensure_one()
        program = self.page_id.loyalty_program_id.sudo()
        if not program or self.state not in ("pending_payment", "pending", "confirmed", "checked_in") \
                or self.line_ids.filtered("loyalty_reward_id"):
            return self.env["loyalty.reward"].sudo()
        points = self._loyalty_card().points
        return program.reward_ids.filtered(
            lambda r: r.reward_type == "discount" and r.required_points <= points
            and self._loyalty_discount_amount(r) > 0)

    def _loyalty_discount_amount(self, reward):
        """The discount ``reward`` gives on this bill, capped so it comes off the balance only.

        What the deposit covers (paid or due) is left alone: a discount never
        makes the bill less than what the customer paid or owes up front.
        """
        self.ensure_one()
        contract = self.contract_id
        billed = sum(self.line_ids.filtered(lambda line: line.line_type != "discount").mapped("price_total"))
        if reward.discount_mode == "percent":
            amount = billed * reward.discount / 100.0
        elif reward.discount_mode == "per_point":
            points = self._loyalty_card().points if reward.clear_wallet else reward.required_points
            amount = reward.discount * points
        else:
            amount = reward.discount
        if reward.discount_max_amount:
            amount = min(amount, reward.discount_max_amount)
        upfront = max(contract.amount_deposit, contract.amount_deposit_paid + contract.amount_balance_paid) \
            if contract else 0.0
        amount = min(amount, self.price - upfront)
        return max(self.currency_id.round(amount), 0.0)

    def _loyalty_apply_reward(self, reward):
        """Spend the customer's points on ``reward``: a discount line on this bill, the points off the card.

        :raise UserError: not this page's programme, not a discount, not
            enough points, a reward already on this booking, or a bill that no
            longer changes.
        """
        self.ensure_one()
        reward = reward.sudo().exists()
        if not reward or reward not in self._loyalty_rewards_available():
            raise UserError(self.env._("This reward cannot be used on %(ref)s.", ref=self.name))
        if not self._try_lock():
            raise UserError(self.env._("%(ref)s is being changed: try again.", ref=self.name))
        card = self._loyalty_card()
        card.invalidate_recordset(["points"])
        used = card.points if reward.clear_wallet else reward.required_points
        if card.points < used:
            raise UserError(self.env._("Not enough points."))
        amount = self._loyalty_discount_amount(reward)
        if not reward.discount_line_product_id:
            reward._create_missing_discount_line_products()
        service_line = self.line_ids.filtered(lambda line: line.line_type == "service")[:1]
        line = self.env["booking.appointment.line"].sudo().create({
            "appointment_id": self.id,
            "line_type": "discount",
            "product_id": reward.discount_line_product_id.id,
            "name": self.env._("Loyalty reward: %(reward)s", reward=reward.description),
            "price_unit": -amount,
            "tax_ids": [fields.Command.set(service_line.tax_ids.ids)],
            "loyalty_reward_id": reward.id,
            "loyalty_card_id": card.id,
            "loyalty_points_used": used,
            "sequence": 90,
        })
        card.points -= used
        self._loyalty_history(card, used=used)
        self.sudo()._message_log(body=self.env._("%(points)s points spent: %(reward)s.",
                                                 points=f"{used:g}", reward=reward.description))
        return line

    def _loyalty_give_back(self):
        """A booking cancelled (or declined, expired) before the visit: the points it spent come back."""
        for line in self.sudo().line_ids.filtered(lambda line: line.loyalty_card_id and line.loyalty_points_used):
            card = line.loyalty_card_id
            card.points += line.loyalty_points_used
            line.appointment_id._loyalty_history(card, issued=line.loyalty_points_used)
            line.with_context(booking_bill_sync=True).loyalty_points_used = 0.0

    # === PROVIDERS' CALENDARS (booking.calendar.sync) === #

    def _calendar_wanted(self):
        """Time-holding appointments of a provider with a user, on a page that mirrors calendars.

        A no-show keeps the event it had: the provider's day did hold it.
        """
        self.ensure_one()
        user = self.provider_id.user_id
        holds_time = self.state in TIME_HOLDING_STATES and self.page_id.sync_provider_calendars \
            and user and user.active
        return bool(holds_time or (self.state == "no_show" and self.calendar_event_id))

    def _calendar_event_values(self):
        self.ensure_one()
        user = self.provider_id.user_id
        label = {
            "pending_payment": self.env._("awaiting payment"),
            "pending": self.env._("to approve"),
        }.get(self.state)
        name = f"{self.service_id.name} · {self.partner_id.name}"
        if label:
            name = f"{name} ({label})"
        description = Markup("<p>%s</p>") % self.name
        if self.note:
            description += Markup("<p>%s</p>") % self.note
        return {
            "name": name,
            "start": self.start,
            "stop": self.stop,
            "allday": False,
            "user_id": user.id,
            "partner_ids": [(6, 0, user.partner_id.ids)],
            "show_as": "busy",
            "location": self._get_agenda_address() or self.page_id.name,
            "description": description,
            "res_model_id": self.env["ir.model"]._get_id(self._name),
            "res_id": self.id,
        }

    # === WAITLIST === #

    def _offer_freed_time_to_waitlist(self):
        """Time came free here: let the waitlist scheduler offer it, soon, if anybody waits for it."""
        pages = self.page_id
        if pages and self.env["booking.waitlist"].sudo().search_count(
                [("page_id", "in", pages.ids), ("state", "=", "waiting")], limit=1):
            self.env.ref("self_serve_booking.ir_cron_waitlist_offers").sudo()._trigger()

    # === ONLINE BOOKING === #
    # The booking page's widget and the JSON API book through these, so they
    # give the same answers for the same request. They take records the
    # caller resolved, raise BookingInputError (400, a message per field),
    # SlotUnavailableError (409, with alternatives), BookingActionRefused or
    # LoginRequiredError, and work as superuser once the checks are done,
    # because visitors have no access rights on bookings.

    @api.model
    def _book_online(self, page, service, provider, start, customer=None, note=None, source="website",
                     partner=None, address=None, dependant_ids=None):
        """Book ``start`` (naive UTC) for a customer, following every rule of the page.

        :param provider: a provider, or an empty recordset for "any available".
        :param dict customer: ``name``, ``email``, ``phone`` of a visitor.
        :param partner: the customer who proved who they are (then ``customer`` is ignored).
        :param address: where the job takes place, for a service at the customer's address.
        :param dependant_ids: ids of the customer's dependants this one booking covers (its duration adds up).
        :return: the new appointment (sudo).
        """
        if not partner and not page.allow_guest_booking:
            raise LoginRequiredError(self.env._("Please sign in to book on this page."))
        note = clean_text(self.env, note, "note")
        address = self._clean_address(service, address)
        page._check_start(start)
        dependants = self._check_online_dependants(service, partner, dependant_ids)
        Availability = self.env["booking.availability"].sudo()
        duration = service._duration_for(len(dependants))
        slot = Availability._find_slot_or_raise(page, service, start, provider, duration_minutes=duration)
        self._check_customer_free(page, slot, partner=partner, customer=customer)
        prepay_full = self._check_no_show_risk(page, partner)
        Appointment = self.sudo()
        try:
            with self.env.cr.savepoint():
                partner = partner or self.env["res.partner"]._booking_create_guest(page, customer or {})
                appointment = Appointment.create({
                    "page_id": page.id,
                    "service_id": service.id,
                    "provider_id": slot.provider_id,
                    "partner_id": partner.id,
                    "start": slot.start,
                    "note": note,
                    "address": address,
                    "source": source,
                    "channel": "online",
                    "state": Appointment._get_initial_state(page, service, source, prepay_full=prepay_full),
                    "prepay_full": prepay_full,
                    "customer_exclusive": not page.allow_overlapping_bookings,
                    # the duration adds up per dependant (see _compute_service_snapshot)
                    "dependant_ids": [Command.set(dependants.ids)],
                })
        except SlotUnavailableError:
            # taken between our check and the insert: the constraint decided
            raise Availability._slot_unavailable(page, service, start, provider, duration_minutes=duration) from None
        return appointment

    @api.model
    def _clean_address(self, service, address):
        """The customer's address for an on-site service, checked; nothing for a service at the business.

        :raise BookingInputError: on ``address``, missing or unlike an address.
        """
        if service.location != "customer":
            return False
        address = clean_text(self.env, address, "address", 300)
        if not address or len(address) < 5 or not re.search(r"\w\w", address):
            raise BookingInputError({"address": self.env._(
                "%(service)s takes place at your address: please give the street, number and town.",
                service=service.name)})
        return " ".join(address.split())

    @api.model
    def _check_no_show_risk(self, page, partner):
        """No-show protection: whether ``partner`` must prepay the whole price, or a refusal to call.

        Only a customer who proved who they are can be at risk: a guest's
        booking is filed under a new contact, whatever they typed.

        :raise BookingActionRefused: ``call_to_book``, when the policy asks
            customers at risk to call.
        """
        policy = page.cancellation_policy_id
        if not partner or not policy:
            return False
        at_risk, _count = policy._get_no_show_risk(partner)
        if not at_risk:
            return False
        if policy.no_show_risk_action == "call":
            phone = page.partner_id.phone or page.company_id.phone
            raise BookingActionRefused("call_to_book", self.env._(
                "Please call us to book%(phone)s: online booking is not available for your account.",
                phone=f" ({phone})" if phone else ""))
        return True

    @api.model
    def _check_customer_free(self, page, slot, partner=None, customer=None):
        """Refuse a second booking of one customer overlapping another on this page (409).

        Unless the page allows it. ``partner`` is a proven customer; for a
        visitor the "customer" is the details they typed (each anonymous
        booking gets a contact of its own): the same name, e-mail and phone
        booked online at an overlapping time is the same request again.
        The exclusion constraint on ``customer_exclusive`` bookings settles
        races of a proven customer.
        """
        if page.allow_overlapping_bookings:
            return
        Appointment = self.sudo()
        domain = [("page_id", "=", page.id), ("state", "in", TIME_HOLDING_STATES),
                  ("start", "<", slot.stop), ("stop", ">", slot.start)]
        if partner:
            clash = Appointment.search([*domain, ("partner_id", "=", partner.id)], limit=1)
            if clash:
                raise Appointment._customer_busy_error(clash)
            return
        customer = customer or {}
        Partner = self.env["res.partner"]
        # two identical requests at once (a retried request, a double tap) must see each other
        self.env["booking.serial.lock"].sudo()._serialize(
            "guest", page.id, *(part or "" for part in Partner._booking_guest_key(page, customer)))
        guests = Partner._booking_same_guests(page, customer)
        if guests and Appointment.search_count(
                [*domain, ("source", "in", ONLINE_SOURCES), ("partner_id", "in", guests.ids)], limit=1):
            raise Appointment._customer_busy_error()

    # === CUSTOMER SELF-SERVICE === #
    # The portal pages and the /me API call these and nothing else, so the
    # same booking gets the same answers whichever way the customer comes.

    @api.model
    def _customer_domain(self, partner, company=None, filterby=None):
        """The customer's bookings; ``filterby``: upcoming, past, cancelled or None."""
        domain = [("partner_id", "=", partner.id)]
        if company:
            domain.append(("company_id", "=", company.id))
        now = fields.Datetime.now()
        if filterby == "upcoming":
            domain += [("stop", ">=", now), ("state", "in", UPCOMING_STATES)]
        elif filterby == "past":
            domain += ["|", ("state", "in", ("done", "no_show")),
                       "&", ("stop", "<", now), ("state", "in", ("confirmed", "checked_in"))]
        elif filterby == "cancelled":
            domain += [("state", "in", CANCELLED_STATES)]
        return domain

    def _get_change_check(self, change):
        """Whether the customer may ``cancel`` or ``reschedule`` this booking online now.

        :return: dict with ``allowed``, ``code`` (``invalid_state`` or
            ``policy_limit``), ``reason`` (for the customer) and ``deadline``
            (naive UTC: when the page's policy closes online changes).
        """
        self.ensure_one()
        appointment = self.sudo()
        page = appointment.page_id
        policy = page.cancellation_policy_id
        cancel = change == "cancel"
        hours = (policy.cancel_limit_hours if cancel else policy.reschedule_limit_hours) if policy else 0.0
        deadline = appointment.start - timedelta(hours=hours)
        check = {"allowed": True, "code": None, "reason": None, "deadline": deadline}
        if appointment.state not in (CANCELLABLE_STATES if cancel else RESCHEDULABLE_STATES):
            state = appointment._state_label()
            check.update(allowed=False, code="invalid_state", reason=self.env._(
                "This booking is %(state)s: it can no longer be cancelled.", state=state) if cancel else self.env._(
                "This booking is %(state)s: it cannot be moved.", state=state))
        elif fields.Datetime.now() >= deadline:
            when = appointment._format_local(deadline)
            check.update(allowed=False, code="policy_limit", reason=self.env._(
                "Online cancellation closed at %(deadline)s. Please contact %(page)s.", deadline=when,
                page=page.name) if cancel else self.env._(
                "Online changes closed at %(deadline)s. Please contact %(page)s.", deadline=when, page=page.name))
        return check

    def _get_cancel_preview(self):
        """Whether the customer may cancel now, and what they would get back.

        :return: ``_get_change_check("cancel")`` with ``refund_amount``,
            ``refund_percent``, ``paid`` and ``currency``.
        """
        self.ensure_one()
        appointment = self.sudo()
        contract = appointment.contract_id
        notice = (appointment.start - fields.Datetime.now()).total_seconds() / 3600.0
        refund, percent = contract._get_cancellation_refund("customer", notice) if contract else (0.0, 100.0)
        return {
            **appointment._get_change_check("cancel"),
            "refund_amount": refund,
            "refund_percent": percent,
            "paid": contract.amount_net if contract else 0.0,
            "currency": contract.currency_id if contract else appointment.currency_id,
        }

    def _customer_cancel(self, reason=None):
        """Cancel for the customer, under the policy; the refund follows the preview."""
        self.ensure_one()
        check = self._get_change_check("cancel")
        if not check["allowed"]:
            raise BookingActionRefused(check["code"], check["reason"])
        with self.env.cr.savepoint():
            self.sudo().action_cancel(reason=clean_text(self.env, reason, "reason", 500) or None,
                                      cancelled_by="customer")
        return self

    def _get_reschedule_slots(self, date_from, date_to, any_provider=False):
        """Free slots to move to: same service, same provider unless "any", its own time counts as free."""
        self.ensure_one()
        appointment = self.sudo()
        page = appointment.page_id
        date_to = min(date_to, page._last_bookable_date())
        if date_to < date_from:
            return []
        # the booking's own length: one for several dependants moves to a time that fits them all
        return self.env["booking.availability"].sudo()._get_slots(
            page, appointment.service_id, date_from, date_to,
            providers=None if any_provider else appointment.provider_id,
            exclude_ids=appointment.ids, duration_minutes=appointment.duration_minutes,
        )

    def _get_reschedule_choices(self, day=None, start=None, any_provider=False):
        """What the portal's picker shows: the days with free times in the next four weeks, one day's times.

        :param day: the local date asked for (default: the first with free times).
        :param start: a time the customer picked (naive UTC), if it is still free.
        :return: dict with ``days``, ``date`` (the day shown), ``slots`` (one
            per start) and ``chosen_slot`` (the picked time's slot, or None).
        """
        self.ensure_one()
        page = self.page_id
        today = page._local_today()
        horizon = self._get_reschedule_slots(today, today + timedelta(days=27), any_provider=any_provider)
        days = sorted({page._local(slot.start).date() for slot in horizon})
        chosen_slot = next((slot for slot in horizon if slot.start == start), None) if start else None
        if chosen_slot:
            day = page._local(start).date()
        day = day if day in days else (days[0] if days else None)
        slots, seen = [], set()
        for slot in horizon:  # sorted by start, the provider "any available" assigns first
            if slot.start not in seen and page._local(slot.start).date() == day:
                seen.add(slot.start)
                slots.append(slot)
        return {"days": days, "date": day, "slots": slots, "chosen_slot": chosen_slot}

    def _reschedule(self, start, moved_by, any_provider=False):
        """Move the booking to ``start`` (naive UTC) in one step, under the page's rules.

        One UPDATE of the same row: the original time is held until the new
        one is secured, so losing a race for the new slot leaves the booking
        exactly as it was. The deposit and everything paid stay with it.

        :param moved_by: ``customer`` (the policy's limits apply, the
            merchant is told) or ``merchant``.
        """
        self.ensure_one()
        appointment = self.sudo()
        if moved_by == "customer":
            check = appointment._get_change_check("reschedule")
            if not check["allowed"]:
                raise BookingActionRefused(check["code"], check["reason"])
        page, service = appointment.page_id, appointment.service_id
        page._check_start(start)
        provider = self.env["booking.provider"] if any_provider else appointment.provider_id
        Availability = self.env["booking.availability"].sudo()
        duration = appointment.duration_minutes
        slot = Availability._find_slot_or_raise(page, service, start, provider, exclude_ids=appointment.ids,
                                                duration_minutes=duration)
        old_start, old_provider = appointment.start, appointment.provider_id
        if (slot.start, slot.provider_id) == (old_start, old_provider.id):
            return appointment
        try:
            with self.env.cr.savepoint():
                appointment.write({"start": slot.start, "provider_id": slot.provider_id})
        except SlotUnavailableError:
            raise Availability._slot_unavailable(page, service, start, provider,
                                                 duration_minutes=duration) from None
        appointment._queue_move_notifications(old_start, old_provider, moved_by=moved_by)
        return appointment

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Receipt %(ref)s", ref=self.name)

    # === DEPENDANTS === #

    @api.depends("dependant_ids", "dependant_ids.medical_notes", "dependant_ids.weight")
    def _compute_dependant_details(self):
        for appointment in self:
            lines = []
            for dependant in appointment.dependant_ids:
                lines.append(dependant._summary_line())
                if dependant.medical_notes:
                    lines.append("  " + self.env._("Notes: %(notes)s", notes=dependant.medical_notes))
            appointment.dependant_details = "\n".join(lines) or False

    @api.depends("dependant_ids")
    def _compute_dependant_history(self):
        for appointment in self:
            if not appointment.dependant_ids:
                appointment.dependant_history_ids = False
                continue
            # searched with the user's rights: staff see their own company's visits only
            appointment.dependant_history_ids = self.search([
                ("dependant_ids", "in", appointment.dependant_ids.ids), ("id", "!=", appointment._origin.id),
                ("state", "=", "done")], order="start desc", limit=20)

    @api.onchange("dependant_ids", "service_id")
    def _onchange_dependant_duration(self):
        if self.service_id and len(self.dependant_ids) > 1:
            self.duration_minutes = self.service_id._duration_for(len(self.dependant_ids))

    @api.constrains("dependant_ids", "partner_id", "service_id")
    def _check_dependants(self):
        for appointment in self:
            dependants = appointment.dependant_ids.sudo()
            if not dependants:
                continue
            service = appointment.service_id
            if dependants.partner_id != appointment.partner_id:
                raise ValidationError(self.env._(
                    "%(customer)s can only book for their own pets and family.",
                    customer=appointment.partner_id.name))
            if dependants.filtered(lambda d, company=appointment.company_id: d.company_id and d.company_id != company):
                raise ValidationError(self.env._("A pet or family member recorded by another business cannot be "
                                                 "booked here."))
            if not service.for_dependant:
                raise ValidationError(self.env._("%(service)s is not booked for a pet or family member.",
                                                 service=service.name))
            kinds = service._dependant_kinds()
            wrong = dependants.filtered(lambda d, kinds=kinds: d.kind not in kinds)
            if wrong:
                raise ValidationError(self.env._("%(service)s is not for %(names)s.", service=service.name,
                                                 names=", ".join(wrong.mapped("name"))))
            if len(dependants) > service._max_dependants():
                raise ValidationError(self.env._(
                    "One booking of %(service)s covers at most %(count)s: book the others separately.",
                    service=service.name, count=service._max_dependants()))

    @api.model
    def _check_online_dependants(self, service, partner, dependant_ids):
        """The dependants a customer asked ``service`` for, checked; an empty recordset if none.

        Dependants belong to proven customers: a guest cannot name one, and
        an id that is not one of the customer's own active dependants is
        refused like an unknown one (nothing tells them apart).

        :raise LoginRequiredError: the service is for a dependant and the visitor is a guest.
        :raise BookingInputError: on ``dependant_ids``.
        """
        Dependant = self.env["booking.dependant"].sudo()
        ids = [value for value in (dependant_ids or []) if isinstance(value, int) and not isinstance(value, bool)]
        if len(ids) != len(dependant_ids or []) or len(set(ids)) != len(ids) or len(ids) > MAX_DEPENDANTS:
            raise BookingInputError({"dependant_ids": self.env._("must be at most %(count)s distinct ids",
                                                                  count=MAX_DEPENDANTS)})
        if not ids:
            if service.for_dependant and not partner:
                raise LoginRequiredError(self.env._(
                    "Please sign in to book %(service)s for your pet or family member.", service=service.name))
            if service.for_dependant:
                raise BookingInputError({"dependant_ids": self.env._("choose who this booking is for")})
            return Dependant
        if not partner:
            raise BookingInputError({"dependant_ids": self.env._(
                "sign in to book for your pets and family")})
        if not service.for_dependant:
            raise BookingInputError({"dependant_ids": self.env._("this service is not booked for a dependant")})
        dependants = Dependant.search([("id", "in", ids), ("partner_id", "=", partner.id)])
        if len(dependants) != len(ids):
            raise BookingInputError({"dependant_ids": self.env._("unknown pet or family member")})
        kinds = service._dependant_kinds()
        if dependants.filtered(lambda d: d.kind not in kinds):
            raise BookingInputError({"dependant_ids": self.env._(
                "%(service)s is not for this kind of dependant", service=service.name)})
        if len(dependants) > service._max_dependants():
            raise BookingInputError({"dependant_ids": self.env._(
                "one booking covers at most %(count)s: book the others separately",
                count=service._max_dependants())})
        return dependants

    def _book_again_url(self):
        """"Book again": the page with this visit's service, provider and dependants chosen.

        The page preselects a dependant for its signed-in owner only and
        ignores the parameter for anyone else.
        """
        self.ensure_one()
        params = {"service": self.service_id.id, "provider": self.provider_id.id}
        if self.dependant_ids:
            params["dependant"] = ",".join(str(dependant_id) for dependant_id in self.dependant_ids.ids)
        return f"{self.page_id.get_base_url()}/p/{self.page_id.slug}?{url_encode(params)}"

    def _get_visit_record_values(self):
        """What the customer gets of the visit with the receipt: for whom, the summary, the care instructions."""
        self.ensure_one()
        if not (self.visit_summary or self.care_instructions):
            return {}
        return {
            "dependants": ", ".join(self.dependant_ids.sudo().mapped("name")),
            "summary": self.visit_summary or "",
            "care_instructions": self.care_instructions or "",
        }

    # === FOLLOW-UPS === #

    def _booked_again_since(self):
        """Whether the customer booked this visit's service again since (any booking starting or made after it)."""
        self.ensure_one()
        return bool(self.sudo().with_context(active_test=False).search_count([
            ("partner_id", "=", self.partner_id.id), ("service_id", "=", self.service_id.id),
            ("id", "!=", self.id), "|", ("start", ">", self.start), ("create_date", ">", self.start)], limit=1))
