from datetime import date, datetime, timedelta

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..const import URL_ID as ID
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import SeriesUnavailableError
from ..models.booking_series import MAX_INTERVAL_WEEKS
from ..models.booking_series import MAX_OCCURRENCES
from ..tools import text_error
from .portal import BookingPortal

REPLACE_PREFIX = "replace_"


class BookingSeriesPortal(BookingPortal):
    """The customer's series in the portal: "Repeat this booking" (plan, then book all or nothing),
    "Cancel this and all following" (the policy's refund per occurrence, then the cancellation), and the
    series' page, where its deposits are paid in one payment.

    The rules are ``booking.series``'s; these routes parse the form and show
    the answer. Only the signed-in customer of the booking repeats it or
    cancels its following visits: a booking's access-token link grants that
    booking, not the customer's future (a season of their times, their other
    bookings' refunds). Any other booking id is a 404, like one that does not
    exist. The series' page is its customer's, signed in, or the holder of
    the series' own signed link (given to whoever booked it: the API's
    answer, the customer's e-mail), never of one visit's link.
    """

    # === HELPERS === #

    def _booking_is_owner(self, appointment_sudo):
        user = request.env.user
        return not user._is_public() and user.partner_id == appointment_sudo.partner_id

    def _booking_owned_or_404(self, appointment_id):
        """One of the signed-in customer's own bookings (sudo), found in their environment, or a 404."""
        Appointment = request.env["booking.appointment"]
        try:
            appointment = Appointment.search([("id", "=", appointment_id),
                                              ("partner_id", "=", request.env.user.partner_id.id)])
        except AccessError:
            raise NotFound() from None
        if not appointment:
            raise NotFound()
        return appointment.sudo()

    def _booking_repeat_refusal(self, appointment_sudo):
        """Why this booking cannot be repeated as a series by its customer, or None (``booking.series``'s rule)."""
        refusal = request.env["booking.series"]._get_series_refusal(appointment_sudo.service_id,
                                                                    existing=appointment_sudo)
        if not refusal:
            return None
        field, message = refusal
        return request.env._("This service cannot be booked as a series.") if field == "service_id" else message

    def _booking_can_cancel_following(self, appointment_sudo):
        return appointment_sudo._can_cancel_series_following()

    def _booking_get_page_view_values(self, appointment_sudo, access_token, tip=None, pay=None, **kwargs):
        values = super()._booking_get_page_view_values(appointment_sudo, access_token, tip=tip, pay=pay, **kwargs)
        owner = self._booking_is_owner(appointment_sudo)
        series = appointment_sudo.series_id
        values["series_actions"] = {
            "repeat": owner and self._booking_repeat_refusal(appointment_sudo) is None,
            "cancel_following": owner and self._booking_can_cancel_following(appointment_sudo),
            # the series' page, to pay all its deposits at once: its customer's (a booking's link grants the booking)
            "series_url": series._get_payment_url() if owner and series else False,
            "series_due": owner and bool(series) and bool(series._get_deposit_due()["appointments"]),
        }
        return values

    def _booking_series_rate_limit(self, page):
        """Count a plan or a booking of a series against the customer, on the API's own counters.

        :return: ``(allowed, retry_after_seconds, hit_id)``; ``hit_id`` is
            given back (``_give_back``) when the request is refused for its
            input or a taken time, as the API does.
        """
        return request.env["booking.rate.limit"].sudo()._take_page_write(page, f"user:{request.env.user.id}")

    def _booking_series_form(self, appointment_sudo, form):
        """The series the form asks for, parsed: ``(arguments of booking.series._plan_series, errors)``.

        Only what a form's text needs (numbers, a date, the choice between a
        number of visits and an end date); the rules (the rhythm, the length,
        the replacements) are ``booking.series``'s, which the caller applies.
        """
        errors = {}
        if any(not isinstance(value, str) or text_error(value) for value in form.values()):
            errors["form"] = request.env._("must not contain control characters")
        end_type = form.get("end_type")
        count = until = None
        if end_type == "count":
            # not a number: 0, which the series' rule refuses with its own message
            count = self._booking_small_int(form.get("count")) or 0
        elif end_type == "until":
            try:
                until = date.fromisoformat((form.get("until") or "").strip())
            except (TypeError, ValueError):
                errors["until"] = request.env._("is not a date")
            else:
                if until <= fields.Date.context_today(request.env.user):
                    errors["until"] = request.env._("is in the past")
        else:
            errors["end_type"] = request.env._("choose a number of times or an end date")
        replacements, replacement_errors = self._booking_series_replacements(
            form, horizon_days=appointment_sudo.page_id.max_advance_days)
        errors.update(replacement_errors)
        args = {
            "page": appointment_sudo.page_id, "service": appointment_sudo.service_id,
            "provider": appointment_sudo.provider_id, "first_start": appointment_sudo.start,
            "interval_weeks": self._booking_small_int(form.get("interval_weeks")), "count": count, "until": until,
            "partner": appointment_sudo.partner_id, "replacements": replacements, "existing": appointment_sudo,
        }
        return args, errors

    @staticmethod
    def _booking_small_int(value):
        value = value.strip() if isinstance(value, str) else ""
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else None

    def _booking_series_replacements(self, form, horizon_days):
        """The replacement times chosen in the plan (``replace_<index>``), parsed: ``({index: start}, errors)``.

        A time beyond the page's horizon (``horizon_days``) is refused here: at the calendar's edge the page's
        time zone would carry it past year 9999.

        Which occurrences may be replaced is the series' rule (``_series_starts``).
        """
        replacements, errors = {}, {}
        for key, value in form.items():
            if not key.startswith(REPLACE_PREFIX):
                continue
            index = self._booking_small_int(key[len(REPLACE_PREFIX):])
            if index is None:
                errors["replacements"] = request.env._("names an occurrence the series does not have")
                continue
            try:
                start = datetime.strptime(value if isinstance(value, str) else "", "%Y-%m-%d %H:%M:%S")
            except ValueError:
                errors["replacements"] = request.env._("is not a time")
                continue
            if start <= fields.Datetime.now():
                errors["replacements"] = request.env._("is in the past")
                continue
            if start > fields.Datetime.now() + timedelta(days=horizon_days + 1):
                errors["replacements"] = request.env._("is beyond the days the page takes bookings for")
                continue
            replacements[index] = start
        return replacements, errors

    def _booking_render_repeat(self, appointment_sudo, form=None, errors=None, plan=None, message=None,
                               replacements=None, status=200):
        values = self._get_page_view_values(appointment_sudo, None, {
            "page_name": "booking",
            "appointment": appointment_sudo,
            "refusal": self._booking_repeat_refusal(appointment_sudo),
            # shown again as typed, less what cannot be shown (control characters)
            "form": {key: value for key, value in form.items() if isinstance(value, str) and not text_error(value)}
            if form else {"interval_weeks": "1", "end_type": "count", "count": "4"},
            "errors": errors or {},
            "plan": plan,
            "replacements": replacements or {},
            "providers": request.env["booking.provider"].sudo(),
            "message": message,
            "max_occurrences": MAX_OCCURRENCES,
            "max_interval_weeks": MAX_INTERVAL_WEEKS,
        }, "my_bookings_history", False)
        return request.render("self_serve_booking.portal_booking_repeat", values, status=status)

    def _booking_rate_limited(self, appointment_sudo, form, retry_after):
        message = request.env._("Too many requests from your account. Try again in %(minutes)s minute(s).",
                                minutes=max(1, round(retry_after / 60)))
        response = self._booking_render_repeat(appointment_sudo, form=form, message=message, status=429)
        response.headers["Retry-After"] = str(retry_after)
        return response

    # === REPEAT THIS BOOKING === #

    @http.route(f"/my/bookings/<{ID}:appointment_id>/repeat", type="http", auth="user", website=True,
                methods=["GET", "POST"])
    def portal_booking_repeat(self, appointment_id, **form):
        """The rhythm and length (GET), then the plan of every occurrence (POST); nothing is booked here."""
        appointment_sudo = self._booking_owned_or_404(appointment_id)
        form.pop("access_token", None)
        if request.httprequest.method != "POST":
            return self._booking_render_repeat(appointment_sudo)
        if self._booking_repeat_refusal(appointment_sudo):
            return self._booking_render_repeat(appointment_sudo, form=form, status=400)
        allowed, retry_after, hit_id = self._booking_series_rate_limit(appointment_sudo.page_id)
        if not allowed:
            return self._booking_rate_limited(appointment_sudo, form, retry_after)
        args, errors = self._booking_series_form(appointment_sudo, form)
        plan = None
        if not errors:
            try:
                plan = request.env["booking.series"]._plan_series(**args)
            except BookingInputError as error:
                errors = error.fields
        if errors:
            request.env["booking.rate.limit"].sudo()._give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        return self._booking_render_repeat(appointment_sudo, form=form, plan=plan)

    @http.route(f"/my/bookings/<{ID}:appointment_id>/repeat/book", type="http", auth="user", website=True,
                methods=["POST"])
    def portal_booking_repeat_book(self, appointment_id, **form):
        """Book the planned series with the replacements chosen: every occurrence, or none.

        Then to the booking, or, when deposits are due, to the series' page
        to pay them all at once: the notice names the visits held until
        then and the deadline (never "booked" for visits that would lapse).
        """
        appointment_sudo = self._booking_owned_or_404(appointment_id)
        form.pop("access_token", None)
        if self._booking_repeat_refusal(appointment_sudo):
            return self._booking_render_repeat(appointment_sudo, form=form, status=400)
        allowed, retry_after, hit_id = self._booking_series_rate_limit(appointment_sudo.page_id)
        if not allowed:
            return self._booking_rate_limited(appointment_sudo, form, retry_after)
        args, errors = self._booking_series_form(appointment_sudo, form)
        give_back = request.env["booking.rate.limit"].sudo()._give_back
        if errors:
            give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        try:
            series = request.env["booking.series"]._book_series(**args, source="portal")
        except SeriesUnavailableError as error:
            give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, plan=error.occurrences,
                                               message=error.args[0], replacements=args["replacements"],
                                               status=409)
        except (ValidationError, UserError) as error:  # BookingInputError, LoginRequiredError among them
            give_back(hit_id)
            errors = error.fields if isinstance(error, BookingInputError) else {"form": error.args[0]}
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        message = series._get_booked_message()
        if series._get_deposit_due()["appointments"]:
            self._booking_flash(f"series-{series.id}", message)
            return request.redirect(series._get_payment_url())
        return self._booking_redirect(appointment_sudo, message)

    # === CANCEL THIS AND ALL FOLLOWING === #

    def _booking_render_cancel_following(self, appointment_sudo, message=None, status=200):
        preview = appointment_sudo.series_id._get_cancel_from_preview(appointment_sudo)
        values = self._get_page_view_values(appointment_sudo, None, {
            "page_name": "booking",
            "appointment": appointment_sudo,
            **preview,
            "policy": appointment_sudo.page_id.cancellation_policy_id,
            "message": message,
        }, "my_bookings_history", False)
        return request.render("self_serve_booking.portal_booking_cancel_following", values, status=status)

    @http.route(f"/my/bookings/<{ID}:appointment_id>/cancel-following", type="http", auth="user", website=True,
                methods=["GET", "POST"])
    def portal_booking_cancel_following(self, appointment_id, reason=None, confirm=None, **kwargs):
        """The policy's refund for this occurrence and every later one (GET), then their cancellation (POST)."""
        appointment_sudo = self._booking_owned_or_404(appointment_id)
        if request.httprequest.method != "POST":
            return self._booking_render_cancel_following(appointment_sudo)
        if not self._booking_can_cancel_following(appointment_sudo):
            return self._booking_render_cancel_following(
                appointment_sudo, request.env._("This booking has no following occurrences to cancel."), status=400)
        if confirm != "1":
            return self._booking_render_cancel_following(
                appointment_sudo, request.env._("Confirm the cancellation with its button."), status=400)
        if reason is not None and (not isinstance(reason, str) or text_error(reason)):
            return self._booking_render_cancel_following(
                appointment_sudo, request.env._("The reason must not contain control characters."), status=400)
        occurrences = appointment_sudo.series_id._occurrences_from(appointment_sudo)
        refunded_before = sum(occurrences.contract_id.mapped("amount_refunded"))
        try:
            cancelled = appointment_sudo._customer_cancel_series(reason=reason)
        except BookingActionRefused as error:
            return self._booking_render_cancel_following(appointment_sudo, error.args[0], status=409)
        except (ValidationError, UserError) as error:
            return self._booking_render_cancel_following(appointment_sudo, error.args[0], status=400)
        message = request.env._("%(count)s bookings are cancelled.", count=len(cancelled))
        refunded = sum(cancelled.contract_id.mapped("amount_refunded")) - refunded_before
        if refunded:
            message += " " + request.env._("%(amount)s is refunded to your card.",
                                           amount=cancelled.contract_id[:1]._fmt(refunded))
        return self._booking_redirect(appointment_sudo, message)

    # === THE SERIES' PAGE: ITS DEPOSITS IN ONE PAYMENT === #

    def _booking_series_from_request(self, series_id, access_token):
        """The series (sudo) its signed-in customer, or the holder of its own signed link, may see; else None.

        One visit's link (a booking's access token) grants that visit only,
        never its series.
        """
        series_sudo = request.env["booking.series"].sudo().browse(series_id).exists()
        if not series_sudo:
            return None
        user = request.env.user
        if not user._is_public() and user.partner_id == series_sudo.partner_id:
            return series_sudo
        return series_sudo if series_sudo._check_payment_token(access_token) else None

    def _booking_series_page_values(self, series_sudo):
        due = series_sudo._get_deposit_due()
        values = {
            "page_name": "series",
            "series": series_sudo,
            "occurrences": series_sudo.appointment_ids.sorted(lambda a: (a.start, a.id)),
            "due": due,
            "message": self._booking_pop_flash(f"series-{series_sudo.id}"),
            "payment": None,
        }
        if due["appointments"]:
            first = due["appointments"][0]
            payment = self._booking_get_payment_values(first, "deposit", due["amount"],
                                                       series_sudo._get_payment_url())
            # the series' own route and link: paying all its deposits at once
            payment.update(transaction_route=f"/my/series/{series_sudo.id}/transaction",
                           access_token=series_sudo._get_payment_token())
            values["payment"] = payment
        return values

    @http.route(f"/my/series/<{ID}:series_id>", type="http", auth="public", website=True, sitemap=False)
    def portal_my_series(self, series_id, access_token=None, **kwargs):
        """The series' visits, and its deposits due, paid here in one payment (its customer or its link)."""
        series_sudo = self._booking_series_from_request(series_id, access_token)
        if not series_sudo:
            return request.redirect("/my")
        return request.render("self_serve_booking.portal_series_page", self._booking_series_page_values(series_sudo))

    @http.route(f"/my/series/<{ID}:series_id>/transaction", type="json", auth="public")
    def portal_series_transaction(self, series_id, access_token=None, **kwargs):
        """Create the one transaction paying every deposit of the series due now; return its processing values.

        The occurrences are locked first (NOWAIT), so a double submit gets an
        error rather than a second charge; the amount and its parts are what
        the contracts say is due, never the browser's.
        """
        series_sudo = self._booking_series_from_request(series_id, access_token)
        if not series_sudo:
            raise ValidationError(request.env._("The access token is invalid."))
        if kwargs.get("is_validation") not in (None, False):
            # a card check moves no money (and the provider picks its amount and currency): it pays nothing
            raise ValidationError(request.env._("A booking is paid, not checked: reload the page to pay."))
        due = series_sudo._get_deposit_payment(requested=self._booking_amount(kwargs.get("amount")))
        first = due["appointments"][0]
        owner = self._booking_paid_by_owner(first)
        self._booking_check_payment_form(kwargs, owner)
        kwargs.update({
            "amount": due["amount"],
            "partner_id": (series_sudo.partner_id if request.env.user._is_public()
                           else request.env.user.partner_id).id,
            "currency_id": due["currency"].id,
            # what the providers and the tokenization rule read (a balance follows each visit's deposit)
            "booking_appointment_id": first.id,
        })
        tx_sudo = self._create_transaction(
            custom_create_values=series_sudo._prepare_deposit_transaction_values(due, payer_verified=owner),
            **kwargs,
        )
        return tx_sudo._get_processing_values()
