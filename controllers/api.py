"""The public JSON booking API, /booking/api/v1 (DESIGN.md section 6).

Every request is validated against the schemas of ``booking_api/schema.py``,
from which ``openapi.json`` is generated too. Every answer is JSON: errors
carry a stable ``error`` code, and nothing is written when a request fails
(rate-limit hits aside, which are the point of a limit).
"""

import functools
import hashlib
import json
import logging
from datetime import UTC

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..booking_api import schema as contract
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import IdempotencyKeyReused
from ..exceptions import LoginRequiredError
from ..exceptions import SlotUnavailableError
from ..models.booking_frontdesk import iso_utc

_logger = logging.getLogger(__name__)

API = contract.API_PREFIX
# Attempts of one client (refused ones included) may be this many times the page's write limit.
ATTEMPTS_FACTOR = 6
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]


class ApiError(Exception):
    """An answer other than 2xx, raised from anywhere in a handler."""

    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []
        self.extra = extra


def json_response(payload, status=200, headers=None):
    return request.make_response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        headers=JSON_HEADERS + list(headers or []),
        status=status,
    )


def api_endpoint(methods, idempotent=False):
    """Wrap a handler: method check, and every failure turned into a JSON error.

    Concurrency errors are re-raised untouched, so that Odoo retries the whole
    request in a new transaction as it does for any route. Expected refusals
    (4xx) happen before any write or inside the savepoint of the change they
    refuse, so rate-limit hits stay counted; anything unexpected rolls the
    whole transaction back before answering.

    :param idempotent: honour an ``Idempotency-Key`` header (writes): the
        request runs once per key, and a retry with the same key and body gets
        the first answer again (``booking.idempotency.key``).
    """

    def decorator(handler):
        def respond(self, *args, **kwargs):
            try:
                if request.httprequest.method not in methods:
                    raise ApiError(405, "method_not_allowed", request.env._(
                        "Use %(methods)s here.", methods=", ".join(methods)),
                        headers=[("Allow", ", ".join(methods))])
                return handler(self, *args, **kwargs)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # every failure becomes a JSON answer
                return error_response(error)

        @functools.wraps(handler)
        def wrapper(self, *args, **kwargs):
            key = request.httprequest.headers.get("Idempotency-Key")
            if not idempotent or key is None:
                return respond(self, *args, **kwargs)
            try:
                return _respond_once(key, lambda: respond(self, *args, **kwargs))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # a refused key, a bad one: JSON too
                return error_response(error)

        return wrapper

    return decorator


def error_response(error):
    """The JSON answer for an exception: its 4xx for expected refusals, else a logged 500."""
    env = request.env
    if isinstance(error, ApiError):
        failure = error
    elif isinstance(error, BookingInputError):
        failure = ApiError(400, "validation", env._("Some fields are invalid."), fields=error.fields)
    elif isinstance(error, SlotUnavailableError):
        frontdesk = env["booking.frontdesk"]
        failure = ApiError(409, "slot_unavailable", error.args[0],
                           alternatives=[frontdesk._slot_payload(slot) for slot in error.alternatives])
    elif isinstance(error, LoginRequiredError):
        failure = ApiError(403, "login_required", error.args[0])
    elif isinstance(error, IdempotencyKeyReused):
        failure = ApiError(422, "idempotency_key_reused", error.args[0])
    elif isinstance(error, BookingActionRefused):
        failure = ApiError(409, error.code, error.args[0])
    elif isinstance(error, ValidationError | UserError):
        failure = ApiError(400, "validation", error.args[0], fields={})
    elif isinstance(error, AccessError | MissingError | NotFound):
        failure = ApiError(404, "not_found", env._("Not found."))
    elif isinstance(error, HTTPException) and error.code and 400 <= error.code < 500:
        # e.g. a body shorter than its Content-Length (the client went away)
        failure = ApiError(error.code, "bad_request", env._("The request could not be read."))
    else:
        _logger.error("Booking API: unexpected error on %s", request.httprequest.path, exc_info=error)
        request.env.cr.rollback()
        failure = ApiError(500, "internal_error", env._("Something went wrong on our side."))
    if 400 <= failure.status < 500 and failure.status != 429:
        # refused before anything was written: the request does not count against the write limit
        environ = request.httprequest.environ
        env["booking.rate.limit"].sudo()._give_back(environ.pop("self_serve_booking.rate_limit_hit", None))
    return json_response(
        {"error": failure.code, "message": failure.message, **failure.extra},
        status=failure.status,
        headers=failure.headers,
    )


