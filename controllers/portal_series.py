from datetime import date, datetime

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..const import CANCELLABLE_STATES
from ..const import RESCHEDULABLE_STATES
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
    """The customer's series in the portal: "Repeat this booking" (plan, then book all or nothing) and
    "Cancel this and all following" (the policy's refund per occurrence, then the cancellation).

    Only the signed-in customer of the booking reaches these routes: a
    booking's access-token link grants that booking, not the customer's
    future (a season of their times, their other bookings' refunds). Any
    other booking id is a 404, like one that does not exist.
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
        """Why this booking cannot be repeated as a series by its customer, or None."""
        service = appointment_sudo.service_id
        if appointment_sudo.series_id:
            return request.env._("This booking is already part of a series.")
        if appointment_sudo.state not in RESCHEDULABLE_STATES or appointment_sudo.start <= fields.Datetime.now():
            return request.env._("Only an upcoming, confirmed booking can be repeated.")
        if not service.allow_series or service.for_dependant or appointment_sudo.dependant_ids:
            return request.env._("This service cannot be booked as a series.")
        return None

    def _booking_can_cancel_following(self, appointment_sudo):
        return bool(appointment_sudo.series_id) and appointment_sudo.state in CANCELLABLE_STATES \
            and appointment_sudo.start > fields.Datetime.now()

    def _booking_get_page_view_values(self, appointment_sudo, access_token, tip=None, pay=None, **kwargs):
        values = super()._booking_get_page_view_values(appointment_sudo, access_token, tip=tip, pay=pay, **kwargs)
        owner = self._booking_is_owner(appointment_sudo)
        values["series_actions"] = {
            "repeat": owner and self._booking_repeat_refusal(appointment_sudo) is None,
            "cancel_following": owner and self._booking_can_cancel_following(appointment_sudo),
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
        """The rhythm and length the form asks for, checked: ``(values, errors)``.

        ``values``: ``interval_weeks``, ``end_type``, ``count``, ``until``, and
        ``starts`` (every occurrence, this booking first) when all is valid.
        """
        errors = {}
        if any(not isinstance(value, str) or text_error(value) for value in form.values()):
            errors["form"] = request.env._("must not contain control characters")
        values = {"interval_weeks": None, "end_type": form.get("end_type"), "count": None, "until": None}
        values["interval_weeks"] = self._booking_small_int(form.get("interval_weeks"))
        if values["interval_weeks"] is None or not 1 <= values["interval_weeks"] <= MAX_INTERVAL_WEEKS:
            errors["interval_weeks"] = request.env._("must be 1 to %(max)s weeks", max=MAX_INTERVAL_WEEKS)
        if values["end_type"] == "count":
            values["count"] = self._booking_small_int(form.get("count"))
            if values["count"] is None or not 2 <= values["count"] <= MAX_OCCURRENCES:
                errors["count"] = request.env._("must be 2 to %(max)s occurrences", max=MAX_OCCURRENCES)
        elif values["end_type"] == "until":
            try:
                values["until"] = date.fromisoformat((form.get("until") or "").strip())
            except (TypeError, ValueError):
                errors["until"] = request.env._("is not a date")
            else:
                if values["until"] <= fields.Date.context_today(request.env.user):
                    errors["until"] = request.env._("is in the past")
        else:
            errors["end_type"] = request.env._("choose a number of times or an end date")
        if not errors:
            try:
                values["starts"] = request.env["booking.series"]._occurrence_starts(
                    appointment_sudo.page_id, appointment_sudo.start, values["interval_weeks"],
                    count=values["count"], until=values["until"])
            except BookingInputError as error:
                errors.update(error.fields)
        return values, errors

    @staticmethod
    def _booking_small_int(value):
        value = value.strip() if isinstance(value, str) else ""
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else None

    def _booking_series_replacements(self, form, starts):
        """The replacement times chosen in the plan (``replace_<index>``): ``({index: start}, errors)``.

        The first occurrence is this booking: it is never replaced.
        """
        replacements, errors = {}, {}
        for key, value in form.items():
            if not key.startswith(REPLACE_PREFIX):
                continue
            index = self._booking_small_int(key[len(REPLACE_PREFIX):])
            if index is None or not 1 <= index < len(starts):
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
        values, errors = self._booking_series_form(appointment_sudo, form)
        if errors:
            request.env["booking.rate.limit"].sudo()._give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        plan = request.env["booking.series"]._plan_with_existing(
            appointment_sudo.page_id, appointment_sudo.service_id, appointment_sudo.provider_id, values["starts"],
            appointment_sudo.partner_id, None, False, appointment_sudo)
        return self._booking_render_repeat(appointment_sudo, form=form, plan=plan)

    @http.route(f"/my/bookings/<{ID}:appointment_id>/repeat/book", type="http", auth="user", website=True,
                methods=["POST"])
    def portal_booking_repeat_book(self, appointment_id, **form):
        """Book the planned series with the replacements chosen: every occurrence, or none."""
        appointment_sudo = self._booking_owned_or_404(appointment_id)
        form.pop("access_token", None)
        if self._booking_repeat_refusal(appointment_sudo):
            return self._booking_render_repeat(appointment_sudo, form=form, status=400)
        allowed, retry_after, hit_id = self._booking_series_rate_limit(appointment_sudo.page_id)
        if not allowed:
            return self._booking_rate_limited(appointment_sudo, form, retry_after)
        values, errors = self._booking_series_form(appointment_sudo, form)
        replacements = {}
        if not errors:
            replacements, errors = self._booking_series_replacements(form, values["starts"])
        give_back = request.env["booking.rate.limit"].sudo()._give_back
        if errors:
            give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        try:
            series = request.env["booking.series"]._book_series(
                appointment_sudo.page_id, appointment_sudo.service_id, appointment_sudo.provider_id,
                appointment_sudo.start, values["interval_weeks"], count=values["count"], until=values["until"],
                partner=appointment_sudo.partner_id, source="portal", replacements=replacements,
                existing=appointment_sudo)
        except SeriesUnavailableError as error:
            give_back(hit_id)
            return self._booking_render_repeat(appointment_sudo, form=form, plan=error.occurrences,
                                               message=error.args[0], replacements=replacements, status=409)
        except (ValidationError, UserError) as error:  # BookingInputError, LoginRequiredError among them
            give_back(hit_id)
            errors = error.fields if isinstance(error, BookingInputError) else {"form": error.args[0]}
            return self._booking_render_repeat(appointment_sudo, form=form, errors=errors, status=400)
        return self._booking_redirect(appointment_sudo, request.env._(
            "Your series is booked: %(count)s visits, every %(weeks)s week(s), until %(last)s.",
            count=len(series.appointment_ids), weeks=series.interval_weeks,
            last=appointment_sudo._when_label(max(series.appointment_ids.mapped("start")), style="short")))

    # === CANCEL THIS AND ALL FOLLOWING === #

    def _booking_render_cancel_following(self, appointment_sudo, message=None, status=200):
        occurrences = appointment_sudo.series_id._occurrences_from(appointment_sudo) \
            if self._booking_can_cancel_following(appointment_sudo) else appointment_sudo.browse()
        previews = [(occurrence, occurrence._get_cancel_preview()) for occurrence in occurrences]
        values = self._get_page_view_values(appointment_sudo, None, {
            "page_name": "booking",
            "appointment": appointment_sudo,
            "previews": previews,
            "allowed": bool(previews) and all(preview["allowed"] for _occurrence, preview in previews),
            "total_refund": sum(preview["refund_amount"] for _occurrence, preview in previews),
            "currency": previews[0][1]["currency"] if previews else appointment_sudo.currency_id,
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
