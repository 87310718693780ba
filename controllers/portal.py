import math
from datetime import datetime, timedelta

from babel import dates as babel_dates
from werkzeug.urls import url_encode

from odoo import Command, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import babel_locale_parse

from odoo.addons.payment.controllers import portal as payment_portal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..booking_api.schemas import MAX_ID
from ..booking_api.validator import parse_decimal
from ..const import CHARGE_KINDS
from ..const import MAX_AMOUNT
from ..const import URL_ID as ID
from ..exceptions import SlotUnavailableError

RECEIPT_REPORT = "self_serve_booking.action_report_booking_receipt"
FLASH_KEY = "self_serve_booking.flash"


class BookingPortal(payment_portal.PaymentPortal):
    """The customer's bookings in the portal, each booking's page (also reachable by its access-token
    link, for guests), and paying for them through Odoo's payment form.

    Helpers are methods, prefixed ``_booking_``, so that other addons can
    override them (the public page's controller inherits this class).
    """

    # === NOTICES === #

    def _booking_flash(self, key, message):
        """Show ``message`` once, on the next page of ``key`` (a booking id, "payments").

        Notices live in the visitor's session, set by the server: a notice read
        from the URL (``?message=``) would show any text a stranger puts in a
        link, in an official-looking box.
        """
        flashes = dict(request.session.get(FLASH_KEY) or {})
        flashes[str(key)] = message
        request.session[FLASH_KEY] = flashes

    def _booking_pop_flash(self, key):
        """The notice waiting for ``key``, once; None when there is none."""
        flashes = dict(request.session.get(FLASH_KEY) or {})
        message = flashes.pop(str(key), None)
        if message is not None:
            request.session[FLASH_KEY] = flashes
        return message

    def _booking_redirect(self, appointment_sudo, message, url=None, suffix=""):
        """To ``url`` (default: the booking's portal page, or ``suffix`` below it) with a notice shown once."""
        self._booking_flash(appointment_sudo.id, message)
        return request.redirect(url or appointment_sudo.get_portal_url(suffix=suffix))

    # === HELPERS === #

    def _document_check_access(self, model_name, document_id, access_token=None):
        """A token from outside that cannot be one (not ASCII text) grants nothing, it is no 500.

        Odoo compares tokens with ``hmac.compare_digest``, which raises on
        non-ASCII strings and on lists (``?access_token=%C3%A9``).
        """
        if access_token is not None and not (isinstance(access_token, str) and access_token.isascii()):
            access_token = "-"
        document = super()._document_check_access(model_name, document_id, access_token=access_token)
        return document._ensure_complete() if model_name == "booking.appointment" else document

    def _booking_amount(self, value):
        """An amount typed or posted by a customer: a finite float, or None.

        ``float()`` reads "nan", "inf" and "1e308" too, and every script's
        digits ("١٠" is 10.0); none of them is money a customer typed.
        """
        amount = value if isinstance(value, int | float) and not isinstance(value, bool) else parse_decimal(value)
        return amount if amount is not None and math.isfinite(amount) and abs(amount) < MAX_AMOUNT else None

    def _booking_paid_by_owner(self, appointment_sudo):
        """Whether the visitor is the booking's customer, signed in: the only one shown and charged their cards."""
        user = request.env.user
        return not user._is_public() and \
            user.partner_id.commercial_partner_id == appointment_sudo.partner_id.commercial_partner_id

    def _booking_get_payment_values(self, appointment_sudo, kind, amount, landing_route):
        """The values ``payment.form`` needs to pay ``amount`` for ``kind`` of a booking."""
        contract = appointment_sudo.contract_id
        partner_sudo = appointment_sudo.partner_id if request.env.user._is_public() else request.env.user.partner_id
        company = appointment_sudo.company_id
        currency = contract.currency_id
        availability_report = {}
        providers_sudo = request.env["payment.provider"].sudo()._get_compatible_providers(
            company.id, partner_sudo.id, amount, currency_id=currency.id,
            booking_appointment_id=appointment_sudo.id, report=availability_report,
        )
        payment_methods_sudo = request.env["payment.method"].sudo()._get_compatible_payment_methods(
            providers_sudo.ids, partner_sudo.id, currency_id=currency.id, report=availability_report,
        )
        # saved cards only for their owner's own booking: never to whoever holds a link
        tokens_sudo = request.env["payment.token"].sudo()._get_available_tokens(providers_sudo.ids, partner_sudo.id) \
            if self._booking_paid_by_owner(appointment_sudo) else request.env["payment.token"]
        return {
            "booking_payment_kind": kind,
            "amount": amount,
            "currency": currency,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": tokens_sudo,
            "default_token_id": tokens_sudo.filtered("booking_default")[:1].id or None,
            "availability_report": availability_report,
            "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(
                providers_sudo, booking_appointment_id=appointment_sudo.id,
            ),
            # below the booking's portal address; the token travels in the request's parameters, not its URL
            "transaction_route": f"{appointment_sudo.access_url}/transaction/{kind}",
            "landing_route": landing_route,
            "access_token": appointment_sudo._portal_ensure_token(),
            "booking_appointment_id": appointment_sudo.id,
        }

    # === LIST === #

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "booking_count" in counters:
            Appointment = request.env["booking.appointment"]
            values["booking_count"] = Appointment.search_count(
                Appointment._customer_domain(request.env.user.partner_id)
            ) if Appointment.has_access("read") else 0
        return values

    def _booking_filters(self):
        return {
            "upcoming": {"label": request.env._("Upcoming"), "filter": "upcoming"},
            "past": {"label": request.env._("Past"), "filter": "past"},
            "cancelled": {"label": request.env._("Cancelled"), "filter": "cancelled"},
            "all": {"label": request.env._("All"), "filter": None},
        }

    def _booking_sortings(self):
        return {
            "date": {"label": request.env._("Date"), "order": "start asc"},
            "date_desc": {"label": request.env._("Newest first"), "order": "start desc"},
            "reference": {"label": request.env._("Reference"), "order": "name desc"},
        }

    @http.route(["/my/bookings", "/my/bookings/page/<int(max=100000):pager_page>"], type="http", auth="user",
                website=True)
    def portal_my_bookings(self, pager_page=1, filterby="upcoming", sortby=None, **kwargs):
        Appointment = request.env["booking.appointment"]
        filters = self._booking_filters()
        filterby = filterby if filterby in filters else "upcoming"
        sortings = self._booking_sortings()
        sortby = sortby if sortby in sortings else ("date" if filterby == "upcoming" else "date_desc")
        domain = Appointment._customer_domain(request.env.user.partner_id, filterby=filters[filterby]["filter"])
        pager = portal_pager(url="/my/bookings", url_args={"filterby": filterby, "sortby": sortby},
                             total=Appointment.search_count(domain), page=pager_page, step=self._items_per_page)
        appointments = Appointment.search(domain, order=sortings[sortby]["order"], limit=self._items_per_page,
                                          offset=pager["offset"])._ensure_complete()
        request.session["my_bookings_history"] = appointments.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update({
            "appointments": appointments.sudo(),
            "page_name": "booking",
            "pager": pager,
            "default_url": "/my/bookings",
            "searchbar_filters": filters,
            "filterby": filterby,
            "searchbar_sortings": sortings,
            "sortby": sortby,
        })
        return request.render("self_serve_booking.portal_my_bookings", values)

    # === ONE BOOKING === #

    def _booking_get_page_view_values(self, appointment_sudo, access_token, tip=None, pay=None, **kwargs):
        contract = appointment_sudo.contract_id
        kwargs.pop("message", None)  # notices come from the session only (_booking_flash)
        values = {
            "page_name": "booking",
            "appointment": appointment_sudo,
            "contract": contract,
            "access_token": access_token,
            "message": self._booking_pop_flash(appointment_sudo.id),
            "cancel_preview": appointment_sudo._get_cancel_preview(),
            "reschedule_check": appointment_sudo._get_change_check("reschedule"),
            "show_check_in": appointment_sudo.state == "confirmed" and appointment_sudo.stop > fields.Datetime.now(),
            "invoices": contract.invoice_ids.sudo() if contract else request.env["account.move"],
            "receipt_url": appointment_sudo.get_portal_url(report_type="pdf", download=True)
            if contract and contract.amount_paid else False,
        }
        if contract:
            values.update(self._booking_get_money_values(appointment_sudo, tip=tip, pay=pay))
        return self._get_page_view_values(appointment_sudo, access_token, values, "my_bookings_history", False,
                                          **kwargs)

    def _booking_get_money_values(self, appointment_sudo, tip=None, pay=None):
        """The money part of a booking's page: the summary or receipt, what can be paid now, tips.

        A tip that cannot be given comes back as the page's ``message``.
        """
        contract = appointment_sudo.contract_id
        page_url = appointment_sudo.get_portal_url()
        values = {
            "money": contract._get_money_summary(),
            # the receipt once the visit is settled; before it, the money summary says it all
            "receipt": contract._get_receipt_values() if appointment_sudo.state in ("done", "no_show") else None,
            "pay_early": pay == "balance",
        }
        kind, due = contract._get_due_now(early=pay == "balance")
        if kind:
            values["payment"] = self._booking_get_payment_values(appointment_sudo, kind, due, page_url)
        if appointment_sudo.state != "done" or contract._tips_in_flight():
            return values
        values["tip_options"] = contract._get_tip_options()
        values["tip_token"] = contract._get_token(booking_only=not self._booking_paid_by_owner(appointment_sudo))
        tip_amount = self._booking_amount(tip)
        if tip_amount and "payment" not in values:
            try:
                contract._check_tip_amount(tip_amount)
            except ValidationError as error:
                values["message"] = error.args[0]
            else:
                if values["tip_token"]:
                    # a card charge is confirmed first: one tap never charges
                    values["tip_confirm"] = {"amount": tip_amount, "token": values["tip_token"]}
                else:
                    values["payment"] = self._booking_get_payment_values(appointment_sudo, "tip", tip_amount,
                                                                         page_url)
        return values

    def _booking_from_request(self, appointment_id, access_token):
        """The booking a link or the signed-in customer may see (sudo), or None."""
        try:
            return self._document_check_access("booking.appointment", appointment_id, access_token)
        except (AccessError, MissingError):
            return None

    @http.route(f"/my/bookings/<{ID}:appointment_id>", type="http", auth="public", website=True)
    def portal_my_booking(self, appointment_id, access_token=None, report_type=None, download=False, **kwargs):
        appointment_sudo = self._booking_from_request(appointment_id, access_token)
        if not appointment_sudo:
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            if not appointment_sudo.contract_id.amount_paid:
                return request.redirect(appointment_sudo.get_portal_url())
            return self._show_report(model=appointment_sudo, report_type=report_type, report_ref=RECEIPT_REPORT,
                                     download=download)
        values = self._booking_get_page_view_values(appointment_sudo, access_token, **kwargs)
        return request.render("self_serve_booking.portal_booking_page", values)

    # === CANCEL === #

    @http.route(f"/my/bookings/<{ID}:appointment_id>/cancel", type="http", auth="public", website=True,
                methods=["GET", "POST"])
    def portal_booking_cancel(self, appointment_id, access_token=None, reason=None, confirm=None, **kwargs):
        """First what the policy refunds, then the cancellation itself (POST)."""
        appointment_sudo = self._booking_from_request(appointment_id, access_token)
        if not appointment_sudo:
            return request.redirect("/my")
        if request.httprequest.method == "POST" and confirm:
            try:
                appointment_sudo._customer_cancel(reason=reason)
            except UserError as error:
                return self._booking_redirect(appointment_sudo, error.args[0])
            refunded = appointment_sudo.contract_id.amount_refunded
            message = request.env._("Your booking is cancelled.")
            if refunded:
                message += " " + request.env._("%(amount)s is refunded to your card.",
                                               amount=appointment_sudo.contract_id._fmt(refunded))
            return self._booking_redirect(appointment_sudo, message)
        values = self._get_page_view_values(appointment_sudo, access_token, {
            "page_name": "booking",
            "appointment": appointment_sudo,
            "preview": appointment_sudo._get_cancel_preview(),
            "policy": appointment_sudo.page_id.cancellation_policy_id,
        }, "my_bookings_history", False)
        return request.render("self_serve_booking.portal_booking_cancel", values)

    # === RESCHEDULE === #

    @http.route(f"/my/bookings/<{ID}:appointment_id>/reschedule", type="http", auth="public", website=True,
                methods=["GET", "POST"])
    def portal_booking_reschedule(self, appointment_id, access_token=None, date=None, start=None, any_provider=None,
                                  confirm=None, month=None, **kwargs):
        """Pick a day, a time, then confirm: the move happens in one step (POST with ``confirm``).

        Choosing a time only shows what will change; nothing moves until the
        customer confirms it. The days are a month's calendar, the page's
        whole horizon a month at a time (``month``: ``YYYY-MM``).
        """
        appointment_sudo = self._booking_from_request(appointment_id, access_token)
        if not appointment_sudo:
            return request.redirect("/my")
        any_provider = any_provider in ("1", "true", "on")
        new_start = None
        if start:
            try:
                new_start = datetime.strptime(start, "%Y-%m-%d %H:%M:%S")
            except (TypeError, ValueError):
                new_start = None
            # a time no page offers (long past, beyond every horizon) is refused here: at the calendar's
            # edges the page's time zone would carry it past year 9999 or before year 1 (a 500)
            now, horizon = fields.Datetime.now(), timedelta(days=appointment_sudo.page_id.max_advance_days + 1)
            if not new_start or not now - timedelta(days=1) <= new_start <= now + horizon:
                return self._booking_redirect(appointment_sudo, request.env._("This time cannot be booked."),
                                              suffix="/reschedule")
        if request.httprequest.method == "POST" and new_start and confirm:
            try:
                appointment_sudo._reschedule(new_start, "customer", any_provider=any_provider)
            except SlotUnavailableError:
                message = request.env._("That time has just been taken. Your booking did not change; "
                                        "please pick another time.")
                return self._booking_redirect(appointment_sudo, message, suffix="/reschedule")
            except (UserError, ValidationError) as error:
                return self._booking_redirect(appointment_sudo, error.args[0], suffix="/reschedule")
            return self._booking_redirect(appointment_sudo, request.env._(
                "Your booking is moved to %(when)s.", when=appointment_sudo._when_label()))
        check = appointment_sudo._get_change_check("reschedule")
        choices = {"days": [], "date": None, "slots": [], "chosen_slot": None, "month": None, "prev_month": None,
                   "next_month": None}
        if check["allowed"]:
            choices = appointment_sudo._get_reschedule_choices(
                day=self._booking_parse_date(date), start=new_start, any_provider=any_provider,
                month=self._booking_parse_date(f"{month}-01" if isinstance(month, str) else None))
        message = self._booking_pop_flash(appointment_sudo.id)
        if new_start and check["allowed"] and not choices["chosen_slot"] and not message:
            message = request.env._("That time is no longer free. Please pick another one.")
        providers = request.env["booking.provider"].sudo()
        chosen_slot = choices["chosen_slot"]
        values = self._get_page_view_values(appointment_sudo, access_token, {
            "page_name": "booking",
            "appointment": appointment_sudo,
            "allowed": check["allowed"],
            "reason": check["reason"],
            "deadline": check["deadline"],
            **choices,
            "chosen_provider": providers.browse(chosen_slot.provider_id) if chosen_slot else providers,
            "any_provider": any_provider,
            "show_any_provider": len(appointment_sudo.page_id._get_bookable_providers(appointment_sudo.service_id)) > 1,
            "message": message,
            "providers": providers.browse({slot.provider_id for slot in choices["slots"]}),
            "calendar": self._booking_reschedule_calendar(appointment_sudo.page_id, choices),
        }, "my_bookings_history", False)
        return request.render("self_serve_booking.portal_booking_reschedule", values)

    def _booking_parse_date(self, value):
        """A ``YYYY-MM-DD`` from a link, or None for anything else."""
        if not isinstance(value, str) or len(value) != 10:
            return None
        try:
            return fields.Date.to_date(value)
        except ValueError:
            return None

    def _booking_reschedule_calendar(self, page, choices):
        """The month of the reschedule picker: its title, weekday names and weeks (Monday first).

        Each week is seven cells: None (another month), else ``(day, free)``
        where ``free`` says the day has free times (a link to them).
        """
        shown = choices["month"]
        if not shown:
            return None
        locale = babel_locale_parse(request.env.lang or "en_US")
        monday = shown - timedelta(days=shown.weekday())
        month_end = (shown + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        free = set(choices["days"])
        weeks, cursor = [], monday
        while cursor <= month_end:
            weeks.append([(day, day in free) if day.month == shown.month else None
                          for day in (cursor + timedelta(days=offset) for offset in range(7))])
            cursor += timedelta(days=7)
        return {
            "title": babel_dates.format_skeleton("yMMMM", shown, locale=locale),
            "weekdays": [(babel_dates.format_date(monday + timedelta(days=offset), "EEE", locale=locale),
                          babel_dates.format_date(monday + timedelta(days=offset), "EEEE", locale=locale))
                         for offset in range(7)],
            "weeks": weeks,
        }

    # === PAYMENTS AND CARDS === #

    @http.route("/my/bookings/payments", type="http", auth="user", website=True)
    def portal_booking_payments(self, **kwargs):
        """Every charge and refund of the customer's bookings, their invoices and saved cards."""
        partner = request.env.user.partner_id
        appointments = request.env["booking.appointment"].search([("partner_id", "=", partner.id)])
        contracts = appointments.sudo().contract_id
        transactions = contracts.transaction_ids.filtered(lambda tx: tx.state == "done").sorted(
            "create_date", reverse=True)
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "booking_payments",
            "transactions": transactions,
            "invoices": contracts.invoice_ids.sorted("invoice_date", reverse=True),
            "tokens": request.env["payment.token"].sudo().search(self._booking_cards_domain(partner)),
            "message": self._booking_pop_flash("payments"),
        })
        return request.render("self_serve_booking.portal_my_booking_payments", values)

    def _booking_cards_domain(self, partner):
        """The customer's own saved cards (not the ones saved through a single booking's link)."""
        return [("partner_id", "child_of", partner.commercial_partner_id.id), ("active", "=", True),
                ("booking_only_appointment_id", "=", False)]

    @http.route(f"/my/bookings/cards/<{ID}:token_id>/default", type="http", auth="user", website=True,
                methods=["POST"])
    def portal_booking_default_card(self, token_id, **kwargs):
        token = request.env["payment.token"].sudo().search(
            [("id", "=", token_id), *self._booking_cards_domain(request.env.user.partner_id)])
        if token:
            # chosen by its owner, signed in: theirs to charge for their bookings
            token.write({"booking_default": True, "booking_owner_verified": True})
            message = request.env._("%(card)s is now used for your bookings.", card=token.display_name)
        else:
            message = request.env._("This card is not one of yours.")
        self._booking_flash("payments", message)
        return request.redirect("/my/bookings/payments")

    @http.route(f"/my/bookings/<{ID}:appointment_id>/tip", type="http", auth="public", methods=["POST"],
                website=True)
    def portal_booking_tip(self, appointment_id, access_token=None, amount=None, confirm=None, **kwargs):
        """Charge a tip the customer confirmed on the saved card (without ``confirm``: show it first)."""
        appointment_sudo = self._booking_from_request(appointment_id, access_token)
        if not appointment_sudo:
            return request.redirect("/my")
        contract = appointment_sudo.contract_id
        tip = self._booking_amount(amount)
        if not contract or not tip:
            return self._booking_redirect(appointment_sudo, request.env._("Choose a tip."))
        try:
            contract._lock()
            contract._check_tip_amount(tip)
        except (UserError, ValidationError) as error:
            return self._booking_redirect(appointment_sudo, error.args[0])
        # a visitor holding the link may charge this booking's own card, never the customer's others
        token = contract._get_token(booking_only=not self._booking_paid_by_owner(appointment_sudo))
        if not token or not confirm or kwargs.get("use_form"):
            # the confirmation (or, without a card, the payment form) comes first
            return request.redirect(appointment_sudo.get_portal_url(
                query_string=f"&{url_encode({'tip': tip})}", anchor="booking_tip"))
        tx = contract._charge_tip(tip, token)
        message = (request.env._("Thank you! Your tip of %(amount)s was charged.", amount=contract._fmt(tip))
                   if tx.state == "done" else
                   request.env._("The tip could not be charged on your card: %(reason)s",
                                 reason=tx.state_message or ""))
        return self._booking_redirect(appointment_sudo, message)

    def _booking_check_payment_form(self, kwargs, owner):
        """What the payment form sent to a transaction route, checked before any transaction exists.

        A saved card only for its owner, signed in (a link grants a booking,
        or a series' deposits, not the cards of the customer behind it; a
        card a visitor saved through a booking's link is that booking's,
        never the customer's); Odoo's whitelist of the form's keys; ids that
        are ids.

        :param owner: the visitor is the customer, signed in.
        :raise ValidationError: the payment cannot be made this way.
        """
        if kwargs.get("flow") == "token" or kwargs.get("token_id"):
            token_id = kwargs.get("token_id")
            token = request.env["payment.token"].sudo().browse(
                token_id if isinstance(token_id, int) and 0 < token_id <= MAX_ID else []).exists()
            if not owner or not token or token.booking_only_appointment_id:
                raise ValidationError(request.env._("Sign in to pay with a saved card."))
        self._validate_transaction_kwargs(kwargs)
        for name in ("provider_id", "payment_method_id", "token_id"):
            value = kwargs.get(name)
            if value is not None and not (isinstance(value, int) and 0 < value <= MAX_ID):
                raise ValidationError(request.env._("The payment form sent an invalid %(field)s.", field=name))

    @http.route(f"/my/bookings/<{ID}:appointment_id>/transaction/<string:kind>", type="json", auth="public")
    def portal_booking_transaction(self, appointment_id, kind, access_token=None, **kwargs):
        """Create the transaction paying ``kind`` of a booking and return its processing values.

        The appointment row is locked first (NOWAIT), as website_sale does, so
        a double submit gets an error rather than a second charge; the amount
        is the one the contract says is due (the customer's own, for a tip).
        """
        try:
            appointment_sudo = self._document_check_access("booking.appointment", appointment_id, access_token)
        except AccessError as error:
            raise ValidationError(request.env._("The access token is invalid.")) from error
        contract = appointment_sudo.contract_id
        if kind not in CHARGE_KINDS or not contract:
            raise ValidationError(request.env._("There is nothing to pay for this booking."))
        if kwargs.get("is_validation") not in (None, False):
            # a card check moves no money (and the provider picks its amount and currency): it pays nothing
            raise ValidationError(request.env._("A booking is paid, not checked: reload the page to pay."))
        amount = contract._get_payment_amount(kind, requested=self._booking_amount(kwargs.get("amount")))
        owner = self._booking_paid_by_owner(appointment_sudo)
        self._booking_check_payment_form(kwargs, owner)
        kwargs.update({
            "amount": amount,
            "partner_id": (appointment_sudo.partner_id if request.env.user._is_public()
                           else request.env.user.partner_id).id,
            "currency_id": contract.currency_id.id,
            "booking_appointment_id": appointment_sudo.id,
        })
        tx_sudo = self._create_transaction(
            custom_create_values={
                "booking_contract_ids": [Command.set(contract.ids)],
                "booking_payment_kind": kind,
                "booking_payer_verified": owner,
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    # === LOYALTY === #

    @http.route(f"/my/bookings/<{ID}:appointment_id>/loyalty", type="http", auth="public", website=True,
                methods=["POST"])
    def portal_booking_loyalty(self, appointment_id, access_token=None, reward_id=None, **kwargs):
        """Spend loyalty points on a discount reward for this booking (the customer's own card only)."""
        appointment_sudo = self._booking_from_request(appointment_id, access_token)
        if not appointment_sudo:
            return request.redirect("/my")
        if request.env.user._is_public() or request.env.user.partner_id != appointment_sudo.partner_id:
            # a booking's link grants the booking, not the customer's points (DESIGN.md invariant 8)
            return self._booking_redirect(appointment_sudo, request.env._("Sign in to use your loyalty points."))
        reward = request.env["loyalty.reward"].sudo()
        if isinstance(reward_id, str) and reward_id.isdigit() and len(reward_id) < 10:
            reward = reward.browse(int(reward_id)).exists()
        try:
            lines = appointment_sudo._loyalty_apply_reward(reward)
        except UserError as error:
            return self._booking_redirect(appointment_sudo, error.args[0])
        amount = -sum(lines.mapped("price_total"))
        return self._booking_redirect(appointment_sudo, request.env._(
            "Reward applied: %(amount)s off your bill.", amount=appointment_sudo.contract_id._fmt(amount)
            if appointment_sudo.contract_id else str(amount)))