def _respond_once(key, respond):
    """Answer a write sent with an ``Idempotency-Key``: run it once, or replay its first answer.

    The key is scoped to the route (the path names the page) and the caller
    (signed-in user, bearer token or anonymous), and bound to the body: the
    same key with another body is a 422.
    """
    env = request.env
    if not contract.IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise BookingInputError({"Idempotency-Key": env._("must be 16 to 255 printable ASCII characters, "
                                                          "e.g. a UUID")})
    user = env.user
    authorization = request.httprequest.headers.get("Authorization")
    # anonymous keys are the client address's: nobody replays another visitor's answer (its manage link)
    caller = (f"user:{user.id}" if not user._is_public()
              else f"token:{hashlib.sha256(authorization.encode()).hexdigest()}" if authorization
              else f"public:{request.httprequest.remote_addr}")

    def run():
        response = respond()
        return response, response.status_code, response.get_data(as_text=True), response.headers.get("Location")

    response, earlier = env["booking.idempotency.key"].sudo()._call_once(
        f"{request.httprequest.path} {caller}", key, request.httprequest.get_data(cache=True), run)
    if earlier is None:
        return response
    headers = [("Idempotent-Replayed", "true")]
    if earlier.location:
        headers.append(("Location", earlier.location))
    return request.make_response(earlier.response, headers=JSON_HEADERS + headers, status=earlier.status)


