import logging
from datetime import timedelta

import pytz
from markupsafe import Markup
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount

from ..const import CANCELLABLE_STATES
from ..const import RESCHEDULABLE_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from ..exceptions import SeriesUnavailableError
from ..exceptions import SlotUnavailableError

_logger = logging.getLogger(__name__)

MAX_OCCURRENCES = 52
MAX_INTERVAL_WEEKS = 12
PAYMENT_LINK_SCOPE = "series_payment"


class BookingSeries(models.Model):
    """A recurring booking: one service at the same local time every N weeks, K times or until a date.

    The one rule set of series: the portal (``controllers/portal_series.py``),
    the API (``controllers/api.py``) and the staff wizard
    (``wizard/booking_series_wizard.py``) parse their input and call these
    methods, and nothing else decides: what may be a series
    (``_get_series_refusal``), its starts and their replacements
    (``_series_starts``), the plan (``_plan_series``), booking all or nothing
    (``_book_series``), its deposits (one payment for all of them,
    ``_get_deposit_due``) and cancelling this and the following occurrences
    (``_cancel_from``).

    Each occurrence is an ordinary appointment (its own contract, deposit,
    reminders, cancellation policy), checked by the same rules as a single
    booking: ``booking.appointment._book_online`` for customers, and
    PostgreSQL's exclusion constraint for everyone. The whole series is
    planned first; when an occurrence cannot be had, nothing is booked and
    the plan names it with the nearest free times, for the customer (or
    staff) to pick a replacement. Then all occurrences are booked in one
    savepoint: all of them, or none.

    Occurrences with a deposit are held unpaid (``pending_payment``) like
    any online booking, until the page's hold deadline. The customer pays
    them all in one payment (one ``payment.transaction`` of the series,
    split on its way in into one part per occurrence, recorded on each
    occurrence's contract, see ``models/payment_transaction_series.py``), or
    each on its own page; they are told the deadline when they book, and told
    again when unpaid visits are released.
    """

    _name = "booking.series"
    _description = "Recurring Booking"
    _inherit = ["mail.thread", "booking.signed.link.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(compute="_compute_name", store=True)
    page_id = fields.Many2one("booking.page", required=True, ondelete="restrict", index=True, check_company=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    service_id = fields.Many2one("booking.service", required=True, ondelete="restrict", check_company=True)
    provider_id = fields.Many2one("booking.provider", ondelete="restrict", check_company=True,
                                  help="Empty: any available provider, occurrence by occurrence.")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="restrict", index=True)

    # === RHYTHM === #
    interval_weeks = fields.Integer(string="Every (weeks)", required=True, default=1)
    count = fields.Integer(string="Number of Occurrences", readonly=True)
    until_date = fields.Date(string="Until", readonly=True)
    source = fields.Selection(selection=[("website", "Website"), ("api", "API"), ("portal", "Portal"),
                                         ("backend", "Backend")], default="backend", required=True, readonly=True)

    # === OCCURRENCES === #
    appointment_ids = fields.One2many("booking.appointment", "series_id", string="Occurrences")
    upcoming_count = fields.Integer(compute="_compute_upcoming_count")
    lapse_told_until = fields.Datetime(
        string="Lapse Told", readonly=True, copy=False,
        help="The customer was told of the unpaid visits released up to this hold deadline (told once).")

    @api.depends("service_id", "interval_weeks", "partner_id")
    def _compute_name(self):
        for series in self:
            series.name = self.env._("%(service)s every %(weeks)s week(s), %(customer)s",
                                     service=series.service_id.name or "", weeks=series.interval_weeks,
                                     customer=series.partner_id.name or "")

    def _compute_upcoming_count(self):
        now = fields.Datetime.now()
        for series in self:
            series.upcoming_count = len(series.appointment_ids.filtered(
                lambda a: a.state in CANCELLABLE_STATES and a.start > now))

    def write(self, vals):
        if "page_id" in vals and any(series.page_id.id != vals["page_id"] for series in self):
            # its visits, their deposits and the providers that take them belong to the page it was booked on
            raise UserError(self.env._("A series stays on the page it was booked on."))
        return super().write(vals)

    # === WHAT MAY BE A SERIES === #

    @api.model
    def _get_series_refusal(self, service, staff=False, existing=None):
        """Why ``service`` (or the booking ``existing``, repeated) cannot be booked as a series, or None.

        Customers book series of the services that allow them; staff of any
        service. Nobody books a series of a service for a pet or family
        member (each visit names its dependants), nor repeats a booking that
        is already an occurrence. A customer repeats an upcoming booking that
        holds (confirmed, or awaiting approval).

        :return: ``(field, message)``: the field at fault (``service_id``,
            ``appointment_id``) and a message that follows its name.
        """
        if existing:
            if existing.series_id:
                return "appointment_id", self.env._("This booking is already part of a series.")
            if not staff and (existing.state not in RESCHEDULABLE_STATES
                              or existing.start <= fields.Datetime.now()):
                return "appointment_id", self.env._("Only an upcoming, confirmed booking can be repeated.")
            if existing.dependant_ids:
                return "service_id", self.env._("is booked for a pet or family member: book its visits one by one")
        if not staff and not service.allow_series:
            return "service_id", self.env._("cannot be booked as a series")
        if service.for_dependant:
            return "service_id", self.env._("is booked for a pet or family member: book its visits one by one")
        return None

    @api.model
    def _check_series_allowed(self, service, staff=False, existing=None):
        """:raise BookingInputError: ``_get_series_refusal`` says no."""
        refusal = self._get_series_refusal(service, staff=staff, existing=existing)
        if refusal:
            raise BookingInputError(dict([refusal]))

    # === THE OCCURRENCES === #

    @api.model
    def _occurrence_starts(self, page, first_start, interval_weeks, count=None, until=None):
        """The starts (naive UTC) of the series: the same local wall-clock time every ``interval_weeks``.

        Daylight saving changes keep the local time (10:00 stays 10:00).

        :raise BookingInputError: a bad rhythm or length.
        """
        errors = {}
        if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
            errors["interval_weeks"] = self.env._("must be 1 to %(max)s weeks", max=MAX_INTERVAL_WEEKS)
        if (count is None) == (until is None):
            errors["count"] = self.env._("give either a number of occurrences or an end date")
        elif count is not None and (not isinstance(count, int) or not 2 <= count <= MAX_OCCURRENCES):
            errors["count"] = self.env._("must be 2 to %(max)s occurrences", max=MAX_OCCURRENCES)
        if errors:
            raise BookingInputError(errors)
        zone = pytz.timezone(page.tz or "UTC")
        local = pytz.utc.localize(first_start).astimezone(zone).replace(tzinfo=None)
        if until is not None and until <= local.date():
            raise BookingInputError({"until": self.env._("must be after the first occurrence")})
        starts = []
        while len(starts) < (count or MAX_OCCURRENCES + 1):
            moment = local + timedelta(weeks=interval_weeks * len(starts))
            if until is not None and moment.date() > until:
                break
            starts.append(zone.localize(moment).astimezone(pytz.utc).replace(tzinfo=None))
        if len(starts) > MAX_OCCURRENCES:
            raise BookingInputError({"until": self.env._("a series holds at most %(max)s occurrences",
                                                         max=MAX_OCCURRENCES)})
        if len(starts) < 2:
            raise BookingInputError({"until": self.env._("a series holds at least 2 occurrences")})
        return starts

    @api.model
    def _series_starts(self, page, first_start, interval_weeks, count=None, until=None, replacements=None,
                       existing=None):
        """The starts of the series, with the replacements the customer (or staff) chose.

        :param replacements: ``{index: start}`` (naive UTC), another start for
            occurrences the plan found taken. The booking ``existing`` (the
            first occurrence) is never replaced.
        :raise BookingInputError: a bad rhythm or length, a replacement of an
            occurrence the series does not have, two occurrences at one time.
        """
        starts = self._occurrence_starts(page, first_start, interval_weeks, count=count, until=until)
        first = 1 if existing else 0
        for index, start in (replacements or {}).items():
            if not isinstance(index, int) or isinstance(index, bool) or not first <= index < len(starts):
                raise BookingInputError({"replacements": self.env._("names an occurrence the series does not have")})
            starts[index] = start
        if len(set(starts)) != len(starts):
            raise BookingInputError({"replacements": self.env._("two occurrences at the same time")})
        return starts

    # === THE PLAN === #

    @api.model
    def _plan(self, page, service, provider, starts, partner=None, customer=None, staff=False):
        """Whether each start can be had, checked as a single booking would be, without booking anything.

        :return: a list of dicts: ``index``, ``start``, ``available``,
            ``provider`` (the one it would get), ``reason`` (why not) and
            ``alternatives`` (the nearest free slots, when not available).
        """
        Availability = self.env["booking.availability"].sudo()
        Appointment = self.env["booking.appointment"].sudo()
        plan = []
        for index, start in enumerate(starts):
            entry = {"index": index, "start": start, "available": False, "provider": provider.browse(),
                     "reason": "", "alternatives": []}
            try:
                if not staff:
                    page._check_start(start)
                slot = Availability._find_slot_or_raise(page, service, start, provider)
                if not staff:
                    Appointment._check_customer_free(page, slot, partner=partner, customer=customer)
                entry.update(available=True, provider=provider.browse(slot.provider_id))
            except SlotUnavailableError as error:
                entry.update(reason=self.env._("taken"), alternatives=error.alternatives)
            except (ValidationError, UserError) as error:
                entry["reason"] = error.args[0] if not isinstance(error, BookingInputError) else "; ".join(
                    error.fields.values())
                if fields.Datetime.now() < start < fields.Datetime.now() + timedelta(days=page.max_advance_days):
                    entry["alternatives"] = Availability._nearest_slots(page, service, start, provider or None)
            plan.append(entry)
        return plan

    @api.model
    def _plan_with_existing(self, page, service, provider, starts, partner, customer, staff, existing):
        """``_plan``, the booking ``existing`` (if any) being the first occurrence, free by definition."""
        if not existing:
            return self._plan(page, service, provider, starts, partner=partner, customer=customer, staff=staff)
        plan = self._plan(page, service, provider, starts[1:], partner=partner, customer=customer, staff=staff)
        for entry in plan:
            entry["index"] += 1
        return [{"index": 0, "start": existing.start, "available": True, "provider": existing.provider_id,
                 "reason": "", "alternatives": []}, *plan]

    @api.model
    def _plan_series(self, page, service, provider, first_start, interval_weeks, count=None, until=None,
                     partner=None, customer=None, replacements=None, staff=False, existing=None):
        """What may be a series, its starts with their replacements, and whether each can be had.

        What the portal's and the API's "plan" and the wizard's table show;
        nothing is booked. Arguments as ``_book_series``.

        :raise BookingInputError: not a series, a bad rhythm, length or replacement.
        :return: the plan (``_plan``).
        """
        self._check_series_allowed(service, staff=staff, existing=existing)
        starts = self._series_starts(page, first_start, interval_weeks, count=count, until=until,
                                     replacements=replacements, existing=existing)
        return self._plan_with_existing(page, service, provider, starts, partner, customer, staff, existing)

    # === BOOKING, ALL OR NOTHING === #

    @api.model
    def _book_series(self, page, service, provider, first_start, interval_weeks, count=None, until=None,
                     partner=None, customer=None, note=None, source="website", replacements=None, staff=False,
                     existing=None):
        """Plan, then book every occurrence in one savepoint: all of them, or none.

        :param replacements: ``{index: start}``, another start for the
            occurrences the plan found taken (an alternative it offered, or
            any free time).
        :param staff: booked by staff (the backend): the page's notice and
            horizon do not apply, and no deposit is asked (staff bookings are
            confirmed); the exclusion constraint does apply.
        :param existing: an appointment that becomes the series' first
            occurrence (repeating a booking); ``first_start`` is its start.
        :raise SeriesUnavailableError: (nothing booked) with the plan.
        :return: the series (sudo). Occurrences with a deposit are held
            unpaid: ``_get_deposit_due`` says what to pay, and by when.
        """
        self._check_series_allowed(service, staff=staff, existing=existing)
        if not staff and not partner:
            # a series is for a customer who proved who they are: a guest's contact is made from what they typed,
            # and a stranger holding a whole season of someone's times is exactly what a sign-in prevents
            raise LoginRequiredError(self.env._("Please sign in to book a series."))
        starts = self._series_starts(page, first_start, interval_weeks, count=count, until=until,
                                     replacements=replacements, existing=existing)
        plan = self._plan_with_existing(page, service, provider, starts, partner, customer, staff, existing)
        if not all(entry["available"] for entry in plan):
            raise SeriesUnavailableError(
                self.env._("Some times of this series are not free: choose another time for them."), plan)
        Appointment = self.env["booking.appointment"].sudo()
        try:
            with self.env.cr.savepoint():
                series = self.sudo().create({
                    "page_id": page.id, "service_id": service.id, "provider_id": provider.id or False,
                    "partner_id": (partner.id if partner else False) or self._placeholder_partner(page, customer),
                    "interval_weeks": interval_weeks, "count": len(starts), "until_date": until,
                    "source": source if source in ("website", "api", "portal") else "backend",
                })
                for entry in plan:
                    if existing and entry["index"] == 0:
                        existing.sudo().series_id = series
                    elif staff:
                        appointment = Appointment.create({
                            "page_id": page.id, "service_id": service.id, "provider_id": entry["provider"].id,
                            "partner_id": series.partner_id.id, "start": entry["start"], "note": note or False,
                            "source": "backend", "series_id": series.id,
                        })
                    else:
                        # the portal is the website's: an appointment has no "portal" source of its own
                        appointment = Appointment._book_online(
                            page, service, entry["provider"], entry["start"], customer=customer, note=note,
                            source="website" if source == "portal" else source, partner=series.partner_id)
                        appointment.series_id = series
                series._on_booked()
        except SlotUnavailableError:
            # taken between the plan and the booking (the constraint decided): nothing was booked
            plan = self._plan_with_existing(page, service, provider, starts, partner, customer, staff, existing)
            raise SeriesUnavailableError(
                self.env._("Some times of this series were just taken: choose another time for them."),
                plan) from None
        return series

    def _on_booked(self):
        """Just booked: the chatter says so; unpaid deposits are asked for, with their deadline."""
        self.ensure_one()
        due = self._get_deposit_due()
        if not due["appointments"]:
            self.message_post(body=self.env._("Series booked: %(count)s occurrences.",
                                              count=len(self.appointment_ids)))
            return
        self.message_post(body=self.env._(
            "Series reserved: %(count)s occurrences; %(unpaid)s held until their deposits (%(amount)s) are paid, "
            "by %(deadline)s.", count=len(self.appointment_ids), unpaid=len(due["appointments"]),
            amount=due["contracts"][:1]._fmt(due["amount"]), deadline=self._when(due["deadline"], "time")))
        self._ask_for_deposits(due)

    def _get_booked_message(self):
        """What the customer reads once the series is booked: booked, or held until its deposits are paid.

        Never "booked" for visits that lapse unless paid: those are named
        with the amount and the deadline.
        """
        self.ensure_one()
        occurrences = self.appointment_ids
        last = self._when(max(occurrences.mapped("start")), "short")
        due = self._get_deposit_due()
        if not due["appointments"]:
            return self.env._("Your series is booked: %(count)s visits, every %(weeks)s week(s), until %(last)s.",
                              count=len(occurrences), weeks=self.interval_weeks, last=last)
        return self.env._(
            "Your series is reserved: %(count)s visits, every %(weeks)s week(s), until %(last)s. %(unpaid)s of "
            "them are not booked until their deposits (%(amount)s in all) are paid: pay by %(deadline)s, or "
            "those times are released.",
            count=len(occurrences), weeks=self.interval_weeks, last=last, unpaid=len(due["appointments"]),
            amount=due["contracts"][:1]._fmt(due["amount"]), deadline=self._when(due["deadline"], "time"))

    @api.model
    def _placeholder_partner(self, page, customer):
        """A guest's own new contact (never an existing customer's, invariant 8)."""
        return self.env["res.partner"].sudo()._booking_create_guest(page, customer or {}).id

    def _when(self, value, style="long"):
        """``value`` (naive UTC) as the customer reads it, in the page's zone."""
        self.ensure_one()
        return self.page_id._format_when(value, style=style)

    # === DEPOSITS: ONE PAYMENT FOR THE SERIES === #

    def _get_deposit_due(self):
        """The deposits of this series the customer may pay now, all in one payment.

        An occurrence counts while it is held unpaid (``pending_payment``)
        with a deposit due and no payment of it on its way (its own, or a
        payment of the series).

        :return: dict with ``appointments`` and their ``contracts`` (in start
            order), ``shares`` (``{contract: amount}``), ``amount`` (the sum),
            ``currency`` and ``deadline`` (the earliest hold, naive UTC).
        """
        self.ensure_one()
        occurrences = self.sudo().appointment_ids.filtered(
            lambda a: a.state == "pending_payment" and a.contract_id).sorted(lambda a: (a.start, a.id))
        shares = {}
        for appointment in occurrences:
            contract = appointment.contract_id
            amount = contract._get_amount_due("deposit")
            if contract.currency_id.compare_amounts(amount, 0.0) > 0 and not contract._has_deposit_in_flight():
                shares[contract] = amount
        contracts = self.env["booking.payment.contract"].sudo().concat(*shares)
        currency = contracts.currency_id[:1]
        return {
            "appointments": contracts.appointment_id,
            "contracts": contracts,
            "shares": shares,
            "amount": currency.round(sum(shares.values())) if currency else 0.0,
            "currency": currency,
            "deadline": min(contracts.appointment_id.mapped("hold_expires_at"), default=False),
        }

    def _get_payment_token(self):
        """The token of the series' payment link: it grants paying this series' deposits and seeing its visits.

        Signed over the series and its customer (``booking.signed.link.mixin``):
        given to the customer who booked it (their answer, their e-mail),
        never derived from one booking's link.
        """
        self.ensure_one()
        return self._link_signature(PAYMENT_LINK_SCOPE, self.partner_id.id)

    def _check_payment_token(self, token):
        """Whether ``token`` (anything a visitor sent) is this series' payment link token."""
        self.ensure_one()
        return isinstance(token, str) and token.isascii() and self._link_signature_ok(
            PAYMENT_LINK_SCOPE, token, self.partner_id.id)

    def _get_payment_url(self):
        """The customer's page of the series, where its deposits are paid in one payment (relative)."""
        self.ensure_one()
        return f"/my/series/{self.id}?access_token={self._get_payment_token()}"

    def _get_deposit_payment(self, requested=None):
        """What the customer pays now for the series' deposits, checked; the occurrences are locked first.

        :param requested: the amount the page showed, which must still be
            what is due (the amount always comes from the contracts).
        :raise ValidationError: nothing to pay, being paid already, an amount
            that changed.
        :return: ``_get_deposit_due()``.
        """
        self.ensure_one()
        occurrences = self.sudo().appointment_ids.filtered(lambda a: a.state == "pending_payment")
        if not occurrences._try_lock():
            raise ValidationError(self.env._("A payment for this series is already being processed."))
        due = self._get_deposit_due()
        currency = due["currency"]
        if not due["appointments"]:
            raise ValidationError(self.env._("No deposit of this series is due now: it has been paid, or is "
                                             "being paid."))
        if requested is not None and currency.compare_amounts(requested, due["amount"]) != 0:
            raise ValidationError(self.env._("The amount to pay has changed. Please reload the page."))
        return due

    def _prepare_deposit_transaction_values(self, due, payer_verified=False):
        """The values of the one transaction paying ``due`` (``_get_deposit_due``): its parts, per contract."""
        self.ensure_one()
        return {
            "booking_series_id": self.id,
            "booking_payment_kind": "deposit",
            "booking_deposit_shares": {str(contract.id): amount for contract, amount in due["shares"].items()},
            "booking_payer_verified": payer_verified,
        }

    def _check_deposit_payment(self, tx):
        """Why the series payment ``tx`` may not pay the deposits it names, or "" when it may.

        A payment confirms only what it covers (DESIGN.md invariant 13): a
        real charge (not a card check) in the contracts' currency, of exactly
        the sum of its parts, each part a positive amount, at most the deposit
        of an occurrence of this series. Each part then goes through its own
        contract's checks, as any deposit does (a visit paid meanwhile gets
        its part back).
        """
        self.ensure_one()
        if tx.operation == "validation":
            return self.env._("a card check (validation) is no payment")
        if tx.booking_series_id != self or tx.booking_payment_kind != "deposit":
            return self.env._("the payment is not for the deposits of this series")
        shares = tx._booking_series_shares()
        if not shares:
            return self.env._("the payment names no visit")
        contracts = self.env["booking.payment.contract"].sudo().concat(*shares)
        if contracts.appointment_id.series_id != self or len(contracts.appointment_id) != len(shares):
            return self.env._("the payment names a visit of another booking")
        if any(contract.currency_id != tx.currency_id for contract in contracts):
            return self.env._("the payment is in %(paid)s, the bookings in %(due)s",
                              paid=tx.currency_id.name or "-", due=", ".join(set(contracts.currency_id.mapped("name"))))
        compare = tx.currency_id.compare_amounts
        if any(compare(amount, 0.0) <= 0 for amount in shares.values()):
            return self.env._("the payment has a part of no amount")
        if any(compare(amount, contract.amount_deposit) > 0 for contract, amount in shares.items()):
            return self.env._("the payment names more than a visit's deposit")
        total = tx.currency_id.round(sum(shares.values()))
        if compare(tx.amount, total) != 0:
            return self.env._("%(paid)s paid, %(due)s was due", paid=contracts[:1]._fmt(tx.amount),
                              due=contracts[:1]._fmt(total))
        return ""

    def _refuse_deposit_payment(self, tx, reason):
        """A series payment that failed ``_check_deposit_payment``: it confirms nothing, its money goes back.

        Refunded in full through its provider (staff get a to-do when the
        provider cannot); the customer is told, staff too.
        """
        self.ensure_one()
        _logger.warning("Booking series %s: transaction %s (%s, %s %s) confirms nothing: %s", self.id, tx.reference,
                        tx.operation, tx.amount, tx.currency_id.name, reason)
        if tx.operation == "validation" or tx.currency_id.compare_amounts(tx.amount, 0.0) <= 0:
            self._message_log(body=escape(self.env._("The payment %(reference)s was not applied: %(reason)s.",
                                                     reference=tx.reference, reason=reason)))
            return
        refunded = False
        support = tx.provider_id.support_refund
        if support and support != "none":
            before = tx.child_transaction_ids
            try:
                with self.env.cr.savepoint():
                    tx.sudo().action_refund(amount_to_refund=tx.amount)
                refunded = True
                # the books follow at once (a credit of what came in), as the contracts' refunds do
                (tx.child_transaction_ids - before).filtered(
                    lambda child: child.state == "done" and not child.is_post_processed)._post_process()
            except (UserError, ValidationError) as error:
                _logger.info("Booking series %s: refund of %s refused by the provider: %s", self.id, tx.reference,
                             error)
        self.message_post(
            body=escape(self.env._(
                "Your payment of %(amount)s (%(reference)s) for the deposits of your series was not applied: "
                "%(reason)s. It is refunded in full; your visits are not booked until their deposits are paid.",
                amount=format_amount(self.env, tx.amount, tx.currency_id), reference=tx.reference, reason=reason)),
            partner_ids=self.partner_id.ids, message_type="comment", subtype_xmlid="mail.mt_comment")
        self._schedule_staff_activity(
            self.env._("Payment not applied") if refunded else self.env._("Refund by hand"),
            self.env._("%(reference)s (%(amount)s %(currency)s): %(reason)s", reference=tx.reference,
                       amount=tx.amount, currency=tx.currency_id.name or "", reason=reason))

    def _schedule_staff_activity(self, summary, note):
        """A to-do for staff on the series' first visit (where they work: the series has no activities)."""
        self.ensure_one()
        first = self.appointment_ids.sorted(lambda a: (a.start, a.id))[:1]
        user = self.provider_id.user_id or self.page_id.responsible_user_id or self.env.ref(
            "base.user_admin", raise_if_not_found=False)
        first.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id if user else None)

    def _ask_for_deposits(self, due):
        """Tell the customer what is due for the series, by when, and where to pay it all at once."""
        self.ensure_one()
        fmt = due["contracts"][:1]._fmt
        visits = "; ".join(self._when(start, "short") for start in due["appointments"].mapped("start"))
        body = escape(self.env._(
            "Your series is reserved. These visits are not booked until their deposits (%(amount)s in all) "
            "are paid: %(visits)s. Pay them by %(deadline)s, or those times are released.",
            amount=fmt(due["amount"]), visits=visits, deadline=self._when(due["deadline"], "time")))
        link = f"{self.page_id.get_base_url()}{self._get_payment_url()}"
        body += Markup('<br/><a href="%s">%s</a>') % (link, self.env._("Pay the deposits"))
        self.message_post(body=body, partner_ids=self.partner_id.ids, message_type="comment",
                          subtype_xmlid="mail.mt_comment")

    def _tell_lapse(self):
        """Tell the customer, once, which visits were released because their deposits were not paid.

        Called when an occurrence's hold expires unpaid; the hold job expires
        them one by one, so the message names every visit of this series
        whose hold has passed unpaid (released, or about to be in the same
        run), and ``lapse_told_until`` keeps the next ones from telling it
        again.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        told_until = self.lapse_told_until
        lapsed = self.sudo().appointment_ids.filtered(
            lambda a: a.hold_expires_at and (not told_until or a.hold_expires_at > told_until) and (
                a.state == "expired" or (a.state == "pending_payment" and a.hold_expires_at < now
                                         and not a._is_hold_being_paid()))
        ).sorted("start")
        if not lapsed:
            return
        self.sudo().lapse_told_until = max(lapsed.mapped("hold_expires_at"))
        first = lapsed[0]
        body = escape(self.env._(
            "These visits of your series are not booked: their deposits were not paid by %(deadline)s, so the "
            "times were released: %(visits)s.",
            deadline=self._when(min(lapsed.mapped("hold_expires_at")), "time"),
            visits="; ".join(self._when(start, "short") for start in lapsed.mapped("start"))))
        body += Markup('<br/><a href="%s">%s</a>') % (first._rebook_url(), self.env._("Book again"))
        self.message_post(body=body, partner_ids=self.partner_id.ids, message_type="comment",
                          subtype_xmlid="mail.mt_comment")

    # === CANCELLING === #

    def _occurrences_from(self, appointment):
        """``appointment`` and the series' later occurrences that can still be cancelled."""
        self.ensure_one()
        return self.appointment_ids.filtered(
            lambda a: a.start >= appointment.start and a.state in CANCELLABLE_STATES).sorted("start")

    @api.model
    def _can_cancel_from(self, appointment):
        """Whether ``appointment`` and the following ones may be cancelled together: an upcoming occurrence."""
        return bool(appointment.series_id) and appointment.state in CANCELLABLE_STATES \
            and appointment.start > fields.Datetime.now()

    def _get_cancel_from_preview(self, appointment):
        """What cancelling ``appointment`` and the following ones gives back, visit by visit.

        :return: dict with ``previews`` (``[(occurrence, _get_cancel_preview())]``),
            ``allowed`` (all of them may be cancelled now), ``total_refund``
            and ``currency``.
        """
        occurrences = self._occurrences_from(appointment) if self and self._can_cancel_from(appointment) \
            else appointment.browse()
        previews = [(occurrence, occurrence._get_cancel_preview()) for occurrence in occurrences]
        return {
            "previews": previews,
            "allowed": bool(previews) and all(preview["allowed"] for _occurrence, preview in previews),
            "total_refund": sum(preview["refund_amount"] for _occurrence, preview in previews),
            "currency": previews[0][1]["currency"] if previews else appointment.currency_id,
        }

    def _cancel_from(self, appointment, reason=None, by_customer=True):
        """Cancel ``appointment`` and every later occurrence, each under the cancellation policy.

        The customer's cancellations follow the policy occurrence by occurrence
        (the refund of each for its own notice); staff cancellations refund in
        full, as for a single booking. All or nothing.

        :return: the cancelled appointments.
        """
        self.ensure_one()
        occurrences = self._occurrences_from(appointment)
        # every occurrence checked and locked before anything is cancelled: a refund sent to the payment
        # provider cannot be taken back by a rollback, so no occurrence may fail after the first is refunded
        if not occurrences.sudo()._try_lock():
            raise UserError(self.env._("This series is being changed by someone else. Please try again."))
        if by_customer:
            for occurrence in occurrences:
                check = occurrence._get_change_check("cancel")
                if not check["allowed"]:
                    raise BookingActionRefused(check["code"], check["reason"])
        with self.env.cr.savepoint():
            for occurrence in occurrences:
                if by_customer:
                    occurrence._customer_cancel(reason)
                else:
                    occurrence.action_cancel(reason=reason)
        self.sudo().message_post(body=self.env._("%(count)s occurrences cancelled from %(ref)s on.",
                                                 count=len(occurrences), ref=appointment.name))
        return occurrences

    def action_view_appointments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "booking.appointment",
            "view_mode": "list,form",
            "domain": [("series_id", "=", self.id)],
        }