class BookingApiController(http.Controller):
    # === HELPERS === #

    def _page_or_404(self, slug):
        page = request.env["booking.frontdesk"]._get_page(slug, request.env["website"].get_current_website())
        if not page:
            raise ApiError(404, "not_found", request.env._("No booking page at this address."))
        return page

    def _read_json_body(self):
        """The request body as a dict, or the right 4xx.

        Read with ``get_data(cache=True)``: when Odoo retries a request after a
        serialization failure, the handler runs again on the same request and
        must find the same body.
        """
        httprequest = request.httprequest
        env = request.env
        if httprequest.mimetype != "application/json":
            raise ApiError(415, "unsupported_media_type", env._("Send the body as application/json."))
        if httprequest.content_length is None:
            raise ApiError(411, "length_required", env._("Send a Content-Length header."))
        if httprequest.content_length > contract.MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", env._("The body is larger than 16 KB."))
        try:
            return contract.loads(httprequest.get_data(cache=True))
        except ValueError:  # UnicodeDecodeError included
            raise ApiError(400, "malformed_json", env._(
                "The body is not valid JSON (UTF-8, finite numbers, nested at most %(depth)s levels).",
                depth=contract.MAX_DEPTH)) from None

    def _validated_body(self, schema_name):
        body = self._read_json_body()
        errors = contract.validate(body, contract.ref(schema_name))
        if errors:
            raise BookingInputError(errors)
        return body

    def _rate_limit(self, page):
        """Count this write against the client; 429 beyond the page's limit.

        Two counters per client (the signed-in user, else the address):
        requests that write (bookings, waitlist entries), within the page's
        limit, and every attempt, within ``ATTEMPTS_FACTOR`` times it. A
        request refused for its input or because the time was taken gives
        its write back (``error_response``), so an honest customer correcting
        a form never runs into the limit, while a script sending bad requests
        still does. Counted once per request, even when Odoo retries it after
        a serialization failure (the marker lives on the request's environ).
        """
        environ = request.httprequest.environ
        if environ.get("self_serve_booking.rate_limit_counted"):
            return
        user = request.env.user
        client = f"user:{user.id}" if not user._is_public() else (request.httprequest.remote_addr or "unknown")
        limits = request.env["booking.rate.limit"].sudo()
        environ["self_serve_booking.rate_limit_counted"] = True
        allowed, retry_after, _attempt = limits._take(
            f"page-attempts:{page.id}:{client}", page.rate_limit_count * ATTEMPTS_FACTOR, page.rate_limit_minutes)
        hit_id = None
        if allowed:
            allowed, retry_after, hit_id = limits._take(
                f"page:{page.id}:{client}", page.rate_limit_count, page.rate_limit_minutes)
        environ["self_serve_booking.rate_limit_hit"] = hit_id
        if not allowed:
            raise ApiError(
                429, "rate_limited",
                request.env._("Too many requests from your address. Try again in %(minutes)s minute(s).",
                              minutes=max(1, round(retry_after / 60))),
                headers=[("Retry-After", str(retry_after))],
                retry_after=retry_after,
            )

    def _customer_request(self, slug, schema):
        """What booking and joining the waitlist start with, in this order.

        The page (or 404), the visitor's rate limit (429), the body against
        ``schema`` (400), the service and provider, and who the customer is:
        the signed-in one, or the guest of the body.

        :return: ``(page, body, service, provider, partner or None, source)``
        """
        page = self._page_or_404(slug)
        self._rate_limit(page)
        body = self._validated_body(schema)
        frontdesk = request.env["booking.frontdesk"]
        service = frontdesk._get_service(page, body["service_id"])
        provider = frontdesk._get_provider(page, service, body.get("provider_id"))
        partner = self._proven_partner(page)
        if not partner and not body.get("customer"):
            raise BookingInputError({"customer": request.env._("is required")})
        source = "website" if request.httprequest.headers.get("X-Booking-Widget") else "api"
        return page, body, service, provider, partner, source

    def _proven_partner(self, page):
        """The customer the caller proved to be, or None for an anonymous visitor.

        Proof is an Odoo session (signed in) or a bearer token from a one-time
        code (``/session/verify``) of this page's merchant; a token that does
        not hold is a 401, never a fall back to the details in the body.
        """
        if request.httprequest.headers.get("Authorization"):
            session = self._session()
            if session.company_id != page.company_id:
                raise ApiError(401, "unauthorized", request.env._("This token was issued by another merchant."),
                               headers=[("WWW-Authenticate", 'Bearer realm="booking"')])
            return session.partner_id
        user = request.env.user
        return user.partner_id if not user._is_public() else None

    # === ROUTES === #

    @http.route(f"{API}/openapi.json", type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET",))
    def openapi(self):
        return json_response(contract.build_document(request.httprequest.host_url.rstrip("/")))

    @http.route(f"{API}/pages/<string:slug>", type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET",))
    def page(self, slug):
        page = self._page_or_404(slug)
        return json_response(request.env["booking.frontdesk"]._page_payload(page))

    @http.route(f"{API}/pages/<string:slug>/slots", type="http", auth="public", csrf=False, cors="*",
                readonly=True, save_session=False)
    @api_endpoint(("GET",))
    def slots(self, slug, **query):
        page = self._page_or_404(slug)
        values, errors = contract.parse_query("slots", query)
        if errors:
            raise BookingInputError(errors)
        frontdesk = request.env["booking.frontdesk"]
        service = frontdesk._get_service(page, values["service_id"])
        provider = frontdesk._get_provider(page, service, values.get("provider_id"))
        slots, open_dates = frontdesk._get_slots(page, service, provider, values["date_from"], values.get("date_to"))
        return json_response({"timezone": page.tz, "slots": [frontdesk._slot_payload(slot) for slot in slots],
                              "open_dates": sorted(day.isoformat() for day in open_dates)})

    @http.route(f"{API}/pages/<string:slug>/bookings", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",), idempotent=True)
    def create_booking(self, slug):
        page, body, service, provider, partner, source = self._customer_request(slug, "BookingRequest")
        frontdesk = request.env["booking.frontdesk"]
        start = _to_naive_utc(body["start"])
        appointment = frontdesk._book(page, service, provider, start, customer=body.get("customer"),
                                      note=body.get("note"), source=source, partner=partner)
        payload = frontdesk._booking_payload(appointment)
        return json_response({"booking": payload}, status=201, headers=[("Location", payload["confirmation_url"])])

    @http.route(f"{API}/pages/<string:slug>/waitlist", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",), idempotent=True)
    def join_waitlist(self, slug):
        page, body, service, provider, partner, source = self._customer_request(slug, "WaitlistRequest")
        frontdesk = request.env["booking.frontdesk"]
        time_from = contract.parse_time(body["time_from"]) if body.get("time_from") else None
        time_to = contract.parse_time(body["time_to"]) if body.get("time_to") else None
        entry = frontdesk._join_waitlist(
            page, service, provider, contract.parse_date(body["date"]), time_from=time_from, time_to=time_to,
            customer=body.get("customer"), note=body.get("note"), source=source, partner=partner,
        )
        return json_response({"waitlist": {"id": entry.id, "reference": entry.name, "state": entry.state}},
                             status=201)

    # === CUSTOMER SESSIONS === #

    def _limit(self, key, count, minutes):
        allowed, retry_after = request.env["booking.rate.limit"].sudo()._hit(key, count, minutes)
        if not allowed:
            raise ApiError(429, "rate_limited",
                           request.env._("Too many attempts. Try again in %(minutes)s minute(s).",
                                         minutes=max(1, round(retry_after / 60))),
                           headers=[("Retry-After", str(retry_after))], retry_after=retry_after)

    def _identity(self, page, body):
        """The e-mail and/or the E.164 phone a customer signs in with, and a key for limits; or a 400."""
        email, phone = (body.get("email") or "").strip(), (body.get("phone") or "").strip()
        values = {}
        if email:
            values["email"] = email
        if phone:
            phone_e164 = request.env["booking.frontdesk"]._normalize_phone(page, phone)
            if not phone_e164:
                raise BookingInputError({"phone": request.env._("is not a valid phone number")})
            values["phone"] = phone_e164
        if not values:
            raise BookingInputError({"email": request.env._("an e-mail or a phone number is required")})
        return values, values.get("email", "").lower() or values["phone"]

    def _session(self):
        """The customer session of the bearer token, or a 401."""
        scheme, _sep, token = request.httprequest.headers.get("Authorization", "").partition(" ")
        session = request.env["booking.customer.session"]
        if scheme.lower() == "bearer":
            session = session._authenticate(token.strip())
        if not session:
            raise ApiError(401, "unauthorized",
                           request.env._("Sign in again: the token is missing, invalid or expired."),
                           headers=[("WWW-Authenticate", 'Bearer realm="booking"')])
        return session

    def _my_booking(self, session, booking_id):
        """One of the session customer's bookings with this merchant; anything else is 404."""
        appointment = request.env["booking.appointment"].sudo().browse(booking_id).exists()
        if not appointment or appointment.partner_id != session.partner_id \
                or appointment.company_id != session.company_id:
            raise ApiError(404, "not_found", request.env._("No such booking."))
        return appointment

    @http.route(f"{API}/pages/<string:slug>/session", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",))
    def request_code(self, slug):
        page = self._page_or_404(slug)
        self._rate_limit(page)
        body = self._validated_body("SessionRequest")
        values, identity = self._identity(page, body)
        # per address and client (nobody locks a customer out from elsewhere), and per address
        # within an hour (nobody floods a customer's inbox), for the merchant as a whole
        company = page.company_id.id
        self._limit(f"code:{company}:{identity}:{request.httprequest.remote_addr}", 3, 10)
        self._limit(f"code:{company}:{identity}", 10, 60)
        request.env["booking.customer.session"].sudo()._request_code(page, **values)
        return json_response({"status": "code_sent", "expires_in": 600}, status=202)

    @http.route(f"{API}/pages/<string:slug>/session/verify", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",))
    def verify_code(self, slug):
        page = self._page_or_404(slug)
        body = self._validated_body("SessionVerifyRequest")
        values, identity = self._identity(page, body)
        company = page.company_id.id  # a token holds for the merchant: so do the limits
        self._limit(f"verify:{company}:{identity}", 5, 10)
        self._limit(f"verify-ip:{company}:{request.httprequest.remote_addr}", 20, 10)
        session = request.env["booking.customer.session"].sudo()._verify_code(page, body["code"], **values)
        if not session:
            raise ApiError(400, "invalid_code", request.env._("This code is wrong or has expired."))
        partner = session.partner_id
        return json_response({"token": session._make_token(), "token_type": "Bearer",
                              "expires_at": iso_utc(session.expires_at),
                              "customer": {"name": partner.name, "email": partner.email or None,
                                           "phone": partner.phone or None}})

    @http.route(f"{API}/me/session", type="http", auth="public", csrf=False, cors="*", save_session=False)
    @api_endpoint(("DELETE",))
    def sign_out(self):
        self._session().action_revoke()
        return request.make_response("", status=204, headers=[("Cache-Control", "no-store")])

    @http.route(f"{API}/me/bookings", type="http", auth="public", csrf=False, cors="*", save_session=False)
    @api_endpoint(("GET",))
    def my_bookings(self, **query):
        session = self._session()
        values, errors = contract.parse_query("my_bookings", query)
        if errors:
            raise BookingInputError(errors)
        frontdesk = request.env["booking.frontdesk"]
        domain = frontdesk._customer_domain(session.partner_id, session.company_id, values.get("filter"))
        appointments = request.env["booking.appointment"].sudo().search(domain, order="start desc", limit=200)
        return json_response({"bookings": [frontdesk._booking_summary(a) for a in appointments]})

    @http.route(f"{API}/me/bookings/<{contract.URL_ID}:booking_id>", type="http", auth="public", csrf=False,
                cors="*", save_session=False)
    @api_endpoint(("GET", "PATCH"))
    def my_booking(self, booking_id):
        session = self._session()
        appointment = self._my_booking(session, booking_id)
        frontdesk = request.env["booking.frontdesk"]
        if request.httprequest.method == "PATCH":
            body = self._validated_body("BookingChange")
            if body["action"] == "cancel":
                frontdesk._customer_cancel(appointment, reason=body.get("reason"))
            else:
                if not body.get("start"):
                    raise BookingInputError({"start": request.env._("is required")})
                frontdesk._customer_reschedule(appointment, _to_naive_utc(body["start"]),
                                               any_provider=bool(body.get("any_provider")))
        return json_response({"booking": frontdesk._booking_summary(appointment)})

    @http.route(f"{API}/me/bookings/<{contract.URL_ID}:booking_id>/slots", type="http", auth="public", csrf=False,
                cors="*", save_session=False)
    @api_endpoint(("GET",))
    def my_booking_slots(self, booking_id, **query):
        session = self._session()
        appointment = self._my_booking(session, booking_id)
        values, errors = contract.parse_query("my_slots", query)
        if errors:
            raise BookingInputError(errors)
        date_to = values.get("date_to") or values["date_from"]
        if date_to < values["date_from"] or (date_to - values["date_from"]).days >= 62:
            raise BookingInputError({"date_to": request.env._("must be within 62 days after date_from")})
        frontdesk = request.env["booking.frontdesk"]
        slots = frontdesk._reschedule_slots(appointment, values["date_from"], date_to,
                                            any_provider=query.get("any_provider") in ("1", "true"))
        return json_response({"timezone": appointment.page_id.tz,
                              "slots": [frontdesk._slot_payload(slot) for slot in slots]})

    @http.route([API, f"{API}/<path:rest>"], type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET", "POST", "PATCH", "PUT", "DELETE"))
    def unknown(self, rest=None):
        raise ApiError(404, "not_found", request.env._("No such API route."))


def _to_naive_utc(value):
    """Naive UTC (Odoo's storage) from a validated ISO 8601 string with an offset."""
    return contract.parse_datetime(value).astimezone(UTC).replace(tzinfo=None)
